package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/integratorio-go/integratorio"
)

// addExtras adds the commands particular to some resources to their
// groups.
func (a *app) addExtras(root *cobra.Command) {
	if flows := findCommand(root, "flows"); flows != nil {
		flows.AddCommand(a.flowRunCommand(), a.flowErrorsCommand(), a.flowErrorActionCommand(true), a.flowErrorActionCommand(false))
	}
	if conns := findCommand(root, "connections"); conns != nil {
		conns.AddCommand(a.pingCommand())
	}
}

var jobColumns = cols("ID", "_id", "TYPE", "type", "STATUS", "status", "FLOW", "_flowId", "SUCCESS", "numSuccess", "ERRORS", "numError", "CREATED", "createdAt")

// parseTime reads RFC 3339 (2024-01-02T15:04:05Z) or a date (2024-01-02,
// midnight UTC).
func parseTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("%s %q: use RFC 3339 (2024-01-02T15:04:05Z) or a date (2024-01-02)", flag, s)
}

// waitJob waits for a job and prints it; a failed or canceled job is an
// error (exit 1).
func (a *app) waitJob(c *integratorio.Client, id string, interval time.Duration) error {
	if a.progressOK() {
		fmt.Fprintf(a.io.err, "waiting for job %s…\n", id)
	}
	j, err := c.Jobs.Wait(a.ctx, id, &integratorio.WaitOptions{Interval: interval})
	if err != nil {
		return err
	}
	if err := a.emit(j, nil); err != nil {
		return err
	}
	if j.Status == integratorio.JobFailed || j.Status == integratorio.JobCanceled {
		return failf("job %s ended %s with %d errors: see iio flows errors %s", j.ID, j.Status, j.NumError, nonEmpty(j.FlowID, "FLOW"))
	}
	return nil
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (a *app) flowRunCommand() *cobra.Command {
	var wait bool
	var start, end string
	var exports []string
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "run ID",
		Short: "Run a flow, and with --wait wait for its job",
		Long: `Run the flow and print the job that runs it ({"_jobId": …}); with --wait,
wait for the job and print it, exiting 1 if it failed or was canceled. A run
is sent once: if its answer is lost, iio exits 6 rather than running the
flow twice (a repeated run moves the data twice).`,
		Example: "  iio flows run " + exampleID + " --wait\n  iio flows run " + exampleID + " --start-date 2024-01-01T00:00:00Z",
		Args:    exactArgs("ID"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			opts := &integratorio.RunOptions{ExportIDs: exports}
			var err error
			if opts.StartDate, err = parseTime("--start-date", start); err != nil {
				return err
			}
			if opts.EndDate, err = parseTime("--end-date", end); err != nil {
				return err
			}
			c, err := a.getClient()
			if err != nil {
				return err
			}
			res, err := c.Flows.Run(a.ctx, args[0], opts)
			if err != nil {
				return err
			}
			if !wait {
				return a.emit(res, nil)
			}
			return a.waitJob(c, res.JobID, interval)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the job to end, and exit 1 if it failed")
	cmd.Flags().StringVar(&start, "start-date", "", "export records changed since `T` (RFC 3339), instead of since the last run")
	cmd.Flags().StringVar(&end, "end-date", "", "export records changed until `T` (RFC 3339)")
	cmd.Flags().StringSliceVar(&exports, "export", nil, "run only this page generator, by export `id` (repeatable)")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "the first wait between polls with --wait")
	return cmd
}

// stepsOf lists the ids of a flow's steps, in order, each once.
func stepsOf(f *integratorio.Flow) []string {
	var ids []string
	seen := map[string]bool{}
	for _, st := range f.Steps() {
		if !seen[st.ID] {
			seen[st.ID] = true
			ids = append(ids, st.ID)
		}
	}
	return ids
}

var flowErrorColumns = cols("STEP", "stepId", "ERROR ID", "errorId", "CODE", "code", "MESSAGE", "message", "RETRY KEY", "retryDataKey", "OCCURRED", "occurredAt")

func (a *app) flowErrorsCommand() *cobra.Command {
	var step string
	cmd := &cobra.Command{
		Use:   "errors FLOW",
		Short: "List the open errors of a flow's steps",
		Long: `List the open errors of one step of the flow (--step, an export or import
id), or of every step. Each record gains "stepId", the step it belongs to.`,
		Example: "  iio flows errors " + exampleID + "\n  iio flows errors " + exampleID + " --step 64b0c0ffee0000000000bbbb --jq '.[].retryDataKey'",
		Args:    exactArgs("FLOW"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			c, err := a.getClient()
			if err != nil {
				return err
			}
			steps := []string{step}
			if step == "" {
				f, err := c.Flows.Get(a.ctx, args[0])
				if err != nil {
					return err
				}
				steps = stepsOf(f)
				// Steps the flow no longer lists (or lists where this
				// code does not look) can hold errors too: the summary
				// names every step with open errors.
				summary, err := c.Flows.ErrorSummary(a.ctx, args[0])
				if err != nil {
					return err
				}
				for _, se := range summary {
					if se.StepID != "" && !slices.Contains(steps, se.StepID) {
						steps = append(steps, se.StepID)
					}
				}
			}
			out, err := a.newList(flowErrorColumns)
			if err != nil {
				return err
			}
			stepJSON := map[string]json.RawMessage{}
			for _, s := range steps {
				stepJSON[s], _ = json.Marshal(s)
				for fe, err := range c.Flows.Errors(a.ctx, args[0], s, nil) {
					if err != nil {
						_ = out.w.Flush()
						return err
					}
					raw, err := json.Marshal(fe)
					if err != nil {
						return err
					}
					if raw, err = setPath(raw, []string{"stepId"}, stepJSON[s]); err != nil {
						return err
					}
					if err := out.add(json.RawMessage(raw)); err != nil {
						return err
					}
				}
			}
			return out.close()
		}),
	}
	cmd.Flags().StringVar(&step, "step", "", "only the errors of this step (export or import `id`)")
	return cmd
}

