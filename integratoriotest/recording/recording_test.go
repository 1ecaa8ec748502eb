package recording_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"github.com/integratorio-go/integratorio/integratoriotest/recording"
)

const token = "fake-token-recording-tests"

// recordAgainstFake returns a fake server and a client recording through
// rec.
func recordAgainstFake(t *testing.T, opts ...recording.RecorderOption) (*integratoriotest.Server, *recording.Recorder, *integratorio.Client) {
	t.Helper()
	srv := integratoriotest.NewServer(integratoriotest.WithToken(token), integratoriotest.WithPageSize(1))
	t.Cleanup(srv.Close)
	rec := recording.NewRecorder(srv.HTTPClient().Transport, opts...)
	return srv, rec, srv.Client(integratorio.WithHTTPClient(&http.Client{Transport: rec}))
}

// Secrets are redacted wherever they appear; ids and ordinary values are
// kept; only the selected headers are recorded, links made host-relative.
func TestRecorderRedacts(t *testing.T) {
	t.Parallel()
	srv, rec, client := recordAgainstFake(t, recording.RedactValues("hunter2-not-token-shaped"))
	settings, err := integratorio.NewSettings(map[string]any{
		"clientSecret": "short",
		"password":     "hunter2-not-token-shaped",
		"nested":       map[string]any{"accessToken": "abc", "count": 3},
		"hex":          "0123456789abcdef0123456789ABCDEF0123",
		"jwt":          "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
		"header":       "Authorization: Bearer " + token,
		"plain":        "nothing to hide",
	})
	require.NoError(t, err)
	in, err := client.Integrations.Create(context.Background(), &integratorio.Integration{Name: "n", Description: "uses " + token, Settings: settings})
	require.NoError(t, err)
	assert.Equal(t, "uses "+token, in.Description, "the client still gets the real body")
	seed := `{"name":"second"}`
	_, err = srv.AddIntegrationJSON([]byte(seed))
	require.NoError(t, err)
	_, err = client.Integrations.List(context.Background(), nil)
	require.NoError(t, err)

	cas := rec.Cassette()
	require.Len(t, cas.Exchanges, 3)
	b, err := cas.Marshal()
	require.NoError(t, err)
	s := string(b)
	for _, secret := range []string{token, "short", "hunter2-not-token-shaped", `"abc"`, "0123456789abcdef0123456789ABCDEF0123", "eyJhbGciOiJIUzI1NiJ9", `"Authorization": [`, "127.0.0.1"} {
		assert.NotContains(t, s, secret)
	}
	assert.Contains(t, s, "nothing to hide")
	assert.Contains(t, s, `"count": 3`)
	assert.Contains(t, s, in.ID, "24-hex ids are kept")
	assert.Contains(t, s, `"header": "Authorization: Bearer REDACTED"`)
	assert.Contains(t, s, `"description": "uses REDACTED"`)

	create := cas.Exchanges[0]
	assert.Equal(t, "POST", create.Request.Method)
	assert.Equal(t, "/v1/integrations", create.Request.URL)
	assert.Equal(t, http.Header{"Content-Type": {"application/json"}}, create.Request.Header)
	assert.Equal(t, 201, create.Response.Status)
	assert.Equal(t, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, create.Response.Header, "Date and Content-Length are not kept")

	page1 := cas.Exchanges[1]
	assert.Equal(t, []string{`</v1/integrations?after=1>; rel="next"`}, page1.Response.Header["Link"])
	assert.Equal(t, "/v1/integrations?after=1", cas.Exchanges[2].Request.URL)
}

// Query parameters named like secrets, and token-shaped values, are
// redacted in the recorded URL.
func TestRecorderRedactsQuery(t *testing.T) {
	t.Parallel()
	srv, rec, _ := recordAgainstFake(t)
	hc := &http.Client{Transport: rec}
	req, err := http.NewRequest("GET", srv.URL+"/integrations?access_token=x1&include=name&k=0123456789abcdef0123456789abcdef", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "/v1/integrations?access_token=REDACTED&include=name&k=REDACTED", rec.Cassette().Exchanges[0].Request.URL)
}

