package fakecli

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The command's request log never holds the token, wherever a client puts
// it: in the method, escaped in the path or query, in another case, or in a
// header name.
func TestRequestLogLinesNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	const tok = "tok-FAKE-0123456789abcdef"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	root, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-token", tok}, &stdout, &stderr)

	escaped := "%74%6f%6b-FAKE-0123456789abcdef"
	for _, tc := range []struct{ method, target string }{
		{http.MethodGet, "/integrations/" + escaped},
		{http.MethodGet, "/integrations?include=" + escaped},
		{http.MethodGet, "/integrations?" + escaped + "=1"},
		{http.MethodGet, "/integrations?q=" + strings.ToUpper(tok)},
		{tok, "/integrations"},
	} {
		req, err := http.NewRequest(tc.method, root+tc.target, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header["X-"+tok] = []string{"1"}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	cancel()
	assert.Equal(t, 0, <-done)
	logs := stderr.String()
	assert.Equal(t, 5, strings.Count(logs, "integratoriotest: request"), "one line per request: %s", logs)
	for _, out := range []string{logs, stdout.String()} {
		assert.False(t, strings.Contains(strings.ToLower(out), strings.ToLower(tok)), "the output holds the token:\n%s", out)
	}
	assert.Contains(t, logs, "path=/integrations/REDACTED")
	assert.Contains(t, logs, "method=REDACTED")
}
