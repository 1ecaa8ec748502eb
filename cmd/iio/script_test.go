package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.uber.org/goleak"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// fakeToken is the token the scripts' fake accepts. Tests only.
const fakeToken = "iio-test-token-5f3c"

// leakCheck runs the tests, then fails if a goroutine outlives them.
type leakCheck struct{ m *testing.M }

func (l leakCheck) Run() int {
	code := l.m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			return 1
		}
	}
	return code
}

func TestMain(m *testing.M) {
	testscript.Main(leakCheck{m}, map[string]func(){
		"iio": func() {
			os.Exit(run(context.Background(), os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv))
		},
	})
}

// TestScripts runs testdata/script/*.txtar: iio against a fake API, one
// fake per script. In each, $FAKE is the fake's API root, the current
// profile "fake" holds its token, and IIO_CONFIG_DIR is $WORK/config.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			srv := integratoriotest.NewServer(integratoriotest.WithToken(fakeToken), integratoriotest.WithPageSize(3))
			env.Defer(srv.Close)
			env.Values["srv"] = srv
			env.Setenv("FAKE", srv.URL)
			env.Setenv("FAKE_TOKEN", fakeToken)
			dir := filepath.Join(env.WorkDir, "config")
			env.Setenv("IIO_CONFIG_DIR", dir)
			cfg := &config{Current: "fake", Profiles: map[string]*profile{"fake": {Token: fakeToken, BaseURL: srv.URL}}}
			return cfg.save(filepath.Join(dir, "config.json"))
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
			"fake":  cmdFake,
			// mode FILE PERM: FILE's permission bits are PERM (octal).
			"mode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: mode FILE PERM")
				}
				fi, err := os.Stat(ts.MkAbs(args[0]))
				ts.Check(err)
				if got := fmt.Sprintf("%04o", fi.Mode().Perm()); got != args[1] {
					ts.Fatalf("%s has mode %s, want %s", args[0], got, args[1])
				}
			},
			// replace OLD NEW FILE: replace each OLD in FILE with NEW.
			"replace": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: replace OLD NEW FILE")
				}
				text := ts.ReadFile(args[2])
				if !strings.Contains(text, args[0]) {
					ts.Fatalf("%s does not hold %q", args[2], args[0])
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(strings.ReplaceAll(text, args[0], args[1])), 0o644))
			},
			// capture VAR: set VAR to the last command's standard output,
			// trimmed.
			"capture": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: capture VAR")
				}
				ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile("stdout")))
			},
		},
	})
}

// cmdExits runs a command and checks its exit code:
//
//	exits CODE iio ARGS...
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not a number", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// cmdFake drives the script's fake:
//
//	fake add RESOURCE FILE [VAR]      store a document; VAR gets its id
//	fake count RESOURCE N             the fake holds N documents of RESOURCE
//	fake show RESOURCE ID             print the stored document
//	fake requests METHOD PATH N       the fake saw N such requests
//	fake body METHOD PATH             print the body of the last such request
//	fake reset-requests               forget the request log
//	fake drop METHOD PATH             run the next such request, answer nothing
//	fake fail STATUS METHOD PATH      answer the next such request STATUS
//	fake rate-limit RETRY-AFTER       answer the next request 429
//	fake flow-errors FLOW STEP FILE   store the errors of FILE (a JSON array)
//	fake ping-fails ID                pings of connection ID fail
//	fake runs FLOW STATUS             runs of FLOW end with STATUS
//	fake state KEY FILE               store global state
func cmdFake(ts *testscript.TestScript, neg bool, args []string) {
	srv := ts.Value("srv").(*integratoriotest.Server)
	if len(args) == 0 {
		ts.Fatalf("usage: fake SUBCOMMAND ...")
	}
	need := func(n int) {
		if len(args) != n+1 {
			ts.Fatalf("fake %s takes %d arguments", args[0], n)
		}
	}
	switch args[0] {
	case "add":
		if len(args) != 3 && len(args) != 4 {
			ts.Fatalf("usage: fake add RESOURCE FILE [VAR]")
		}
		id, err := srv.AddJSON(args[1], []byte(ts.ReadFile(args[2])))
		ts.Check(err)
		if len(args) == 4 {
			ts.Setenv(args[3], id)
		}
	case "count":
		need(2)
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		if got := len(srv.IDs(args[1])); (got == n) == neg {
			ts.Fatalf("the fake holds %d %s, want %d", got, args[1], n)
		}
	case "show":
		need(2)
		doc, ok := srv.DocumentJSON(args[1], args[2])
		if !ok {
			ts.Fatalf("no %s %s", args[1], args[2])
		}
		fmt.Fprintf(ts.Stdout(), "%s\n", doc)
	case "requests":
		need(3)
		n, err := strconv.Atoi(args[3])
		ts.Check(err)
		got := 0
		for _, r := range srv.Requests() {
			if r.Method == args[1] && r.Path == args[2] {
				got++
			}
		}
		if (got == n) == neg {
			ts.Fatalf("the fake saw %d %s %s, want %d", got, args[1], args[2], n)
		}
	case "body":
		need(2)
		var body []byte
		found := false
		for _, r := range srv.Requests() {
			if r.Method == args[1] && r.Path == args[2] {
				body, found = r.Body, true
			}
		}
		if !found {
			ts.Fatalf("the fake saw no %s %s", args[1], args[2])
		}
		fmt.Fprintf(ts.Stdout(), "%s\n", body)
	case "reset-requests":
		need(0)
		srv.ResetRequests()
	case "drop":
		need(2)
		srv.DropNext(1, integratoriotest.OnMethod(args[1]), integratoriotest.OnPath(args[2]))
	case "fail":
		need(3)
		st, err := strconv.Atoi(args[1])
		ts.Check(err)
		srv.FailNext(1, st, integratoriotest.OnMethod(args[2]), integratoriotest.OnPath(args[3]))
	case "rate-limit":
		need(1)
		d, err := parseDuration(args[1])
		ts.Check(err)
		srv.RateLimitNext(1, d)
	case "flow-errors":
		need(3)
		var errs [][]byte
		for _, line := range strings.Split(strings.TrimSpace(ts.ReadFile(args[3])), "\n") {
			errs = append(errs, []byte(line))
		}
		ts.Check(srv.AddFlowErrors(args[1], args[2], errs...))
	case "ping-fails":
		need(1)
		srv.SetPingAnswer(args[1], integratoriotest.PingAnswer{Errors: []integratorio.ErrorDetail{{Code: "auth_failed", Message: "the password was refused"}}})
	case "runs":
		need(2)
		srv.ScriptRuns(args[1], integratoriotest.RunScript{Status: integratorio.JobStatus(args[2]), NumSuccess: 2})
	case "state":
		need(2)
		ts.Check(srv.SetState(args[1], []byte(ts.ReadFile(args[2]))))
	default:
		ts.Fatalf("fake: unknown subcommand %q", args[0])
	}
}
