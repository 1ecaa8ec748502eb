package integratoriotest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// errorsOf lists the open errors of a step through the SDK, as errorId
// list.
func errorsOf(t *testing.T, srv *integratoriotest.Server, flow, step string, opts *integratorio.FlowErrorListOptions) []string {
	t.Helper()
	var out []string
	for e, err := range srv.Client().Flows.Errors(context.Background(), flow, step, opts) {
		require.NoError(t, err)
		out = append(out, string(e.ErrorID))
	}
	return out
}

// flowWithErrors stores a flow with errors e1..e5 on step "exp" (e5 the
// newest; e3 and e4 in the same millisecond) and returns its id.
func flowWithErrors(t *testing.T, srv *integratoriotest.Server) string {
	t.Helper()
	flow := seedFlow(t, srv, `{"name":"F","_integrationId":"i"}`)
	var errs [][]byte
	for i, at := range []string{"00.000", "01.000", "02.000", "02.000", "03.000"} {
		source := "application"
		if i%2 == 1 {
			source = "connection"
		}
		errs = append(errs, []byte(fmt.Sprintf(`{"errorId":"e%d","code":"c","message":"m","source":%q,"retryDataKey":"k%d","occurredAt":"2024-03-01T00:00:%sZ","oIndex":%d}`, i+1, source, i+1, at, i)))
	}
	require.NoError(t, srv.AddFlowErrors(flow, "exp", errs...))
	return flow
}

// The errors of a step page by nextPageURL, a relative URL with an opaque
// cursor, newest first, with the server's page size.
func TestFlowErrorsPaging(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(2))
	flow := flowWithErrors(t, srv)

	assert.Equal(t, []string{"e5", "e4", "e3", "e2", "e1"}, errorsOf(t, srv, flow, "exp", nil))
	var paths []string
	for _, r := range srv.Requests() {
		paths = append(paths, r.Path)
		assert.Equal(t, http.StatusOK, r.Status)
	}
	assert.Equal(t, []string{"/flows/" + flow + "/exp/errors", "/flows/" + flow + "/exp/errors", "/flows/" + flow + "/exp/errors"}, paths)

	a := rawReq(t, srv, "GET", "/flows/"+flow+"/exp/errors?source=application", "")
	require.Equal(t, http.StatusOK, a.status)
	var page struct {
		Errors      []map[string]any `json:"errors"`
		NextPageURL string           `json:"nextPageURL"`
	}
	require.NoError(t, json.Unmarshal(a.body, &page))
	require.Len(t, page.Errors, 2)
	assert.Equal(t, "e5", page.Errors[0]["errorId"])
	assert.Equal(t, float64(4), page.Errors[0]["oIndex"], "members are kept")
	next, err := url.Parse(page.NextPageURL)
	require.NoError(t, err)
	assert.Empty(t, next.Host, "relative")
	assert.Equal(t, "/v1/flows/"+flow+"/exp/errors", next.Path)
	assert.Equal(t, "application", next.Query().Get("source"), "the filters are kept")
	assert.NotEmpty(t, next.Query().Get("after"))

	// Resolving an error of the next page between pages shifts nothing.
	require.NoError(t, srv.Client().Flows.ResolveErrors(context.Background(), flow, "exp", "e5"))
	a = rawReq(t, srv, "GET", strings.TrimPrefix(page.NextPageURL, "/v1"), "")
	require.Equal(t, http.StatusOK, a.status)
	page.NextPageURL = ""
	require.NoError(t, json.Unmarshal(a.body, &page))
	require.Len(t, page.Errors, 1)
	assert.Equal(t, "e1", page.Errors[0]["errorId"])
	assert.Empty(t, page.NextPageURL, "no next page on the last")

	a = rawReq(t, srv, "GET", "/flows/"+flow+"/exp/errors?after=nonsense", "")
	assert.Equal(t, http.StatusBadRequest, a.status)
	a = rawReq(t, srv, "GET", "/flows/"+flow+"/other/errors", "")
	assert.JSONEq(t, `{"errors":[]}`, string(a.body), "a step without errors")
	a = rawReq(t, srv, "GET", "/flows/5f0000000000000000000000/exp/errors", "")
	assert.Equal(t, http.StatusNotFound, a.status)
}

// occurredAt bounds are inclusive to the millisecond; source keeps one
// source.
func TestFlowErrorsFilters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	flow := flowWithErrors(t, srv)
	at := func(s string) time.Time { return time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(mustDuration(t, s)) }

	assert.Equal(t, []string{"e4", "e3", "e2"}, errorsOf(t, srv, flow, "exp", &integratorio.FlowErrorListOptions{OccurredAfter: at("1s"), OccurredBefore: at("2s")}))
	assert.Equal(t, []string{"e5"}, errorsOf(t, srv, flow, "exp", &integratorio.FlowErrorListOptions{OccurredAfter: at("2001ms")}))
	assert.Equal(t, []string{"e1"}, errorsOf(t, srv, flow, "exp", &integratorio.FlowErrorListOptions{OccurredBefore: at("999ms")}))
	assert.Equal(t, []string{"e4", "e2"}, errorsOf(t, srv, flow, "exp", &integratorio.FlowErrorListOptions{Source: "connection"}))
	a := rawReq(t, srv, "GET", "/flows/"+flow+"/exp/errors?occurredAt_gte=soon", "")
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "occurredAt_gte", a.envelope(t)["field"])
}

