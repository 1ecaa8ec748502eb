package integratorio

import "context"

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
