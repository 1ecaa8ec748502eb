package integratorio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}

// jobsServer answers GET /jobs as the API does: at most 1001 jobs, newest
// createdAt first, at or before createdAt_lte.
type jobsServer struct {
	mu      sync.Mutex
	jobs    []map[string]any // newest first
	queries []string
}

func (s *jobsServer) respond(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, r.URL.RawQuery)
	q := r.URL.Query()
	var lte time.Time
	if v := q.Get("createdAt_lte"); v != "" {
		var err error
		if lte, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return httpmock.NewStringResponse(400, `{"errors":[{"code":"invalid_query"}]}`), nil
		}
	}
	var page []map[string]any
	for _, j := range s.jobs {
		created, _ := time.Parse(time.RFC3339Nano, j["createdAt"].(string))
		if !lte.IsZero() && created.After(lte) {
			continue
		}
		if len(page) == jobPageSize {
			break
		}
		page = append(page, j)
	}
	b, _ := json.Marshal(page)
	return httpmock.NewBytesResponse(200, b), nil
}

// newJobs makes n jobs, newest first; groups[i] jobs share the i-th
// millisecond from the newest.
func newJobs(groups []int) []map[string]any {
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var out []map[string]any
	for ms, size := range groups {
		at := start.Add(-time.Duration(ms) * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		for range size {
			out = append(out, map[string]any{"_id": fmt.Sprintf("j%05d", len(out)), "status": "completed", "_flowId": "f1", "createdAt": at})
		}
	}
	return out
}

func TestJobsSharingTheBoundaryMillisecondAreNeitherLostNorRepeated(t *testing.T) {
	t.Parallel()
	for name, groups := range map[string][]int{
		"group straddles the first page's end":      append(slices.Repeat([]int{1}, 995), 12, 1, 1, 1, 1, 1),
		"group ends the first page exactly":         append(slices.Repeat([]int{1}, 991), 10, 3),
		"three pages, groups at both ends":          append(append(slices.Repeat([]int{1}, 1000), 7), append(slices.Repeat([]int{1}, 990), 30, 5)...),
		"fewer than a page":                         {3, 1, 2},
		"exactly a page":                            slices.Repeat([]int{1}, jobPageSize),
		"whole page in one millisecond, then older": {1001, 2},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			srv := &jobsServer{jobs: newJobs(groups)}
			mt.RegisterResponder(http.MethodGet, testRoot+"/jobs", srv.respond)
			var ids []string
			var err error
			for j, jerr := range c.Jobs.All(context.Background(), &JobListOptions{FlowID: "f1"}) {
				if jerr != nil {
					err = jerr
					continue
				}
				require.NoError(t, err, "the error comes last")
				ids = append(ids, j.ID)
			}
			if name == "whole page in one millisecond, then older" {
				require.ErrorIs(t, err, ErrUnexpectedResponse, "the API cannot say whether more share that millisecond")
				assert.Contains(t, err.Error(), "2024-05-01T12:00:00Z")
			} else {
				require.NoError(t, err)
			}
			var want []string
			for _, j := range srv.jobs {
				want = append(want, j["_id"].(string))
			}
			assert.Equal(t, want, ids, "every job once, newest first")
			for _, q := range srv.queries {
				assert.Contains(t, q, "_flowId=f1")
			}
		})
	}
}

