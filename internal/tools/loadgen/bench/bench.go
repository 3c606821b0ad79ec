package bench

import (
	"fmt"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/tools"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// ServantID is the servant the load asks for.
const ServantID = "Bench.LoadServer.LoadObj"

// Markers of the scale section of docs/benchmarks.md: make bench-scale (loadgen
// -scale) replaces what lies between them, and make bench (benchreport) keeps it.
const (
	ScaleBegin = "<!-- bench-scale: written by make bench-scale; make bench keeps it -->"
	ScaleEnd   = "<!-- /bench-scale -->"
)

// Servant is the benchmark servant: 10 active tcp endpoints.
func Servant() snapshot.Servant {
	s := snapshot.Servant{ID: ServantID}
	for i := range 10 {
		host := fmt.Sprintf("10.0.1.%d", i+1)
		s.Endpoints = append(s.Endpoints, snapshot.Endpoint{Active: true, Proto: 1, Host: host, Port: 10015, Timeout: 60000,
			Weight: -1, NodeName: host, Origin: "Bench.LoadServer@" + host + "/LoadObjAdapter"})
	}
	return s
}

// Request is the framed findObjectByIdInSameGroup request for ServantID to servant
// (the locator's object name), with request id id.
func Request(servant string, id int32) []byte { return RequestFor(servant, id, ServantID) }

// RequestFor is Request for the servant id lookup.
func RequestFor(servant string, id int32, lookup string) []byte {
	args := codec.NewBuffer()
	_ = args.WriteString(lookup, 1)
	req := &requestf.RequestPacket{IVersion: basef.TARSVERSION, IRequestId: id, SServantName: servant,
		SFuncName: "findObjectByIdInSameGroup", SBuffer: tools.ByteToInt8(args.ToBytes()), ITimeout: 3000}
	buf := codec.NewBuffer()
	_ = buf.WriteSliceInt8(make([]int8, 4))
	_ = req.WriteTo(buf)
	out := buf.ToBytes()
	out[0], out[1], out[2], out[3] = byte(len(out)>>24), byte(len(out)>>16), byte(len(out)>>8), byte(len(out))
	return out
}
