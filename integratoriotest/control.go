package integratoriotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
)

// ControlPrefix is the path under which WithControlAPI serves the control
// API. It lies outside APIPrefix, so it cannot collide with the API.
const ControlPrefix = "/_fake"

// WithControlAPI makes the server serve, beside the API, a control API for
// tests that cannot call the Server's methods, such as tests written in
// another language against command integratorio-fake:
//
//	POST   /_fake/faults          add a fault (JSON below); answers {"pendingFaults":N}
//	DELETE /_fake/faults          remove every pending fault (ClearFaults); 204
//	GET    /_fake/requests        the request log (Requests) as a JSON array
//	POST   /_fake/reset-requests  forget the request log (ResetRequests); 204
//	GET    /_fake/stats           {"pendingFaults":N,"rateLimited":N} (PendingFaults, RateLimited)
//
// A fault is
//
//	{"kind":"fail","status":503,"n":2,"method":"PUT","path":"/integrations/*"}
//	{"kind":"rate-limit","retryAfter":"2s","n":1}
//	{"kind":"drop","method":"POST","path":"/integrations"}
//
// as FailNext, RateLimitNext and DropNext: "n" is how many matching
// requests it applies to (default 1); "method" (GET, POST, PUT, PATCH,
// DELETE, HEAD or OPTIONS, in any case) and "path" narrow it as OnMethod
// and OnPath do (path is a path.Match pattern relative to the API root,
// starting with "/"; a leading "/v1" is taken off); "status" (kind fail only) is the
// status to answer; "retryAfter" (kind rate-limit only) is a Go duration
// string such as "2s" or a number of seconds, sent rounded up to whole
// seconds (absent or 0: no Retry-After header). Unknown members are
// refused, as are a status or retryAfter for another kind.
//
// Each entry of the request log is {"method","path","query","header",
// "body","status","dropped"}, as in Request; "body" is the body as a string
// (absent when there was none), or "bodyBase64" when it is not UTF-8. The
// array decodes with encoding/json into []Request.
//
// A test seeds what the Server's methods seed with these (bodies are the
// JSON forms of the methods' arguments; each answers 204, or 400 with the
// API's error envelope for a body the method would refuse):
//
//	POST /_fake/flows/{flowID}/{stepID}/errors  an array of error objects, as AddFlowErrors (404 when the flow does not exist)
//	PUT  /_fake/flows/{flowID}/runs             a RunScript, as ScriptRuns: {"status","numSuccess","numError","numIgnore","stall"}
//	PUT  /_fake/connections/{id}/ping           a PingAnswer, as SetPingAnswer: {"status","code","errors":[{"code","message","field"}]}
//	PUT  /_fake/exports/{id}/invoke             the answer, any JSON value, as SetInvokeAnswer (an empty body restores the default)
//
// The control API requires the server's bearer token, like the API, since
// the server may listen beyond loopback. Its requests are not subject to
// faults, the rate limit or the latency, and are not listed by Requests nor
// logged by WithLogger: the log holds only what a client of the API did.
// Errors are answered with the API's error envelope.
func WithControlAPI() Option {
	return func(o *options) { o.control = true }
}

// isControlPath reports whether p lies under ControlPrefix.
func isControlPath(p string) bool {
	return p == ControlPrefix || strings.HasPrefix(p, ControlPrefix+"/")
}

// serveControl answers a request of the control API.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	switch {
	case err != nil:
		writeErr(w, err)
		return
	case !s.authorized(r):
		writeUnauthorized(w)
		return
	}
	route := strings.TrimPrefix(r.URL.Path, ControlPrefix)
	var allow string
	switch route {
	case "/faults":
		switch r.Method {
		case http.MethodPost:
			if err := s.controlAddFault(body); err != nil {
				writeErr(w, err)
				return
			}
			writeJSON(w, http.StatusOK, map[string]int{"pendingFaults": s.PendingFaults()})
			return
		case http.MethodDelete:
			s.ClearFaults()
			writeNoContent(w)
			return
		}
		allow = "POST, DELETE"
	case "/requests":
		if r.Method == http.MethodGet {
			writeJSON(w, http.StatusOK, s.Requests())
			return
		}
		allow = "GET"
	case "/reset-requests":
		if r.Method == http.MethodPost {
			s.ResetRequests()
			writeNoContent(w)
			return
		}
		allow = "POST"
	case "/stats":
		if r.Method == http.MethodGet {
			writeJSON(w, http.StatusOK, map[string]int{
				"pendingFaults": s.PendingFaults(),
				"rateLimited":   s.RateLimited(),
			})
			return
		}
		allow = "GET"
	default:
		if allow = s.serveSeedControl(w, r, body); allow == "" {
			return
		}
	}
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "", r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+allow)
}

