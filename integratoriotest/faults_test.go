package integratoriotest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// A Create whose connection drops after the server stored the integration
// is not retried: exactly one integration exists, and the error says the
// outcome is unknown.
func TestFaultDroppedCreateIsNotRetried(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.DropNext(1, integratoriotest.OnMethod("POST"), integratoriotest.OnPath("/integrations"))

	_, err := srv.Client().Integrations.Create(context.Background(), &integratorio.Integration{Name: "once"})
	require.Error(t, err)
	assert.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	var apiErr *integratorio.APIError
	assert.False(t, errors.As(err, &apiErr), "a dropped connection is no API answer")

	ids := srv.IntegrationIDs()
	require.Len(t, ids, 1, "the handler ran exactly once")
	assert.Equal(t, "once", stored(t, srv, ids[0])["name"])
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.True(t, reqs[0].Dropped)
	assert.Equal(t, http.StatusCreated, reqs[0].Status)
	assert.Zero(t, srv.PendingFaults())
}

// A dropped GET is retried by the SDK and succeeds.
func TestFaultDroppedGetIsRetried(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n"}`)
	srv.DropNext(1, integratoriotest.OnMethod("GET"))

	in, err := srv.Client().Integrations.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "n", in.Name)
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.True(t, reqs[0].Dropped)
	assert.False(t, reqs[1].Dropped)
}

// A Get through two 503s succeeds on the third request.
func TestFaultGetThroughTwo503s(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n"}`)
	srv.FailNext(2, http.StatusServiceUnavailable, integratoriotest.OnMethod("GET"))

	in, err := srv.Client().Integrations.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "n", in.Name)
	assert.Equal(t, []string{
		"GET /integrations/" + id + " 503",
		"GET /integrations/" + id + " 503",
		"GET /integrations/" + id + " 200",
	}, statuses(srv))
}

// A 429 with Retry-After: 1 is waited out and the request then succeeds.
func TestFaultRateLimitIsWaitedOut(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n"}`)
	srv.RateLimitNext(1, time.Second)

	in, err := srv.Client().Integrations.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "n", in.Name)
	assert.Equal(t, []string{
		"GET /integrations/" + id + " 429",
		"GET /integrations/" + id + " 200",
	}, statuses(srv))
}

// A 429 is retried even for a Create, which is safe: the server did not
// run it.
func TestFaultRateLimitedCreateIsRetried(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.RateLimitNext(1, 0) // no Retry-After: the SDK backs off 1 ms
	_, err := srv.Client().Integrations.Create(context.Background(), &integratorio.Integration{Name: "n"})
	require.NoError(t, err)
	assert.Equal(t, []string{"POST /integrations 429", "POST /integrations 201"}, statuses(srv))
	assert.Len(t, srv.IntegrationIDs(), 1)
}

// A Retry-After longer than the client will wait comes back as an error
// carrying the wait, after one request.
func TestFaultLongRetryAfterIsReturned(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.RateLimitNext(1, time.Minute)
	_, err := srv.Client().Integrations.List(context.Background(), nil)
	require.ErrorIs(t, err, integratorio.ErrRateLimited)
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, time.Minute, apiErr.RetryAfter)
	assert.Equal(t, "rate_limited", apiErr.Code())
	assert.Len(t, srv.Requests(), 1)
}

// A 503 on a Create is not retried (the server may have acted) and
// nothing is stored, since a status fault does not run the handler.
func TestFaultServerErrorOnCreate(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.FailNext(1, http.StatusServiceUnavailable)
	_, err := srv.Client().Integrations.Create(context.Background(), &integratorio.Integration{Name: "n"})
	require.ErrorIs(t, err, integratorio.ErrServerError)
	assert.Equal(t, []string{"POST /integrations 503"}, statuses(srv))
	assert.Empty(t, srv.IntegrationIDs())
}

// The wire form of each fault: status, envelope, Retry-After.
func TestFaultWire(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.RateLimitNext(1, 1500*time.Millisecond)
	a := rawReq(t, srv, "GET", "/integrations", "")
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "2", a.header.Get("Retry-After"), "rounded up to whole seconds")
	assert.Equal(t, "rate_limited", a.envelope(t)["code"])

	srv.FailNext(1, http.StatusBadGateway)
	a = rawReq(t, srv, "GET", "/integrations", "", "Authorization:")
	assert.Equal(t, http.StatusBadGateway, a.status, "faults apply before the token check")
	assert.Equal(t, "server_error", a.envelope(t)["code"])
	assert.Empty(t, a.header.Get("Retry-After"))

	srv.FailNext(1, http.StatusForbidden)
	a = rawReq(t, srv, "GET", "/integrations", "")
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, "injected_fault", a.envelope(t)["code"])

	srv.DropNext(1)
	req, err := http.NewRequest("POST", srv.URL+"/integrations", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := srv.HTTPClient().Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the client sees no answer")

	a = rawReq(t, srv, "GET", "/integrations", "")
	assert.Equal(t, http.StatusNoContent, a.status, "faults are used up")
}

// Faults apply only to matching requests, in the order they were added,
// and can be cleared.
func TestFaultMatching(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n"}`)
	c := srv.Client(integratorio.WithRetryPolicy(integratorio.RetryPolicy{}))
	ctx := context.Background()

	srv.FailNext(1, http.StatusInternalServerError, integratoriotest.OnMethod("get"), integratoriotest.OnPath("/integrations/*"))
	srv.FailNext(1, http.StatusBadGateway, integratoriotest.OnPath("/integrations/*/clone"))
	assert.Equal(t, 2, srv.PendingFaults())

	_, err := c.Integrations.List(ctx, nil)
	require.NoError(t, err, "/integrations does not match /integrations/*")
	require.NoError(t, c.Integrations.Patch(ctx, id, integratorio.PatchOp{Op: "add", Path: "/tag", Value: "x"}), "PATCH does not match GET")
	_, err = c.Integrations.Get(ctx, id)
	assert.ErrorIs(t, err, integratorio.ErrServerError)
	_, err = c.Integrations.Get(ctx, id)
	require.NoError(t, err, "the first fault is used up")
	_, err = c.Integrations.Clone(ctx, id, nil)
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadGateway, apiErr.StatusCode)
	assert.Zero(t, srv.PendingFaults())

	srv.FailNext(3, http.StatusInternalServerError)
	srv.DropNext(2)
	assert.Equal(t, 5, srv.PendingFaults())
	srv.ClearFaults()
	assert.Zero(t, srv.PendingFaults())
	_, err = c.Integrations.Get(ctx, id)
	require.NoError(t, err)

	srv.FailNext(0, http.StatusInternalServerError)
	srv.FailNext(1, 0)
	assert.Zero(t, srv.PendingFaults(), "zero counts and statuses add nothing")
}

func TestOnPathTakesTheAPIPrefixOff(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"x"}`))
	require.NoError(t, err)
	srv.FailNext(1, http.StatusTeapot, integratoriotest.OnPath(integratoriotest.APIPrefix+"/integrations/*"))
	srv.FailNext(1, http.StatusConflict, integratoriotest.OnPath("/v1x/integrations/*")) // not the prefix: never matches
	_, err = srv.Client(integratorio.WithRetryPolicy(integratorio.RetryPolicy{})).Integrations.Get(context.Background(), id)
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusTeapot, apiErr.StatusCode)
	require.Equal(t, 1, srv.PendingFaults())
}
