package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// runCLI runs the CLI in-process and returns its exit code, stdout and stderr.
func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(append([]string{"tarscache"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// requireFailure runs the CLI with args and checks that it exits with code and
// says msg on exactly one line of stderr.
func requireFailure(t *testing.T, code int, msg string, args ...string) {
	t.Helper()
	got, _, errOut := runCLI(args...)
	require.Equal(t, code, got, errOut)
	require.Contains(t, errOut, msg)
	require.Equal(t, 1, strings.Count(errOut, "\n"), "one line on stderr: %q", errOut)
}

func sampleRecords() string { return filepath.Join(testdb.TestdataDir(), "sample.records.json") }

// importedFile returns a cache file holding the sample records.
func importedFile(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "tarscache.db")
	code, out, errOut := runCLI("import", "--data", path, sampleRecords())
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "imported 10 servants")
	return path
}

// dump --format json prints exactly what import read: the sample's golden records.
func TestDump_jsonRoundTripsImport(t *testing.T) {
	path := importedFile(t)
	code, out, _ := runCLI("dump", "--data", path, "--format", "json")
	require.Equal(t, exitOK, code)
	want, err := os.ReadFile(sampleRecords())
	require.NoError(t, err)
	require.Equal(t, string(want), out)
}

// dump filters by servant prefix and prints a table with a total.
func TestDump_tableWithPrefix(t *testing.T) {
	path := importedFile(t)
	code, out, _ := runCLI("dump", "--data", path, "Shop.Order", "tars.tarsregistry.Q")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "Shop.OrderServer.OrderObj   88102168  active")
	require.Contains(t, out, "tcp -h 10.0.0.12 -p 10100 -t 60000 -v 2 -w 80")
	require.Contains(t, out, "2 servants, 4 endpoints")
	require.NotContains(t, out, "Demo.")
}

// Every failure exits non-zero with a one-line reason on stderr.
func TestCLI_failuresExplainThemselves(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.db")
	notCache := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(notCache, []byte("not a database"), 0o600))
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown flag", []string{"dump", "--bogus"}, exitUsage, `unknown flag --bogus for tarscache dump; run "tarscache dump --help" for its flags`},
		{"bad format", []string{"dump", "--data", missing, "--format", "xml"}, exitUsage, `--format "xml": want table, json or tars`},
		{"missing file", []string{"dump", "--data", missing}, exitFailure, "cache file " + missing + " does not exist"},
		{"not a cache file", []string{"dump", "--data", notCache}, exitFailure, "not a tarscache file"},
		{"import needs a file", []string{"import", "--data", missing}, exitUsage, "import takes one RECORDS.json argument, got 0"},
		{"import of a missing document", []string{"import", "--data", missing, "nope.json"}, exitFailure, "open nope.json"},
		{"bad method", []string{"query", "--method", "everything", "A.B.C"}, exitUsage, `--method "everything"`},
		{"serve with arguments", []string{"serve", "extra"}, exitUsage, `serve takes no arguments, got ["extra"]`},
		{"bad log format", []string{"serve", "--log-format", "xml"}, exitUsage, `--log-format "xml": want text or json`},
		{"bad log level", []string{"serve", "--log-level", "loud"}, exitUsage, `--log-level "loud": want debug, info, warn or error`},
		{"check of a missing file", []string{"check", "--data", missing}, exitFailure, "cache file " + missing + " does not exist"},
		{"check of another kind of file", []string{"check", "--data", notCache}, exitFailure, "not a tarscache file"},
		{"export with arguments", []string{"export", "Demo."}, exitUsage, `export takes no arguments, got ["Demo."]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireFailure(t, tc.code, tc.msg, tc.args...)
		})
	}
}

// A bad records document is refused before anything is written.
func TestImport_badDocumentChangesNothing(t *testing.T) {
	path := importedFile(t)
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	cases := map[string]string{
		"not json":         "{",
		"unknown field":    `{"format":"tarscache-records/1","servants":[{"id":"A.B.C","endpoints":[],"colour":"red"}]}`,
		"wrong version":    `{"format":"tarscache-records/1","servants":[{"id":"A.B.C","version":"00000000","endpoints":[]}]}`,
		"port":             `{"format":"tarscache-records/1","servants":[{"id":"A.B.C","endpoints":[{"active":true,"istcp":1,"host":"h","port":70000,"timeout":1,"weight":-1}]}]}`,
		"other format":     `{"format":"something-else/2","servants":[]}`,
		"duplicate id":     `{"format":"tarscache-records/1","servants":[{"id":"A.B.C","endpoints":[]},{"id":"A.B.C","endpoints":[]}]}`,
		"empty servant id": `{"format":"tarscache-records/1","servants":[{"id":"","endpoints":[]}]}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad.json")
			require.NoError(t, os.WriteFile(file, []byte(doc), 0o600))
			code, _, errOut := runCLI("import", "--replace", "--data", path, file)
			require.Equal(t, exitFailure, code)
			require.Contains(t, errOut, "tarscache: import")
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, before, after, "a refused import must leave the file as it was")
		})
	}
}

// import does not overwrite a file that holds records unless told to.
func TestImport_refusesNonEmptyFileWithoutReplace(t *testing.T) {
	path := importedFile(t)
	code, _, errOut := runCLI("import", "--data", path, sampleRecords())
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "already holds 10 servants: use --replace")
	code, out, _ := runCLI("import", "--replace", "--data", path, sampleRecords())
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "0 written, 0 deleted, 10 unchanged")
}

// dump on a file held by a running server fails within seconds instead of hanging.
func TestDump_fileHeldByServerFailsFast(t *testing.T) {
	path := importedFile(t)
	held, err := cache.Open(path, cache.Options{})
	require.NoError(t, err)
	defer held.Close()
	start := time.Now()
	code, _, errOut := runCLI("dump", "--data", path)
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "file is locked by another process (is tarscache serve running on it?)")
	require.Less(t, time.Since(start), 30*time.Second, "dump must not hang on a held file")
}

