package integratoriotest_test

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// The summary counts the open errors the lists list, step by step, before
// and after some are resolved and retried.
func TestErrorSummaryAgreesWithTheErrorsListed(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(7))
	flow := seedFlow(t, srv, `{"name":"F","pageGenerators":[{"_exportId":"exp"}],"routers":[{"branches":[{"pageProcessors":[{"type":"import","_importId":"imp1"}]},{"pageProcessors":[{"type":"import","_importId":"imp2"}]}]}]}`)
	for step, n := range map[string]int{"exp": 3, "imp1": 20, "imp2": 0} {
		var errs [][]byte
		for i := range n {
			errs = append(errs, []byte(fmt.Sprintf(`{"code":"c","retryDataKey":"%s-k%d","occurredAt":"2024-03-01T00:00:%02d.000Z"}`, step, i, i)))
		}
		require.NoError(t, srv.AddFlowErrors(flow, step, errs...))
	}
	c := srv.Client()
	ctx := context.Background()
	check := func(want map[string]int) {
		t.Helper()
		sum, err := c.Flows.ErrorSummary(ctx, flow)
		require.NoError(t, err)
		got := map[string]int{}
		for _, s := range sum {
			got[s.StepID] = s.NumErrors
			list, err := collectErrors(c.Flows.Errors(ctx, flow, s.StepID, nil))
			require.NoError(t, err)
			assert.Len(t, list, s.NumErrors, s.StepID)
			assert.Equal(t, list[0].OccurredAt, s.LastErrorAt, "the newest error's time")
		}
		assert.Equal(t, want, got)
	}
	check(map[string]int{"exp": 3, "imp1": 20})

	list, err := collectErrors(c.Flows.Errors(ctx, flow, "imp1", nil))
	require.NoError(t, err)
	require.NoError(t, c.Flows.ResolveErrors(ctx, flow, "imp1", list[0].ErrorID, list[1].ErrorID))
	run, err := c.Flows.RetryErrors(ctx, flow, "exp", "exp-k0", "exp-k1", "exp-k2")
	require.NoError(t, err)
	_, err = c.Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.NoError(t, err)
	check(map[string]int{"imp1": 18})

	// The resolved list, and deleting from it.
	resolved, err := collectErrors(c.Flows.ResolvedErrors(ctx, flow, "imp1", nil))
	require.NoError(t, err)
	require.Len(t, resolved, 2)
	require.NoError(t, c.Flows.DeleteResolvedErrors(ctx, flow, "imp1", resolved[0].ErrorID))
	open, gone := srv.FlowErrorsJSON(flow, "imp1")
	assert.Len(t, open, 18)
	assert.Len(t, gone, 1)

	// Retried by id.
	run, err = c.Flows.RetryErrorsByID(ctx, flow, "imp1", list[2].ErrorID)
	require.NoError(t, err)
	_, err = c.Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.NoError(t, err)
	check(map[string]int{"imp1": 17})

	_, err = c.Flows.ErrorSummary(ctx, "nope")
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
}

