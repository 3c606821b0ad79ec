package progress_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tarscache/tarscache/internal/progress"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer safe for the Line's goroutine and the test.
type syncBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A terminal sees the step redrawn in place with its status and elapsed time, then
// erased; anything else sees nothing.
func TestLine(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var mu gosync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	tick := make(chan time.Time)
	out := &syncBuffer{}
	c := progress.NewCounter(2000)
	w := c.Writer(io.Discard)

	l := progress.Start(out, "exporting 10 servants", c.Status, progress.Options{Force: true, Tick: tick, Now: clock})
	_, _ = w.Write(make([]byte, 1500))
	advance(1500 * time.Millisecond)
	tick <- now
	l.Stop()
	want := "\r\x1b[Kexporting 10 servants: 0 B of 2.0 KB (0%) (0s)" +
		"\r\x1b[Kexporting 10 servants: 1.5 KB of 2.0 KB (75%) (1.5s)" + "\r\x1b[K"
	require.Equal(t, want, out.String())

	quiet := &bytes.Buffer{}
	progress.Start(quiet, "exporting", nil, progress.Options{}).Stop()
	require.Empty(t, quiet.String(), "a buffer is not a terminal")
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 12_345: "12.3 KB", 4_500_000: "4.5 MB", 3e9: "3.0 GB"} {
		require.Equal(t, want, progress.Bytes(n))
	}
	require.True(t, strings.HasSuffix(progress.NewCounter(0).Status(), "0 B"))
}

// Files, pipes and /dev/null are not terminals: nothing is drawn on them.
func TestIsTerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer devNull.Close()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	for _, f := range []*os.File{devNull, w} {
		require.False(t, progress.IsTerminal(f), f.Name())
	}
	require.False(t, progress.IsTerminal(&bytes.Buffer{}))
}
