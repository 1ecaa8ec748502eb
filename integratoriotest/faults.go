package integratoriotest

import (
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// FaultOption narrows which requests a fault applies to.
type FaultOption func(*fault)

// OnMethod makes a fault apply only to requests with the given method,
// e.g. "POST".
func OnMethod(method string) FaultOption {
	return func(f *fault) { f.method = strings.ToUpper(method) }
}

// OnPath makes a fault apply only to requests whose escaped path, relative
// to the API root, matches pattern as in path.Match: "/integrations",
// "/integrations/*", "/integrations/*/clone". A leading APIPrefix ("/v1")
// is taken off, so "/v1/integrations/*" is the same pattern.
//
// OnPath panics on a malformed pattern, like regexp.MustCompile: it is meant
// for tests.
func OnPath(pattern string) FaultOption {
	pattern = trimAPIPrefix(pattern)
	if _, err := path.Match(pattern, ""); err != nil {
		panic(fmt.Sprintf("integratoriotest: OnPath(%q): %v", pattern, err))
	}
	return func(f *fault) { f.pathPattern = pattern }
}

// trimAPIPrefix takes a leading APIPrefix off a path pattern.
func trimAPIPrefix(pattern string) string {
	switch rest, ok := strings.CutPrefix(pattern, APIPrefix); {
	case ok && rest == "":
		return "/"
	case ok && rest[0] == '/':
		return rest
	}
	return pattern
}

// fault is a misbehaviour waiting for matching requests.
type fault struct {
	method      string // "" matches any
	pathPattern string // "" matches any
	remaining   int

	status     int    // answer this instead of running the handler
	retryAfter string // Retry-After sent with status
	drop       bool   // run the handler, then close the connection
}

func (f *fault) matches(method, p string) bool {
	if f.method != "" && f.method != method {
		return false
	}
	if f.pathPattern != "" {
		ok, err := path.Match(f.pathPattern, p)
		if err != nil || !ok {
			return false
		}
	}
	return true
}

// write answers the fault's status with the error envelope.
func (f *fault) write(w http.ResponseWriter) {
	code := "injected_fault"
	switch {
	case f.status == http.StatusTooManyRequests:
		code = "rate_limited"
	case f.status >= 500:
		code = "server_error"
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	writeError(w, f.status, code, "", "fault injected by integratoriotest: "+http.StatusText(f.status))
}

// FailNext makes the next n matching requests answer status, with the error
// envelope, without running them. The faults of FailNext, RateLimitNext and
// DropNext are kept in the order they were added; each request is subject
// to the first one it matches, which then has one use less.
//
// Faults apply before the token is checked and before the rate limit of
// WithRateLimit, like a proxy in front of the API: a request a fault
// answers never reaches the rate limit's bucket. A status of 0 or n below 1 adds nothing; a status outside 200-599
// panics, like regexp.MustCompile: FailNext is meant for tests.
func (s *Server) FailNext(n, status int, opts ...FaultOption) {
	if status == 0 {
		return
	}
	if status < 200 || status > 599 {
		panic(fmt.Sprintf("integratoriotest: FailNext: status %d is not a final HTTP status (200-599)", status))
	}
	s.addFault(n, &fault{status: status}, opts)
}

// RateLimitNext makes the next n matching requests answer 429 with the
// error code rate_limited and Retry-After set to retryAfter in whole
// seconds, rounded up (0 sends no Retry-After header). The requests are
// not run.
func (s *Server) RateLimitNext(n int, retryAfter time.Duration, opts ...FaultOption) {
	f := &fault{status: http.StatusTooManyRequests}
	retryAfter = min(retryAfter, 100*365*24*time.Hour)
	if retryAfter > 0 {
		f.retryAfter = strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10)
	}
	s.addFault(n, f, opts)
}

// DropNext makes the server run the next n matching requests and then close
// their connections without answering: the request took effect, but the
// client sees a transport error. This is the case that makes a retried
// create produce a duplicate. A dropped request still counts against the
// rate limit of WithRateLimit, and is not run when over it.
func (s *Server) DropNext(n int, opts ...FaultOption) {
	s.addFault(n, &fault{drop: true}, opts)
}

// PendingFaults returns how many fault uses are left, over all faults.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.remaining
	}
	return n
}

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) addFault(n int, f *fault, opts []FaultOption) {
	if n < 1 {
		return
	}
	f.remaining = n
	for _, o := range opts {
		if o != nil {
			o(f)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// takeFault returns the fault a request is subject to, using it up once,
// or nil.
func (s *Server) takeFault(method, p string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(method, p) {
			continue
		}
		f.remaining--
		if f.remaining == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		cp := *f
		return &cp
	}
	return nil
}
