package protocol_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// generatedDirs are the packages tars2go writes from the IDL.
var generatedDirs = []string{"endpointf", "queryf"}

// The committed generated code is exactly what the pinned tars2go makes of the
// committed IDL; run "make generate" after editing a .tars file.
func TestGeneratedCodeIsUpToDate(t *testing.T) {
	out, err := exec.Command("go", "tool", "-n", "tars2go").Output()
	require.NoError(t, err, "go tool -n tars2go")
	tars2go := strings.TrimSpace(string(out))

	work := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(work, "protocol"), 0o755))
	for _, f := range []string{"EndpointF.tars", "QueryF.tars"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(work, "protocol", f), b, 0o644))
	}
	gen := exec.Command(tars2go, "-module", "github.com/tarscache/tarscache", "-outdir", "protocol", "-without-trace",
		"protocol/EndpointF.tars", "protocol/QueryF.tars")
	gen.Dir = work
	b, err := gen.CombinedOutput()
	require.NoError(t, err, "tars2go: %s", b)

	for _, dir := range generatedDirs {
		require.Equal(t, readDir(t, filepath.Join(work, "protocol", dir)), readDir(t, dir),
			"protocol/%s is out of date with the IDL: run make generate", dir)
	}
}

// readDir returns the files of dir by name.
func readDir(t *testing.T, dir string) map[string]string {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		files[e.Name()] = string(b)
	}
	return files
}
