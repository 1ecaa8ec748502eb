// Command rollout rolls a SmartConnector's managed update out to its whole
// install base with Connectors.Rollout: the update is pushed in small
// batches just ahead of the work, each install is updated (changes, new
// version and unlock in the safe order), sixteen at a time, paced below the
// account's rate limit, and no customer is left locked, whatever fails.
//
//	go run ./examples/rollout
//
// It runs against the fake integrator.io API of package integratoriotest,
// in-process, so it needs no account: 500 installs, answers delayed as
// over a network, the account's bucket scaled down so the run takes
// seconds, and a few failures injected. On a terminal it shows progress on
// one updating line; otherwise it prints a line now and then.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

const (
	connectorID = "56fd5ad0945a2345c4e678ac"
	newVersion  = "1.4.0"
)

// config is what a run is made of; the test makes a smaller one.
type config struct {
	installs    int           // installs in the install base
	current     int           // of those, already at newVersion
	latency     time.Duration // added to every answer
	burst       int           // the account's bucket ...
	perSecond   float64       // ... and its refill rate
	concurrency int
	terminal    bool // progress on one updating line
}

var defaults = config{installs: 500, current: 20, latency: 5 * time.Millisecond, burst: 100, perSecond: 600, concurrency: 16}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := defaults
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		cfg.terminal = true
	}
	if _, err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "rollout:", err)
		os.Exit(1)
	}
}

// errNoRefunds is the failure the update meets on an install that has not
// set up refunds yet: it is left as it was, unlocked.
var errNoRefunds = errors.New("refunds are not set up on this install")

// update is the connector's update: version 1.4.0 records the export that
// syncs refunds, which each install set up in its settings.
func update(in *integratorio.Integration) error {
	var refunds string
	if _, err := in.Settings.Get("refundsExport", &refunds); err != nil {
		return err
	}
	if refunds == "" {
		return errNoRefunds
	}
	return in.EnsureSettings().SetCommonResource("refundsExportId", refunds)
}

// run seeds the fake, rolls the update out and prints the summary. It
// returns the report, and an error only when the rollout could not run.
func run(ctx context.Context, w io.Writer, cfg config) (*integratorio.RolloutReport, error) {
	srv := integratoriotest.NewServer(
		integratoriotest.WithLatency(cfg.latency),
		integratoriotest.WithRateLimit(cfg.perSecond, cfg.burst))
	defer srv.Close()
	if err := seed(srv, cfg); err != nil {
		return nil, err
	}
	// Tell the client the account's bucket: it paces itself just below it,
	// so the fake (like the API) has no 429 to answer.
	client := srv.Client(integratorio.WithRateLimit(cfg.perSecond, cfg.burst))

	fmt.Fprintf(w, "Rolling %s out to %d installs of connector %s (%d at a time)\n", newVersion, cfg.installs, connectorID, cfg.concurrency)
	p := &progress{w: w, terminal: cfg.terminal, start: time.Now()}
	report, err := client.Connectors.Rollout(ctx, connectorID, newVersion, update, &integratorio.RolloutOptions{
		Concurrency: cfg.concurrency,
		OnResult:    p.add, // called once per install, never concurrently
	})
	p.done()
	var mue *integratorio.ManagedUpdateError
	if err != nil && !errors.As(err, &mue) && report.Count(integratorio.RolloutNotStarted) == len(report.Results) {
		return report, err // nothing ran: a bad version, a wrong token, ...
	}
	summarize(w, report, time.Since(p.start), srv.RateLimited())
	return report, nil
}

