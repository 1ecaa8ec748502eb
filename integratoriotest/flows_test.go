package integratoriotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// seedFlow stores a flow document and returns its id.
func seedFlow(t *testing.T, srv *integratoriotest.Server, doc string) string {
	t.Helper()
	id, err := srv.AddJSON("flows", []byte(doc))
	require.NoError(t, err)
	return id
}

// document returns the server's copy of a document, decoded.
func document(t *testing.T, srv *integratoriotest.Server, resource, id string) map[string]any {
	t.Helper()
	raw, ok := srv.DocumentJSON(resource, id)
	require.True(t, ok, "%s %s is not stored", resource, id)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// apiCode returns the code of an *integratorio.APIError.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var apiErr *integratorio.APIError
	require.True(t, errors.As(err, &apiErr), "not an API error: %v", err)
	return apiErr.Code()
}

// Flows have the document endpoints of every resource, through the SDK:
// create keeps disabled as given, update replaces, patch, delete, and the
// flows of one integration.
func TestFlowsLifecycle(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in1 := seed(t, srv, `{"name":"one"}`)
	in2 := seed(t, srv, `{"name":"two"}`)

	list, err := c.Flows.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, list)

	f, err := c.Flows.Create(ctx, &integratorio.Flow{
		Name: "Orders", IntegrationID: in1, Disabled: true, Schedule: "? */5 * * * *",
		PageGenerators: []integratorio.PageGenerator{{ExportID: "e1"}},
		PageProcessors: []integratorio.PageProcessor{{Type: "import", ImportID: "i1"}},
	})
	require.NoError(t, err)
	assert.Regexp(t, hexID, f.ID)
	assert.True(t, f.Disabled)
	assert.Equal(t, "e1", f.PageGenerators[0].ExportID)
	enabled, err := c.Flows.Create(ctx, &integratorio.Flow{Name: "Live", IntegrationID: in2})
	require.NoError(t, err)
	_, has := document(t, srv, "flows", enabled.ID)["disabled"]
	assert.False(t, has, "a flow created without disabled is stored without it")

	got, err := c.Flows.Get(ctx, f.ID)
	require.NoError(t, err)
	got.Description = "d"
	got.Disabled = false
	updated, err := c.Flows.Update(ctx, f.ID, got)
	require.NoError(t, err)
	assert.Equal(t, "d", updated.Description)
	assert.False(t, updated.Disabled)
	assert.Equal(t, "? */5 * * * *", updated.Schedule)

	require.NoError(t, c.Flows.Patch(ctx, f.ID,
		integratorio.PatchOp{Op: "replace", Path: "/name", Value: "Orders v2"},
		integratorio.PatchOp{Op: "add", Path: "/pageGenerators/0/schedule", Value: "? 0 * * * *"}))
	doc := document(t, srv, "flows", f.ID)
	assert.Equal(t, "Orders v2", doc["name"])
	assert.Equal(t, "? 0 * * * *", doc["pageGenerators"].([]any)[0].(map[string]any)["schedule"])

	err = c.Flows.Patch(ctx, f.ID, integratorio.PatchOp{Op: "replace", Path: "/pageGenerators/0/_exportId", Value: "other"})
	require.ErrorIs(t, err, integratorio.ErrBadRequest)
	assert.Equal(t, "invalid_field", apiCode(t, err), "only some members may be patched")

	of1, err := c.Flows.List(ctx, &integratorio.ResourceListOptions{IntegrationID: in1})
	require.NoError(t, err)
	require.Len(t, of1, 1)
	assert.Equal(t, f.ID, of1[0].ID)
	_, err = c.Flows.List(ctx, &integratorio.ResourceListOptions{IntegrationID: "5f0000000000000000000000"})
	assert.ErrorIs(t, err, integratorio.ErrNotFound, "the flows of an unknown integration")

	all, err := c.Flows.List(ctx, &integratorio.ResourceListOptions{ListOptions: integratorio.ListOptions{Include: []string{"name"}}})
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Empty(t, all[0].IntegrationID, "include projects the list")

	require.NoError(t, c.Flows.Delete(ctx, f.ID))
	_, err = c.Flows.Get(ctx, f.ID)
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
	assert.Equal(t, []string{enabled.ID}, srv.IDs("flows"))
}

