//go:build !linux

package cache

// mmapFlags is 0 where MAP_POPULATE does not exist: pages are faulted in as read.
const mmapFlags = 0
