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
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	"us":               "https://api.integrator.io/v1", // the name Celigo's tools use
	RegionEurope:       "https://api.eu.integrator.io/v1",
}

// Client talks to the integrator.io API. Build one with NewClient; it is
// immutable and safe for concurrent use.
type Client struct {
	// Integrations manages /integrations.
	Integrations IntegrationsService
	// Connectors manages the SmartConnectors you publish (/connectors).
	Connectors ConnectorsService
	// Flows manages flows (/flows), their runs and their errors.
	Flows FlowsService
	// Jobs reads, waits for and cancels jobs (/jobs).
	Jobs JobsService
	// Connections manages connections (/connections) and pings them.
	Connections ConnectionsService
	// Exports manages exports (/exports) and invokes them.
	Exports ExportsService
	// Imports manages imports (/imports).
	Imports ImportsService
	// Scripts manages scripts (/scripts).
	Scripts ScriptsService
	// State keeps integration state: JSON values by key (/state).
	State StateService
	// Users manages who has access to the account (/ashares) and invites
	// people.
	Users UsersService
	// IClients manages iClients (/iclients), whose secrets the API masks.
	IClients IClientsService
	// Environments manages the account's environments (/environments).
	Environments EnvironmentsService
	// Tags manages the account's tags (/tags).
	Tags TagsService
	// LookupCaches manages lookup caches (/lookupcaches) and their data.
	LookupCaches LookupCachesService
	// Audit reads the audit log: who changed what, when (/audit).
	Audit AuditService
	// RecycleBin reads, restores and purges the documents deleted in the
	// last 30 days (/recycleBinTTL).
	RecycleBin RecycleBinService

	base      *url.URL // API root, path without trailing slash
	auth      secret   // "Bearer <token>"; never logged or put in an error
	red       func() redactor
	userAgent string
	logger    *slog.Logger
	policy    RetryPolicy
	rc        *retryablehttp.Client
	files     *http.Client // for signed URLs, without the token; see signed.go
	maxBody   int64        // bound on a 2xx body; maxResponseBody but in tests
	locks     *keyedLock
	pacer     *pacer
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
	// ratePerSecond and rateBurst describe the server's bucket.
	ratePerSecond float64
	rateBurst     int
}

// Option configures a Client. An option given bad input makes NewClient
// return an error.
type Option func(*config) error

// WithRegion selects the region's API host. The default is
// RegionNorthAmerica, which Celigo's own tools call "us": WithRegion("us")
// selects it too. WithBaseURL takes precedence.
func WithRegion(r Region) Option {
	return func(c *config) error {
		if _, ok := regionRoots[r]; !ok {
			return invalidArgf("unknown region %q (want %q, also written \"us\", or %q)", r, RegionNorthAmerica, RegionEurope)
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
	cfg := config{region: RegionNorthAmerica, policy: DefaultRetryPolicy(), ratePerSecond: defaultRatePerSecond, rateBurst: defaultRateBurst}
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
		pacer:     newPacer(cfg.ratePerSecond, cfg.rateBurst),
	}
	if cfg.uaSuffix != "" {
		c.userAgent += " " + cfg.uaSuffix
	}
	hc := cfg.hc
	if hc == nil {
		hc = &http.Client{Transport: defaultTransport()}
	}
	c.rc = &retryablehttp.Client{
		HTTPClient: wrapHTTPClient(hc, base, c.pacer),
		RetryMax:   cfg.policy.MaxRetries,
		// checkRetry decides, waits (and logs the wait) itself.
		CheckRetry:     c.checkRetry,
		Backoff:        noBackoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: startAttempt,
	}
	c.Integrations = newIntegrations(c)
	c.Connectors = &connectors{plainLister[Connector, *Connector]{newResource[Connector](c, "/connectors", "connector")}}
	c.Flows = &flows{scopedLister[Flow, *Flow]{newResource[Flow](c, "/flows", "flow")}}
	c.Jobs = &jobs{newResource[Job](c, "/jobs", "job")}
	c.Connections = &connections{scopedLister[Connection, *Connection]{newResource[Connection](c, "/connections", "connection")}}
	c.Exports = &exports{scopedLister[Export, *Export]{newResource[Export](c, "/exports", "export")}}
	c.Imports = &imports{scopedLister[Import, *Import]{newResource[Import](c, "/imports", "import")}}
	scriptsRes := newResource[Script](c, "/scripts", "script")
	scriptsRes.trimmed = true // lists leave out content
	c.Scripts = &scripts{plainLister[Script, *Script]{scriptsRes}}
	c.State = &state{c: c, prefix: "/state"}
	c.Users = &users{scopedLister[User, *User]{newResource[User](c, "/ashares", "user")}}
	c.IClients = &iClients{plainLister[IClient, *IClient]{newResource[IClient](c, "/iclients", "iClient")}}
	c.Environments = &environments{plainLister[Environment, *Environment]{newResource[Environment](c, "/environments", "environment")}}
	c.Tags = &tags{plainLister[Tag, *Tag]{newResource[Tag](c, "/tags", "tag")}}
	c.LookupCaches = &lookupCaches{plainLister[LookupCache, *LookupCache]{newResource[LookupCache](c, "/lookupcaches", "lookup cache")}}
	c.Audit = &audit{c: c}
	c.RecycleBin = &recycleBin{c: c}
	c.files = newFilesClient(hc, base)
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
		if t, ok := ki.RoundTripper.(pacedTransport).next.(closer); ok {
			t.CloseIdleConnections()
		}
	}
}

// wrapHTTPClient returns a copy of hc that refuses redirects to an origin
// other than base's, so the token is never sent elsewhere, that hands
// back a redirect of a write, whose attempts wait for the pacer, and whose
// idle connections the retry loop cannot close.
func wrapHTTPClient(hc *http.Client, base *url.URL, p *pacer) *http.Client {
	cp := *hc
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	cp.Transport = keepIdle{pacedTransport{rt, p}}
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
