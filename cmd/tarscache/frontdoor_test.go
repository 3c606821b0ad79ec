package main

// Tests of what a newcomer meets first (issue 18): every case reads as the
// command line, its exit code and what it prints.

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/testkit/testdb"
)

// Mistakes in how tarscache is called exit 2 with one line saying what was wrong
// and, when something close exists, what was meant; help and version answer.
func TestCLI_usageMistakesExit2WithSuggestions(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"typo of a command", []string{"server"}, `unknown command "server"; did you mean "serve"? run "tarscache help" for the list`},
		{"transposed letters", []string{"sycn", "--data", "x.db"}, `did you mean "sync"?`},
		{"no near command", []string{"frobnicate"}, `unknown command "frobnicate"; run "tarscache help" for the list`},
		{"typo of a subcommand", []string{"db", "migrat"}, `unknown command "db migrat"; did you mean "db migrate"? run "tarscache help db" for the list`},
		{"db alone", []string{"db"}, `db needs a subcommand: "tarscache db migrate"`},
		{"help of an unknown command", []string{"help", "server"}, `did you mean "serve"?`},
		{"help of a command without subcommands", []string{"help", "dump", "x"}, "dump has no subcommands"},
		{"version with arguments", []string{"version", "x"}, `version takes no arguments, got ["x"]`},
		{"unknown flag with a near one", []string{"dump", "--dat", "x.db"}, `unknown flag --dat for tarscache dump; did you mean --data? run "tarscache dump --help" for its flags`},
		{"unknown flag", []string{"check", "--bogus"}, `unknown flag --bogus for tarscache check; run "tarscache check --help" for its flags`},
		{"unknown flag of a subcommand", []string{"db", "migrate", "--dry-rn"}, "unknown flag --dry-rn for tarscache db migrate; did you mean --dry-run?"},
		{"command flag before the command", []string{"--data", "x.db", "dump"}, `unknown flag --data for tarscache; flags of a command go after its name, e.g. "tarscache dump --data FILE"`},
		{"duration without a unit", []string{"serve", "--sync-interval", "2"}, `--sync-interval "2": want a duration with a unit, e.g. 500ms, 2s, 5m or 72h`},
		{"flag without its value", []string{"dump", "--data"}, "--data needs a value (FILE)"},
		{"not a number", []string{"route", "--keys", "many", "A.B.C"}, `--keys "many": want a whole number`},
		{"not a boolean", []string{"sync", "--dry-run=maybe"}, `--dry-run "maybe": want true or false`},
		{"listen without a host", []string{"serve", "--listen", "17890"}, `--listen "17890": want HOST:PORT, e.g. 127.0.0.1:17890 or 0.0.0.0:17890`},
		{"admin without a port", []string{"serve", "--listen", "127.0.0.1:0", "--admin", "localhost"}, `--admin "localhost": want HOST:PORT`},
		{"missing --dsn-file", []string{"sync", "--dsn-file", "/nonexistent/dsn"}, "--dsn-file: open /nonexistent/dsn: no such file or directory"},
		{"query without a servant", []string{"query"}, "query takes one SERVANT argument, got 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			requireFailure(t, exitUsage, tc.msg, tc.args...)
			_, _, errOut := runCLI(tc.args...)
			require.True(t, strings.HasPrefix(errOut, "tarscache: usage: "), errOut)
		})
	}
}

// The duration of an environment variable is explained like that of its flag.
func TestCLI_badEnvironmentValueExits2(t *testing.T) {
	t.Setenv("TARSCACHE_SYNC_INTERVAL", "2")
	requireFailure(t, exitUsage, `TARSCACHE_SYNC_INTERVAL="2" (--sync-interval): want a duration with a unit`, "serve")
}

// tarscache alone shows the commands on stderr and exits 2; "help" and "version"
// are commands as well as flags, as consul, etcdctl and kubectl users expect.
func TestCLI_helpAndVersion(t *testing.T) {
	code, out, errOut := runCLI()
	require.Equal(t, exitUsage, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "COMMANDS:")
	require.True(t, strings.HasSuffix(errOut, "tarscache: usage: tarscache needs a command, e.g. \"tarscache serve\"; \"tarscache help COMMAND\" shows its flags\n"), errOut)

	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, errOut = runCLI(args...)
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, "COMMANDS:", args)
		require.Contains(t, out, "version ", args)
	}
	code, out, _ = runCLI("help", "serve")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "tarscache serve - serve QueryF")
	code, out, _ = runCLI("help", "db", "migrate")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "tarscache db migrate - create tarscache's tables")

	code, out, _ = runCLI("version")
	require.Equal(t, exitOK, code)
	require.Regexp(t, `^tarscache version \S+ \(\S+\)\n$`, out)
}

