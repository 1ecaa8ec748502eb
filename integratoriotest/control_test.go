package integratoriotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// control sends a request to the control API, with the token unless a
// header "Authorization" is given (as rawReq; "Authorization:" alone sends
// none).
func control(t *testing.T, srv *integratoriotest.Server, method, path, body string, headers ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	root := strings.TrimSuffix(srv.URL, integratoriotest.APIPrefix)
	req, err := http.NewRequest(method, root+integratoriotest.ControlPrefix+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		if v = strings.TrimSpace(v); v != "" {
			req.Header.Set(k, v)
		} else {
			req.Header.Del(k)
		}
	}
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// The control API adds and clears faults, lists and forgets the request
// log and reports the counters; its own requests are never logged.
func TestControlAPI(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithControlAPI(), integratoriotest.WithClock(newFakeClock().Now), integratoriotest.WithRateLimit(1, 100))

	a := control(t, srv, "POST", "/faults", `{"kind":"fail","status":503,"n":2,"method":"get","path":"/v1/integrations/*"}`)
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	assert.Equal(t, map[string]any{"pendingFaults": float64(2)}, a.object(t))
	a = control(t, srv, "POST", "/faults", `{"kind":"rate-limit","retryAfter":"1500ms","path":"/integrations"}`)
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	a = control(t, srv, "POST", "/faults", `{"kind":"rate-limit","retryAfter":3,"method":"DELETE"}`)
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	assert.Equal(t, 4, srv.PendingFaults())

	assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "PUT", "/integrations/abc", `{}`).status, "a PUT matches no fault")
	assert.Equal(t, http.StatusServiceUnavailable, rawReq(t, srv, "GET", "/integrations/abc", "").status)
	assert.Equal(t, http.StatusServiceUnavailable, rawReq(t, srv, "GET", "/integrations/abc", "").status)
	assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "GET", "/integrations/abc", "").status, "used up")
	a = rawReq(t, srv, "GET", "/integrations", "")
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "2", a.header.Get("Retry-After"))
	a = rawReq(t, srv, "DELETE", "/integrations/abc", "")
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "3", a.header.Get("Retry-After"))

	require.Equal(t, http.StatusOK, control(t, srv, "POST", "/faults", `{"kind":"drop","method":"POST"}`).status)
	require.Equal(t, http.StatusOK, control(t, srv, "POST", "/faults", `{"kind":"fail","status":500}`).status)
	a = control(t, srv, "GET", "/stats", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, map[string]any{"pendingFaults": float64(2), "rateLimited": float64(0)}, a.object(t))
	assert.Equal(t, http.StatusNoContent, control(t, srv, "DELETE", "/faults", "").status)
	assert.Zero(t, srv.PendingFaults())

	a = control(t, srv, "GET", "/requests", "")
	require.Equal(t, http.StatusOK, a.status)
	var reqs []map[string]any
	require.NoError(t, json.Unmarshal(a.body, &reqs), "body: %s", a.body)
	require.Len(t, reqs, 6, "only the API's requests are logged: %s", a.body)
	assert.Equal(t, "PUT", reqs[0]["method"])
	assert.Equal(t, "/integrations/abc", reqs[0]["path"])
	assert.Equal(t, "{}", reqs[0]["body"])
	assert.Equal(t, float64(404), reqs[0]["status"])
	assert.Equal(t, false, reqs[0]["dropped"])
	assert.Equal(t, "application/json", reqs[0]["header"].(map[string]any)["Content-Type"].([]any)[0])
	assert.NotContains(t, reqs[1], "body", "no body")
	assert.Equal(t, float64(503), reqs[1]["status"])
	assert.NotContains(t, string(a.body), srv.Token)

	assert.Equal(t, http.StatusNoContent, control(t, srv, "POST", "/reset-requests", "").status)
	assert.Empty(t, srv.Requests())
	a = control(t, srv, "GET", "/requests", "")
	assert.Equal(t, "[]", string(a.body))
}

