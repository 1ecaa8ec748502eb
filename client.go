// Package integratorio is a client for Celigo's integrator.io REST API.
//
// Create a Client with NewClient and an API token, then use its services:
//
//	client, err := integratorio.NewClient(os.Getenv("INTEGRATORIO_API_TOKEN"))
//	if err != nil { ... }
//	in, err := client.Integrations.Get(ctx, "5f...")
//
// Documents keep every member the SDK does not type, so a document read,
// changed and written back (PUT replaces the whole document) loses nothing.
// Requests are retried only when that is safe: reads, PUT and DELETE on
// transport errors and on 429, 500, 502, 503 and 504; creates, clones and
// patches only on 429 or when the connection failed before the request was
// sent.
//
// A Client is safe for concurrent use by many goroutines.
package integratorio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Version is the SDK's version, sent in the User-Agent header.
const Version = "0.1.0"

// Region selects the integrator.io data center an account lives in. Tokens
// of one region do not work in the other.
type Region string

// The regions with a known API host.
const (
	// RegionNorthAmerica is https://api.integrator.io/v1, the default.
	RegionNorthAmerica Region = "na"
	// RegionEurope is https://api.eu.integrator.io/v1.
	RegionEurope Region = "eu"
)

var regionRoots = map[Region]string{
	RegionNorthAmerica: "https://api.integrator.io/v1",
	RegionEurope:       "https://api.eu.integrator.io/v1",
}

// Client talks to the integrator.io API. Build one with NewClient; it is
// immutable and safe for concurrent use.
type Client struct {
	// Integrations manages /integrations.
	Integrations IntegrationsService
	// Connectors manages the SmartConnectors you publish (/connectors).
	Connectors ConnectorsService

	base      *url.URL // API root, path without trailing slash
	auth      secret   // "Bearer <token>"; never logged or put in an error
	red       func() redactor
	userAgent string
	logger    *slog.Logger
	policy    RetryPolicy
	rc        *retryablehttp.Client
	maxBody   int64 // bound on a 2xx body; maxResponseBody but in tests
	locks     *keyedLock
}

// secret holds the Authorization value where reflection cannot reach it:
// a dump that walks unexported fields (a test library's diff of two
// clients, say) shows a func as an address, never the token.
type secret func() string

func newSecret(s string) secret { return func() string { return s } }

// String describes the client without its token.
func (c Client) String() string {
	return "integratorio.Client{" + c.base.String() + "}"
}

// Format prints the client as String does, for every verb, so that
// printing a client (or a struct holding one) never shows the token.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue logs the client as its API root, without the token.
func (c Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

type config struct {
	root      string
	region    Region
	hc        *http.Client
	policy    RetryPolicy
	uaSuffix  string
	logger    *slog.Logger
	rootIsSet bool
}

// Option configures a Client. An option given bad input makes NewClient
// return an error.
type Option func(*config) error

// WithRegion selects the region's API host. The default is
// RegionNorthAmerica. WithBaseURL takes precedence.
func WithRegion(r Region) Option {
	return func(c *config) error {
		if _, ok := regionRoots[r]; !ok {
			return invalidArgf("unknown region %q (want %q or %q)", r, RegionNorthAmerica, RegionEurope)
		}
		c.region = r
		return nil
	}
}

// WithBaseURL sets the API root, including the version path, e.g.
// "http://127.0.0.1:8080/v1"; a trailing slash is optional. Plain http is
// accepted only for loopback hosts, so a token never crosses a network in
// clear text.
func WithBaseURL(apiRoot string) Option {
	return func(c *config) error {
		c.root, c.rootIsSet = apiRoot, true
		return nil
	}
}

// WithHTTPClient sets the HTTP client whose transport, timeouts and proxy
// settings are used. Retries still apply on top of it. The client is copied,
// not modified: the copy refuses redirects to another host than the API's.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return invalidArgf("WithHTTPClient: nil *http.Client")
		}
		c.hc = hc
		return nil
	}
}

// WithRetryPolicy sets how failed requests are retried. MaxRetries 0 means
// no retries.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.policy = p
		return nil
	}
}

// WithUserAgent appends suffix to the User-Agent "integratorio-go/<version>".
func WithUserAgent(suffix string) Option {
	return func(c *config) error {
		if strings.ContainsFunc(suffix, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return invalidArgf("WithUserAgent: suffix contains control characters")
		}
		c.uaSuffix = strings.TrimSpace(suffix)
		return nil
	}
}

