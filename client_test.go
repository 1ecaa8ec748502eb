package integratorio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientRejectsBadInput(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		token string
		opts  []Option
	}{
		"empty token":          {"", nil},
		"blank token":          {"  ", nil},
		"token with newline":   {"abc\r\nX-Evil: 1", nil},
		"unknown region":       {testToken, []Option{WithRegion("mars")}},
		"nil http client":      {testToken, []Option{WithHTTPClient(nil)}},
		"nil option":           {testToken, []Option{nil}},
		"negative retries":     {testToken, []Option{WithRetryPolicy(RetryPolicy{MaxRetries: -1})}},
		"min over max":         {testToken, []Option{WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinWait: time.Second, MaxWait: time.Millisecond})}},
		"negative wait":        {testToken, []Option{WithRetryPolicy(RetryPolicy{MinWait: -1})}},
		"UA control chars":     {testToken, []Option{WithUserAgent("x\ny")}},
		"http to remote host":  {testToken, []Option{WithBaseURL("http://api.integrator.io/v1")}},
		"http to private ip":   {testToken, []Option{WithBaseURL("http://10.0.0.1/v1")}},
		"ftp scheme":           {testToken, []Option{WithBaseURL("ftp://127.0.0.1/v1")}},
		"no host":              {testToken, []Option{WithBaseURL("https:///v1")}},
		"relative":             {testToken, []Option{WithBaseURL("/v1")}},
		"query in base":        {testToken, []Option{WithBaseURL("https://api.integrator.io/v1?x=1")}},
		"credentials in base":  {testToken, []Option{WithBaseURL("https://u:p@api.integrator.io/v1")}},
		"unparsable base":      {testToken, []Option{WithBaseURL("https://api.integrator.io/%zz")}},
		"fragment in base URL": {testToken, []Option{WithBaseURL("https://api.integrator.io/v1#x")}},
		"port out of range":    {testToken, []Option{WithBaseURL("https://api.integrator.io:99999/v1")}},
		"port zero":            {testToken, []Option{WithBaseURL("https://api.integrator.io:0/v1")}},
		"dot-dot in path":      {testToken, []Option{WithBaseURL("https://api.integrator.io/v1/..")}},
		"dot in path":          {testToken, []Option{WithBaseURL("https://api.integrator.io/./v1")}},
		"escaped slash":        {testToken, []Option{WithBaseURL("https://api.integrator.io/v1%2Fx")}},
		"escaped space":        {testToken, []Option{WithBaseURL("https://api.integrator.io/my%20api/v1")}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tc.token, tc.opts...)
			assert.Nil(t, c)
			require.ErrorIs(t, err, ErrInvalidArgument)
			if tc.token != "" && strings.TrimSpace(tc.token) != "" {
				assert.NotContains(t, err.Error(), tc.token)
			}
		})
	}
}

func TestNewClientAcceptsLoopbackHTTPAndRegions(t *testing.T) {
	t.Parallel()
	for _, root := range []string{"http://127.0.0.1:8080/v1", "http://localhost/v1/", "http://[::1]:9/v1", "https://api.integrator.io/v1"} {
		_, err := NewClient(testToken, WithBaseURL(root))
		assert.NoError(t, err, root)
	}
	for region, host := range map[Region]string{RegionNorthAmerica: "api.integrator.io", "us": "api.integrator.io", RegionEurope: "api.eu.integrator.io"} {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder(http.MethodGet, "https://"+host+"/v1/integrations/abc", jsonResponder(200, []byte(`{"_id":"abc"}`)))
		c, err := NewClient(testToken, WithRegion(region), WithHTTPClient(&http.Client{Transport: mt}))
		require.NoError(t, err)
		in, err := c.Integrations.Get(context.Background(), "abc")
		require.NoError(t, err, region)
		assert.Equal(t, "abc", in.ID)
		assert.Equal(t, 1, mt.GetTotalCallCount())
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithUserAgent("my-app/2.0"))
	rec := &recorder{}
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations", rec.wrap(jsonResponder(201, []byte(`{"_id":"new"}`))))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/new", rec.wrap(jsonResponder(200, []byte(`{"_id":"new"}`))))

	_, err := c.Integrations.Create(context.Background(), &Integration{Name: "n"})
	require.NoError(t, err)
	_, err = c.Integrations.Get(context.Background(), "new")
	require.NoError(t, err)

	require.Len(t, rec.reqs, 2)
	for _, r := range rec.reqs {
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.Equal(t, "integratorio-go/"+Version+" my-app/2.0", r.Header.Get("User-Agent"))
	}
	assert.Equal(t, "application/json", rec.reqs[0].Header.Get("Content-Type"))
	assert.Empty(t, rec.reqs[1].Header.Get("Content-Type"), "a request without a body has no Content-Type")
}

func TestBaseURLTrailingSlashAndPathPrefix(t *testing.T) {
	t.Parallel()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		_, _ = w.Write([]byte(`{"_id":"x"}`))
	}))
	defer srv.Close()
	for _, root := range []string{srv.URL + "/prefix/v1", srv.URL + "/prefix/v1/"} {
		c, err := NewClient(testToken, WithBaseURL(root))
		require.NoError(t, err)
		_, err = c.Integrations.Get(context.Background(), "x")
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"/prefix/v1/integrations/x", "/prefix/v1/integrations/x"}, paths)
}

