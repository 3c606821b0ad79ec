package cache

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// Length limits of the file format. A record beyond them cannot be stored:
// Apply refuses it (ErrBadRecord), so package sync rejects the rows that would
// make one, each alone, before they reach Apply.
const (
	// MaxIDBytes bounds a servant id, which is a bbolt key.
	MaxIDBytes = bolt.MaxKeySize
	// MaxTextBytes bounds every text field of an endpoint (host, node name, set
	// parts, IDC group name, subset label, origin).
	MaxTextBytes = maxString
	// MaxEndpoints bounds the endpoints of one servant.
	MaxEndpoints = maxEndpoints
)

// CheckEndpoint reports why endpoint e of servant id could not be stored
// (ErrBadRecord, naming the field), or nil. Apply checks the same.
func CheckEndpoint(id string, e *snapshot.Endpoint) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := validateEndpoint(e); err != nil {
		return fmt.Errorf("%w: endpoint: %w", ErrBadRecord, err)
	}
	return nil
}

// checkID refuses an empty servant id or one longer than a key may be.
func checkID(id string) error {
	if id == "" || len(id) > MaxIDBytes {
		return fmt.Errorf("%w: servant id of %d bytes: want 1 to %d", ErrBadRecord, len(id), MaxIDBytes)
	}
	return nil
}

// validate checks what the encoding and the wire format need of a record; rows that
// break the Tars grammar never get this far (package sync drops them).
func validate(s *snapshot.Servant) error {
	if err := checkID(s.ID); err != nil {
		return err
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
			return fmt.Errorf("a text field (%.32q...) has %d bytes, at most %d", s, len(s), maxString)
		}
	}
	return nil
}
