// Package protocol holds tarscache's Tars IDL and, in its subpackages, the Go code
// tars2go generates from it: endpointf (EndpointF, SubsetConf) and queryf (the
// QueryF client proxy and server dispatcher).
//
// EndpointF.tars and QueryF.tars are the official TarsProtocol definitions
// (EndpointF tags 0-14, the QueryF methods of tars.tarsregistry.QueryObj) extended
// for subset routing: EndpointF tag 15 "subset", the SubsetConf struct and the
// findSubsetConfigById method. Stock Tars decoders skip tag 15, so official clients
// read tarscache's answers unchanged.
//
// The generated code is committed and never edited by hand: "make generate"
// rewrites it with the tars2go pinned in go.mod, and TestGeneratedCodeIsUpToDate
// fails when it differs from what the IDL generates.
package protocol
