package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
)

// TestEveryCommandHasAnExample walks the command tree: every command has
// a short description and an example.
func TestEveryCommandHasAnExample(t *testing.T) {
	t.Parallel()
	a := &app{ctx: context.Background(), io: stdio{in: strings.NewReader(""), out: &bytes.Buffer{}, err: &bytes.Buffer{}}, getenv: func(string) string { return "" }}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		n++
		assert.NotEmpty(t, c.Short, "%s has no description", c.CommandPath())
		assert.NotEmpty(t, c.Example, "%s has no example", c.CommandPath())
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(a.rootCommand())
	assert.Greater(t, n, 50)
}

// TestCommandNames pins the command names of the contract.
func TestCommandNames(t *testing.T) {
	t.Parallel()
	a := &app{ctx: context.Background(), getenv: func(string) string { return "" }}
	root := a.rootCommand()
	want := []string{
		"profile add", "profile list", "profile use", "profile delete",
		"flows run", "flows errors", "flows retry-errors", "flows resolve-errors",
		"jobs list", "jobs get", "jobs wait", "jobs cancel", "connections ping",
		"state keys", "state get", "state put", "state delete",
		"rollout", "api", "version", "completion", "fake", "pull", "plan", "apply",
	}
	for _, r := range []string{"integrations", "flows", "connections", "exports", "imports", "scripts"} {
		for _, c := range []string{"list", "get", "create", "update", "set", "delete"} {
			want = append(want, r+" "+c)
		}
	}
	for _, w := range want {
		c, rest, err := root.Find(strings.Fields(w))
		require.NoError(t, err, w)
		assert.Empty(t, rest, w)
		assert.Equal(t, "iio "+w, c.CommandPath())
	}
	for _, f := range []string{"profile", "region", "base-url", "output", "jq", "yes", "verbose"} {
		assert.NotNil(t, root.PersistentFlags().Lookup(f), f)
	}
	assert.Equal(t, "o", root.PersistentFlags().Lookup("output").Shorthand)
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	ran := func(err error) error { return &ranError{err: err} }
	api := func(status int) error {
		return fmt.Errorf("wrapped: %w", &integratorio.APIError{StatusCode: status, Method: "GET", Path: "/x"})
	}
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("unknown flag"), 2},
		{usagef("bad"), 2},
		{ran(usagef("bad")), 2},
		{ran(api(404)), 3},
		{ran(api(401)), 4},
		{ran(api(403)), 4},
		{ran(api(429)), 5},
		{ran(integratorio.ErrUnknownOutcome), 6},
		{ran(fmt.Errorf("%w: %w", integratorio.ErrUnknownOutcome, integratorio.ErrServerError)), 6},
		{ran(integratorio.ErrInvalidArgument), 2},
		{ran(integratorio.ErrMaskedSecret), 2},
		{ran(api(400)), 1},
		{ran(api(500)), 1},
		{ran(errors.New("other")), 1},
		{&codeError{code: exitChanges, err: errors.New("changes")}, 10},
	} {
		assert.Equal(t, tc.want, exitCode(tc.err), "%v", tc.err)
	}
	line := errorLine(ran(fmt.Errorf("a\nb   c")))
	assert.Equal(t, "iio: a b c", line)
	// Exit 1 names what to do too: a transport failure, a server error.
	transport := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/v1/x", Err: errors.New("connection refused")}
	assert.Equal(t, `iio: Get "http://127.0.0.1:1/v1/x": connection refused (check the network and the endpoint: --base-url, --region, iio profile list)`,
		errorLine(ran(transport)))
	assert.True(t, strings.HasSuffix(errorLine(ran(api(503))), " (the API failed: try again later)"), errorLine(ran(api(503))))
	assert.Equal(t, "iio: other", errorLine(ran(errors.New("other"))))
}

func TestSetPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc, assign, want string
	}{
		{`{"b":1,"a":{"y":2,"x":3}}`, `a.x=4`, `{"b":1,"a":{"y":2,"x":4}}`},
		{`{"b":1}`, `a.x.y=true`, `{"b":1,"a":{"x":{"y":true}}}`},
		{`{"n":1.50,"s":"x"}`, `s=hello world`, `{"n":1.50,"s":"hello world"}`},
		{`{"s":"x"}`, `s="5"`, `{"s":"5"}`},
		{`{"s":"x"}`, `s=5`, `{"s":5}`},
		{`{"s":"x"}`, `s={"k":[1,2]}`, `{"s":{"k":[1,2]}}`},
		{`{"s":"x"}`, `s=`, `{"s":""}`},
		{`{"s":"x"}`, `s=null`, `{"s":null}`},
		{`{"l":[{"a":1},{"a":2}]}`, `l.1.a=3`, `{"l":[{"a":1},{"a":3}]}`},
		{`{"l":[1]}`, `l.1=2`, `{"l":[1,2]}`},
		{`{"e":"\u00e9\"q"}`, `x=1`, `{"e":"\u00e9\"q","x":1}`}, // values kept as written
	} {
		as, err := parseAssignment(tc.assign)
		require.NoError(t, err, tc.assign)
		got, err := applyAssignments([]byte(tc.doc), []assignment{as})
		require.NoError(t, err, tc.assign)
		assert.Equal(t, tc.want, string(got), tc.assign)
	}
	for _, tc := range []struct{ doc, assign string }{
		{`{"s":"x"}`, `s.t=1`},
		{`{"l":[1]}`, `l.5=1`},
		{`{"l":[1]}`, `l.x=1`},
	} {
		as, err := parseAssignment(tc.assign)
		require.NoError(t, err)
		_, err = applyAssignments([]byte(tc.doc), []assignment{as})
		assert.Error(t, err, tc.assign)
	}
	for _, bad := range []string{"novalue", "=1", "a..b=1", ".a=1"} {
		_, err := parseAssignment(bad)
		assert.Equal(t, exitUsage, exitCode(err), bad)
	}
}

// TestModifyDocKeepsUntypedMembers: set changes a document through its
// JSON, keeping every member the SDK does not type.
func TestModifyDocKeepsUntypedMembers(t *testing.T) {
	t.Parallel()
	var in integratorio.Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"a","zeta":{"k":1.50},"name":"x","settings":{"b":1,"a":2}}`), &in))
	as, err := parseAssignments([]string{"settings.a=3", "name=y"})
	require.NoError(t, err)
	require.NoError(t, modifyDoc(&in, as))
	assert.Equal(t, "y", in.Name)
	b, err := json.Marshal(&in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"_id":"a","zeta":{"k":1.50},"name":"y","settings":{"b":1,"a":3}}`, string(b))
	assert.Contains(t, string(b), `"zeta":{"k":1.50}`)
}

// TestLibraryImportsNoCommandLineDependency: the library packages (the
// root package, integratoriotest and bundle) import none of the command
// line's dependencies.
func TestLibraryImportsNoCommandLineDependency(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	pkgs := []string{"github.com/integratorio-go/integratorio", "github.com/integratorio-go/integratorio/integratoriotest/..."}
	if _, err := os.Stat("../../bundle"); err == nil {
		pkgs = append(pkgs, "github.com/integratorio-go/integratorio/bundle/...")
	}
	cmd := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/integratorio-go/integratorio")
	for _, d := range deps {
		for _, banned := range []string{"github.com/spf13/", "github.com/itchyny/", "golang.org/x/term", "github.com/rogpeppe/go-internal", "github.com/inconshreveable/"} {
			assert.False(t, strings.HasPrefix(d, banned), "a library package depends on %s", d)
		}
	}
}

// TestBuildsStaticWithoutCgo: iio builds with CGO_ENABLED=0 (a static
// binary, as the README says), so no dependency may need cgo.
func TestBuildsStaticWithoutCgo(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "iio"), ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}
