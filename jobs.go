package integratorio

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// JobsService reads and cancels jobs (/jobs): the runs of flows, exports
// and imports, and retries. Client.Jobs holds the real implementation.
type jobsService interface {
	// Get returns one job.
	Get(ctx context.Context, id string) (*Job, error)
	// Cancel asks the platform to cancel a job (PUT /jobs/{id}/cancel);
	// it moves to canceling, then canceled.
	Cancel(ctx context.Context, id string) error
	// Lister gives List and All: the jobs the options select, newest
	// first (see All).
	Lister[Job, JobListOptions]
	// All iterates over the jobs the options select, newest first. The
	// API answers at most 1001 jobs a call and pages by creation time;
	// jobs created in the same millisecond as a page's last one are
	// neither lost nor repeated. Only when a whole page of 1001 jobs was
	// created in one millisecond can the API not tell whether more share
	// it: the listing goes on with the older jobs and ends with an error
	// matching ErrUnexpectedResponse that names that millisecond. A page
	// that is not newest first, or holds a job newer than the page asked
	// for, ends the listing with an error matching ErrUnexpectedResponse
	// (paging on would repeat jobs for ever).
	All(ctx context.Context, opts *JobListOptions) iter.Seq2[*Job, error]
	// Wait polls the job until it is done (completed, failed or
	// canceled) and returns it with a nil error whatever its status: read
	// Status and NumError. It polls at WaitOptions.Interval, backing off
	// to MaxInterval, and ends with ctx, returning the last job read (nil
	// if none) with the context's error.
	Wait(ctx context.Context, id string, opts *WaitOptions) (*Job, error)
	// Latest returns the latest job of a flow (GET
	// /flows/{id}/jobs/latest), or of each flow of an integration (GET
	// /integrations/{id}/jobs/latest): set one of the options' FlowID and
	// IntegrationID. The answer is read whole: a list, pages of a list
	// (by nextPageURL), or one job.
	Latest(ctx context.Context, opts *LatestJobsOptions) ([]*Job, error)
	// Current iterates over the jobs not finished yet (queued, running,
	// …) that the options select, all of the account's with nil options
	// (POST /jobs/current, paged by the answer's nextPageURL). The POST
	// only reads, so it is retried like a GET.
	Current(ctx context.Context, opts *CurrentJobsOptions) iter.Seq2[*Job, error]
	// Family returns a job with the jobs it started (GET
	// /jobs/{id}/family): a flow job and its export and import jobs.
	Family(ctx context.Context, id string) ([]*Job, error)
}

// JobStatus is the state of a job.
type JobStatus string

// The job states. A completed job may still have errors (NumError > 0).
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobRetrying  JobStatus = "retrying"
	JobCanceling JobStatus = "canceling"
	JobCompleted JobStatus = "completed"
	JobFailed    JobStatus = "failed"
	JobCanceled  JobStatus = "canceled"
)

// Job is one run of a flow, export or import, or a retry. Members it does
// not type are kept.
type Job struct {
	// ID is the job's id (`_id`).
	ID string `json:"_id"`
	// Type is "flow", "export", "import", "retry" or "bulk_retry".
	Type string `json:"type"`
	// Status is the job's state.
	Status JobStatus `json:"status"`
	// IntegrationID, FlowID, ExportID and ImportID name what the job runs.
	IntegrationID string `json:"_integrationId"`
	FlowID        string `json:"_flowId"`
	ExportID      string `json:"_exportId"`
	ImportID      string `json:"_importId"`
	// FlowJobID is the parent flow job of an export or import job.
	FlowJobID string `json:"_flowJobId"`
	// NumError, NumSuccess and NumIgnore count the records.
	NumError   int `json:"numError"`
	NumSuccess int `json:"numSuccess"`
	NumIgnore  int `json:"numIgnore"`
	// NumPagesGenerated and NumPagesProcessed count the pages.
	NumPagesGenerated int `json:"numPagesGenerated"`
	NumPagesProcessed int `json:"numPagesProcessed"`
	// Retriable reports whether the job's errors may be retried.
	Retriable bool `json:"retriable"`
	// CreatedAt, StartedAt, EndedAt and LastModified are the job's times.
	CreatedAt    time.Time `json:"createdAt"`
	StartedAt    time.Time `json:"startedAt"`
	EndedAt      time.Time `json:"endedAt"`
	LastModified time.Time `json:"lastModified"`

	state docState
}

// Done reports whether the job has finished: completed, failed or canceled
// (also when written "cancelled").
func (j *Job) Done() bool {
	if j == nil {
		return false
	}
	switch j.Status {
	case JobCompleted, JobFailed, JobCanceled, "cancelled":
		return true
	}
	return false
}

