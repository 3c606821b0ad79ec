//go:build !linux

package tars

// run serves the connection with its own Read and Write: raw system calls are
// used on Linux only.
func (cn *conn) run() error { return cn.runPortable() }
