package fakecli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reply is a raw answer of the command.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// code returns the error code of an answer with the API's error envelope.
func (r reply) code(t *testing.T) string {
	t.Helper()
	var env struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env), "body: %s", r.body)
	require.Len(t, env.Errors, 1, "body: %s", r.body)
	return env.Errors[0].Code
}

// send sends a request with the token (none when empty) and a JSON body
// (none when empty).
func send(t *testing.T, method, url, token, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, b}
}

// controlRoot is the control API's root beside the API root url.
func controlRoot(url string) string { return strings.TrimSuffix(url, "/v1") + "/_fake" }

// Faults given as flags apply, in order, to the matching requests.
func TestFaultFlags(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	url, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-quiet",
		"-fail-next", "503 x2 get /integrations",
		"-rate-limit-next", "POST 1500ms",
		"-drop-next", "DELETE /v1/integrations/*",
		"-fail-next", "418",
	}, &stdout, &stderr)
	assert.Contains(t, stdout.String(), "faults: 5 pending\n")

	a := send(t, "GET", url+"/integrations", "dev-token", "")
	assert.Equal(t, http.StatusServiceUnavailable, a.status)
	assert.Equal(t, "server_error", a.code(t))
	assert.Equal(t, http.StatusServiceUnavailable, send(t, "GET", url+"/integrations", "dev-token", "").status)

	a = send(t, "POST", url+"/integrations", "dev-token", `{"name":"n"}`)
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "2", a.header.Get("Retry-After"), "rounded up")
	assert.Equal(t, "rate_limited", a.code(t))

	req, err := http.NewRequest("DELETE", url+"/integrations/0123456789abcdef01234567", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer dev-token")
	resp, err := http.DefaultClient.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the DELETE is dropped")

	assert.Equal(t, http.StatusTeapot, send(t, "GET", url+"/jobs", "dev-token", "").status, "any request")
	assert.Equal(t, http.StatusNoContent, send(t, "GET", url+"/integrations", "dev-token", "").status, "the faults are used up")
	assert.Empty(t, stderr.String())
	cancel()
	assert.Equal(t, 0, <-done)
}

// Malformed fault, rate limit and latency flags fail with a message.
func TestBadFaultAndLimitFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-fail-next", ""}, "no status"},
		{[]string{"-fail-next", "GET /integrations"}, "no status"},
		{[]string{"-fail-next", "99"}, "200 to 599"},
		{[]string{"-fail-next", "503 2s"}, `"2s" is not`},
		{[]string{"-fail-next", "503 500"}, "two statuses"},
		{[]string{"-fail-next", "503 x0"}, "x1 or more"},
		{[]string{"-fail-next", "503 x1 x2"}, "two counts"},
		{[]string{"-fail-next", "503 GET PUT"}, "two methods"},
		{[]string{"-fail-next", "503 /a /b"}, "two paths"},
		{[]string{"-fail-next", "503 /integrations/["}, "not a valid pattern"},
		{[]string{"-fail-next", "503 integrations"}, `"integrations" is not`},
		{[]string{"-fail-next", "503 GE-T"}, `"GE-T" is not`},
		{[]string{"-rate-limit-next", "2"}, "not a duration"},
		{[]string{"-rate-limit-next", "1s 2s"}, "two Retry-After"},
		{[]string{"-rate-limit-next", "503"}, "not a duration"},
		{[]string{"-drop-next", "2s"}, `"2s" is not`},
		{[]string{"-drop-next", "503"}, `"503" is not`},
		{[]string{"-rate-limit-per-second", "-1"}, "-rate-limit-per-second"},
		{[]string{"-rate-limit-per-second", "NaN"}, "-rate-limit-per-second"},
		{[]string{"-rate-limit-per-second", "+Inf"}, "-rate-limit-per-second"},
		{[]string{"-rate-limit-per-second", "300", "-rate-limit-burst", "0"}, "-rate-limit-burst"},
		{[]string{"-latency", "-1s"}, "-latency"},
		{[]string{"-latency", "soon"}, "-latency"},
	} {
		var stdout, stderr syncBuffer
		code := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, tc.args...), &stdout, &stderr, func(string) { t.Errorf("%v: served", tc.args) })
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.msg, "%v", tc.args)
	}
}

