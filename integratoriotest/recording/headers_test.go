package recording_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest/recording"
)

// headerToken is the bearer token of the header tests: obviously fake.
const headerToken = "tok-FAKE-0123456789abcdef"

// secretHeaders are header names that name a secret, each with a value
// that does not look like a token (no long hex run, no JWT, no Bearer), so
// that only the name can tell the recorder to redact it.
var secretHeaders = map[string]string{
	"X-Api-Key":         "plain-api-key-1",
	"X-Apikey":          "plain-api-key-2",
	"Api-Key":           "plain-api-key-3",
	"X-Key":             "plain-key-4",
	"X-Session-Token":   "plain-session-5",
	"X-Session-Id":      "plain-session-6",
	"X-Secret":          "plain-secret-7",
	"X-Client-Password": "plain-password-8",
	"X-Passwd":          "plain-passwd-9",
	"X-Auth":            "plain-auth-10",
	"X-Auth-Secret":     "plain-auth-11",
	"X-Credential":      "plain-credential-12",
	"X-Hub-Signature":   "plain-signature-13",
	"X-Csrf-Token":      "plain-csrf-14",
	"X-Session-Cookie":  "plain-cookie-15",
	"x-lower-api-key":   "plain-lower-16",
}

// A kept header whose name names a secret is recorded as REDACTED,
// request or response, whatever its value looks like; other kept headers
// are recorded as they were.
func TestRecorderRedactsKeptHeadersNamedLikeSecrets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for name, value := range secretHeaders {
			w.Header().Set(name, value)
		}
		w.Header().Set("X-Request-Id", "req-plain-1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()

	var names []string
	for name := range secretHeaders {
		names = append(names, name)
	}
	rec := recording.NewRecorder(srv.Client().Transport,
		recording.KeepRequestHeaders(append([]string{"X-Request-Id"}, names...)...),
		recording.KeepResponseHeaders(append([]string{"X-Request-Id"}, names...)...))
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/integrations", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+headerToken)
	req.Header.Set("X-Request-Id", "req-plain-1")
	for name, value := range secretHeaders {
		req.Header.Set(name, value)
	}
	resp, err := (&http.Client{Transport: rec}).Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, "plain-api-key-1", resp.Header.Get("X-Api-Key"), "the caller still gets the real header")

	path := filepath.Join(t.TempDir(), "fixture.json")
	require.NoError(t, rec.Save(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	file := string(raw)
	assert.NotContains(t, file, headerToken)
	for name, value := range secretHeaders {
		assert.False(t, strings.Contains(file, value), "the value of %s is in the fixture", name)
	}

	c, err := recording.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Exchanges, 1)
	ex := c.Exchanges[0]
	for _, h := range []http.Header{ex.Request.Header, ex.Response.Header} {
		for name := range secretHeaders {
			assert.Equal(t, []string{recording.Redacted}, h[http.CanonicalHeaderKey(name)], name)
		}
		assert.Equal(t, []string{"req-plain-1"}, h["X-Request-Id"], "a header not named like a secret is kept")
	}
}

// Every value of a repeated secret-named header is redacted, and so is an
// empty one.
func TestRecorderRedactsEveryValueOfASecretNamedHeader(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Add("X-Session-Token", "first-plain")
		w.Header().Add("X-Session-Token", "second-plain")
		w.Header()["X-Api-Key"] = []string{""}
	}))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport, recording.KeepResponseHeaders("X-Session-Token", "X-Api-Key"))
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/x", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+headerToken)
	resp, err := rec.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	b, err := rec.Cassette().Marshal()
	require.NoError(t, err)
	assert.False(t, strings.Contains(string(b), "first-plain"), "the first value is in the fixture")
	assert.False(t, strings.Contains(string(b), "second-plain"), "the second value is in the fixture")
	h := rec.Cassette().Exchanges[0].Response.Header
	assert.Equal(t, []string{recording.Redacted, recording.Redacted}, h["X-Session-Token"])
	assert.Equal(t, []string{recording.Redacted}, h["X-Api-Key"])
}

