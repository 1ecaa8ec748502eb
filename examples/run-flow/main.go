// Command run-flow runs a flow and deals with the errors its run leaves:
// it starts the flow, waits for the job, lists the errors of the flow's
// import, retries those that failed for a passing reason, and resolves
// the rest.
//
//	go run ./examples/run-flow
//
// It runs against the fake integrator.io API of package integratoriotest,
// in-process, so it needs no account. The program seeds the fake with an
// integration and a flow (one export, one import) and scripts the run to
// complete with failed records, as a real run often does. runFlow,
// handleErrors and openErrors use only the SDK: with a client made by
// integratorio.NewClient(token) they work as they are on a real account.
// The token is never printed.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// The ids of what the program seeds. The fake stores flows but no exports
// or imports, so the step ids are only names in the flow.
const (
	integrationID = "65f0a1b2c3d4e5f6a7b8c900"
	flowID        = "65f0a1b2c3d4e5f6a7b8c910"
	exportID      = "65f0a1b2c3d4e5f6a7b8c920" // orders from the shop
	importID      = "65f0a1b2c3d4e5f6a7b8c930" // orders into the ERP
)

// transientCodes are the error codes worth retrying as they are: the
// target was busy or out of reach, the record itself is fine. Any other
// error (a missing field, a duplicate, a value refused) fails the same
// way again until the data or the mapping changes, so it is resolved
// instead, once written down for someone to fix at the source.
var transientCodes = map[string]bool{
	"429":        true, // rate limited
	"503":        true, // service unavailable
	"ETIMEDOUT":  true,
	"ECONNRESET": true,
}

// retryable reports whether an error is retried: its code is transient
// and the platform kept the record's data to retry it with.
func retryable(e *integratorio.FlowError) bool {
	return transientCodes[e.Code] && e.RetryDataKey != ""
}

// pollInterval is short because the fake ends a job on its second read. A
// real run takes seconds to hours: poll every few seconds there.
const pollInterval = 100 * time.Millisecond

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

// run seeds the fake srv, runs the flow on it and handles the errors.
func run(ctx context.Context, w io.Writer, srv *integratoriotest.Server) error {
	if err := seed(srv); err != nil {
		return fmt.Errorf("seeding the fake: %w", err)
	}
	fmt.Fprintln(w, "Using a local fake of the integrator.io API, seeded with one flow:")
	fmt.Fprintf(w, "  flow %s: export %s -> import %s\n", flowID, exportID, importID)

	// For a real account: integratorio.NewClient(token), with
	// integratorio.WithRegion(integratorio.RegionEurope) in Europe.
	client, err := integratorio.NewClient(srv.Token, integratorio.WithBaseURL(srv.URL), integratorio.WithUserAgent("run-flow"))
	if err != nil {
		return err
	}

	job, err := runFlow(ctx, w, client, flowID)
	if err != nil {
		return err
	}

	// The fake moves no data: record on it the errors a real run would
	// have left on the import, and script the retry to come.
	if err := recordRunErrors(srv, job.ID); err != nil {
		return fmt.Errorf("seeding the fake: %w", err)
	}

	t, err := handleErrors(ctx, w, client, flowID, importID)
	if err != nil {
		return err
	}
	left, err := openErrors(ctx, client, flowID, importID)
	if err != nil {
		return err
	}

	fmt.Fprintln(w, "\nSummary")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  run\tjob %s %s: %s\n", job.ID, job.Status, counts(job))
	retryOutcome := "nothing to retry"
	switch {
	case t.retryJob != nil:
		retryOutcome = fmt.Sprintf("retry job %s: %s", t.retryJob.Status, counts(t.retryJob))
	case len(t.retried) > 0:
		retryOutcome = "retry accepted, no job named"
	}
	fmt.Fprintf(tw, "  retried\t%d %s, %s\n", len(t.retried), records(t.retried), retryOutcome)
	fmt.Fprintf(tw, "  resolved\t%d %s\n", len(t.resolved), records(t.resolved))
	fmt.Fprintf(tw, "  still open\t%d\n", left)
	return tw.Flush()
}