// JobListOptions selects jobs. The API requires at least one of
// IntegrationID, FlowID, ExportID, ImportID, FlowJobID, CreatedAfter and
// CreatedBefore; a query with none (nor JobID or FlowIDs) is refused
// before sending.
type JobListOptions struct {
	IntegrationID, FlowID, ExportID, ImportID, FlowJobID string
	// JobID keeps the job of this id (`_jobId`).
	JobID string
	// FlowIDs keeps the jobs of any of these flows (`_flowId_in`, sent
	// comma-separated).
	FlowIDs []string
	// Type is the job type ("flow", "export", "import", "retry", …).
	Type string
	// Types keeps the jobs of any of these types (`type_in`, sent
	// comma-separated).
	Types []string
	// Status keeps the jobs in one state.
	Status JobStatus
	// Retriable keeps only the jobs whose errors may be retried
	// (`retriable=true`).
	Retriable bool
	// CreatedAfter and CreatedBefore bound the creation time
	// (`createdAt_gte`, `createdAt_lte`), to the millisecond.
	CreatedAfter, CreatedBefore time.Time
}

func (o *JobListOptions) query() (url.Values, error) {
	if o == nil || o.IntegrationID+o.FlowID+o.ExportID+o.ImportID+o.FlowJobID+o.JobID == "" && len(o.FlowIDs) == 0 && o.CreatedAfter.IsZero() && o.CreatedBefore.IsZero() {
		return nil, invalidArgf("JobListOptions: the API needs one of IntegrationID, FlowID, ExportID, ImportID, FlowJobID, JobID, FlowIDs, CreatedAfter or CreatedBefore")
	}
	byID := o.IntegrationID+o.FlowID+o.ExportID+o.ImportID+o.FlowJobID+o.JobID != "" || len(o.FlowIDs) > 0
	for _, t := range append([]string{o.Type}, o.Types...) {
		if (t == "export" || t == "import") && !byID {
			return nil, invalidArgf("JobListOptions: %s jobs need FlowJobID or a resource id (IntegrationID, FlowID, ExportID, ImportID)", t)
		}
	}
	for what, list := range map[string][]string{"FlowIDs": o.FlowIDs, "Types": o.Types} {
		for i, v := range list {
			if v == "" || strings.Contains(v, ",") {
				return nil, invalidArgf("JobListOptions: %s[%d] is empty or holds a comma", what, i)
			}
		}
	}
	q := url.Values{}
	for k, v := range map[string]string{"_integrationId": o.IntegrationID, "_flowId": o.FlowID, "_exportId": o.ExportID,
		"_importId": o.ImportID, "_flowJobId": o.FlowJobID, "_jobId": o.JobID, "type": o.Type, "status": string(o.Status),
		"_flowId_in": strings.Join(o.FlowIDs, ","), "type_in": strings.Join(o.Types, ",")} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.Retriable {
		q.Set("retriable", "true")
	}
	setTime(q, "createdAt_gte", o.CreatedAfter)
	return q, nil
}

// WaitOptions configures Wait.
type WaitOptions struct {
	// Interval is the first wait between polls (default 1 s); each wait is
	// half as long again as the last, up to MaxInterval (default 30 s).
	Interval, MaxInterval time.Duration
}

type jobs struct {
	*resource[Job, *Job]
}

var _ JobsService = (*jobs)(nil)

func (s *jobs) Cancel(ctx context.Context, id string) error {
	p, err := s.docPath(id)
	if err != nil {
		return err
	}
	return s.c.send(request{ctx: ctx, method: http.MethodPut, path: p + "/cancel"}, nil)
}

func (s *jobs) List(ctx context.Context, opts *JobListOptions) ([]*Job, error) {
	return collect(s.All(ctx, opts))
}

func (s *jobs) Wait(ctx context.Context, id string, opts *WaitOptions) (*Job, error) {
	if err := validateID(id); err != nil {
		return nil, err
	}
	interval, maxInterval := time.Second, 30*time.Second
	if opts != nil && opts.Interval > 0 {
		interval = opts.Interval
	}
	if opts != nil && opts.MaxInterval > 0 {
		maxInterval = opts.MaxInterval
	}
	interval = min(interval, maxInterval)
	var last *Job
	for {
		j, err := s.Get(ctx, id)
		if err != nil {
			if last != nil && ctx.Err() != nil {
				// The context ended during a poll rather than between
				// two: the same error as between them.
				return last, s.c.redactError(fmt.Errorf("integratorio: waiting for job %s (last status %q): %w", id, last.Status, err))
			}
			return last, err
		}
		if last = j; j.Done() {
			return j, nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, s.c.redactError(fmt.Errorf("integratorio: waiting for job %s (last status %q): %w", id, last.Status, ctx.Err()))
		case <-t.C:
		}
		interval = min(interval+interval/2, maxInterval)
	}
}