// A server that answers the same 1001 jobs whatever createdAt_lte says, or
// lists them oldest first, or makes up new jobs in one millisecond for
// every request, ends the listing with an error: never a loop, never a job
// twice, every request for older jobs than the one before.
func TestJobsAllEndsOnAPageThatMakesNoProgress(t *testing.T) {
	t.Parallel()
	newestFirst := newJobs(slices.Repeat([]int{1}, jobPageSize))
	oldestFirst := slices.Clone(newestFirst)
	slices.Reverse(oldestFirst)
	var minted []map[string]any // a page of new ids in one millisecond, for each request
	for i := range 3 * jobPageSize {
		minted = append(minted, map[string]any{"_id": fmt.Sprintf("m%05d", i), "createdAt": "2024-05-01T12:00:00.000Z"})
	}
	for name, tc := range map[string]struct {
		jobs  []map[string]any
		yield int // jobs yielded before the error
		want  string
	}{
		"ignores createdAt_lte":               {newestFirst, jobPageSize, "ignores the filter"},
		"oldest first":                        {oldestFirst, 0, "not newest first"},
		"new jobs in one millisecond forever": {minted, 2 * jobPageSize, "ignores the filter"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var queries []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				queries = append(queries, r.URL.RawQuery)
				n := len(queries)
				mu.Unlock()
				page := tc.jobs[:jobPageSize] // the same page, whatever the query
				if len(tc.jobs) > jobPageSize {
					page = tc.jobs[(n-1)*jobPageSize%len(tc.jobs):][:jobPageSize] // or new jobs each time
				}
				body, err := json.Marshal(page)
				assert.NoError(t, err)
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithRetryPolicy(fastRetries))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			seen := map[string]bool{}
			var last error
			for j, err := range c.Jobs.All(ctx, &JobListOptions{FlowID: "f1"}) {
				if err != nil {
					last = err
					continue
				}
				require.NoError(t, last, "the error comes last")
				require.False(t, seen[j.ID], "job %s yielded twice", j.ID)
				seen[j.ID] = true
				if len(seen) > 3*jobPageSize {
					break // bounded: today's code would go on for ever
				}
			}
			require.ErrorIs(t, last, ErrUnexpectedResponse)
			assert.Contains(t, last.Error(), tc.want)
			assert.Len(t, seen, tc.yield)
			mu.Lock()
			defer mu.Unlock()
			assert.LessOrEqual(t, len(queries), 3, "a page that makes no progress is not asked for again")
		})
	}
}

func TestJobsQueryNeedsAFilter(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/jobs", rec.wrap(jsonResponder(200, []byte(`[{"_id":"j1","status":"running"}]`))))
	ctx := context.Background()
	for _, o := range []*JobListOptions{nil, {}, {Type: "flow", Status: JobRunning}, {Type: "export", CreatedAfter: time.Now()}, {Type: "import", CreatedBefore: time.Now()}} {
		_, err := c.Jobs.List(ctx, o)
		assert.ErrorIs(t, err, ErrInvalidArgument)
	}
	assert.Zero(t, mt.GetTotalCallCount())

	_, err := c.Jobs.List(ctx, &JobListOptions{IntegrationID: "i1", Type: "flow", Status: JobRunning,
		CreatedAfter: mustTime(t, "2024-01-02T03:04:05.123456Z"), CreatedBefore: mustTime(t, "2024-01-03T00:00:00Z")})
	require.NoError(t, err)
	require.Len(t, rec.reqs, 1)
	q := rec.reqs[0].RawQuery
	for _, want := range []string{"_integrationId=i1", "type=flow", "status=running", "createdAt_gte=2024-01-02T03%3A04%3A05.123Z", "createdAt_lte=2024-01-03T00%3A00%3A00.000Z"} {
		assert.Contains(t, q, want)
	}
}

func TestJobGetAndCancel(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/jobs/j1", jsonResponder(200, []byte(`{"_id":"j1","status":"cancelled","numError":3,"oIndex":2}`)))
	mt.RegisterResponder(http.MethodPut, testRoot+"/jobs/j1/cancel", jsonResponder(503, nil).Then(httpmock.NewStringResponder(204, "")))
	ctx := context.Background()
	j, err := c.Jobs.Get(ctx, "j1")
	require.NoError(t, err)
	assert.True(t, j.Done(), `"cancelled" is done`)
	assert.Equal(t, 3, j.NumError)
	require.NoError(t, c.Jobs.Cancel(ctx, "j1"))
	assert.Equal(t, 2, mt.GetCallCountInfo()["PUT "+testRoot+"/jobs/j1/cancel"], "cancel is a PUT: retried")
	assert.ErrorIs(t, c.Jobs.Cancel(ctx, "a/b"), ErrInvalidArgument)
}