// flowErrorActionCommand is retry-errors (retry true) or resolve-errors.
func (a *app) flowErrorActionCommand(retry bool) *cobra.Command {
	var all, byID bool
	var match string
	name, verb := "resolve-errors", "Resolve"
	if retry {
		name, verb = "retry-errors", "Retry"
	}
	cmd := &cobra.Command{
		Use:   name + " FLOW STEP (--all | --match REGEX)",
		Short: verb + " a step's open errors, all or those matching a pattern",
		Long: verb + ` the open errors of one step (an export or import id) of the flow:
every one with --all, or those whose code or message matches the regular
expression of --match (Go syntax).` + map[bool]string{
			true: ` Errors are retried by their retry key (retryDataKey; an
error without one cannot be retried), or with --by-id by their error id.
The retry starts a job, printed as {"_jobId": …}. It is sent once: if its
answer is lost, iio exits 6 rather than retrying the records twice.`,
			false: ` Prints how many were resolved.`}[retry],
		Example: "  iio flows " + name + " " + exampleID + " 64b0c0ffee0000000000bbbb --match 'timeout|ECONNRESET'\n  iio flows " + name + " " + exampleID + " 64b0c0ffee0000000000bbbb --all",
		Args:    exactArgs("FLOW", "STEP"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			if all == (match != "") {
				return usagef("give exactly one of --all and --match REGEX")
			}
			var re *regexp.Regexp
			if match != "" {
				var err error
				if re, err = regexp.Compile(match); err != nil {
					return usagef("--match %q: %v", match, err)
				}
			}
			c, err := a.getClient()
			if err != nil {
				return err
			}
			var keys []integratorio.RetryDataKey
			var ids []integratorio.ErrorID
			noKey := 0
			for fe, err := range c.Flows.Errors(a.ctx, args[0], args[1], nil) {
				if err != nil {
					return err
				}
				if re != nil && !re.MatchString(fe.Code) && !re.MatchString(fe.Message) {
					continue
				}
				ids = append(ids, fe.ErrorID)
				if fe.RetryDataKey == "" {
					noKey++
				} else {
					keys = append(keys, fe.RetryDataKey)
				}
			}
			if len(ids) == 0 {
				fmt.Fprintln(a.io.err, "iio: no open error matched; nothing was sent")
				return a.emit(map[string]int{"matched": 0}, nil)
			}
			if !retry {
				if err := c.Flows.ResolveErrors(a.ctx, args[0], args[1], ids...); err != nil {
					return err
				}
				return a.emit(map[string]int{"resolved": len(ids)}, nil)
			}
			var res *integratorio.RunResult
			if byID {
				res, err = c.Flows.RetryErrorsByID(a.ctx, args[0], args[1], ids...)
			} else {
				if noKey > 0 {
					fmt.Fprintf(a.io.err, "iio: %d matching errors have no retry key and are not retried\n", noKey)
				}
				if len(keys) == 0 {
					return failf("none of the %d matching errors has a retry key: nothing to retry", len(ids))
				}
				res, err = c.Flows.RetryErrors(a.ctx, args[0], args[1], keys...)
			}
			if err != nil {
				return err
			}
			return a.emit(res, nil)
		}),
	}
	cmd.Flags().BoolVar(&all, "all", false, "every open error of the step")
	cmd.Flags().StringVar(&match, "match", "", "only errors whose code or message matches this `REGEX`")
	if retry {
		cmd.Flags().BoolVar(&byID, "by-id", false, "retry by error id instead of by retry key")
	}
	return cmd
}

