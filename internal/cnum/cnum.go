package cnum

import (
	"math"
	"strings"
)

// Strtoul is C's strtoul in base 10 or 16: blanks, a sign, an optional 0x in base
// 16, then digits; ULONG_MAX on overflow; a minus sign negates modulo 2^64.
func Strtoul(s string, base int) uint64 {
	neg, n, overflow := scan(s, uint64(base))
	switch {
	case overflow:
		return math.MaxUint64
	case neg:
		return -n
	}
	return n
}

// Strtol is C's strtol in base 10 or 16, saturating at the int64 range.
func Strtol(s string, base int) int64 {
	neg, n, overflow := scan(s, uint64(base))
	switch {
	case neg && (overflow || n > 1<<63):
		return math.MinInt64
	case neg:
		return -int64(n-1) - 1
	case overflow || n > math.MaxInt64:
		return math.MaxInt64
	}
	return int64(n)
}

// Int is TC_Common::strto<int>: strtol in base 16 after a leading "0x", else
// atoi (glibc: strtol in base 10), truncated to 32 bits.
func Int(s string) int32 {
	if strings.HasPrefix(s, "0x") {
		return int32(Strtol(s, 16))
	}
	return int32(Strtol(s, 10))
}

// Uint is TC_Common::strto<unsigned int>: strtoul in base 16 after a leading "0x",
// else in base 10, truncated to 32 bits.
func Uint(s string) uint32 {
	if strings.HasPrefix(s, "0x") {
		return uint32(Strtoul(s, 16))
	}
	return uint32(Strtoul(s, 10))
}

// scan reads blanks, a sign, an optional 0x in base 16 and digits, returning the
// sign, the magnitude and whether it overflowed 64 bits.
func scan(s string, base uint64) (neg bool, n uint64, overflow bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if base == 16 && len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") && digit(s[2]) < 16 {
		s = s[2:]
	}
	for i := 0; i < len(s) && digit(s[i]) < base; i++ {
		d := digit(s[i])
		if n > (math.MaxUint64-d)/base {
			overflow = true
		}
		n = n*base + d
	}
	return neg, n, overflow
}

// digit is the value of a hexadecimal digit, or 99 for anything else.
func digit(c byte) uint64 {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0')
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10
	}
	return 99
}
