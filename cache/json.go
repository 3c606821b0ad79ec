package cache

import (
	"fmt"
	"io"
	"strconv"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// ReadJSON reads a records document (snapshot.WriteJSON) into a State for Import or
// Apply. Unknown fields are errors, and a servant that carries a version must match
// it: a record edited by hand must drop its "version" field. Everything is validated
// as Apply validates it; errors wrap snapshot.ErrBadJSON with the servant.
func ReadJSON(r io.Reader) (State, error) {
	doc, err := snapshot.ReadJSON(r)
	if err != nil {
		return State{}, err
	}
	if err := validateGroups(&doc.Groups); err != nil {
		return State{}, fmt.Errorf("%w: %w", snapshot.ErrBadJSON, err)
	}
	for i := range doc.Servants {
		if err := checkVersion(&doc.Servants[i], doc.Versions[i]); err != nil {
			return State{}, fmt.Errorf("%w: servant %d (%q): %w", snapshot.ErrBadJSON, i+1, doc.Servants[i].ID, err)
		}
	}
	return State{Groups: doc.Groups, Rules: doc.Rules, Servants: doc.Servants}, nil
}

// checkVersion validates s and checks it against the version its document claims.
func checkVersion(s *snapshot.Servant, claimed string) error {
	if err := validate(s); err != nil {
		return err
	}
	_, version := encodeRecord(s)
	if claimed != "" && claimed != snapshot.FormatVersion(version) {
		return fmt.Errorf("version %s does not match its content (%s): remove the version of a record edited by hand",
			claimed, strconv.Quote(snapshot.FormatVersion(version)))
	}
	return nil
}
