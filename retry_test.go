package integratorio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sequence answers with the statuses in order, then 200 with body.
func sequence(body string, statuses ...int) httpmock.Responder {
	var n atomic.Int32
	return func(r *http.Request) (*http.Response, error) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == 0 {
				return nil, errors.New("connection reset by peer")
			}
			return httpmock.NewStringResponse(statuses[i], `{"errors":[{"code":"c`+strconv.Itoa(i)+`","message":"m"}]}`), nil
		}
		status := 200
		if r.Method == http.MethodPost {
			status = 201
		}
		if body == "" {
			return httpmock.NewStringResponse(http.StatusNoContent, ""), nil
		}
		return httpmock.NewStringResponse(status, body), nil
	}
}

func TestIdempotentMethodsRetryTransientFailures(t *testing.T) {
	t.Parallel()
	const doc = `{"_id":"abc"}`
	for _, status := range []int{0, 429, 500, 502, 503, 504} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", sequence(doc, status, status))
			mt.RegisterResponder(http.MethodPut, testRoot+"/integrations/abc", sequence(doc, status))
			mt.RegisterResponder(http.MethodDelete, testRoot+"/integrations/abc", sequence("", status))

			_, err := c.Integrations.Get(ctx, "abc")
			require.NoError(t, err)
			_, err = c.Integrations.Update(ctx, "abc", &Integration{ID: "abc"})
			require.NoError(t, err)
			require.NoError(t, c.Integrations.Delete(ctx, "abc"))

			info := mt.GetCallCountInfo()
			assert.Equal(t, 3, info["GET "+testRoot+"/integrations/abc"])
			assert.Equal(t, 2, info["PUT "+testRoot+"/integrations/abc"])
			assert.Equal(t, 2, info["DELETE "+testRoot+"/integrations/abc"])
		})
	}
}

func TestNonRetryableStatusesAreReturnedAtOnce(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 403, 404, 409, 415, 422, 501} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", sequence(`{"_id":"abc"}`, status))
			_, err := c.Integrations.Get(context.Background(), "abc")
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, status, apiErr.StatusCode)
			assert.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}

func TestWritesThatMayHaveActedAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{0, 500, 502, 503, 504} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodPost, testRoot+"/integrations", sequence(`{"_id":"n"}`, status))
			mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/abc/clone", sequence(`{"_id":"n"}`, status))
			mt.RegisterResponder(http.MethodPatch, testRoot+"/integrations/abc", sequence("", status))

			_, err := c.Integrations.Create(ctx, &Integration{Name: "x"})
			require.Error(t, err)
			_, cerr := c.Integrations.Clone(ctx, "abc", nil)
			require.Error(t, cerr)
			perr := c.Integrations.Patch(ctx, "abc", PatchOp{Op: "replace", Path: "/name", Value: "y"})
			require.Error(t, perr)
			for _, e := range []error{err, cerr, perr} {
				if status == 0 {
					// A mock transport proves nothing about whether the
					// request left, so the outcome is unknown.
					assert.ErrorIs(t, e, ErrUnknownOutcome)
				} else if status == http.StatusServiceUnavailable {
					// 503: the server says it did not take the request.
					assert.ErrorIs(t, e, ErrServerError)
					assert.NotErrorIs(t, e, ErrUnknownOutcome)
				} else {
					// 500, 502, 504: it may have been carried out first.
					assert.ErrorIs(t, e, ErrServerError)
					assert.ErrorIs(t, e, ErrUnknownOutcome)
					var apiErr *APIError
					assert.ErrorAs(t, e, &apiErr, "the answer is still at hand")
				}
			}
			info := mt.GetCallCountInfo()
			assert.Equal(t, 1, info["POST "+testRoot+"/integrations"])
			assert.Equal(t, 1, info["POST "+testRoot+"/integrations/abc/clone"])
			assert.Equal(t, 1, info["PATCH "+testRoot+"/integrations/abc"])
		})
	}
}

