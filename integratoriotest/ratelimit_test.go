package integratoriotest_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// fakeClock is a clock for WithClock that moves only when told to.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// rateLimited asserts that a is the limit's 429 with Retry-After retryAfter.
func rateLimited(t *testing.T, a answer, retryAfter string) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, a.status, "body: %s", a.body)
	assert.Equal(t, retryAfter, a.header.Get("Retry-After"))
	env := a.envelope(t)
	assert.Equal(t, "rate_limited", env["code"])
	assert.Contains(t, env["message"], "Retry after "+retryAfter+" second")
}

// A burst beyond the bucket is answered 429 with Retry-After in whole
// seconds and the rate_limited envelope; refused requests take no room;
// the bucket drains with the server's clock.
func TestRateLimitBucket(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newServer(t, integratoriotest.WithClock(clock.Now), integratoriotest.WithRateLimit(2, 3)) // 2 a second, a burst of 3

	for range 3 {
		assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/integrations", "").status)
	}
	// One request over the bucket; it drains one in 0.5 s: rounded up, 1.
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "1")
	rateLimited(t, rawReq(t, srv, "POST", "/integrations", `{"name":"n"}`), "1")
	assert.Equal(t, 2, srv.RateLimited())
	assert.Empty(t, srv.IntegrationIDs(), "a refused request does not run")

	clock.Advance(400 * time.Millisecond) // 0.8 drained: still no room
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "1")
	clock.Advance(100 * time.Millisecond) // one drained, though three were refused
	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/integrations", "").status)
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "1")

	clock.Advance(time.Hour) // the bucket empties, and holds no more than burst
	for range 3 {
		assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/integrations", "").status)
	}
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "1")
	assert.Equal(t, 5, srv.RateLimited())

	var got []int
	for _, r := range srv.Requests() {
		got = append(got, r.Status)
	}
	assert.Equal(t, []int{204, 204, 204, 429, 429, 429, 204, 429, 204, 204, 204, 429}, got, "the log lists refused requests")
}

// Retry-After is how long until the bucket has room, rounded up to whole
// seconds.
func TestRateLimitRetryAfterRoundsUp(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newServer(t, integratoriotest.WithClock(clock.Now), integratoriotest.WithRateLimit(0.4, 2)) // one drains in 2.5 s
	for range 2 {
		assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/integrations", "").status)
	}
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "3")
	clock.Advance(500 * time.Millisecond)
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "2")
	clock.Advance(1999 * time.Millisecond)
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "1")
	clock.Advance(time.Millisecond)
	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/integrations", "").status)
}

// Each Authorization value has its own bucket: a request with another
// token, or none, is counted apart, and answered as it would be without
// the limit.
func TestRateLimitPerToken(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newServer(t, integratoriotest.WithClock(clock.Now), integratoriotest.WithRateLimit(1, 2))
	for range 2 {
		assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/integrations", "").status)
	}
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "1")

	for _, auth := range []string{"Authorization: Bearer another-token", "Authorization:"} {
		for range 2 {
			assert.Equal(t, http.StatusUnauthorized, rawReq(t, srv, "GET", "/integrations", "", auth).status, auth)
		}
		rateLimited(t, rawReq(t, srv, "GET", "/integrations", "", auth), "1")
	}
	assert.Equal(t, 3, srv.RateLimited())

	clock.Advance(time.Second)
	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/integrations", "").status)
	assert.Equal(t, http.StatusUnauthorized, rawReq(t, srv, "GET", "/integrations", "", "Authorization:").status)
}

// A request answered by a status fault never reaches the bucket; a dropped
// one does, and unknown routes count too.
func TestRateLimitAndFaults(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newServer(t, integratoriotest.WithClock(clock.Now), integratoriotest.WithRateLimit(1, 2))
	srv.FailNext(2, http.StatusServiceUnavailable)
	srv.RateLimitNext(1, 0)
	for range 2 {
		assert.Equal(t, http.StatusServiceUnavailable, rawReq(t, srv, "GET", "/integrations", "").status)
	}
	a := rawReq(t, srv, "GET", "/integrations", "")
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Empty(t, a.header.Get("Retry-After"), "the fault's 429, not the limit's")
	assert.Zero(t, srv.RateLimited(), "faults are not counted")

	assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "GET", "/nowhere", "").status)
	srv.DropNext(1)
	req, err := http.NewRequest("GET", srv.URL+"/integrations", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := srv.HTTPClient().Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err, "dropped")
	rateLimited(t, rawReq(t, srv, "GET", "/integrations", ""), "1")
	assert.Equal(t, 1, srv.RateLimited())
}