// seed stores the install base, and the failures the run meets: three
// installs without refunds set up (the update function refuses them), two
// whose final write the server refuses, and one that answers 503 to every
// read.
func seed(srv *integratoriotest.Server, cfg config) error {
	var ids []string
	for i := range cfg.installs {
		version, refunds := "1.3.2", fmt.Sprintf("%024x", 0xe0000+i)
		if i < cfg.current {
			version = newVersion
		}
		if i%150 == 149 {
			refunds = "" // not set up
		}
		doc := fmt.Sprintf(`{"name":"Shop %03d - NetSuite","_connectorId":%q,"version":%q,"updateInProgress":false,"mode":"settings",`+
			`"settings":{"refundsExport":%q,"commonresources":{"netsuiteConnectionId":"%024x"}}}`, i, connectorID, version, refunds, 0xc0000+i)
		id, err := srv.AddIntegrationJSON([]byte(doc))
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	for _, i := range []int{cfg.installs / 3, cfg.installs/3 + 1} {
		srv.FailNext(1, http.StatusBadRequest, integratoriotest.OnMethod(http.MethodPut), integratoriotest.OnPath("/integrations/"+ids[i]))
	}
	srv.FailNext(1000, http.StatusServiceUnavailable, integratoriotest.OnMethod(http.MethodGet), integratoriotest.OnPath("/integrations/"+ids[cfg.installs/2]))
	return nil
}

// progress reports results as they come: on a terminal, one line kept up
// to date; elsewhere, a line every tenth of the way.
type progress struct {
	w        io.Writer
	total    int // RolloutResult.Total: every result carries it
	terminal bool
	start    time.Time
	n        int
	counts   map[integratorio.RolloutStatus]int
}

func (p *progress) add(r integratorio.RolloutResult) {
	if p.counts == nil {
		p.counts = map[integratorio.RolloutStatus]int{}
	}
	p.n++
	p.total = r.Total
	p.counts[r.Status]++
	line := fmt.Sprintf("%d/%d done: %d updated, %d already current, %d failed (%.1fs)", p.n, p.total,
		p.counts[integratorio.RolloutUpdated], p.counts[integratorio.RolloutAlreadyCurrent], p.counts[integratorio.RolloutFailed],
		time.Since(p.start).Seconds())
	switch {
	case p.terminal:
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	case p.n%max(1, p.total/10) == 0 || p.n == p.total:
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) done() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

// summarize prints the counts, each failure with its step and reason, and
// the installs left locked.
func summarize(w io.Writer, report *integratorio.RolloutReport, took time.Duration, limited int) {
	fmt.Fprintf(w, "\nDone in %.1fs; the server answered 429 %d times.\n\n", took.Seconds(), limited)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range []integratorio.RolloutStatus{integratorio.RolloutUpdated, integratorio.RolloutAlreadyCurrent, integratorio.RolloutFailed, integratorio.RolloutCancelled, integratorio.RolloutNotStarted} {
		fmt.Fprintf(tw, "%s\t%d\n", s, report.Count(s))
	}
	fmt.Fprintf(tw, "left locked\t%d\n", len(report.LeftLocked()))
	tw.Flush()

	var failed []integratorio.RolloutResult
	for _, r := range report.Results {
		if r.Status == integratorio.RolloutFailed {
			failed = append(failed, r)
		}
	}
	if len(failed) == 0 {
		return
	}
	sort.Slice(failed, func(i, j int) bool { return failed[i].IntegrationID < failed[j].IntegrationID })
	fmt.Fprintln(w, "\nFailed (each left at its old version, unlocked unless said):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INTEGRATION\tFROM\tSTEP\tREASON")
	for _, r := range failed {
		step, reason := "", r.Err.Error()
		var mue *integratorio.ManagedUpdateError
		if errors.As(r.Err, &mue) {
			step, reason = string(mue.Phase), mue.Err.Error()
		}
		if r.Locked {
			reason += " (LEFT LOCKED)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.IntegrationID, r.FromVersion, step, strings.TrimPrefix(reason, "integratorio: "))
	}
	tw.Flush()
	if left := report.LeftLocked(); len(left) > 0 {
		fmt.Fprintf(w, "\nLeft locked (run the rollout again, or Integrations.Unlock each): %s\n", strings.Join(left, ", "))
	}
}
