package integratorio

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// FlowError is one open error of a flow step. Members it does not type
// (exportDataURI, oIndex, reqAndResKey, …) are kept.
type FlowError struct {
	// ErrorID identifies the error (`errorId`); pass it to ResolveErrors.
	ErrorID string `json:"errorId"`
	// Code is the error's code.
	Code string `json:"code"`
	// Message describes the error.
	Message string `json:"message"`
	// Source is where the error arose (such as "application" or
	// "connection").
	Source string `json:"source"`
	// OccurredAt is when it happened.
	OccurredAt time.Time `json:"occurredAt"`
	// TraceKey identifies the record across retries.
	TraceKey string `json:"traceKey"`
	// RetryDataKey names the record's data for RetryErrors.
	RetryDataKey string `json:"retryDataKey"`
	// FlowJobID is the flow job the error arose in (`_flowJobId`).
	FlowJobID string `json:"_flowJobId"`
	// Classification is the error's class, as the platform sees it.
	Classification string `json:"classification"`

	state docState
}

// docID identifies a flow error.
func (e *FlowError) docID() string { return e.ErrorID }

// FlowErrorListOptions narrows the errors of a step.
type FlowErrorListOptions struct {
	// OccurredAfter and OccurredBefore bound when the errors happened
	// (`occurredAt_gte`, `occurredAt_lte`); zero means unbounded.
	OccurredAfter, OccurredBefore time.Time
	// Source keeps only the errors of one source.
	Source string
}

func (o *FlowErrorListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	setTime(q, "occurredAt_gte", o.OccurredAfter)
	setTime(q, "occurredAt_lte", o.OccurredBefore)
	if o.Source != "" {
		q.Set("source", o.Source)
	}
	return q
}

// setTime sets key to t in ISO 8601 with milliseconds, in UTC, unless t is
// zero.
func setTime(q url.Values, key string, t time.Time) {
	if !t.IsZero() {
		q.Set(key, t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	}
}

// stepPath validates a flow and step id and returns /flows/{f}/{step}.
func stepPath(flowID, stepID string) (string, error) {
	p, err := idPath("/flows/", flowID)
	if err != nil {
		return "", fmt.Errorf("flow %w", err)
	}
	if err := validateID(stepID); err != nil {
		return "", fmt.Errorf("step %w", err)
	}
	return p + "/" + url.PathEscape(stepID), nil
}

func (s *flows) Errors(ctx context.Context, flowID, stepID string, opts *FlowErrorListOptions) iter.Seq2[*FlowError, error] {
	p, err := stepPath(flowID, stepID)
	if err != nil {
		return errSeq[FlowError](err)
	}
	return bodyPaged[FlowError](ctx, s.c, p+"/errors", opts.query().Encode(), "errors")
}

func (s *flows) ResolveErrors(ctx context.Context, flowID, stepID string, errorIDs ...string) error {
	p, err := stepPath(flowID, stepID)
	if err != nil {
		return err
	}
	if err := nonEmptyIDs("ResolveErrors: error", errorIDs); err != nil {
		return err
	}
	body := struct {
		Errors []string `json:"errors"`
	}{errorIDs}
	return s.c.send(request{ctx: ctx, method: http.MethodPut, path: p + "/resolved", body: body}, nil)
}

func (s *flows) RetryErrors(ctx context.Context, flowID, stepID string, retryDataKeys ...string) (*RunResult, error) {
	p, err := stepPath(flowID, stepID)
	if err != nil {
		return nil, err
	}
	if err := nonEmptyIDs("RetryErrors: retry data key", retryDataKeys); err != nil {
		return nil, err
	}
	body := struct {
		Keys []string `json:"retryDataKeys"`
	}{retryDataKeys}
	return startJob(ctx, s.c, request{method: http.MethodPost, path: p + "/retry", body: body}, false)
}

// nonEmptyIDs refuses an empty list, or an empty id in it.
func nonEmptyIDs(what string, ids []string) error {
	if len(ids) == 0 {
		return invalidArgf("%ss: none given", what)
	}
	for i, id := range ids {
		if id == "" {
			return invalidArgf("%s %d is empty", what, i)
		}
	}
	return nil
}

// bodyPaged iterates over a list whose pages are JSON objects holding the
// items in the member named items and the next page's URL in nextPageURL
// (relative or absolute, same origin only, never a page already read).
func bodyPaged[T any, P model[T]](ctx context.Context, c *Client, path, query, items string) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		r := request{ctx: ctx, method: http.MethodGet, path: path, query: query}
		seen := map[string]bool{}
		for n := 0; ; n++ {
			var page []*T
			var next *url.URL
			err := c.send(r, func(resp *response) error {
				seen[resp.url.String()] = true
				if resp.body == nil {
					return nil
				}
				var env map[string]json.RawMessage
				if err := json.Unmarshal(resp.body, &env); err != nil {
					return resp.unexpected(http.MethodGet, "body is not a JSON object: %s", resp.excerpt())
				}
				var err error
				if raw := env[items]; len(raw) > 0 {
					if page, err = decodeList[T, P](&response{status: resp.status, body: raw, display: resp.display, client: c}); err != nil {
						return err
					}
				}
				var ref string
				if raw := env["nextPageURL"]; len(raw) > 0 && string(raw) != "null" {
					if json.Unmarshal(raw, &ref) != nil {
						return resp.unexpected(http.MethodGet, "nextPageURL is not a string")
					}
				}
				next, err = c.resolveNext(resp, ref)
				return err
			})
			if err != nil {
				yield(nil, err)
				return
			}
			for _, v := range page {
				if !yield(v, nil) {
					return
				}
			}
			if next == nil {
				return
			}
			if seen[next.String()] {
				yield(nil, fmt.Errorf("%w: GET %s: nextPageURL leads back to a page already read", ErrUnexpectedResponse, path))
				return
			}
			if n+1 >= maxPages {
				yield(nil, fmt.Errorf("%w: GET %s: more than %d pages; stopping", ErrUnexpectedResponse, path, maxPages))
				return
			}
			r = request{ctx: ctx, method: http.MethodGet, url: next}
		}
	}
}

// errSeq is an iterator that yields err once.
func errSeq[T any](err error) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) { yield(nil, err) }
}
