// Package integratoriotest provides an in-process fake of the integrator.io
// REST API for tests, modelled on net/http/httptest.
//
//	srv := integratoriotest.NewServer()
//	defer srv.Close()
//	client := srv.Client() // an *integratorio.Client pointed at srv
//	id, _ := srv.AddIntegrationJSON([]byte(`{"name":"Orders"}`))
//	in, err := client.Integrations.Get(ctx, id)
//
// The server listens on 127.0.0.1 and serves the API under /v1, so srv.URL
// is an API root such as "http://127.0.0.1:41234/v1". It accepts only the
// bearer token srv.Token.
//
// Documents are stored as JSON, never as SDK structs, so members the SDK does
// not know survive exactly as on the real service. The server behaves like
// the real /integrations API in the ways a client can observe: status codes,
// the error envelope, PUT replacing the whole document, JSON Patch, paging
// with a Link header, include/exclude projections and clone's connection
// mapping. Like the API, it gives each flowGroupings entry of an
// integration that lacks an _id one of its own when it stores the
// document (create, PUT, PATCH). Every write moves the document's lastModified forward, strictly
// increasing across all writes, with millisecond resolution.
//
// The SmartConnector endpoints GET /connectors/{id}/installBase and
// PUT /connectors/{id}/update work on the stored integrations whose
// _connectorId is the connector's id. As on the real service, an install's
// _id is its own, not its _integrationId, and an update pushed to an
// install's id is refused.
//
// Flows are served like integrations (/flows, their clone, and the flows
// of one integration at /integrations/{id}/flows); POST /flows/{id}/run
// starts a job. Jobs (/jobs) are listed as the real service lists them (at
// most 1001 a call, newest createdAt first, paged by createdAt_lte) and
// move on each time they are read by id: queued, running, then done, as
// ScriptRuns says, so that waiting for one needs no wall-clock timing. The
// errors of a flow's steps, seeded with AddFlowErrors, are listed,
// resolved, retried and deleted once resolved under /flows/{id}/{step}/;
// GET /flows/{id}/errors sums them up per step. The latest job of each
// flow (/flows/{id}/jobs/latest, /integrations/{id}/jobs/latest), the
// current ones (POST /jobs/current) and a flow job's family
// (/jobs/{id}/family) are answered from the same stored jobs.
// Connections, exports, imports and scripts are served like flows (lists
// of scripts leave out their content); a connection's ping (POST or GET)
// answers as SetPingAnswer says, an export's invocation as
// SetInvokeAnswer says. Secrets (connection
// credentials, an export's webhook key) are answered masked, "******", on
// every read, while the server keeps the real value (DocumentJSON); a PUT
// that sends the mask back stores it as the secret, the pessimistic
// reading of Celigo's docs, unless WithMaskKeepsSecret. /state, the state
// of each document (/{resource}/{id}/state) and /tokenInfo are served too.
//
// The account's resources are served as well: users (/ashares, with the
// users of one integration, a PUT answered 204, POST /invite/multiple
// answered 201 or 400 per e-mail, and disable and reinvite), iClients
// (their client secret masked), connectors and their licenses
// (/connectors/{id}/licenses), environments (created enabled, never
// deleted) and tags. A user's disable and an environment's enable flip the
// stored state at each call, as the API's toggles do.
// Every resource comes from one table; Resources names them.
//
// Lookup caches keep their data (at most MaxLookupCacheEntries entries and
// MaxLookupCacheBody bytes a call, else 400; LookupCacheData reads it).
// Every write through the routes adds an entry to the audit log (GET
// /audit, and /{type}/{id}/audit with the document's descendants).
// Snapshots make revisions of an integration, whose diff lists what
// changed since. GET /{integrations|flows}/{id}/template answers a signed
// URL on the server's own host (outside /v1) serving a zip of the
// documents; such URLs refuse a request carrying an Authorization header,
// as a file store does. Zips are uploaded through GET /s3SignedURL and
// installed by POST /integrations/template with a connection map.
// Connection registration, replaceConnection and
// /{type}/{id}/dependencies are served too, and a collection path with a
// trailing slash (GET /v1/flows/) is the collection.
//
// Tests can seed documents of any resource (AddJSON, Add, LoadDir, and
// AddIntegration, AddIntegrationJSON), read them back as raw JSON
// (DocumentJSON, IDs, IntegrationJSON, FlowErrorsJSON), inspect the
// requests the server received (Requests) and inject faults (FailNext,
// RateLimitNext, DropNext) on any route to prove retry behaviour end to
// end. WithRateLimit applies the real service's per-token rate limit, and
// WithLatency slows every answer down. WithControlAPI serves the faults and
// the request log over HTTP under ControlPrefix, for tests that drive the
// server from another process.
//
// Package integratoriotest/recording records exchanges with the real API
// into fixture files and replays them; command integratorio-fake serves
// this fake as a standalone process.
//
// A Server is safe for concurrent use.
package integratoriotest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/integratorio-go/integratorio"
)

