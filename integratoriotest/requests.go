package integratoriotest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
)

// Request is a request the server received, as listed by Requests. It never
// holds the bearer token: the Authorization header is left out, and any
// occurrence of the server's token elsewhere is replaced by "REDACTED".
type Request struct {
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Path is the escaped path relative to the API root, e.g.
	// "/integrations/5f0c...". A path outside the API root is kept whole.
	Path string
	// Query is the raw query string, without "?".
	Query string
	// Header holds the request headers other than Authorization, Cookie
	// and Proxy-Authorization.
	Header http.Header
	// Body is the request body; nil when there was none.
	Body []byte
	// Status is the status the server answered (or would have answered,
	// when Dropped).
	Status int
	// Dropped reports that the server ran the request and then closed the
	// connection instead of answering (a DropNext fault).
	Dropped bool
}

// Requests returns the requests received so far, oldest first. A request is
// listed before its client receives the answer.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

var redacted = []byte("REDACTED")

// logRequest appends r to the request log.
func (s *Server) logRequest(r *http.Request, body []byte, status int, dropped bool) {
	h := r.Header.Clone()
	for _, k := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
		h.Del(k)
	}
	for _, vs := range h {
		for i, v := range vs {
			vs[i] = string(s.redact([]byte(v))) // vs is h's own slice
		}
	}
	var b []byte
	if len(body) > 0 {
		b = s.redact(body)
	}
	req := Request{
		Method:  r.Method,
		Path:    string(s.redact([]byte(apiPath(r.URL.EscapedPath())))),
		Query:   string(s.redact([]byte(r.URL.RawQuery))),
		Header:  h,
		Body:    b,
		Status:  status,
		Dropped: dropped,
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	if limit := s.opts.maxRequests; limit > 0 && len(s.requests) > limit {
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-limit:]...)
	}
	s.mu.Unlock()
	if l := s.opts.logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelInfo, "integratoriotest: request",
			slog.String("method", req.Method),
			slog.String("path", req.Path),
			slog.String("query", req.Query),
			slog.Int("status", req.Status),
			slog.Bool("dropped", req.Dropped))
	}
}

// redact replaces the server's token in b, in plain, path-escaped and
// query-escaped form.
func (s *Server) redact(b []byte) []byte {
	for _, form := range []string{s.Token, url.PathEscape(s.Token), url.QueryEscape(s.Token)} {
		if form != "" && bytes.Contains(b, []byte(form)) {
			b = bytes.ReplaceAll(b, []byte(form), redacted)
		}
	}
	return b
}