// Resolving moves errors to the resolved list (unknown ids are ignored);
// GET …/resolved lists them.
func TestFlowErrorsResolve(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	flow := flowWithErrors(t, srv)

	require.NoError(t, c.Flows.ResolveErrors(context.Background(), flow, "exp", "e2", "e4", "nope"))
	assert.Equal(t, []string{"e5", "e3", "e1"}, errorsOf(t, srv, flow, "exp", nil))
	a := rawReq(t, srv, "GET", "/flows/"+flow+"/exp/resolved", "")
	require.Equal(t, http.StatusOK, a.status)
	var resolved struct {
		Resolved []map[string]any `json:"resolved"`
	}
	require.NoError(t, json.Unmarshal(a.body, &resolved))
	require.Len(t, resolved.Resolved, 2)
	assert.Equal(t, "e4", resolved.Resolved[0]["errorId"])
	assert.Regexp(t, timestamp, resolved.Resolved[0]["resolvedAt"])
	open, res := srv.FlowErrorsJSON(flow, "exp")
	assert.Len(t, open, 3)
	assert.Len(t, res, 2)
	last := srv.Requests()[0]
	assert.Equal(t, "PUT", last.Method)
	assert.JSONEq(t, `{"errors":["e2","e4","nope"]}`, string(last.Body))

	for _, body := range []string{`{}`, `{"errors":[]}`, `{"errors":"e1"}`, `{"errors":[""]}`} {
		a = rawReq(t, srv, "PUT", "/flows/"+flow+"/exp/resolved", body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		assert.Equal(t, "errors", a.envelope(t)["field"], body)
	}
	a = rawReq(t, srv, "PUT", "/flows/5f0000000000000000000000/exp/resolved", `{"errors":["e1"]}`)
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Len(t, errorsOf(t, srv, flow, "exp", nil), 3, "refused requests change nothing")
}

// A retry starts a retry job, which moves as a run does; when it
// completes, the errors it retried leave the open list; a failed retry
// leaves them.
func TestFlowErrorsRetry(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	flow := flowWithErrors(t, srv)

	run, err := c.Flows.RetryErrors(ctx, flow, "exp", "k1", "k3", "unknown")
	require.NoError(t, err)
	job := document(t, srv, "jobs", run.JobID)
	assert.Equal(t, "retry", job["type"])
	assert.Equal(t, flow, job["_flowId"])
	assert.Equal(t, "i", job["_integrationId"])
	assert.Len(t, errorsOf(t, srv, flow, "exp", nil), 5, "the errors stay open while the retry runs")
	done, err := c.Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.NoError(t, err)
	assert.Equal(t, integratorio.JobCompleted, done.Status)
	assert.Equal(t, []string{"e5", "e4", "e2"}, errorsOf(t, srv, flow, "exp", nil))

	srv.ScriptRuns(flow, integratoriotest.RunScript{Status: integratorio.JobFailed, NumError: 1})
	run, err = c.Flows.RetryErrors(ctx, flow, "exp", "k2")
	require.NoError(t, err)
	done, err = c.Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.NoError(t, err)
	assert.Equal(t, integratorio.JobFailed, done.Status)
	assert.Equal(t, []string{"e5", "e4", "e2"}, errorsOf(t, srv, flow, "exp", nil))

	a := rawReq(t, srv, "POST", "/flows/"+flow+"/exp/retry", `{"errorIds":["e4"]}`)
	assert.Equal(t, http.StatusCreated, a.status, "errorIds are taken too")
	assert.Regexp(t, hexID, a.object(t)["_jobId"])
	for _, body := range []string{`{"retryDataKeys":[]}`, `{}`, `{"retryDataKeys":[1]}`} {
		a = rawReq(t, srv, "POST", "/flows/"+flow+"/exp/retry", body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
	}
	a = rawReq(t, srv, "POST", "/flows/5f0000000000000000000000/exp/retry", `{"retryDataKeys":["k1"]}`)
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Len(t, srv.IDs("jobs"), 3, "refused retries start no job")
}

// AddFlowErrors fills errorId and occurredAt, and stores all or nothing.
func TestAddFlowErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	flow := seedFlow(t, srv, `{"name":"F"}`)
	require.NoError(t, srv.AddFlowErrors(flow, "imp", []byte(`{"message":"bare"}`)))
	open, _ := srv.FlowErrorsJSON(flow, "imp")
	require.Len(t, open, 1)
	var e map[string]any
	require.NoError(t, json.Unmarshal(open[0], &e))
	assert.Regexp(t, hexID, e["errorId"])
	assert.Regexp(t, timestamp, e["occurredAt"])

	for _, errs := range [][]string{
		{`{"errorId":"x"}`, `{"errorId":"x"}`},
		{`{"errorId":"y"}`, `{"errorId":` + fmt.Sprintf("%q", e["errorId"]) + `}`},
		{`{"errorId":"y"}`, `[1]`},
		{`{"errorId":"y"}`, `{"occurredAt":"yesterday"}`},
		{`{"errorId":5}`},
	} {
		var raw [][]byte
		for _, s := range errs {
			raw = append(raw, []byte(s))
		}
		assert.Error(t, srv.AddFlowErrors(flow, "imp", raw...), "%v", errs)
	}
	assert.Error(t, srv.AddFlowErrors("5f0000000000000000000000", "imp", []byte(`{}`)), "an unknown flow")
	assert.Error(t, srv.AddFlowErrors(flow, "", []byte(`{}`)), "an empty step")
	open, _ = srv.FlowErrorsJSON(flow, "imp")
	assert.Len(t, open, 1, "failed calls store nothing")
	open, resolved := srv.FlowErrorsJSON(flow, "other")
	assert.Nil(t, open)
	assert.Nil(t, resolved)
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	require.NoError(t, err)
	return d
}
