package endpoint_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tarscache/tarscache/internal/endpoint"
)

// FuzzParse checks that Parse never panics, that its errors are well formed
// and that every accepted endpoint satisfies the EndpointF invariants.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"tcp",
		"tcp -h 10.120.129.226 -t 60000 -p 10015 -e 0 -v 2 -w 80",
		"udp -h * -p 0 -t 3000 -g 1 -q 2",
		"ssl\t-h\rhost\n-p +65535 -e 1 -v 1",
		"tcp -a -x 5 -Z -h 1.2.3.4",
		"tcp -h -p 80",
		"tcp -p 80abc -w -1 extra",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := endpoint.Parse(s)
		if err != nil {
			checkEndpointError(t, s, err)
			return
		}
		checkEndpointAddress(t, s, a)
		// Whitespace around the string never changes the outcome.
		b, err := endpoint.Parse(" \t" + s + "\r\n")
		if err != nil || a != b {
			t.Fatalf("padding %q changed the result: %+v, %v", s, b, err)
		}
	})
}

// checkEndpointError fails unless err wraps ErrBadEndpoint and names the input.
func checkEndpointError(t *testing.T, s string, err error) {
	t.Helper()
	if !errors.Is(err, endpoint.ErrBad) {
		t.Fatalf("%q: error %v does not wrap ErrBadEndpoint", s, err)
	}
	if prefix := fmt.Sprintf("bad endpoint %q: ", s); !strings.HasPrefix(err.Error(), prefix) {
		t.Fatalf("%q: error %q does not start with %q", s, err, prefix)
	}
}

// checkEndpointAddress fails unless a satisfies the invariants of a parsed endpoint.
func checkEndpointAddress(t *testing.T, s string, a endpoint.Address) {
	t.Helper()
	switch {
	case a.Proto < 0 || a.Proto > 2:
		t.Fatalf("%q: proto %d", s, a.Proto)
	case a.Port < 0 || a.Port > 65535:
		t.Fatalf("%q: port %d", s, a.Port)
	case a.AuthType != 0 && a.AuthType != 1:
		t.Fatalf("%q: auth type %d", s, a.AuthType)
	case a.Host == "":
		t.Fatalf("%q: empty host", s)
	case a.WeightType != 0 && (a.Weight < 0 || a.Weight > 100):
		t.Fatalf("%q: weight %d with weight type %d", s, a.Weight, a.WeightType)
	case a.Weight < -1 || a.Timeout < 0 || a.WeightType < 0:
		t.Fatalf("%q: negative value in %+v although arguments never start with '-'", s, a)
	}
}
