package cnum

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Strtoul reads like glibc's strtoul in bases 10 and 16.
func TestStrtoul_readsLikeGlibc(t *testing.T) {
	cases := []struct {
		name string
		s    string
		base int
		want uint64
	}{
		{"empty is zero", "", 10, 0},
		{"decimal digits", "42", 10, 42},
		{"leading blanks and trailing garbage", "  42abc", 10, 42},
		{"vertical tab and form feed are blanks", "\v\f12", 10, 12},
		{"stops at an inner blank", "1 2", 10, 1},
		{"a plus sign", "+7", 10, 7},
		{"minus one wraps", "-1", 10, math.MaxUint64},
		{"a sign without digits is zero", "- 1", 10, 0},
		{"two signs are zero", "--1", 10, 0},
		{"ULONG_MAX itself", "18446744073709551615", 10, math.MaxUint64},
		{"one past ULONG_MAX saturates", "18446744073709551616", 10, math.MaxUint64},
		{"one more than that still saturates", "18446744073709551617", 10, math.MaxUint64},
		{"far past ULONG_MAX saturates", "99999999999999999999999", 10, math.MaxUint64},
		{"a negated ULONG_MAX is one", "-18446744073709551615", 10, 1},
		{"a negative overflow saturates unnegated", "-18446744073709551617", 10, math.MaxUint64},
		{"0x in base 10 is zero", "0x1f", 10, 0},
		{"hex letters in base 10 stop the number", "12ab", 10, 12},
		{"0x prefix in base 16", "0x1f", 16, 31},
		{"0X prefix in base 16", "0X1F", 16, 31},
		{"hex without prefix", "1f", 16, 31},
		{"a bare 0x is zero", "0x", 16, 0},
		{"0x before a non-digit reads the zero only", "0xg", 16, 0},
		{"blanks and a sign before 0x", " -0x10", 16, math.MaxUint64 - 15},
		{"all ones in hex", "ffffffffffffffff", 16, math.MaxUint64},
		{"hex overflow saturates", "0x10000000000000000", 16, math.MaxUint64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Strtoul(c.s, c.base), "strtoul(%q, %d)", c.s, c.base)
		})
	}
}

// Uint is TC_Common::strto<unsigned int>; the registry keeps its low byte.
func TestUint_readsLikeStrtoUnsignedInt(t *testing.T) {
	cases := []struct {
		name string
		s    string
		want byte
	}{
		{"empty is zero", "", 0},
		{"a byte", "200", 200},
		{"above 255 keeps the low byte", "300", 44},
		{"minus one is 255", "-1", 255},
		{"a 0x prefix reads hexadecimal", "0x10", 16},
		{"a long hexadecimal keeps the low byte", "0x1ff", 255},
		{"a bare 0x is zero", "0x", 0},
		{"an upper-case 0X reads decimal", "0X10", 0},
		{"a blank before 0x reads decimal", " 0x10", 0},
		{"overflow saturates to 255", "99999999999999999999999", 255},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, byte(Uint(c.s)), "strto<unsigned int>(%q)", c.s)
		})
	}
}

// Int reads like TC_Common::strto<int>: strtol base 16 after "0x", else glibc's
// atoi, truncated to 32 bits.
func TestInt_readsLikeStrtoInt(t *testing.T) {
	cases := []struct {
		name string
		s    string
		want int32
	}{
		{"empty is zero", "", 0},
		{"a leading blank is skipped", " 2", 2},
		{"blanks, tabs and newlines are skipped", "\t\n 7", 7},
		{"a letter is zero", "x", 0},
		{"a minus sign", "-3", -3},
		{"a plus sign", "+5", 5},
		{"two signs are zero", "+-5", 0},
		{"trailing letters are ignored", "12abc", 12},
		{"an exponent is not read", "1e9", 1},
		{"an inner blank stops the number", "1 2", 1},
		{"above 32 bits keeps the low 32 bits", "4294967297", 1},
		{"INT_MAX plus one wraps to INT_MIN", "2147483648", math.MinInt32},
		{"INT_MIN minus one wraps to INT_MAX", "-2147483649", math.MaxInt32},
		{"LONG_MAX truncates to minus one", "9223372036854775807", -1},
		{"a positive overflow saturates at LONG_MAX, so minus one", "99999999999999999999", -1},
		{"a negative overflow saturates at LONG_MIN, so zero", "-99999999999999999999", 0},
		{"a 0x prefix reads hexadecimal", "0x10", 16},
		{"a bare 0x is zero", "0x", 0},
		{"0x before a non-digit is zero", "0x-1", 0},
		{"hexadecimal stops at a non-digit", "0x1g", 1},
		{"an upper-case 0X reads decimal, so zero", "0X10", 0},
		{"a blank before 0x reads decimal, so zero", " 0x10", 0},
		{"a signed 0x reads decimal, so zero", "-0x10", 0},
		{"hexadecimal all ones is minus one", "0xFFFFFFFF", -1},
		{"hexadecimal sign bit is INT_MIN", "0x80000000", math.MinInt32},
		{"hexadecimal above 32 bits keeps the low bits", "0x100000001", 1},
		{"a hexadecimal overflow saturates at LONG_MAX", "0x7fffffffffffffffff", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Int(c.s), "strto<int>(%q)", c.s)
		})
	}
}

// Strtol reads like glibc's strtol in bases 10 and 16, saturating at the
// int64 range.
func TestStrtol_readsLikeGlibc(t *testing.T) {
	cases := []struct {
		name string
		s    string
		base int
		want int64
	}{
		{"empty is zero", "", 10, 0},
		{"blanks, a plus sign and trailing garbage", " +42x", 10, 42},
		{"a sign without digits is zero", "- 1", 10, 0},
		{"underscores are not digits", "1_000", 10, 1},
		{"just below LONG_MAX", "9223372036854775799", 10, 9223372036854775799},
		{"LONG_MAX itself", "9223372036854775807", 10, math.MaxInt64},
		{"one past LONG_MAX saturates", "9223372036854775808", 10, math.MaxInt64},
		{"far past LONG_MAX saturates", "92233720368547758070", 10, math.MaxInt64},
		{"minus LONG_MAX", "-9223372036854775807", 10, -math.MaxInt64},
		{"LONG_MIN itself", "-9223372036854775808", 10, math.MinInt64},
		{"one below LONG_MIN saturates", "-9223372036854775809", 10, math.MinInt64},
		{"far below LONG_MIN saturates", "-99999999999999999999", 10, math.MinInt64},
		{"hex digits in base 10 stop the number", "12ab", 10, 12},
		{"0x in base 10 is zero", "0x10", 10, 0},
		{"lower-case hexadecimal", "0xff", 16, 255},
		{"hexadecimal without prefix", "FF", 16, 255},
		{"an upper-case 0X prefix", "0X1a", 16, 26},
		{"plain digits in base 16", "10", 16, 16},
		{"a bare 0x is zero", "0x", 16, 0},
		{"0x before a non-digit reads the zero only", "0xz", 16, 0},
		{"a negative hexadecimal", "-0x10", 16, -16},
		{"hexadecimal LONG_MAX", "0x7fffffffffffffff", 16, math.MaxInt64},
		{"hexadecimal one past LONG_MAX saturates", "0x8000000000000000", 16, math.MaxInt64},
		{"hexadecimal LONG_MIN", "-0x8000000000000000", 16, math.MinInt64},
		{"hexadecimal one below LONG_MIN saturates", "-0x8000000000000001", 16, math.MinInt64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Strtol(c.s, c.base), "strtol(%q, %d)", c.s, c.base)
		})
	}
}