func collectErrors(seq iter.Seq2[*integratorio.FlowError, error]) ([]*integratorio.FlowError, error) {
	var out []*integratorio.FlowError
	for e, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// seedOperationJobs stores jobs: two flows of integration i1 and one of i2, with
// flow jobs in several states and child jobs.
func seedOperationJobs(t *testing.T, srv *integratoriotest.Server) {
	t.Helper()
	for _, doc := range []string{`{"_id":"i1","name":"one"}`, `{"_id":"i2","name":"two"}`} {
		_, err := srv.AddJSON("integrations", []byte(doc))
		require.NoError(t, err)
	}
	for _, doc := range []string{`{"_id":"f1","_integrationId":"i1"}`, `{"_id":"f2","_integrationId":"i1"}`, `{"_id":"f3","_integrationId":"i2"}`} {
		seedFlow(t, srv, doc)
	}
	_, err := srv.AddJSON("jobs", []byte(`[
		{"_id":"j1","type":"flow","_flowId":"f1","_integrationId":"i1","status":"completed","retriable":true,"createdAt":"2024-03-01T00:00:00.000Z"},
		{"_id":"j2","type":"flow","_flowId":"f1","_integrationId":"i1","status":"running","createdAt":"2024-03-02T00:00:00.000Z"},
		{"_id":"j2e","type":"export","_flowJobId":"j2","_flowId":"f1","_integrationId":"i1","status":"running","createdAt":"2024-03-02T00:00:01.000Z"},
		{"_id":"j2i","type":"import","_flowJobId":"j2","_flowId":"f1","_integrationId":"i1","status":"queued","createdAt":"2024-03-02T00:00:02.000Z"},
		{"_id":"j3","type":"flow","_flowId":"f2","_integrationId":"i1","status":"queued","createdAt":"2024-03-01T12:00:00.000Z"},
		{"_id":"j4","type":"retry","_flowId":"f2","_integrationId":"i1","status":"running","createdAt":"2024-03-03T00:00:00.000Z"},
		{"_id":"j5","type":"flow","_flowId":"f3","_integrationId":"i2","status":"failed","retriable":true,"createdAt":"2024-03-01T00:00:00.000Z"},
		{"_id":"j6","type":"flow","_flowId":"f3","_integrationId":"i2","status":"canceling","createdAt":"2024-02-01T00:00:00.000Z"}
	]`))
	require.NoError(t, err)
}

func jobIDs(jobs []*integratorio.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func TestLatestCurrentAndFamilyJobs(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(1))
	seedOperationJobs(t, srv)
	c := srv.Client()
	ctx := context.Background()

	latest, err := c.Jobs.Latest(ctx, &integratorio.LatestJobsOptions{FlowID: "f1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"j2"}, jobIDs(latest), "the newest flow job of the flow")
	latest, err = c.Jobs.Latest(ctx, &integratorio.LatestJobsOptions{IntegrationID: "i1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"j2", "j3"}, jobIDs(latest), "one per flow, newest first")
	_, err = c.Jobs.Latest(ctx, &integratorio.LatestJobsOptions{FlowID: "nope"})
	assert.ErrorIs(t, err, integratorio.ErrNotFound)

	current := func(opts *integratorio.CurrentJobsOptions) []string {
		t.Helper()
		var ids []string
		for j, err := range c.Jobs.Current(ctx, opts) {
			require.NoError(t, err)
			ids = append(ids, j.ID)
		}
		return ids
	}
	// Page size 1: every job is a page of its own.
	assert.Equal(t, []string{"j4", "j2", "j3"}, current(nil), "queued and running parent jobs, newest first")
	assert.Equal(t, []string{"j2"}, current(&integratorio.CurrentJobsOptions{FlowIDs: []string{"f1"}}))
	assert.Equal(t, []string{"j6"}, current(&integratorio.CurrentJobsOptions{IntegrationIDs: []string{"i2"}, Statuses: []integratorio.JobStatus{integratorio.JobCanceling}}))
	posts := 0
	for _, r := range srv.Requests() {
		if r.Path == "/jobs/current" {
			require.Equal(t, http.MethodPost, r.Method)
			posts++
		}
	}
	assert.Equal(t, 3+1+1, posts)

	for _, id := range []string{"j2", "j2e"} {
		fam, err := c.Jobs.Family(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, []string{"j2", "j2e", "j2i"}, jobIDs(fam), id)
	}
	fam, err := c.Jobs.Family(ctx, "j5")
	require.NoError(t, err)
	assert.Equal(t, []string{"j5"}, jobIDs(fam))
	_, err = c.Jobs.Family(ctx, "nope")
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
}

func TestJobListFilters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seedOperationJobs(t, srv)
	c := srv.Client()
	ctx := context.Background()
	for _, k := range []struct {
		opts *integratorio.JobListOptions
		want []string
	}{
		{&integratorio.JobListOptions{JobID: "j3"}, []string{"j3"}},
		{&integratorio.JobListOptions{FlowIDs: []string{"f2", "f3"}}, []string{"j4", "j3", "j5", "j6"}},
		{&integratorio.JobListOptions{IntegrationID: "i1", Types: []string{"retry", "export"}}, []string{"j4", "j2e"}},
		{&integratorio.JobListOptions{FlowIDs: []string{"f1", "f3"}, Retriable: true}, []string{"j5", "j1"}}, // same createdAt: the last added first,
	} {
		jobs, err := c.Jobs.List(ctx, k.opts)
		require.NoError(t, err)
		assert.Equal(t, k.want, jobIDs(jobs), "%+v", k.opts)
	}
	// retriable=false and repeated type_in keys, on the wire.
	a := rawReq(t, srv, "GET", "/jobs?_integrationId=i2&retriable=false", "")
	assert.Contains(t, string(a.body), `"j6"`)
	assert.NotContains(t, string(a.body), `"j5"`)
	a = rawReq(t, srv, "GET", "/jobs?_flowId=f1&type_in=export&type_in=import", "")
	assert.Contains(t, string(a.body), `"j2e"`)
	assert.Contains(t, string(a.body), `"j2i"`)
	assert.NotContains(t, string(a.body), `"_id":"j2",`)
	assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "GET", "/jobs?_flowId=f1&retriable=maybe", "").status)
	assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "GET", "/jobs?type_in=export,flow", "").status, "child jobs need an id")
}

// A connection whose server pings by GET only: the SDK's POST is answered
// 404 or 405 and its GET decides.
func TestPingPOSTStatus(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusNotFound, http.StatusMethodNotAllowed} {
		srv := newServer(t)
		id, err := srv.AddJSON("connections", []byte(`{"name":"c","type":"http"}`))
		require.NoError(t, err)
		srv.SetPingAnswer(id, integratoriotest.PingAnswer{POSTStatus: status, Code: 401, Errors: []integratorio.ErrorDetail{{Code: "auth", Message: "bad key"}}})
		err = srv.Client().Connections.Ping(context.Background(), id)
		assert.ErrorIs(t, err, integratorio.ErrConnectionFailed)
		assert.ErrorContains(t, err, "bad key")
		var methods []string
		for _, r := range srv.Requests() {
			methods = append(methods, fmt.Sprint(r.Method, " ", r.Status))
		}
		assert.Equal(t, []string{fmt.Sprint("POST ", status), "GET 200"}, methods)
		if status == http.StatusMethodNotAllowed {
			assert.Equal(t, "GET", rawReq(t, srv, "POST", "/connections/"+id+"/ping", "").header.Get("Allow"))
		}
		srv.SetPingAnswer(id, integratoriotest.PingAnswer{POSTStatus: status})
		require.NoError(t, srv.Client().Connections.Ping(context.Background(), id))
	}
	srv := newServer(t)
	assert.Panics(t, func() { srv.SetPingAnswer("c", integratoriotest.PingAnswer{POSTStatus: 500}) })
}

func TestRunBodyIsChecked(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	flow := seedFlow(t, srv, `{"name":"F"}`)
	c := srv.Client()
	_, err := c.Flows.Run(context.Background(), flow, &integratorio.RunOptions{StartDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), ExportIDs: []string{"e1"}})
	require.NoError(t, err)
	for _, body := range []string{`{"export":"yesterday"}`, `{"export":{"startDate":"yesterday"}}`, `{"_exportIds":"e1"}`} {
		a := rawReq(t, srv, "POST", "/flows/"+flow+"/run", body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
	}
}
