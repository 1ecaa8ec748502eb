package integratorio

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hasSurrogate reports whether s holds the generalized UTF-8 form of a
// surrogate (see unquote).
func hasSurrogate(s string) bool {
	for i := range len(s) {
		if _, ok := surrogateAt(s, i); ok {
			return true
		}
	}
	return false
}

// jsonView returns what encoding/json decodes from appendString(s): the
// generalized UTF-8 form of a high surrogate directly followed by that of
// a low one becomes the character the pair encodes, any other surrogate
// U+FFFD, as does every other byte that is not UTF-8. For a string this
// SDK decoded, it is the string encoding/json decodes from the same JSON.
func jsonView(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if hi, ok := surrogateAt(s, i); ok {
			if lo, ok := surrogateAt(s, i+3); ok && hi < 0xDC00 && lo >= 0xDC00 {
				b.WriteRune(utf16.DecodeRune(hi, lo))
				i += 6
				continue
			}
			b.WriteRune(utf8.RuneError)
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for a byte that is not UTF-8
		i += size
	}
	return b.String()
}

// decodedView returns what unquote decodes from appendString(s): as
// jsonView, but a lone surrogate keeps its generalized UTF-8 form.
func decodedView(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if hi, ok := surrogateAt(s, i); ok {
			if lo, ok := surrogateAt(s, i+3); ok && hi < 0xDC00 && lo >= 0xDC00 {
				b.WriteRune(utf16.DecodeRune(hi, lo))
				i += 6
				continue
			}
			b.WriteString(s[i : i+3])
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

func TestUnquote(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want  string
		canonical bool
	}{
		{`"plain"`, "plain", true},
		{`""`, "", true},
		{`"\ud83d"`, "\xed\xa0\xbd", true},
		{`"\uD83D"`, "\xed\xa0\xbd", false},
		{`"\udc00x"`, "\xed\xb0\x80x", true},
		{`"\ud83d\ude00"`, "\U0001F600", false},
		{`"\ud83d\ud83d\ude00"`, "\xed\xa0\xbd\U0001F600", false},
		{`"\ude00\ud83d"`, "\xed\xb8\x80\xed\xa0\xbd", true},
		{`"\ud83d\u0041"`, "\xed\xa0\xbdA", false},
		{`"\u003c\u0026\u003e\u2028\u2029\u0000\u001f"`, "<&>\u2028\u2029\x00\x1f", true},
		{`"\u003C"`, "<", false},
		{`"\u000a"`, "\n", false},
		{`"\n\r\t\"\\"`, "\n\r\t\"\\", true},
		{`"\/\b\f"`, "/\b\f", false},
		{`"caf\u00e9"`, "café", false},
		{`"café"`, "café", true},
		{`"\ufffd"`, "\uFFFD", false},
		{"\"\uFFFD\"", "\uFFFD", true},
		{"\"\xff\"", "\uFFFD", false},
		{"\"\xed\xa0\xbd\"", "\uFFFD\uFFFD\uFFFD", false},
		{"\"a<b\"", "a<b", false},
		{"\"\u2028\"", "\u2028", false},
	} {
		got, canonical, err := unquote([]byte(tc.in))
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Equal(t, tc.canonical, canonical, tc.in)
		assert.Equal(t, canonical, string(appendString(nil, got)) == tc.in, "canonical means appendString gives %s back", tc.in)
	}
	for _, bad := range []string{``, `"`, `"\"`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"\x01\"", `"a"b"`} {
		_, _, err := unquote([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

// FuzzUnquote checks the SDK's string decoder against encoding/json (the
// same string, but for lone surrogates, see jsonView), and that it reports
// exactly when appendString writes the string back as received.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"plain"`, `"\ud83d"`, `"\ud83d\ude00"`, `"\uDBFF\uDFFF"`, `"caf\u00e9"`, `"<&>"`, "\"\xff\xed\xa0\xbd\"", `"\u2028 \u2029"`, `"\/\b\f\n"`, `"\ud800\ud800\udc00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		if len(q) == 0 || q[0] != '"' {
			return
		}
		if end, _, err := scanString(q, 0); err != nil || end != len(q) {
			return
		}
		s, canonical, err := unquote(q)
		require.NoError(t, err)
		var want string
		require.NoError(t, json.Unmarshal(q, &want))
		assert.Equal(t, want, jsonView(s))
		enc := appendString(nil, s)
		assert.Equal(t, canonical, string(enc) == string(q), "canonical: appendString gives %q", enc)
		back, canon2, err := unquote(enc)
		require.NoError(t, err)
		assert.Equal(t, s, back, "appendString writes what unquote read")
		assert.True(t, canon2)
		ds, dc, ok := decodeString(q)
		assert.True(t, ok)
		assert.Equal(t, s, ds)
		assert.Equal(t, canonical, dc)
	})
}

func TestCanonicalTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`"2024-01-02T03:04:05Z"`, true},
		{`"2024-01-02T03:04:05.1Z"`, true},
		{`"2024-01-02T03:04:05.123456789Z"`, true},
		{`"2024-01-02T03:04:05.786+02:00"`, true},
		{`"2024-01-02T03:04:05.000Z"`, false},
		{`"2024-01-02T03:04:05.120Z"`, false},
		{`"2024-01-02T03:04:05.1234567891Z"`, false},
		{`"2024-01-02T03:04:05+00:00"`, false},
		{`"2024-01-02T03:04:05-00:00"`, false},
		{`"2024-01-02t03:04:05Z"`, false},
		{`"2024-01-02T03:04:05."`, false},
		{`"2024-01-02T03:04:05"`, false},
	} {
		assert.Equal(t, tc.want, canonicalTime([]byte(tc.in)), tc.in)
	}
}

// FuzzCanonicalTime checks that canonicalTime only says so of a time that
// encodes as received.
func FuzzCanonicalTime(f *testing.F) {
	for _, s := range []string{`"2024-01-02T03:04:05Z"`, `"2024-01-02T03:04:05.786+02:00"`, `"0000-01-01T00:00:00.5-23:59"`, `"2024-02-29T23:59:59.999999999Z"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, val []byte) {
		var tm time.Time
		if tm.UnmarshalJSON(val) != nil {
			return
		}
		if canonicalTime(val) {
			assert.True(t, sameTimeText(tm, val), "%s", val)
		}
	})
}
