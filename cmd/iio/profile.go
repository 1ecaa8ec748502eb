package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/integratorio-go/integratorio"
)

func (a *app) profileCommand() *cobra.Command {
	group := &cobra.Command{
		Use:   "profile",
		Short: "Save, list, choose and delete credentials",
		Long: `Profiles are saved tokens with their endpoint, in
$IIO_CONFIG_DIR/config.json (else the user's configuration directory,
iio/config.json), written with mode 0600. No command prints a token.`,
		Example: "  printf '%s' \"$TOKEN\" | iio profile add prod --region eu\n  iio profile use prod",
	}
	var region, baseURL string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Save a token, read from standard input, as a profile",
		Long: `Save a token as the profile NAME, with --region na|eu|us (us is na) or
--base-url. The token is read from standard input, never from an argument
(arguments show in the process list and the shell's history): on a
terminal iio asks for it without echoing it. The first profile becomes the
current one.`,
		Example: "  printf '%s' \"$TOKEN\" | iio profile add prod --region eu\n  iio profile add staging --base-url https://api.eu.integrator.io/v1",
		Args:    exactArgs("NAME"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := validProfileName(name); err != nil {
				return err
			}
			p := &profile{}
			if region != "" && baseURL != "" {
				return usagef("give --region or --base-url, not both")
			}
			if region != "" {
				r, err := parseRegion(region)
				if err != nil {
					return err
				}
				p.Region = string(r)
			}
			if baseURL != "" {
				// Validated as the SDK will use it, with a placeholder token.
				if _, err := integratorio.NewClient("x", integratorio.WithBaseURL(baseURL)); err != nil {
					return usagef("--base-url %q: %v", baseURL, err)
				}
				p.BaseURL = baseURL
			}
			token, err := a.readToken()
			if err != nil {
				return err
			}
			p.Token = token
			cfg, path, err := a.loadConfig()
			if err != nil {
				return err
			}
			cfg.Profiles[name] = p
			if cfg.Current == "" {
				cfg.Current = name
			}
			if err := cfg.save(path); err != nil {
				return err
			}
			fmt.Fprintf(a.io.err, "saved profile %s (%s)\n", name, p.endpoint())
			return nil
		}),
	}
	add.Flags().StringVar(&region, "region", "", "the profile's region: na, eu, or us (the same as na)")
	add.Flags().StringVar(&baseURL, "base-url", "", "the profile's API root `URL`")

	list := &cobra.Command{
		Use: "list", Short: "List the profiles (never their tokens)", Example: "  iio profile list", Args: exactArgs(),
		RunE: a.cmd(func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := a.loadConfig()
			if err != nil {
				return err
			}
			type row struct {
				Name    string `json:"name"`
				Current bool   `json:"current"`
				Region  string `json:"region,omitempty"`
				BaseURL string `json:"baseUrl,omitempty"`
			}
			rows := []row{}
			for _, n := range cfg.names() {
				p := cfg.Profiles[n]
				rows = append(rows, row{Name: n, Current: n == cfg.Current, Region: p.Region, BaseURL: p.BaseURL})
			}
			return a.emit(rows, cols("NAME", "name", "CURRENT", "current", "REGION", "region", "BASE URL", "baseUrl"))
		}),
	}
	use := &cobra.Command{
		Use: "use NAME", Short: "Make a profile the current one", Example: "  iio profile use prod", Args: exactArgs("NAME"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			if err := a.changeProfile(args[0], func(cfg *config) { cfg.Current = args[0] }); err != nil {
				return err
			}
			fmt.Fprintf(a.io.err, "current profile: %s\n", args[0])
			return nil
		}),
	}
	del := &cobra.Command{
		Use: "delete NAME", Short: "Forget a profile", Example: "  iio profile delete staging", Args: exactArgs("NAME"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			err := a.changeProfile(args[0], func(cfg *config) {
				delete(cfg.Profiles, args[0])
				if cfg.Current == args[0] {
					cfg.Current = ""
				}
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.io.err, "deleted profile %s\n", args[0])
			return nil
		}),
	}
	group.AddCommand(add, list, use, del)
	return group
}

// changeProfile loads the configuration, checks that the profile name
// exists, applies change and saves the result.
func (a *app) changeProfile(name string, change func(*config)) error {
	cfg, path, err := a.loadConfig()
	if err != nil {
		return err
	}
	if _, err := cfg.lookup(name); err != nil {
		return err
	}
	change(cfg)
	return cfg.save(path)
}

// readToken reads the token from standard input: without echo on a
// terminal, else its first line.
func (a *app) readToken() (string, error) {
	var token string
	if f, ok := a.io.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.io.err, "API token: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.io.err)
		if err != nil {
			return "", failf("reading the token: %v", err)
		}
		token = string(b)
	} else {
		line, err := bufio.NewReader(io.LimitReader(a.io.in, 64<<10)).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", failf("reading the token from standard input: %v", err)
		}
		token = line
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", usagef("no token on standard input: pipe it in, such as printf '%%s' \"$TOKEN\" | iio profile add NAME")
	}
	if _, err := integratorio.NewClient(token); err != nil {
		return "", usagef("the token on standard input is not usable: it holds whitespace or control characters")
	}
	return token, nil
}