func TestJobDone(t *testing.T) {
	t.Parallel()
	for status, done := range map[JobStatus]bool{JobQueued: false, JobRunning: false, JobRetrying: false, JobCanceling: false,
		JobCompleted: true, JobFailed: true, JobCanceled: true, "cancelled": true, "": false} {
		assert.Equal(t, done, (&Job{Status: status}).Done(), status)
	}
}

func TestJobWait(t *testing.T) {
	t.Parallel()
	job := func(status string) httpmock.Responder {
		return jsonResponder(200, []byte(`{"_id":"j1","status":"`+status+`","numError":1}`))
	}
	fast := &WaitOptions{Interval: time.Millisecond, MaxInterval: 2 * time.Millisecond}
	for _, final := range []string{"completed", "failed", "canceled"} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testRoot+"/jobs/j1", job("queued").Then(job("running")).Then(job(final)))
		j, err := c.Jobs.Wait(context.Background(), "j1", fast)
		require.NoError(t, err, "a finished job is no error, whatever its status")
		assert.Equal(t, JobStatus(final), j.Status)
		assert.Equal(t, 3, mt.GetTotalCallCount(), "polled until done, and no more")
	}

	// A job that never finishes: Wait ends with the context, with the
	// same error whether the cancel lands during the third poll (and
	// loses its answer) or after it (its answer read).
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/jobs/j1", job("running"))
	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	mt.RegisterResponder(http.MethodGet, testRoot+"/jobs/j1", func(r *http.Request) (*http.Response, error) {
		if polls++; polls == 3 {
			cancel()
		}
		return job("running")(r)
	})
	j, err := c.Jobs.Wait(ctx, "j1", fast)
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, j, "the last job read comes back with the error")
	assert.Equal(t, JobRunning, j.Status)
	assert.True(t, strings.Contains(err.Error(), "running"))

	_, err = c.Jobs.Wait(context.Background(), "", nil)
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

func TestJobListFiltersOnTheWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/jobs", rec.wrap(jsonResponder(200, []byte(`[{"_id":"j1"}]`))))
	ctx := context.Background()
	_, err := c.Jobs.List(ctx, &JobListOptions{JobID: "j1", FlowIDs: []string{"f1", "f2"}, Types: []string{"flow", "retry"}, Retriable: true})
	require.NoError(t, err)
	require.Len(t, rec.reqs, 1)
	q := rec.reqs[0].RawQuery
	for _, want := range []string{"_jobId=j1", "_flowId_in=f1%2Cf2", "type_in=flow%2Cretry", "retriable=true"} {
		assert.Contains(t, q, want)
	}
	// FlowIDs alone select jobs; Retriable false sends nothing.
	_, err = c.Jobs.List(ctx, &JobListOptions{FlowIDs: []string{"f1"}})
	require.NoError(t, err)
	assert.NotContains(t, rec.reqs[1].RawQuery, "retriable")
	calls := mt.GetTotalCallCount()
	for _, bad := range []*JobListOptions{
		{Types: []string{"export"}, CreatedAfter: time.Now()}, // child jobs need an id
		{FlowIDs: []string{""}},
		{FlowIDs: []string{"a,b"}},
		{Types: []string{"flow"}},
	} {
		_, err := c.Jobs.List(ctx, bad)
		assert.ErrorIs(t, err, ErrInvalidArgument, "%+v", bad)
	}
	assert.Equal(t, calls, mt.GetTotalCallCount())
}

