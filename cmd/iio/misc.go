package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/integratorio-go/integratorio"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of iio and of the SDK it is built on",
		Long: `Print the version of iio, of the SDK it is built on, of Go and the
platform, as one line of text; with -o json or --jq, as a JSON object
{"version", "sdk", "go", "platform"}.`,
		Example: "  iio version\n  iio version --jq .sdk",
		Args:    exactArgs(),
		RunE: a.cmd(func(cmd *cobra.Command, _ []string) error {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			if a.output == "json" || a.jq != "" {
				// Asked for JSON: the same facts, as members.
				return a.emit(map[string]string{"version": v, "sdk": integratorio.Version, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}, nil)
			}
			if _, err := a.format(); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "iio %s (integratorio-go SDK %s, %s %s/%s)\n", v, integratorio.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		}),
	}
}

func (a *app) apiCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "api METHOD PATH [-f FILE]",
		Short: "Call any endpoint of the API",
		Long: `Send METHOD PATH (relative to the API root, such as /tokenInfo or
/integrations?include=name) with the JSON document of -f FILE (- for
standard input) as the body, and print the answer. The client's guarantees
apply: pacing, retries of what is safe to retry, and a write that may have
happened is never sent again (exit 6).`,
		Example: "  iio api GET /tokenInfo\n  iio api PATCH /connections/" + exampleID + " -f patch.json",
		Args:    exactArgs("METHOD", "PATH"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			var body any
			if file != "" {
				b, err := a.readInput(file)
				if err != nil {
					return err
				}
				if !json.Valid(b) {
					return usagef("%s is not valid JSON", nameOf(file))
				}
				body = json.RawMessage(b)
			}
			c, err := a.getClient()
			if err != nil {
				return err
			}
			var out json.RawMessage
			if err := c.Do(a.ctx, args[0], args[1], body, &out); err != nil {
				return err
			}
			if len(out) == 0 {
				return nil
			}
			if !json.Valid(out) { // a plain-text answer, such as "OK"
				_, err := fmt.Fprintf(a.io.out, "%s\n", out)
				return err
			}
			return a.emit(out, nil)
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the request body: a JSON `FILE`, or - for standard input")
	return cmd
}

func (a *app) completionCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print the completion script of bash, zsh or fish on standard output.
Load it in the shell's start-up file.`,
		Example: "  source <(iio completion bash)\n  iio completion zsh > \"${fpath[1]}/_iio\"\n  iio completion fish > ~/.config/fish/completions/iio.fish",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh" && args[0] != "fish") {
				return usagef("iio completion takes one of bash, zsh, fish")
			}
			return nil
		},
		ValidArgs: []string{"bash", "zsh", "fish"},
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(a.io.out, true)
			case "zsh":
				return root.GenZshCompletion(a.io.out)
			}
			return root.GenFishCompletion(a.io.out, true)
		}),
	}
}

func (a *app) helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:     "help [command]",
		Short:   "Help about any command",
		Example: "  iio help flows run",
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("unknown help topic %q (see iio --help)", args)
			}
			return c.Help()
		}),
	}
}