// The sub-list pages with Link like every list, and keeps only the
// integration's flows.
func TestFlowsOfIntegrationPage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(2))
	in := seed(t, srv, `{"name":"i"}`)
	other := seed(t, srv, `{"name":"o"}`)
	var want []string
	for i := range 5 {
		want = append(want, seedFlow(t, srv, `{"name":"mine","_integrationId":"`+in+`"}`))
		if i%2 == 0 {
			seedFlow(t, srv, `{"name":"other","_integrationId":"`+other+`"}`)
		}
	}
	var got []string
	for f, err := range srv.Client().Flows.All(context.Background(), &integratorio.ResourceListOptions{IntegrationID: in}) {
		require.NoError(t, err)
		got = append(got, f.ID)
	}
	assert.Equal(t, want, got)
	a := rawReq(t, srv, "GET", "/integrations/"+in+"/flows", "")
	assert.Equal(t, http.StatusOK, a.status)
	assert.Contains(t, a.header.Get("Link"), "/v1/integrations/"+in+"/flows?after=")
}

// A flow document is checked: member types, the steps, and never both
// page processors and routers.
func TestFlowsValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for body, field := range map[string]string{
		`{"name":5}`:                        "name",
		`{"disabled":"yes"}`:                "disabled",
		`{"pageGenerators":{}}`:             "pageGenerators",
		`{"pageGenerators":[1]}`:            "pageGenerators",
		`{"pageProcessors":[{"type":"x"}]}`: "type",
		`{"pageProcessors":[{"type":"import"}],"routers":[{}]}`: "routers",
	} {
		a := rawReq(t, srv, "POST", "/flows", body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		env := a.envelope(t)
		assert.Equal(t, "invalid_field", env["code"], body)
		assert.Equal(t, field, env["field"], body)
	}
	assert.Empty(t, srv.IDs("flows"))
}

// A clone goes to the integration the body names, disabled, with its
// connections mapped; it needs _integrationId and, when the flow uses
// connections, a map of each.
func TestFlowsClone(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	src := seed(t, srv, `{"name":"src"}`)
	dst := seed(t, srv, `{"name":"dst"}`)
	id := seedFlow(t, srv, `{"name":"F","_integrationId":"`+src+`","_flowGroupingId":"g","disabled":false,"x":{"y":1},
		"pageGenerators":[{"_exportId":"e","_connectionId":"c1"}],
		"routers":[{"branches":[{"pageProcessors":[{"type":"import","_importId":"i","_connectionId":"c2"}]}]}]}`)

	res, err := c.Flows.Clone(ctx, id, &integratorio.FlowCloneOptions{IntegrationID: dst, ConnectionMap: map[string]string{"c1": "n1", "c2": "n2"}})
	require.NoError(t, err)
	assert.Equal(t, "Clone - F", res.Document.Name)
	assert.Equal(t, dst, res.Document.IntegrationID)
	assert.True(t, res.Document.Disabled, "a copy does not run before it is looked at")
	copied := document(t, srv, "flows", res.Document.ID)
	assert.Equal(t, "n1", copied["pageGenerators"].([]any)[0].(map[string]any)["_connectionId"])
	assert.Contains(t, string(mustJSON(t, copied["routers"])), `"_connectionId":"n2"`)
	assert.NotContains(t, copied, "_flowGroupingId", "a grouping of the source integration is not kept")
	assert.Equal(t, map[string]any{"y": float64(1)}, copied["x"])
	assert.Equal(t, "c1", document(t, srv, "flows", id)["pageGenerators"].([]any)[0].(map[string]any)["_connectionId"], "the source is unchanged")

	_, err = c.Flows.Clone(ctx, id, &integratorio.FlowCloneOptions{IntegrationID: dst})
	assert.Equal(t, "invalid_connectionMap", apiCode(t, err), "a flow that uses connections needs a map")
	_, err = c.Flows.Clone(ctx, id, &integratorio.FlowCloneOptions{IntegrationID: dst, ConnectionMap: map[string]string{"c1": "n1"}})
	assert.Equal(t, "invalid_connectionMap", apiCode(t, err), "every connection must be mapped")
	_, err = c.Flows.Clone(ctx, id, &integratorio.FlowCloneOptions{IntegrationID: "5f0000000000000000000000", ConnectionMap: map[string]string{"c1": "n1", "c2": "n2"}})
	assert.Equal(t, "invalid_ref", apiCode(t, err))
	_, err = c.Flows.Clone(ctx, "5f0000000000000000000000", &integratorio.FlowCloneOptions{IntegrationID: dst})
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
	a := rawReq(t, srv, "POST", "/flows/"+id+"/clone", `{"connectionMap":{"c1":"n1","c2":"n2"}}`)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "_integrationId", a.envelope(t)["field"])
	assert.Len(t, srv.IDs("flows"), 2, "refused clones create nothing")

	plain := seedFlow(t, srv, `{"name":"P","_integrationId":"`+src+`"}`)
	res, err = c.Flows.Clone(ctx, plain, &integratorio.FlowCloneOptions{IntegrationID: src, Name: "P2"})
	require.NoError(t, err, "a flow without connections needs no map")
	assert.Equal(t, "P2", res.Document.Name)
}