// The control API wants the API's token, refuses malformed faults with the
// error envelope and names the methods a route allows.
func TestControlAPIErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithControlAPI())

	for _, auth := range []string{"Authorization:", "Authorization: Bearer wrong"} {
		a := control(t, srv, "POST", "/faults", `{"kind":"fail","status":503}`, auth)
		assert.Equal(t, http.StatusUnauthorized, a.status)
		assert.Equal(t, "unauthorized", a.envelope(t)["code"])
		assert.Equal(t, http.StatusUnauthorized, control(t, srv, "GET", "/requests", "", auth).status)
	}
	assert.Zero(t, srv.PendingFaults())

	for _, tc := range []struct{ body, field string }{
		{``, ""},
		{`[]`, ""},
		{`{"kind":"fail","status":503} {}`, ""},
		{`{"kind":"fail","status":503,"extra":1}`, ""},
		{`{"kind":"explode"}`, "kind"},
		{`{"kind":"fail"}`, "status"},
		{`{"kind":"fail","status":99}`, "status"},
		{`{"kind":"fail","status":503,"retryAfter":"1s"}`, "retryAfter"},
		{`{"kind":"fail","status":503,"n":0}`, "n"},
		{`{"kind":"rate-limit","status":503}`, "status"},
		{`{"kind":"rate-limit","retryAfter":"soon"}`, "retryAfter"},
		{`{"kind":"rate-limit","retryAfter":-1}`, "retryAfter"},
		{`{"kind":"rate-limit","retryAfter":true}`, "retryAfter"},
		{`{"kind":"drop","status":503}`, ""},
		{`{"kind":"drop","method":"GE T"}`, "method"},
		{`{"kind":"drop","method":"integrations"}`, "method"},
		{`{"kind":"drop","path":"integrations"}`, "path"},
		{`{"kind":"drop","path":"/integrations/["}`, "path"},
	} {
		a := control(t, srv, "POST", "/faults", tc.body)
		assert.Equal(t, http.StatusBadRequest, a.status, "%s: %s", tc.body, a.body)
		env := a.envelope(t)
		assert.Equal(t, tc.field, env["field"], tc.body)
	}
	assert.Zero(t, srv.PendingFaults(), "nothing was added")

	a := control(t, srv, "GET", "/faults", "")
	assert.Equal(t, http.StatusMethodNotAllowed, a.status)
	assert.Equal(t, "POST, DELETE", a.header.Get("Allow"))
	assert.Equal(t, "method_not_allowed", a.envelope(t)["code"])
	assert.Equal(t, http.StatusMethodNotAllowed, control(t, srv, "POST", "/requests", "").status)
	a = control(t, srv, "GET", "/nothing", "")
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, "not_found", a.envelope(t)["code"])
	assert.Empty(t, srv.Requests(), "control requests are never logged")
}

// Control requests escape the faults, the rate limit and the latency.
func TestControlAPIBypassesFaultsLimitAndLatency(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithControlAPI(), integratoriotest.WithClock(newFakeClock().Now),
		integratoriotest.WithRateLimit(1, 1), integratoriotest.WithLatency(time.Hour))
	srv.FailNext(5, http.StatusInternalServerError)
	for range 3 {
		a := control(t, srv, "GET", "/stats", "")
		require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	}
	assert.Equal(t, 5, srv.PendingFaults())
	assert.Zero(t, srv.RateLimited())
}

// Without WithControlAPI, the control paths are like any unknown path.
func TestControlAPIOff(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := control(t, srv, "GET", "/stats", "")
	assert.Equal(t, http.StatusNotFound, a.status)
	require.Len(t, srv.Requests(), 1)
	assert.Equal(t, "/_fake/stats", srv.Requests()[0].Path)
}

// A body that is not UTF-8 is listed as base64.
func TestControlAPIBinaryBody(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithControlAPI())
	req, err := http.NewRequest("POST", srv.URL+"/integrations", strings.NewReader("\xff\xfe"))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	a := control(t, srv, "GET", "/requests", "")
	var reqs []map[string]any
	require.NoError(t, json.Unmarshal(a.body, &reqs))
	require.Len(t, reqs, 1)
	assert.Equal(t, "//4=", reqs[0]["bodyBase64"])
	assert.NotContains(t, reqs[0], "body")
}
