package integratorio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// The account's documented bucket: 1000 requests, refilled at 300 a
// second. A client paces itself below it by default.
const (
	defaultRatePerSecond = 300
	defaultRateBurst     = 1000
)

// pacer spaces a client's attempts: one token bucket shared by all its
// goroutines, and a pause that a honoured 429 imposes on all of them.
type pacer struct {
	lim         *rate.Limiter // nil: no pacing
	pausedUntil atomic.Int64  // unix nanoseconds; 0: not paused
}

// newPacer paces below a server bucket of burst requests refilled at
// perSecond. The server counts a request when it arrives, so requests
// that left evenly can arrive bunched: the client keeps 10% of the burst
// (at least one request) and 3% of the rate in reserve.
func newPacer(perSecond float64, burst int) *pacer {
	if perSecond == 0 {
		return &pacer{}
	}
	b := max(1, burst-max(1, burst/10))
	return &pacer{lim: rate.NewLimiter(rate.Limit(perSecond*0.97), b)}
}

// WithRateLimit paces the client for an account whose bucket holds burst
// requests and refills at perSecond: every attempt, retries included,
// waits for a token from one bucket shared by every goroutine using the
// client, set a little below those numbers so that the server never has
// to answer this client 429. The default is the documented bucket (300 a
// second, burst 1000); WithRateLimit(0, 0) turns pacing off, for a token
// shared with other processes that pace themselves, say. A wait for a
// token ends with the caller's context.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) error {
		switch {
		case perSecond == 0 && burst == 0:
		case math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond <= 0:
			return invalidArgf("WithRateLimit: perSecond %v must be positive (or 0 with burst 0 to turn pacing off)", perSecond)
		case burst < 1:
			return invalidArgf("WithRateLimit: burst %d must be at least 1", burst)
		}
		c.ratePerSecond, c.rateBurst = perSecond, burst
		return nil
	}
}

// errNotSent wraps a failure that ended an attempt before it was handed
// to the transport: the server cannot have seen it.
type errNotSent struct{ err error }

func (e *errNotSent) Error() string { return e.err.Error() }
func (e *errNotSent) Unwrap() error { return e.err }

// wait blocks until the client may send: past any pause, and with a token.
func (p *pacer) wait(ctx context.Context) error {
	for {
		until := p.pausedUntil.Load()
		d := time.Until(time.Unix(0, until))
		if until == 0 || d <= 0 {
			break
		}
		if deadline, ok := ctx.Deadline(); ok && time.Now().Add(d).After(deadline) {
			return fmt.Errorf("%w: the client is paused by a 429 for %s more", context.DeadlineExceeded, d.Round(time.Millisecond))
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if p.lim == nil {
		return nil
	}
	if err := p.lim.Wait(ctx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		// The wait would outlast the deadline: say so as the deadline.
		return fmt.Errorf("%w: waiting for the client's rate limit", context.DeadlineExceeded)
	}
	return nil
}

// pause holds every request of the client back for d, unless a longer
// pause is already in force.
func (p *pacer) pause(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := p.pausedUntil.Load()
		if cur >= until || p.pausedUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// pacedTransport makes every attempt wait for the pacer before it reaches
// the transport.
type pacedTransport struct {
	next  http.RoundTripper
	pacer *pacer
}

func (t pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.pacer.wait(req.Context()); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, &errNotSent{err}
	}
	return t.next.RoundTrip(req)
}

// notSent reports whether err ended an attempt before it was sent.
func notSent(err error) bool {
	var ns *errNotSent
	return errors.As(err, &ns)
}