// With CloneReturnsCreated a flow clone answers the created list, and the
// SDK reads the flow back.
func TestFlowsCloneCreatedResourcesAnswer(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithCloneResponse(integratoriotest.CloneReturnsCreated))
	in := seed(t, srv, `{"name":"i"}`)
	id := seedFlow(t, srv, `{"name":"F","_integrationId":"`+in+`"}`)
	res, err := srv.Client().Flows.Clone(context.Background(), id, &integratorio.FlowCloneOptions{IntegrationID: in})
	require.NoError(t, err)
	require.Len(t, res.Created, 1)
	assert.Equal(t, integratorio.ClonedResource{Model: "Flow", ID: res.Document.ID, Name: "Clone - F"}, res.Created[0])
	assert.Equal(t, []string{
		"POST /flows/" + id + "/clone 201",
		"GET /flows/" + res.Document.ID + " 200",
	}, statuses(srv))
}

// A run answers 201 with the job, which completes after two reads, with
// the scripted counts.
func TestFlowRunCompletes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in := seed(t, srv, `{"name":"i"}`)
	flow := seedFlow(t, srv, `{"name":"F","_integrationId":"`+in+`","disabled":true}`)
	srv.ScriptRuns(flow, integratoriotest.RunScript{NumSuccess: 7, NumError: 2})

	run, err := c.Flows.Run(ctx, flow, nil)
	require.NoError(t, err)
	assert.Regexp(t, hexID, run.JobID)
	job := document(t, srv, "jobs", run.JobID)
	assert.Equal(t, "flow", job["type"])
	assert.Equal(t, "queued", job["status"])
	assert.Equal(t, flow, job["_flowId"])
	assert.Equal(t, in, job["_integrationId"])
	assert.Equal(t, float64(0), job["numError"])
	assert.Regexp(t, timestamp, job["createdAt"])

	done, err := c.Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.NoError(t, err)
	assert.Equal(t, integratorio.JobCompleted, done.Status)
	assert.Equal(t, 7, done.NumSuccess)
	assert.Equal(t, 2, done.NumError, "a completed job may have errors")
	assert.False(t, done.StartedAt.IsZero())
	assert.False(t, done.EndedAt.IsZero())
	assert.Equal(t, []string{
		"POST /flows/" + flow + "/run 201",
		"GET /jobs/" + run.JobID + " 200",
		"GET /jobs/" + run.JobID + " 200",
	}, statuses(srv))

	a := rawReq(t, srv, "POST", "/flows/"+flow+"/run", "")
	assert.Equal(t, http.StatusCreated, a.status, "an empty body runs the flow")
	assert.Equal(t, []string{"_jobId"}, keys(a.object(t)))
}