// Help text says what each flag takes: durations are DURATION, dump's and
// route's --admin-token-file is the token to send, query lists every method and
// serve --admin says how it is protected.
func TestCLI_helpTextNamesWhatFlagsTake(t *testing.T) {
	_, serve, _ := runCLI("serve", "--help")
	require.Contains(t, serve, "--sync-interval DURATION")
	require.Contains(t, serve, "--max-stale DURATION")
	for _, cmd := range []string{"serve", "sync", "dump", "export", "import", "check", "query", "diff", "route"} {
		_, out, _ := runCLI(cmd, "--help")
		require.NotContains(t, out, " value ", "%s: a flag whose value has no name", cmd)
	}
	require.NotContains(t, serve, "It has no authentication")
	require.Contains(t, serve, "Without --admin-token-file it has no authentication and binds only a loopback address")
	for _, cmd := range []string{"dump", "route"} {
		_, out, _ := runCLI(cmd, "--help")
		require.Contains(t, out, "send the bearer token read from FILE to --admin", cmd)
		require.NotContains(t, out, "required to bind --admin beyond loopback", cmd)
	}
	_, query, _ := runCLI("query", "--help")
	require.Contains(t, query, "byid, any, all, samegroup, station, set or subset")
	require.Contains(t, query, `(default: "any")`)
	_, diff, _ := runCLI("diff", "--help")
	require.Contains(t, diff, "--timeout DURATION")
}

// A locator that is not one is refused before TarsGo sees it (it panics on some):
// one line showing the forms expected, exit 2.
func TestQuery_badLocatorShowsTheFormsExpected(t *testing.T) {
	for _, loc := range []string{"", "  ", "127.0.0.1", "tars.tarsregistry.QueryObj", "tars.tarsregistry.QueryObj@", "@tcp -h 127.0.0.1 -p 1",
		"tcp -h 127.0.0.1", "tcp -p 17890", "tcp -h 127.0.0.1 -p 80abc", "http://127.0.0.1:17890", "A B@tcp -h 127.0.0.1 -p 1", "127.0.0.1:99999"} {
		t.Run(loc, func(t *testing.T) {
			requireFailure(t, exitUsage, `want HOST:PORT (127.0.0.1:17890), an endpoint ("tcp -h 127.0.0.1 -p 17890") or a locator`,
				"query", "--locator", loc, "Demo.HelloServer.HelloObj")
		})
	}
}

// --data names the same mistakes the same way in every command: a directory, a
// file that does not exist (for the commands that only read it), a JSON document,
// a file of another kind; no message repeats the path.
func TestCLI_dataFileErrorsReadTheSame(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.bin")
	require.NoError(t, os.WriteFile(garbage, []byte(strings.Repeat("garbage\n", 1000)), 0o600))
	missing := filepath.Join(dir, "missing.db")
	unreachable := "--dsn=root@tcp(127.0.0.1:1)/db_tars?timeout=1s"
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"dump of a directory", []string{"dump", "--data", dir}, exitFailure, "cache file " + dir + " is a directory: want a file, e.g. --data " + dir + "/tarscache.db"},
		{"check of a directory", []string{"check", "--data", dir}, exitFailure, "cache file " + dir + " is a directory"},
		{"export of a directory", []string{"export", "--data", dir}, exitFailure, "cache file " + dir + " is a directory"},
		{"sync into a directory", []string{"sync", unreachable, "--data", dir}, exitFailure, "cache file " + dir + " is a directory"},
		{"serve of a directory", []string{"serve", "--data", dir}, exitUsage, "cache file " + dir + " is a directory"},
		{"check of a JSON document", []string{"check", "--data", sampleRecords()}, exitFailure,
			"cache file " + sampleRecords() + `: not a tarscache file: it holds JSON ("tarscache import" loads a records document into a cache file)`},
		{"dump of a JSON document", []string{"dump", "--data", sampleRecords()}, exitFailure, "not a tarscache file: it holds JSON"},
		{"check of another kind of file", []string{"check", "--data", garbage}, exitFailure, "cache file " + garbage + ": not a tarscache file: it is not a bbolt database"},
		{"dump of a missing file", []string{"dump", "--data", missing}, exitFailure,
			"cache file " + missing + ` does not exist ("tarscache sync" or "tarscache import" creates it)`},
		{"sync into a missing directory", []string{"sync", unreachable, "--data", filepath.Join(missing, "x.db")}, exitFailure,
			"cache file " + filepath.Join(missing, "x.db") + ": directory " + missing + " does not exist"},
		{"empty --data", []string{"check", "--data", ""}, exitUsage, "--data is empty: want the cache FILE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireFailure(t, tc.code, tc.msg, tc.args...)
			_, _, errOut := runCLI(tc.args...)
			path := tc.args[len(tc.args)-1]
			require.NotContains(t, errOut, "open "+path+": open "+path, "the path once")
		})
	}
}

