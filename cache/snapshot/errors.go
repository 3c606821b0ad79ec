package snapshot

import "errors"

// ErrBadJSON is returned (wrapped, with the position or servant) when a JSON
// records document does not parse or does not match its own versions.
var ErrBadJSON = errors.New("bad records document")
