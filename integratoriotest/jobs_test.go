package integratoriotest_test

import (
	"context"
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

const msLayout = "2006-01-02T15:04:05.000Z"

// seedJobs stores n jobs of a flow, created at the times at(i) gives, and
// returns their ids.
func seedJobs(t *testing.T, srv *integratoriotest.Server, flow string, n int, at func(i int) time.Time) []string {
	t.Helper()
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"type":"flow","_flowId":%q,"status":"completed","createdAt":%q}`, flow, at(i).UTC().Format(msLayout))
	}
	b.WriteString("]")
	if _, err := srv.AddJSON("jobs", []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	ids := srv.IDs("jobs")
	return ids[len(ids)-n:]
}

// Jobs.All pages through 2,700 jobs, 800 of them created in one
// millisecond that a page boundary falls into, and yields every job
// exactly once, newest first.
func TestJobsAllPagesThroughOneMillisecond(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	var want []string
	want = append(want, seedJobs(t, srv, "f", 700, func(i int) time.Time { return base.Add(time.Duration(i+1) * time.Millisecond) })...)
	want = append(want, seedJobs(t, srv, "f", 800, func(int) time.Time { return base })...)
	want = append(want, seedJobs(t, srv, "f", 1200, func(i int) time.Time { return base.Add(-time.Duration(i+1) * time.Millisecond) })...)
	seedJobs(t, srv, "other", 5, func(int) time.Time { return base })

	seen := map[string]int{}
	var prev time.Time
	for j, err := range srv.Client().Jobs.All(context.Background(), &integratorio.JobListOptions{FlowID: "f"}) {
		require.NoError(t, err)
		require.Equal(t, "f", j.FlowID)
		if !prev.IsZero() {
			require.False(t, j.CreatedAt.After(prev), "newest first")
		}
		prev = j.CreatedAt
		seen[j.ID]++
	}
	assert.Len(t, seen, len(want))
	for _, id := range want {
		require.Equal(t, 1, seen[id], "job %s", id)
	}
	var queries []string
	for _, r := range srv.Requests() {
		assert.Equal(t, "/jobs", r.Path)
		assert.Equal(t, http.StatusOK, r.Status)
		q, err := url.ParseQuery(r.Query)
		require.NoError(t, err)
		queries = append(queries, q.Get("createdAt_lte"))
	}
	assert.Equal(t, []string{"", base.Format(msLayout), base.Add(-201 * time.Millisecond).Format(msLayout)}, queries)
}

// A call answers at most 1001 jobs, without a Link header.
func TestJobsPageIs1001WithoutLink(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(10))
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	ids := seedJobs(t, srv, "f", 1005, func(i int) time.Time { return base.Add(time.Duration(i) * time.Millisecond) })
	a := rawReq(t, srv, "GET", "/jobs?_flowId=f", "")
	require.Equal(t, http.StatusOK, a.status)
	page := decodeArray(t, a.body)
	assert.Len(t, page, 1001, "WithPageSize is for Link-paged lists, not jobs")
	assert.Empty(t, a.header.Get("Link"))
	assert.Equal(t, ids[1004], page[0]["_id"], "newest first")
	assert.Equal(t, ids[4], page[1000]["_id"])
}

// A job query needs a resource id or a createdAt bound (400
// invalid_query); child jobs need a resource id.
func TestJobsRequiredFilter(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, q := range []string{"", "?status=running", "?type=flow", "?type=export&createdAt_gte=2024-01-01", "?_flowId="} {
		a := rawReq(t, srv, "GET", "/jobs"+q, "")
		assert.Equal(t, http.StatusBadRequest, a.status, q)
		assert.Equal(t, "invalid_query", a.envelope(t)["code"], q)
	}
	for _, q := range []string{"?_integrationId=i", "?_flowId=f", "?_exportId=e", "?_importId=i", "?_flowJobId=j",
		"?createdAt_gte=2024-01-01", "?createdAt_lte=1700000000000", "?type=import&_flowJobId=j"} {
		a := rawReq(t, srv, "GET", "/jobs"+q, "")
		assert.Equal(t, http.StatusNoContent, a.status, q)
	}
	a := rawReq(t, srv, "GET", "/jobs?createdAt_gte=yesterday", "")
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "createdAt_gte", a.envelope(t)["field"])

	srv.ResetRequests()
	_, err := srv.Client().Jobs.List(context.Background(), &integratorio.JobListOptions{Status: integratorio.JobRunning})
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument, "the SDK refuses it before sending")
	assert.Empty(t, srv.Requests())
}

// The filters: ids, type, status and inclusive createdAt bounds in each
// accepted form.
func TestJobsFilters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.AddJSON("jobs", []byte(`[
		{"_id":"j1","type":"flow","_flowId":"f","_integrationId":"i","status":"completed","createdAt":"2024-03-01T00:00:00.000Z"},
		{"_id":"j2","type":"flow","_flowId":"f","_integrationId":"i","status":"failed","createdAt":"2024-03-01T00:00:00.005Z"},
		{"_id":"j3","type":"retry","_flowId":"f","_integrationId":"i","status":"completed","createdAt":"2024-03-02T00:00:00.000Z"},
		{"_id":"j4","type":"export","_flowJobId":"j1","_exportId":"e","status":"completed","createdAt":"2024-03-01T00:00:00.001Z"},
		{"_id":"j5","type":"flow","_flowId":"g","_integrationId":"i","status":"running","createdAt":"2024-02-01T00:00:00.000Z"}
	]`))
	require.NoError(t, err)
	ids := func(query string) []string {
		t.Helper()
		a := rawReq(t, srv, "GET", "/jobs?"+query, "")
		if a.status == http.StatusNoContent {
			return nil
		}
		require.Equal(t, http.StatusOK, a.status, "%s: %s", query, a.body)
		var out []string
		for _, j := range decodeArray(t, a.body) {
			out = append(out, j["_id"].(string))
		}
		return out
	}
	assert.Equal(t, []string{"j3", "j2", "j1", "j5"}, ids("_integrationId=i"))
	assert.Equal(t, []string{"j3", "j2", "j1"}, ids("_flowId=f"))
	assert.Equal(t, []string{"j2", "j1"}, ids("_flowId=f&type=flow"))
	assert.Equal(t, []string{"j2"}, ids("_flowId=f&status=failed"))
	assert.Equal(t, []string{"j4"}, ids("_flowJobId=j1"))
	assert.Equal(t, []string{"j4"}, ids("_exportId=e&type=export"))
	assert.Equal(t, []string{"j2", "j4", "j1"}, ids("createdAt_gte=2024-03-01T00:00:00.000Z&createdAt_lte=2024-03-01T00:00:00.005Z"), "both bounds inclusive")
	assert.Equal(t, []string{"j4", "j1"}, ids("createdAt_gte=2024-03-01&createdAt_lte=2024-03-01T00:00:00.004Z"), "a plain date is midnight UTC")
	assert.Equal(t, []string{"j5"}, ids("createdAt_lte="+fmt.Sprint(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC).UnixMilli())), "epoch milliseconds")
	assert.Equal(t, []string{"j3"}, ids("createdAt_gte=2024-03-01T01:00:00%2B01:00&type=retry"), "an offset is honoured")
	assert.Nil(t, ids("_flowId=nothing"))

	a := rawReq(t, srv, "GET", "/jobs?_flowId=f&include=status", "")
	assert.Equal(t, map[string]any{"_id": "j3", "status": "completed"}, decodeArray(t, a.body)[0], "include projects jobs too")

	j, err := srv.Client().Jobs.List(context.Background(), &integratorio.JobListOptions{FlowID: "f", Type: "flow", CreatedAfter: time.Date(2024, 3, 1, 0, 0, 0, 1e6, time.UTC)})
	require.NoError(t, err)
	require.Len(t, j, 1)
	assert.Equal(t, "j2", j[0].ID)
}

// Reading a job answers it; a seeded job keeps its status. Cancel moves a
// queued or running job to canceling and, on its next read, to canceled;
// a finished job is left as it is; an unknown job is 404.
func TestJobsGetAndCancel(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := srv.AddJSON("jobs", []byte(`[{"_id":"q","status":"queued"},{"_id":"r","status":"running","numSuccess":4},{"_id":"d","status":"completed"}]`))
	require.NoError(t, err)

	for range 3 {
		j, err := c.Jobs.Get(ctx, "q")
		require.NoError(t, err)
		assert.Equal(t, integratorio.JobQueued, j.Status, "a seeded job has no script")
	}
	for _, id := range []string{"q", "r"} {
		require.NoError(t, c.Jobs.Cancel(ctx, id))
		assert.Equal(t, "canceling", document(t, srv, "jobs", id)["status"])
		require.NoError(t, c.Jobs.Cancel(ctx, id), "a repeated cancel is no error")
		j, err := c.Jobs.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, integratorio.JobCanceled, j.Status)
		assert.True(t, j.Done())
	}
	assert.Equal(t, float64(4), document(t, srv, "jobs", "r")["numSuccess"], "counts stay")

	before := document(t, srv, "jobs", "d")
	a := rawReq(t, srv, "PUT", "/jobs/d/cancel", "")
	assert.Equal(t, http.StatusNoContent, a.status)
	assert.Equal(t, before, document(t, srv, "jobs", "d"), "a finished job is left as it is")

	_, err = c.Jobs.Get(ctx, "missing")
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
	assert.ErrorIs(t, c.Jobs.Cancel(ctx, "missing"), integratorio.ErrNotFound)
	assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "DELETE", "/jobs/d/nothing", "").status)
}

// Faults apply to job routes as to any other: a rate-limited read is
// waited out.
func TestFaultOnJobRoutes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.AddJSON("jobs", []byte(`{"_id":"j","status":"completed","_flowId":"f"}`))
	require.NoError(t, err)
	srv.RateLimitNext(1, 0, integratoriotest.OnPath("/jobs"))
	j, err := srv.Client().Jobs.List(context.Background(), &integratorio.JobListOptions{FlowID: "f"})
	require.NoError(t, err)
	assert.Len(t, j, 1)
	assert.Equal(t, []string{"GET /jobs?_flowId=f 429", "GET /jobs?_flowId=f 200"}, statuses(srv))
}