// A fixture with redacted secret-named headers replays: the request's own
// key does not stop it matching, and the answer carries REDACTED.
func TestReplayServesAFixtureWithRedactedSecretHeaders(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Session-Token", "plain-session-recorded")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"_id":"5f0c0a7d5e21b8640a7d5e21","name":"Orders"}`)
	}))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport,
		recording.KeepRequestHeaders("Content-Type", "X-Api-Key"),
		recording.KeepResponseHeaders("Content-Type", "X-Session-Token"))
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/integrations", strings.NewReader(`{"name":"Orders"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+headerToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", "plain-key-when-recording")
	resp, err := rec.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	path := filepath.Join(t.TempDir(), "fixture.json")
	require.NoError(t, rec.Save(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.False(t, strings.Contains(string(raw), "plain-key-when-recording"), "the request's key is in the fixture")
	assert.False(t, strings.Contains(string(raw), "plain-session-recorded"), "the answer's session token is in the fixture")

	tb := &fakeTB{}
	hc := &http.Client{Transport: recording.ReplayFile(tb, path, recording.MatchBody(), recording.ExpectAllUsed())}
	replay, err := http.NewRequest(http.MethodPost, recording.ReplayBaseURL+"/integrations", strings.NewReader(`{"name":"Orders"}`))
	require.NoError(t, err)
	replay.Header.Set("Content-Type", "application/json")
	replay.Header.Set("X-Api-Key", "another-key-when-replaying")
	got, err := hc.Do(replay)
	require.NoError(t, err)
	body, err := io.ReadAll(got.Body)
	got.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, got.StatusCode)
	assert.JSONEq(t, `{"_id":"5f0c0a7d5e21b8640a7d5e21","name":"Orders"}`, string(body))
	assert.Equal(t, recording.Redacted, got.Header.Get("X-Session-Token"))
	assert.Empty(t, tb.finish())
}

// The name rule that redacts headers is the one for JSON members and query
// parameters: a name holding key, auth, session or signature is a secret
// in a body and in a URL too.
func TestSecretNameRuleIsOneForHeadersMembersAndParameters(t *testing.T) {
	t.Parallel()
	const body = `{"key":"plain-member-1","sessionId":"plain-member-2","x-auth":"plain-member-3","signature":"plain-member-4",` +
		`"headers":[{"name":"X-Session","value":"plain-member-5"}],"name":"kept-name","count":3}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Signature", "plain-header-1")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport, recording.KeepResponseHeaders("Content-Type", "X-Signature"))
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/x?session=plain-param-1&authCode=plain-param-2&include=name", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+headerToken)
	resp, err := rec.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	b, err := rec.Cassette().Marshal()
	require.NoError(t, err)
	for _, v := range []string{"plain-member-1", "plain-member-2", "plain-member-3", "plain-member-4", "plain-member-5",
		"plain-param-1", "plain-param-2", "plain-header-1", headerToken} {
		assert.False(t, strings.Contains(string(b), v), "%s is in the fixture", v)
	}
	ex := rec.Cassette().Exchanges[0]
	assert.Equal(t, "/v1/x?authCode=REDACTED&include=name&session=REDACTED", ex.Request.URL)
	assert.JSONEq(t, `{"key":"REDACTED","sessionId":"REDACTED","x-auth":"REDACTED","signature":"REDACTED",`+
		`"headers":[{"name":"X-Session","value":"REDACTED"}],"name":"kept-name","count":3}`, string(ex.Response.Body))
	assert.Equal(t, []string{recording.Redacted}, ex.Response.Header["X-Signature"])
}

// A fixture recorded when fewer names counted as secrets holds their values
// in clear; it still replays the same requests, and still refuses others.
func TestReplayMatchesFixturesWithValuesNowNamedAsSecrets(t *testing.T) {
	t.Parallel()
	cas := &recording.Cassette{Exchanges: []recording.Exchange{
		{Request: recording.Request{Method: "GET", URL: "/v1/integrations?sortKey=name&session=s1"}, Response: recording.Response{Status: 200, Body: jsonBody(`[]`)}},
		{Request: recording.Request{Method: "POST", URL: "/v1/integrations", Body: jsonBody(`{"name":"n","settings":{"key":"k1","author":"ann"}}`)}, Response: recording.Response{Status: 201, Body: jsonBody(`{}`)}},
	}}
	tb := &fakeTB{}
	hc := &http.Client{Transport: recording.NewReplayTransport(tb, cas, recording.MatchBody(), recording.ExpectAllUsed())}
	for _, tc := range []struct{ method, url, body string }{
		{"GET", "/v1/integrations?session=s1&sortKey=name", ""},
		{"POST", "/v1/integrations", `{"settings":{"author":"ann","key":"k1"},"name":"n"}`},
	} {
		req, err := http.NewRequest(tc.method, recording.ReplayBaseURL+strings.TrimPrefix(tc.url, "/v1"), strings.NewReader(tc.body))
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Less(t, resp.StatusCode, 300, "%s %s", tc.method, tc.url)
	}
	assert.Empty(t, tb.finish())

	for _, tc := range []struct{ method, url, body string }{
		{"GET", "/v1/integrations?session=s2&sortKey=name", ""},
		{"POST", "/v1/integrations", `{"settings":{"author":"ann","key":"k2"},"name":"n"}`},
	} {
		tb := &fakeTB{}
		hc := &http.Client{Transport: recording.NewReplayTransport(tb, cas, recording.MatchBody())}
		req, err := http.NewRequest(tc.method, recording.ReplayBaseURL+strings.TrimPrefix(tc.url, "/v1"), strings.NewReader(tc.body))
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotImplemented, resp.StatusCode, "%s %s %s", tc.method, tc.url, tc.body)
		assert.Len(t, tb.finish(), 1)
	}
}
