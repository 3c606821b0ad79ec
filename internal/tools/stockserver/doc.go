// Command stockserver is a stock TarsGo server (tars.Run with a config file) that
// speaks the QueryF interface, only because that interface is already generated in
// this repository. Every adapter of its config file serves the same servant:
//
//   - findObjectById answers one endpoint whose host is "echo:" followed by the id
//     and whose port is the adapter's own, so that an end-to-end test sees which
//     server answered (cmd/tarscache's e2e tests use it as a Tars application).
//   - findObjectByIdInSameGroup, findObjectById4Any and findObjectByIdInSameSet
//     answer a constant list, the very endpoints tarscache answers for the
//     benchmark servant (package bench), without any lookup: the constant column
//     of the load test, what TarsGo's own transport and codec cost for the same
//     reply (internal/tools/loadgen).
//
// Every other method answers as tarscache's Handler does with no records.
package main