// DSN mistakes are usage errors saying the syntax; a database that does not
// answer fails within the DSN's connect timeout, naming the address; a refused
// login names the address and the user. The password never shows.
func TestCLI_dsnMistakes(t *testing.T) {
	silent := silentAddr(t)
	path := filepath.Join(t.TempDir(), "tarscache.db")
	cases := []struct {
		name string
		dsn  string
		code int
		msg  string
	}{
		{"no database", "root:s3cret@tcp(127.0.0.1:3306)/", exitUsage, "--dsn root:xxxxx@tcp(127.0.0.1:3306)/ names no database: end it with /db_tars"},
		{"a URL", "mysql://root:s3cret@127.0.0.1:3306/db_tars", exitUsage, "--dsn is a mysql:// URL: want go-sql-driver syntax user:password@tcp(host:port)/db_tars"},
		{"no tcp()", "root:s3cret@127.0.0.1:3306/db_tars", exitUsage, "--dsn: write the address as tcp(HOST:PORT)"},
		{"no slash", "root:s3cret@tcp(127.0.0.1:3306)", exitUsage, "want go-sql-driver syntax user:password@tcp(host:port)/db_tars"},
		{"silent database", "root:s3cret@tcp(" + silent + ")/db_tars?timeout=1s", exitFailure,
			"connect to MySQL at " + silent + ": no answer within 1s (timeout=2s in the DSN waits longer)"},
		{"wrong password", "root:s3cret@tcp(127.0.0.1:3306)/db_tars", exitFailure, `connect to MySQL at 127.0.0.1:3306 as "root": Error 1045`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range [][]string{{"sync", "--data", path}, {"sync", "--dry-run", "--data", path}, {"db", "migrate"}} {
				args := append(cmd, "--dsn", tc.dsn)
				requireFailure(t, tc.code, tc.msg, args...)
				_, _, errOut := runCLI(args...)
				require.NotContains(t, errOut, "s3cret")
			}
			require.NoFileExists(t, path, "a failed sync leaves no file")
		})
	}
	requireFailure(t, exitUsage, "names no database", "serve", "--listen", "127.0.0.1:0", "--admin", "off", "--data", path, "--dsn", "root@tcp(127.0.0.1:3306)/")
	require.NoFileExists(t, path)
}

// silentAddr returns a loopback address that accepts connections (in the kernel's
// backlog) and never says a word.
func silentAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// A run that fails creates nothing: a sync refused by the database, a serve that
// cannot bind its port.
func TestCLI_failedRunsLeaveNoFile(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "tarscache.db")
	badPassword := strings.Replace(db.DSN, "root@", "root:wrong@", 1)
	requireFailure(t, exitFailure, "Access denied", "sync", "--dsn", badPassword, "--data", path)
	require.NoFileExists(t, path)

	busy := busyPort(t)
	requireFailure(t, exitFailure, "address already in use (another tarscache or a Tars registry on "+busy+"? --listen picks another address)",
		"serve", "--dsn", db.DSN, "--data", path, "--listen", busy, "--admin", "off")
	require.NoFileExists(t, path)
	requireFailure(t, exitFailure, "address already in use (another tarscache or a Tars registry on "+busy+"? --admin picks another address)",
		"serve", "--dsn", db.DSN, "--data", path, "--listen", "127.0.0.1:0", "--admin", busy)
	require.NoFileExists(t, path)
}

