package recording

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// DefaultRequestHeaders are the request headers a Recorder keeps unless
// told otherwise.
var DefaultRequestHeaders = []string{"Content-Type"}

// DefaultResponseHeaders are the response headers a Recorder keeps unless
// told otherwise.
var DefaultResponseHeaders = []string{"Content-Type", "Link", "Location", "Retry-After"}

// neverRecorded are headers a Recorder drops even when asked to keep them.
var neverRecorded = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// Recorder is an http.RoundTripper that sends each request through another
// transport and records the exchange. Secrets are redacted before anything
// is kept: the Authorization header is never recorded, the bearer token it
// carried is replaced by "REDACTED" wherever else it appears, and so are
// values that look like tokens (a bearer credential, 32 or more hex digits,
// a JSON Web Token) and the string values of JSON members and query
// parameters named like secrets (token, secret, password, apiKey, ...).
//
// A Recorder is safe for concurrent use; exchanges are kept in the order
// their responses arrived.
type Recorder struct {
	next       http.RoundTripper
	reqHeaders []string
	resHeaders []string
	secrets    []string

	mu        sync.Mutex
	exchanges []Exchange
}

// RecorderOption configures a Recorder.
type RecorderOption func(*Recorder)

// KeepRequestHeaders sets the request headers to record, replacing
// DefaultRequestHeaders. Authorization, Proxy-Authorization and Cookie are
// never recorded.
func KeepRequestHeaders(names ...string) RecorderOption {
	return func(r *Recorder) { r.reqHeaders = canonical(names) }
}

// KeepResponseHeaders sets the response headers to record, replacing
// DefaultResponseHeaders. Set-Cookie is never recorded.
func KeepResponseHeaders(names ...string) RecorderOption {
	return func(r *Recorder) { r.resHeaders = canonical(names) }
}

// RedactValues adds exact values to redact wherever they appear, for
// secrets that do not look like tokens.
func RedactValues(values ...string) RecorderOption {
	return func(r *Recorder) {
		for _, v := range values {
			if v != "" {
				r.secrets = append(r.secrets, v)
			}
		}
	}
}

// NewRecorder returns a Recorder sending requests through next, or
// http.DefaultTransport when next is nil.
func NewRecorder(next http.RoundTripper, opts ...RecorderOption) *Recorder {
	if next == nil {
		next = http.DefaultTransport
	}
	r := &Recorder{
		next:       next,
		reqHeaders: canonical(DefaultRequestHeaders),
		resHeaders: canonical(DefaultResponseHeaders),
	}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	return r
}

func canonical(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = http.CanonicalHeaderKey(n)
		if !slices.Contains(neverRecorded, n) {
			out = append(out, n)
		}
	}
	return out
}

// RoundTrip sends req through the wrapped transport and records the
// exchange. The response is handed on with its body intact.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	out := req
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("recording: reading the request body: %w", err)
		}
		reqBody = b
		out = req.Clone(req.Context())
		out.Body = io.NopCloser(bytes.NewReader(b))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}

	red := &redactor{secrets: slices.Clone(r.secrets)}
	if _, tok, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
		red.secrets = append(red.secrets, strings.TrimSpace(tok))
	}
	ex := Exchange{Request: Request{
		Method: req.Method,
		URL:    red.requestURL(req.URL),
		Header: keepHeaders(req.Header, r.reqHeaders, red, ""),
	}}
	ex.Request.Body, ex.Request.BodyText = red.body(reqBody)

	resp, err := r.next.RoundTrip(out)
	if err != nil {
		ex.Response.Error = red.text(err.Error())
		r.add(ex)
		return nil, err
	}
	resBody, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(resBody))
	if rerr != nil {
		ex.Response.Error = red.text(rerr.Error())
		r.add(ex)
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(resBody), errReader{rerr}))
		return resp, nil
	}
	origin := req.URL.Scheme + "://" + req.URL.Host
	ex.Response.Status = resp.StatusCode
	ex.Response.Header = keepHeaders(resp.Header, r.resHeaders, red, origin)
	ex.Response.Body, ex.Response.BodyText = red.body(resBody)
	r.add(ex)
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (r *Recorder) add(ex Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = append(r.exchanges, ex)
}

// keepHeaders returns the redacted values of the named headers of h. URLs
// of origin (scheme://host) in them are made host-relative.
func keepHeaders(h http.Header, names []string, red *redactor, origin string) http.Header {
	var out http.Header
	for _, n := range names {
		vs := h.Values(n)
		if len(vs) == 0 {
			continue
		}
		if out == nil {
			out = http.Header{}
		}
		for _, v := range vs {
			if origin != "" {
				v = strings.ReplaceAll(v, origin, "")
			}
			out[n] = append(out[n], red.text(v))
		}
	}
	return out
}

// Cassette returns a copy of what has been recorded so far.
func (r *Recorder) Cassette() *Cassette {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &Cassette{Exchanges: slices.Clone(r.exchanges)}
}

// Save writes what has been recorded so far to path; see Cassette.Save.
func (r *Recorder) Save(path string) error {
	return r.Cassette().Save(path)
}

// Reset forgets what has been recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = nil
}
