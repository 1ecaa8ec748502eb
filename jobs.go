package integratorio

import (
	"context"
	"iter"
	"net/http"
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
