// Package cnum reads numbers out of text the way the official Tars registry's C++
// does (glibc's strtoul, strtol and atoi, and TarsCpp's TC_Common::strto), so that
// tarscache reads db_tars values, group rules and client addresses exactly as the
// registry reads them, quirks included: leading blanks, one optional sign, trailing
// garbage ignored, saturation on overflow, truncation to the target width.
//
// It holds pure functions only; they are safe for concurrent use and do not allocate.
package cnum
