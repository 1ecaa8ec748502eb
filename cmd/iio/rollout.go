package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/integratorio-go/integratorio"
)

// rolloutRow is one install of the rollout's summary.
type rolloutRow struct {
	IntegrationID string `json:"integrationId"`
	FromVersion   string `json:"fromVersion,omitempty"`
	Status        string `json:"status"`
	Locked        bool   `json:"locked"`
	Error         string `json:"error,omitempty"`
}

func (a *app) rolloutCommand() *cobra.Command {
	var sets, ids []string
	var concurrency int
	var dryRun, noPush bool
	cmd := &cobra.Command{
		Use:   "rollout CONNECTOR VERSION --set path=value...",
		Short: "Roll a managed update out to a SmartConnector's installs",
		Long: `Update every install of the connector (or those of --integration) to
VERSION: push the update, then on each install lock it, set each path
(a dot path from the integration's root, such as
settings.general.enabled) to its value (JSON if it parses as JSON, else a
string), and write the changes with the new version and the lock released,
in one write. An install that fails is unlocked; none is left locked
unless its unlock fails too, and the summary says so.

On a terminal a progress line is drawn on standard error; the summary
(one row per install) is printed at the end. iio exits 1 when an install
failed or is still locked.`,
		Example: "  iio rollout 64b0c0ffee0000000000dddd 1.4.0 --set settings.general.batchSize=200 --concurrency 4\n  iio rollout 64b0c0ffee0000000000dddd 1.4.0 --set settings.sync=true --dry-run",
		Args:    exactArgs("CONNECTOR", "VERSION"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			as, err := parseAssignments(sets)
			if err != nil {
				return err
			}
			if concurrency < 0 {
				return usagef("--concurrency %d: use a positive number", concurrency)
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			c, err := a.getClient()
			if err != nil {
				return err
			}
			opts := &integratorio.RolloutOptions{IntegrationIDs: ids, Concurrency: concurrency, NoPush: noPush, DryRun: dryRun}
			prog := a.progressOK()
			var mu sync.Mutex
			done, failed := 0, 0
			opts.OnResult = func(r integratorio.RolloutResult) {
				if !prog {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				done++
				if r.Status == integratorio.RolloutFailed {
					failed++
				}
				fmt.Fprintf(a.io.err, "\r\033[K%d installs done, %d failed", done, failed)
			}
			report, err := c.Connectors.Rollout(a.ctx, args[0], args[1], func(in *integratorio.Integration) error {
				return modifyDoc(in, as)
			}, opts)
			if prog && done > 0 {
				fmt.Fprintln(a.io.err)
			}
			rows := make([]rolloutRow, 0, len(report.Results))
			for _, r := range report.Results {
				row := rolloutRow{IntegrationID: r.IntegrationID, FromVersion: r.FromVersion, Status: string(r.Status), Locked: r.Locked}
				if r.Err != nil {
					row.Error = strings.Join(strings.Fields(r.Err.Error()), " ")
				}
				rows = append(rows, row)
			}
			if len(rows) > 0 || err == nil {
				var perr error
				if f == "table" {
					perr = a.emit(rows, cols("INTEGRATION", "integrationId", "FROM", "fromVersion", "STATUS", "status", "LOCKED", "locked", "ERROR", "error"))
				} else {
					perr = a.emit(rows, nil)
				}
				if perr != nil {
					return perr
				}
			}
			nFailed, locked := report.Count(integratorio.RolloutFailed), report.LeftLocked()
			if dryRun {
				fmt.Fprintf(a.io.err, "dry run, nothing written: %d would be updated, %d already current, %d locked now\n",
					report.Count(integratorio.RolloutNotStarted), report.Count(integratorio.RolloutAlreadyCurrent), len(locked))
				return err
			}
			if len(report.Results) > 0 {
				fmt.Fprintf(a.io.err, "%d updated, %d already current, %d failed, %d not started, %d locked\n",
					report.Count(integratorio.RolloutUpdated), report.Count(integratorio.RolloutAlreadyCurrent), nFailed,
					report.Count(integratorio.RolloutNotStarted), len(locked))
			}
			switch {
			case err != nil && (nFailed == 0 && len(locked) == 0 ||
				errors.Is(err, integratorio.ErrUnauthorized) || errors.Is(err, integratorio.ErrForbidden)):
				return err
			case len(locked) > 0:
				return failf("%d installs are still locked (%s): unlock them with iio integrations set ID updateInProgress=false, or run the rollout again", len(locked), strings.Join(locked, ", "))
			case nFailed > 0:
				return failf("%d installs failed (see the summary): run the rollout again for them with --integration", nFailed)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringArrayVar(&sets, "set", nil, "set a member of each integration: `path=value` (repeatable)")
	f.IntVar(&concurrency, "concurrency", 0, "installs updated at once (default 8)")
	f.BoolVar(&dryRun, "dry-run", false, "read the install base and show what would be updated (status \"not started\"), writing nothing")
	f.BoolVar(&noPush, "no-push", false, "do not push the update first (installs already pushed)")
	f.StringSliceVar(&ids, "integration", nil, "update only these installs, by integration `id` (repeatable)")
	return cmd
}