func (a *app) pingCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "ping ID",
		Short: "Test a connection; exit 1 when it does not work",
		Long: `Test the connection. It prints {"ok": true} when the connection works;
otherwise the API's reason goes to standard error and iio exits 1.`,
		Example: "  iio connections ping " + exampleID,
		Args:    exactArgs("ID"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			c, err := a.getClient()
			if err != nil {
				return err
			}
			if err := c.Connections.Ping(a.ctx, args[0]); err != nil {
				return err
			}
			return a.emit(json.RawMessage(`{"ok":true}`), nil)
		}),
	}
}

func (a *app) jobsCommand() *cobra.Command {
	group := &cobra.Command{
		Use:     "jobs",
		Short:   "List, read, wait for and cancel jobs",
		Example: "  iio jobs list --flow " + exampleID + " --status failed\n  iio jobs wait 64b0c0ffee0000000000cccc",
	}
	var o integratorio.JobListOptions
	var status, since, until string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Long: `List the jobs one of --integration, --flow, --export, --import, --flow-job,
--since or --until selects (the API needs one), newest first, to the end.`,
		Example: "  iio jobs list --flow " + exampleID + " --status failed --limit 5",
		Args:    exactArgs(),
		RunE: a.cmd(func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.CreatedAfter, err = parseTime("--since", since); err != nil {
				return err
			}
			if o.CreatedBefore, err = parseTime("--until", until); err != nil {
				return err
			}
			o.Status = integratorio.JobStatus(status)
			if o.IntegrationID+o.FlowID+o.ExportID+o.ImportID+o.FlowJobID == "" && since == "" && until == "" {
				return usagef("jobs list needs one of --integration, --flow, --export, --import, --flow-job, --since or --until")
			}
			c, err := a.getClient()
			if err != nil {
				return err
			}
			out, err := a.newList(jobColumns)
			if err != nil {
				return err
			}
			for j, err := range c.Jobs.All(a.ctx, &o) {
				if err != nil {
					_ = out.w.Flush()
					return err
				}
				if limit > 0 && out.n == limit {
					if err := out.close(); err != nil {
						return err
					}
					fmt.Fprintf(a.io.err, "iio: stopped after %d jobs (--limit %d); there are more\n", limit, limit)
					return nil
				}
				if err := out.add(j); err != nil {
					return err
				}
			}
			return out.close()
		}),
	}
	f := list.Flags()
	f.StringVar(&o.IntegrationID, "integration", "", "jobs of this integration `id`")
	f.StringVar(&o.FlowID, "flow", "", "jobs of this flow `id`")
	f.StringVar(&o.ExportID, "export", "", "jobs of this export `id`")
	f.StringVar(&o.ImportID, "import", "", "jobs of this import `id`")
	f.StringVar(&o.FlowJobID, "flow-job", "", "the export and import jobs of this flow job `id`")
	f.StringVar(&o.Type, "type", "", "only jobs of this `type`: flow, export, import, retry, …")
	f.StringVar(&status, "status", "", "only jobs in this `state`: queued, running, completed, failed, canceled, …")
	f.StringVar(&since, "since", "", "only jobs created at or after `T` (RFC 3339 or a date)")
	f.StringVar(&until, "until", "", "only jobs created at or before `T` (RFC 3339 or a date)")
	f.IntVar(&limit, "limit", 0, "stop after `N` jobs (0: all)")

	get := &cobra.Command{
		Use: "get ID", Short: "Print one job", Example: "  iio jobs get 64b0c0ffee0000000000cccc",
		Args: exactArgs("ID"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			c, err := a.getClient()
			if err != nil {
				return err
			}
			j, err := c.Jobs.Get(a.ctx, args[0])
			if err != nil {
				return err
			}
			return a.emit(j, nil)
		}),
	}
	var interval time.Duration
	wait := &cobra.Command{
		Use:     "wait ID",
		Short:   "Wait for a job to end; exit 1 if it failed or was canceled",
		Example: "  iio jobs wait 64b0c0ffee0000000000cccc && echo done",
		Args:    exactArgs("ID"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			c, err := a.getClient()
			if err != nil {
				return err
			}
			return a.waitJob(c, args[0], interval)
		}),
	}
	wait.Flags().DurationVar(&interval, "interval", time.Second, "the first wait between polls (it grows up to 30s)")
	cancel := &cobra.Command{
		Use: "cancel ID", Short: "Ask the platform to cancel a job", Example: "  iio jobs cancel 64b0c0ffee0000000000cccc",
		Args: exactArgs("ID"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			c, err := a.getClient()
			if err != nil {
				return err
			}
			if err := c.Jobs.Cancel(a.ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.io.err, "asked to cancel job %s\n", args[0])
			return nil
		}),
	}
	group.AddCommand(list, get, wait, cancel)
	return group
}