// A scripted failure ends the job failed.
func TestFlowRunFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx := context.Background()
	flow := seedFlow(t, srv, `{"name":"F"}`)
	srv.ScriptRuns(flow, integratoriotest.RunScript{Status: integratorio.JobFailed, NumError: 3})

	run, err := srv.Client().Flows.Run(ctx, flow, nil)
	require.NoError(t, err)
	done, err := srv.Client().Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.NoError(t, err, "Wait returns a failed job without an error")
	assert.Equal(t, integratorio.JobFailed, done.Status)
	assert.Equal(t, 3, done.NumError)
	assert.True(t, done.Retriable)

	srv.ScriptRuns(flow, integratoriotest.RunScript{})
	run, err = srv.Client().Flows.Run(ctx, flow, nil)
	require.NoError(t, err)
	done, err = srv.Client().Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.NoError(t, err)
	assert.Equal(t, integratorio.JobCompleted, done.Status, "the zero script is the default")

	assert.Panics(t, func() { srv.ScriptRuns(flow, integratoriotest.RunScript{Status: "done"}) })
	assert.Panics(t, func() { srv.ScriptRuns(flow, integratoriotest.RunScript{NumError: -1}) })
}

// cancelAfter is a transport that lets n reads of a job through and then
// cancels the context, without any timer.
type cancelAfter struct {
	base   http.RoundTripper
	n      int32
	seen   atomic.Int32
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/jobs/") && c.seen.Add(1) > c.n {
		c.cancel()
		return nil, context.Canceled
	}
	return c.base.RoundTrip(r)
}

// A stalled job never finishes: Wait ends with its context, the job still
// running; a cancel then ends it.
func TestFlowRunStallsUntilCanceled(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	flow := seedFlow(t, srv, `{"name":"F"}`)
	srv.ScriptRuns(flow, integratoriotest.RunScript{Stall: true})
	run, err := srv.Client().Flows.Run(context.Background(), flow, nil)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &cancelAfter{base: srv.HTTPClient().Transport, n: 5, cancel: cancel}
	c := srv.Client(integratorio.WithHTTPClient(&http.Client{Transport: tr}))
	last, err := c.Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, last)
	assert.Equal(t, integratorio.JobRunning, last.Status)
	assert.Equal(t, "running", document(t, srv, "jobs", run.JobID)["status"], "five reads and still running")

	c = srv.Client()
	require.NoError(t, c.Jobs.Cancel(context.Background(), run.JobID))
	assert.Equal(t, "canceling", document(t, srv, "jobs", run.JobID)["status"])
	done, err := c.Jobs.Wait(context.Background(), run.JobID, &integratorio.WaitOptions{Interval: 1})
	require.NoError(t, err)
	assert.Equal(t, integratorio.JobCanceled, done.Status)
	assert.False(t, done.EndedAt.IsZero())
}

// Running an unknown flow is 404 and starts nothing.
func TestFlowRunUnknownFlow(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.Client().Flows.Run(context.Background(), "5f0000000000000000000000", nil)
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
	a := rawReq(t, srv, "POST", "/flows/5f0000000000000000000000/run", `[1]`)
	assert.Equal(t, http.StatusBadRequest, a.status, "a body must be an object")
	assert.Empty(t, srv.IDs("jobs"))
}

// Faults apply to flow routes: 503s on a flow read are retried through; a
// dropped run is not repeated, and started exactly one job.
func TestFaultOnFlowRoutes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	flow := seedFlow(t, srv, `{"name":"F"}`)

	srv.FailNext(2, http.StatusServiceUnavailable, integratoriotest.OnPath("/flows/*"))
	f, err := c.Flows.Get(ctx, flow)
	require.NoError(t, err)
	assert.Equal(t, "F", f.Name)
	assert.Equal(t, []string{"GET /flows/" + flow + " 503", "GET /flows/" + flow + " 503", "GET /flows/" + flow + " 200"}, statuses(srv))

	srv.DropNext(1, integratoriotest.OnMethod("POST"), integratoriotest.OnPath("/flows/*/run"))
	_, err = c.Flows.Run(ctx, flow, nil)
	assert.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	assert.Len(t, srv.IDs("jobs"), 1, "the run took effect once")
	reqs := srv.Requests()
	assert.True(t, reqs[len(reqs)-1].Dropped)
	assert.Zero(t, srv.PendingFaults())
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
