package sync

import "errors"

// ErrBadEndpoint is returned (wrapped, with the offending text and the reason) when an
// endpoint string of t_adapter_conf or t_registry_info does not follow the Tars endpoint
// grammar. The official registry skips such rows; so does tarscache, counting and logging them.
var ErrBadEndpoint = errors.New("bad endpoint")