// APIPrefix is the path under which the server serves the API, like the
// real service's "/v1".
const APIPrefix = "/v1"

// DefaultPageSize is how many records a list answers per page unless
// WithPageSize says otherwise; the real service's documented page size.
const DefaultPageSize = 1000

// maxBody caps the request bodies the server reads.
const maxBody = 10 << 20

// Server is a fake integrator.io API. Create one with NewServer and stop it
// with Close.
type Server struct {
	// URL is the API root, e.g. "http://127.0.0.1:41234/v1", without a
	// trailing slash.
	URL string
	// Token is the only bearer token the server accepts. Requests without
	// it are answered 401.
	Token string

	ts   *httptest.Server
	mux  *http.ServeMux
	opts options

	table []resourceSpec         // what the server serves; see resourceTable
	colls map[string]*collection // one per resource, by name

	mu           sync.Mutex
	integrations *collection // colls["integrations"]
	auditLog     *collection // colls["audit"], nil in a table without it
	lastWrite    time.Time   // the last lastModified handed out
	ids          idSource
	requests     []Request
	faults       []*fault
	runs         runState       // the jobs the server started; see jobs.go
	flowErrs     flowErrorState // the errors of flow steps; see flowerrors.go
	side         sideState      // pings, invoke answers, state; see resources.go

	redactMu sync.Mutex
	redactor *tokenRedactor // for the request log; see logRedactor

	limiter     *limiter // WithRateLimit; nil: unlimited. See ratelimit.go
	rateLimited atomic.Int64
	closing     chan struct{} // closed by Close; ends the waits of WithLatency
	closeOnce   sync.Once
}

type options struct {
	token         string
	pageSize      int
	relativeLinks bool
	cloneResponse CloneResponse
	clock         func() time.Time
	idSeed        *uint64
	tls           bool              // WithTLS
	certs         []tls.Certificate // WithTLS
	listener      net.Listener
	logger        *slog.Logger
	maxRequests   int
	resources     []resourceSpec // the resource table; nil: resourceTable
	rateBurst     int            // WithRateLimit; 0: unlimited
	ratePerSecond float64
	latency       time.Duration // WithLatency
	control       bool          // WithControlAPI
	maskKeeps     bool          // WithMaskKeepsSecret
}

// Option configures a Server.
type Option func(*options)

// WithToken sets the bearer token the server accepts. The default is a
// random, obviously fake token such as "integratoriotest-3f9c0a7d5e21b864".
// An empty token keeps the default.
func WithToken(token string) Option {
	return func(o *options) {
		if token != "" {
			o.token = token
		}
	}
}

// WithPageSize sets how many records a list answers per page before it
// adds a Link: <...>; rel="next" header, and how many errors of a flow
// step a page holds before its nextPageURL. The default is
// DefaultPageSize. Values below 1 keep the default. Jobs page as on the
// real service, 1001 a call, whatever the option.
func WithPageSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.pageSize = n
		}
	}
}

// WithRelativeNextLinks makes next-page links relative ("/v1/integrations?after=2")
// instead of absolute ("http://127.0.0.1:41234/v1/integrations?after=2"). The
// real service has been seen doing both; clients must follow either.
func WithRelativeNextLinks() Option {
	return func(o *options) { o.relativeLinks = true }
}

// CloneResponse selects the body a clone request is answered with. The real
// service has been seen answering with either shape.
type CloneResponse int

const (
	// CloneReturnsDocument answers a clone with the new document (the
	// integration or the flow). It is the default.
	CloneReturnsDocument CloneResponse = iota
	// CloneReturnsCreated answers a clone with the list of resources it
	// created: [{"model":"Integration","_id":"...","name":"..."}], or
	// "model":"Flow" for a flow.
	CloneReturnsCreated
)

// WithCloneResponse selects the shape of a clone's answer.
func WithCloneResponse(r CloneResponse) Option {
	return func(o *options) { o.cloneResponse = r }
}

