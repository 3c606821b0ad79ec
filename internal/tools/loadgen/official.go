package main

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tarscache/tarscache/internal/tools/loadgen/bench"
)

// The official registry (TarsFramework's C++ RegistryServer) is started only when
// both variables are set; see /work/shared/tools/official-registry/README.md for
// how it is built.
const (
	envOfficialBin   = "TARSCACHE_OFFICIAL_REGISTRY" // the tarsregistry executable
	envOfficialTools = "TARSCACHE_OFFICIAL_TOOLS"    // the folder of run.sh and extra-tables.sql
)

// officialNote says how to get the official registry's columns when they are left
// out.
const officialNote = "The official registry's figures are left out: set " + envOfficialBin +
	" to a tarsregistry built by the official-registry tools and " + envOfficialTools +
	" to their folder (run.sh, extra-tables.sql), then run make bench again."

// officialSetup is where the official registry and its tools are; zero when the
// environment does not name them.
type officialSetup struct{ bin, tools string }

func officialFromEnv() officialSetup {
	s := officialSetup{bin: os.Getenv(envOfficialBin), tools: os.Getenv(envOfficialTools)}
	if s.bin == "" || s.tools == "" {
		return officialSetup{}
	}
	return s
}

func (s officialSetup) enabled() bool { return s.bin != "" }

// benchRows are the benchmark servant's rows: 10 servers of one set
// (benchSet), each with one active tcp adapter, as bench.Servant describes.
func benchRows() string {
	return fmt.Sprintf(`INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, bak_flag, enable_group, enable_set, set_name, set_area, set_group, registry_timestamp)
  SELECT 'Bench', 'LoadServer', CONCAT('10.0.1.', seq), 'active', 'active', 'active', 0, 'N', 'Y', 'bench', 's', '1', NOW() - INTERVAL 1 HOUR FROM seq_1_to_10;
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, registry_timestamp)
  SELECT 'Bench', 'LoadServer', CONCAT('10.0.1.', seq), 'Bench.LoadServer.LoadObjAdapter', '%s',
    CONCAT('tcp -h 10.0.1.', seq, ' -p 10015 -t 60000'), NOW() - INTERVAL 1 HOUR FROM seq_1_to_10;`, bench.ServantID)
}

// callsDatabase creates a uniquely named database with the db_tars schema, the
// benchmark servant's rows and, when the official registry runs, the tables it
// also reads; it returns its DSN and how to drop it.
func callsDatabase(server string, off officialSetup) (string, func(), error) {
	name := fmt.Sprintf("tc_loadgen_calls_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	files := []string{"testdata/db_tars.sql", "sync/schema/subset.sql"}
	if off.enabled() {
		files = append(files, filepath.Join(off.tools, "extra-tables.sql"))
	}
	db, dsn, drop, err := ownDatabase(server, name, func(db *sql.DB) error {
		if err := loadFiles(db, files...); err != nil {
			return err
		}
		_, err := db.Exec(benchRows())
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("loadgen: create database %s: %w", name, err)
	}
	return dsn, drop, db.Close()
}

// startOfficial runs the official registry with run.sh on the database of dsn,
// QueryObj on a free port (RegistryObj on the next one), logs in a folder of dir.
func startOfficial(off officialSetup, dbName, dir string) (*proc, target, error) {
	port, err := freePortPair()
	if err != nil {
		return nil, target{}, err
	}
	tmp := filepath.Join(dir, "official")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, target{}, err
	}
	p := newProc(filepath.Join(off.tools, "run.sh"), off.bin, dbName, strconv.Itoa(port))
	p.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	t := target{name: "official registry", addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), servant: "tars.tarsregistry.QueryObj"}
	return p, t, p.cmd.Start() // run.sh execs the registry: p's pid is the registry's
}

// freePortPair returns a port that is free together with the next one.
func freePortPair() (int, error) {
	for range 20 {
		addr, err := freePort()
		if err != nil {
			return 0, err
		}
		_, text, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(text)
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+1))); err == nil {
			ln.Close()
			return port, nil
		}
	}
	return 0, errors.New("loadgen: no two free consecutive ports")
}
