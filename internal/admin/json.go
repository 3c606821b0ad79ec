package admin

import (
	"time"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// heldJSON is the body of GET /v1/held; only Held is set when nothing is held.
type heldJSON struct {
	Held   bool        `json:"held"`
	Since  time.Time   `json:"since,omitzero"` // RFC 3339 with nanoseconds
	Reason string      `json:"reason,omitempty"`
	Impact *impactJSON `json:"impact,omitempty"`
}

// impactJSON is the impact part of a HeldChange.
type impactJSON struct {
	Servants     int `json:"servants"`
	Removed      int `json:"removed"`
	ActiveBefore int `json:"active_before"`
	ActiveAfter  int `json:"active_after"`
}

// acceptJSON is the body of a successful POST /v1/held/accept.
type acceptJSON struct {
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason"`
	Note     string `json:"note"`
}

// errorJSON is the body of every error the handlers write.
type errorJSON struct {
	Error string `json:"error"`
}

func heldResponse(h *HeldChange) heldJSON {
	if h == nil {
		return heldJSON{}
	}
	return heldJSON{Held: true, Since: h.Since, Reason: h.Reason, Impact: &impactJSON{
		Servants: h.Servants, Removed: h.Removed, ActiveBefore: h.ActiveBefore, ActiveAfter: h.ActiveAfter,
	}}
}

// sourceInUseJSON is the source of the data served.
type sourceInUseJSON struct {
	Name     string    `json:"name"`
	Since    time.Time `json:"since"`
	Position string    `json:"position,omitempty"`
}

// sourcesJSON is the body of GET /v1/sources.
type sourcesJSON struct {
	InUse   sourceInUseJSON `json:"in_use"`
	Sources []sourceJSON    `json:"sources"`
}

// sourceJSON mirrors SourceState.
type sourceJSON struct {
	Name     string     `json:"name"`
	State    string     `json:"state"`
	Since    *time.Time `json:"since"`
	Position string     `json:"position"`
	Error    string     `json:"error,omitempty"`
}

func sourcesResponse(r SourceReport) sourcesJSON {
	out := sourcesJSON{InUse: sourceInUseJSON{Name: r.InUse, Since: r.Since.UTC(), Position: r.Position}, Sources: []sourceJSON{}}
	for _, s := range r.Sources {
		out.Sources = append(out.Sources, sourceJSON{Name: s.Name, State: s.State, Since: timeOrNull(s.Since),
			Position: s.Position, Error: s.Err})
	}
	return out
}

// servantsJSON is the body of GET /v1/servants.
type servantsJSON struct {
	Servants []servantSummaryJSON `json:"servants"`
	LastSync *time.Time           `json:"last_sync"`
}

// servantSummaryJSON is one servant of GET /v1/servants. Override marks a
// record the cache answers in place of the stored one (serve --advertise).
type servantSummaryJSON struct {
	ID       string `json:"id"`
	Version  string `json:"version"` // snapshot.FormatVersion: 8 hex digits
	Active   int    `json:"active"`
	Inactive int    `json:"inactive"`
	Override bool   `json:"override,omitempty"`
}

// servantJSON is the body of GET /v1/servants/{id}.
type servantJSON struct {
	ID        string         `json:"id"`
	Version   string         `json:"version"`
	Override  bool           `json:"override,omitempty"`
	Endpoints []endpointJSON `json:"endpoints"`
}

// endpointJSON mirrors snapshot.Endpoint field for field, in the records
// document's order (TestEndpointJSON_mirrorsEndpoint fails when a field of
// snapshot.Endpoint is missing here); every field is always present. The names are
// those of the tarscache-records/1 document (/v1/records, dump --format json,
// docs/format.md), so that one endpoint reads the same everywhere.
type endpointJSON struct {
	Active      bool   `json:"active"`
	Proto       int32  `json:"istcp"` // 0 udp, 1 tcp, 2 ssl
	Host        string `json:"host"`
	Port        int32  `json:"port"`
	Timeout     int32  `json:"timeout"`
	Weight      int32  `json:"weight"`
	WeightType  int32  `json:"weightType"`
	AuthType    int32  `json:"authType"`
	BakFlag     int32  `json:"bakFlag"`
	NodeName    string `json:"nodeName"`
	EnableGroup bool   `json:"enableGroup"`
	IPGroupName string `json:"ipGroupName"`
	EnableSet   bool   `json:"enableSet"`
	SetName     string `json:"setName"`
	SetArea     string `json:"setArea"`
	SetGroup    string `json:"setGroup"`
	Subset      string `json:"subset"`
	Origin      string `json:"origin"`
}

// timeOrNull returns t in UTC, or nil (JSON null) for the zero time.
func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func summaryJSON(e *snapshot.Entry, override bool) servantSummaryJSON {
	active := e.Servant.CountActive()
	return servantSummaryJSON{ID: e.Servant.ID, Version: snapshot.FormatVersion(e.Version),
		Active: active, Inactive: len(e.Servant.Endpoints) - active, Override: override}
}

func recordJSON(e *snapshot.Entry, override bool) servantJSON {
	s := servantJSON{ID: e.Servant.ID, Version: snapshot.FormatVersion(e.Version), Override: override,
		Endpoints: make([]endpointJSON, len(e.Servant.Endpoints))}
	for i, ep := range e.Servant.Endpoints {
		s.Endpoints[i] = toEndpointJSON(&ep)
	}
	return s
}

// toEndpointJSON is ep as the admin API writes it.
func toEndpointJSON(ep *snapshot.Endpoint) endpointJSON {
	return endpointJSON{Active: ep.Active, Proto: ep.Proto, Host: ep.Host, Port: ep.Port, Timeout: ep.Timeout,
		Weight: ep.Weight, WeightType: ep.WeightType, AuthType: ep.AuthType, BakFlag: ep.BakFlag, NodeName: ep.NodeName,
		EnableGroup: ep.EnableGroup, IPGroupName: ep.IPGroupName, EnableSet: ep.EnableSet,
		SetName: ep.SetName, SetArea: ep.SetArea, SetGroup: ep.SetGroup, Subset: ep.Subset, Origin: ep.Origin}
}