// WithClock makes the server read the time from now instead of time.Now,
// for createdAt and lastModified. lastModified stays strictly increasing
// even when now stands still: each write gets at least one millisecond more
// than the previous one.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.clock = now
		}
	}
}

// WithIDSeed makes the ids the server assigns deterministic: two servers
// with the same seed and sequence of creations assign the same ids,
// whatever their clocks say (the ids' leading 8 hex digits, the creation
// second of a MongoDB ObjectID, are then a constant, 5e0be100). Without it
// ids are random and start with the creation second. Ids are always 24
// lowercase hex digits. A recording stays the same when it is made again
// only with WithIDSeed and a fixed clock (WithClock), since documents
// carry createdAt and lastModified.
func WithIDSeed(seed uint64) Option {
	return func(o *options) { o.idSeed = &seed }
}

// WithTLS makes the server speak HTTPS: URL starts with https://, and the
// clients of Client and HTTPClient trust its certificate. With no cert it
// uses net/http/httptest's, valid for 127.0.0.1, ::1 and example.com;
// otherwise the first of certs (a certificate for the host names clients
// will use, such as command integratorio-fake's -tls makes).
func WithTLS(certs ...tls.Certificate) Option {
	return func(o *options) {
		o.tls = true
		o.certs = certs
	}
}

// WithListener makes the server accept connections on l instead of a new
// listener on 127.0.0.1 with a random port. The server closes l on Close.
func WithListener(l net.Listener) Option {
	return func(o *options) { o.listener = l }
}

// WithLogger makes the server log one line per request at level Info:
// method, path, query and status. Tokens and bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithRequestLogLimit keeps only the last n requests for Requests (n below
// 1 keeps all, the default), so that a long-running server's memory stays
// bounded.
func WithRequestLogLimit(n int) Option {
	return func(o *options) { o.maxRequests = n }
}

// NewServer starts a fake integrator.io API on loopback and returns it.
// Call Close when done.
func NewServer(opts ...Option) *Server {
	o := options{pageSize: DefaultPageSize, clock: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.token == "" {
		o.token = "integratoriotest-" + randomHex(8)
	}
	s := &Server{
		Token:   o.token,
		opts:    o,
		mux:     http.NewServeMux(),
		closing: make(chan struct{}),
	}
	if o.rateBurst > 0 {
		s.limiter = newLimiter(o.rateBurst, o.ratePerSecond)
	}
	s.initResources()
	if o.idSeed != nil {
		s.ids = newIDSource(*o.idSeed, true)
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		s.ids = newIDSource(binary.LittleEndian.Uint64(b[:]), false)
	}
	s.routes()
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	if o.listener != nil {
		s.ts.Listener.Close()
		s.ts.Listener = o.listener
	}
	if o.tls {
		if len(o.certs) > 0 {
			s.ts.TLS = &tls.Config{Certificates: o.certs[:1]}
		}
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	s.URL = s.ts.URL + APIPrefix
	return s
}

// routes registers every endpoint. A new resource adds an entry to
// resourceTable, not a line here.
func (s *Server) routes() {
	s.resourceRoutes()
	s.connectorRoutes()
	s.accountRoutes()
	s.deployRoutes()
	s.templateRoutes()
	s.recycleBinRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "", "no route for "+r.Method+" "+r.URL.Path)
	})
}

// handle registers h for method and a path pattern relative to APIPrefix,
// such as "/integrations/{id}".
func (s *Server) handle(method, pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(method+" "+APIPrefix+pattern, h)
}

// Close shuts the server down and waits for the requests in progress.
// Answers held back by WithLatency are sent at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.Close()
}

// Client returns an SDK client pointed at the server and authenticated with
// its token. Its retry policy keeps the SDK's retry count but waits only
// 1 ms between attempts (Retry-After is still honoured, up to 2 s), so that
// tests of retries are quick; pass integratorio.WithRetryPolicy among
// extraOpts to change it. It paces itself for the server's WithRateLimit
// bucket, and not at all when the server has none (so that a large test
// suite is not slowed by the account's bucket). extraOpts are applied
// after the defaults.
//
// Client panics if extraOpts are invalid, like regexp.MustCompile: it is
// meant for tests.
func (s *Server) Client(extraOpts ...integratorio.Option) *integratorio.Client {
	opts := append([]integratorio.Option{
		integratorio.WithBaseURL(s.URL),
		integratorio.WithHTTPClient(s.ts.Client()),
		integratorio.WithRetryPolicy(FastRetryPolicy()),
		integratorio.WithRateLimit(s.opts.ratePerSecond, s.opts.rateBurst),
	}, extraOpts...)
	c, err := integratorio.NewClient(s.Token, opts...)
	if err != nil {
		panic("integratoriotest: Server.Client: " + err.Error())
	}
	return c
}

