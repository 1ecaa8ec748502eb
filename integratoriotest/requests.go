package integratoriotest

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/integratorio-go/integratorio/internal/redact"
)

// Request is a request the server received, as listed by Requests. It never
// holds the bearer token: the Authorization header is left out, and any
// occurrence of the server's token elsewhere (in the method, path, query,
// header names and values, body), in any case and however it was escaped,
// is replaced by "REDACTED". A header name that held it is canonicalized
// again: a header "X-<token>" is listed as "X-Redacted". A body sent gzip-
// or deflate-compressed (Content-Encoding) is checked decompressed, and
// one that held the token is listed redacted and compressed again.
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

// requestJSON is the JSON form of a Request.
type requestJSON struct {
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Query      string      `json:"query"`
	Header     http.Header `json:"header"`
	Body       *string     `json:"body,omitempty"`
	BodyBase64 []byte      `json:"bodyBase64,omitempty"`
	Status     int         `json:"status"`
	Dropped    bool        `json:"dropped"`
}

// MarshalJSON encodes r as an entry of the control API's GET
// /_fake/requests: {"method","path","query","header","body","status",
// "dropped"}, "body" being the body as a string (absent when there was
// none), or "bodyBase64" in its place when the body is not UTF-8; a nil
// header is {}.
func (r Request) MarshalJSON() ([]byte, error) {
	j := requestJSON{
		Method: r.Method, Path: r.Path, Query: r.Query, Header: r.Header,
		Status: r.Status, Dropped: r.Dropped,
	}
	if j.Header == nil {
		j.Header = http.Header{}
	}
	switch {
	case r.Body == nil:
	case utf8.Valid(r.Body):
		b := string(r.Body)
		j.Body = &b
	default:
		j.BodyBase64 = r.Body
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON encodes, so that a client of the
// control API written in Go can decode GET /_fake/requests into
// []Request.
func (r *Request) UnmarshalJSON(b []byte) error {
	var j requestJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Request{
		Method: j.Method, Path: j.Path, Query: j.Query, Header: j.Header,
		Status: j.Status, Dropped: j.Dropped,
	}
	switch {
	case j.Body != nil:
		r.Body = []byte(*j.Body)
	case j.BodyBase64 != nil:
		r.Body = j.BodyBase64
	}
	return nil
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

// logRequest appends r to the request log. The token is taken out of every
// part of it first; see Request.
func (s *Server) logRequest(r *http.Request, body []byte, status int, dropped bool) {
	red := s.logRedactor()
	req := Request{
		Method:  red.text(r.Method),
		Path:    red.path(apiPath(r.URL.EscapedPath())),
		Query:   red.query(r.URL.RawQuery),
		Header:  red.header(r.Header),
		Status:  status,
		Dropped: dropped,
	}
	if len(body) > 0 {
		req.Body = red.encodedBody(body, r.Header.Get("Content-Encoding"), r.Header.Get("Content-Type"))
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

// logRedactor returns the redactor for the server's current token (Token
// is an exported field, so it is read at each request, like authorized
// does), compiled once per token.
func (s *Server) logRedactor() *tokenRedactor {
	tok := s.Token
	s.redactMu.Lock()
	defer s.redactMu.Unlock()
	if s.redactor == nil || s.redactor.token != tok {
		s.redactor = newTokenRedactor(tok)
	}
	return s.redactor
}

// tokenRedactor takes one token out of the parts of a logged request.
type tokenRedactor struct {
	token string
	// red finds the token raw, JSON-escaped, percent-encoded or a mix of
	// these, with its letters in any case: header names reach the server
	// canonicalized ("X-Tok-..."). It is the SDK's own redaction.
	red redact.Token
}

func newTokenRedactor(tok string) *tokenRedactor {
	return &tokenRedactor{token: tok, red: redact.NewFold(tok)}
}

// holds reports whether s holds the token in any form text replaces.
func (t *tokenRedactor) holds(s string) bool { return t.red.Holds([]byte(s)) }

// text replaces the token in s.
func (t *tokenRedactor) text(s string) string { return t.red.RedactString(s) }

// path redacts an escaped path: each segment that holds the token once
// unescaped (however its characters were escaped) is unescaped, redacted
// and escaped again; the others are kept as sent.
func (t *tokenRedactor) path(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if dec, err := url.PathUnescape(seg); err == nil && dec != seg && t.holds(dec) {
			seg = url.PathEscape(t.text(dec))
		}
		segs[i] = t.text(seg)
	}
	return strings.Join(segs, "/")
}

// query redacts a raw query (or a form-encoded body) as path does a path,
// name and value of each parameter apart.
func (t *tokenRedactor) query(q string) string {
	if q == "" || t.token == "" {
		return q
	}
	pairs := strings.Split(q, "&")
	for i, pair := range pairs {
		k, v, eq := strings.Cut(pair, "=")
		k, v = t.queryPart(k), t.queryPart(v)
		if eq {
			pairs[i] = k + "=" + v
		} else {
			pairs[i] = k
		}
	}
	return strings.Join(pairs, "&")
}

func (t *tokenRedactor) queryPart(s string) string {
	if dec, err := url.QueryUnescape(s); err == nil && dec != s && t.holds(dec) {
		s = url.QueryEscape(t.text(dec))
	}
	return t.text(s)
}

// header copies h without Authorization, Cookie and Proxy-Authorization,
// the token taken out of names and values. A name that held it is
// canonicalized again ("X-<token>" is logged as "X-Redacted"); values of
// names that become the same are kept together, in name order.
func (t *tokenRedactor) header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	names := slices.Sorted(maps.Keys(h))
	for _, k := range names {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Cookie", "Proxy-Authorization":
			continue
		}
		name := k
		if t.holds(k) {
			name = http.CanonicalHeaderKey(t.text(k))
		}
		for _, v := range h[k] {
			out[name] = append(out[name], t.text(v))
		}
	}
	return out
}

// body redacts a body: the token as written (raw, JSON-escaped,
// percent-encoded or a mix), and, in a JSON body, in a string or member
// name that holds it only once decoded ("\u0025\u0037\u0034ok..."), the
// body then being logged re-encoded; in a form-encoded body, as query does. A body that does not hold the token is logged as sent.
func (t *tokenRedactor) body(b []byte, contentType string) []byte {
	out := slices.Clone(t.red.Redact(b))
	if t.token == "" {
		return out
	}
	if bytes.IndexByte(out, '\\') >= 0 && json.Valid(out) {
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if v, changed := t.jsonValue(v); changed {
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				if enc.Encode(v) == nil {
					out = bytes.TrimRight(buf.Bytes(), "\n")
				}
			}
		}
	}
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" {
		out = []byte(t.query(string(out)))
	}
	return out
}