// -rate-limit-per-second and -rate-limit-burst limit each token; -latency
// holds the answers.
func TestRateLimitAndLatencyFlags(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	url, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-quiet",
		"-rate-limit-per-second", "0.01", "-rate-limit-burst", "2", "-latency", "10ms"}, &stdout, &stderr)
	out := stdout.String()
	assert.Contains(t, out, "rate limit: 2 requests per token, refilled at 0.01 a second\n")
	assert.Contains(t, out, "latency: 10ms per answer\n")

	began := time.Now()
	assert.Equal(t, http.StatusNoContent, send(t, "GET", url+"/integrations", "dev-token", "").status)
	assert.GreaterOrEqual(t, time.Since(began), 10*time.Millisecond, "the answer is held")
	assert.Equal(t, http.StatusNoContent, send(t, "GET", url+"/integrations", "dev-token", "").status)
	a := send(t, "GET", url+"/integrations", "dev-token", "")
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "rate_limited", a.code(t))
	assert.Contains(t, []string{"99", "100"}, a.header.Get("Retry-After"), "one request drains in 100 s")
	assert.Equal(t, http.StatusUnauthorized, send(t, "GET", url+"/integrations", "other-token", "").status, "another token has its own bucket")

	a = send(t, "GET", controlRoot(url)+"/stats", "dev-token", "")
	require.Equal(t, http.StatusOK, a.status, "the control API is not limited")
	assert.JSONEq(t, `{"pendingFaults":0,"rateLimited":1}`, string(a.body))
	cancel()
	assert.Equal(t, 0, <-done)
}

// The control API adds and clears faults and serves the request log; it
// wants the token and its own requests are neither listed nor logged.
func TestControlAPI(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	url, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-token", "tok-for-control"}, &stdout, &stderr)
	ctl := controlRoot(url)
	const tok = "tok-for-control"
	assert.Contains(t, stdout.String(), "control API (faults, request log; same token) at "+ctl+"/\n")

	a := send(t, "POST", ctl+"/faults", "", `{"kind":"fail","status":503}`)
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Equal(t, "unauthorized", a.code(t))
	assert.Equal(t, http.StatusUnauthorized, send(t, "GET", ctl+"/requests", "dev-token", "").status)

	a = send(t, "POST", ctl+"/faults", tok, `{"kind":"fail","status":502,"n":2,"method":"PUT","path":"/integrations/*"}`)
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	assert.JSONEq(t, `{"pendingFaults":2}`, string(a.body))
	a = send(t, "POST", ctl+"/faults", tok, `{"kind":"rate-limit","retryAfter":"2s","path":"/v1/jobs"}`)
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	a = send(t, "POST", ctl+"/faults", tok, `{"kind":"teleport"}`)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "invalid_fault", a.code(t))

	assert.Equal(t, http.StatusBadGateway, send(t, "PUT", url+"/integrations/x", tok, `{"name":"n"}`).status)
	a = send(t, "GET", url+"/jobs", tok, "")
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "2", a.header.Get("Retry-After"))
	assert.JSONEq(t, `{"pendingFaults":1,"rateLimited":0}`, string(send(t, "GET", ctl+"/stats", tok, "").body))
	assert.Equal(t, http.StatusNoContent, send(t, "DELETE", ctl+"/faults", tok, "").status)
	assert.Equal(t, http.StatusNotFound, send(t, "PUT", url+"/integrations/x", tok, `{"name":"n"}`).status, "cleared")

	a = send(t, "GET", ctl+"/requests", tok, "")
	require.Equal(t, http.StatusOK, a.status)
	var reqs []struct {
		Method, Path, Query, Body string
		Status                    int
		Dropped                   bool
		Header                    map[string][]string
	}
	require.NoError(t, json.Unmarshal(a.body, &reqs), "body: %s", a.body)
	require.Len(t, reqs, 3, "body: %s", a.body)
	assert.Equal(t, "PUT", reqs[0].Method)
	assert.Equal(t, "/integrations/x", reqs[0].Path)
	assert.Equal(t, `{"name":"n"}`, reqs[0].Body)
	assert.Equal(t, 502, reqs[0].Status)
	assert.Equal(t, []string{"application/json"}, reqs[0].Header["Content-Type"])
	assert.Equal(t, "/jobs", reqs[1].Path)
	assert.Equal(t, 429, reqs[1].Status)
	assert.Equal(t, 404, reqs[2].Status)
	assert.NotContains(t, string(a.body), tok)

	assert.Equal(t, http.StatusNoContent, send(t, "POST", ctl+"/reset-requests", tok, "").status)
	assert.Equal(t, "[]", string(send(t, "GET", ctl+"/requests", tok, "").body))
	assert.Equal(t, http.StatusMethodNotAllowed, send(t, "GET", ctl+"/reset-requests", tok, "").status)
	assert.Equal(t, http.StatusNotFound, send(t, "GET", ctl+"/nothing", tok, "").status)

	cancel()
	assert.Equal(t, 0, <-done)
	logs := stderr.String()
	assert.Equal(t, 3, strings.Count(logs, "integratoriotest: request"), "only the API's requests are logged: %s", logs)
	assert.NotContains(t, logs, "_fake")
}
