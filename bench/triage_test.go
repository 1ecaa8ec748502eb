package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// BenchmarkTriage triages the errors of an integration of 20 flows of 5
// steps each (a page generator and four imports, two of them in the
// branches of a router), with 1,000 open errors on each step that has
// errors, on the fake delaying every answer by 20 ms: every flow's error
// summary, then for each step with errors its pages of errors, one retry
// of those whose message names a passing failure (half of them) and one
// resolve of the rest. Flows and steps are triaged by a pool of workers.
// steps=all has errors on every step, steps=one on the last import of each
// flow only (the summary spares the other steps a listing). latency=0
// runs the same without delay: the time the client and the fake spend
// computing, which the bound leaves out.
//
// Reported per run: reqs, the requests sent; x-min, reqs over the
// minimum (the flow listing, one summary per flow, the pages of the steps
// with errors, one retry and one resolve per step with errors); x-bound,
// the wall time over reqs × latency / concurrency; ms/run.
func BenchmarkTriage(b *testing.B) {
	const (
		flows       = 20
		stepsPer    = 5
		errsPer     = 1000
		concurrency = 16
	)
	for _, k := range []struct {
		mode    string
		latency time.Duration
	}{{"all", 20 * time.Millisecond}, {"one", 20 * time.Millisecond}, {"all", 0}, {"one", 0}} {
		mode, latency := k.mode, k.latency
		b.Run(fmt.Sprintf("steps=%s/latency=%v", mode, latency), func(b *testing.B) {
			var reqs, ratio, bound, ms float64
			minimum := 0
			for range b.N {
				b.StopTimer()
				srv := integratoriotest.NewServer(integratoriotest.WithLatency(latency))
				withErrors := seedTriage(b, srv, flows, errsPer, mode == "all")
				minimum = 1 + flows + withErrors*(pagesOf(errsPer, integratoriotest.DefaultPageSize)+2)
				client := srv.Client()
				b.StartTimer()

				start := time.Now()
				if err := triageAll(context.Background(), client, triageIntegration, concurrency); err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)

				b.StopTimer()
				n := len(srv.Requests())
				reqs += float64(n)
				ratio += float64(n) / float64(minimum)
				if latency > 0 {
					bound += took.Seconds() / (float64(n) * latency.Seconds() / concurrency)
				}
				ms += float64(took.Milliseconds())
				srv.Close()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(reqs/n, "reqs")
			b.ReportMetric(float64(minimum), "min-reqs")
			b.ReportMetric(ratio/n, "x-min")
			if latency > 0 {
				b.ReportMetric(bound/n, "x-bound")
			}
			b.ReportMetric(ms/n, "ms/run")
		})
	}
}

const triageIntegration = "1ntegrat10n0000000000009"

// pagesOf is how many pages n errors take, size a page.
func pagesOf(n, size int) int {
	return max(1, (n+size-1)/size)
}

// seedTriage stores the integration and its flows, and errs errors on
// every step (all) or on the last import of each flow; it returns how
// many steps have errors. The server's request log is cleared.
func seedTriage(b testing.TB, srv *integratoriotest.Server, flows, errs int, all bool) int {
	b.Helper()
	if _, err := srv.AddJSON("integrations", []byte(`{"_id":"`+triageIntegration+`","name":"big"}`)); err != nil {
		b.Fatal(err)
	}
	withErrors := 0
	for f := range flows {
		id := fmt.Sprintf("f10w%020d", f)
		step := func(i int) string { return fmt.Sprintf("s%02d%021d", i, f) }
		doc := fmt.Sprintf(`{"_id":%q,"_integrationId":%q,"name":"flow %d","pageGenerators":[{"_exportId":%q}],
			"routers":[{"name":"r","branches":[{"name":"a","pageProcessors":[{"type":"import","_importId":%q},{"type":"import","_importId":%q}]},
			{"name":"b","pageProcessors":[{"type":"import","_importId":%q}]}],"nextRouterId":"r2"},
			{"id":"r2","branches":[{"pageProcessors":[{"type":"import","_importId":%q}]}]}]}`,
			id, triageIntegration, f, step(0), step(1), step(2), step(3), step(4))
		if _, err := srv.AddJSON("flows", []byte(doc)); err != nil {
			b.Fatal(err)
		}
		for s := range 5 {
			if !all && s != 4 {
				continue
			}
			withErrors++
			docs := make([][]byte, errs)
			for i := range docs {
				msg := "Field 'sku' is required"
				if i%2 == 0 {
					msg = "Request timed out after 30000 ms"
				}
				docs[i] = fmt.Appendf(nil, `{"code":"c","message":%q,"source":"application","retryDataKey":"rdk-%d-%d-%d"}`, msg, f, s, i)
			}
			if err := srv.AddFlowErrors(id, step(s), docs...); err != nil {
				b.Fatal(err)
			}
		}
	}
	srv.ResetRequests()
	return withErrors
}