// encodedBody redacts a body sent with a Content-Encoding: a gzip or
// deflate body that holds the token once decompressed is logged
// decompressed, redacted and compressed again, so that the log never
// holds the token in a form that decompresses to it. One that cannot be
// decompressed within maxBody bytes is logged as REDACTED when it may
// hold the token, as it cannot be checked. Other bodies are redacted as
// body does.
func (t *tokenRedactor) encodedBody(b []byte, encoding, contentType string) []byte {
	enc := strings.ToLower(strings.TrimSpace(encoding))
	if t.token == "" || (enc != "gzip" && enc != "x-gzip" && enc != "deflate") {
		return t.body(b, contentType)
	}
	var zr io.Reader
	var err error
	if enc == "deflate" {
		zr, err = zlib.NewReader(bytes.NewReader(b))
	} else {
		zr, err = gzip.NewReader(bytes.NewReader(b))
	}
	if err != nil {
		return t.body(b, contentType) // not compressed after all
	}
	plain, err := io.ReadAll(io.LimitReader(zr, maxBody+1))
	if len(plain) > maxBody {
		return []byte(redact.Text) // too large to check
	}
	if err != nil || !t.holds(string(plain)) {
		return t.body(b, contentType)
	}
	red := t.body(plain, contentType)
	var out bytes.Buffer
	var zw io.WriteCloser
	if enc == "deflate" {
		zw = zlib.NewWriter(&out)
	} else {
		zw = gzip.NewWriter(&out)
	}
	if _, err := zw.Write(red); err != nil || zw.Close() != nil {
		return []byte(redact.Text)
	}
	return out.Bytes()
}

// jsonValue redacts the strings and member names of a decoded JSON value
// and reports whether it changed anything.
func (t *tokenRedactor) jsonValue(v any) (any, bool) {
	switch v := v.(type) {
	case string:
		if t.holds(v) {
			return t.text(v), true
		}
	case map[string]any:
		changed := false
		out := make(map[string]any, len(v))
		for k, e := range v {
			e, c := t.jsonValue(e)
			if t.holds(k) {
				k, c = t.text(k), true
			}
			out[k] = e
			changed = changed || c
		}
		return out, changed
	case []any:
		changed := false
		for i, e := range v {
			var c bool
			v[i], c = t.jsonValue(e)
			changed = changed || c
		}
		return v, changed
	}
	return v, false
}
