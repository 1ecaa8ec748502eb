package integratorio

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quickRetries retries four times without real waits.
var quickRetries = RetryPolicy{MaxRetries: 4, MinWait: time.Millisecond, MaxWait: 30 * time.Second}

func TestAWaitPastTheCallersDeadlineReturnsTheAnswerAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		header string
		policy RetryPolicy
		is     error
	}{
		{"429 whose Retry-After ends after the deadline", http.StatusTooManyRequests, "20", DefaultRetryPolicy(), ErrRateLimited},
		{"503 whose backoff ends after the deadline", http.StatusServiceUnavailable, "", RetryPolicy{MaxRetries: 4, MinWait: 20 * time.Second, MaxWait: 30 * time.Second}, ErrServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				requests.Add(1)
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithRetryPolicy(tc.policy))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = c.Integrations.Get(ctx, "abc")
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr, "the answer, not the context's error")
			assert.ErrorIs(t, err, tc.is)
			assert.NoError(t, ctx.Err(), "returned before the deadline")
			assert.Equal(t, int32(1), requests.Load())
		})
	}
}

func TestErrorsThatCannotPassAreNotRetried(t *testing.T) {
	t.Parallel()
	t.Run("unknown host", func(t *testing.T) {
		t.Parallel()
		var dials atomic.Int32
		tr := &http.Transport{DialContext: func(_ context.Context, network, _ string) (net.Conn, error) {
			dials.Add(1)
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "api.integrator.io", IsNotFound: true}}
		}}
		c, err := NewClient(testToken, WithHTTPClient(&http.Client{Transport: tr}), WithRetryPolicy(quickRetries))
		require.NoError(t, err)
		_, err = c.Integrations.Get(context.Background(), "abc")
		var dnsErr *net.DNSError
		require.ErrorAs(t, err, &dnsErr)
		assert.Equal(t, int32(1), dials.Load())
	})
	t.Run("TLS protocol alert", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
		srv.StartTLS()
		defer srv.Close()
		tr := srv.Client().Transport.(*http.Transport).Clone()
		tr.TLSClientConfig.MaxVersion = tls.VersionTLS12
		var dials atomic.Int32
		dial := tr.DialContext
		if dial == nil {
			dial = (&net.Dialer{}).DialContext
		}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dial(ctx, network, addr)
		}
		c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithHTTPClient(&http.Client{Transport: tr}), WithRetryPolicy(quickRetries))
		require.NoError(t, err)
		_, err = c.Integrations.Get(context.Background(), "abc")
		require.ErrorContains(t, err, "remote error: tls: protocol version not supported")
		assert.Equal(t, int32(1), dials.Load())
	})
}

func TestAnAttemptTimeoutOfTheHTTPClientIsRetried(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			<-r.Context().Done() // the first attempt outlives the client's Timeout
			return
		}
		_, _ = w.Write([]byte(`{"_id":"abc"}`))
	}))
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"),
		WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}), WithRetryPolicy(quickRetries))
	require.NoError(t, err)
	in, err := c.Integrations.Get(context.Background(), "abc")
	require.NoError(t, err)
	assert.Equal(t, "abc", in.ID)
	// The first attempt hung until the client's Timeout, so the answer
	// came from a retry; on a busy machine a retry may time out too.
	assert.GreaterOrEqual(t, requests.Load(), int32(2))
}

func TestDeleteOfAMissingIntegrationAfterARefusedConnectionIsNotFound(t *testing.T) {
	t.Parallel()
	var requests, dials atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithHTTPClient(&http.Client{Transport: tr}), WithRetryPolicy(quickRetries))
	require.NoError(t, err)
	err = c.Integrations.Delete(context.Background(), "never-existed")
	require.ErrorIs(t, err, ErrNotFound, "the first attempt never reached the server, so the 404 is real")
	assert.Equal(t, int32(1), requests.Load())
	assert.Equal(t, int32(2), dials.Load())
}

// Not parallel: it replaces http.DefaultTransport, as httpmock.Activate
// and instrumentation wrappers do.
func TestNewClientWithAReplacedDefaultTransport(t *testing.T) {
	httpmock.Activate()
	defer httpmock.DeactivateAndReset()
	var c *Client
	var err error
	require.NotPanics(t, func() { c, err = NewClient(testToken) })
	require.NoError(t, err)
	assert.Equal(t, "integratorio.Client{https://api.integrator.io/v1}", c.String())
	assert.Zero(t, httpmock.GetTotalCallCount(), "nothing was sent")
}

// reflectStrings collects every string reachable from v by reflection,
// unexported fields included, as a dumper (spew, a pretty-printer) would.
func reflectStrings(v reflect.Value, seen map[uintptr]bool, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Pointer {
			if seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
		}
		reflectStrings(v.Elem(), seen, out)
	case reflect.Struct:
		for i := range v.NumField() {
			reflectStrings(v.Field(i), seen, out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			reflectStrings(v.Index(i), seen, out)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			reflectStrings(it.Key(), seen, out)
			reflectStrings(it.Value(), seen, out)
		}
	}
}

func TestAReflectionDumpOfAClientDoesNotShowTheToken(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testToken, WithRegion(RegionEurope))
	require.NoError(t, err)
	var strs []string
	reflectStrings(reflect.ValueOf(c), map[uintptr]bool{}, &strs)
	dump := strings.Join(strs, "\n")
	assert.Contains(t, dump, "api.eu.integrator.io", "the walk reaches the client's fields")
	assert.NotContains(t, dump, testToken)
}

func TestPlainHTTPServerBehindAnHTTPSURLIsNotRetried(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start() // plain HTTP
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(strings.Replace(srv.URL, "http://", "https://", 1)+"/v1"), WithRetryPolicy(quickRetries))
	require.NoError(t, err)
	_, err = c.Integrations.Get(context.Background(), "abc")
	require.ErrorContains(t, err, "server gave HTTP response to HTTPS client")
	assert.Equal(t, int32(1), conns.Load())
}

func TestTLSErrorsFromACustomTransportAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, tlsErr := range []error{tls.AlertError(70), tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}} {
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(httpmock.NewErrorResponder(tlsErr))
		c, err := NewClient(testToken, WithHTTPClient(&http.Client{Transport: mt}), WithRetryPolicy(quickRetries))
		require.NoError(t, err)
		_, err = c.Integrations.Get(context.Background(), "abc")
		require.Error(t, err)
		assert.Equal(t, 1, mt.GetTotalCallCount(), "%T", tlsErr)
	}
}

func TestBaseURLPortBounds(t *testing.T) {
	t.Parallel()
	_, err := NewClient(testToken, WithBaseURL("https://api.integrator.io:65535/v1"))
	require.NoError(t, err)
	_, err = NewClient(testToken, WithBaseURL("https://api.integrator.io:65536/v1"))
	require.ErrorIs(t, err, ErrInvalidArgument)
}

func TestASuccessBodyOfExactlyTheLimitIsRead(t *testing.T) {
	t.Parallel()
	body := `{"_id":"abc","name":"` + strings.Repeat("x", 1000) + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"))
	require.NoError(t, err)
	c.maxBody = int64(len(body))
	in, err := c.Integrations.Get(context.Background(), "abc")
	require.NoError(t, err)
	assert.Len(t, in.Name, 1000)
	c.maxBody--
	_, err = c.Integrations.Get(context.Background(), "abc")
	require.ErrorIs(t, err, ErrUnexpectedResponse)
}
