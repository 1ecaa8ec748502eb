// Package redact finds a token in the forms a server, a proxy or a client
// may write it in: raw, JSON-escaped (\u0061, \/), percent-encoded (%61,
// %6A or %6a), or a mix of these, whole or cut short by a length limit. It
// is the one redaction of the SDK's errors and logs and of the fake's
// request log.
package redact

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Text replaces every copy of the token.
const Text = "REDACTED"

// Token finds one token in its encoded forms. Its zero value (or one
// made for an empty token) finds nothing.
type Token struct {
	token []rune
	first byte // the token's first byte, raw (in lower case with fold)
	fold  bool // ASCII letters match in either case
}

// New returns a Token that finds token with its letters in their case.
func New(token string) Token {
	return newToken(token, false)
}

// NewFold returns a Token that finds token with its ASCII letters in any
// case, for text that may have been case-folded (canonicalized header
// names).
func NewFold(token string) Token {
	return newToken(token, true)
}

func newToken(token string, fold bool) Token {
	t := Token{token: []rune(token), fold: fold}
	if token != "" {
		t.first = token[0]
		if fold {
			t.first = lower(t.first)
		}
	}
	return t
}

// maybeStart reports whether an encoded copy of the token may start with
// the byte c.
func (r Token) maybeStart(c byte) bool {
	switch {
	case c == r.first || c == '\\' || c == '%':
		return true
	case r.fold:
		return lower(c) == r.first
	}
	return false
}

// lower returns c in lower case when it is an ASCII letter.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// foldRune returns want in lower case when fold is set and it is an ASCII
// letter.
func foldRune(want rune, fold bool) rune {
	if fold && want < utf8.RuneSelf {
		return rune(lower(byte(want)))
	}
	return want
}

// match reports the end of an encoded copy of the token starting at b[i],
// or -1.
func (r Token) match(b []byte, i int) int {
	for _, want := range r.token {
		n := matchRune(b, i, want, r.fold)
		if n <= 0 {
			return -1
		}
		i += n
	}
	return i
}

// matchRune returns how many bytes at b[i] encode want: raw UTF-8, a JSON
// escape (\uXXXX, a surrogate pair, or \" \\ \/), or percent-encoded
// UTF-8; 0 when none does. With fold, an ASCII letter matches in either
// case, however it is encoded.
func matchRune(b []byte, i int, want rune, fold bool) int {
	if i >= len(b) {
		return 0
	}
	var enc [utf8.UTFMax]byte
	raw := enc[:utf8.EncodeRune(enc[:], want)]
	if bytes.HasPrefix(b[i:], raw) {
		return len(raw)
	}
	if fold && want < utf8.RuneSelf && lower(b[i]) == lower(byte(want)) {
		return 1
	}
	if n := jsonEscaped(b, i, want, fold); n > 0 {
		return n
	}
	return percentEncoded(b, i, raw, fold)
}

// jsonEscaped returns how many bytes at b[i] are a JSON escape of want
// (\uXXXX, a surrogate pair, or \" \\ \/); 0 when none is.
func jsonEscaped(b []byte, i int, want rune, fold bool) int {
	if i+1 >= len(b) || b[i] != '\\' {
		return 0
	}
	if b[i+1] != 'u' {
		if want < utf8.RuneSelf && b[i+1] == byte(want) && strings.ContainsRune(`"\/`, want) {
			return 2
		}
		return 0
	}
	v, ok := hexQuad(b, i+2)
	if !ok {
		return 0
	}
	if rune(v) == want || (v < utf8.RuneSelf && foldRune(rune(v), fold) == foldRune(want, fold)) {
		return 6
	}
	if want > 0xFFFF && v >= 0xD800 && v < 0xDC00 && i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
		lo, ok := hexQuad(b, i+8)
		if ok && lo >= 0xDC00 && lo < 0xE000 && 0x10000+(rune(v)-0xD800)<<10+(rune(lo)-0xDC00) == want {
			return 12
		}
	}
	return 0
}

// percentEncoded returns how many bytes at b[i] percent-encode raw, the
// percent signs perhaps JSON-escaped (a URL inside a JSON string); 0 when
// they do not.
func percentEncoded(b []byte, i int, raw []byte, fold bool) int {
	j := i
	for _, c := range raw {
		n := percentSign(b, j)
		if n == 0 || j+n+2 > len(b) {
			return 0
		}
		v, ok := hexByte(b[j+n], b[j+n+1])
		if !ok || (v != c && !(fold && c < utf8.RuneSelf && lower(v) == lower(c))) {
			return 0
		}
		j += n + 2
	}
	return j - i
}

