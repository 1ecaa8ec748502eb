package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/integratorio-go/integratorio/internal/fakecli"
)

// errReported is an error whose message the command has already printed.
var errReported = errors.New("reported")

func (a *app) fakeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "fake [--addr A] [--token T] [--load DIR] ...",
		Short: "Serve a fake integrator.io API on this machine",
		Long: `Serve a fake integrator.io API under /v1, for trying iio, curl or a script
without an account: the same server as the integratorio-fake command, with
its flags (run iio fake --help for them all), until Ctrl-C. Nothing is kept
after it stops.`,
		Example: `  iio fake --addr 127.0.0.1:8080 --token dev-token &
  INTEGRATORIO_API_TOKEN=dev-token iio --base-url http://127.0.0.1:8080/v1 integrations list`,
		DisableFlagParsing: true,
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			if wantsHelp(args) {
				// The fake parses its own flags: print this command's
				// help and example first, then the fake's flags.
				fmt.Fprintf(a.io.out, "%s\n\nUsage:\n  %s\n\nExamples:\n%s\n\n", cmd.Long, cmd.UseLine(), cmd.Example)
				fakecli.Run(a.ctx, []string{"-help"}, a.io.out, a.io.out)
				return nil
			}
			if code := fakecli.Run(a.ctx, args, a.io.out, a.io.err); code != 0 {
				return &codeError{code: code, err: errReported}
			}
			return nil
		}),
	}
}

// wantsHelp reports whether the fake's arguments ask for help before any
// "--".
func wantsHelp(args []string) bool {
	end := slices.Index(args, "--")
	if end < 0 {
		end = len(args)
	}
	for _, arg := range args[:end] {
		switch arg {
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
