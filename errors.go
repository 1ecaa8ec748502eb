package integratorio

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. Match them with errors.Is: an *APIError matches the one
// for its status, so errors.Is(err, ErrNotFound) is true for any 404.
var (
	// ErrBadRequest matches 400 and 422 answers.
	ErrBadRequest = errors.New("integratorio: bad request")
	// ErrUnauthorized matches 401 answers: the token is missing, wrong or
	// from another region.
	ErrUnauthorized = errors.New("integratorio: unauthorized")
	// ErrForbidden matches 403 answers.
	ErrForbidden = errors.New("integratorio: forbidden")
	// ErrNotFound matches 404 answers.
	ErrNotFound = errors.New("integratorio: not found")
	// ErrConflict matches 409 answers, and a read-modify-write that found
	// the document changed under it.
	ErrConflict = errors.New("integratorio: conflict")
	// ErrRateLimited matches 429 answers.
	ErrRateLimited = errors.New("integratorio: rate limited")
	// ErrServerError matches 5xx answers.
	ErrServerError = errors.New("integratorio: server error")
	// ErrInvalidArgument matches bad input refused before anything is
	// written: an empty or malformed id, a nil document, a document whose
	// id is not the one given, bad options, or a malformed version. (A
	// ManagedUpdate whose integration is already at the version matches
	// ErrVersionNotNewer instead.)
	ErrInvalidArgument = errors.New("integratorio: invalid argument")
	// ErrUnknownOutcome matches a failed create, clone, patch, run, retry
	// of errors or invoke that the server may nevertheless have carried
	// out: the connection failed after the request was sent, the server
	// answered 500, 502 or 504 (an *APIError that matches both), or it
	// answered 2xx with a body that could not be read. The SDK does not
	// retry such a request; check whether it took effect before trying
	// again.
	ErrUnknownOutcome = errors.New("integratorio: outcome unknown, the server may have acted on the request")
	// ErrUnexpectedResponse matches a successful status whose body is not
	// what the endpoint returns: not JSON, the wrong JSON shape, or a
	// document without an id.
	ErrUnexpectedResponse = errors.New("integratorio: unexpected response")
)

// maxErrorBody caps how much of an error response is read and kept.
const maxErrorBody = 64 << 10

// APIError is a non-2xx answer from the API.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Method and Path name the request, Path relative to the API root
	// (e.g. "/integrations/abc"), without query.
	Method, Path string
	// Errors is the decoded {"errors":[...]} envelope; empty when the body
	// was something else.
	Errors []ErrorDetail
	// RetryAfter is the wait the server asked for in Retry-After, when
	// present.
	RetryAfter time.Duration
	// Body is the raw body, at most 64 KiB of it, with the token removed
	// should the server have echoed it.
	Body []byte

	// mayHaveActed: an earlier attempt of the same request failed in a
	// way the server may have acted on (for Delete's 404-after-retry).
	mayHaveActed bool
	// bare is the message of a {"message": "..."} body (the 401 shape),
	// redacted and on one line.
	bare string
	// note explains an answer the SDK refused to act on (a redirect of a
	// write).
	note string
	// unknownOutcome: a create, clone or patch answered 500, 502 or 504,
	// which the server may have carried out before failing.
	unknownOutcome bool
}

// ErrorDetail is one entry of the API's error envelope. Program against
// Code; Message is for people.
type ErrorDetail struct {
	// Code is the machine-readable error code, e.g. "invalid_field".
	Code string `json:"code"`
	// Message describes the error for people.
	Message string `json:"message"`
	// Field names the offending field, when the API says.
	Field string `json:"field,omitempty"`
}

// Error reads like "integratorio: GET /integrations/abc: 404 not_found:
// Integration not found".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "integratorio: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if len(e.Errors) == 0 {
		if e.bare != "" {
			b.WriteString(" " + e.bare)
		} else if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteString(" " + t)
		}
	}
	for i, d := range e.Errors {
		if i > 0 {
			b.WriteString(";")
		}
		if c := oneLine(d.Code); c != "" {
			b.WriteString(" " + c)
		}
		if f := oneLine(d.Field); f != "" {
			b.WriteString(" (" + f + ")")
		}
		if m := oneLine(d.Message); m != "" {
			b.WriteString(": " + m)
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.note != "" {
		b.WriteString(": " + e.note)
	}
	return b.String()
}

// Code returns the first error code of the envelope, or "".
func (e *APIError) Code() string {
	for _, d := range e.Errors {
		if d.Code != "" {
			return d.Code
		}
	}
	return ""
}

// Is matches the sentinel for the error's status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServerError:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	case ErrUnknownOutcome:
		return e.unknownOutcome
	}
	return false
}

// newAPIError builds the error for a non-2xx answer from its body, read to
// at most maxErrorBody plus the redactor's slack. The token is removed
// before the body is cut to maxErrorBody, and again from every decoded
// string, so that neither an escaped copy nor one straddling the cut
// survives.
func newAPIError(red redactor, method, path string, status int, retryAfter time.Duration, body []byte, cut bool) *APIError {
	body = red.redactCut(body, maxErrorBody, cut)
	e := &APIError{StatusCode: status, Method: method, Path: path, RetryAfter: retryAfter, Body: body}
	var env struct {
		Errors  []ErrorDetail `json:"errors"`
		Message string        `json:"message"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Errors = env.Errors
		for i := range e.Errors {
			d := &e.Errors[i]
			d.Code, d.Message, d.Field = redactText(red, d.Code), redactText(red, d.Message), redactText(red, d.Field)
		}
		e.bare = oneLine(redactText(red, env.Message))
	}
	return e
}

// redactText removes the token from a decoded string.
func redactText(red redactor, s string) string {
	if s == "" {
		return s
	}
	return string(red.redact([]byte(s)))
}

// maxMessage bounds each server-supplied text in an error message.
const maxMessage = 300

// oneLine makes server-supplied text safe for a one-line error message:
// control characters and runs of white space become one space, and long
// text is cut.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// invalidArgf returns an error matching ErrInvalidArgument.
func invalidArgf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}
