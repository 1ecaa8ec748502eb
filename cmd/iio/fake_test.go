package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFakeCommand serves the fake with iio fake, lists from it with iio,
// and stops it by cancelling its context.
func TestFakeCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var fakeErr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"fake", "--addr", "127.0.0.1:0", "--token", "fake-cmd-token", "-quiet"}, stdio{in: strings.NewReader(""), out: pw, err: &fakeErr}, func(string) string { return "" })
		_ = pw.Close()
		done <- code
	}()
	sc := bufio.NewScanner(pr)
	url := ""
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "serving the integrator.io API at "); ok {
			url = strings.TrimSpace(u)
			break
		}
	}
	require.NotEmpty(t, url, "the fake did not say where it serves")
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	var out, errOut bytes.Buffer
	env := func(k string) string {
		if k == "INTEGRATORIO_API_TOKEN" {
			return "fake-cmd-token"
		}
		return ""
	}
	code := run(context.Background(), []string{"--base-url", url, "integrations", "create", "-f", "-"}, stdio{in: strings.NewReader(`{"name":"Via iio fake"}`), out: &out, err: &errOut}, env)
	require.Equal(t, 0, code, errOut.String())
	out.Reset()
	code = run(context.Background(), []string{"--base-url", url, "integrations", "list", "--jq", ".[].name"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}, env)
	require.Equal(t, 0, code, errOut.String())
	assert.Equal(t, "Via iio fake\n", out.String())

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, fakeErr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("iio fake did not stop")
	}

	// bad flags: exit 2, the fake's own message only
	var stderr bytes.Buffer
	code = run(context.Background(), []string{"fake", "--bogus"}, stdio{in: strings.NewReader(""), out: io.Discard, err: &stderr}, env)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr.String(), "-bogus")
	assert.NotContains(t, stderr.String(), "iio: reported")
}