func TestRedirectToAnotherHostIsRefusedWithoutSendingToken(t *testing.T) {
	t.Parallel()
	var leaked []string
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"_id":"x"}`))
	}))
	defer other.Close()
	// "localhost" and "127.0.0.1" are different origins for the redirect check.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+"/v1/integrations/x", http.StatusFound)
	}))
	defer srv.Close()

	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"))
	require.NoError(t, err)
	_, err = c.Integrations.Get(context.Background(), "x")
	require.Error(t, err)
	assert.ErrorIs(t, err, errRedirectRefused)
	assert.NotContains(t, err.Error(), testToken)
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, leaked, "the other host received no request")
}

func TestSameOriginRedirectIsFollowed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/integrations/old" {
			http.Redirect(w, r, "/v1/integrations/new", http.StatusMovedPermanently)
			return
		}
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`{"_id":"new"}`))
	}))
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"))
	require.NoError(t, err)
	in, err := c.Integrations.Get(context.Background(), "old")
	require.NoError(t, err)
	assert.Equal(t, "new", in.ID)
}

func TestWithHTTPClientIsNotModified(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Transport: httpmock.NewMockTransport()}
	_, err := NewClient(testToken, WithHTTPClient(hc))
	require.NoError(t, err)
	assert.Nil(t, hc.CheckRedirect, "the caller's client is copied, not changed")
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoggingOneLinePerAttemptAndWarningPerRetry(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt := newMockClient(t, WithLogger(logger))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc",
		httpmock.ResponderFromMultipleResponses([]*http.Response{
			httpmock.NewStringResponse(503, `{"errors":[{"code":"unavailable","message":"try later"}]}`),
			httpmock.NewStringResponse(200, `{"_id":"abc","secret":"body-content-xyz"}`),
		}))
	_, err := c.Integrations.Get(context.Background(), "abc")
	require.NoError(t, err)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 3, logs.String())
	assert.Contains(t, lines[0], "level=DEBUG")
	assert.Contains(t, lines[0], "method=GET path=/integrations/abc attempt=1")
	assert.Contains(t, lines[0], "status=503")
	assert.Contains(t, lines[0], "duration=")
	assert.Contains(t, lines[1], "level=WARN")
	assert.Contains(t, lines[1], "retrying")
	assert.Contains(t, lines[2], "attempt=2")
	assert.Contains(t, lines[2], "status=200")
	out := logs.String()
	assert.NotContains(t, out, testToken)
	assert.NotContains(t, out, "body-content-xyz", "bodies are never logged")
	assert.NotContains(t, out, "Bearer")
}

func TestSilentWithoutLogger(t *testing.T) {
	// Not parallel: it swaps the process-wide default logger.
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc",
		httpmock.ResponderFromMultipleResponses([]*http.Response{
			httpmock.NewStringResponse(503, ``), httpmock.NewStringResponse(200, `{"_id":"abc"}`),
		}))
	_, err := c.Integrations.Get(context.Background(), "abc")
	require.NoError(t, err)
	assert.Equal(t, 2, mt.GetTotalCallCount())
	assert.Empty(t, logs.String())
}

func TestConcurrentUseOfOneClient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			_, _ = w.Write([]byte(`{"_id":"` + strings.TrimPrefix(r.URL.Path, "/v1/integrations/") + `"}`))
		case http.MethodPut:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithRetryPolicy(RetryPolicy{MaxRetries: 1}))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "id" + string(rune('a'+i%26))
			if i%4 == 0 {
				_, err := c.Integrations.Update(context.Background(), id, &Integration{ID: id})
				if !errors.Is(err, ErrServerError) {
					errs <- err
				}
				return
			}
			in, err := c.Integrations.Get(context.Background(), id)
			if err != nil || in.ID != id {
				errs <- errors.Join(err, errors.New("wrong id "+id))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestEndlessSameOriginRedirectsStopAndAreNotRetried(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	_, err = c.Integrations.Get(context.Background(), "loop")
	require.ErrorIs(t, err, errTooManyRedirects)
	assert.Equal(t, int32(10), hits.Load(), "one chain of redirects, not one per retry")
}

// A 404 from a base URL without /v1 shows the full path requested and says
// the base URL likely lacks /v1; with /v1, a 404 is a plain not found.
func TestA404FromABaseURLWithoutV1SaysTheBaseURLLacksV1(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprintf(w, `{"errors":[{"code":"not_found","message":"no route for %s %s"}]}`, r.Method, r.URL.Path)
	}))
	defer srv.Close()
	for root, want := range map[string][]string{
		srv.URL:              {"GET /integrations/x: 404 not_found", "the request went to /integrations/x", "likely lacks /v1", "https://api.integrator.io/v1"},
		srv.URL + "/api":     {"GET /integrations/x: 404 not_found", "the request went to /api/integrations/x", "likely lacks /v1"},
		srv.URL + "/v1":      nil,
		srv.URL + "/api/v1/": nil,
	} {
		c, err := NewClient(testToken, WithBaseURL(root))
		require.NoError(t, err)
		_, err = c.Integrations.Get(context.Background(), "x")
		require.ErrorIs(t, err, ErrNotFound, root)
		for _, w := range want {
			assert.Contains(t, err.Error(), w, root)
		}
		if want == nil {
			assert.NotContains(t, err.Error(), "lacks /v1", "%s: a 404 under /v1 says nothing of it", root)
		}
		assert.NotContains(t, err.Error(), testToken)
	}
}
