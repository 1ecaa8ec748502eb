package integratorio

import (
	"context"
	"net/http"
	"time"
)

// RunResult is the answer to a request that starts a job (a run, a
// retry). Members it does not type (flowExecutionGroupId, …) are kept.
type RunResult struct {
	// JobID is the job started (`_jobId`); wait for it with Jobs.Wait.
	JobID string `json:"_jobId"`

	state docState
}

func (r *RunResult) docID() string { return r.JobID }

// startJob sends a request answered by a RunResult. A run must name its
// job; the answer to a retry of errors is not documented, so there any
// object, or no body, is taken (JobID may then be empty).
func startJob(ctx context.Context, c *Client, r request, needJob bool) (*RunResult, error) {
	if needJob {
		return doDocument[RunResult](ctx, c, r)
	}
	r.ctx = ctx
	out := &RunResult{}
	err := c.send(r, func(resp *response) error {
		if resp.body == nil || resp.body[0] != '{' {
			return nil
		}
		if err := out.UnmarshalJSON(resp.body); err != nil {
			return resp.unexpected(r.method, "%v", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RunOptions is the body of a run request. A nil *RunOptions, or the
// zero RunOptions, runs the flow as scheduled (the body is {}).
type RunOptions struct {
	// StartDate and EndDate bound the records the flow's delta exports
	// take (sent as {"export": {"startDate", "endDate"}}): StartDate in
	// place of the last run's time. Zero sends nothing.
	StartDate, EndDate time.Time
	// ExportIDs runs only these page generators (`_exportIds`); empty
	// runs them all.
	ExportIDs []string
	// Body, when non-nil, is sent as the request body as it is (encoded
	// as JSON), for members the SDK does not type; it cannot be combined
	// with the fields above.
	Body any
}

// runBody is the JSON body of RunOptions.
type runBody struct {
	Export    *runWindow `json:"export,omitempty"`
	ExportIDs []string   `json:"_exportIds,omitempty"`
}

type runWindow struct {
	StartDate string `json:"startDate,omitempty"`
	EndDate   string `json:"endDate,omitempty"`
}

// body returns what a run sends.
func (o *RunOptions) body() (any, error) {
	if o == nil {
		return struct{}{}, nil
	}
	typed := !o.StartDate.IsZero() || !o.EndDate.IsZero() || len(o.ExportIDs) > 0
	switch {
	case o.Body != nil && typed:
		return nil, invalidArgf("RunOptions: Body cannot be combined with StartDate, EndDate or ExportIDs: put them in Body, or leave Body nil")
	case o.Body != nil:
		return o.Body, nil
	case !o.StartDate.IsZero() && !o.EndDate.IsZero() && o.EndDate.Before(o.StartDate):
		return nil, invalidArgf("RunOptions: EndDate %s is before StartDate %s", o.EndDate.Format(time.RFC3339), o.StartDate.Format(time.RFC3339))
	}
	for i, id := range o.ExportIDs {
		if id == "" {
			return nil, invalidArgf("RunOptions: ExportIDs[%d] is empty", i)
		}
	}
	b := runBody{ExportIDs: o.ExportIDs}
	if !o.StartDate.IsZero() || !o.EndDate.IsZero() {
		b.Export = &runWindow{StartDate: isoTime(o.StartDate), EndDate: isoTime(o.EndDate)}
	}
	return b, nil
}

// isoTime formats t as the API writes times (ISO 8601 with milliseconds,
// UTC); zero is "".
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func (s *flows) Run(ctx context.Context, id string, opts *RunOptions) (*RunResult, error) {
	p, err := s.docPath(id)
	if err != nil {
		return nil, err
	}
	body, err := opts.body()
	if err != nil {
		return nil, err
	}
	return startJob(ctx, s.c, request{method: http.MethodPost, path: p + "/run", body: body, guard: &maskGuard{"Run", "flow", id}}, true)
}