// WithLogger makes the client log through l: one debug line per attempt
// (method, path, status, attempt, duration) and a warning per retry. Headers
// and bodies are never logged. Without it, or with nil, the client is silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// NewClient returns a client authenticating with the API token. Options that
// get bad input make it return an error matching ErrInvalidArgument.
func NewClient(token string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(token) == "" {
		return nil, invalidArgf("token must not be empty")
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r <= 0x20 || r == 0x7f }) {
		return nil, invalidArgf("token contains whitespace or control characters")
	}
	cfg := config{region: RegionNorthAmerica, policy: DefaultRetryPolicy()}
	for _, o := range opts {
		if o == nil {
			return nil, invalidArgf("nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	root := regionRoots[cfg.region]
	if cfg.rootIsSet {
		root = cfg.root
	}
	base, err := parseRoot(root)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		auth:      newSecret("Bearer " + token),
		red:       func() func() redactor { r := newRedactor(token); return func() redactor { return r } }(),
		maxBody:   maxResponseBody,
		userAgent: "integratorio-go/" + Version,
		logger:    cfg.logger,
		policy:    cfg.policy,
		locks:     &keyedLock{},
	}
	if cfg.uaSuffix != "" {
		c.userAgent += " " + cfg.uaSuffix
	}
	hc := cfg.hc
	if hc == nil {
		hc = &http.Client{Transport: defaultTransport()}
	}
	c.rc = &retryablehttp.Client{
		HTTPClient: wrapHTTPClient(hc, base),
		RetryMax:   cfg.policy.MaxRetries,
		// checkRetry decides, waits (and logs the wait) itself.
		CheckRetry:     c.checkRetry,
		Backoff:        noBackoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: startAttempt,
	}
	c.Integrations = &integrations{c: c}
	c.Connectors = &connectors{c: c}
	return c, nil
}

// parseRoot validates an API root URL.
func parseRoot(root string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(root))
	if err != nil {
		return nil, invalidArgf("base URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalidArgf("base URL %q: scheme must be https (or http on loopback)", root)
	case u.Host == "" || u.Hostname() == "":
		return nil, invalidArgf("base URL %q: no host", root)
	case u.User != nil:
		return nil, invalidArgf("base URL must not hold credentials")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, invalidArgf("base URL %q: must not have a query or fragment", root)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, invalidArgf("base URL %q: plain http is allowed only for loopback hosts; use https", root)
	case u.EscapedPath() != u.Path:
		return nil, invalidArgf("base URL %q: the path must not hold characters that need escaping", root)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, invalidArgf("base URL %q: port %q is out of range", root, p)
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, invalidArgf("base URL %q: the path must not hold %q segments", root, seg)
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// defaultTransport is a pooled transport sized for many concurrent callers.
// It starts from http.DefaultTransport's settings (proxy from the
// environment, timeouts), or from the standard ones when another package
// has replaced http.DefaultTransport with a transport of its own.
func defaultTransport() *http.Transport {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// Redirect errors; neither is retried.
var (
	// errRedirectRefused is returned for a redirect away from the API's
	// origin.
	errRedirectRefused = errors.New("integratorio: redirect to another host refused")
	// errTooManyRedirects ends a chain of redirects.
	errTooManyRedirects = errors.New("integratorio: stopped after 10 redirects")
)

// keepIdle hides the transport's CloseIdleConnections from the retry
// loop, which would otherwise close every idle connection of a shared
// transport each time one request fails.
type keepIdle struct{ http.RoundTripper }

// CloseIdleConnections closes the idle connections of the HTTP transport
// the client uses (the one given with WithHTTPClient, or its own).
func (c *Client) CloseIdleConnections() {
	if ki, ok := c.rc.HTTPClient.Transport.(keepIdle); ok {
		type closer interface{ CloseIdleConnections() }
		if t, ok := ki.RoundTripper.(closer); ok {
			t.CloseIdleConnections()
		}
	}
}

// wrapHTTPClient returns a copy of hc that refuses redirects to an origin
// other than base's, so the token is never sent elsewhere, and whose idle
// connections the retry loop cannot close.
func wrapHTTPClient(hc *http.Client, base *url.URL) *http.Client {
	cp := *hc
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	cp.Transport = keepIdle{rt}
	next := hc.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
			// A write is never re-sent by a redirect: hand the 3xx back,
			// and send reports it.
			return http.ErrUseLastResponse
		}
		if !sameOrigin(req.URL, base) {
			return errRedirectRefused
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errTooManyRedirects
		}
		return nil
	}
	return &cp
}

// sameOrigin reports whether u has base's scheme, host and port.
func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) &&
		strings.EqualFold(u.Hostname(), base.Hostname()) &&
		effectivePort(u) == effectivePort(base)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// request describes one API call.
type request struct {
	method string
	path   string   // relative to the API root, already escaped
	query  string   // encoded query, without "?"
	url    *url.URL // absolute URL instead of path+query (pagination)
	body   any      // encoded as JSON when non-nil
	raw    []byte   // pre-encoded body, takes precedence over body
	ctx    context.Context
}

// displayPath is the path shown in errors and logs: relative to the API
// root, without the query.
func (c *Client) displayPath(u *url.URL) string {
	p := u.EscapedPath()
	if rest, ok := strings.CutPrefix(p, c.base.Path); ok && (rest == "" || rest[0] == '/') {
		return rest
	}
	return p
}

// response is a successful answer; body is nil for an empty body.
type response struct {
	status  int
	header  http.Header
	body    []byte
	url     *url.URL
	display string
	client  *Client
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxResponseBody bounds a successful answer's body: a page of 1000
// integrations is a few MiB, so anything near this is not the API talking.
const maxResponseBody = 256 << 20

// maxPooledBuffer bounds the buffers kept for reuse.
const maxPooledBuffer = 8 << 20

// send performs the request with retries. A non-2xx answer is an
// *APIError; a 2xx answer's body is handed to decode (which must not keep
// it) before the buffer is reused.
func (c *Client) send(r request, decode func(*response) error) error {
	ctx := r.ctx
	if ctx == nil {
		return invalidArgf("%s: nil context", r.method)
	}
	u := r.url
	if u == nil {
		cp := *c.base
		cp.Path = c.base.Path + r.path
		cp.RawPath = ""
		if strings.Contains(r.path, "%") {
			if p, err := url.PathUnescape(r.path); err == nil {
				cp.Path, cp.RawPath = c.base.Path+p, c.base.Path+r.path
			}
		}
		cp.RawQuery = r.query
		u = &cp
	}
	display := c.redactString(c.displayPath(u))

	body := r.raw
	if body == nil && r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return invalidArgf("%s %s: encoding the request body: %v", r.method, display, err)
		}
		body = b
	}

	st := &attemptState{method: r.method, path: display, idempotent: idempotent(r.method), client: c}
	defer st.release()
	ctx = context.WithValue(ctx, attemptKey{}, st)
	if r.method != http.MethodGet {
		// Whether a write reached the server decides whether it may be
		// repeated (POST, PATCH) and whether a 404 on a retried DELETE
		// means it was already deleted.
		ctx = st.trace(ctx)
	}
	hreq, err := http.NewRequestWithContext(ctx, r.method, "", nil)
	if err != nil {
		return fmt.Errorf("integratorio: %s %s: %w", r.method, display, err)
	}
	hreq.URL, hreq.Host = u, u.Host
	h := hreq.Header
	h["Authorization"] = []string{c.auth()}
	h["Accept"] = []string{"application/json"}
	h["User-Agent"] = []string{c.userAgent}
	if len(body) > 0 {
		h["Content-Type"] = []string{"application/json"}
	}
	if body == nil && !st.idempotent {
		// net/http's HTTP/2 transport re-sends a request without a body
		// on its own after some stream resets; a write must have one
		// (see below).
		body = []byte{}
	}
	req, err := retryablehttp.FromRequest(hreq)
	if err == nil && body != nil {
		err = req.SetBody(body)
	}
	if err != nil {
		return fmt.Errorf("integratorio: %s %s: %w", r.method, display, err)
	}
	if !st.idempotent {
		// Without GetBody, net/http cannot replay a write whose body it
		// has sent (HTTP/2 does so after a PROTOCOL_ERROR reset, say):
		// the attempt fails instead, and the retry loop, which knows
		// whether the server may have seen it, decides.
		req.GetBody = nil
	}
	// A 2xx body is read inside the retry loop, so that a body cut off
	// midway is retried like any other transport failure where that is safe.
	req.SetResponseHandler(st.readBody)

	resp, err := c.rc.Do(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if errors.Is(err, errBodyTooLarge) {
			err = fmt.Errorf("%w: %s %s: 2xx body larger than %d MiB", ErrUnexpectedResponse, r.method, display, c.maxBody>>20)
			if !st.idempotent {
				err = fmt.Errorf("%w: %w", ErrUnknownOutcome, err) // the server answered 2xx: it acted
			}
			return c.redactError(err)
		}
		return c.transportError(ctx, st, display, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		red := c.tokenRedactor()
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, int64(maxErrorBody+red.redactSlack())))
		if rerr != nil && ctx.Err() != nil {
			return fmt.Errorf("integratorio: %s %s: reading error response: %w", r.method, display, ctx.Err())
		}
		ra, _ := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		apiErr := newAPIError(red, r.method, display, resp.StatusCode, ra, b)
		apiErr.mayHaveActed = st.mayHaveActed
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			apiErr.note = redirectNote(c, r.method, resp.Header.Get("Location"))
		}
		return apiErr
	}

	out := &response{status: resp.StatusCode, header: resp.Header, url: u, display: display, client: c}
	if st.buf != nil {
		if b := trimJSONSpace(st.buf.Bytes()); len(b) > 0 {
			out.body = b
		}
	}
	if decode == nil {
		return nil
	}
	if err := decode(out); err != nil {
		if !st.idempotent {
			// The server acted (it answered 2xx), but what it made is
			// unknown to the caller.
			return c.redactError(fmt.Errorf("%w: %w", ErrUnknownOutcome, err))
		}
		return c.redactError(err)
	}
	return nil
}

