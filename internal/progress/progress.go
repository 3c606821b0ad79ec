package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// redraw is how often a Line is redrawn.
const redraw = 200 * time.Millisecond

// clearLine returns the cursor to the line's start and erases it.
const clearLine = "\r\x1b[K"

// Options configure Start. Zero fields take their defaults.
type Options struct {
	// Force draws even when the writer is not a terminal (tests).
	Force bool
	// Tick delivers the redraw times; nil means a ticker every 200 ms.
	Tick <-chan time.Time
	// Now is the clock of the elapsed time; nil means time.Now.
	Now func() time.Time
}

// Line is one step's progress line. The zero value is not usable; see Start.
type Line struct {
	w      io.Writer
	label  string
	status func() string
	now    func() time.Time
	start  time.Time
	stop   chan struct{}
	wg     sync.WaitGroup
}

// Start draws label and status() on w, if w is a terminal, until Stop. status
// may be nil.
func Start(w io.Writer, label string, status func() string, opts Options) *Line {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Line{w: w, label: label, status: status, now: opts.Now, start: opts.Now(), stop: make(chan struct{})}
	if !opts.Force && !IsTerminal(w) {
		return l
	}
	l.draw()
	tick, release := ticks(opts.Tick)
	l.wg.Go(func() { defer release(); l.run(tick) })
	return l
}

// ticks returns tick, or a new 200 ms ticker and its release.
func ticks(tick <-chan time.Time) (<-chan time.Time, func()) {
	if tick != nil {
		return tick, func() {}
	}
	t := time.NewTicker(redraw)
	return t.C, t.Stop
}

func (l *Line) run(tick <-chan time.Time) {
	for {
		select {
		case <-l.stop:
			fmt.Fprint(l.w, clearLine)
			return
		case <-tick:
			l.draw()
		}
	}
}

func (l *Line) draw() {
	text := l.label
	if l.status != nil {
		text += ": " + l.status()
	}
	fmt.Fprintf(l.w, "%s%s (%s)", clearLine, text, l.now().Sub(l.start).Round(100*time.Millisecond))
}

// Stop erases the line, if it was drawn, and ends its goroutine.
func (l *Line) Stop() {
	close(l.stop)
	l.wg.Wait()
}

// IsTerminal reports whether w is a terminal (not a pipe, a file or /dev/null).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Bytes formats a byte count for people: 512 B, 12.3 KB, 4.5 MB.
func Bytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}
