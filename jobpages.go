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

// Jobs are not Link-paged: a call answers at most 1001 jobs, newest
// first, and the next page is asked for by creation time.

// jobPageSize is the most jobs the API answers in one call.
const jobPageSize = 1001

func (s *jobs) All(ctx context.Context, opts *JobListOptions) iter.Seq2[*Job, error] {
	q, err := opts.query()
	if err != nil {
		return errSeq[Job](err)
	}
	return func(yield func(*Job, error) bool) {
		before := opts.CreatedBefore.Truncate(time.Millisecond)
		atBoundary := map[string]bool{} // ids already yielded, created at before
		var crowded []time.Time         // milliseconds that filled a whole page
		for {
			setTime(q, "createdAt_lte", before)
			var page []*Job
			err := s.c.send(request{ctx: ctx, method: http.MethodGet, path: s.path, query: q.Encode()}, func(r *response) error {
				var err error
				page, err = decodeList[Job](r)
				return err
			})
			if err != nil {
				yield(nil, err)
				return
			}
			if err := checkJobPage(page, before); err != nil {
				yield(nil, fmt.Errorf("%w: GET %s: %v; the listing ends here rather than repeat or lose jobs", ErrUnexpectedResponse, s.path, err))
				return
			}
			fresh := 0
			for _, j := range page {
				if atBoundary[j.ID] {
					continue
				}
				fresh++
				if !yield(j, nil) {
					return
				}
			}
			if len(page) < jobPageSize {
				if len(crowded) > 0 {
					yield(nil, fmt.Errorf("%w: GET %s: %d jobs were created at %s, a whole page: any more created in that millisecond could not be listed; narrow the query", ErrUnexpectedResponse, s.path, jobPageSize, crowded[0].Format(time.RFC3339Nano)))
				}
				return
			}
			last := page[len(page)-1].CreatedAt.Truncate(time.Millisecond)
			switch {
			case last.IsZero():
				yield(nil, fmt.Errorf("%w: GET %s: a full page whose last job has no createdAt cannot be paged", ErrUnexpectedResponse, s.path))
				return
			case fresh == 0 || last.Equal(before) && page[0].CreatedAt.Truncate(time.Millisecond).Equal(before):
				// The whole page shares one millisecond, the one asked
				// for: asking for it again cannot reach further. Go on
				// with the older jobs, and say so at the end. So every
				// request asks for older jobs than the one before it.
				crowded = append(crowded, last)
				clear(atBoundary)
				before = last.Add(-time.Millisecond)
				continue
			case !last.Equal(before):
				clear(atBoundary)
			}
			// The next page starts at the same millisecond, not the one
			// before it (the documented recipe, which skips the jobs that
			// share it); those already yielded are skipped.
			for _, j := range page {
				if j.CreatedAt.Truncate(time.Millisecond).Equal(last) {
					atBoundary[j.ID] = true
				}
			}
			before = last
		}
	}
}

// checkJobPage checks what paging by creation time relies on: the jobs are
// listed newest first and none is newer than createdAt_lte (before, when
// set). A server that breaks either (one that ignores the filter and
// answers the same jobs every time, or lists oldest first) would make the
// listing repeat jobs forever. Jobs without createdAt are not compared.
func checkJobPage(page []*Job, before time.Time) error {
	var prev time.Time
	for i, j := range page {
		at := j.CreatedAt.Truncate(time.Millisecond)
		if at.IsZero() {
			continue
		}
		if !before.IsZero() && at.After(before) {
			return fmt.Errorf("job %d of the page was created at %s, after createdAt_lte %s: the server ignores the filter", i+1, at.Format(time.RFC3339Nano), before.Format(time.RFC3339Nano))
		}
		if !prev.IsZero() && at.After(prev) {
			return fmt.Errorf("job %d of the page, created at %s, is listed after an older one (%s): the page is not newest first", i+1, at.Format(time.RFC3339Nano), prev.Format(time.RFC3339Nano))
		}
		prev = at
	}
	return nil
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