// errBodyTooLarge ends a request whose successful answer exceeds the
// client's bound; it is not retried, and send reports it as
// ErrUnexpectedResponse.
var errBodyTooLarge = errors.New("response body too large")

// maxPreGrow bounds how much buffer a Content-Length header alone can make
// the client allocate before any body has arrived.
const maxPreGrow = 8 << 20

// readBody reads a 2xx answer's body into a pooled buffer. It runs inside
// the retry loop (retryablehttp's response handler); other answers are left
// for send.
func (st *attemptState) readBody(resp *http.Response) error {
	st.handled = st.attempt + 1
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	defer resp.Body.Close()
	if st.buf == nil {
		st.buf = bufPool.Get().(*bytes.Buffer)
	}
	st.buf.Reset()
	if cl := resp.ContentLength; cl > 0 {
		st.buf.Grow(int(min(cl, maxPreGrow)) + 1) // +1: ReadFrom needs room to see the end
	}
	n, err := st.buf.ReadFrom(io.LimitReader(resp.Body, st.client.maxBody+1))
	if err != nil {
		return fmt.Errorf("reading the response body: %w", err)
	}
	if n > st.client.maxBody {
		return errBodyTooLarge
	}
	return nil
}

// release returns the body buffer to the pool.
func (st *attemptState) release() {
	if st.buf != nil && st.buf.Cap() <= maxPooledBuffer {
		bufPool.Put(st.buf)
	}
	st.buf = nil
}