// controlFault is the body of POST /_fake/faults.
type controlFault struct {
	Kind       string          `json:"kind"`
	N          *int            `json:"n"`
	Status     int             `json:"status"`
	RetryAfter json.RawMessage `json:"retryAfter"`
	Method     string          `json:"method"`
	Path       string          `json:"path"`
}

// controlAddFault adds the fault body describes.
func (s *Server) controlAddFault(body []byte) error {
	if !isJSONObject(body) {
		return badRequest("invalid_json", "", "the body must be a JSON object describing a fault")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var cf controlFault
	if err := dec.Decode(&cf); err != nil {
		return badRequest("invalid_json", "", "the fault is not valid: %v", err)
	}
	if dec.More() {
		return badRequest("invalid_json", "", "unexpected data after the fault")
	}
	n := 1
	if cf.N != nil {
		n = *cf.N
	}
	if n < 1 {
		return badRequest("invalid_fault", "n", "n must be at least 1, not %d", n)
	}
	var opts []FaultOption
	if cf.Method != "" {
		if !isMethod(cf.Method) {
			return badRequest("invalid_fault", "method", "method %q is not GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS", cf.Method)
		}
		opts = append(opts, OnMethod(cf.Method))
	}
	if cf.Path != "" {
		p, err := faultPath(cf.Path)
		if err != nil {
			return badRequest("invalid_fault", "path", "%v", err)
		}
		opts = append(opts, OnPath(p))
	}
	hasRetryAfter := len(cf.RetryAfter) > 0 && string(cf.RetryAfter) != "null"
	switch cf.Kind {
	case "fail":
		if hasRetryAfter {
			return badRequest("invalid_fault", "retryAfter", `retryAfter applies to kind "rate-limit" only`)
		}
		if cf.Status < 200 || cf.Status > 599 {
			return badRequest("invalid_fault", "status", "kind fail needs a status from 200 to 599, not %d", cf.Status)
		}
		s.FailNext(n, cf.Status, opts...)
	case "rate-limit":
		if cf.Status != 0 && cf.Status != http.StatusTooManyRequests {
			return badRequest("invalid_fault", "status", `a "rate-limit" fault answers 429; use kind "fail" for status %d`, cf.Status)
		}
		var ra time.Duration
		if hasRetryAfter {
			var err error
			if ra, err = parseRetryAfterJSON(cf.RetryAfter); err != nil {
				return badRequest("invalid_fault", "retryAfter", "%v", err)
			}
		}
		s.RateLimitNext(n, ra, opts...)
	case "drop":
		if cf.Status != 0 || hasRetryAfter {
			return badRequest("invalid_fault", "", `a "drop" fault takes no status or retryAfter`)
		}
		s.DropNext(n, opts...)
	default:
		return badRequest("invalid_fault", "kind", `kind must be "fail", "rate-limit" or "drop", not %q`, cf.Kind)
	}
	return nil
}

// faultPath checks the path pattern of a fault given to the control API:
// it must start with "/" and be a valid path.Match pattern, and a leading
// APIPrefix ("/v1") is taken off, so that "/v1/integrations/*" and
// "/integrations/*" are the same pattern.
func faultPath(pattern string) (string, error) {
	if !strings.HasPrefix(pattern, "/") {
		return "", fmt.Errorf("path %q must start with /", pattern)
	}
	pattern = trimAPIPrefix(pattern)
	if _, err := path.Match(pattern, ""); err != nil {
		return "", fmt.Errorf("path %q is not a valid pattern: %v", pattern, err)
	}
	return pattern, nil
}

// parseRetryAfterJSON reads retryAfter: a Go duration string or a number
// of seconds, not negative.
func parseRetryAfterJSON(raw json.RawMessage) (time.Duration, error) {
	var d time.Duration
	var str string
	var secs float64
	switch {
	case json.Unmarshal(raw, &str) == nil:
		var err error
		if d, err = time.ParseDuration(str); err != nil {
			return 0, fmt.Errorf("retryAfter %q is not a duration such as \"2s\"", str)
		}
	case json.Unmarshal(raw, &secs) == nil:
		if secs > float64(100*365*24*time.Hour/time.Second) {
			secs = float64(100 * 365 * 24 * time.Hour / time.Second)
		}
		d = time.Duration(secs * float64(time.Second))
	default:
		return 0, errors.New(`retryAfter must be a duration string such as "2s" or a number of seconds`)
	}
	if d < 0 {
		return 0, fmt.Errorf("retryAfter %s is negative", d)
	}
	return d, nil
}

// isJSONObject reports whether b, trimmed, starts like a JSON object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// isMethod reports whether s names one of the HTTP methods, in any case.
func isMethod(s string) bool {
	switch strings.ToUpper(s) {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}
