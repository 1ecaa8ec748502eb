package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/integratorio-go/integratorio"
)

// stdio is the command's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// app is one run of the command: its streams, environment and global
// flags. Nothing is global, so that tests run it in parallel.
type app struct {
	ctx    context.Context
	io     stdio
	getenv func(string) string

	// global flags
	profile, region, baseURL, output, jq string
	yes, verbose                         bool

	client *integratorio.Client
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, std stdio, getenv func(string) string) int {
	a := &app{ctx: ctx, io: std, getenv: getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, errReported) {
		fmt.Fprintln(std.err, errorLine(err))
	}
	if a.client != nil {
		a.client.CloseIdleConnections()
	}
	return exitCode(err)
}

// isTerminal reports whether f is an *os.File on a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// outTTY reports whether standard output is a terminal.
func (a *app) outTTY() bool { return isTerminal(a.io.out) }

// inTTY reports whether standard input is a terminal.
func (a *app) inTTY() bool { return isTerminal(a.io.in) }

// progressOK reports whether a progress line may be drawn: standard error
// is a terminal and NO_COLOR is not set.
func (a *app) progressOK() bool {
	return isTerminal(a.io.err) && a.getenv("NO_COLOR") == "" && a.getenv("TERM") != "dumb"
}

// cmd wraps a command's function so that its errors are told apart from
// cobra's (usage) errors.
func (a *app) cmd(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := fn(cmd, args); err != nil {
			return &ranError{err: err}
		}
		return nil
	}
}

// exactArgs is cobra.ExactArgs naming the arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef("%s takes %d argument(s), %s; got %d (see %s --help)", cmd.CommandPath(), len(names), strings.Join(names, " "), len(args), cmd.CommandPath())
		}
		return nil
	}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "iio",
		Short: "Script integrator.io from the shell, on the integratorio Go SDK",
		Long: `iio scripts integrator.io: resources, flows and jobs, state, managed-update
rollouts and raw API calls. Writes are sent once (a write that may have
happened exits 6 instead of being repeated), requests are paced below the
account's rate limit, lists page to the end, and masked secrets are never
written back unless asked.

Credentials: the profile named by --profile; else INTEGRATORIO_API_TOKEN,
then CELIGO_API_TOKEN, then the current profile (iio profile add NAME reads
a token from standard input). The endpoint: --base-url or --region, else
the profile's (the current profile's for a token from the environment),
else North America's.

Output: a table on a terminal, JSON when piped (-o to choose); --jq filters
the JSON.

Exit codes: 0 ok; 1 error; 2 usage; 3 not found; 4 unauthorized or
forbidden; 5 rate limited; 6 unknown outcome (a write may have happened:
check before running it again); 10 plan --detailed-exitcode found changes
(apply --detailed-exitcode: made changes).`,
		Example: `  printf '%s' "$TOKEN" | iio profile add prod --region eu
  iio integrations list
  iio flows run 64b0c0ffee0000000000aaaa --wait
  iio integrations list --jq '.[].name'`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
	}
	root.SetIn(a.io.in)
	root.SetOut(a.io.out)
	root.SetErr(a.io.err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%v (see %s --help)", err, c.CommandPath())
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.profile, "profile", "", "use the credentials of this saved `profile`")
	pf.StringVar(&a.region, "region", "", "the API's region: na, eu, or us (the same as na)")
	pf.StringVar(&a.baseURL, "base-url", "", "the API root `URL`, such as https://api.integrator.io/v1")
	pf.StringVarP(&a.output, "output", "o", "", "output `format`: json or table (default: table on a terminal, else json)")
	pf.StringVar(&a.jq, "jq", "", "filter the JSON output with this jq `expression` (implies -o json; a string result prints raw)")
	pf.BoolVar(&a.yes, "yes", false, "do not ask before deleting (needed when standard input is not a terminal)")
	pf.BoolVar(&a.verbose, "verbose", false, "print each request and its status on standard error (never a token or a body)")
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetHelpCommand(a.helpCommand(root))
	root.AddCommand(a.completionCommand(root))

	root.AddCommand(a.versionCommand(), a.profileCommand(), a.apiCommand(), a.jobsCommand(), a.stateCommand(), a.rolloutCommand(), a.fakeCommand(),
		a.pullCommand(), a.planCommand(), a.applyCommand())
	a.addResources(root)
	a.addExtras(root)
	setArgsDefault(root)
	return root
}

// noArgs refuses arguments to a command group, naming its subcommands.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %s (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// setArgsDefault makes groups without a function refuse unknown
// subcommands as usage errors.
func setArgsDefault(c *cobra.Command) {
	if c.RunE == nil && c.Run == nil && c.HasSubCommands() {
		c.Args = noArgs
		c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	}
	for _, s := range c.Commands() {
		setArgsDefault(s)
	}
}

