package subset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// clipLen is how many characters of a user-supplied string an error message quotes.
const clipLen = 64

// newDecoder returns a JSON decoder over data that keeps numbers as written.
func newDecoder(r io.Reader) *json.Decoder {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return dec
}

// open reads the first token of a JSON document and checks that it opens want ('{' or
// '['). Otherwise it returns an error whose reason is what, followed by what was
// found instead ("got an array") or with the decoder's error as cause.
func open(dec *json.Decoder, want json.Delim, what string) *RuleError {
	tok, err := dec.Token()
	switch {
	case errors.Is(err, io.EOF):
		return &RuleError{Reason: what + ": rule data is empty"}
	case err != nil:
		return syntax(what, err)
	case tok != want:
		return &RuleError{Reason: what + ": got " + describe(tok)}
	}
	return nil
}

// describe names the kind of JSON value tok starts.
func describe(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// member reads the next name and value of an object whose '{' has been read.
func member(dec *json.Decoder) (string, json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", nil, err
	}
	name, _ := tok.(string) // the decoder only accepts string object keys
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return "", nil, err
	}
	return name, raw, nil
}

// end reads the closing delimiter of the outermost value of data, a JSON kind
// ("object"), and checks that only white space follows it. A decoder error has the
// reason what.
func end(dec *json.Decoder, data, kind, what string) *RuleError {
	if _, err := dec.Token(); err != nil {
		return syntax(what, err)
	}
	offset := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		offset += int64(len(data[offset:]) - len(strings.TrimLeft(data[offset:], " \t\r\n")))
		return &RuleError{Reason: fmt.Sprintf("trailing data at offset %d, after the JSON %s", offset, kind)}
	}
	return nil
}

// syntax returns the rejection for the decoder error err, with reason what and, for a
// syntax error, the offset where it was found.
func syntax(what string, err error) *RuleError {
	err = unexpectedEOF(err)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		what += fmt.Sprintf(": at offset %d", se.Offset)
	}
	return &RuleError{Reason: what, Err: err}
}

// unexpectedEOF turns the io.EOF a decoder returns inside an unfinished value into
// io.ErrUnexpectedEOF, so the message does not read as an empty document.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// quote encodes s as a JSON string without escaping <, > and &.
func quote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

// clip quotes s (Go syntax) for an error message, cut after clipLen characters.
func clip(s string) string {
	head, more := cut(s)
	return fmt.Sprintf("%q", head) + more
}

// clipRaw returns the JSON text raw for an error message, cut after clipLen characters.
func clipRaw(raw json.RawMessage) string {
	head, more := cut(string(raw))
	return head + more
}

// cut returns the first clipLen characters of s, and "..." when that is not all of s.
func cut(s string) (head, more string) {
	end := 0
	for n := 0; end < len(s); n++ {
		if n == clipLen {
			return s[:end], "..."
		}
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	return s, ""
}
