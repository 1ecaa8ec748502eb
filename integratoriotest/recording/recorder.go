package recording

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
// is kept:
//   - Authorization, Proxy-Authorization, Cookie and Set-Cookie are never
//     recorded, and the credentials and cookie values (of 8 characters or
//     more) the request carried are replaced by "REDACTED" wherever else
//     they appear, however a server echoes them: raw, percent-encoded
//     (hex digits in either case), JSON-escaped (\u0074), or a mix;
//   - so are values that look like tokens: a Bearer or Basic credential, a
//     run of 32 or more hex digits (even inside a word), a JSON Web Token,
//     a key with a vendor's prefix (sk_live_…, ghp_…, xoxb-…, AKIA…);
//   - and values named like secrets: every string and number under a JSON
//     member so named, at any depth; the value of a name/value pair whose
//     name is one (an HTTP header list in a connection); query parameters
//     so named, in the request's URL and in URLs anywhere in the text;
//     every value of a kept header so named (KeepRequestHeaders("X-Api-Key")
//     records "REDACTED"). A name is a secret's when, in lower case with
//     an "X-" prefix, separators and trailing digits taken out, it ends
//     with password, passwd, passphrase, secret, token, credential,
//     cookie, signature, authorization, authcode, apikey, accesskey,
//     accesskeyid, privatekey, secretkey, signingkey, encryptionkey,
//     hmackey, masterkey, sessionkey or sessionid (or a plural), or is
//     encrypted: everything under it is redacted; or when it is key, auth,
//     session, sig, pwd or pass: a string or number under it is redacted,
//     an object is redacted member by member ("auth": {"type": "basic"}
//     keeps its type). Celigo's own members that merely hold such a word
//     ("retryDataKey", "reqAndResKey", "traceKey", "author",
//     "sessionNumber", "tokenCount")
//     are kept; ExemptNames keeps others. The values of Celigo's keys and
//     ids (retryDataKey, reqAndResKey, traceKey, errorId, their plurals,
//     and references such as "_flowJobId") are kept even when they look
//     like tokens, so that a replay tells one key from another.
//
// A redacted value keeps its JSON type, so that a recording decodes into
// the same Go types as the answer it was made from: a string becomes
// "REDACTED" (an empty one stays empty), an integer 0, another number 0.0;
// booleans and null hold no secret and are kept. JSON bodies are
// re-encoded compactly; a body that is not UTF-8 is kept as bytes
// (BodyBytes). Values given to RedactValues are redacted everywhere, JSON
// numbers included.
//
// Recording the same requests against the fake again gives the same file
// when the fake assigns the same ids and times: give it
// integratoriotest.WithIDSeed and a fixed integratoriotest.WithClock (and,
// when the client's token may appear, any token: it is redacted). URLs of
// the recorded host are made host-relative, so the fake's port does not
// matter, and only the headers asked for are kept (not Date).
//
// A Recorder is safe for concurrent use; exchanges are kept in the order
// their responses arrived.
type Recorder struct {
	next       http.RoundTripper
	reqHeaders []string
	resHeaders []string
	secrets    []string
	keep       []string // ExemptNames, normalized

	mu        sync.Mutex
	exchanges []Exchange
}

// RecorderOption configures a Recorder.
type RecorderOption func(*Recorder)

// KeepRequestHeaders sets the request headers to record, replacing
// DefaultRequestHeaders. Authorization, Proxy-Authorization and Cookie are
// never recorded; a header named like a secret (X-Api-Key) is recorded as
// "REDACTED".
func KeepRequestHeaders(names ...string) RecorderOption {
	return func(r *Recorder) { r.reqHeaders = canonical(names) }
}

// KeepResponseHeaders sets the response headers to record, replacing
// DefaultResponseHeaders. Set-Cookie is never recorded; a header named like
// a secret (X-Session-Token) is recorded as "REDACTED".
func KeepResponseHeaders(names ...string) RecorderOption {
	return func(r *Recorder) { r.resHeaders = canonical(names) }
}

// RedactValues adds exact values to redact wherever they appear, in the
// same encodings as the request's credentials, for secrets that do not
// look like tokens.
func RedactValues(values ...string) RecorderOption {
	return func(r *Recorder) {
		for _, v := range values {
			if v != "" {
				r.secrets = append(r.secrets, v)
			}
		}
	}
}

