package fakecli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
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

// start runs the command in the background and returns its API root and a
// channel with its exit code.
func start(t *testing.T, ctx context.Context, args []string, stdout, stderr io.Writer) (string, <-chan int) {
	t.Helper()
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, stdout, stderr, func(u string) { ready <- u }) }()
	select {
	case u := <-ready:
		return u, done
	case code := <-done:
		t.Fatalf("run exited with %d before serving; stderr: %s", code, stderr)
		return "", nil
	}
}

func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// The command serves the fake with the chosen token and fixtures, logs
// requests without the token, and exits 0 when its context ends.
func TestServeAndStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	url, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-token", "dev-token-for-tests", "-load", "../../integratoriotest/testdata/fixtures", "-page-size", "2"}, &stdout, &stderr)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/v1$`, url)

	status, body := get(t, url+"/integrations", "dev-token-for-tests")
	require.Equal(t, http.StatusOK, status)
	var page []map[string]any
	require.NoError(t, json.Unmarshal(body, &page))
	assert.Len(t, page, 2, "-page-size applies")
	assert.Equal(t, "Licensing and Usage", page[0]["name"])

	status, _ = get(t, url+"/integrations", "wrong")
	assert.Equal(t, http.StatusUnauthorized, status)

	cancel()
	assert.Equal(t, 0, <-done)
	out := stdout.String()
	assert.Contains(t, out, "loaded 3 integrations")
	assert.Contains(t, out, "serving the integrator.io API at "+url+"\n")
	assert.Contains(t, out, "shutting down")
	assert.Contains(t, out, `try: curl -H "Authorization: Bearer $TOKEN" `+url+"/integrations")
	assert.NotContains(t, out, "dev-token-for-tests", "the token is not printed")
	logs := stderr.String()
	assert.Contains(t, logs, "method=GET path=/integrations")
	assert.Contains(t, logs, "status=401")
	assert.NotContains(t, logs, "dev-token-for-tests", "request logs never hold the token")

	_, err := http.Get(url + "/integrations")
	assert.Error(t, err, "the server is closed after run returns")
}

// SIGTERM stops the command cleanly. Not parallel: it signals the test
// process, which run catches.
func TestSignalStops(t *testing.T) {
	var stdout, stderr syncBuffer
	url, done := start(t, context.Background(), []string{"-addr", "127.0.0.1:0", "-quiet"}, &stdout, &stderr)
	status, _ := get(t, url+"/integrations", "dev-token")
	assert.Equal(t, http.StatusNoContent, status, "the default token is dev-token")
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	assert.Equal(t, 0, <-done)
	assert.Contains(t, stdout.String(), "shutting down")
	assert.Empty(t, stderr.String(), "-quiet logs nothing")
}

// Bad flags and a bad fixture directory fail with a message.
func TestBadArguments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-page-size", "0"}, 2, "-page-size"},
		{[]string{"-clone-response", "both"}, 2, "-clone-response"},
		{[]string{"-token", ""}, 2, "-token"},
		{[]string{"-token", "has space"}, 2, "-token"},
		{[]string{"-nope"}, 2, "flag provided but not defined"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"-addr", "127.0.0.1:0", "-load", "does-not-exist"}, 1, "does-not-exist"},
		{[]string{"-addr", "127.0.0.1:0", "-load", "../../integratoriotest/testdata/fixtures/02-embedded.json"}, 1, "not a directory"},
		{[]string{"-addr", "127.0.0.1:99999"}, 1, "99999"},
	} {
		var stdout, stderr syncBuffer
		code := run(context.Background(), tc.args, &stdout, &stderr, func(string) { t.Errorf("%v: served", tc.args) })
		assert.Equal(t, tc.code, code, "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.msg, "%v", tc.args)
		assert.False(t, strings.Contains(stdout.String(), "serving"), "%v", tc.args)
	}
}

// A client stalled mid-upload cannot keep the process from exiting.
func TestCloseWithinGivesUpOnAStalledClient(t *testing.T) {
	srv := integratoriotest.NewServer()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	_, err = conn.Write([]byte("POST /v1/integrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na"))
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // let the server start reading the body (a new, unread connection would simply be closed)

	var stderr syncBuffer
	done := make(chan struct{})
	go func() {
		closeWithin(srv, 100*time.Millisecond, &stderr)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("closeWithin did not give up")
	}
	assert.Contains(t, stderr.String(), "requests still open")
	conn.Close() // lets the abandoned Close finish before the leak check
}

// Run, the entry point other commands call, serves until its context ends
// and then returns 0 with the server closed.
func TestRunServesUntilItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"-addr", "127.0.0.1:0", "-quiet", "-token", "run-token"}, &stdout, &stderr)
	}()
	var url string
	require.Eventually(t, func() bool {
		out := stdout.String()
		const prefix = "serving the integrator.io API at "
		i := strings.Index(out, prefix)
		if i < 0 || !strings.Contains(out[i:], "\n") {
			return false
		}
		url = strings.TrimSpace(strings.SplitN(out[i+len(prefix):], "\n", 2)[0])
		return true
	}, 10*time.Second, 10*time.Millisecond, "Run never said where it serves; stderr: %s", &stderr)
	status, _ := get(t, url+"/integrations", "run-token")
	assert.Equal(t, http.StatusNoContent, status)
	cancel()
	assert.Equal(t, 0, <-done)
	_, err := http.Get(url + "/integrations")
	assert.Error(t, err, "the server is closed after Run returns")
}