// sync names every row it rejects, and has --log-level.
func TestSync_namesRejectedRows(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "tarscache.db")
	code, out, errOut := runCLI("sync", "--dsn", db.DSN, "--data", path)
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "21 rows read, 1 rejected")
	require.Contains(t, out, "\nrejected: t_adapter_conf row Demo.HelloServer@10.0.0.12/Demo.HelloServer.AdminObjAdapter: "+
		`bad endpoint "tcp -h 10.0.0.12 -p 80abc -t 3000": option -p: "80abc" is not an integer`+"\n")
	require.Empty(t, errOut, "the default --log-level error logs nothing on a good sync")

	code, _, errOut = runCLI("sync", "--dsn", db.DSN, "--data", path, "--log-level", "debug")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, errOut, "level=WARN msg=\"row dropped\"")
	requireFailure(t, exitUsage, `--log-level "loud": want debug, info, warn or error`, "sync", "--dsn", db.DSN, "--data", path, "--log-level", "loud")
}

// A dry run on a file that does not exist yet previews the first sync against an
// empty cache, and creates nothing.
func TestSync_dryRunOfAFileNotYetCreated(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "fresh.db")
	code, out, errOut := runCLI("sync", "--dry-run", "--dsn", db.DSN, "--data", path)
	require.Equal(t, exitOK, code, errOut)
	require.True(t, strings.HasPrefix(out, path+" does not exist yet: the sync would create it\n"+
		"dry run, nothing written to "+path+": 10 servants would be added, 0 changed, 0 removed, 0 unchanged;"), out)
	require.Contains(t, out, "+ Demo.HelloServer.HelloObj\n")
	require.Contains(t, out, "rejected: t_adapter_conf row Demo.HelloServer@10.0.0.12")
	require.NoFileExists(t, path)
}

// import --replace makes a file that counts as never synced, as the README says:
// no last-sync time of the database the file was synced from survives.
func TestImport_replaceForgetsTheLastSync(t *testing.T) {
	db := testdb.New(t, "sample.sql")
	path := filepath.Join(t.TempDir(), "tarscache.db")
	code, _, errOut := runCLI("sync", "--dsn", db.DSN, "--data", path)
	require.Equal(t, exitOK, code, errOut)
	_, out, _ := runCLI("check", "--data", path)
	require.NotContains(t, out, "last sync never")

	code, out, errOut = runCLI("import", "--replace", "--data", path, sampleRecords())
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "imported 10 servants into "+path+" (0 written, 0 deleted, 10 unchanged)\n", out)
	_, out, _ = runCLI("check", "--data", path)
	require.Equal(t, path+": ok, 10 servants, last sync never\n", out)
	_, out, _ = runCLI("dump", "--data", path)
	require.Contains(t, out, "# last sync: never (a new or imported file)\n")
}

// import into a file that does not exist creates it only when the document is
// good; through a symbolic link it replaces the file the link names.
func TestImport_createsNothingOnFailureAndFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"format":"tarscache-records/1","servants":[{"id":"","endpoints":[]}]}`), 0o600))
	path := filepath.Join(dir, "new.db")
	code, _, _ := runCLI("import", "--data", path, bad)
	require.Equal(t, exitFailure, code)
	require.NoFileExists(t, path)

	target := importedFile(t)
	link := filepath.Join(dir, "link.db")
	require.NoError(t, os.Symlink(target, link))
	code, _, errOut := runCLI("import", "--replace", "--data", link, sampleRecords())
	require.Equal(t, exitOK, code, errOut)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	require.NotZero(t, fi.Mode()&os.ModeSymlink, "the link stays a link")
	entries, err := os.ReadDir(filepath.Dir(target))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left beside the target")
}

// make run says which ports it uses, takes ADMIN as it takes LISTEN, and its
// hints use both.
func TestMakeRun_portsAndHints(t *testing.T) {
	out, err := exec.Command("make", "-s", "-n", "-C", "../..", "run", "LISTEN=127.0.0.1:27890", "ADMIN=127.0.0.1:27891").CombinedOutput()
	require.NoError(t, err, "%s", out)
	text := string(out)
	require.Contains(t, text, "serve --dsn \"$dsn\" --data ./tarscache.db --listen 127.0.0.1:27890 --admin 127.0.0.1:27891")
	require.Contains(t, text, "route --admin 127.0.0.1:27891 Shop.OrderServer.OrderObj")
	require.Contains(t, text, "query --locator 127.0.0.1:27890 Demo.HelloServer.HelloObj")
	require.Contains(t, text, "The defaults are the official")
	require.Contains(t, text, "-p 80abc")
	require.NotContains(t, text, "127.0.0.1:17891")
}