// ExemptNames keeps the values of members, query parameters and headers
// with these names (compared as the name rule does: case, separators and
// trailing digits aside) even where their names would make them secrets',
// for names of an application's own that are not secrets ("sessionKey" of
// a game, say). Values that look like tokens are still redacted.
func ExemptNames(names ...string) RecorderOption {
	return func(r *Recorder) {
		for _, n := range names {
			if n := normalName(n); n != "" {
				r.keep = append(r.keep, n)
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

	red := newRedactor(append(slices.Clone(r.secrets), requestSecrets(req.Header)...))
	red.keep = r.keep
	ex := Exchange{Request: Request{
		Method: req.Method,
		URL:    red.requestURL(req.URL),
		Header: keepHeaders(req.Header, r.reqHeaders, red, nil),
	}}
	ex.Request.Body, ex.Request.BodyText, ex.Request.BodyBytes = red.body(reqBody)

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
	ex.Response.Status = resp.StatusCode
	ex.Response.Header = keepHeaders(resp.Header, r.resHeaders, red, req.URL)
	ex.Response.Body, ex.Response.BodyText, ex.Response.BodyBytes = red.body(resBody)
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

// requestSecrets are the credentials a request carries in its headers:
// the Authorization and Proxy-Authorization credentials (after the
// scheme) and the cookie values long enough to be session secrets (a
// cookie such as lang=en is not one, and redacting "en" everywhere would
// wreck the fixture). They are redacted wherever else they appear, in
// case a server echoes them.
func requestSecrets(h http.Header) []string {
	const minCookieSecret = 8
	var out []string
	for _, name := range []string{"Authorization", "Proxy-Authorization"} {
		for _, v := range h.Values(name) {
			if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
				v = cred
			}
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	for _, c := range (&http.Request{Header: h}).Cookies() {
		if len(c.Value) >= minCookieSecret {
			out = append(out, c.Value)
		}
	}
	return out
}

// keepHeaders returns the redacted values of the named headers of h: every
// value of a header named like a secret is "REDACTED", whatever it is, even
// empty. URLs of the request's origin (scheme://host) in the others are made
// host-relative (nil u: none are).
func keepHeaders(h http.Header, names []string, red *redactor, u *url.URL) http.Header {
	var out http.Header
	for _, n := range names {
		vs := h.Values(n)
		if len(vs) == 0 {
			continue
		}
		if out == nil {
			out = http.Header{}
		}
		// A header named like a secret (X-Api-Key, X-Session-Token) is
		// one whatever its value looks like.
		secret := red.named(n)
		for _, v := range vs {
			if secret {
				out[n] = append(out[n], Redacted)
				continue
			}
			if u != nil {
				v = stripOrigin(v, u.Scheme+"://"+u.Host)
			}
			out[n] = append(out[n], red.text(v))
		}
	}
	return out
}

// stripOrigin removes origin from the URLs in v where it is the whole
// origin: followed by a path, query, fragment, the end of a Link target or
// of v, not by more host ("api.integrator.io.example.com").
func stripOrigin(v, origin string) string {
	var b strings.Builder
	for {
		i := strings.Index(v, origin)
		if i < 0 {
			b.WriteString(v)
			return b.String()
		}
		b.WriteString(v[:i])
		v = v[i+len(origin):]
		if v != "" && !strings.ContainsRune("/?#>;, \t", rune(v[0])) {
			b.WriteString(origin)
		}
	}
}

// Cassette returns a copy of what has been recorded so far; changing it
// does not change the recorder's.
func (r *Recorder) Cassette() *Cassette {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Exchange, len(r.exchanges))
	for i, ex := range r.exchanges {
		out[i] = ex.clone()
	}
	return &Cassette{Exchanges: out}
}

// clone copies an exchange deeply.
func (ex Exchange) clone() Exchange {
	ex.Request.Header = ex.Request.Header.Clone()
	ex.Request.Body = bytes.Clone(ex.Request.Body)
	ex.Request.BodyBytes = bytes.Clone(ex.Request.BodyBytes)
	ex.Response.Header = ex.Response.Header.Clone()
	ex.Response.Body = bytes.Clone(ex.Response.Body)
	ex.Response.BodyBytes = bytes.Clone(ex.Response.BodyBytes)
	return ex
}

// Save writes what has been recorded so far to path; see Cassette.Save.
func (r *Recorder) Save(path string) error {
	// Recorded exchanges are never changed, so a copy of the list will do.
	r.mu.Lock()
	c := Cassette{Exchanges: slices.Clone(r.exchanges)}
	r.mu.Unlock()
	return c.Save(path)
}

// Reset forgets what has been recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = nil
}