// percentSign returns the length of the percent sign at b[i], written as
// itself or as a JSON escape; 0 when there is none.
func percentSign(b []byte, i int) int {
	switch {
	case i < len(b) && b[i] == '%':
		return 1
	case i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' && b[i+2] == '0' && b[i+3] == '0' && b[i+4] == '2' && b[i+5] == '5':
		return 6
	}
	return 0
}

func hexQuad(b []byte, i int) (uint16, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var v uint16
	for _, c := range b[i : i+4] {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexDigit(hi)
	l, ok2 := hexDigit(lo)
	return h<<4 | l, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Redact returns b with every encoded copy of the token (raw, JSON-escaped,
// percent-encoded, or a mix of these) replaced by Text; b itself when there
// is none.
func (r Token) Redact(b []byte) []byte {
	if len(r.token) == 0 {
		return b
	}
	var out []byte
	last := 0
	for i := 0; i < len(b); i++ {
		if !r.maybeStart(b[i]) {
			continue
		}
		end := r.match(b, i)
		if end < 0 {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b))
		}
		out = append(out, b[last:i]...)
		out = append(out, Text...)
		last = end
		i = end - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// RedactCut redacts b and then cuts it to at most limit bytes. b should
// hold more than limit bytes when more were available (see Slack),
// so that a token straddling the limit is found whole before the cut.
// When b is cut here, or was cut already (cut: its source went on), a
// tail that may be the start of the token is dropped.
func (r Token) RedactCut(b []byte, limit int, cut bool) []byte {
	b = r.Redact(b)
	if len(b) > limit {
		b, cut = b[:limit], true
	}
	if !cut {
		return b
	}
	if len(r.token) == 0 {
		return b
	}
	return r.dropPrefixTail(b)
}

// dropPrefixTail removes a tail of b that is the start of an encoded copy
// of the token, replacing it with REDACTED.
func (r Token) dropPrefixTail(b []byte) []byte {
	// The longest encoded form of a rune is 12 bytes (a surrogate pair).
	from := max(0, len(b)-12*len(r.token))
	for i := from; i < len(b); i++ {
		if !r.maybeStart(b[i]) {
			continue
		}
		if r.matchesPrefix(b[i:]) {
			return append(b[:i:i], Text...)
		}
	}
	return b
}

// matchesPrefix reports whether all of tail encodes a proper start of the
// token (at least its first rune, or part of that rune's encoding).
func (r Token) matchesPrefix(tail []byte) bool {
	i := 0
	for _, want := range r.token {
		if i == len(tail) {
			return true
		}
		n := matchRune(tail, i, want, r.fold)
		if n <= 0 {
			// A partial encoding of this rune at the very end: compare
			// with each complete encoding's start.
			return partialRune(tail[i:], want)
		}
		i += n
	}
	return false // the whole token: Redact has already replaced it
}

// partialRune reports whether tail is the start of an encoding of want.
func partialRune(tail []byte, want rune) bool {
	var enc [utf8.UTFMax]byte
	raw := enc[:utf8.EncodeRune(enc[:], want)]
	if len(tail) < len(raw) && bytes.HasPrefix(raw, tail) {
		return true
	}
	switch tail[0] {
	case '\\':
		if len(tail) == 1 {
			return true
		}
		if tail[1] != 'u' {
			return false
		}
		for _, c := range tail[2:] {
			if _, ok := hexDigit(c); !ok {
				return false
			}
		}
		return len(tail) < 6 || want > 0xFFFF
	case '%':
		return len(tail) < 3*len(raw)
	}
	return false
}

// Slack is how many bytes beyond a limit are read so that a token
// straddling the limit is still seen whole: the longest encoding of every
// rune of it.
func (r Token) Slack() int { return 12 * len(r.token) }

// Holds reports whether b holds an encoded copy of the token.
func (r Token) Holds(b []byte) bool {
	if len(r.token) == 0 {
		return false
	}
	for i := range b {
		if r.maybeStart(b[i]) && r.match(b, i) >= 0 {
			return true
		}
	}
	return false
}

// RedactString redacts s as Redact does a byte slice.
func (r Token) RedactString(s string) string {
	if !r.Holds([]byte(s)) {
		return s
	}
	return string(r.Redact([]byte(s)))
}
