package integratorio

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy says how often and how long the client retries.
//
// Reads (GET), PUT and DELETE are retried on transport errors and on 429,
// 500, 502, 503 and 504. POST (Create, Clone) and PATCH are retried only on
// 429, or when the connection failed before the request was sent: the SDK
// never repeats a write the server may have acted on.
//
// Retry-After (seconds or an HTTP date) is honoured on any retried answer.
// If it asks for more than MaxWait, the answer is returned at once as an
// *APIError with RetryAfter set. Otherwise waits grow exponentially from
// MinWait to MaxWait, with jitter. A cancelled context ends a wait at once.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt; 0
	// disables retries.
	MaxRetries int
	// MinWait is the first backoff (0 retries at once, without backoff);
	// MaxWait caps every wait, including one asked for by Retry-After.
	MinWait, MaxWait time.Duration
}

// DefaultRetryPolicy is the policy a client uses unless told otherwise:
// 4 retries, waits from 500 ms to 30 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 4, MinWait: 500 * time.Millisecond, MaxWait: 30 * time.Second}
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxRetries < 0:
		return invalidArgf("RetryPolicy.MaxRetries %d is negative", p.MaxRetries)
	case p.MaxRetries > 100:
		return invalidArgf("RetryPolicy.MaxRetries %d is more than 100", p.MaxRetries)
	case p.MinWait < 0 || p.MaxWait < 0:
		return invalidArgf("RetryPolicy waits must not be negative")
	case p.MinWait > p.MaxWait:
		return invalidArgf("RetryPolicy.MinWait %s is more than MaxWait %s", p.MinWait, p.MaxWait)
	}
	return nil
}

// attemptKey keys the per-request attemptState in a request's context.
type attemptKey struct{}

// attemptState follows one logical request across its attempts.
type attemptState struct {
	method, path string
	idempotent   bool
	client       *Client
	attempt      int           // 0-based number of the current attempt
	answered     bool          // the latest attempt got a usable HTTP answer
	mayHaveActed bool          // an attempt failed in a way the server may have acted on
	handled      int           // attempt+1 once the response handler ran for it
	waitErr      error         // the context's error when it ended a wait
	buf          *bytes.Buffer // the 2xx body, read by readBody
	start        time.Time     // when the current attempt started (with a logger)
	// wrote is set once the current attempt may have reached the server.
	// Attempts are only repeated after an answer that shows the server did
	// not act, so each attempt starts afresh.
	wrote atomic.Bool
	// traced is set when the current attempt's transport reported asking
	// for a connection: only then does an unset wrote prove the request
	// was not sent.
	traced atomic.Bool
}

// trace returns ctx with a client trace recording whether request headers
// were written: until then the server cannot have seen the request.
func (st *attemptState) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:      func(string) { st.traced.Store(true) },
		WroteHeaders: func() { st.wrote.Store(true) },
	})
}

// maybeSent reports whether a write may have reached the server. A
// transport that reports no trace events (a custom or mock RoundTripper)
// gives no proof either way, so its failures count as maybe sent.
func (st *attemptState) maybeSent() bool {
	return st.wrote.Load() || !st.traced.Load()
}

func stateFrom(ctx context.Context) *attemptState {
	st, _ := ctx.Value(attemptKey{}).(*attemptState)
	return st
}

// startAttempt runs before every attempt (retryablehttp's RequestLogHook).
func startAttempt(_ retryablehttp.Logger, req *http.Request, attempt int) {
	if st := stateFrom(req.Context()); st != nil {
		st.attempt = attempt
		st.traced.Store(false)
		st.wrote.Store(false)
		if st.client.logger != nil {
			st.start = time.Now()
		}
	}
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// checkRetry decides after each attempt whether to try again and, if so,
// waits before returning, so that the wait logged is the wait taken. It
// returns (false, nil) to hand the answer or error through unchanged, and
// (false, ctx.Err()) when the context ends the wait.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateFrom(ctx)
	if st == nil {
		return false, nil
	}
	if st.waitErr != nil {
		return false, st.waitErr // asked again after the wait was cut short
	}
	retry := c.shouldRetry(ctx, st, resp, err)
	if !retry && err == nil && resp != nil && st.handled != st.attempt+1 {
		// retryablehttp asks again once the response handler has read
		// the body; decide and log then.
		return false, nil
	}
	st.answered = resp != nil && err == nil
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		// A wait the client honours holds back every request of the
		// client, not only this one: the others would hit the limit too.
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && ra <= c.policy.MaxWait {
			c.pacer.pause(ra)
		}
	}
	if (err != nil && st.maybeSent() && !notSent(err)) || (resp != nil && resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable) {
		st.mayHaveActed = true
	}
	var wait time.Duration
	if retry {
		wait = c.backoff(c.policy.MinWait, c.policy.MaxWait, st.attempt, resp)
		if deadline, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(deadline) {
			// The caller's deadline would end the wait: hand the answer
			// (the 429's RetryAfter, the 503) back now rather than
			// sleeping until the deadline for nothing.
			retry, wait = false, 0
		}
	}
	if st.client.logger != nil {
		st.log(ctx, resp, err, retry, wait)
	}
	if !retry {
		return false, nil
	}
	if resp != nil {
		// Free the connection for reuse while waiting.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		_ = resp.Body.Close()
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			st.waitErr = ctx.Err()
			return false, st.waitErr
		case <-t.C:
		}
	}
	return true, nil
}

