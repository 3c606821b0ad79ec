// Package endpoint reads Tars endpoint strings ("tcp -h 10.0.0.1 -p 10015 -t 60000")
// the way TarsCpp's TC_Endpoint::parse does, with the official registry's
// normalisation of weights, and turns them into record endpoints.
//
// Package sync parses the endpoint column of every db_tars row with it, and serve
// its --advertise endpoints; both get the same Address and the same
// snapshot.Endpoint fields from it.
//
// # What it does not do
//
// It knows nothing of database rows (states, nodes, groups, sets, subsets: package
// sync fills those in) and does not resolve host names.
//
// # Concurrency
//
// Parse and Address.Endpoint are pure functions, safe for concurrent use.
package endpoint
