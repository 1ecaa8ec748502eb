package integratorio

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile starts a server with handler and a client for it.
func hostile(t *testing.T, h http.HandlerFunc, opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(testToken, append([]Option{WithBaseURL(srv.URL + "/v1"), WithRetryPolicy(fastRetries)}, opts...)...)
	require.NoError(t, err)
	return c
}

func TestBrokenSuccessBodiesAreTypedErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		ctype, body string
	}{
		"truncated JSON":      {"application/json", `{"_id":"abc","name":"x","install":[{"name":`},
		"array for an object": {"application/json", `[{"_id":"abc"}]`},
		"null":                {"application/json", `null`},
		"HTML":                {"text/html", `<!doctype html><html><body>Welcome to nginx</body></html>`},
		"message only":        {"application/json", `{"message":"Unauthorized"}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				_, _ = io.WriteString(w, tc.body)
			})
			in, err := c.Integrations.Get(context.Background(), "abc")
			assert.Nil(t, in)
			require.ErrorIs(t, err, ErrUnexpectedResponse)
			assert.NotContains(t, err.Error(), testToken)
		})
	}
}

func TestHugeErrorBodyIsReadOnlyUpToTheCap(t *testing.T) {
	t.Parallel()
	const total = 2 << 30 // 2 GiB, streamed
	var written atomic.Int64
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for written.Load() < total {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return // the client hung up
			}
		}
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.Integrations.Get(context.Background(), "abc")
	runtime.ReadMemStats(&after)

	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.Body, maxErrorBody)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "memory stays flat: far less than the body was allocated")
	assert.Less(t, written.Load(), int64(total), "the client stopped reading")
}

func TestStalledBodyEndsWithTheCallersDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"_id":"abc","name":"`)
		w.(http.Flusher).Flush()
		select { // stall mid-stream
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Integrations.Get(ctx, "abc")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "GET /integrations/abc")
}

func TestHostileRetryAfterValues(t *testing.T) {
	t.Parallel()
	fixed := func(v string) func() string { return func() string { return v } }
	cases := map[string]struct {
		header    func() string // the value, made when the answer is written
		wantCalls int32
		wantWait  time.Duration
	}{
		"a year": {fixed("31536000"), 1, 365 * 24 * time.Hour},
		// The date is made when answering, not when the table is built: a
		// parallel subtest may start long after.
		"a date":   {func() string { return time.Now().Add(48 * time.Hour).UTC().Format(http.TimeFormat) }, 1, 48 * time.Hour},
		"negative": {fixed("-10"), 2, 0},
		"garbage":  {fixed("tomorrow-ish"), 2, 0},
		"overflow": {fixed("999999999999999999999999999"), 1, maxRetryAfter},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.header())
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = io.WriteString(w, `{"_id":"abc"}`)
			})
			_, err := c.Integrations.Get(context.Background(), "abc")
			assert.Equal(t, tc.wantCalls, calls.Load())
			if tc.wantCalls == 1 {
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.InDelta(t, float64(tc.wantWait), float64(apiErr.RetryAfter), float64(5*time.Second))
				assert.ErrorIs(t, err, ErrRateLimited)
			} else {
				require.NoError(t, err, "an unusable Retry-After falls back to the backoff")
			}
		})
	}
}

func TestHostileLinkHeaders(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"malformed":          `<http://[::1/v1/integrations>; rel="next"`,
		"unterminated":       `</v1/integrations?page=2; rel="next"`,
		"not a link":         `page=2; rel=next`,
		"same page forever":  `</v1/integrations>; rel="next"`,
		"another host":       `<https://collector.example.test/v1/integrations?page=2>; rel="next"`,
		"another port":       `<http://127.0.0.1:1/v1/integrations?page=2>; rel="next"`,
		"scheme-relative":    `<//collector.example.test/steal>; rel="next"`,
		"javascript scheme":  `<javascript:alert(1)>; rel="next"`,
		"encoded other host": `<http:%2F%2Fcollector.example.test/x>; rel="next"`,
	}
	for name, link := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Link", link)
				_, _ = io.WriteString(w, `[{"_id":"a"}]`)
			})
			list, err := c.Integrations.List(context.Background(), nil)
			assert.Nil(t, list)
			require.ErrorIs(t, err, ErrUnexpectedResponse)
			assert.NotContains(t, err.Error(), testToken)
			assert.LessOrEqual(t, calls.Load(), int32(2))
		})
	}
}

func TestBurstOf429WaitsWithinThePolicyBound(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	policy := RetryPolicy{MaxRetries: 4, MinWait: time.Millisecond, MaxWait: 50 * time.Millisecond}
	var calls atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 3 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, `{"_id":"abc"}`)
	}, WithRetryPolicy(policy), WithLogger(logger))
	_, err := c.Integrations.Get(context.Background(), "abc")
	require.NoError(t, err)
	assert.Equal(t, int32(4), calls.Load())
	// Every wait taken is logged; their sum is bounded by the policy.
	var total time.Duration
	retries := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if _, w, ok := strings.Cut(line, " wait="); ok && strings.Contains(line, "retrying") {
			d, err := time.ParseDuration(w)
			require.NoError(t, err, line)
			total += d
			retries++
		}
	}
	assert.Equal(t, 3, retries)
	assert.LessOrEqual(t, total, time.Duration(policy.MaxRetries)*policy.MaxWait)
	assert.Zero(t, total, "Retry-After: 0 means no wait")
}

func TestTransportErrorsAreWrappedWithoutTheToken(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testToken, WithBaseURL("http://127.0.0.1:1/v1"), WithRetryPolicy(RetryPolicy{}))
	require.NoError(t, err)
	_, err = c.Integrations.Get(context.Background(), "abc")
	require.Error(t, err)
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr))
	assert.Contains(t, err.Error(), "integratorio: GET /integrations/abc")
	assert.NotContains(t, err.Error(), testToken)
}
