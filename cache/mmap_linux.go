package cache

import "syscall"

// mmapFlags has Linux map the file's pages in at Open (MAP_POPULATE), in one
// pass, instead of faulting them in one by one as the load reads every record:
// on a virtual machine each fault is expensive, and a 1,000,000-endpoint file
// is 22,000 pages that Open reads anyway.
const mmapFlags = syscall.MAP_POPULATE
