package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/tools"

	"github.com/tarscache/tarscache/internal/tools/loadgen/bench"
)

// ids is how many distinct request ids (and pre-encoded packets) a connection cycles
// through; more than any number of requests in flight on it.
const ids = 4096

// target is a server under load: its address and the servant name it answers to.
type target struct {
	name, addr, servant string
}

// conn is one load connection with its pre-encoded requests.
type conn struct {
	c    net.Conn
	r    *bufio.Reader
	pkts [][]byte
}

func dial(t target) (*conn, error) {
	c, err := net.Dial("tcp", t.addr)
	if err != nil {
		return nil, err
	}
	pkts := make([][]byte, ids)
	for i := range pkts {
		pkts[i] = bench.Request(t.servant, int32(i+1))
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 64<<10), pkts: pkts}, nil
}

// send writes the request of sequence number n.
func (c *conn) send(n int) error {
	_, err := c.c.Write(c.pkts[n%ids])
	return err
}

// receive reads one reply and returns its request id; a reply that is not a
// success is an error.
func (c *conn) receive() (int32, error) {
	body, err := c.frame()
	if err != nil {
		return 0, err
	}
	return replyID(body)
}

// frame reads one reply packet and returns it without its length prefix.
func (c *conn) frame() ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(head[:])-4)
	_, err := io.ReadFull(c.r, body)
	return body, err
}

// activeCount reads one findObjectByIdInSameGroup reply and returns the length of
// its active list (tag 2 of its sBuffer).
func (c *conn) activeCount() (int32, error) {
	body, err := c.frame()
	if err != nil {
		return 0, err
	}
	var rsp requestf.ResponsePacket
	if err := rsp.ReadFrom(codec.NewReader(body)); err != nil {
		return 0, err
	}
	r := codec.NewReader(tools.Int8ToByte(rsp.SBuffer))
	if _, _, err := r.SkipToNoCheck(2, true); err != nil {
		return 0, err
	}
	var n int32
	return n, r.ReadInt32(&n, 0, true)
}

// replyID reads iRequestId (tag 3) and checks iRet (tag 5) of a ResponsePacket.
func replyID(b []byte) (int32, error) {
	var id int32
	for want := byte(1); want <= 5; want++ {
		tag, v, rest, ok := readInt(b)
		if !ok || tag != want {
			return 0, fmt.Errorf("reply field %d does not decode", want)
		}
		b = rest
		switch tag {
		case 3:
			id = v
		case 5:
			if v != 0 {
				return 0, fmt.Errorf("reply iRet %d", v)
			}
		}
	}
	return id, nil
}

// readInt reads an integer field (zero, byte, short or int) at the start of b.
func readInt(b []byte) (tag byte, v int32, rest []byte, ok bool) {
	if len(b) == 0 {
		return 0, 0, nil, false
	}
	tag, ty, b := b[0]>>4, b[0]&0x0f, b[1:]
	switch {
	case ty == 12: // zero
		return tag, 0, b, true
	case ty == 0 && len(b) >= 1:
		return tag, int32(int8(b[0])), b[1:], true
	case ty == 1 && len(b) >= 2:
		return tag, int32(int16(binary.BigEndian.Uint16(b))), b[2:], true
	case ty == 2 && len(b) >= 4:
		return tag, int32(binary.BigEndian.Uint32(b)), b[4:], true
	}
	return 0, 0, nil, false
}

// closed keeps depth requests in flight on each of conns connections for d and
// returns the replies per second.
func closed(t target, conns, depth int, d time.Duration) (float64, error) {
	counts := make([]int, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() { counts[i], errs[i] = closedConn(t, depth, d) })
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	return float64(total) / d.Seconds(), errors.Join(errs...)
}

func closedConn(t target, depth int, d time.Duration) (int, error) {
	c, err := dial(t)
	if err != nil {
		return 0, err
	}
	defer c.c.Close()
	sent := 0
	for ; sent < depth; sent++ {
		if err := c.send(sent); err != nil {
			return 0, err
		}
	}
	done, end := 0, time.Now().Add(d)
	for ; time.Now().Before(end); done++ {
		if _, err := c.receive(); err != nil {
			return done, err
		}
		if err := c.send(sent); err != nil {
			return done, err
		}
		sent++
	}
	for range sent - done {
		if _, err := c.receive(); err != nil {
			return done, err
		}
	}
	return done, nil
}

// latencies are the percentiles of an open-loop run.
type latencies struct {
	rate          float64 // replies per second achieved
	p50, p99, max time.Duration
}

// open sends rate requests per second, spread over conns connections, for d, each
// at its scheduled time whatever the replies do, and measures every reply's delay
// from that scheduled time (so a stall counts for every request it delays).
func open(t target, conns int, rate float64, d time.Duration) (latencies, error) {
	all := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() { all[i], errs[i] = openConn(t, rate/float64(conns), d) })
	}
	wg.Wait()
	lat := slices.Concat(all...)
	slices.Sort(lat)
	if len(lat) == 0 {
		return latencies{}, errors.Join(append(errs, errors.New("no reply"))...)
	}
	pick := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	return latencies{rate: float64(len(lat)) / d.Seconds(), p50: pick(.50), p99: pick(.99), max: lat[len(lat)-1]}, errors.Join(errs...)
}

func openConn(t target, rate float64, d time.Duration) ([]time.Duration, error) {
	c, err := dial(t)
	if err != nil {
		return nil, err
	}
	defer c.c.Close()
	n := int(rate * d.Seconds())
	sched := make([]time.Time, ids)
	var mu sync.Mutex // guards sched between the sender and the receiver
	start := time.Now()
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendOnSchedule(c, n, start, rate, sched, &mu) }()
	out := make([]time.Duration, 0, n)
	for range n {
		id, err := c.receive()
		if err != nil {
			return out, err
		}
		mu.Lock()
		at := sched[(int(id)-1)%ids]
		mu.Unlock()
		out = append(out, time.Since(at))
	}
	return out, <-sendErr
}

// sendOnSchedule sends request k at start + k/rate, sleeping between batches.
func sendOnSchedule(c *conn, n int, start time.Time, rate float64, sched []time.Time, mu *sync.Mutex) error {
	for k := 0; k < n; k++ {
		at := start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
		if wait := time.Until(at); wait > 200*time.Microsecond {
			time.Sleep(wait)
		}
		mu.Lock()
		sched[k%ids] = at
		mu.Unlock()
		if err := c.send(k); err != nil {
			return err
		}
	}
	return nil
}
