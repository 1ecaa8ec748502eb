package integratorio

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// testToken is an obviously fake token; tests assert it never leaks.
const testToken = "tok-FAKE-0123456789-never-real"

// testRoot is the API root the mocked clients talk to.
const testRoot = "https://api.example.test/v1"

// fastRetries keeps retry tests quick while still exercising backoff.
var fastRetries = RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}

// newMockClient returns a client wired to a fresh httpmock transport.
func newMockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{WithBaseURL(testRoot), WithHTTPClient(&http.Client{Transport: mt}), WithRetryPolicy(fastRetries)}, opts...)
	c, err := NewClient(testToken, all...)
	require.NoError(t, err)
	return c, mt
}

// fixture reads a file from testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// jsonResponder answers with status and a JSON body.
func jsonResponder(status int, body []byte) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewBytesResponse(status, body)
		r.Header.Set("Content-Type", "application/json")
		return r, nil
	}
}

// captured is one request as the server saw it.
type captured struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// recorder wraps a responder and keeps every request it answers.
type recorder struct {
	reqs []captured
}

func (rec *recorder) wrap(next httpmock.Responder) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		rec.reqs = append(rec.reqs, captured{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
		return next(r)
	}
}

// decodeGeneric decodes JSON keeping numbers exact, for comparisons.
func decodeGeneric(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v), "decoding %s", b)
	return normalizeTimes(v)
}

// normalizeTimes rewrites every RFC 3339 string as its UTC instant, since
// the round trip may re-format a timestamp as the same instant.
func normalizeTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeTimes(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeTimes(e)
		}
	case string:
		if strings.Contains(x, "T") {
			if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return tm.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	return v
}

// requireSameJSON fails unless a and b are the same JSON value.
func requireSameJSON(t testing.TB, want, got []byte) {
	t.Helper()
	require.Equal(t, decodeGeneric(t, want), decodeGeneric(t, got), "want %s\ngot  %s", want, got)
}

// requireNoDuplicateKeys fails if an object the SDK writes itself (the
// document, and the install steps in its step lists) repeats a member name:
// the SDK must never write a document whose meaning depends on which
// duplicate a server keeps. Members kept verbatim are not looked into.
func requireNoDuplicateKeys(t testing.TB, b []byte) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		object bool
		check  bool            // the SDK writes this object (or these elements) itself
		keys   map[string]bool // members seen, when checked
		expect bool            // the next string token is a key
		last   string          // the latest key
	}
	stepLists := map[string]bool{"install": true, "installSteps": true, "uninstallSteps": true}
	var stack []*frame
	top := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		f := top()
		if key, isKey := tok.(string); isKey && f != nil && f.object && f.expect {
			if f.check {
				require.False(t, f.keys[key], "duplicate member %q in %s", key, b)
				f.keys[key] = true
			}
			f.expect, f.last = false, key
			continue
		}
		switch tok {
		case json.Delim('{'):
			check := f == nil || (!f.object && f.check)
			stack = append(stack, &frame{object: true, check: check, keys: map[string]bool{}, expect: true})
			continue
		case json.Delim('['):
			check := f != nil && f.object && f.check && len(stack) == 1 && stepLists[f.last]
			stack = append(stack, &frame{check: check})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if f := top(); f != nil && f.object {
			f.expect = true
		}
	}
}

// refusingTransport returns a transport whose first allow dials connect
// and whose later ones are refused by the dialer itself, with the error a
// closed port gives, and the count of dials. Closing a listener to get
// refusals would free its port, which another test's server may take.
func refusingTransport(allow int32) (*http.Transport, *atomic.Int32) {
	dials := new(atomic.Int32)
	dialer := &net.Dialer{}
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= allow {
			return dialer.DialContext(ctx, network, addr)
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}}, dials
}

// regressionClient returns a client wired to a fresh httpmock transport
// that neither retries nor paces, unless opts say otherwise.
func regressionClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{WithBaseURL(testRoot), WithHTTPClient(&http.Client{Transport: mt}),
		WithRetryPolicy(RetryPolicy{MaxRetries: 0}), WithRateLimit(0, 0)}, opts...)
	c, err := NewClient(testToken, all...)
	require.NoError(t, err)
	return c, mt
}
