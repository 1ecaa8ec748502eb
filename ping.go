package integratorio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ErrConnectionFailed matches a ping of a connection that does not work.
var ErrConnectionFailed = errors.New("integratorio: the connection does not work")

// PingError is a failed ping. It matches ErrConnectionFailed, and the
// *APIError when the API answered an error status.
type PingError struct {
	// ConnectionID is the connection pinged.
	ConnectionID string
	// Code is the answer's code member, or its status.
	Code int
	// Errors are the reasons the API gave.
	Errors []ErrorDetail
	// Err is the *APIError of a 4xx answer (not 401, 403, 404 or 429,
	// which are the request's errors, not the connection's); nil for a
	// 2xx one.
	Err error
}

// Error says why the connection does not work.
func (e *PingError) Error() string {
	var reasons []string
	for _, d := range e.Errors {
		reasons = append(reasons, strings.TrimSpace(oneLine(d.Code)+": "+oneLine(d.Message)))
	}
	if len(reasons) == 0 && e.Err != nil {
		reasons = append(reasons, e.Err.Error())
	}
	return fmt.Sprintf("integratorio: connection %s does not work (%d): %s", e.ConnectionID, e.Code, strings.Join(reasons, "; "))
}

// Is matches ErrConnectionFailed.
func (e *PingError) Is(target error) bool { return target == ErrConnectionFailed }

// Unwrap returns the *APIError of an error status.
func (e *PingError) Unwrap() error { return e.Err }

func (s *connections) Ping(ctx context.Context, id string) error {
	p, err := s.docPath(id)
	if err != nil {
		return err
	}
	pe := &PingError{ConnectionID: id, Code: http.StatusOK} // a 2xx answer works unless its body says otherwise
	decode := func(r *response, method string) error {
		if b := bytes.TrimSpace(r.body); len(b) > 0 && (b[0] != '{' || !json.Valid(b)) {
			// An HTML page from a proxy, say: whether the connection
			// works is unknown, not "works".
			return r.unexpected(method, "the ping's answer is not a JSON object: %s", r.excerpt())
		}
		pe.Code, pe.Errors = pingAnswer(r.body, s.c.tokenRedactor())
		return nil
	}
	err = s.c.send(request{ctx: ctx, method: http.MethodPost, path: p + "/ping", body: struct{}{}, safe: true}, func(r *response) error {
		return decode(r, http.MethodPost)
	})
	var apiErr *APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusNotFound || apiErr.StatusCode == http.StatusMethodNotAllowed) {
		// A server that pings by GET only, or no such connection: the
		// GET tells.
		err = s.c.send(request{ctx: ctx, method: http.MethodGet, path: p + "/ping"}, func(r *response) error {
			return decode(r, http.MethodGet)
		})
	}
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && !requestsFault(apiErr.StatusCode):
		// The API refused the connection (its settings, the endpoint's
		// answer): the reason is the connection's, not the request's.
		pe.Code, pe.Errors, pe.Err = apiErr.StatusCode, apiErr.Errors, err
		return s.c.redactError(pe)
	case err != nil:
		return err
	}
	if len(pe.Errors) == 0 && pe.Code == http.StatusOK {
		return nil
	}
	return s.c.redactError(pe)
}

// requestsFault reports a 4xx status that is the request's fault (the
// token, its permissions, the id, a server that pings by neither method,
// the rate limit), not the connection's.
func requestsFault(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusTooManyRequests:
		return true
	}
	return false
}

// pingAnswer reads a 2xx ping answer tolerantly: its code (a number or a
// numeric string; 200 when absent) and its errors, each decoded on its
// own, so that one of an unexpected shape never hides the other. Errors
// are an array of the API's error objects (an entry of another shape, a
// bare string say, is kept as the reason); errors of any other shape (an
// object, a string) are one reason. A body that is not an object holds
// neither.
func pingAnswer(body []byte, red redactor) (int, []ErrorDetail) {
	var answer map[string]json.RawMessage
	code := http.StatusOK
	if json.Unmarshal(body, &answer) != nil {
		return code, nil
	}
	if c := strings.Trim(string(answer["code"]), `"`); c != "" && c != "null" {
		if n, err := strconv.Atoi(c); err == nil {
			code = n
		} else {
			code = 0 // a code that is no number is not 200
		}
	}
	raw := answer["errors"]
	var list []json.RawMessage
	switch {
	case len(raw) == 0 || string(raw) == "null" || string(raw) == "[]" || string(raw) == "{}" || string(raw) == `""`:
	case json.Unmarshal(raw, &list) == nil:
	default:
		list = []json.RawMessage{raw} // one error, not in an array
	}
	var errs []ErrorDetail
	for _, raw := range list {
		var d ErrorDetail
		if json.Unmarshal(raw, &d) != nil || d == (ErrorDetail{}) {
			d = ErrorDetail{Message: string(raw)} // a bare string or other shape: keep it as the reason
		}
		d.Code, d.Message, d.Field = redactText(red, d.Code), redactText(red, d.Message), redactText(red, d.Field)
		errs = append(errs, d)
	}
	return code, errs
}