// drainLimit is how much of an unwanted body is read so that its
// connection can be reused; a longer body is cut off with its connection.
const drainLimit = 64 << 10

func (c *Client) shouldRetry(ctx context.Context, st *attemptState, resp *http.Response, err error) bool {
	if ctx.Err() != nil || st.attempt >= c.policy.MaxRetries {
		return false
	}
	if err != nil {
		if notSent(err) || !retryableTransportError(err) {
			return false // the pacer's wait ended with the context
		}
		// A write is repeated only if no attempt can have reached the server.
		return st.idempotent || !st.maybeSent()
	}
	if !retryableStatus(resp.StatusCode) {
		return false
	}
	if !st.idempotent && resp.StatusCode != http.StatusTooManyRequests {
		return false
	}
	if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && ra > c.policy.MaxWait {
		return false // hand the answer back with RetryAfter set
	}
	return true
}

// retryableTransportError reports whether a failure without an answer may
// pass on a new attempt: not a refused redirect, a certificate, TLS
// protocol or unknown-host error, or a cancellation. A deadline counts as
// transient: an http.Client Timeout bounds one attempt, and the caller's
// own deadline is checked before any retry.
func retryableTransportError(err error) bool {
	var verifyErr *tls.CertificateVerificationError
	var certErr x509.CertificateInvalidError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var alertErr tls.AlertError
	var recordErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, errRedirectRefused), errors.Is(err, errTooManyRedirects), errors.Is(err, errBodyTooLarge),
		errors.Is(err, context.Canceled),
		errors.As(err, &verifyErr), errors.As(err, &certErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &alertErr), errors.As(err, &recordErr),
		errors.As(err, &opErr) && opErr.Op == "remote error", // a TLS alert from the server
		errors.As(err, &dnsErr) && dnsErr.IsNotFound,
		// net/http's answer to an https URL served by a plain-HTTP
		// server, which it does not export.
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return false
	}
	return true
}

func (st *attemptState) log(ctx context.Context, resp *http.Response, err error, retry bool, wait time.Duration) {
	attrs := []slog.Attr{
		slog.String("method", st.method),
		slog.String("path", st.path),
		slog.Int("attempt", st.attempt+1),
		slog.Duration("duration", time.Since(st.start)),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	} else if err != nil {
		attrs = append(attrs, slog.String("error", st.client.redactString(err.Error())))
	}
	st.client.logger.LogAttrs(ctx, slog.LevelDebug, "integratorio: request", attrs...)
	if retry {
		attrs = append(attrs, slog.Duration("wait", wait))
		st.client.logger.LogAttrs(ctx, slog.LevelWarn, "integratorio: retrying", attrs...)
	}
}

// noBackoff is retryablehttp's Backoff: checkRetry has already waited.
func noBackoff(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 }

// backoff is the wait before the next attempt: Retry-After when the answer
// has one, else exponential from MinWait with jitter, never over MaxWait.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(ra, maxWait)
		}
	}
	if maxWait <= 0 {
		return 0
	}
	wait := minWait
	for range attempt {
		if wait >= maxWait/2 {
			wait = maxWait
			break
		}
		wait *= 2
	}
	wait = min(wait, maxWait)
	// Jitter: a random wait in [wait/2, wait], but not under MinWait.
	if half := wait / 2; half > 0 {
		wait = half + rand.N(half+1)
	}
	return max(wait, minWait)
}

// maxRetryAfter bounds the Retry-After values taken as numbers, so that
// absurd values cannot overflow.
const maxRetryAfter = 100 * 365 * 24 * time.Hour

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
// Negative, malformed or missing values report false.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return maxRetryAfter, true
			}
			return 0, false
		}
		if n > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}