// runFlow starts the flow and waits for its job to end.
func runFlow(ctx context.Context, w io.Writer, client *integratorio.Client, flowID string) (*integratorio.Job, error) {
	fmt.Fprintln(w, "\n1. Run the flow")
	// Run is never repeated by the SDK once the request may have reached
	// the server. On an error matching integratorio.ErrUnknownOutcome the
	// run may have started: look for its job (client.Jobs.List with a
	// JobListOptions{FlowID: flowID}) before running the flow again.
	res, err := client.Flows.Run(ctx, flowID, nil)
	if err != nil {
		return nil, fmt.Errorf("running flow %s: %w", flowID, err)
	}
	fmt.Fprintf(w, "  started job %s\n", res.JobID)
	job, err := waitJob(ctx, client, res.JobID)
	if err != nil {
		return nil, err
	}
	// A job can complete with failed records: read NumError, not only
	// Status.
	fmt.Fprintf(w, "  job %s: %s\n", job.Status, counts(job))
	return job, nil
}

// waitJob waits for a job to end, at most ten minutes. Jobs.Wait returns
// the job whatever status it ends in (completed, failed or canceled);
// its error is for a failed read or the context's end.
func waitJob(ctx context.Context, client *integratorio.Client, jobID string) (*integratorio.Job, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	job, err := client.Jobs.Wait(ctx, jobID, &integratorio.WaitOptions{Interval: pollInterval, MaxInterval: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("waiting for job %s: %w", jobID, err)
	}
	return job, nil
}

// triage is what handleErrors did.
type triage struct {
	retried, resolved []*integratorio.FlowError
	retryJob          *integratorio.Job // nil when nothing was retried, or the API named no job
}

// handleErrors lists the open errors of one step of the flow, retries the
// retryable ones, waits for the retry, and resolves the others.
func handleErrors(ctx context.Context, w io.Writer, client *integratorio.Client, flowID, stepID string) (*triage, error) {
	fmt.Fprintln(w, "\n2. List the import's open errors")
	t := &triage{}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  RECORD\tCODE\tMESSAGE\tACTION")
	// Errors fetches the pages as the loop goes; an error ends the loop.
	for e, err := range client.Flows.Errors(ctx, flowID, stepID, nil) {
		if err != nil {
			tw.Flush()
			return nil, fmt.Errorf("listing the errors of step %s: %w", stepID, err)
		}
		action := "resolve"
		if retryable(e) {
			action = "retry"
			t.retried = append(t.retried, e)
		} else {
			t.resolved = append(t.resolved, e)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.TraceKey, e.Code, e.Message, action)
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}

	fmt.Fprintf(w, "\n3. Retry the %d transient errors\n", len(t.retried))
	if len(t.retried) > 0 {
		keys := make([]integratorio.RetryDataKey, len(t.retried))
		for i, e := range t.retried {
			keys[i] = e.RetryDataKey
		}
		// Like Run, RetryErrors is never repeated once it may have reached
		// the server: a repeated retry sends the records twice.
		res, err := client.Flows.RetryErrors(ctx, flowID, stepID, keys...)
		if err != nil {
			return nil, fmt.Errorf("retrying %d errors of step %s: %w", len(keys), stepID, err)
		}
		// The API does not document the answer to a retry: JobID may be
		// empty, and then there is no job to wait for.
		if res.JobID == "" {
			fmt.Fprintln(w, "  retry accepted; the answer names no job to wait for")
		} else {
			fmt.Fprintf(w, "  started retry job %s\n", res.JobID)
			if t.retryJob, err = waitJob(ctx, client, res.JobID); err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "  retry job %s: %s\n", t.retryJob.Status, counts(t.retryJob))
		}
	}

	fmt.Fprintf(w, "\n4. Resolve the other %d errors\n", len(t.resolved))
	if len(t.resolved) > 0 {
		ids := make([]integratorio.ErrorID, len(t.resolved))
		for i, e := range t.resolved {
			ids[i] = e.ErrorID
		}
		if err := client.Flows.ResolveErrors(ctx, flowID, stepID, ids...); err != nil {
			return nil, fmt.Errorf("resolving %d errors of step %s: %w", len(ids), stepID, err)
		}
		fmt.Fprintf(w, "  resolved %s\n", records(t.resolved))
	}
	return t, nil
}