// HTTPClient returns a plain *http.Client for raw requests to the server.
// It does not add the token.
func (s *Server) HTTPClient() *http.Client {
	return s.ts.Client()
}

// FastRetryPolicy is the retry policy of the clients Server.Client returns:
// the SDK's default number of retries, 1 ms between attempts, and Retry-After
// honoured up to 2 s.
func FastRetryPolicy() integratorio.RetryPolicy {
	p := integratorio.DefaultRetryPolicy()
	p.MinWait, p.MaxWait = time.Millisecond, 2*time.Second
	return p
}

// serveHTTP runs every request: it reads the body, applies faults and the
// rate limit, checks the token, dispatches to the route, logs the request
// and only then (after the latency, if any) sends the answer or drops the
// connection, so that Requests already holds a request when its client
// sees the answer. The control API (WithControlAPI) skips all but the
// token check and is not logged.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.control && isControlPath(r.URL.Path) {
		s.serveControl(w, r)
		return
	}
	body, err := readBody(r)
	bw := newBufferedWriter()
	f := s.takeFault(r.Method, apiPath(r.URL.EscapedPath()))
	switch {
	case err != nil:
		writeErr(bw, err)
	case f != nil && f.status != 0:
		f.write(bw)
	case isSignedPath(r.URL.Path):
		s.serveSigned(bw, r, body) // signed by its URL, never by the token
	case !s.admit(bw, r):
		// answered 429
	case !s.authorized(r):
		writeUnauthorized(bw)
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		trimTrailingSlash(r)
		s.mux.ServeHTTP(bw, r)
	}
	drop := f != nil && f.drop
	s.logRequest(r, body, bw.status(), drop)
	s.delay(r.Context())
	if drop {
		if conn, rw, err := http.NewResponseController(w).Hijack(); err == nil {
			// A few bytes of an answer, then nothing: the client sees a
			// broken response. (Closing without a byte would let net/http
			// silently resend a GET on a reused connection.)
			_, _ = rw.WriteString("HTTP/1.1 ")
			_ = rw.Flush()
			conn.Close()
			return
		}
	}
	bw.flush(w)
}

// trimTrailingSlash takes one trailing slash off the path below the API
// root, as the real service does: GET /v1/flows/ is GET /v1/flows.
func trimTrailingSlash(r *http.Request) {
	p := r.URL.Path
	if len(p) > len(APIPrefix)+1 && strings.HasSuffix(p, "/") && !strings.HasSuffix(p, "//") {
		r.URL.Path = p[:len(p)-1]
		if r.URL.RawPath != "" {
			r.URL.RawPath = strings.TrimSuffix(r.URL.RawPath, "/")
		}
	}
}

// writeUnauthorized answers 401 as the real service does.
func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="integrator.io"`)
	writeJSON(w, http.StatusUnauthorized, map[string]any{
		"message": "Unauthorized",
		"errors": []errorDetail{{
			Code:    "unauthorized",
			Message: "Bearer Authentication Failed",
		}},
	})
}

// authorized reports whether r carries the server's bearer token.
func (s *Server) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.Token)) == 1
}

// apiPath returns p relative to APIPrefix, or p itself when it is outside.
func apiPath(p string) string {
	if rest, ok := strings.CutPrefix(p, APIPrefix); ok && (rest == "" || rest[0] == '/') {
		return rest
	}
	return p
}

// now returns the server's clock in UTC, at millisecond resolution.
func (s *Server) now() time.Time {
	return s.opts.clock().UTC().Truncate(time.Millisecond)
}

// tick returns the lastModified for a write: the clock's time, or one
// millisecond after the previous write if the clock has not moved past it.
// The caller holds s.mu.
func (s *Server) tick() time.Time {
	t := s.now()
	if !t.After(s.lastWrite) {
		t = s.lastWrite.Add(time.Millisecond)
	}
	s.lastWrite = t
	return t
}

// observe moves the write clock past t, so that a seeded document's
// lastModified is never ahead of later writes. The caller holds s.mu.
func (s *Server) observe(t time.Time) {
	if t.After(s.lastWrite) {
		s.lastWrite = t.UTC().Truncate(time.Millisecond)
	}
}

// timeFormat is the API's timestamp format: RFC 3339 in UTC with
// milliseconds, e.g. "2017-08-07T18:34:07.786Z".
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