func TestWritesAreRetriedOn429(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations", sequence(`{"_id":"n"}`, 429, 429))
	mt.RegisterResponder(http.MethodPatch, testRoot+"/integrations/abc", sequence("", 429))
	in, err := c.Integrations.Create(ctx, &Integration{Name: "x"})
	require.NoError(t, err)
	assert.Equal(t, "n", in.ID)
	require.NoError(t, c.Integrations.Patch(ctx, "abc", PatchOp{Op: "remove", Path: "/tag"}))
	info := mt.GetCallCountInfo()
	assert.Equal(t, 3, info["POST "+testRoot+"/integrations"])
	assert.Equal(t, 2, info["PATCH "+testRoot+"/integrations/abc"])
}

// countingTransport counts round trips and passes them to the real
// transport, which reports trace events.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.n.Add(1)
	return ct.next.RoundTrip(r)
}

func TestCreateIsRetriedWhenTheConnectionFailedBeforeSending(t *testing.T) {
	t.Parallel()
	// Every dial is refused.
	tr, dials := refusingTransport(0)
	ct := &countingTransport{next: tr}
	c, err := NewClient(testToken, WithBaseURL("http://127.0.0.1:9/v1"), WithHTTPClient(&http.Client{Transport: ct}), WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	_, err = c.Integrations.Create(context.Background(), &Integration{Name: "x"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnknownOutcome, "a refused connection sent nothing")
	assert.Equal(t, int32(fastRetries.MaxRetries+1), ct.n.Load())
	assert.Equal(t, int32(fastRetries.MaxRetries+1), dials.Load())
	assert.NotContains(t, err.Error(), testToken)
}

func TestCreateIsNotRetriedWhenTheConnectionDropsAfterSending(t *testing.T) {
	t.Parallel()
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		// The server acts on the request, then the connection drops.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	_, err = c.Integrations.Create(context.Background(), &Integration{Name: "x"})
	require.ErrorIs(t, err, ErrUnknownOutcome)
	assert.Equal(t, int32(1), got.Load())
	assert.Contains(t, err.Error(), "POST /integrations")

	// The same drop on a GET is retried.
	got.Store(0)
	_, err = c.Integrations.Get(context.Background(), "abc")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnknownOutcome)
	assert.Equal(t, int32(fastRetries.MaxRetries+1), got.Load())
}

func TestRetryAfterBeyondMaxWaitIsReturnedAtOnce(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(429, `{"errors":[{"code":"rate_limited","message":"Too many requests"}]}`)
		r.Header.Set("Retry-After", "3600")
		return r, nil
	})
	_, err := c.Integrations.Get(context.Background(), "abc")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, ErrRateLimited)
	assert.Equal(t, time.Hour, apiErr.RetryAfter)
	assert.Equal(t, "rate_limited", apiErr.Code())
	assert.Equal(t, 1, mt.GetTotalCallCount())
	assert.Equal(t, "integratorio: GET /integrations/abc: 429 rate_limited: Too many requests (retry after 1h0m0s)", err.Error())
}

func TestRetryAfterWithinMaxWaitIsHonoured(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var n atomic.Int32
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", func(*http.Request) (*http.Response, error) {
		if n.Add(1) == 1 {
			r := httpmock.NewStringResponse(503, ``)
			r.Header.Set("Retry-After", "0")
			return r, nil
		}
		return httpmock.NewStringResponse(200, `{"_id":"abc"}`), nil
	})
	_, err := c.Integrations.Get(context.Background(), "abc")
	require.NoError(t, err)
	assert.Equal(t, int32(2), n.Load())

	// The wait taken is the one asked for, capped by MaxWait.
	resp := &http.Response{Header: http.Header{"Retry-After": {"2"}}}
	assert.Equal(t, 2*time.Second, c.backoff(time.Millisecond, time.Minute, 0, resp))
	assert.Equal(t, 5*time.Millisecond, c.backoff(time.Millisecond, 5*time.Millisecond, 0, resp))
	date := &http.Response{Header: http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}}
	assert.InDelta(t, float64(time.Hour), float64(c.backoff(0, 2*time.Hour, 0, date)), float64(2*time.Second))
}

