// Package fakecli is the command line of the standalone fake
// integrator.io API: command integratorio-fake is a thin wrapper around
// Run, and other commands can serve the same fake with the same flags.
// The flags, the -load layout and the control API are described in the
// documentation of command integratorio-fake.
package fakecli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// Run parses args (the command line without the program name), serves
// the fake until ctx is done or the process gets SIGINT or SIGTERM, and
// returns the exit code: 0 after a clean stop (or -help), 1 when the
// server cannot start (the address is taken, -load fails), 2 for bad
// flags. Messages go to stderr; what the server does (the address it
// serves, what it loaded) goes to stdout.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, stdout, stderr, nil)
}

// run serves until ctx is done or the process gets SIGINT or SIGTERM, and
// returns the exit code. ready, when non-nil, is called with the API root
// once the server accepts connections and signals are being caught.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(url string)) int {
	fs := flag.NewFlagSet("integratorio-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free one)")
	token := fs.String("token", "dev-token", "the bearer `token` to accept")
	load := fs.String("load", "", "store the documents of `dir` at start (subfolders integrations/, connections/, exports/, imports/, scripts/, flows/, jobs/; *.json directly in dir: integrations) and seed flowErrors/{flowID}/{stepID}.json, runScripts/{flowID}.json, pingAnswers/{connectionID}.json, invokeAnswers/{exportID}.json")
	pageSize := fs.Int("page-size", integratoriotest.DefaultPageSize, "records per list page")
	cloneResp := fs.String("clone-response", "document", `shape of a clone's answer: "document" or "created"`)
	ratePerSecond := fs.Float64("rate-limit-per-second", 0, "limit each token to a leaky bucket draining `r` requests a second; over it, 429 rate_limited (0: no limit)")
	rateBurst := fs.Int("rate-limit-burst", 1000, "the size `n` of the bucket of -rate-limit-per-second")
	latency := fs.Duration("latency", 0, "hold every answer for `d`, such as 200ms")
	var faults []func(*integratoriotest.Server)
	for _, kind := range []string{"fail-next", "rate-limit-next", "drop-next"} {
		fs.Func(kind, faultUsage[kind], func(spec string) error {
			f, err := parseFault(kind, spec)
			if err == nil {
				faults = append(faults, f)
			}
			return err
		})
	}
	useTLS := fs.Bool("tls", false, "serve HTTPS with a new self-signed certificate for localhost, 127.0.0.1, ::1, the -addr host, this machine's host name and -tls-hosts")
	tlsHosts := fs.String("tls-hosts", "", "more comma-separated host `names` (or IP addresses) the -tls certificate is valid for, such as the CI service name clients use")
	certOut := fs.String("tls-cert-out", "", "write the -tls certificate, PEM-encoded, to `file` before serving, for clients to trust")
	quiet := fs.Bool("quiet", false, "do not log each request")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of integratorio-fake:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), usageFooter)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "integratorio-fake: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	if strings.TrimSpace(*token) == "" || strings.ContainsAny(*token, " \t\r\n") {
		fmt.Fprintln(stderr, "integratorio-fake: -token must be non-empty and without spaces")
		return 2
	}
	if *pageSize < 1 {
		fmt.Fprintln(stderr, "integratorio-fake: -page-size must be at least 1")
		return 2
	}
	if *ratePerSecond < 0 || math.IsNaN(*ratePerSecond) || math.IsInf(*ratePerSecond, 0) {
		fmt.Fprintln(stderr, "integratorio-fake: -rate-limit-per-second must be a number, 0 or more")
		return 2
	}
	if *rateBurst < 1 {
		fmt.Fprintln(stderr, "integratorio-fake: -rate-limit-burst must be at least 1")
		return 2
	}
	if *latency < 0 {
		fmt.Fprintln(stderr, "integratorio-fake: -latency must not be negative")
		return 2
	}
	if !*useTLS && (*tlsHosts != "" || *certOut != "") {
		fmt.Fprintln(stderr, "integratorio-fake: -tls-hosts and -tls-cert-out need -tls")
		return 2
	}
	opts := []integratoriotest.Option{
		integratoriotest.WithToken(*token),
		integratoriotest.WithPageSize(*pageSize),
		// A long-running process keeps only recent requests in memory.
		integratoriotest.WithRequestLogLimit(requestLogLimit),
		integratoriotest.WithControlAPI(),
		integratoriotest.WithLatency(*latency),
	}
	if *ratePerSecond > 0 {
		opts = append(opts, integratoriotest.WithRateLimit(*ratePerSecond, *rateBurst))
	}
	switch *cloneResp {
	case "document":
	case "created":
		opts = append(opts, integratoriotest.WithCloneResponse(integratoriotest.CloneReturnsCreated))
	default:
		fmt.Fprintf(stderr, "integratorio-fake: -clone-response must be \"document\" or \"created\", not %q\n", *cloneResp)
		return 2
	}
	if !*quiet {
		opts = append(opts, integratoriotest.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *useTLS {
		cert, pemBytes, err := selfSignedCert(certHosts(*addr, *tlsHosts))
		if err != nil {
			fmt.Fprintf(stderr, "integratorio-fake: making the -tls certificate: %v\n", err)
			return 1
		}
		if *certOut != "" {
			if err := writeFileAtomic(*certOut, pemBytes); err != nil {
				fmt.Fprintf(stderr, "integratorio-fake: -tls-cert-out: %v\n", err)
				return 1
			}
		}
		opts = append(opts, integratoriotest.WithTLS(cert))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "integratorio-fake: %v\n", err)
		return 1
	}
	srv := integratoriotest.NewServer(append(opts, integratoriotest.WithListener(ln))...)
	defer closeWithin(srv, shutdownGrace, stderr)
	for _, add := range faults {
		add(srv)
	}

	if *load != "" {
		l, err := srv.LoadFixtures(*load)
		if err != nil {
			fmt.Fprintf(stderr, "integratorio-fake: %v\n", err)
			return 1
		}
		for _, dir := range l.Ignored {
			fmt.Fprintf(stderr, "integratorio-fake: warning: -load ignores the folder %s: it names no resource (%s) nor %s, %s, %s or %s, or lies deeper than they go\n",
				filepath.Join(*load, filepath.FromSlash(dir)), strings.Join(srv.Resources(), ", "),
				integratoriotest.FlowErrorsDir, integratoriotest.RunScriptsDir, integratoriotest.PingAnswersDir, integratoriotest.InvokeAnswersDir)
		}
		// The server was empty: what it holds is what was loaded.
		var counts []string
		for _, name := range srv.Resources() {
			counts = append(counts, fmt.Sprintf("%d %s", len(srv.IDs(name)), name))
		}
		fmt.Fprintf(stdout, "loaded %s from %s\n", strings.Join(counts, ", "), *load)
		if l.FlowErrors+l.RunScripts+l.PingAnswers+l.InvokeAnswers > 0 {
			fmt.Fprintf(stdout, "seeded %d flow errors in %d steps, %d run scripts, %d ping answers, %d invoke answers\n",
				l.FlowErrors, l.FlowErrorSteps, l.RunScripts, l.PingAnswers, l.InvokeAnswers)
		}
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		if ip := net.ParseIP(host); !*useTLS && (ip == nil || !ip.IsLoopback()) {
			fmt.Fprintln(stderr, "integratorio-fake: warning: listening beyond loopback without TLS; the SDK talks plain http only to loopback hosts (see -tls)")
		}
	}
	fmt.Fprintf(stdout, "serving the integrator.io API at %s\n", srv.URL)
	// The token is not printed: it may be one the user keeps secret.
	fmt.Fprintf(stdout, "try: curl -H \"Authorization: Bearer $TOKEN\" %s/integrations   (TOKEN: the -token value)\n", srv.URL)
	if *useTLS {
		fmt.Fprintf(stdout, "TLS: a self-signed certificate for %s", strings.Join(certHosts(*addr, *tlsHosts), ", "))
		if *certOut != "" {
			fmt.Fprintf(stdout, ", written to %s", *certOut)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "control API (faults, request log; same token) at %s%s/\n", strings.TrimSuffix(srv.URL, integratoriotest.APIPrefix), integratoriotest.ControlPrefix)
	if *ratePerSecond > 0 {
		fmt.Fprintf(stdout, "rate limit: %d requests per token, refilled at %v a second\n", *rateBurst, *ratePerSecond)
	}
	if *latency > 0 {
		fmt.Fprintf(stdout, "latency: %s per answer\n", *latency)
	}
	if n := srv.PendingFaults(); n > 0 {
		fmt.Fprintf(stdout, "faults: %d pending\n", n)
	}
	fmt.Fprintln(stdout, "stop with Ctrl-C")
	if ready != nil {
		ready(srv.URL)
	}

	<-ctx.Done()
	fmt.Fprintln(stdout, "shutting down")
	return 0
}

// requestLogLimit bounds the requests the standalone fake remembers.
const requestLogLimit = 1000

// shutdownGrace is how long shutdown waits for requests still running.
const shutdownGrace = 5 * time.Second

// closeWithin closes srv, giving up after grace when a client keeps a
// request open (a stalled upload), so that the process still exits.
func closeWithin(srv *integratoriotest.Server, grace time.Duration, stderr io.Writer) {
	done := make(chan struct{})
	go func() {
		srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		fmt.Fprintf(stderr, "integratorio-fake: requests still open after %s; exiting anyway\n", grace)
	}
}

var faultUsage = map[string]string{
	"fail-next":       "answer the next matching requests with a status, not running them: `spec` 'STATUS [xN] [METHOD] [/PATH]', e.g. '503 x2 PUT /integrations/*' (repeatable)",
	"rate-limit-next": "answer the next matching requests 429 rate_limited: `spec` '[RETRY-AFTER] [xN] [METHOD] [/PATH]', e.g. '2s GET' (repeatable)",
	"drop-next":       "run the next matching requests, then close the connection unanswered: `spec` '[xN] [METHOD] [/PATH]', e.g. 'POST /integrations' (repeatable)",
}

const usageFooter = `
A fault's spec is words separated by spaces, in any order:
  STATUS       -fail-next only, required: the status to answer, 200 to 599
  RETRY-AFTER  -rate-limit-next only: a duration such as 2s, sent as Retry-After
               in whole seconds, rounded up (absent: no Retry-After header)
  xN           how many matching requests it applies to (default x1)
  METHOD       only requests with this method: GET, POST, PUT, PATCH, DELETE,
               HEAD or OPTIONS, in any case
  /PATH        only requests whose path relative to /v1 matches this path.Match
               pattern, such as /integrations/* (a leading /v1 is taken off)
Faults apply in the order given, before the rate limit.

Control API, under /_fake with the same bearer token (not logged, not
limited, not delayed, not subject to faults):
  POST   /_fake/faults          {"kind":"fail"|"rate-limit"|"drop","n":1,"status":503,
                                 "retryAfter":"2s","method":"PUT","path":"/integrations/*"}
  DELETE /_fake/faults          remove every pending fault
  GET    /_fake/requests        the request log as JSON
  POST   /_fake/reset-requests  forget the request log
  GET    /_fake/stats           {"pendingFaults":N,"rateLimited":N}
  POST   /_fake/flows/{flowID}/{stepID}/errors  an array of error objects
  PUT    /_fake/flows/{flowID}/runs             {"status","numSuccess","numError","numIgnore","stall"}
  PUT    /_fake/connections/{id}/ping           {"status","code","errors":[{"code","message"}]}
  PUT    /_fake/exports/{id}/invoke             the answer, any JSON value
`

// parseFault parses the spec of a -fail-next, -rate-limit-next or
// -drop-next flag (see the package documentation) into the call that adds
// the fault.
func parseFault(kind, spec string) (func(*integratoriotest.Server), error) {
	n, status := 1, 0
	var retryAfter time.Duration
	var method, pattern string
	var haveN, haveRetryAfter bool
	for _, w := range strings.Fields(spec) {
		switch {
		case strings.HasPrefix(w, "/"):
			if pattern != "" {
				return nil, fmt.Errorf("two paths, %s and %s", pattern, w)
			}
			p, err := faultPath(w)
			if err != nil {
				return nil, err
			}
			pattern = p
		case (w[0] == 'x' || w[0] == 'X') && len(w) > 1 && isDigits(w[1:]):
			if haveN {
				return nil, fmt.Errorf("two counts in %q", spec)
			}
			v, err := strconv.Atoi(w[1:])
			if err != nil || v < 1 {
				return nil, fmt.Errorf("count %s must be x1 or more", w)
			}
			n, haveN = v, true
		case isMethod(w):
			if method != "" {
				return nil, fmt.Errorf("two methods, %s and %s", method, w)
			}
			method = strings.ToUpper(w)
		case kind == "fail-next" && isDigits(w):
			if status != 0 {
				return nil, fmt.Errorf("two statuses in %q", spec)
			}
			v, err := strconv.Atoi(w)
			if err != nil || v < 200 || v > 599 {
				return nil, fmt.Errorf("status %s must be from 200 to 599", w)
			}
			status = v
		case kind == "rate-limit-next" && w[0] >= '0' && w[0] <= '9':
			if haveRetryAfter {
				return nil, fmt.Errorf("two Retry-After durations in %q", spec)
			}
			d, err := time.ParseDuration(w)
			if err != nil {
				return nil, fmt.Errorf("%q is not a duration such as 2s", w)
			}
			retryAfter, haveRetryAfter = d, true
		default:
			return nil, fmt.Errorf("%q is not a count (x2), a method (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS), a path (/integrations/*)%s", w, faultAnswerHint[kind])
		}
	}
	if kind == "fail-next" && status == 0 {
		return nil, fmt.Errorf("%q has no status, such as 503", spec)
	}
	var opts []integratoriotest.FaultOption
	if method != "" {
		opts = append(opts, integratoriotest.OnMethod(method))
	}
	if pattern != "" {
		opts = append(opts, integratoriotest.OnPath(pattern))
	}
	return func(srv *integratoriotest.Server) {
		switch kind {
		case "fail-next":
			srv.FailNext(n, status, opts...)
		case "rate-limit-next":
			srv.RateLimitNext(n, retryAfter, opts...)
		default:
			srv.DropNext(n, opts...)
		}
	}, nil
}

var faultAnswerHint = map[string]string{
	"fail-next":       " or a status (503)",
	"rate-limit-next": " or a Retry-After duration (2s)",
	"drop-next":       "",
}

// faultPath checks a path pattern before integratoriotest.OnPath, which
// panics on a malformed one (and takes a leading /v1 off).
func faultPath(pattern string) (string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return "", fmt.Errorf("path %q is not a valid pattern: %v", pattern, err)
	}
	return pattern, nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// isMethod reports whether s names one of the HTTP methods, in any case.
func isMethod(s string) bool {
	switch strings.ToUpper(s) {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return true
	}
	return false
}
