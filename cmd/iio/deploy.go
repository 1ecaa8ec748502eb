package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/integratorio-go/integratorio/bundle"
)

// planRow is one change of a plan as JSON.
type planRow struct {
	Ref    string   `json:"ref"`
	Action string   `json:"action"`
	Paths  []string `json:"paths,omitempty"`
}

var planColumns = cols("REF", "ref", "ACTION", "action", "PATHS", "paths")

func planRows(changes []bundle.Change) []planRow {
	rows := make([]planRow, 0, len(changes))
	for _, c := range changes {
		rows = append(rows, planRow{Ref: c.Ref, Action: string(c.Action), Paths: c.Paths})
	}
	return rows
}

func (a *app) pullCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pull INTEGRATION DIR",
		Short: "Snapshot an integration and what it references into files",
		Long: `Read the integration and everything it references (flows, exports,
imports, scripts, connections) and write them to DIR: one JSON file per
resource, references between them written as refs (exports/get-orders),
no id of this account, no secret. Review and edit the files in git, then
deploy them with iio plan and iio apply. Prints the refs written; an id
left outside a reference (in a URL, a setting, a script) is a warning on
standard error, naming the file and path.`,
		Example: "  iio pull " + exampleID + " orders\n  git diff orders/",
		Args:    exactArgs("INTEGRATION", "DIR"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			c, err := a.getClient()
			if err != nil {
				return err
			}
			b, err := bundle.Snapshot(a.ctx, c, args[0], nil)
			if err != nil {
				return err
			}
			if err := b.Write(args[1]); err != nil {
				return err
			}
			for _, w := range b.Warnings() {
				fmt.Fprintf(a.io.err, "warning: %s\n", w)
			}
			fmt.Fprintf(a.io.err, "wrote %d resources to %s\n", len(b.Refs()), args[1])
			return a.emit(b.Refs(), nil)
		}),
	}
}

// deployFlags are the flags plan and apply share.
type deployFlags struct {
	state, secrets    string
	maps              []string
	createConnections bool
}

func (f *deployFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.state, "state", "", "the target's state `FILE` (required; one per target, created when missing)")
	fl.StringArrayVar(&f.maps, "map", nil, "use an existing connection of the target: `CONNREF=ID`, such as connections/netsuite=64b0… (repeatable)")
	fl.BoolVar(&f.createConnections, "create-connections", false, "create the connections --map does not map, their secrets from --secrets")
	fl.StringVar(&f.secrets, "secrets", "", "a JSON `FILE` (- for standard input) of the secrets of created connections: {\"connections/REF\": {\"/JSON/pointer\": \"value\"}}")
}