// sync reads db_tars once into the file. A fetch that would take away most of the
// servants (here: t_adapter_conf emptied) is held: exit 1, nothing written, the
// reason on stderr; --accept-held applies it.
func TestSync_holdsAndAccepts(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "tarscache.db")
	code, out, errOut := runCLI("sync", "--dsn", db.DSN, "--data", path)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "10 servants written, 0 deleted, 0 unchanged")

	db.Exec(t, `DELETE FROM t_adapter_conf`)
	code, _, errOut = runCLI("sync", "--dsn", db.DSN, "--data", path)
	require.Equal(t, exitFailure, code)
	require.Equal(t, "tarscache: sync held, nothing written: it would remove 9 of 10 servants (90%, more than 50%); "+
		"check db_tars, then rerun with --accept-held to apply it\n", errOut)
	_, out, _ = runCLI("dump", "--data", path)
	require.Contains(t, out, "10 servants")

	code, out, errOut = runCLI("sync", "--dsn", db.DSN, "--data", path, "--accept-held")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "1 servants written, 9 deleted", "the registry servant keeps its t_registry_info rows only")
}

// check passes a sound file with a summary, and fails naming the servant whose
// stored record no longer matches its CRC32.
func TestCheck_findsCorruptRecord(t *testing.T) {
	path := importedFile(t)
	code, out, errOut := runCLI("check", "--data", path)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, path+": ok, 10 servants, last sync never\n", out)

	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("servants"))
		v := bytes.Clone(b.Get([]byte("Demo.HelloServer.HelloObj")))
		v[len(v)-1] ^= 0xff
		return b.Put([]byte("Demo.HelloServer.HelloObj"), v)
	}))
	require.NoError(t, db.Close())

	code, _, errOut = runCLI("check", "--data", path)
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "Demo.HelloServer.HelloObj")
}

// export writes the whole cache, groups included, as the document import reads:
// carried to a new file, it dumps the same records.
func TestExport_roundTripsThroughImport(t *testing.T) {
	path := importedFile(t)
	doc := filepath.Join(t.TempDir(), "export.json")
	code, _, errOut := runCLI("export", "--data", path, "--out", doc)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "exported 10 servants to "+doc+"\n", errOut)

	other := filepath.Join(t.TempDir(), "other.db")
	code, _, errOut = runCLI("import", "--data", other, doc)
	require.Equal(t, exitOK, code, errOut)
	_, want, _ := runCLI("dump", "--data", path, "--format", "json")
	_, got, _ := runCLI("dump", "--data", other, "--format", "json")
	require.Equal(t, want, got)
	_, stdout, _ := runCLI("export", "--data", path)
	written, err := os.ReadFile(doc)
	require.NoError(t, err)
	require.Equal(t, string(written), stdout)
}

// An export that cannot be written fails and leaves no partial document behind.
func TestExport_unwritableLeavesNothing(t *testing.T) {
	path := importedFile(t)
	dir := filepath.Join(t.TempDir(), "missing-dir")
	code, _, errOut := runCLI("export", "--data", path, "--out", filepath.Join(dir, "x.json"))
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "export to "+filepath.Join(dir, "x.json"))
	require.NoDirExists(t, dir)
}

// --version prints the version and the commit it was built from.
func TestCLI_version(t *testing.T) {
	code, out, _ := runCLI("--version")
	require.Equal(t, exitOK, code)
	require.Regexp(t, `^tarscache version \S+ \(\S+\)\n$`, out)
}

// sync --dry-run lists what a sync would add, change and remove, and whether it
// would be held, and writes nothing.
func TestSync_dryRunWritesNothing(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "tarscache.db")
	code, _, errOut := runCLI("sync", "--dsn", db.DSN, "--data", path)
	require.Equal(t, exitOK, code, errOut)
	_, before, _ := runCLI("dump", "--data", path, "--format", "json")

	db.Exec(t, `DELETE FROM t_adapter_conf WHERE servant = 'Demo.TimerServer.ReportObj';
		UPDATE t_server_conf SET present_state = 'inactive' WHERE server_name = 'HelloServer' AND node_name = '10.0.0.11';
		INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint)
		  VALUES ('Demo', 'TimerServer', '10.0.0.11', 'Demo.TimerServer.AuditObjAdapter', 'Demo.TimerServer.AuditObj', 'tcp -h 10.0.0.11 -p 10040 -t 60000')`)
	code, out, errOut := runCLI("sync", "--dsn", db.DSN, "--data", path, "--dry-run")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "dry run, nothing written to "+path+": 1 servants would be added, 2 changed, 1 removed, 7 unchanged; "+
		"groups changed: false; 21 rows read, 1 rejected\n"+
		"+ Demo.TimerServer.AuditObj\n~ Demo.HelloServer.AdminObj\n~ Demo.HelloServer.HelloObj\n- Demo.TimerServer.ReportObj\n"+
		`rejected: t_adapter_conf row Demo.HelloServer@10.0.0.12/Demo.HelloServer.AdminObjAdapter: bad endpoint "tcp -h 10.0.0.12 -p 80abc -t 3000": option -p: "80abc" is not an integer`+"\n", out)
	_, after, _ := runCLI("dump", "--data", path, "--format", "json")
	require.Equal(t, before, after)

	db.Exec(t, `DELETE FROM t_adapter_conf`)
	_, out, _ = runCLI("sync", "--dsn", db.DSN, "--data", path, "--dry-run")
	require.Contains(t, out, "the sync would be held: it would remove 9 of 10 servants")
}