// A transport error is recorded as such, and handed to the client.
func TestRecorderRecordsTransportErrors(t *testing.T) {
	t.Parallel()
	srv, rec, client := recordAgainstFake(t)
	srv.DropNext(1)
	_, err := client.Integrations.Create(context.Background(), &integratorio.Integration{Name: "n"})
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	cas := rec.Cassette()
	require.Len(t, cas.Exchanges, 1)
	assert.Zero(t, cas.Exchanges[0].Response.Status)
	assert.NotEmpty(t, cas.Exchanges[0].Response.Error)
	assert.NotContains(t, cas.Exchanges[0].Response.Error, token)
}

// Header selection can be changed, but credentials are never recorded.
func TestRecorderKeepHeaders(t *testing.T) {
	t.Parallel()
	_, rec, client := recordAgainstFake(t,
		recording.KeepRequestHeaders("User-Agent", "Authorization"),
		recording.KeepResponseHeaders("Content-Length", "Set-Cookie"))
	_, err := client.Integrations.Create(context.Background(), &integratorio.Integration{Name: "n"})
	require.NoError(t, err)
	ex := rec.Cassette().Exchanges[0]
	assert.Equal(t, []string{"User-Agent"}, keys(ex.Request.Header))
	assert.Equal(t, []string{"Content-Length"}, keys(ex.Response.Header))

	rec.Reset()
	assert.Empty(t, rec.Cassette().Exchanges)
}

func keys(h http.Header) []string {
	var out []string
	for k := range h {
		out = append(out, k)
	}
	return out
}

// Save writes what Load reads; Load refuses what is not a fixture.
func TestCassetteSaveLoad(t *testing.T) {
	t.Parallel()
	_, rec, client := recordAgainstFake(t)
	_, err := client.Integrations.List(context.Background(), nil)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "sub", "f.json")
	require.NoError(t, rec.Save(path))
	got, err := recording.Load(path)
	require.NoError(t, err)
	assert.Equal(t, rec.Cassette(), got)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(b), "}\n"))

	empty, err := (&recording.Cassette{}).Marshal()
	require.NoError(t, err)
	assert.JSONEq(t, `{"exchanges":[]}`, string(empty))

	require.NoError(t, os.WriteFile(path, []byte(`{"exchanges":[],"surprise":1}`), 0o644))
	_, err = recording.Load(path)
	assert.Error(t, err)
	_, err = recording.Load(filepath.Join(t.TempDir(), "missing.json"))
	assert.Error(t, err)
}

// fakeTB records failures instead of failing the test, to test that
// replay fails tests when it should.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatalf(format string, args ...any) { f.Errorf(format, args...) }

func (f *fakeTB) Fatal(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }

func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func (f *fakeTB) finish() []string {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errs
}

func jsonBody(s string) []byte { return []byte(s) }

// A cassette built by hand, as a person would edit one.
func handCassette() *recording.Cassette {
	return &recording.Cassette{Exchanges: []recording.Exchange{
		{Request: recording.Request{Method: "GET", URL: "/v1/integrations/a1"},
			Response: recording.Response{Status: 503, Body: jsonBody(`{"errors":[{"code":"server_error","message":"x"}]}`)}},
		{Request: recording.Request{Method: "GET", URL: "/v1/integrations/a1"},
			Response: recording.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: jsonBody(`{"_id":"a1","name":"first"}`)}},
		{Request: recording.Request{Method: "GET", URL: "/v1/integrations/a1"},
			Response: recording.Response{Status: 200, Body: jsonBody(`{"_id":"a1","name":"second"}`)}},
		{Request: recording.Request{Method: "GET", URL: "/v1/integrations?include=name&exclude="},
			Response: recording.Response{Status: 204}},
		{Request: recording.Request{Method: "POST", URL: "/v1/integrations", Body: jsonBody(`{"name":"expected"}`)},
			Response: recording.Response{Status: 201, Body: jsonBody(`{"_id":"b1","name":"expected"}`)}},
		{Request: recording.Request{Method: "POST", URL: "/v1/integrations/a1/clone"},
			Response: recording.Response{Error: "EOF"}},
	}}
}