// plan reads the bundle and the state and plans against the target.
func (a *app) plan(dir string, f *deployFlags) (*bundle.Plan, *bundle.State, error) {
	if f.state == "" {
		return nil, nil, usagef("give the target's state file with --state FILE (it is created when missing; keep one per target)")
	}
	conns := map[string]string{}
	for _, m := range f.maps {
		ref, id, ok := strings.Cut(m, "=")
		if !ok || !strings.HasPrefix(ref, "connections/") || id == "" {
			return nil, nil, usagef("--map %q: write CONNREF=ID, such as connections/netsuite=%s", m, exampleID)
		}
		conns[ref] = id
	}
	secrets := map[string]map[string]string{}
	if f.secrets != "" {
		if !f.createConnections {
			return nil, nil, usagef("--secrets is for the connections --create-connections creates")
		}
		raw, err := a.readInput(f.secrets)
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(raw, &secrets); err != nil {
			return nil, nil, usagef("%s: want {\"connections/REF\": {\"/JSON/pointer\": \"value\"}}: %v", nameOf(f.secrets), err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bundle.json")); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, usagef("%s holds no bundle.json: give a folder iio pull wrote", dir)
	}
	b, err := bundle.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	st, err := bundle.LoadState(f.state)
	if err != nil {
		return nil, nil, err
	}
	c, err := a.getClient()
	if err != nil {
		return nil, nil, err
	}
	p, err := b.Plan(a.ctx, c, &bundle.Target{
		State: st, Connections: conns, CreateConnections: f.createConnections,
		Secrets: func(ref, pointer string) (string, bool) {
			v, ok := secrets[ref][pointer]
			return v, ok
		},
	})
	if err != nil {
		return nil, nil, planError(err)
	}
	return p, st, nil
}

// planError puts a plan's problems on one line.
func planError(err error) error {
	var pe *bundle.PlanError
	if !errors.As(err, &pe) {
		return err
	}
	msgs := make([]string, len(pe.Problems))
	for i, p := range pe.Problems {
		msgs[i] = p.Error()
	}
	return &codeError{code: exitError, err: fmt.Errorf("the plan found %d problems, nothing was written: %s", len(msgs), strings.Join(msgs, "; "))}
}

// printPlan prints a plan: its text on a table's terminal, else its rows.
func (a *app) printPlan(p *bundle.Plan) error {
	f, err := a.format()
	if err != nil {
		return err
	}
	if f == "table" {
		_, err := fmt.Fprint(a.io.out, p.String())
		return err
	}
	return a.emit(planRows(p.Changes), planColumns)
}

func (a *app) planCommand() *cobra.Command {
	var f deployFlags
	var detailed bool
	cmd := &cobra.Command{
		Use:   "plan DIR --state FILE [--map CONNREF=ID ...] [--create-connections] [--detailed-exitcode]",
		Short: "Show what applying a pulled integration to this account would change",
		Long: `Compare the bundle in DIR (from iio pull) with the target account, through
the target's state file, and print what iio apply would do to each
resource: create, update (with the paths that differ), no change, or map
(a connection of the bundle mapped to one of the target's with --map).
Nothing is written. Every problem (an unmapped connection, a missing
secret, a reference to nothing) is reported at once. With
--detailed-exitcode, iio exits 10 when there are changes and 0 when there
are none.`,
		Example: "  iio plan orders --state orders.prod.state.json --map connections/netsuite=" + exampleID + "\n  iio plan orders --state orders.prod.state.json --detailed-exitcode || echo changes",
		Args:    exactArgs("DIR"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			p, _, err := a.plan(args[0], &f)
			if err != nil {
				return err
			}
			if err := a.printPlan(p); err != nil {
				return err
			}
			if detailed && p.HasChanges() {
				return &codeError{code: exitChanges, err: errReported}
			}
			return nil
		}),
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 10 when the plan has changes")
	return cmd
}

func (a *app) applyCommand() *cobra.Command {
	var f deployFlags
	var concurrency int
	var detailed bool
	cmd := &cobra.Command{
		Use:   "apply DIR --state FILE [--map CONNREF=ID ...] [--create-connections] [--detailed-exitcode]",
		Short: "Make this account's copy of a pulled integration match the files",
		Long: `Plan as iio plan does, then carry the plan out: create what the target
lacks (flows disabled until everything they use exists), update in place
what differs (keeping the target's members the files do not have), and
record each id in the state file as the apply goes. Safe to re-run: a
second apply of the same files changes nothing. If a create's answer is
lost or the apply is interrupted, the state file marks it, and the next
plan or apply finds it instead of creating it twice (an interrupted apply
exits 6 or 1: run iio plan again). Prints the changes applied. With
--detailed-exitcode, iio exits 10 when it changed something and 0 when
there was nothing to change.`,
		Example: "  iio apply orders --state orders.prod.state.json --map connections/netsuite=" + exampleID,
		Args:    exactArgs("DIR"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			if concurrency < 0 {
				return usagef("--concurrency %d: use a positive number", concurrency)
			}
			p, st, err := a.plan(args[0], &f)
			if err != nil {
				return err
			}
			if !p.HasChanges() {
				fmt.Fprintln(a.io.err, "nothing to change")
				return a.emit([]planRow{}, planColumns)
			}
			prog := a.progressOK()
			res, err := p.Apply(a.ctx, &bundle.ApplyOptions{
				Concurrency: concurrency,
				Checkpoint:  func(s *bundle.State) error { return s.Save(f.state) },
				OnChange: func(c bundle.Change, err error) {
					if prog && err == nil {
						fmt.Fprintf(a.io.err, "%s %s\n", c.Action, c.Ref)
					}
				},
			})
			if res != nil && res.State != nil {
				st = res.State
			}
			if serr := st.Save(f.state); serr != nil && err == nil {
				err = serr
			}
			var applied []bundle.Change
			if res != nil {
				applied = res.Applied
			}
			if perr := a.emit(planRows(applied), planColumns); perr != nil && err == nil {
				err = perr
			}
			if err != nil {
				return fmt.Errorf("apply stopped (the state file %s records what was done; run iio plan again): %w", f.state, err)
			}
			fmt.Fprintf(a.io.err, "applied %d changes with %d writes\n", len(res.Applied), res.Writes)
			if detailed && len(res.Applied) > 0 {
				return &codeError{code: exitChanges, err: errReported}
			}
			return nil
		}),
	}
	f.add(cmd)
	cmd.Flags().IntVar(&concurrency, "concurrency", 0, "writes at once within a step (default 8)")
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 10 when the apply changed something")
	return cmd
}
