package sync

import (
	"database/sql"
	"errors"
	"fmt"
)

// A scan of a large table reads its rows on a goroutine of its own, ahead of
// the join that uses them: the driver's work (reading and splitting packets,
// one allocation per column) and the join's then run on both cores, and the
// join no longer waits for MySQL's next packet. The reader copies each batch
// of rows into a buffer the join owns until it hands the batch back, so the
// join sees each row's columns as it did through sql.RawBytes: valid until it
// moves to the next batch.

// Read-ahead sizes: rows per batch, and batches in flight (filled or being
// filled) besides the one the join reads. Both sides block less often with
// larger batches: 1,024 rows × 4 read a million rows about 0.3 s faster than
// 256 × 2 (unchanged 1M sync, alternating pairs), for about 1 MB of buffers.
const (
	readAheadRows    = 1024
	readAheadBatches = 4
)

// errScanEnd ends the last batch of a scan that ran out of rows.
var errScanEnd = errors.New("no more rows")

// rowBatch is a run of scanned rows: column c of row r is
// text[ends[r*cols+c-1]:ends[r*cols+c]] (from 0 for the first), NULL when
// nulls[r*cols+c] is set.
type rowBatch struct {
	cols  int
	rows  int
	text  []byte
	ends  []int
	nulls []bool
	// err, set on the last batch only, is how the scan ended: errScanEnd when
	// it ran out of rows.
	err error
}

// reset empties b for rows of cols columns.
func (b *rowBatch) reset(cols int) {
	b.cols, b.rows, b.err = cols, 0, nil
	b.text, b.ends, b.nulls = b.text[:0], b.ends[:0], b.nulls[:0]
}

// add copies the columns of one row, as scanned: nil is NULL.
func (b *rowBatch) add(cols []sql.RawBytes) {
	for _, c := range cols {
		b.text = append(b.text, c...)
		b.ends = append(b.ends, len(b.text))
		b.nulls = append(b.nulls, c == nil)
	}
	b.rows++
}

// row points fields at the columns of row r.
func (b *rowBatch) row(r int, fields []field) {
	at := r * b.cols
	start := 0
	if at > 0 {
		start = b.ends[at-1]
	}
	for c := range fields {
		end := b.ends[at+c]
		fields[c] = field{b: b.text[start:end:end], null: b.nulls[at+c]}
		start = end
	}
}

// readAhead scans the rows of rs into batches on a goroutine of its own and
// hands them to each, one row at a time through fields, on the caller's
// goroutine. It stops at the first error of either side, and returns only once
// the reader has stopped; the caller closes rs afterwards. A panic of the
// reader is raised again on the caller's goroutine.
func readAhead(rs *sql.Rows, fields []field, each func() error) error {
	full := make(chan *rowBatch, readAheadBatches)
	free := make(chan *rowBatch, readAheadBatches+1)
	for range readAheadBatches + 1 {
		free <- &rowBatch{}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	var panicked any // a panic of the reader (a bug), raised again here
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		readBatches(rs, len(fields), full, free, stop)
	}()
	err := consume(fields, each, full, free)
	close(stop)
	<-done
	if panicked != nil {
		panic(panicked)
	}
	return err
}

// consume hands every row of the batches on full to each, giving each batch
// back on free once read, until the last batch.
func consume(fields []field, each func() error, full <-chan *rowBatch, free chan<- *rowBatch) error {
	for b := range full {
		for r := range b.rows {
			b.row(r, fields)
			if err := each(); err != nil {
				return err
			}
		}
		if b.err == errScanEnd {
			return nil
		}
		if b.err != nil {
			return b.err
		}
		free <- b
	}
	return nil
}

// readBatches fills batches from free with the rows of rs and sends them on
// full, the last one carrying the end of the scan (errScanEnd when it ran
// out), then closes full. It gives up when stop closes.
func readBatches(rs *sql.Rows, cols int, full chan<- *rowBatch, free <-chan *rowBatch, stop <-chan struct{}) {
	defer close(full)
	// sql.RawBytes takes database/sql's shortest path for each column: the
	// driver's bytes as they are, nil for NULL (a Scanner of our own cost two
	// type switches and an interface assertion per column, a million rows
	// times thirteen columns).
	scanned := make([]sql.RawBytes, cols)
	dest := make([]any, cols)
	for i := range scanned {
		dest[i] = &scanned[i]
	}
	for n := 1; ; {
		var b *rowBatch
		select {
		case b = <-free:
		case <-stop:
			return
		}
		b.reset(cols)
		for b.rows < readAheadRows && b.err == nil {
			if !rs.Next() {
				b.err = rs.Err()
				if b.err == nil {
					b.err = errScanEnd
				}
				break
			}
			if err := rs.Scan(dest...); err != nil {
				b.err = fmt.Errorf("row %d: %w", n, err)
				break
			}
			b.add(scanned)
			n++
		}
		select {
		case full <- b:
		case <-stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}
