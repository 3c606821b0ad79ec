package tars

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/current"
	"github.com/TarsCloud/TarsGo/tars/util/tools"

	"github.com/tarscache/tarscache/protocol/queryf"
)

// ServantName is the object name Tars clients use for the locator.
const ServantName = "tars.tarsregistry.QueryObj"

// dispatcher answers one decoded request packet.
type dispatcher struct {
	servant string
	// maxReply is the largest reply sent (Options.MaxReplyBytes).
	maxReply int
	handler  *Handler
	queryf   *queryf.QueryF
	logger   *slog.Logger
	metrics  *metrics
}

// peer is the remote address of a connection.
type peer struct{ ip, port string }

// String is the address as logs show it under the key "peer", always host:port
// (an IPv6 host in brackets), as net.Conn.RemoteAddr prints it.
func (p peer) String() string { return net.JoinHostPort(p.ip, p.port) }

// handle answers one framed request and returns dst with the framed reply
// appended (dst unchanged when none is due: one-way calls). The packet is
// checked by checkWire first; the list methods of stock clients are then read in
// place and answered by the fast path, everything else is decoded by TarsGo. A
// packet that does not decode returns an error: the connection cannot be trusted
// to stay in step and is closed. Nothing of pkt is kept once handle returns.
func (d *dispatcher) handle(dst, pkt []byte, p peer) ([]byte, error) {
	start := time.Now()
	body := pkt[4:]
	if err := checkWire(body, false); err != nil {
		d.metrics.method(otherMethod).results[resultBadRequest].Inc()
		return dst, notTarsError{fmt.Errorf("decode request packet: %w", err)}
	}
	if r, ok := parseRequest(body); ok {
		if out, ok := d.fastReply(dst, &r, p); ok {
			mm := d.metrics.method(r.function)
			defer observe(mm, start)
			return d.cappedFast(dst, out, &r, mm)
		}
	}
	var req requestf.RequestPacket
	if err := decodeChecked(body, &req); err != nil {
		d.metrics.method(otherMethod).results[resultBadRequest].Inc()
		return dst, notTarsError{fmt.Errorf("decode request packet: %w", err)}
	}
	mm := d.metrics.method(req.SFuncName)
	defer observe(mm, start)
	rsp, res := d.answer(&req, p)
	if req.CPacketType == basef.TARSONEWAY {
		mm.results[res].Inc()
		return dst, nil
	}
	out, err := encodeResponse(&rsp)
	out, err = d.capped(&req, mm, res, out, err)
	return append(dst, out...), err
}

// observe times a request in its method's histogram.
func observe(mm *methodMetrics, start time.Time) { mm.duration.Observe(time.Since(start).Seconds()) }

// cappedFast counts a fast-path reply, the bytes of out after dst, and returns
// out; a reply larger than clients accept is replaced as capped replaces it.
func (d *dispatcher) cappedFast(dst, out []byte, r *request, mm *methodMetrics) ([]byte, error) {
	if len(out)-len(dst) <= d.maxReply {
		mm.results[resultOK].Inc()
		return out, nil
	}
	req := requestf.RequestPacket{IVersion: r.version, CPacketType: r.packetType, IRequestId: r.requestID, SFuncName: r.function}
	errReply, err := d.capped(&req, mm, resultOK, out[len(dst):], nil)
	return append(dst, errReply...), err
}

// capped counts a request's result and returns its reply, unless the reply is
// larger than clients accept: then the reply is TARSSERVERUNKNOWNERR saying so,
// counted as reply_too_large, rather than a packet the client drops (TarsGo's
// clients refuse packets beyond 10 MiB and time out).
func (d *dispatcher) capped(req *requestf.RequestPacket, mm *methodMetrics, res result, out []byte, err error) ([]byte, error) {
	if err != nil || len(out) <= d.maxReply {
		mm.results[res].Inc()
		return out, err
	}
	mm.results[resultTooLarge].Inc()
	d.logger.Debug("QueryF reply too large for clients: answered with an error", "method", req.SFuncName, "bytes", len(out), "max", d.maxReply)
	rsp := reply(req, basef.TARSSERVERUNKNOWNERR, fmt.Sprintf("tarscache: the answer is %d bytes, more than the %d bytes Tars clients accept "+
		"(the servant has too many endpoints for one reply)", len(out), d.maxReply))
	return encodeResponse(&rsp)
}

// decodeChecked decodes a request packet that checkWire passed. TarsGo's decoder
// trusts the lengths it reads; the check refuses those it would not survive, and
// the recover stands guard for anything the check misses.
func decodeChecked(b []byte, req *requestf.RequestPacket) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	return req.ReadFrom(codec.NewReader(b))
}

