// Command integratorio-fake serves a fake integrator.io API on this machine,
// for trying the API with curl or Postman and for tests written in any
// language.
//
//	go run ./cmd/integratorio-fake -addr 127.0.0.1:8080 -token dev-token [-load dir]
//
// It serves every endpoint of package integratoriotest under /v1
// (integrations, flows with their runs and errors, jobs, and the connector
// endpoints), accepts only the given bearer token, and stops cleanly on
// SIGINT or SIGTERM. Nothing is kept after it stops.
//
// Flags:
//
//	-addr host:port   where to listen (default 127.0.0.1:8080; port 0 picks a free one)
//	-token string     the bearer token to accept (default "dev-token")
//	-load dir         store the documents of dir at start: one subfolder per
//	                  resource (integrations/, flows/, jobs/), each of *.json files
//	                  of one document or an array; *.json files directly in dir
//	                  are integrations
//	-page-size n      records per list page before a Link rel="next" (default 1000)
//	-clone-response   "document" (default) or "created": the shape of a clone's answer
//	-quiet            do not log each request
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run serves until ctx is done or the process gets SIGINT or SIGTERM, and
// returns the exit code. ready, when non-nil, is called with the API root
// once the server accepts connections and signals are being caught.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(url string)) int {
	fs := flag.NewFlagSet("integratorio-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free one)")
	token := fs.String("token", "dev-token", "the bearer `token` to accept")
	load := fs.String("load", "", "store the documents of `dir` at start: subfolders integrations/, flows/, jobs/ (*.json directly in dir: integrations)")
	pageSize := fs.Int("page-size", integratoriotest.DefaultPageSize, "records per list page")
	cloneResp := fs.String("clone-response", "document", `shape of a clone's answer: "document" or "created"`)
	quiet := fs.Bool("quiet", false, "do not log each request")
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
	opts := []integratoriotest.Option{
		integratoriotest.WithToken(*token),
		integratoriotest.WithPageSize(*pageSize),
		// A long-running process keeps only recent requests in memory.
		integratoriotest.WithRequestLogLimit(requestLogLimit),
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

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "integratorio-fake: %v\n", err)
		return 1
	}
	srv := integratoriotest.NewServer(append(opts, integratoriotest.WithListener(ln))...)
	defer closeWithin(srv, shutdownGrace, stderr)

	if *load != "" {
		if _, err := srv.LoadDir(*load); err != nil {
			fmt.Fprintf(stderr, "integratorio-fake: %v\n", err)
			return 1
		}
		// The server was empty: what it holds is what was loaded.
		var counts []string
		for _, name := range srv.Resources() {
			counts = append(counts, fmt.Sprintf("%d %s", len(srv.IDs(name)), name))
		}
		fmt.Fprintf(stdout, "loaded %s from %s\n", strings.Join(counts, ", "), *load)
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			fmt.Fprintln(stderr, "integratorio-fake: warning: listening beyond loopback without TLS; the SDK talks plain http only to loopback hosts")
		}
	}
	fmt.Fprintf(stdout, "serving the integrator.io API at %s\n", srv.URL)
	// The token is not printed: it may be one the user keeps secret.
	fmt.Fprintf(stdout, "try: curl -H \"Authorization: Bearer $TOKEN\" %s/integrations   (TOKEN: the -token value)\n", srv.URL)
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