// Concurrent requests at one instant: exactly burst get through.
func TestRateLimitConcurrent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newServer(t, integratoriotest.WithClock(clock.Now), integratoriotest.WithRateLimit(1, 10))
	var wg sync.WaitGroup
	var ok, limited atomic.Int64
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest("GET", srv.URL+"/integrations", nil)
			if !assert.NoError(t, err) {
				return
			}
			req.Header.Set("Authorization", "Bearer "+srv.Token)
			resp, err := srv.HTTPClient().Do(req)
			if !assert.NoError(t, err) {
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusNoContent:
				ok.Add(1)
			case http.StatusTooManyRequests:
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(10), ok.Load())
	assert.Equal(t, int64(40), limited.Load())
	assert.Equal(t, 40, srv.RateLimited())
}

// Without WithRateLimit, or with values that mean nothing, nothing is
// limited.
func TestRateLimitOff(t *testing.T) {
	t.Parallel()
	for _, opt := range []integratoriotest.Option{nil, integratoriotest.WithRateLimit(10, 0), integratoriotest.WithRateLimit(0, 5), integratoriotest.WithRateLimit(-1, 5)} {
		srv := newServer(t, integratoriotest.WithClock(newFakeClock().Now), opt)
		for range 20 {
			require.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/integrations", "").status)
		}
		assert.Zero(t, srv.RateLimited())
	}
}

// The SDK's client waits out the limit's 429s: 20 requests against a
// bucket of 5 all succeed. The clock moves in whole seconds, so that the
// requests of one second surely meet a bucket that has not drained, and a
// wait of Retry-After finds it empty.
func TestRateLimitSDKRetriesTransparently(t *testing.T) {
	t.Parallel()
	start := time.Now()
	steps := func() time.Time { return start.Add(time.Since(start).Truncate(time.Second)) }
	srv := newServer(t, integratoriotest.WithClock(steps), integratoriotest.WithRateLimit(1000, 5))
	id := seed(t, srv, `{"name":"n"}`)
	c := srv.Client()
	for i := range 20 {
		in, err := c.Integrations.Get(context.Background(), id)
		require.NoError(t, err, "request %d", i)
		assert.Equal(t, "n", in.Name)
	}
	assert.Positive(t, srv.RateLimited(), "the limit answered 429s")
	var ok, limited int
	for _, r := range srv.Requests() {
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
		}
	}
	assert.Equal(t, 20, ok)
	assert.Equal(t, srv.RateLimited(), limited)
}

// With latency, the answer arrives, no sooner than the latency.
func TestLatencyDelaysAnswers(t *testing.T) {
	t.Parallel()
	const d = 20 * time.Millisecond
	srv := newServer(t, integratoriotest.WithLatency(d))
	id := seed(t, srv, `{"name":"n"}`)
	began := time.Now()
	in, err := srv.Client().Integrations.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "n", in.Name)
	assert.GreaterOrEqual(t, time.Since(began), d)
	assert.Equal(t, []string{"GET /integrations/" + id + " 200"}, statuses(srv))
}

// A client that gives up on a slow answer gets an error, and the server
// closes without waiting out the latency.
func TestLatencyCancelledRequest(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer(integratoriotest.WithLatency(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := srv.Client().Integrations.List(ctx, nil)
		errc <- err
	}()
	waitForRequests(t, srv, 1) // the server holds the answer
	cancel()
	err := <-errc
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	closeOrFail(t, srv)
}

// Close sends the answers held back by the latency at once.
func TestLatencyClose(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer(integratoriotest.WithLatency(time.Hour))
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"n"}`))
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		_, err := srv.Client().Integrations.Get(context.Background(), id)
		errc <- err
	}()
	waitForRequests(t, srv, 1)
	closeOrFail(t, srv)
	assert.NoError(t, <-errc, "the held answer was sent")
	srv.Close() // a second Close is harmless
}

// waitForRequests waits until srv has logged n requests.
func waitForRequests(t *testing.T, srv *integratoriotest.Server, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(srv.Requests()) >= n }, 30*time.Second, time.Millisecond,
		"the server got %s requests", strconv.Itoa(len(srv.Requests())))
}

// closeOrFail closes srv, failing (rather than hanging the test binary)
// if Close does not return. The bound is no timing assertion: Close
// returns at once or never.
func closeOrFail(t *testing.T, srv *integratoriotest.Server) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Close hangs")
	}
}
