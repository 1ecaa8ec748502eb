package integratoriotest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// A connection's ping works by default and answers what SetPingAnswer set:
// a 2xx holding errors (with or without another code), or an error status;
// the SDK reads each as the API means it.
func TestPingAnswersAsSet(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := srv.AddJSON("connections", []byte(`{"_id":"c1","type":"http"}`))
	require.NoError(t, err)

	require.NoError(t, c.Connections.Ping(ctx, "c1"))
	a := rawReq(t, srv, "GET", "/connections/c1/ping", "")
	assert.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `{"code":200}`, string(a.body))

	expired := []integratorio.ErrorDetail{{Code: "invalid_credentials", Message: "Authentication failed: token expired"}}
	cases := []struct {
		name     string
		answer   integratoriotest.PingAnswer
		wire     string
		status   int
		code     int
		apiError bool
	}{
		{"2xx holding errors", integratoriotest.PingAnswer{Errors: expired},
			`{"errors":[{"code":"invalid_credentials","message":"Authentication failed: token expired"}]}`, 200, 200, false},
		{"2xx with another code", integratoriotest.PingAnswer{Code: 401, Errors: expired},
			`{"code":401,"errors":[{"code":"invalid_credentials","message":"Authentication failed: token expired"}]}`, 200, 401, false},
		{"4xx", integratoriotest.PingAnswer{Status: 400, Errors: expired},
			`{"errors":[{"code":"invalid_credentials","message":"Authentication failed: token expired"}]}`, 400, 400, true},
		{"4xx without a reason", integratoriotest.PingAnswer{Status: 422},
			`{"errors":[{"code":"connection_failed","message":"the connection does not work"}]}`, 422, 422, true},
	}
	for _, k := range cases {
		srv.SetPingAnswer("c1", k.answer)
		a := rawReq(t, srv, "GET", "/connections/c1/ping", "")
		assert.Equal(t, k.status, a.status, k.name)
		assert.JSONEq(t, k.wire, string(a.body), k.name)

		err := c.Connections.Ping(ctx, "c1")
		require.ErrorIs(t, err, integratorio.ErrConnectionFailed, k.name)
		var pe *integratorio.PingError
		require.True(t, errors.As(err, &pe), k.name)
		assert.Equal(t, k.code, pe.Code, k.name)
		var apiErr *integratorio.APIError
		assert.Equal(t, k.apiError, errors.As(err, &apiErr), k.name)
	}
	assert.ErrorContains(t, c.Connections.Ping(ctx, "c1"), "the connection does not work")

	srv.SetPingAnswer("c1", integratoriotest.PingAnswer{})
	require.NoError(t, c.Connections.Ping(ctx, "c1"), "working again")
	assert.Equal(t, http.StatusOK, rawReq(t, srv, "POST", "/connections/c1/ping", `{"_flowId":"f1"}`).status, "as the web app pings")

	srv.SetPingAnswer("later", integratoriotest.PingAnswer{Errors: expired})
	err = c.Connections.Ping(ctx, "later")
	assert.ErrorIs(t, err, integratorio.ErrNotFound, "an unknown connection is the request's error")
	assert.NotErrorIs(t, err, integratorio.ErrConnectionFailed)
	_, err = srv.AddJSON("connections", []byte(`{"_id":"later","type":"ftp"}`))
	require.NoError(t, err)
	assert.ErrorIs(t, c.Connections.Ping(ctx, "later"), integratorio.ErrConnectionFailed, "set before it existed")

	for _, status := range []int{-1, 100, 204, 302, 600} {
		assert.Panics(t, func() { srv.SetPingAnswer("c1", integratoriotest.PingAnswer{Status: status}) }, "%d", status)
	}
}

// An export's invocation answers what the test set, {"data":[]} by
// default, and changes nothing.
func TestInvokeAnswersAsSet(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := srv.AddJSON("exports", []byte(`{"_id":"e1","adaptorType":"HTTPExport"}`))
	require.NoError(t, err)
	before, _ := srv.DocumentJSON("exports", "e1")

	out, err := c.Exports.Invoke(ctx, "e1", nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"data":[]}`, string(out))

	seeded := `{"data":[{"id":1,"total":12.50}],"errors":[]}`
	srv.SetInvokeAnswer("e1", []byte(seeded))
	out, err = c.Exports.Invoke(ctx, "e1", map[string]any{"data": []int{1}, "settings": map[string]any{}})
	require.NoError(t, err)
	assert.Equal(t, seeded, string(out), "as given")
	a := rawReq(t, srv, "POST", "/exports/e1/invoke", "")
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, seeded, string(a.body))
	assert.Equal(t, http.StatusUnsupportedMediaType, rawReq(t, srv, "POST", "/exports/e1/invoke", "x", "Content-Type: text/plain").status)

	srv.SetInvokeAnswer("e1", nil)
	out, err = c.Exports.Invoke(ctx, "e1", nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"data":[]}`, string(out), "the default again")

	_, err = c.Exports.Invoke(ctx, "missing", nil)
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
	assert.Panics(t, func() { srv.SetInvokeAnswer("e1", []byte("{")) })

	after, _ := srv.DocumentJSON("exports", "e1")
	assert.Equal(t, before, after)
	assert.Equal(t, []string{"e1"}, srv.IDs("exports"))
	assert.Empty(t, srv.IDs("jobs"))
}

// Lists of scripts leave out content, so the SDK marks them partial and
// refuses to PUT one back; a script read by id has it and updates.
func TestScriptListsLeaveOutContent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := srv.AddJSON("scripts", []byte(`{"_id":"s1","name":"hook","description":"d","content":"function hook() {}"}`))
	require.NoError(t, err)

	a := rawReq(t, srv, "GET", "/scripts", "")
	require.Equal(t, http.StatusOK, a.status)
	list := decodeArray(t, a.body)
	require.Len(t, list, 1)
	assert.NotContains(t, list[0], "content")
	assert.Equal(t, "d", list[0]["description"])
	assert.Equal(t, `[{"_id":"s1"}]`, string(rawReq(t, srv, "GET", "/scripts?include=content", "").body), "a projection cannot bring it back")

	listed, err := c.Scripts.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	assert.True(t, listed[0].Partial())
	assert.Empty(t, listed[0].Content)
	srv.ResetRequests()
	_, err = c.Scripts.Update(ctx, "s1", listed[0])
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	assert.Empty(t, srv.Requests(), "nothing sent")
	assert.Equal(t, "function hook() {}", document(t, srv, "scripts", "s1")["content"])

	got, err := c.Scripts.Get(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, "function hook() {}", got.Content)
	got.Description = "changed"
	updated, err := c.Scripts.Update(ctx, "s1", got)
	require.NoError(t, err)
	assert.Equal(t, "function hook() {}", updated.Content)
}

// GET /tokenInfo answers the token's user, the same for every server with
// that token, and scope "*".
func TestTokenInfo(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	info, err := srv.Client().TokenInfo(context.Background())
	require.NoError(t, err)
	assert.Regexp(t, hexID, info.UserID)
	assert.Equal(t, srv.UserID(), info.UserID)
	assert.Equal(t, "*", info.Scope)
	assert.Equal(t, srv.UserID(), newServer(t).UserID(), "same token, same user")
	assert.NotEqual(t, srv.UserID(), newServer(t, integratoriotest.WithToken("another-fake-token")).UserID())
	assert.Equal(t, http.StatusUnauthorized, rawReq(t, srv, "GET", "/tokenInfo", "", "Authorization: Bearer wrong").status)
}
