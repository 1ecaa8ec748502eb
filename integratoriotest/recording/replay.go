package recording

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/internal/jsonvalue"
)

// ReplayBaseURL is the API root ReplayClient points its client at. Replay
// matches requests by path and query, so the host never matters; this is
// the real service's, so that nothing looks like a local server.
const ReplayBaseURL = "https://api.integrator.io/v1"

// ReplayOption configures a replay.
type ReplayOption func(*replayer)

// MatchBody makes a replayed request match an exchange only when its body
// equals the recorded one, member order aside, with the recorder's
// redaction applied to it and each "REDACTED" in the recorded body
// standing for any value (a secret number, recorded as 0, matches since
// the replayed one is redacted to 0 too; a RedactValues number, which the
// replay does not know, does not). Without it, method, path and query
// decide.
func MatchBody() ReplayOption {
	return func(r *replayer) { r.matchBody = true }
}

// ExpectAllUsed makes the test fail, when it ends, if some recorded
// exchanges were never replayed.
func ExpectAllUsed() ReplayOption {
	return func(r *replayer) { r.expectAll = true }
}

// NewReplayTransport returns an httpmock transport serving the exchanges of
// c (nil: none). A request is answered by the first exchange not yet used
// with the same method, escaped path and query (parameters in any order,
// the values of a repeated parameter in recorded order); so repeated
// requests get the recorded answers in order. The host is ignored. Where
// the recorder redacted a value (a RedactValues secret in the path, say),
// "REDACTED" in the recorded path, query or body matches any text (in a
// path, within one segment); a value the fixture holds in clear matches
// the same value as sent, even where the recorder would now redact it (a
// fixture recorded before a name counted as a secret). A request
// the cassette does not hold fails the test (t.Errorf) and is answered 501
// with the error envelope (code "not_recorded"), a status the SDK does not
// retry. A recorded transport error is returned as an error, after the
// request's httptrace hooks report it written, as on a real connection
// that failed after sending.
func NewReplayTransport(t testing.TB, c *Cassette, opts ...ReplayOption) *httpmock.MockTransport {
	t.Helper()
	if c == nil {
		c = &Cassette{}
	}
	r := &replayer{t: t, exchanges: c.Exchanges, used: make([]bool, len(c.Exchanges)), urls: make([]*url.URL, len(c.Exchanges))}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	for i, ex := range c.Exchanges {
		u, err := url.Parse(ex.Request.URL)
		if err != nil {
			t.Fatalf("recording: exchange %s %s: %v", ex.Request.Method, ex.Request.URL, err)
			return nil
		}
		r.urls[i] = u
	}
	// respond matches every request itself (REDACTED is a wildcard, which
	// httpmock's routes cannot express).
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(r.respond)
	if r.expectAll {
		t.Cleanup(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			for i, used := range r.used {
				if !used {
					ex := r.exchanges[i]
					t.Errorf("recording: exchange %d (%s %s) was never replayed", i, ex.Request.Method, ex.Request.URL)
				}
			}
		})
	}
	return mt
}

// ReplayFile loads a fixture file and returns a transport replaying it, as
// NewReplayTransport does. A file that cannot be loaded fails the test at
// once.
func ReplayFile(t testing.TB, path string, opts ...ReplayOption) *httpmock.MockTransport {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		t.Fatalf("%v", err)
		return nil
	}
	return NewReplayTransport(t, c, opts...)
}

// ReplayClient returns an SDK client whose requests are answered from the
// fixture file at path; see NewReplayTransport. It points at ReplayBaseURL
// with a placeholder token, retries after 1 ms, honours a recorded
// Retry-After up to the default policy's MaxWait (so that it retries where
// a client with the default policy did when recording: a recorded
// "Retry-After: 1" makes the test wait a second), and then applies
// clientOpts, which may override the base URL, the
// retry policy or add a logger (WithHTTPClient would bypass the replay).
// To give replay options, use NewClient with ReplayFile.
func ReplayClient(t testing.TB, path string, clientOpts ...integratorio.Option) *integratorio.Client {
	t.Helper()
	return NewClient(t, ReplayFile(t, path), clientOpts...)
}

// NewClient returns an SDK client sending its requests to rt, typically a
// transport from ReplayFile or NewReplayTransport, configured as
// ReplayClient describes. Invalid clientOpts fail the test at once.
func NewClient(t testing.TB, rt http.RoundTripper, clientOpts ...integratorio.Option) *integratorio.Client {
	t.Helper()
	p := integratorio.DefaultRetryPolicy()
	p.MinWait = time.Millisecond
	opts := append([]integratorio.Option{
		integratorio.WithBaseURL(ReplayBaseURL),
		integratorio.WithHTTPClient(&http.Client{Transport: rt}),
		integratorio.WithRetryPolicy(p),
	}, clientOpts...)
	c, err := integratorio.NewClient("replay-placeholder-token", opts...)
	if err != nil {
		t.Fatalf("recording: %v", err)
	}
	return c
}

// replayer serves recorded exchanges.
type replayer struct {
	t         testing.TB
	matchBody bool
	expectAll bool

	exchanges []Exchange
	urls      []*url.URL // the exchanges' request URLs, parsed

	mu   sync.Mutex
	used []bool
}

