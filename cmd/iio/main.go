// Command iio scripts integrator.io from a shell or a CI job, on the
// integratorio SDK: writes are sent once, requests are paced below the
// account's rate limit, lists page to the end, masked secrets are never
// written back unless asked, and managed updates never leave an install
// locked.
//
// Install it with
//
//	go install github.com/integratorio-go/integratorio/cmd/iio@latest
//
// and run iio --help for the commands. Credentials come from --profile,
// else INTEGRATORIO_API_TOKEN, then CELIGO_API_TOKEN, then the current
// profile (iio profile add NAME reads a token from standard input).
//
// Exit codes: 0 ok; 1 error; 2 usage; 3 not found; 4 unauthorized or
// forbidden; 5 rate limited; 6 unknown outcome (a write may have happened:
// check before running it again); 10 plan --detailed-exitcode found
// changes (apply --detailed-exitcode: made changes).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}
