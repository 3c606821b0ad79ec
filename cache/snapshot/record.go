package snapshot

// Servant is the record of one Tars servant: every endpoint the registry database
// declares for it. Endpoints are kept in canonical order once the record has passed
// through the cache (Apply, Open, Import); that order carries no meaning.
type Servant struct {
	// ID is the servant name clients look up, e.g. "Demo.HelloServer.HelloObj".
	ID string
	// Endpoints are all endpoints of the servant, active and inactive.
	Endpoints []Endpoint
}

// Endpoint is one address of a servant with everything an answer needs about it.
// Fields map one to one onto EndpointF, except those noted. The flags come first
// and the strings last, so that the struct has no padding: 160 bytes, where the
// records document's order (jsonEndpoint) takes 176, and a registry holds a
// million of them.
type Endpoint struct {
	// Active is the official rule: setting_state and present_state "active" and
	// flow_state not "inactive" (present_state "active" for t_registry_info rows).
	Active bool
	// EnableGroup and IPGroupName are the IDC group columns of the server row.
	EnableGroup bool
	// EnableSet and the Set fields are the set columns of the server row.
	EnableSet bool
	// Proto is EndpointF.istcp: 0 udp, 1 tcp, 2 ssl.
	Proto int32
	// Port and Timeout come from -p and -t of the endpoint string.
	Port    int32
	Timeout int32
	// Weight and WeightType come from -w and -v after the official normalisation.
	Weight     int32
	WeightType int32
	// AuthType comes from -e.
	AuthType int32
	// BakFlag is t_server_conf.bak_flag (rows with 1 never become records).
	BakFlag int32
	// Host comes from -h of the endpoint string.
	Host string
	// NodeName is the trimmed node_name (tars_version for t_registry_info rows).
	NodeName    string
	IPGroupName string
	SetName     string
	SetArea     string
	SetGroup    string
	// Subset is the node's subset label (tarscache extension, EndpointF tag 15).
	Subset string
	// Origin names the database row the endpoint came from, for people: for
	// t_adapter_conf "application.server@node/adapter", for t_registry_info
	// "t_registry_info locator_id".
	Origin string
}

// SetID is the EndpointF.setId the official registry sends: name.area.group when
// enable_set is on (even when the parts are empty), otherwise "".
func (e *Endpoint) SetID() string {
	if !e.EnableSet {
		return ""
	}
	return e.SetName + "." + e.SetArea + "." + e.SetGroup
}

// CountActive returns the number of the servant's active endpoints.
func (s *Servant) CountActive() int {
	n := 0
	for i := range s.Endpoints {
		if s.Endpoints[i].Active {
			n++
		}
	}
	return n
}
