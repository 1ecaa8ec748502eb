package integratoriotest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// testToken is an obviously fake token used where a test needs to know it.
const testToken = "fake-token-for-tests-only"

var (
	hexID     = regexp.MustCompile(`^[0-9a-f]{24}$`)
	timestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// newServer starts a server closed when the test ends.
func newServer(t *testing.T, opts ...integratoriotest.Option) *integratoriotest.Server {
	t.Helper()
	srv := integratoriotest.NewServer(append([]integratoriotest.Option{integratoriotest.WithToken(testToken)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// envelope decodes the error envelope and returns its only entry.
func (a answer) envelope(t *testing.T) map[string]string {
	t.Helper()
	require.Equal(t, "application/json; charset=utf-8", a.header.Get("Content-Type"))
	var env struct {
		Errors []map[string]string `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(a.body, &env), "body: %s", a.body)
	require.Len(t, env.Errors, 1, "body: %s", a.body)
	require.NotEmpty(t, env.Errors[0]["message"])
	return env.Errors[0]
}

// object decodes the body as a JSON object.
func (a answer) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), "body: %s", a.body)
	return m
}

// rawReq sends a request with plain net/http. path is relative to the API
// root. Headers are given as "Name: value"; the token is added unless a
// header "Authorization" is given ("Authorization:" alone sends none).
func rawReq(t *testing.T, srv *integratoriotest.Server, method, path, body string, headers ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	require.NoError(t, err)
	auth := true
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		if http.CanonicalHeaderKey(k) == "Authorization" {
			auth = false
		}
		if v = strings.TrimSpace(v); v != "" {
			req.Header.Set(k, v)
		} else {
			req.Header.Del(k)
		}
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+srv.Token)
	}
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// stored returns the server's copy of an integration, decoded.
func stored(t *testing.T, srv *integratoriotest.Server, id string) map[string]any {
	t.Helper()
	raw, ok := srv.IntegrationJSON(id)
	require.True(t, ok, "integration %s is not stored", id)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}

// seed stores a raw document and returns its id.
func seed(t *testing.T, srv *integratoriotest.Server, doc string) string {
	t.Helper()
	id, err := srv.AddIntegrationJSON([]byte(doc))
	require.NoError(t, err)
	return id
}

// statuses lists the method, path and status of each logged request.
func statuses(srv *integratoriotest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		s := r.Method + " " + r.Path
		if r.Query != "" {
			s += "?" + r.Query
		}
		out = append(out, s+" "+strconv.Itoa(r.Status))
	}
	return out
}

// decodeArray decodes a JSON array of objects.
func decodeArray(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	require.NoError(t, json.Unmarshal(b, &out), "body: %s", b)
	return out
}