// getClient builds the SDK client from the credentials and endpoint.
func (a *app) getClient() (*integratorio.Client, error) {
	if a.client != nil {
		return a.client, nil
	}
	token, prof, err := a.credentials()
	if err != nil {
		return nil, err
	}
	opts := []integratorio.Option{integratorio.WithUserAgent("iio")}
	if a.baseURL != "" && a.region != "" {
		return nil, usagef("give --region or --base-url, not both")
	}
	switch {
	case a.baseURL != "":
		opts = append(opts, integratorio.WithBaseURL(a.baseURL))
	case a.region != "":
		r, err := parseRegion(a.region)
		if err != nil {
			return nil, err
		}
		opts = append(opts, integratorio.WithRegion(r))
	case prof != nil && prof.BaseURL != "":
		opts = append(opts, integratorio.WithBaseURL(prof.BaseURL))
	case prof != nil && prof.Region != "":
		r, err := parseRegion(prof.Region)
		if err != nil {
			return nil, err
		}
		opts = append(opts, integratorio.WithRegion(r))
	}
	if a.verbose {
		opts = append(opts, integratorio.WithLogger(slog.New(&verboseHandler{w: a.io.err})))
	}
	c, err := integratorio.NewClient(token, opts...)
	if err != nil {
		return nil, usagef("%v", err)
	}
	a.client = c
	return c, nil
}

// credentials returns the token and the profile whose endpoint applies:
// --profile; else INTEGRATORIO_API_TOKEN, then CELIGO_API_TOKEN, then the
// current profile's token (the current profile's endpoint applies to an
// environment's token too; nil when there is no current profile).
func (a *app) credentials() (string, *profile, error) {
	if a.profile != "" {
		cfg, _, err := a.loadConfig()
		if err != nil {
			return "", nil, err
		}
		p, err := cfg.lookup(a.profile)
		if err != nil {
			return "", nil, err
		}
		return p.Token, p, nil
	}
	for _, name := range []string{"INTEGRATORIO_API_TOKEN", "CELIGO_API_TOKEN"} {
		if t := strings.TrimSpace(a.getenv(name)); t != "" {
			// The environment's token replaces the current profile's;
			// the profile's endpoint still applies unless --base-url or
			// --region is given. Without a configuration directory
			// (no $HOME, say) there is no profile: the token is enough.
			if a.baseURL != "" || a.region != "" {
				return t, nil, nil
			}
			if _, err := configPath(a.getenv); err != nil {
				return t, nil, nil
			}
			cfg, _, err := a.loadConfig()
			if err != nil {
				return "", nil, err
			}
			return t, cfg.Profiles[cfg.Current], nil
		}
	}
	cfg, _, err := a.loadConfig()
	if err != nil {
		return "", nil, err
	}
	if p := cfg.Profiles[cfg.Current]; cfg.Current != "" && p != nil {
		return p.Token, p, nil
	}
	return "", nil, &codeError{code: exitUnauthorized, err: fmt.Errorf("no API token: set INTEGRATORIO_API_TOKEN, or save one with iio profile add NAME (it reads the token from standard input)")}
}

func (a *app) loadConfig() (*config, string, error) {
	path, err := configPath(a.getenv)
	if err != nil {
		return nil, "", err
	}
	cfg, err := loadConfig(path)
	return cfg, path, err
}

// parseRegion accepts na, eu and us (the same as na).
func parseRegion(s string) (integratorio.Region, error) {
	switch strings.ToLower(s) {
	case "na", "us":
		return integratorio.RegionNorthAmerica, nil
	case "eu":
		return integratorio.RegionEurope, nil
	}
	return "", usagef("--region %q: use na, eu or us", s)
}

// verboseHandler prints the SDK's request log, one line per attempt:
// "GET /integrations 200 (attempt 1, 3ms)". The SDK logs no header and
// no body, and redacts the token from transport errors.
type verboseHandler struct {
	w io.Writer
}

func (h *verboseHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *verboseHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *verboseHandler) WithGroup(string) slog.Handler            { return h }

func (h *verboseHandler) Handle(_ context.Context, r slog.Record) error {
	var method, path, status, errText string
	var attempt int64
	var dur, wait time.Duration
	r.Attrs(func(at slog.Attr) bool {
		switch at.Key {
		case "method":
			method = at.Value.String()
		case "path":
			path = at.Value.String()
		case "status":
			status = at.Value.String()
		case "error":
			errText = at.Value.String()
		case "attempt":
			attempt = at.Value.Int64()
		case "duration":
			dur = at.Value.Duration()
		case "wait":
			wait = at.Value.Duration()
		}
		return true
	})
	outcome := status
	if outcome == "" {
		outcome = "error: " + errText
	}
	line := fmt.Sprintf("%s %s %s (attempt %d, %s)", method, path, outcome, attempt, dur.Round(10*time.Microsecond))
	if r.Level >= slog.LevelWarn {
		line = fmt.Sprintf("retrying %s %s in %s after %s", method, path, wait.Round(time.Millisecond), outcome)
	}
	_, err := fmt.Fprintln(h.w, line)
	return err
}
