package sync

// A full fetch's join and its build run on two goroutines: the join (finding
// each adapter's server and assembling the Row) hands its rows, copied, in
// batches to a goroutine that builds them into records (parsing each endpoint,
// comparing each servant with its stored record), so that on two cores the two
// overlap instead of taking turns. The builder is touched by that goroutine
// alone until it is waited for.

// Build-ahead sizes: rows per batch, and batches in flight besides the one the
// join fills.
const (
	buildAheadRows    = 1024
	buildAheadBatches = 4
)

// buildAhead builds rows into b on a goroutine of its own.
type buildAhead struct {
	b     *builder
	batch []Row
	full  chan []Row
	free  chan []Row
	done  chan struct{}
	// panicked is what the build goroutine panicked with (a bug), raised again
	// by wait on the goroutine that owns the fetch.
	panicked any
}

// startBuildAhead starts building rows into b; the caller must wait.
func startBuildAhead(b *builder) *buildAhead {
	a := &buildAhead{b: b}
	a.start()
	return a
}

func (a *buildAhead) start() {
	a.full = make(chan []Row, buildAheadBatches)
	a.free = make(chan []Row, buildAheadBatches+1)
	for range buildAheadBatches + 1 {
		a.free <- make([]Row, 0, buildAheadRows)
	}
	a.batch = <-a.free
	a.done = make(chan struct{})
	go a.run()
}

// run builds the batches on full until it closes, giving each back on free.
func (a *buildAhead) run() {
	defer close(a.done)
	defer func() {
		if r := recover(); r != nil {
			a.panicked = r
			for rows := range a.full { // keep the join going to its end
				a.free <- rows[:0]
			}
		}
	}()
	for rows := range a.full {
		for i := range rows {
			a.b.add(&rows[i])
		}
		a.free <- rows[:0]
	}
}

// add hands a copy of r to the builder (an emit of joinRows).
func (a *buildAhead) add(r *Row) {
	a.batch = append(a.batch, *r)
	if len(a.batch) == cap(a.batch) {
		a.full <- a.batch
		a.batch = <-a.free
	}
}

// wait hands the builder the rows left and returns once it has built them
// all; b is then the caller's again.
func (a *buildAhead) wait() {
	if len(a.batch) > 0 {
		a.full <- a.batch
		a.batch = nil
	}
	close(a.full)
	<-a.done
	if a.panicked != nil {
		panic(a.panicked)
	}
}

// restart forgets every row built (the join is read again from its start) and
// builds the rows that follow.
func (a *buildAhead) restart() {
	a.wait()
	a.b.reset()
	a.start()
}