func (r *replayer) respond(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	red := newRedactor(requestSecrets(req.Header))
	gotURL, _ := url.Parse(red.requestURL(req.URL))
	gotQuery := gotURL.Query()
	// The request is also compared as sent, unredacted: a fixture recorded
	// when fewer names counted as secrets holds some values in clear that
	// the redactor now removes. Comparing with the request as sent matches
	// what was recorded, nothing more (REDACTED in the fixture still
	// stands for any text).
	plainPath, plainQuery := req.URL.EscapedPath(), req.URL.Query()
	var gotBody, plainJSON json.RawMessage
	var gotText, plainText string
	var gotBytes, plainBytes []byte
	if r.matchBody {
		gotBody, gotText, gotBytes = red.body(body)
		plainJSON, plainText, plainBytes = plainBody(body)
	}

	r.mu.Lock()
	idx := -1
	for i, ex := range r.exchanges {
		if r.used[i] || ex.Request.Method != req.Method {
			continue
		}
		u := r.urls[i]
		if !matchPath(u.EscapedPath(), gotURL.EscapedPath()) && !matchPath(u.EscapedPath(), plainPath) {
			continue
		}
		if !sameQuery(u.Query(), gotQuery) && !sameQuery(u.Query(), plainQuery) {
			continue
		}
		if r.matchBody && !sameBody(ex.Request, gotBody, gotText, gotBytes) && !sameBody(ex.Request, plainJSON, plainText, plainBytes) {
			continue
		}
		idx = i
		r.used[i] = true
		break
	}
	r.mu.Unlock()

	if idx < 0 {
		msg := fmt.Sprintf("recording: the fixture holds no (unused) exchange for %s %s", req.Method, gotURL)
		r.t.Errorf("%s", msg)
		env, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": "not_recorded", "message": msg}}})
		return newResponse(req, http.StatusNotImplemented, http.Header{"Content-Type": {"application/json"}}, env), nil
	}
	// The request counts as sent, as it would be on a real connection:
	// clients that watch for it (the SDK does, to decide whether a failed
	// create may be retried) see what they would see on the wire.
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil {
		if tr.WroteHeaders != nil {
			tr.WroteHeaders()
		}
		if tr.WroteRequest != nil {
			tr.WroteRequest(httptrace.WroteRequestInfo{})
		}
	}
	ex := r.exchanges[idx].Response
	if ex.Error != "" {
		return nil, errors.New(ex.Error)
	}
	b := []byte(ex.BodyText)
	switch {
	case ex.Body != nil:
		b = ex.Body
	case ex.BodyBytes != nil:
		b = ex.BodyBytes
	}
	return newResponse(req, ex.Status, ex.Header.Clone(), b), nil
}

// matchRedacted reports whether got equals the recorded want, each
// "REDACTED" in want standing for any text.
func matchRedacted(want, got string) bool {
	parts := strings.Split(want, Redacted)
	if len(parts) == 1 {
		return want == got
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	got = got[len(parts[0]):]
	last := len(parts) - 1
	for _, p := range parts[1:last] {
		i := strings.Index(got, p)
		if i < 0 {
			return false
		}
		got = got[i+len(p):]
	}
	return strings.HasSuffix(got, parts[last])
}

// matchPath matches an escaped path segment by segment, so that a
// redacted segment stands for one segment only.
func matchPath(want, got string) bool {
	ws, gs := strings.Split(want, "/"), strings.Split(got, "/")
	if len(ws) != len(gs) {
		return false
	}
	for i := range ws {
		if !matchRedacted(ws[i], gs[i]) {
			return false
		}
	}
	return true
}

// sameQuery compares queries: the same parameters, each with matching
// values in the same order.
func sameQuery(want, got url.Values) bool {
	if len(want) != len(got) {
		return false
	}
	for k, ws := range want {
		gs, ok := got[k]
		if !ok || len(gs) != len(ws) {
			return false
		}
		for i := range ws {
			if !matchRedacted(ws[i], gs[i]) {
				return false
			}
		}
	}
	return true
}

// sameBody compares a recorded request's body with a replayed one, both
// redacted.
func sameBody(want Request, gotJSON json.RawMessage, gotText string, gotBytes []byte) bool {
	switch {
	case want.Body != nil || gotJSON != nil:
		var a, b any
		if want.Body == nil || gotJSON == nil || jsonvalue.Decode(want.Body, &a) != nil || jsonvalue.Decode(gotJSON, &b) != nil {
			return false
		}
		// Numbers compare by value, objects member order aside.
		return jsonvalue.Equal(a, b, matchRedactedValue)
	case want.BodyBytes != nil || gotBytes != nil:
		return matchRedacted(string(want.BodyBytes), string(gotBytes))
	}
	return matchRedacted(want.BodyText, gotText)
}

// matchRedactedValue matches a string of a recorded JSON body against
// the value in its place: another string, or a number the recorder
// redacted to a string.
func matchRedactedValue(want string, got any) bool {
	switch g := got.(type) {
	case string:
		return matchRedacted(want, g)
	case json.Number:
		return strings.Contains(want, Redacted) && matchRedacted(want, g.String())
	}
	return false
}

func newResponse(req *http.Request, status int, h http.Header, body []byte) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	if status != http.StatusNoContent && status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
