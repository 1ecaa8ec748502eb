package redact

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// New matches the token's letters in their case only; NewFold in any case,
// raw, percent-encoded or JSON-escaped; both find every encoding.
func TestTokenCaseAndEncodings(t *testing.T) {
	t.Parallel()
	exact, fold := New("tok-Ab"), NewFold("tok-Ab")
	for _, tc := range []struct {
		in          string
		exact, fold string
	}{
		{"x tok-Ab y", "x REDACTED y", "x REDACTED y"},
		{"x TOK-AB y", "x TOK-AB y", "x REDACTED y"},
		{"x %74%6F%6B-Ab y", "x REDACTED y", "x REDACTED y"},
		{"x %54%4f%4b-aB y", "x %54%4f%4b-aB y", "x REDACTED y"},
		{`x \u0074\u006F\u006b\u002d\u0041\u0062 y`, "x REDACTED y", "x REDACTED y"},
		{`x \u0054ok-ab y`, `x \u0054ok-ab y`, "x REDACTED y"},
		{`x \u0025\u0037\u0034ok-Ab y`, `x \u0025\u0037\u0034ok-Ab y`, `x \u0025\u0037\u0034ok-Ab y`},
		{`x \u002574ok-Ab y`, "x REDACTED y", "x REDACTED y"},
		{"tok-A", "tok-A", "tok-A"},
	} {
		assert.Equal(t, tc.exact, exact.RedactString(tc.in), "New: %s", tc.in)
		assert.Equal(t, tc.fold, fold.RedactString(tc.in), "NewFold: %s", tc.in)
		assert.Equal(t, tc.exact != tc.in, exact.Holds([]byte(tc.in)), "New.Holds: %s", tc.in)
		assert.Equal(t, tc.fold != tc.in, fold.Holds([]byte(tc.in)), "NewFold.Holds: %s", tc.in)
	}
}

// A Token for the empty string (or the zero Token) finds nothing and
// changes nothing, cut or not.
func TestEmptyTokenFindsNothing(t *testing.T) {
	t.Parallel()
	for _, tok := range []Token{{}, New(""), NewFold("")} {
		assert.False(t, tok.Holds([]byte("abc")))
		assert.Equal(t, "abc", tok.RedactString("abc"))
		assert.Equal(t, "ab", string(tok.RedactCut([]byte("abc"), 2, true)))
		assert.Equal(t, 0, tok.Slack())
	}
}