func TestJobsLatest(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	flowURL, intURL := testRoot+"/flows/f1/jobs/latest", testRoot+"/integrations/i1/jobs/latest"
	mt.RegisterResponder(http.MethodGet, flowURL, jsonResponder(503, nil).Then(jsonResponder(200, []byte(`[{"_id":"j1","status":"running","x":1}]`))))
	mt.RegisterResponder(http.MethodGet, intURL, jsonResponder(200, []byte(`[{"_id":"j1"},{"_id":"j2"}]`)))
	ctx := context.Background()
	jobs, err := c.Jobs.Latest(ctx, &LatestJobsOptions{FlowID: "f1"})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	assert.Equal(t, JobRunning, jobs[0].Status)
	assert.Equal(t, 2, mt.GetCallCountInfo()["GET "+flowURL])
	jobs, err = c.Jobs.Latest(ctx, &LatestJobsOptions{IntegrationID: "i1"})
	require.NoError(t, err)
	assert.Len(t, jobs, 2)
	assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+intURL])

	// Tolerated: no body, or the list in a "jobs" member.
	c2, mt2 := newMockClient(t)
	mt2.RegisterResponder(http.MethodGet, flowURL, httpmock.NewStringResponder(204, "").Then(jsonResponder(200, []byte(`{"jobs":[{"_id":"j3"}]}`))))
	jobs, err = c2.Jobs.Latest(ctx, &LatestJobsOptions{FlowID: "f1"})
	require.NoError(t, err)
	assert.Empty(t, jobs)
	jobs, err = c2.Jobs.Latest(ctx, &LatestJobsOptions{FlowID: "f1"})
	require.NoError(t, err)
	assert.Equal(t, "j3", jobs[0].ID)

	// Also tolerated: the one job of a flow as a bare object, and pages
	// of jobs (by nextPageURL, read to the end). A summary cut short is an
	// error, not a shorter list.
	c3, mt3 := newMockClient(t)
	mt3.RegisterResponder(http.MethodGet, flowURL, jsonResponder(200, []byte(`{"_id":"j4","type":"flow","status":"failed","numError":2}`)))
	mt3.RegisterResponder(http.MethodGet, intURL, jsonResponder(200, []byte(`{"jobs":[{"_id":"j5"}],"nextPageURL":"/v1/integrations/i1/jobs/latest?page=2"}`)))
	mt3.RegisterResponderWithQuery(http.MethodGet, intURL, "page=2", jsonResponder(200, []byte(`{"jobs":[{"_id":"j6"}],"nextPageURL":"https://elsewhere.example/v1/x"}`)))
	jobs, err = c3.Jobs.Latest(ctx, &LatestJobsOptions{FlowID: "f1"})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	assert.Equal(t, "j4", jobs[0].ID)
	assert.Equal(t, 2, jobs[0].NumError)
	jobs, err = c3.Jobs.Latest(ctx, &LatestJobsOptions{IntegrationID: "i1"})
	assert.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.Nil(t, jobs)
	assert.Equal(t, 1, mt3.GetCallCountInfo()["GET "+intURL+"?page=2"])

	calls := mt.GetTotalCallCount()
	for _, bad := range []*LatestJobsOptions{nil, {}, {FlowID: "f1", IntegrationID: "i1"}, {FlowID: "a/b"}} {
		_, err := c.Jobs.Latest(ctx, bad)
		assert.ErrorIs(t, err, ErrInvalidArgument)
	}
	assert.Equal(t, calls, mt.GetTotalCallCount())
}

