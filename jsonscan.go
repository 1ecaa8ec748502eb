package integratorio

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// A small validating JSON scanner: the models decode in one pass over the
// bytes, keeping unknown members as sub-slices instead of decoding the
// document twice (see object.go).

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

var errUnexpectedEnd = errors.New("unexpected end of JSON input")

func syntaxErr(d []byte, i int, what string) error {
	if i >= len(d) {
		return errUnexpectedEnd
	}
	return fmt.Errorf("invalid character %q %s (offset %d)", d[i], what, i)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

// scanString checks the string starting at d[i] == '"' and returns the
// index after its closing quote. plain reports a string without escapes
// whose bytes are valid UTF-8, which can be used as is.
func scanString(d []byte, i int) (end int, plain bool, err error) {
	plain = true
	ascii := true
	for j := i + 1; j < len(d); j++ {
		if byteClass[d[j]] <= classHTML {
			continue // the common case, one look-up a byte
		}
		switch c := d[j]; {
		case c == '"':
			if !ascii && plain {
				plain = utf8.Valid(d[i+1 : j])
			}
			return j + 1, plain, nil
		case c == '\\':
			plain = false
			j++
			if j >= len(d) {
				return 0, false, errUnexpectedEnd
			}
			switch d[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(d) {
					return 0, false, errUnexpectedEnd
				}
				for k := j + 1; k <= j+4; k++ {
					if !isHex(d[k]) {
						return 0, false, syntaxErr(d, k, "in \\u hexadecimal character escape")
					}
				}
				j += 4
			default:
				return 0, false, syntaxErr(d, j, "in string escape code")
			}
		case c < 0x20:
			return 0, false, syntaxErr(d, j, "in string literal")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, false, errUnexpectedEnd
}

// The classes of the bytes of a JSON string, for byteClass.
const (
	classPlain   = iota // held as is, written as is by appendString
	classHTML           // '<', '>', '&': held as is, escaped by appendString
	classSpecial        // '\\', or a byte of a multi-byte UTF-8 sequence
	classInvalid        // '"' (the end of the string) or a control character
)

// byteClass classes every byte for scanString and decodeString.
var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c < 0x20 || c == '"':
			t[c] = classInvalid
		case c == '\\' || c >= utf8.RuneSelf:
			t[c] = classSpecial
		case c == '<' || c == '>' || c == '&':
			t[c] = classHTML
		}
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber checks the number starting at d[i] and returns the index
// after it.
func scanNumber(d []byte, i int) (int, error) {
	if d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return 0, errUnexpectedEnd
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return 0, syntaxErr(d, i, "in numeric literal")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return 0, syntaxErr(d, i, "after decimal point in numeric literal")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return 0, syntaxErr(d, i, "in exponent of numeric literal")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	return i, nil
}

func scanLiteral(d []byte, i int, lit string) (int, error) {
	if len(d)-i < len(lit) {
		return 0, errUnexpectedEnd
	}
	for k := 0; k < len(lit); k++ {
		if d[i+k] != lit[k] {
			return 0, syntaxErr(d, i+k, "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

// skipValue checks the value starting at d[i] (no leading space) and
// returns the index after it.
func skipValue(d []byte, i, depth int) (int, error) {
	if i >= len(d) {
		return 0, errUnexpectedEnd
	}
	switch c := d[i]; {
	case c == '"':
		end, _, err := scanString(d, i)
		return end, err
	case c == '{':
		return scanObject(d, i, depth, nil)
	case c == '[':
		return scanArray(d, i, depth, nil)
	case c == 't':
		return scanLiteral(d, i, "true")
	case c == 'f':
		return scanLiteral(d, i, "false")
	case c == 'n':
		return scanLiteral(d, i, "null")
	case c == '-' || isDigit(c):
		return scanNumber(d, i)
	}
	return 0, syntaxErr(d, i, "looking for beginning of value")
}

// memberFunc receives one object member: the key's bytes without quotes
// (d[ks:ke]), whether they can be used as is (no escapes, valid UTF-8),
// and the value's bytes (d[vs:ve]), already checked.
type memberFunc func(ks, ke int, plain bool, vs, ve int) error

// scanObject checks the object starting at d[i] == '{', calls fn (if not
// nil) for each member in order, and returns the index after the object.
func scanObject(d []byte, i, depth int, fn memberFunc) (int, error) {
	if depth++; depth > maxDepth {
		return 0, errors.New("exceeded max depth")
	}
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return 0, syntaxErr(d, i, "looking for beginning of object key string")
		}
		kend, plain, err := scanString(d, i)
		if err != nil {
			return 0, err
		}
		ks := i + 1
		i = skipSpace(d, kend)
		if i >= len(d) || d[i] != ':' {
			return 0, syntaxErr(d, i, "after object key")
		}
		vs := skipSpace(d, i+1)
		ve, err := skipValue(d, vs, depth)
		if err != nil {
			return 0, err
		}
		if fn != nil {
			if err := fn(ks, kend-1, plain, vs, ve); err != nil {
				return 0, err
			}
		}
		i = skipSpace(d, ve)
		if i < len(d) && d[i] == ',' {
			i = skipSpace(d, i+1)
			continue
		}
		if i < len(d) && d[i] == '}' {
			return i + 1, nil
		}
		return 0, syntaxErr(d, i, "after object key:value pair")
	}
}

// scanArray checks the array starting at d[i] == '[', calls fn (if not
// nil) with each element's bytes, and returns the index after the array.
func scanArray(d []byte, i, depth int, fn func(elem []byte) error) (int, error) {
	if depth++; depth > maxDepth {
		return 0, errors.New("exceeded max depth")
	}
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := skipValue(d, i, depth)
		if err != nil {
			return 0, err
		}
		if fn != nil {
			if err := fn(d[i:end]); err != nil {
				return 0, err
			}
		}
		i = skipSpace(d, end)
		if i < len(d) && d[i] == ',' {
			i = skipSpace(d, i+1)
			continue
		}
		if i < len(d) && d[i] == ']' {
			return i + 1, nil
		}
		return 0, syntaxErr(d, i, "after array element")
	}
}

// eachElement calls fn with each element of the array d[i:] == "[...]"
// and returns the index after it.
func eachElement(d []byte, i int, fn func(elem []byte) error) (int, error) {
	return scanArray(d, i, 0, fn)
}

// topLevel checks that nothing but white space follows a value ending at i.
func topLevel(d []byte, i int) error {
	if j := skipSpace(d, i); j != len(d) {
		return syntaxErr(d, j, "after top-level value")
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// Lone surrogates. A JSON string may hold a \u escape of a UTF-16
// surrogate that is not half of a pair: a JavaScript service that cuts a
// string between the halves of an emoji writes "\ud83d". encoding/json
// decodes every such escape to U+FFFD, so a document written back would
// lose them, and two member names that differ only there would become one.
// unquote instead decodes a lone surrogate to its three-byte generalized
// UTF-8 form (WTF-8: 0xED, 0xA0-0xBF, 0x80-0xBF), which is not valid UTF-8,
// so that no other string decodes to it and distinct surrogates stay
// distinct; appendString writes those three bytes back as the escape.

// surrogateAt reports whether s[i:] starts with the generalized UTF-8 form
// of a surrogate, and returns the surrogate.
func surrogateAt(s string, i int) (rune, bool) {
	if i+2 < len(s) && s[i] == 0xED && s[i+1]&0xE0 == 0xA0 && s[i+2]&0xC0 == 0x80 {
		return 0xD000 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), true
	}
	return 0, false
}

// unhex4 decodes the four hexadecimal digits at d[i:], and reports whether
// none is an upper-case letter (appendString writes lower case).
func unhex4(d []byte, i int) (r rune, lower, ok bool) {
	if i+4 > len(d) {
		return 0, false, false
	}
	lower = true
	for _, c := range d[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
			lower = false
		default:
			return 0, false, false
		}
		r = r<<4 | rune(c)
	}
	return r, lower, true
}

// escapedRune reports whether appendString writes r, a rune that is not a
// surrogate, as a \u escape.
func escapedRune(r rune) bool {
	switch r {
	case '\n', '\r', '\t':
		return false
	case '<', '>', '&', '\u2028', '\u2029':
		return true
	}
	return r < 0x20
}

var errBadString = errors.New("integratorio: internal error: malformed JSON string")

// unquote decodes the JSON string q, quotes included, as encoding/json does
// (invalid UTF-8 becomes U+FFFD) except that a lone surrogate escape keeps
// its generalized UTF-8 form. canonical reports whether appendString
// writes the result back as exactly q, so that q need not be kept to write
// an unchanged string back byte for byte.
func unquote(q []byte) (s string, canonical bool, err error) {
	if len(q) < 2 {
		return "", false, errBadString
	}
	b, canonical, err := appendUnquoted(make([]byte, 0, len(q)-2+utf8.UTFMax), q)
	if err != nil {
		return "", false, err
	}
	return unsafe.String(unsafe.SliceData(b), len(b)), canonical, nil
}

// appendUnquoted appends the string unquote decodes from q to b.
func appendUnquoted(b, q []byte) (_ []byte, canonical bool, err error) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return nil, false, errBadString
	}
	body := q[1 : len(q)-1]
	canonical = true
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\':
			if i+1 >= len(body) {
				return nil, false, errBadString
			}
			e := body[i+1]
			i += 2
			switch e {
			case '"', '\\':
				b = append(b, e)
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case '/':
				b, canonical = append(b, '/'), false
			case 'b':
				b, canonical = append(b, '\b'), false
			case 'f':
				b, canonical = append(b, '\f'), false
			case 'u':
				r, lower, ok := unhex4(body, i)
				if !ok {
					return nil, false, errBadString
				}
				i += 4
				if !utf16.IsSurrogate(r) {
					b = utf8.AppendRune(b, r)
					canonical = canonical && lower && escapedRune(r)
					break
				}
				if r < 0xDC00 && i+1 < len(body) && body[i] == '\\' && body[i+1] == 'u' {
					if lo, _, ok := unhex4(body, i+2); ok && 0xDC00 <= lo && lo < 0xE000 {
						b = utf8.AppendRune(b, utf16.DecodeRune(r, lo))
						i += 6
						canonical = false
						break
					}
				}
				b = append(b, 0xED, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
				canonical = canonical && lower
			default:
				return nil, false, errBadString
			}
		case c < 0x20 || c == '"':
			return nil, false, errBadString
		case c < utf8.RuneSelf:
			canonical = canonical && c != '<' && c != '>' && c != '&'
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				b, canonical = append(b, "\uFFFD"...), false
			} else {
				canonical = canonical && r != '\u2028' && r != '\u2029'
				b = append(b, body[i:i+size]...)
			}
			i += size
		}
	}
	return b, canonical, nil
}