// trimJSONSpace trims the white space JSON allows: space, tab, CR, LF.
func trimJSONSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// transportError wraps a failure without a usable HTTP answer.
func (c *Client) transportError(ctx context.Context, st *attemptState, display string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	if !st.idempotent && !st.answered && st.maybeSent() {
		err = fmt.Errorf("integratorio: %s %s: %w: %w", st.method, display, ErrUnknownOutcome, err)
	} else {
		err = fmt.Errorf("integratorio: %s %s: %w", st.method, display, err)
	}
	return c.redactError(err)
}

// unexpected returns an error matching ErrUnexpectedResponse.
func (r *response) unexpected(method, format string, args ...any) error {
	// send redacts the token from the final error.
	return fmt.Errorf("%w: %s %s: %d: %s", ErrUnexpectedResponse, method, r.display, r.status, fmt.Sprintf(format, args...))
}

// excerpt is the start of the body, quoted, for an error message, with the
// token removed should the server have echoed it.
func (r *response) excerpt() string {
	const n = 40
	red := r.client.tokenRedactor()
	b := r.body
	more := len(b) > n
	b = red.redactCut(b[:min(len(b), n+red.redactSlack())], n)
	if more {
		return strconv.Quote(string(b)) + "..."
	}
	return strconv.Quote(string(b))
}

// redirectNote explains why a redirect was not followed. Reads follow
// redirects within the API's origin; a write never does, since net/http
// would re-send it as a GET (301, 302, 303) or send its body again
// elsewhere (307, 308).
func redirectNote(c *Client, method, location string) string {
	loc := ""
	if location != "" {
		loc = " to " + strconv.Quote(oneLine(c.redactString(location)))
	}
	return fmt.Sprintf("the server redirected the %s%s; the SDK never follows a redirect of a write: it was not re-sent, and is not done", method, loc)
}