func TestBackoffIsExponentialWithJitterWithinBounds(t *testing.T) {
	t.Parallel()
	c, _ := newMockClient(t)
	minW, maxW := 100*time.Millisecond, 3*time.Second
	for attempt := range 12 {
		upper := min(minW<<attempt, maxW)
		for range 50 {
			w := c.backoff(minW, maxW, attempt, nil)
			require.GreaterOrEqual(t, w, minW, "attempt %d", attempt)
			require.GreaterOrEqual(t, w, upper/2, "attempt %d", attempt)
			require.LessOrEqual(t, w, upper, "attempt %d", attempt)
		}
	}
	// Garbage or negative Retry-After falls back to the backoff.
	for _, v := range []string{"-5", "soon", "1.5", ""} {
		w := c.backoff(minW, maxW, 0, &http.Response{Header: http.Header{"Retry-After": {v}}})
		assert.LessOrEqual(t, w, minW, v)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"  7 ", 7 * time.Second, true},
		{"31536000", 365 * 24 * time.Hour, true},
		{"99999999999999999999999", maxRetryAfter, true},
		{"Thu, 01 Jan 2026 00:00:30 GMT", 30 * time.Second, true},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0, true},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"garbage", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestExhaustedRetriesReturnTheLastAPIError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", sequence(`{"_id":"abc"}`, 500, 502, 503, 504, 503))
	_, err := c.Integrations.Get(context.Background(), "abc")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 504, apiErr.StatusCode, "the answer to the last attempt")
	assert.Equal(t, "c3", apiErr.Code())
	assert.NotContains(t, err.Error(), "giving up")
	assert.Equal(t, fastRetries.MaxRetries+1, mt.GetTotalCallCount())
}

func TestNoRetriesWhenMaxRetriesIsZero(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{}))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", sequence(`{"_id":"abc"}`, 503))
	_, err := c.Integrations.Get(context.Background(), "abc")
	assert.ErrorIs(t, err, ErrServerError)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestCancelledContextEndsTheWaitAtOnce(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: 3, MinWait: time.Hour, MaxWait: time.Hour}))
	ctx, cancel := context.WithCancel(context.Background())
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", func(*http.Request) (*http.Response, error) {
		// The answer asks for a retry; the caller gives up during the
		// hour-long wait. If the wait ignored the context, this test
		// would hang until the test binary's timeout.
		time.AfterFunc(10*time.Millisecond, cancel)
		return httpmock.NewStringResponse(503, ``), nil
	})
	_, err := c.Integrations.Get(ctx, "abc")
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "GET /integrations/abc")
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestDeleteTreats404OnRetryAsSuccess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodDelete, testRoot+"/integrations/gone", sequence("", 0, 404))
	require.NoError(t, c.Integrations.Delete(ctx, "gone"), "the first attempt deleted it")
	assert.Equal(t, 2, mt.GetTotalCallCount())

	mt.RegisterResponder(http.MethodDelete, testRoot+"/integrations/never", sequence("", 404))
	assert.ErrorIs(t, c.Integrations.Delete(ctx, "never"), ErrNotFound, "a 404 on the first attempt is an error")
}

func TestDefaultRetryPolicyIsTheDocumentedOneAndTheDefault(t *testing.T) {
	t.Parallel()
	assert.Equal(t, RetryPolicy{MaxRetries: 4, MinWait: 500 * time.Millisecond, MaxWait: 30 * time.Second}, DefaultRetryPolicy())
	c, err := NewClient(testToken)
	require.NoError(t, err)
	assert.Equal(t, DefaultRetryPolicy(), c.policy, "a client built without WithRetryPolicy uses it")
}

func TestTheLoggedWaitIsTheWaitTaken(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// MinWait equal to MaxWait leaves jitter no room: every wait is 20 ms.
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: 3, MinWait: 20 * time.Millisecond, MaxWait: 20 * time.Millisecond}), WithLogger(logger))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", sequence(`{"_id":"abc"}`, 503, 503, 503))
	_, err := c.Integrations.Get(context.Background(), "abc")
	require.NoError(t, err)
	assert.Equal(t, 4, mt.GetTotalCallCount())
	var waits []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if _, w, ok := strings.Cut(line, " wait="); ok && strings.Contains(line, "retrying") {
			waits = append(waits, strings.Fields(w)[0])
		}
	}
	assert.Equal(t, []string{"20ms", "20ms", "20ms"}, waits)
}