func (a *app) stateCommand() *cobra.Command {
	var scope string
	group := &cobra.Command{
		Use:   "state",
		Short: "Read and write state: JSON values by key, global or of one resource",
		Long: `Read and write state, the JSON values scripts keep between runs: the
account's global state, or with --scope RESOURCE/ID the state of one
resource (imports/ID, integrations/ID, …).`,
		Example: "  iio state put cursor '\"2024-01-01\"'\n  iio state get cursor\n  iio state keys --scope imports/" + exampleID,
	}
	group.PersistentFlags().StringVar(&scope, "scope", "", "the state of one resource, as `RESOURCE/ID` (imports/ID, integrations/ID, …)")
	store := func() (integratorio.StateStore, error) {
		c, err := a.getClient()
		if err != nil {
			return nil, err
		}
		if scope == "" {
			return c.State, nil
		}
		typ, id, ok := strings.Cut(scope, "/")
		if !ok || typ == "" || id == "" {
			return nil, usagef("--scope %q: write RESOURCE/ID, such as imports/%s", scope, exampleID)
		}
		return c.State.Of(typ, id), nil
	}
	keys := &cobra.Command{
		Use: "keys", Short: "List the keys", Example: "  iio state keys", Args: exactArgs(),
		RunE: a.cmd(func(cmd *cobra.Command, _ []string) error {
			s, err := store()
			if err != nil {
				return err
			}
			ks, err := s.Keys(a.ctx)
			if err != nil {
				return err
			}
			if ks == nil {
				ks = []string{}
			}
			return a.emit(ks, nil)
		}),
	}
	get := &cobra.Command{
		Use: "get KEY", Short: "Print the value of a key; exit 3 when it does not exist", Example: "  iio state get cursor", Args: exactArgs("KEY"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			s, err := store()
			if err != nil {
				return err
			}
			var v json.RawMessage
			ok, err := s.Get(a.ctx, args[0], &v)
			if err != nil {
				return err
			}
			if !ok {
				return &codeError{code: exitNotFound, err: fmt.Errorf("no state key %q", args[0])}
			}
			return a.emit(v, nil)
		}),
	}
	var file string
	put := &cobra.Command{
		Use:   "put KEY [VALUE]",
		Short: "Store a value under a key",
		Long: `Store a value under KEY: VALUE (JSON if it parses as JSON, else a string),
or the JSON document of -f FILE (- for standard input).`,
		Example: "  iio state put cursor '\"2024-01-01\"'\n  iio state put config -f config.json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 || (len(args) == 2) == (file != "") {
				return usagef("state put takes KEY and either VALUE or -f FILE (see iio state put --help)")
			}
			return nil
		},
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			var v json.RawMessage
			if file != "" {
				b, err := a.readInput(file)
				if err != nil {
					return err
				}
				if !json.Valid(b) {
					return usagef("%s is not valid JSON", nameOf(file))
				}
				v = json.RawMessage(strings.TrimSpace(string(b)))
			} else {
				as, err := parseAssignment("v=" + args[1])
				if err != nil {
					return err
				}
				v = as.value
			}
			s, err := store()
			if err != nil {
				return err
			}
			if err := s.Put(a.ctx, args[0], v); err != nil {
				return err
			}
			fmt.Fprintf(a.io.err, "stored %s\n", args[0])
			return nil
		}),
	}
	put.Flags().StringVarP(&file, "file", "f", "", "read the value from `FILE` (- for standard input)")
	del := &cobra.Command{
		Use: "delete KEY", Short: "Remove a key (asks on a terminal, else needs --yes)", Example: "  iio state delete cursor --yes", Args: exactArgs("KEY"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			if err := a.confirm(fmt.Sprintf("Delete state key %s?", args[0])); err != nil {
				return err
			}
			s, err := store()
			if err != nil {
				return err
			}
			if err := s.Delete(a.ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.io.err, "deleted %s\n", args[0])
			return nil
		}),
	}
	group.AddCommand(keys, get, put, del)
	return group
}