// Repeated requests get the recorded answers in order (a retried 503
// included); a request the cassette does not hold fails the test and is
// answered 501, which the SDK does not retry.
func TestReplayInOrderAndUnknownRequests(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	c := recording.NewClient(tb, recording.NewReplayTransport(tb, handCassette()))
	ctx := context.Background()

	in, err := c.Integrations.Get(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, "first", in.Name, "the 503 was retried into the next exchange")
	in, err = c.Integrations.Get(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, "second", in.Name)
	assert.Empty(t, tb.finish())

	_, err = c.Integrations.Get(ctx, "a1")
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr, "the recorded answers for a1 are used up")
	assert.Equal(t, http.StatusNotImplemented, apiErr.StatusCode)
	assert.Equal(t, "not_recorded", apiErr.Code())
	_, err = c.Integrations.Get(ctx, "zz")
	require.Error(t, err)
	errs := tb.finish()
	require.Len(t, errs, 2, "one failure per unknown request: no retries")
	assert.Contains(t, errs[0], "GET /v1/integrations/a1")
	assert.Contains(t, errs[1], "GET /v1/integrations/zz")
}

// Query parameters match in any order.
func TestReplayQueryOrder(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	hc := &http.Client{Transport: recording.NewReplayTransport(tb, handCassette())}
	resp, err := hc.Get("https://example.invalid/v1/integrations?exclude=&include=name")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, err = hc.Get("https://example.invalid/v1/integrations?include=name")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode, "a missing parameter is another request")
	assert.Len(t, tb.finish(), 1)
}

// MatchBody tells requests apart by their JSON body, member order aside.
func TestReplayMatchBody(t *testing.T) {
	t.Parallel()
	post := func(hc *http.Client, body string) int {
		resp, err := hc.Post("https://example.invalid/v1/integrations", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	tb := &fakeTB{}
	hc := &http.Client{Transport: recording.NewReplayTransport(tb, handCassette(), recording.MatchBody())}
	assert.Equal(t, http.StatusNotImplemented, post(hc, `{"name":"other"}`))
	require.Len(t, tb.finish(), 1)
	assert.Equal(t, http.StatusCreated, post(hc, ` { "name" : "expected" }`))

	loose := &fakeTB{}
	hc = &http.Client{Transport: recording.NewReplayTransport(loose, handCassette())}
	assert.Equal(t, http.StatusCreated, post(hc, `{"name":"other"}`), "without MatchBody the body does not matter")
	assert.Empty(t, loose.finish())
}

// A recorded transport error is replayed as one, after the request counts
// as sent: a clone is then not retried.
func TestReplayTransportError(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	c := recording.NewClient(tb, recording.NewReplayTransport(tb, handCassette()))
	_, err := c.Integrations.Clone(context.Background(), "a1", nil)
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	assert.Empty(t, tb.finish(), "one attempt only")
}

// ExpectAllUsed fails the test at its end for each exchange never used.
func TestReplayExpectAllUsed(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	c := recording.NewClient(tb, recording.NewReplayTransport(tb, handCassette(), recording.ExpectAllUsed()))
	_, err := c.Integrations.Get(context.Background(), "a1")
	require.NoError(t, err)
	errs := tb.finish()
	require.Len(t, errs, 4)
	assert.Contains(t, errs[0], "exchange 2 (GET /v1/integrations/a1) was never replayed")
}

// ReplayClient serves a file; ReplayFile fails the test on a bad file.
func TestReplayFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f.json")
	require.NoError(t, handCassette().Save(path))
	c := recording.ReplayClient(t, path)
	in, err := c.Integrations.Get(context.Background(), "a1")
	require.NoError(t, err)
	assert.Equal(t, "first", in.Name)

	tb := &fakeTB{}
	require.NoError(t, os.WriteFile(path, []byte(`not json`), 0o644))
	assert.Nil(t, recording.ReplayFile(tb, path))
	assert.Len(t, tb.finish(), 1)
}

// A token used as a JSON member name or a query parameter name is redacted
// too.
func TestRecorderRedactsNames(t *testing.T) {
	t.Parallel()
	srv, rec, _ := recordAgainstFake(t)
	hc := &http.Client{Transport: rec}
	req, err := http.NewRequest("POST", srv.URL+"/integrations?"+token+"=1", strings.NewReader(`{"name":"n","`+token+`":true}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	b, err := rec.Cassette().Marshal()
	require.NoError(t, err)
	assert.NotContains(t, string(b), token)
	assert.Contains(t, rec.Cassette().Exchanges[0].Request.URL, "?REDACTED=")
}
