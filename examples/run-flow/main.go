// Command run-flow is an operations bot: for one integration it reads the
// error summary of every flow, and for each step that has errors (the
// branches of routers included) retries the errors whose message matches
// a pattern of passing failures and resolves the rest; then it shows the
// latest job of each flow.
//
//	go run ./examples/run-flow
//
// It runs against the fake integrator.io API of package integratoriotest,
// in-process, so it needs no account (seed.go stores an integration of two
// flows, one with a router, their runs and their errors). triage uses only
// the SDK: with a client made by integratorio.NewClient(token) it works as
// it is on a real account. The token is never printed.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"regexp"
	"slices"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// passing matches the messages of failures worth retrying as they are:
// the target was busy or out of reach, the record itself is fine. Any
// other error fails the same way again until the data or the mapping
// changes, so it is resolved (after being written down).
var passing = regexp.MustCompile(`(?i)timed? ?out|rate limit|too many requests|503|ECONNRESET|temporarily unavailable`)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	srv := integratoriotest.NewServer()
	err := run(ctx, os.Stdout, srv)
	srv.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "run-flow:", err)
		os.Exit(1)
	}
}

// run seeds the fake and triages the integration on it.
func run(ctx context.Context, w io.Writer, srv *integratoriotest.Server) error {
	if err := seed(ctx, srv); err != nil {
		return fmt.Errorf("seeding the fake: %w", err)
	}
	// For a real account: integratorio.NewClient(token), with
	// integratorio.WithRegion(integratorio.RegionEurope) in Europe.
	client, err := integratorio.NewClient(srv.Token, integratorio.WithBaseURL(srv.URL), integratorio.WithUserAgent("run-flow"))
	if err != nil {
		return err
	}
	return triage(ctx, w, client, integrationID, passing)
}

// triage retries or resolves the open errors of every flow of the
// integration, and prints the latest job of each flow.
func triage(ctx context.Context, w io.Writer, client *integratorio.Client, integrationID string, retry *regexp.Regexp) error {
	names := map[string]string{}
	for flow, err := range client.Flows.All(ctx, &integratorio.ResourceListOptions{IntegrationID: integrationID}) {
		if err != nil {
			return fmt.Errorf("listing the flows: %w", err)
		}
		// One request tells which steps have errors: only those are listed.
		summary, err := client.Flows.ErrorSummary(ctx, flow.ID)
		if err != nil {
			return fmt.Errorf("flow %s: %w", flow.ID, err)
		}
		open := map[string]int{}
		for _, s := range summary {
			open[s.StepID] = s.NumErrors
		}
		names[flow.ID] = flow.Name
		fmt.Fprintf(w, "flow %q, steps with errors: %d\n", flow.Name, len(summary))
		for _, step := range flow.Steps() {
			if open[step.ID] == 0 {
				continue
			}
			delete(open, step.ID) // a step named in two places is triaged once
			if err := triageStep(ctx, w, client, flow.ID, step, retry); err != nil {
				return err
			}
		}
		// Errors of a step the flow no longer shows are triaged too.
		for _, id := range slices.Sorted(maps.Keys(open)) {
			if open[id] == 0 {
				continue
			}
			if err := triageStep(ctx, w, client, flow.ID, integratorio.FlowStep{ID: id, Type: "step"}, retry); err != nil {
				return err
			}
		}
	}
	latest, err := client.Jobs.Latest(ctx, &integratorio.LatestJobsOptions{IntegrationID: integrationID})
	if err != nil {
		return fmt.Errorf("latest jobs: %w", err)
	}
	fmt.Fprintln(w, "latest jobs:")
	for _, j := range latest {
		fmt.Fprintf(w, "  %q: job %s %s, %d ok, %d errors\n", names[j.FlowID], j.ID, j.Status, j.NumSuccess, j.NumError)
	}
	return nil
}

// triageStep retries the errors of one step whose message matches retry
// (and whose record the platform kept), and resolves the others.
func triageStep(ctx context.Context, w io.Writer, client *integratorio.Client, flowID string, step integratorio.FlowStep, retry *regexp.Regexp) error {
	var keys []integratorio.RetryDataKey
	var ids []integratorio.ErrorID
	for e, err := range client.Flows.Errors(ctx, flowID, step.ID, nil) {
		if err != nil {
			return fmt.Errorf("errors of step %s: %w", step.ID, err)
		}
		if e.RetryDataKey != "" && retry.MatchString(e.Message) {
			keys = append(keys, e.RetryDataKey)
		} else {
			ids = append(ids, e.ErrorID)
		}
	}
	where := step.Type + " " + step.ID
	if step.Router != "" {
		where += " (" + step.Router + " / " + step.Branch + ")"
	}
	fmt.Fprintf(w, "  %s: retry %d, resolve %d\n", where, len(keys), len(ids))
	if len(keys) > 0 {
		// Never repeated once it may have reached the server: on
		// integratorio.ErrUnknownOutcome, look at the step's errors
		// before retrying again.
		if _, err := client.Flows.RetryErrors(ctx, flowID, step.ID, keys...); err != nil {
			return fmt.Errorf("retrying %d errors of step %s: %w", len(keys), step.ID, err)
		}
	}
	if len(ids) > 0 {
		if err := client.Flows.ResolveErrors(ctx, flowID, step.ID, ids...); err != nil {
			return fmt.Errorf("resolving %d errors of step %s: %w", len(ids), step.ID, err)
		}
	}
	return nil
}
