package endpoint

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// ErrBad is returned (wrapped, with the offending text and the reason) when an endpoint
// string does not follow the Tars endpoint grammar. The official registry skips rows
// with such strings; so does tarscache, counting and logging them.
var ErrBad = errors.New("bad endpoint")

// Address is an endpoint string of t_adapter_conf or t_registry_info, parsed and normalised
// exactly as the official registry does before it builds an EndpointF.
type Address struct {
	Proto      int32  // EndpointF.istcp: 0 udp, 1 tcp, 2 ssl
	Host       string // -h verbatim; "*" and absent become "0.0.0.0"
	Port       int32  // -p, 0..65535; absent 0
	Timeout    int32  // -t; absent 3000
	Weight     int32  // -w after normalisation (see Parse)
	WeightType int32  // -v; absent 0
	AuthType   int32  // -e, 0 or 1; absent 0
}

// Parse parses s the way TarsCpp's TC_Endpoint::parse does, for example
// "tcp -h 10.0.0.1 -p 10015 -t 60000". The first word is the protocol (tcp, udp or ssl);
// options -h, -p, -t, -g, -q, -w, -v and -e follow in any order, the last of a repeated
// option wins, and options with other letters are ignored. When -v is not 0 the weight
// becomes 100 if -w is absent and is capped at 100 otherwise; when -v is 0 an absent -w
// gives -1. Errors wrap ErrBad and say what is wrong, e.g.
//
//	bad endpoint "tcp -h 1.2.3.4 -p 80abc": option -p: "80abc" is not an integer
func Parse(s string) (Address, error) {
	p := parser{src: s}
	if err := p.protocol(); err != nil {
		return Address{}, err
	}
	if err := p.options(); err != nil {
		return Address{}, err
	}
	p.normaliseWeight()
	return p.addr, nil
}

// parser walks an endpoint string token by token without allocating.
type parser struct {
	src  string  // the whole endpoint string
	pos  int     // index of the first byte not yet read
	addr Address // the result so far
}

// isSpace reports whether c separates tokens, as TarsCpp's " \t\n\r" delimiter set does.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// skipSpace advances past whitespace and reports whether a token follows.
func (p *parser) skipSpace() bool {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
	return p.pos < len(p.src)
}

// token returns the next token, or "" when the string is exhausted.
func (p *parser) token() string {
	if !p.skipSpace() {
		return ""
	}
	start := p.pos
	for p.pos < len(p.src) && !isSpace(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// argument returns the next token as an option argument, or "" without consuming it
// when there is none or it starts with '-'.
func (p *parser) argument() string {
	if !p.skipSpace() || p.src[p.pos] == '-' {
		return ""
	}
	return p.token()
}

// protocol reads the first token and sets the defaults of a fresh TC_Endpoint.
func (p *parser) protocol() error {
	word := p.token()
	switch word {
	case "":
		return p.bad("empty endpoint")
	case "udp", "tcp", "ssl":
		p.addr = Address{Proto: protoOf(word), Host: "0.0.0.0", Timeout: 3000, Weight: -1}
		return nil
	}
	return p.bad(fmt.Sprintf("protocol %q is not tcp, udp or ssl", word))
}

// protoOf maps a protocol word to EndpointF.istcp.
func protoOf(word string) int32 {
	switch word {
	case "tcp":
		return 1
	case "ssl":
		return 2
	}
	return 0
}

// options reads option tokens and their arguments until the string is exhausted.
func (p *parser) options() error {
	for opt := p.token(); opt != ""; opt = p.token() {
		if len(opt) != 2 || opt[0] != '-' {
			return p.bad(fmt.Sprintf("%q is not an option (options are - and one letter)", opt))
		}
		if err := p.option(opt, p.argument()); err != nil {
			return err
		}
	}
	return nil
}

// option applies one option; unknown letters are ignored like TarsCpp does.
func (p *parser) option(opt, arg string) error {
	var err error
	switch opt[1] {
	case 'h':
		p.addr.Host, err = p.host(opt, arg)
	case 'p':
		p.addr.Port, err = p.integer(opt, arg, 0, 65535)
	case 't':
		p.addr.Timeout, err = p.integer(opt, arg, math.MinInt32, math.MaxInt32)
	case 'g', 'q':
		_, err = p.integer(opt, arg, math.MinInt32, math.MaxInt32)
	case 'w':
		p.addr.Weight, err = p.integer(opt, arg, math.MinInt32, math.MaxInt32)
	case 'v':
		p.addr.WeightType, err = p.integer(opt, arg, math.MinInt32, math.MaxInt32)
	case 'e':
		p.addr.AuthType, err = p.integer(opt, arg, 0, 1)
	}
	return err
}

// host validates the argument of -h and maps "*" to "0.0.0.0".
func (p *parser) host(opt, arg string) (string, error) {
	switch arg {
	case "":
		return "", p.needsValue(opt)
	case "*":
		return "0.0.0.0", nil
	}
	return arg, nil
}

// integer parses arg like C++ istringstream >> int that must consume the whole token:
// an optional sign and decimal digits, within lo..hi.
func (p *parser) integer(opt, arg string, lo, hi int64) (int32, error) {
	if arg == "" {
		return 0, p.needsValue(opt)
	}
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, p.bad(fmt.Sprintf("option %s: %q is not an integer", opt, arg))
	}
	if err != nil || n < lo || n > hi {
		return 0, p.bad(fmt.Sprintf("option %s: %q is out of range %d..%d", opt, arg, lo, hi))
	}
	return int32(n), nil
}

// normaliseWeight applies TarsCpp's rule: with a weight type, weight defaults to 100 and
// is capped at 100. Weight is still -1 here exactly when -w was absent, because an
// argument never starts with '-'.
func (p *parser) normaliseWeight() {
	if p.addr.WeightType == 0 {
		return
	}
	if p.addr.Weight == -1 {
		p.addr.Weight = 100
	}
	p.addr.Weight = min(p.addr.Weight, 100)
}

// needsValue reports an option given without its argument.
// A negative number there is named: TarsCpp reads it as the next option, since
// a value never starts with '-'.
func (p *parser) needsValue(opt string) error {
	if next := p.token(); len(next) > 1 && next[0] == '-' && next[1] >= '0' && next[1] <= '9' {
		return p.bad(fmt.Sprintf("option %s needs a value: %q is read as an option, as TarsCpp reads it (a value never starts with '-')", opt, next))
	}
	return p.bad(fmt.Sprintf("option %s needs a value", opt))
}

// bad wraps ErrBad with the input and the reason it was rejected.
func (p *parser) bad(reason string) error {
	return fmt.Errorf("%w %q: %s", ErrBad, p.src, reason)
}

// Endpoint returns the record endpoint of a: the address fields set, the others
// (state, node, group, set and subset columns) zero, for the caller to fill in.
func (a Address) Endpoint() snapshot.Endpoint {
	return snapshot.Endpoint{Proto: a.Proto, Host: a.Host, Port: a.Port, Timeout: a.Timeout,
		Weight: a.Weight, WeightType: a.WeightType, AuthType: a.AuthType}
}