// openErrors counts the errors of a step still open.
func openErrors(ctx context.Context, client *integratorio.Client, flowID, stepID string) (int, error) {
	n := 0
	for _, err := range client.Flows.Errors(ctx, flowID, stepID, nil) {
		if err != nil {
			return 0, fmt.Errorf("listing the errors of step %s: %w", stepID, err)
		}
		n++
	}
	return n, nil
}

// counts describes a finished job's records.
func counts(j *integratorio.Job) string {
	return fmt.Sprintf("%d succeeded, %d failed, %d ignored", j.NumSuccess, j.NumError, j.NumIgnore)
}

// records names the records of errors by their trace keys: "(A, B)".
func records(errs []*integratorio.FlowError) string {
	keys := make([]string, len(errs))
	for i, e := range errs {
		keys[i] = e.TraceKey
	}
	return "(" + strings.Join(keys, ", ") + ")"
}

// The fake's side. Nothing below is needed on a real account: there the
// integration and flow exist, and the platform runs the flow and records
// its errors.

// seed stores the integration and the flow, and scripts the run: it
// completes, 45 records through and 5 failed on the import.
func seed(srv *integratoriotest.Server) error {
	if _, err := srv.AddJSON("integrations", []byte(`{"_id":"`+integrationID+`","name":"Shop - ERP orders"}`)); err != nil {
		return err
	}
	flow := `{"_id":"` + flowID + `","name":"Orders to ERP","_integrationId":"` + integrationID + `","disabled":true,
	  "pageGenerators":[{"_exportId":"` + exportID + `"}],
	  "pageProcessors":[{"type":"import","_importId":"` + importID + `"}]}`
	if _, err := srv.AddJSON("flows", []byte(flow)); err != nil {
		return err
	}
	srv.ScriptRuns(flowID, integratoriotest.RunScript{Status: integratorio.JobCompleted, NumSuccess: 45, NumError: 5})
	return nil
}

// runErrors are the import's five failed records: three the ERP could not
// take at that moment, two it refused.
var runErrors = []struct{ record, code, message, source, retryKey string }{
	{"ORD-1001", "ETIMEDOUT", "Request to the ERP timed out after 120 s", "connection", "9b1c0e6a2f4d4c1e8a7b3d5f6e0a1c2b"},
	{"ORD-1002", "MISSING_REQUIRED_FIELD", "Customer email is required", "application", "4e2d7a9c1b3f4e5d8c6a0b2f1e3d5c7a"},
	{"ORD-1003", "429", "Too many requests: the ERP's rate limit was reached", "connection", "7c5a3e1f9d2b4a6c8e0f1d3b5a7c9e2d"},
	{"ORD-1004", "DUPLICATE_RECORD", "Sales order ORD-1004 already exists", "application", "2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c0e"},
	{"ORD-1005", "ECONNRESET", "Connection reset by the ERP", "connection", "5f7d9b1a3c5e7f9a1c3e5b7d9f1a3c5e"},
}

// recordRunErrors stores runErrors on the fake as the errors of the import
// in run job runJobID, and scripts the retry of the example's next step to
// complete with every record through (a retry, like a run, goes by the
// flow's script).
func recordRunErrors(srv *integratoriotest.Server, runJobID string) error {
	docs := make([][]byte, len(runErrors))
	for i, e := range runErrors {
		b, err := json.Marshal(map[string]string{
			"traceKey": e.record, "code": e.code, "message": e.message, "source": e.source,
			"retryDataKey": e.retryKey, "_flowJobId": runJobID,
		})
		if err != nil {
			return err
		}
		docs[i] = b
	}
	if err := srv.AddFlowErrors(flowID, importID, docs...); err != nil {
		return err
	}
	transient := 0
	for _, e := range runErrors {
		if transientCodes[e.code] {
			transient++
		}
	}
	srv.ScriptRuns(flowID, integratoriotest.RunScript{Status: integratorio.JobCompleted, NumSuccess: transient})
	return nil
}