// triageAll triages every flow of the integration with a pool of
// workers: each flow's summary, then each step with errors.
func triageAll(ctx context.Context, client *integratorio.Client, integrationID string, concurrency int) error {
	type task struct {
		flow *integratorio.Flow
		step string // empty: read the flow's summary
	}
	tasks := make(chan task, 1024)
	var pending sync.WaitGroup
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
	}
	var workers sync.WaitGroup
	for range concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for t := range tasks {
				if t.step == "" {
					summary, err := client.Flows.ErrorSummary(ctx, t.flow.ID)
					if err != nil {
						fail(err)
					}
					open := map[string]bool{}
					for _, s := range summary {
						open[s.StepID] = s.NumErrors > 0
					}
					for _, s := range t.flow.Steps() {
						if open[s.ID] {
							open[s.ID] = false
							pending.Add(1)
							tasks <- task{t.flow, s.ID}
						}
					}
				} else if err := triageStep(ctx, client, t.flow.ID, t.step); err != nil {
					fail(err)
				}
				pending.Done()
			}
		}()
	}
	var err error
	pending.Add(1) // the listing
	for f, lerr := range client.Flows.All(ctx, &integratorio.ResourceListOptions{IntegrationID: integrationID}) {
		if lerr != nil {
			err = lerr
			break
		}
		pending.Add(1)
		tasks <- task{flow: f}
	}
	pending.Done()
	pending.Wait()
	close(tasks)
	workers.Wait()
	if err != nil {
		return err
	}
	return first
}

// triageStep retries a step's errors that timed out and resolves the rest.
func triageStep(ctx context.Context, client *integratorio.Client, flowID, stepID string) error {
	var keys []integratorio.RetryDataKey
	var ids []integratorio.ErrorID
	for e, err := range client.Flows.Errors(ctx, flowID, stepID, nil) {
		if err != nil {
			return err
		}
		if strings.Contains(e.Message, "timed out") {
			keys = append(keys, e.RetryDataKey)
		} else {
			ids = append(ids, e.ErrorID)
		}
	}
	if len(keys) > 0 {
		if _, err := client.Flows.RetryErrors(ctx, flowID, stepID, keys...); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		return client.Flows.ResolveErrors(ctx, flowID, stepID, ids...)
	}
	return nil
}

// TestTriageSendsTheMinimum runs the benchmark's triage once, small and
// without latency, and checks the requests it sent: the minimum, each
// kind counted.
func TestTriageSendsTheMinimum(t *testing.T) {
	for _, all := range []bool{true, false} {
		srv := integratoriotest.NewServer(integratoriotest.WithPageSize(100))
		withErrors := seedTriage(t, srv, 3, 250, all)
		if err := triageAll(context.Background(), srv.Client(), triageIntegration, 4); err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, r := range srv.Requests() {
			kind := r.Method + " " + r.Path[strings.LastIndex(r.Path, "/"):]
			if strings.Count(r.Path, "/") == 3 && strings.HasSuffix(r.Path, "/errors") {
				kind = "summary"
			}
			count[kind]++
			if r.Status >= 300 {
				t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
			}
		}
		want := map[string]int{"GET /flows": 1, "summary": 3, "GET /errors": withErrors * pagesOf(250, 100),
			"POST /retry": withErrors, "PUT /resolved": withErrors}
		if fmt.Sprint(count) != fmt.Sprint(want) {
			t.Errorf("all=%v: requests %v; want %v", all, count, want)
		}
		for f := range 3 {
			for s := range 5 {
				_, resolved := srv.FlowErrorsJSON(fmt.Sprintf("f10w%020d", f), fmt.Sprintf("s%02d%021d", s, f))
				if want := 125; (all || s == 4) && len(resolved) != want {
					t.Errorf("flow %d step %d: %d resolved; want %d", f, s, len(resolved), want)
				}
			}
		}
		srv.Close()
	}
}
