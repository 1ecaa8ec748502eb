package integratorio

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithRateLimitValidatesItsInput(t *testing.T) {
	t.Parallel()
	for _, bad := range [][2]float64{{-1, 10}, {10, 0}, {0, 5}, {10, -1}} {
		_, err := NewClient(testToken, WithRateLimit(bad[0], int(bad[1])))
		assert.ErrorIs(t, err, ErrInvalidArgument, bad)
	}
	for _, ok := range [][2]float64{{0, 0}, {300, 1000}, {0.5, 1}} {
		_, err := NewClient(testToken, WithRateLimit(ok[0], int(ok[1])))
		assert.NoError(t, err, ok)
	}
}

// The client paces below the bucket it is given: a margin of the burst is
// kept back, and the rate is a little lower.
func TestThePacerKeepsAMarginBelowTheServersBucket(t *testing.T) {
	t.Parallel()
	p := newPacer(defaultRatePerSecond, defaultRateBurst)
	assert.Equal(t, 900, p.lim.Burst())
	assert.Less(t, float64(p.lim.Limit()), float64(defaultRatePerSecond))
	assert.Equal(t, 1, newPacer(1, 1).lim.Burst(), "a burst of one stays one")
	assert.Nil(t, newPacer(0, 0).lim)
	c, _ := newMockClient(t)
	assert.NotNil(t, c.pacer.lim, "pacing is on by default")
}

// Every attempt, retries included, takes a token: with the bucket empty a
// request whose deadline comes before the next token ends at once, with
// nothing sent.
func TestEveryAttemptWaitsForAToken(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithRateLimit(0.01, 3)) // burst 2, then one token in 100 s
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/a",
		jsonResponder(503, []byte(`{}`)).Then(jsonResponder(200, []byte(`{"_id":"a"}`))))
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations", jsonResponder(201, []byte(`{"_id":"b"}`)))
	_, err := c.Integrations.Get(context.Background(), "a") // two attempts: both tokens
	require.NoError(t, err)
	assert.Equal(t, 2, mt.GetTotalCallCount())

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = c.Integrations.Create(ctx, &Integration{Name: "x"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrUnknownOutcome, "a create that waited for a token was never sent")
	assert.Equal(t, 2, mt.GetTotalCallCount(), "nothing more was sent")
	assert.NotContains(t, err.Error(), testToken)

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	_, err = c.Integrations.Get(cctx, "a")
	require.ErrorIs(t, err, context.Canceled)
}

// Pacing off sends as fast as asked.
func TestPacingCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithRateLimit(0, 0))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/a", jsonResponder(200, []byte(`{"_id":"a"}`)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 2000 {
		_, err := c.Integrations.Get(ctx, "a")
		require.NoError(t, err)
	}
	assert.Equal(t, 2000, mt.GetTotalCallCount())
}

// A 429 whose Retry-After the client honours holds back every request of
// the client, not only the one that got it.
func TestAHonoured429PausesTheWholeClient(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: 0, MaxWait: time.Hour}))
	limited := httpmock.NewStringResponse(429, `{"errors":[{"code":"rate_limited"}]}`)
	limited.Header.Set("Retry-After", "600")
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/a", httpmock.ResponderFromResponse(limited))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/b", jsonResponder(200, []byte(`{"_id":"b"}`)))
	_, err := c.Integrations.Get(context.Background(), "a")
	require.ErrorIs(t, err, ErrRateLimited)

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := c.Integrations.Get(ctx, "b")
			assert.ErrorIs(t, err, context.DeadlineExceeded, "paused for ten minutes")
		}()
	}
	wg.Wait()
	assert.Zero(t, mt.GetCallCountInfo()["GET "+testRoot+"/integrations/b"], "no other request went out during the pause")

	// A Retry-After over MaxWait is not honoured, and pauses nothing.
	c2, mt2 := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: 0, MaxWait: time.Second}))
	mt2.RegisterResponder(http.MethodGet, testRoot+"/integrations/a", httpmock.ResponderFromResponse(limited))
	mt2.RegisterResponder(http.MethodGet, testRoot+"/integrations/b", jsonResponder(200, []byte(`{"_id":"b"}`)))
	_, err = c2.Integrations.Get(context.Background(), "a")
	require.ErrorIs(t, err, ErrRateLimited)
	_, err = c2.Integrations.Get(context.Background(), "b")
	require.NoError(t, err)
}

func TestThePauseOnlyGrows(t *testing.T) {
	t.Parallel()
	p := newPacer(0, 0)
	p.pause(time.Hour)
	long := p.pausedUntil.Load()
	p.pause(time.Second)
	assert.Equal(t, long, p.pausedUntil.Load(), "a shorter pause does not cut a longer one")
}

func TestWritesThePacerHeldBackAreNotUnknownOutcomes(t *testing.T) {
	c, mt := regressionClient(t, WithRateLimit(1, 1))
	mt.RegisterResponder("GET", "=~.*", httpmock.NewStringResponder(200, `{"_id":"x"}`))
	_, _ = c.Integrations.Get(context.Background(), "x") // takes the only token
	writes := map[string]func(ctx context.Context) error{
		"Create": func(ctx context.Context) error { _, err := c.Flows.Create(ctx, &Flow{Name: "n"}); return err },
		"Run":    func(ctx context.Context) error { _, err := c.Flows.Run(ctx, "f", nil); return err },
		"Retry":  func(ctx context.Context) error { _, err := c.Flows.RetryErrors(ctx, "f", "s", "k"); return err },
		"Invoke": func(ctx context.Context) error { _, err := c.Exports.Invoke(ctx, "e", nil); return err },
		"Patch": func(ctx context.Context) error {
			return c.Flows.Patch(ctx, "f", PatchOp{Op: "replace", Path: "/name", Value: "x"})
		},
		"Do":    func(ctx context.Context) error { return c.Do(ctx, "POST", "/x", nil, nil) },
		"Clone": func(ctx context.Context) error { _, err := c.Integrations.Clone(ctx, "i", nil); return err },
	}
	for name, w := range writes {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := w(ctx)
		cancel()
		if err == nil || errors.Is(err, ErrUnknownOutcome) {
			t.Errorf("%s refused by the pacer: %v", name, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 1 {
		t.Errorf("%d requests", n)
	}
}
