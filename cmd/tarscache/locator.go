package main

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tarscache/tarscache/internal/endpoint"
	"github.com/tarscache/tarscache/tars"
)

// locatorForms is what a --locator may be, for error messages.
const locatorForms = `want HOST:PORT (127.0.0.1:17890), an endpoint ("tcp -h 127.0.0.1 -p 17890") ` +
	`or a locator ("tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890")`

// parseLocator turns the forms people paste as a --locator into the locator
// string TarsGo takes, OBJ@ENDPOINT[:ENDPOINT...]:
//
//	HOST:PORT                         tars.tarsregistry.QueryObj@tcp -h HOST -p PORT
//	tcp -h HOST -p PORT ...           tars.tarsregistry.QueryObj@tcp -h HOST -p PORT ...
//	OBJ@HOST:PORT                     OBJ@tcp -h HOST -p PORT
//	OBJ@tcp -h HOST -p PORT[:...]     as it is
//
// Every endpoint must name its host and a port; anything else is a usage error
// that shows these forms. TarsGo itself panics or waits for its timeout on many
// of the mistakes this catches.
func parseLocator(flag, s string) (string, error) {
	text := strings.TrimSpace(s)
	obj, eps, hasObj := strings.Cut(text, "@")
	if !hasObj {
		obj, eps = tars.ServantName, text
	}
	obj, eps = strings.TrimSpace(obj), strings.TrimSpace(eps)
	if obj == "" || strings.ContainsAny(obj, " \t:") {
		return "", usageErrorf("%s %q: the servant before @ is missing or not one word; %s", flag, s, locatorForms)
	}
	if ep, ok := hostPort(eps); ok {
		return obj + "@" + ep, nil
	}
	if eps == "" {
		return "", usageErrorf("%s %q: no endpoint; %s", flag, s, locatorForms)
	}
	for ep := range strings.SplitSeq(eps, ":") {
		if err := checkEndpoint(ep); err != nil {
			return "", usageErrorf("%s %q: %v; %s", flag, s, err, locatorForms)
		}
	}
	return obj + "@" + eps, nil
}

// hostPort turns "HOST:PORT" into "tcp -h HOST -p PORT".
func hostPort(s string) (string, bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || strings.ContainsAny(host, " \t:") {
		return "", false
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", false
	}
	return fmt.Sprintf("tcp -h %s -p %s", host, port), true
}

// checkEndpoint accepts one Tars endpoint that names a host and a port.
func checkEndpoint(ep string) error {
	a, err := endpoint.Parse(ep)
	if err != nil {
		return err
	}
	fields := strings.Fields(ep)
	switch {
	case !slices.Contains(fields, "-h"):
		return fmt.Errorf("endpoint %q names no host (-h)", strings.TrimSpace(ep))
	case a.Port < 1:
		return fmt.Errorf("endpoint %q names no port (-p 1..65535)", strings.TrimSpace(ep))
	}
	return nil
}

// callError explains a QueryF call that failed: TarsGo says "request timeout"
// for every locator that does not answer, whatever the reason.
func callError(err error, timeout time.Duration) error {
	if strings.Contains(err.Error(), "connection refused") {
		return fmt.Errorf("%w (nothing listens there: is tarscache serve running? --locator HOST:PORT names another)", err)
	}
	if strings.Contains(err.Error(), "timeout") {
		return fmt.Errorf("%w (no answer within %s: is tarscache or a Tars registry listening there?)", err, timeout)
	}
	return err
}