// checkArguments checks the encoding of a request's arguments before the
// generated code decodes them: Tars arguments are a Tars encoding, TUP ones a map
// of Tars encodings; JSON ones are left to encoding/json.
func checkArguments(req *requestf.RequestPacket) error {
	switch req.IVersion {
	case basef.TARSVERSION:
		return checkWire(tools.Int8ToByte(req.SBuffer), false)
	case basef.TUPVERSION:
		return checkWire(tools.Int8ToByte(req.SBuffer), true)
	}
	return nil
}

// answer builds the response packet of req and says how the request ended.
func (d *dispatcher) answer(req *requestf.RequestPacket, p peer) (requestf.ResponsePacket, result) {
	switch {
	case req.SFuncName == "tars_ping":
		return reply(req, basef.TARSSERVERSUCCESS, ""), resultOK
	case req.SServantName != d.servant:
		return reply(req, basef.TARSSERVERNOSERVANTERR, fmt.Sprintf("no servant %q here, only %q", req.SServantName, d.servant)), resultNoServant
	case !knownMethod(req.SFuncName):
		return reply(req, basef.TARSSERVERNOFUNCERR, fmt.Sprintf("no method %q", req.SFuncName)), resultNoMethod
	}
	if err := checkArguments(req); err != nil {
		return reply(req, basef.TARSSERVERDECODEERR, fmt.Sprintf("decode %s arguments: %v", req.SFuncName, err)), resultBadRequest
	}
	return d.call(req, p)
}

// call runs the generated dispatcher, turning errors and panics into Tars codes.
func (d *dispatcher) call(req *requestf.RequestPacket, p peer) (rsp requestf.ResponsePacket, res result) {
	defer func() {
		if r := recover(); r != nil {
			d.logger.Error("QueryF handler panicked", "method", req.SFuncName, "peer", p.String(), "panic", r, "stack", string(debug.Stack()))
			rsp, res = reply(req, basef.TARSSERVERUNKNOWNERR, "internal error"), resultInternal
		}
	}()
	err := d.queryf.Dispatch(requestContext(req, p), d.handler, req, &rsp, true)
	switch {
	case errors.Is(err, ErrStale):
		return reply(req, basef.TARSSERVERUNKNOWNERR, err.Error()), resultStale
	case err != nil:
		return reply(req, basef.TARSSERVERDECODEERR, fmt.Sprintf("decode %s arguments: %v", req.SFuncName, err)), resultBadRequest
	}
	rsp.CPacketType = req.CPacketType
	return rsp, resultOK
}

// requestContext carries the peer and the request's context and status maps to
// the handler, as TarsGo's own servers do.
func requestContext(req *requestf.RequestPacket, p peer) context.Context {
	ctx := current.ContextWithTarsCurrent(context.Background())
	current.SetClientIPWithContext(ctx, p.ip)
	current.SetClientPortWithContext(ctx, p.port)
	current.SetRequestContext(ctx, req.Context)
	current.SetRequestStatus(ctx, req.Status)
	return ctx
}

func reply(req *requestf.RequestPacket, ret int32, desc string) requestf.ResponsePacket {
	return requestf.ResponsePacket{IVersion: req.IVersion, CPacketType: req.CPacketType,
		IRequestId: req.IRequestId, IRet: ret, SResultDesc: desc}
}

// encodeResponse frames a response: a 4-byte big-endian length that counts itself,
// then the packet. TUP clients get the packet as a RequestPacket, as TarsGo does.
func encodeResponse(rsp *requestf.ResponsePacket) ([]byte, error) {
	buf := codec.NewBuffer()
	_ = buf.WriteSliceInt8(make([]int8, 4))
	var err error
	if rsp.IVersion == basef.TUPVERSION {
		err = tupPacket(rsp).WriteTo(buf)
	} else {
		err = rsp.WriteTo(buf)
	}
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	out := buf.ToBytes()
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	return out, nil
}

// tupPacket is the TUP form of rsp. A TUP reply has no iRet field: an error's
// code and description travel in the status map, under the keys the C++ and Java
// clients read.
func tupPacket(rsp *requestf.ResponsePacket) *requestf.RequestPacket {
	status := rsp.Status
	if rsp.IRet != basef.TARSSERVERSUCCESS {
		status = maps.Clone(status)
		if status == nil {
			status = map[string]string{}
		}
		status[StatusResultCode] = strconv.Itoa(int(rsp.IRet))
		status[StatusResultDesc] = rsp.SResultDesc
	}
	return &requestf.RequestPacket{IVersion: rsp.IVersion, IRequestId: rsp.IRequestId, IMessageType: rsp.IMessageType,
		CPacketType: rsp.CPacketType, Context: rsp.Context, Status: status, SBuffer: rsp.SBuffer}
}

// Status keys of a TUP reply's error, as the Tars C++ framework writes them.
const (
	StatusResultCode = "STATUS_RESULT_CODE"
	StatusResultDesc = "STATUS_RESULT_DESC"
)
