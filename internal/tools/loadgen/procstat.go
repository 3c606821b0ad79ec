package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc/PID/stat's CPU times (USER_HZ, sysconf(_SC_CLK_TCK)),
// 100 on every Linux architecture Go supports.
const userHZ = 100

// cpuTime returns the CPU time (user + system, all threads, the exited ones
// included) the process pid has used, from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("loadgen: read cpu time of %d: %w", pid, err)
	}
	return parseStat(string(b))
}

// parseStat reads utime and stime (fields 14 and 15) of a /proc/PID/stat line. The
// command name (field 2) is in parentheses and may hold spaces and parentheses, so
// the fields are counted from the last ')'.
func parseStat(line string) (time.Duration, error) {
	end := strings.LastIndexByte(line, ')')
	if end < 0 {
		return 0, fmt.Errorf("loadgen: parse /proc stat %q: no command name", line)
	}
	f := strings.Fields(line[end+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("loadgen: parse /proc stat %q: %d fields after the name", line, len(f))
	}
	var ticks uint64
	for _, s := range f[11:13] { // fields 14 (utime) and 15 (stime)
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("loadgen: parse /proc stat %q: %w", line, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuMeter measures the CPU time a process uses between start and stop.
type cpuMeter struct {
	pid   int
	begin time.Duration
}

// startCPU reads the process's CPU time now.
func startCPU(pid int) (cpuMeter, error) {
	t, err := cpuTime(pid)
	return cpuMeter{pid: pid, begin: t}, err
}

// used returns the CPU time the process used since startCPU.
func (m cpuMeter) used() (time.Duration, error) {
	t, err := cpuTime(m.pid)
	return t - m.begin, err
}
