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
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/integratorio-go/integratorio"
)

// ReplayBaseURL is the API root ReplayClient points its client at. Replay
// matches requests by path and query, so the host never matters; this is
// the real service's, so that nothing looks like a local server.
const ReplayBaseURL = "https://api.integrator.io/v1"

// ReplayOption configures a replay.
type ReplayOption func(*replayer)

// MatchBody makes a replayed request match an exchange only when its JSON
// body equals the recorded one (after the same redaction the recorder
// applies), member order aside. Without it, method, path and query decide.
func MatchBody() ReplayOption {
	return func(r *replayer) { r.matchBody = true }
}

// ExpectAllUsed makes the test fail, when it ends, if some recorded
// exchanges were never replayed.
func ExpectAllUsed() ReplayOption {
	return func(r *replayer) { r.expectAll = true }
}

// NewReplayTransport returns an httpmock transport serving the exchanges of
// c. A request is answered by the first exchange not yet used with the same
// method, escaped path and query (parameters in any order); so repeated
// requests get the recorded answers in order. The host is ignored. A request
// the cassette does not hold fails the test (t.Errorf) and is answered 501
// with the error envelope (code "not_recorded"), a status the SDK does not
// retry. A recorded transport error is returned as an error, after the
// request's httptrace hooks report it written, as on a real connection
// that failed after sending.
func NewReplayTransport(t testing.TB, c *Cassette, opts ...ReplayOption) *httpmock.MockTransport {
	t.Helper()
	r := &replayer{t: t, exchanges: c.Exchanges, used: make([]bool, len(c.Exchanges))}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	mt := httpmock.NewMockTransport()
	registered := map[string]bool{}
	for _, ex := range c.Exchanges {
		u, err := url.Parse(ex.Request.URL)
		if err != nil {
			t.Fatalf("recording: exchange %s %s: %v", ex.Request.Method, ex.Request.URL, err)
		}
		key := ex.Request.Method + " " + u.EscapedPath() + "?" + u.Query().Encode()
		if registered[key] {
			continue
		}
		registered[key] = true
		mt.RegisterResponderWithQuery(ex.Request.Method, u.EscapedPath(), u.Query(), r.respond)
	}
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
// with a placeholder token, retries after 1 ms (Retry-After honoured up to
// 2 s) and then applies clientOpts, which may override the base URL, the
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
	p.MinWait, p.MaxWait = time.Millisecond, 2*time.Second
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

	mu        sync.Mutex
	exchanges []Exchange
	used      []bool
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
	red := &redactor{}
	if _, tok, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
		red.secrets = append(red.secrets, strings.TrimSpace(tok))
	}
	gotURL, _ := url.Parse(red.requestURL(req.URL))
	gotBody, gotText := red.body(body)

	r.mu.Lock()
	idx := -1
	for i, ex := range r.exchanges {
		if r.used[i] || ex.Request.Method != req.Method {
			continue
		}
		u, err := url.Parse(ex.Request.URL)
		if err != nil || u.EscapedPath() != gotURL.EscapedPath() || !reflect.DeepEqual(normQuery(u.Query()), normQuery(gotURL.Query())) {
			continue
		}
		if r.matchBody && !sameBody(ex.Request.Body, ex.Request.BodyText, gotBody, gotText) {
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
	if ex.Body != nil {
		b = ex.Body
	}
	return newResponse(req, ex.Status, ex.Header.Clone(), b), nil
}

func normQuery(q url.Values) url.Values {
	if len(q) == 0 {
		return nil
	}
	return q
}

func sameBody(wantJSON json.RawMessage, wantText string, gotJSON json.RawMessage, gotText string) bool {
	if wantJSON == nil || gotJSON == nil {
		return wantJSON == nil && gotJSON == nil && wantText == gotText
	}
	var a, b any
	if json.Unmarshal(wantJSON, &a) != nil || json.Unmarshal(gotJSON, &b) != nil {
		return bytes.Equal(wantJSON, gotJSON)
	}
	return reflect.DeepEqual(a, b)
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
