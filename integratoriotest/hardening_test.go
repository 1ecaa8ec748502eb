package integratoriotest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

func TestHugeSkipIsAnEmptyPageAndTheServerStaysUp(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seed(t, srv, `{"name":"a"}`)
	a := rawReq(t, srv, http.MethodGet, "/integrations?skip=9223372036854775807", "")
	assert.Equal(t, http.StatusNoContent, a.status)
	a = rawReq(t, srv, http.MethodGet, "/integrations", "")
	assert.Equal(t, http.StatusOK, a.status, "the server still answers")
}

func TestRequestLogNeverHoldsTheTokenInAnyForm(t *testing.T) {
	t.Parallel()
	const tok = "tok/with+odd chars&more"
	srv := newServer(t, integratoriotest.WithToken(tok))
	rawReq(t, srv, http.MethodGet, "/integrations/"+url.PathEscape(tok), "")
	rawReq(t, srv, http.MethodGet, "/integrations?include="+url.QueryEscape(tok), "")
	rawReq(t, srv, http.MethodPost, "/integrations", `{"name":"`+tok+`"}`, "X-Echo: "+tok)
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	raw, err := json.Marshal(reqs)
	require.NoError(t, err)
	for _, form := range []string{tok, url.PathEscape(tok), url.QueryEscape(tok)} {
		assert.NotContains(t, string(raw), form)
	}
	assert.Contains(t, reqs[0].Path, "REDACTED")
	assert.Contains(t, reqs[1].Query, "REDACTED")
}

func TestDroppedGETIsSeenByTheClientEvenOnAReusedConnection(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"a"}`)
	client := srv.Client(integratorio.WithRetryPolicy(integratorio.RetryPolicy{}))
	ctx := context.Background()
	_, err := client.Integrations.Get(ctx, id) // leaves an idle connection
	require.NoError(t, err)
	srv.DropNext(1, integratoriotest.OnMethod(http.MethodGet))
	_, err = client.Integrations.Get(ctx, id)
	require.Error(t, err, "net/http must not resend the GET behind the client's back")
	assert.Len(t, srv.Requests(), 2)
	assert.Zero(t, srv.PendingFaults())
}

func TestRequestLogLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithRequestLogLimit(3))
	for _, p := range []string{"/integrations/a", "/integrations/b", "/integrations/c", "/integrations/d", "/integrations/e"} {
		rawReq(t, srv, http.MethodGet, p, "")
	}
	var paths []string
	for _, r := range srv.Requests() {
		paths = append(paths, r.Path)
	}
	assert.Equal(t, []string{"/integrations/c", "/integrations/d", "/integrations/e"}, paths)
}

func TestBadFaultsPanicWhenAdded(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, status := range []int{42, 103, 1000, -5} {
		assert.Panics(t, func() { srv.FailNext(1, status) }, "status %d", status)
	}
	assert.Panics(t, func() { integratoriotest.OnPath("[") })
	assert.Zero(t, srv.PendingFaults())
}

func TestMalformedBodyIs400Not413(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("POST /v1/integrations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + srv.Token +
		"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"))
}
