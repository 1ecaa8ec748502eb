package integratorio_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeFirstScreen is how many lines of README.md a reader sees first.
const readmeFirstScreen = 45

// The README opens with its two commands, and its first screen then says
// what to run next (every example, one line each), how to use the SDK from
// a local clone, and how to drive the standalone fake from a test in
// another language: start it, seed it, point the client at it, read what
// it was sent.
func TestREADMEFirstScreenSaysWhatToDoNext(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	require.Greater(t, len(lines), readmeFirstScreen)
	assert.Equal(t, []string{
		"```sh",
		"go run ./examples/quickstart   # the SDK at work against the embedded fake integrator.io",
		"go test ./...                  # the tests (CI runs them with -race)",
		"```",
	}, lines[2:6], "the two opening commands stay first")
	screen := strings.Join(lines[:readmeFirstScreen], "\n")

	examples, err := os.ReadDir("examples")
	require.NoError(t, err)
	require.NotEmpty(t, examples)
	for _, e := range examples {
		if !e.IsDir() {
			continue
		}
		run := "go run ./examples/" + e.Name()
		assert.Equal(t, 1, strings.Count(screen, run+" "), "one line runs example %s", e.Name())
		for _, l := range lines[:readmeFirstScreen] {
			if strings.HasPrefix(l, run+" ") {
				assert.Contains(t, l, "# ", "the line of %s says what it shows", e.Name())
			}
		}
	}
	for what, want := range map[string][]string{
		"a local clone":                        {"-replace github.com/integratorio-go/integratorio=", "go work init"},
		"starting the standalone fake":         {"go run ./cmd/integratorio-fake", "serving the integrator.io API at"},
		"seeding it through -load and control": {"-load", "/_fake/flows/"},
		"pointing the client at it":            {"point the client at http://127.0.0.1:8080/v1"},
		"reading what it was sent":             {"/_fake/requests"},
		"reaching it by host name in CI":       {"-tls", "-tls-cert-out"},
	} {
		for _, w := range want {
			assert.Contains(t, screen, w, what)
		}
	}
}
