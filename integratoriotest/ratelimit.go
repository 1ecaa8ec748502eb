package integratoriotest

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// WithRateLimit makes the server limit requests as the real service does:
// a leaky bucket of burst requests, draining at perSecond, for each
// Authorization header value (each token, that is; the real service keeps
// one per account). A request that would overflow its bucket is answered
// 429 at once, without running, with the error code rate_limited and
// Retry-After set to the whole seconds, rounded up and at least 1, until
// the bucket has room for it again. The real service's documented bucket
// is WithRateLimit(300, 1000). The arguments come in the order of the
// client's integratorio.WithRateLimit(perSecond, burst).
//
// A request is counted when it arrives, before its token is checked and
// before it is routed, so unauthorized requests and requests for unknown
// routes count too, each against the bucket of the Authorization value it
// carries (a request without one against the bucket of ""); only a
// request whose body cannot be read (answered 400 or 413) is not counted.
// The faults of FailNext and RateLimitNext stand for a proxy in front of
// the API: a request they answer never reaches the bucket. A request the
// limit refuses takes no room in the bucket, so a client that waits out
// Retry-After is let through; RateLimited counts those refusals. The
// bucket drains with the server's clock (WithClock), so a test can refill
// it without sleeping.
//
// burst below 1 or perSecond not positive leaves the server unlimited, the
// default.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(o *options) {
		if burst < 1 || !(perSecond > 0) || math.IsInf(perSecond, 0) {
			o.rateBurst, o.ratePerSecond = 0, 0
			return
		}
		o.rateBurst, o.ratePerSecond = burst, perSecond
	}
}

// WithLatency makes the server hold every answer of the API for d before
// sending it, like a slow network: the request takes effect at once (and
// is listed by Requests), its answer reaches the client d later. A client
// that gives up meanwhile gets no answer, and the wait ends with it; Close
// ends every wait and sends the answers at once. The wait is real time,
// not the clock of WithClock. The control API of WithControlAPI answers
// without delay. d of 0 or less adds no delay, the default.
func WithLatency(d time.Duration) Option {
	return func(o *options) { o.latency = max(d, 0) }
}

// RateLimited returns how many requests the limit of WithRateLimit has
// answered 429 so far. The faults of RateLimitNext are not counted.
func (s *Server) RateLimited() int {
	return int(s.rateLimited.Load())
}

// admit counts r against its bucket. It reports false, having answered w
// with 429, when the bucket is full.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	if s.limiter == nil {
		return true
	}
	wait, ok := s.limiter.take(r.Header.Get("Authorization"), s.opts.clock())
	if ok {
		return true
	}
	s.rateLimited.Add(1)
	secs := retryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	writeError(w, http.StatusTooManyRequests, "rate_limited", "",
		fmt.Sprintf("Rate limit exceeded: at most %d requests at once, refilled at %v a second. Retry after %d %s.",
			s.limiter.burst, s.limiter.perSecond, secs, unit))
	return false
}

// retryAfterSeconds is wait in whole seconds, rounded up, at least 1.
func retryAfterSeconds(wait time.Duration) int64 {
	wait = min(wait, 100*365*24*time.Hour)
	return max(1, int64((wait+time.Second-1)/time.Second))
}

// delay holds an answer for the latency of WithLatency, until the request's
// context ends or the server closes.
func (s *Server) delay(ctx context.Context) {
	if s.opts.latency <= 0 {
		return
	}
	t := time.NewTimer(s.opts.latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.closing:
	}
}

// limiter holds the leaky buckets of WithRateLimit, one per key. It has its
// own lock and never waits.
type limiter struct {
	burst     int
	perSecond float64

	mu      sync.Mutex
	buckets map[string]*bucket
	pruneAt int // prune when this many buckets are kept
}

// bucket is how full one key's bucket was at last.
type bucket struct {
	level float64 // requests in the bucket, draining at perSecond
	last  time.Time
}

// pruneAbove is how many buckets the limiter keeps before it forgets the
// ones that have drained (an empty bucket is the same as none), so that a
// long-running server flooded with made-up tokens stays bounded. After a
// prune the next one waits until the buckets left have doubled, so that
// pruning costs a constant time per request however many are kept.
const pruneAbove = 1024

func newLimiter(burst int, perSecond float64) *limiter {
	return &limiter{burst: burst, perSecond: perSecond, buckets: map[string]*bucket{}, pruneAt: pruneAbove}
}

// take puts a request into key's bucket at now. When the bucket has no room
// it reports false and how long until it has; the request then takes no
// room.
func (l *limiter) take(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.pruneAt {
			l.prune(now)
			l.pruneAt = max(pruneAbove, 2*len(l.buckets))
		}
		b = &bucket{last: now}
		l.buckets[key] = b
	}
	l.drain(b, now)
	if b.level+1 > float64(l.burst) {
		over := b.level + 1 - float64(l.burst)
		return time.Duration(math.Ceil(over / l.perSecond * float64(time.Second))), false
	}
	b.level++
	return 0, true
}

// drain lets b leak up to now. A clock that goes back drains nothing.
func (l *limiter) drain(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.level = max(0, b.level-elapsed.Seconds()*l.perSecond)
		b.last = now
	}
}

// prune forgets the buckets that have drained by now. The caller holds l.mu.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		l.drain(b, now)
		if b.level == 0 {
			delete(l.buckets, k)
		}
	}
}
