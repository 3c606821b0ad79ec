package cache

import "github.com/tarscache/tarscache/cache/snapshot"

import "fmt"

// validate checks what the encoding and the wire format need of a record; rows that
// break the Tars grammar never get this far (package sync drops them).
func validate(s *snapshot.Servant) error {
	if s.ID == "" || len(s.ID) > maxString {
		return fmt.Errorf("%w: servant id %q must have 1 to %d bytes", ErrBadRecord, s.ID, maxString)
	}
	if len(s.Endpoints) > maxEndpoints {
		return fmt.Errorf("%w: servant %q has %d endpoints, at most %d", ErrBadRecord, s.ID, len(s.Endpoints), maxEndpoints)
	}
	for i := range s.Endpoints {
		if err := validateEndpoint(&s.Endpoints[i]); err != nil {
			return fmt.Errorf("%w: servant %q endpoint %d: %w", ErrBadRecord, s.ID, i, err)
		}
	}
	return nil
}

// validateAll validates records and checks that no id repeats.
func validateAll(servants []snapshot.Servant) error {
	seen := make(map[string]struct{}, len(servants))
	for i := range servants {
		if err := checkServant(&servants[i], seen); err != nil {
			return err
		}
	}
	return nil
}

func validateEndpoint(e *snapshot.Endpoint) error {
	switch {
	case e.Proto < 0 || e.Proto > 2:
		return fmt.Errorf("istcp %d is not 0 (udp), 1 (tcp) or 2 (ssl)", e.Proto)
	case e.Host == "":
		return fmt.Errorf("empty host")
	case e.Port < 0 || e.Port > 65535:
		return fmt.Errorf("port %d out of range 0..65535", e.Port)
	case e.AuthType != 0 && e.AuthType != 1:
		return fmt.Errorf("authType %d is not 0 or 1", e.AuthType)
	}
	for _, s := range []string{e.Host, e.NodeName, e.IPGroupName, e.SetName, e.SetArea, e.SetGroup, e.Subset, e.Origin} {
		if len(s) > maxString {
			return fmt.Errorf("a text field has %d bytes, at most %d", len(s), maxString)
		}
	}
	return nil
}