// decodeString decodes a checked JSON string value; ok is false for any
// other value. canonical is as for unquote.
func decodeString(val []byte) (s string, canonical, ok bool) {
	if len(val) < 2 || val[0] != '"' {
		return "", false, false
	}
	body := val[1 : len(val)-1]
	canonical = true
	for _, c := range body {
		switch byteClass[c] {
		case classPlain:
		case classHTML:
			canonical = false
		case classSpecial:
			s, canonical, err := unquote(val)
			return s, canonical, err == nil
		default:
			return "", false, false
		}
	}
	return string(body), canonical, true
}

// escapedASCII[c] is true for the ASCII bytes appendString escapes.
var escapedASCII = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&'
	}
	return t
}()

// needsEscape reports whether appendString writes s other than as is
// between quotes.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if escapedASCII[c] {
				return true
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return true
		}
		i += size - 1
	}
	return false
}

// appendString appends s as a JSON string, escaped like encoding/json
// (HTML-safe, U+2028 and U+2029 escaped, invalid UTF-8 replaced), except
// that backspace and form feed are written as \u0008 and \u000c, and that
// the generalized UTF-8 form of a surrogate (see unquote) is written as
// its \u escape. A string holding both halves of a pair that way is
// written as the pair, which decodes to the character the halves make, as
// when JavaScript joins two strings.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if byteClass[c] == classPlain {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			if u, ok := surrogateAt(s, i); ok {
				b = append(b, '\\', 'u', 'd', hexDigits[u>>8&0xF], hexDigits[u>>4&0xF], hexDigits[u&0xF])
				size = 3
			} else {
				b = append(b, `\ufffd`...)
			}
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
