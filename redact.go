package integratorio

import (
	"unsafe"

	"github.com/integratorio-go/integratorio/internal/redact"
)

// The token must never reach an error or a log line, in any form a server
// or proxy may echo it in: raw, JSON-escaped (\u0061, \/), percent-encoded
// (%61), or a mix of these, whole or cut short by a length limit. Every
// piece of server-supplied text goes through redact before it is kept in
// an error, and before it is cut.

// redactor finds one token in its encoded forms (see package
// internal/redact, shared with the fake's request log).
type redactor struct{ t redact.Token }

func newRedactor(token string) redactor { return redactor{redact.New(token)} }

// redact returns b with every encoded copy of the token replaced by
// REDACTED; b itself when there is none.
func (r redactor) redact(b []byte) []byte { return r.t.Redact(b) }

// redactCut redacts b and then cuts it to at most limit bytes. b should
// hold more than limit bytes when more were available (see redactSlack),
// so that a token straddling the limit is found whole before the cut.
// When b is cut here, or was cut already (cut: its source went on), a
// tail that may be the start of the token is dropped.
func (r redactor) redactCut(b []byte, limit int, cut bool) []byte {
	return r.t.RedactCut(b, limit, cut)
}

// redactSlack is how many bytes beyond a limit are read so that a token
// straddling the limit is still seen whole.
func (r redactor) redactSlack() int { return r.t.Slack() }

// tokenRedactor returns the client's redactor. Like the token, it is held
// in a closure, out of reach of reflection.
func (c *Client) tokenRedactor() redactor { return c.red() }

// redactString removes the token from server-influenced text (paths, hosts,
// error messages, document members) before it goes into an error or a log
// line.
func (c *Client) redactString(s string) string {
	if s == "" {
		return s
	}
	in := unsafe.Slice(unsafe.StringData(s), len(s)) // only read
	out := c.tokenRedactor().redact(in)
	if len(out) == len(in) && unsafe.SliceData(out) == unsafe.SliceData(in) {
		return s
	}
	return string(out)
}

// redactedError is an error whose message had the token removed; it still
// unwraps to the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactError guards against an error quoting a URL, message or document
// member that a server made to contain the token.
func (c *Client) redactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := c.redactString(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}