// POST /jobs/current is a read: its body selects, its pages follow
// nextPageURL with the same body, and it is retried like a GET.
func TestJobsCurrentIsABodyPagedReadSentAsPOST(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	current := testRoot + "/jobs/current"
	var rec recorder
	mt.RegisterResponder(http.MethodPost, current, rec.wrap(jsonResponder(502, nil).
		Then(httpmock.NewErrorResponder(fmt.Errorf("connection reset by peer"))).
		Then(jsonResponder(200, []byte(`{"jobs":[{"_id":"j1","status":"running"}],"nextPageURL":"/v1/jobs/current?after=x"}`)))))
	mt.RegisterResponderWithQuery(http.MethodPost, current, "after=x", rec.wrap(jsonResponder(200, []byte(`{"jobs":[{"_id":"j2","status":"queued"}]}`))))
	ctx := context.Background()
	var ids []string
	for j, err := range c.Jobs.Current(ctx, &CurrentJobsOptions{IntegrationIDs: []string{"i1"}, FlowIDs: []string{"f1", "f2"}, Statuses: []JobStatus{JobQueued, JobRunning}}) {
		require.NoError(t, err)
		ids = append(ids, j.ID)
	}
	assert.Equal(t, []string{"j1", "j2"}, ids)
	assert.Equal(t, 3, mt.GetCallCountInfo()["POST "+current], "retried after a 502 and a reset")
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+current+"?after=x"])
	require.Len(t, rec.reqs, 4)
	for _, r := range rec.reqs {
		assert.JSONEq(t, `{"_integrationIds":["i1"],"_flowIds":["f1","f2"],"status":["queued","running"]}`, string(r.Body))
	}

	// nil options select every current job.
	rec.reqs = nil
	mt.RegisterResponder(http.MethodPost, current, rec.wrap(jsonResponder(200, []byte(`{"jobs":[]}`))))
	_, err := collect(c.Jobs.Current(ctx, nil))
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(rec.reqs[0].Body))

	calls := mt.GetTotalCallCount()
	_, err = collect(c.Jobs.Current(ctx, &CurrentJobsOptions{FlowIDs: []string{""}}))
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = collect(c.Jobs.Current(ctx, &CurrentJobsOptions{Statuses: []JobStatus{""}}))
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Equal(t, calls, mt.GetTotalCallCount())
}

func TestJobsFamily(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	family := testRoot + "/jobs/j1/family"
	mt.RegisterResponder(http.MethodGet, family, jsonResponder(200, []byte(`[{"_id":"j1","type":"flow"},{"_id":"c1","type":"export","_flowJobId":"j1"}]`)).
		Then(jsonResponder(200, []byte(`{"_id":"j1","type":"flow","children":[{"_id":"c1","type":"export"},{"_id":"c2","type":"import"}]}`))))
	ctx := context.Background()
	jobs, err := c.Jobs.Family(ctx, "j1")
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	assert.Equal(t, "c1", jobs[1].ID)
	assert.Equal(t, "j1", jobs[1].FlowJobID)
	jobs, err = c.Jobs.Family(ctx, "j1")
	require.NoError(t, err, "one job holding its children is tolerated")
	require.Len(t, jobs, 3)
	assert.Equal(t, []string{"j1", "c1", "c2"}, []string{jobs[0].ID, jobs[1].ID, jobs[2].ID})
	assert.Equal(t, 2, mt.GetCallCountInfo()["GET "+family])
	_, err = c.Jobs.Family(ctx, "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

// A nextPageURL of POST /jobs/current that leads to another host ends the
// listing with an error: neither the body nor the token is sent there.
// An empty page that names a next one does not end it.
func TestJobsCurrentNeverPostsToAnotherHost(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	current := testRoot + "/jobs/current"
	mt.RegisterResponder(http.MethodPost, current, jsonResponder(200, []byte(`{"jobs":[],"nextPageURL":"?after=1"}`)))
	mt.RegisterResponderWithQuery(http.MethodPost, current, "after=1", jsonResponder(200, []byte(`{"jobs":[{"_id":"j1"}],"nextPageURL":"https://elsewhere.example/v1/jobs/current?after=2"}`)))
	var other recorder
	mt.RegisterNoResponder(other.wrap(jsonResponder(200, []byte(`{"jobs":[]}`))))
	var ids []string
	var last error
	for j, err := range c.Jobs.Current(context.Background(), &CurrentJobsOptions{FlowIDs: []string{"f1"}}) {
		if err != nil {
			last = err
			continue
		}
		ids = append(ids, j.ID)
	}
	assert.Empty(t, ids, "a page whose next link is refused is not yielded, as for Errors")
	assert.ErrorIs(t, last, ErrUnexpectedResponse)
	assert.ErrorContains(t, last, "POST /jobs/current", "the error names the request that was sent")
	assert.NotContains(t, last.Error(), testToken)
	assert.Empty(t, other.reqs, "nothing is sent to another host")
	assert.Equal(t, 2, mt.GetTotalCallCount())
}
