package endpoint_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/internal/endpoint"
)

// TestParse_good checks that valid endpoint strings parse and normalise like TarsCpp.
func TestParse_good(t *testing.T) {
	// def is the result of a bare "tcp"; cases change only what they test.
	def := endpoint.Address{Proto: 1, Host: "0.0.0.0", Timeout: 3000, Weight: -1}
	with := func(change func(a *endpoint.Address)) endpoint.Address {
		a := def
		change(&a)
		return a
	}
	tests := []struct {
		name string
		in   string
		want endpoint.Address
	}{
		{"tcp only, all defaults", "tcp", def},
		{"udp", "udp", with(func(a *endpoint.Address) { a.Proto = 0 })},
		{"ssl", "ssl", with(func(a *endpoint.Address) { a.Proto = 2 })},
		{"typical", "tcp -h 10.120.129.226 -t 60000 -p 10015 -e 0 -v 2 -w 80",
			endpoint.Address{Proto: 1, Host: "10.120.129.226", Port: 10015, Timeout: 60000, Weight: 80, WeightType: 2}},
		{"other order", "tcp -w 80 -v 2 -e 0 -p 10015 -t 60000 -h 10.120.129.226",
			endpoint.Address{Proto: 1, Host: "10.120.129.226", Port: 10015, Timeout: 60000, Weight: 80, WeightType: 2}},
		{"host only", "tcp -h 1.2.3.4", with(func(a *endpoint.Address) { a.Host = "1.2.3.4" })},
		{"host name verbatim", "tcp -h Node-1.example", with(func(a *endpoint.Address) { a.Host = "Node-1.example" })},
		{"star host", "tcp -h * -p 80", with(func(a *endpoint.Address) { a.Port = 80 })},
		{"tabs CR LF and padding", "\r\n\ttcp\t-h\r1.2.3.4\n-p \t 80 \r\n",
			with(func(a *endpoint.Address) { a.Host, a.Port = "1.2.3.4", 80 })},
		{"plus sign", "tcp -p +80", with(func(a *endpoint.Address) { a.Port = 80 })},
		{"leading zeros are decimal", "tcp -p 0080", with(func(a *endpoint.Address) { a.Port = 80 })},
		{"port 0", "tcp -p 0", def},
		{"port 65535", "tcp -p 65535", with(func(a *endpoint.Address) { a.Port = 65535 })},
		{"timeout 0", "tcp -t 0", with(func(a *endpoint.Address) { a.Timeout = 0 })},
		{"repeated option last wins", "tcp -h 1.1.1.1 -p 1 -h 2.2.2.2 -p 2",
			with(func(a *endpoint.Address) { a.Host, a.Port = "2.2.2.2", 2 })},
		{"unknown option with argument", "tcp -x 5 -p 80", with(func(a *endpoint.Address) { a.Port = 80 })},
		{"unknown option without argument at end", "tcp -p 80 -Z", with(func(a *endpoint.Address) { a.Port = 80 })},
		{"unknown option followed by option", "tcp -a -p 80", with(func(a *endpoint.Address) { a.Port = 80 })},
		{"unknown digit option", "tcp -1 -p 80", with(func(a *endpoint.Address) { a.Port = 80 })},
		{"grid and qos accepted not kept", "tcp -g 7 -q 9 -p 80", with(func(a *endpoint.Address) { a.Port = 80 })},
		{"auth 0", "tcp -e 0", def},
		{"auth 1", "tcp -e 1", with(func(a *endpoint.Address) { a.AuthType = 1 })},
		{"weight type without weight is 100", "tcp -v 1",
			with(func(a *endpoint.Address) { a.WeightType, a.Weight = 1, 100 })},
		{"weight type caps weight at 100", "tcp -v 2 -w 150",
			with(func(a *endpoint.Address) { a.WeightType, a.Weight = 2, 100 })},
		{"weight type keeps weight 0", "tcp -v 1 -w 0",
			with(func(a *endpoint.Address) { a.WeightType, a.Weight = 1, 0 })},
		{"weight type 0 keeps weight over 100", "tcp -v 0 -w 150", with(func(a *endpoint.Address) { a.Weight = 150 })},
		{"no weight type no weight is -1", "tcp -h 1.2.3.4", with(func(a *endpoint.Address) { a.Host = "1.2.3.4" })},
		{"weight alone kept", "tcp -w 50", with(func(a *endpoint.Address) { a.Weight = 50 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := endpoint.Parse(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestParse_bad checks that malformed endpoint strings are rejected with a precise message.
func TestParse_bad(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", `bad endpoint "": empty endpoint`},
		{"blank", " \t\r\n", `bad endpoint " \t\r\n": empty endpoint`},
		{"unknown protocol", "http -h 1.2.3.4", `bad endpoint "http -h 1.2.3.4": protocol "http" is not tcp, udp or ssl`},
		{"uppercase protocol", "TCP -h 1.2.3.4", `bad endpoint "TCP -h 1.2.3.4": protocol "TCP" is not tcp, udp or ssl`},
		{"option first", "-h 1.2.3.4", `bad endpoint "-h 1.2.3.4": protocol "-h" is not tcp, udp or ssl`},
		{"stray word", "tcp -h 1.2.3.4 extra",
			`bad endpoint "tcp -h 1.2.3.4 extra": "extra" is not an option (options are - and one letter)`},
		{"long option", "tcp -host 1.2.3.4",
			`bad endpoint "tcp -host 1.2.3.4": "-host" is not an option (options are - and one letter)`},
		{"lone dash", "tcp - 1", `bad endpoint "tcp - 1": "-" is not an option (options are - and one letter)`},
		{"host missing at end", "tcp -p 80 -h", `bad endpoint "tcp -p 80 -h": option -h needs a value`},
		{"host missing before option", "tcp -h -p 80", `bad endpoint "tcp -h -p 80": option -h needs a value`},
		{"port trailing garbage", "tcp -h 1.2.3.4 -p 80abc",
			`bad endpoint "tcp -h 1.2.3.4 -p 80abc": option -p: "80abc" is not an integer`},
		{"port too big", "tcp -p 70000", `bad endpoint "tcp -p 70000": option -p: "70000" is out of range 0..65535`},
		{"port negative", "tcp -p -1", `bad endpoint "tcp -p -1": option -p needs a value: "-1" is read as an option, as TarsCpp reads it (a value never starts with '-')`},
		{"port hex", "tcp -p 0x10", `bad endpoint "tcp -p 0x10": option -p: "0x10" is not an integer`},
		{"port underscore", "tcp -p 1_0", `bad endpoint "tcp -p 1_0": option -p: "1_0" is not an integer`},
		{"port sign only", "tcp -p +", `bad endpoint "tcp -p +": option -p: "+" is not an integer`},
		{"weight negative", "tcp -w -1", `bad endpoint "tcp -w -1": option -w needs a value: "-1" is read as an option, as TarsCpp reads it (a value never starts with '-')`},
		{"timeout overflow", "tcp -t 99999999999",
			`bad endpoint "tcp -t 99999999999": option -t: "99999999999" is out of range -2147483648..2147483647`},
		{"timeout int64 overflow", "tcp -t 99999999999999999999",
			`bad endpoint "tcp -t 99999999999999999999": option -t: "99999999999999999999" is out of range -2147483648..2147483647`},
		{"weight type overflow", "tcp -v 2147483648",
			`bad endpoint "tcp -v 2147483648": option -v: "2147483648" is out of range -2147483648..2147483647`},
		{"auth 2", "tcp -e 2", `bad endpoint "tcp -e 2": option -e: "2" is out of range 0..1`},
		{"grid not integer", "tcp -g x", `bad endpoint "tcp -g x": option -g: "x" is not an integer`},
		{"qos empty", "tcp -q", `bad endpoint "tcp -q": option -q needs a value`},
		{"first error wins", "tcp -p x -e 5", `bad endpoint "tcp -p x -e 5": option -p: "x" is not an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := endpoint.Parse(tt.in)
			require.ErrorIs(t, err, endpoint.ErrBad)
			require.EqualError(t, err, tt.want)
			require.Zero(t, got)
		})
	}
}

// BenchmarkParse measures parsing a typical t_adapter_conf endpoint.
func BenchmarkParse(b *testing.B) {
	const in = "tcp -h 10.120.129.226 -t 60000 -p 10015 -e 0 -v 2 -w 80"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := endpoint.Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
