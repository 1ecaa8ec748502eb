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

// ErrorID identifies one error of a flow step (`errorId`): what
// ResolveErrors, RetryErrorsByID and DeleteResolvedErrors take. It is a
// type of its own so that a RetryDataKey cannot be passed in its place.
type ErrorID string

// RetryDataKey names the data of the record an error failed on
// (`retryDataKey`): what RetryErrors takes. It is a type of its own so
// that an ErrorID cannot be passed in its place.
type RetryDataKey string

// FlowError is one error of a flow step, open or resolved. Members it
// does not type (exportDataURI, oIndex, classifiedBy, resolvedAt, …) are
// kept.
type FlowError struct {
	// ErrorID identifies the error (`errorId`); pass it to ResolveErrors
	// or RetryErrorsByID.
	ErrorID ErrorID `json:"errorId"`
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
	// RetryDataKey names the record's data for RetryErrors; empty when
	// the record cannot be retried.
	RetryDataKey RetryDataKey `json:"retryDataKey"`
	// ReqAndResKey names the HTTP request and response that failed
	// (`reqAndResKey`), where the step made one: the key of its trace,
	// not a retry key.
	ReqAndResKey string `json:"reqAndResKey"`
	// FlowJobID is the flow job the error arose in (`_flowJobId`).
	FlowJobID string `json:"_flowJobId"`
	// Classification is the error's class, as the platform sees it.
	Classification string `json:"classification"`

	state docState
}

// docID identifies a flow error.
func (e *FlowError) docID() string { return string(e.ErrorID) }

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
		q.Set(key, isoTime(t))
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
	return s.stepErrors(ctx, flowID, stepID, opts, "errors")
}

func (s *flows) ResolvedErrors(ctx context.Context, flowID, stepID string, opts *FlowErrorListOptions) iter.Seq2[*FlowError, error] {
	return s.stepErrors(ctx, flowID, stepID, opts, "resolved")
}

// stepErrors lists the errors of a step at …/<list>, answered in the
// member of the same name.
func (s *flows) stepErrors(ctx context.Context, flowID, stepID string, opts *FlowErrorListOptions, list string) iter.Seq2[*FlowError, error] {
	p, err := stepPath(flowID, stepID)
	if err != nil {
		return errSeq[FlowError](err)
	}
	return bodyPaged[FlowError](s.c, request{ctx: ctx, method: http.MethodGet, path: p + "/" + list, query: opts.query().Encode()}, list)
}

func (s *flows) ResolveErrors(ctx context.Context, flowID, stepID string, ids ...ErrorID) error {
	return s.errorsByID(ctx, http.MethodPut, flowID, stepID, "ResolveErrors", ids)
}

func (s *flows) DeleteResolvedErrors(ctx context.Context, flowID, stepID string, ids ...ErrorID) error {
	return s.errorsByID(ctx, http.MethodDelete, flowID, stepID, "DeleteResolvedErrors", ids)
}

// errorsByID sends {"errors": ids} to the step's …/resolved.
func (s *flows) errorsByID(ctx context.Context, method, flowID, stepID, op string, ids []ErrorID) error {
	p, err := stepPath(flowID, stepID)
	if err != nil {
		return err
	}
	if err := nonEmptyIDs(op+": error id", ids); err != nil {
		return err
	}
	body := struct {
		Errors []ErrorID `json:"errors"`
	}{ids}
	return s.c.send(request{ctx: ctx, method: method, path: p + "/resolved", body: body}, nil)
}

func (s *flows) RetryErrors(ctx context.Context, flowID, stepID string, keys ...RetryDataKey) (*RunResult, error) {
	if err := nonEmptyIDs("RetryErrors: retry data key", keys); err != nil {
		return nil, err
	}
	return s.retry(ctx, flowID, stepID, struct {
		Keys []RetryDataKey `json:"retryDataKeys"`
	}{keys})
}

func (s *flows) RetryErrorsByID(ctx context.Context, flowID, stepID string, ids ...ErrorID) (*RunResult, error) {
	if err := nonEmptyIDs("RetryErrorsByID: error id", ids); err != nil {
		return nil, err
	}
	return s.retry(ctx, flowID, stepID, struct {
		IDs []ErrorID `json:"errorIds"`
	}{ids})
}

// retry sends POST …/retry with body.
func (s *flows) retry(ctx context.Context, flowID, stepID string, body any) (*RunResult, error) {
	p, err := stepPath(flowID, stepID)
	if err != nil {
		return nil, err
	}
	return startJob(ctx, s.c, request{method: http.MethodPost, path: p + "/retry", body: body}, false)
}

// nonEmptyIDs refuses an empty list, or an empty id in it.
func nonEmptyIDs[S ~string](what string, ids []S) error {
	if len(ids) == 0 {
		return invalidArgf("%ss: none given", what)
	}
	return noEmpty(what, ids)
}

// StepErrors is the error count of one step of a flow, as the flow's
// error summary gives it. Members it does not type are kept.
type StepErrors struct {
	// StepID is the export or import id of the step (`_expOrImpId`).
	StepID string `json:"_expOrImpId"`
	// NumErrors is how many open errors the step has (`numError`).
	NumErrors int `json:"numError"`
	// LastErrorAt is when the newest of them occurred.
	LastErrorAt time.Time `json:"lastErrorAt"`

	state docState
}

func (e *StepErrors) docID() string { return e.StepID }

func (s *flows) ErrorSummary(ctx context.Context, flowID string) ([]StepErrors, error) {
	p, err := s.docPath(flowID)
	if err != nil {
		return nil, err
	}
	list, err := collect(bodyPaged[StepErrors](s.c, request{ctx: ctx, method: http.MethodGet, path: p + "/errors"}, "flowErrors"))
	if err != nil {
		return nil, err
	}
	var out []StepErrors
	for _, e := range list {
		out = append(out, *e)
	}
	return out, nil
}

// decodeListIn decodes a list answered in the member items of a JSON
// object, or as a bare array, and returns the object's nextPageURL
// member (empty when there is none).
func decodeListIn[T any, P model[T]](resp *response, method, items string, lone bool) ([]*T, string, error) {
	if resp.body == nil {
		return nil, "", nil
	}
	if resp.body[0] == '[' {
		list, err := decodeList[T, P](resp)
		return list, "", err
	}
	if resp.body[0] != '{' {
		return nil, "", resp.unexpected(method, "body is not a JSON object: %s", resp.excerpt())
	}
	// One pass over the envelope with the package's scanner: a page of
	// 1000 errors is decoded once, not first into raw members.
	b := resp.body
	var raw, next []byte
	hasID := false
	end, err := scanObject(b, 0, 0, func(ks, ke int, plain bool, vs, ve int) error {
		switch string(b[ks:ke]) {
		case items:
			raw = b[vs:ve]
		case "nextPageURL":
			next = b[vs:ve]
		case "_id":
			hasID = true
		}
		return nil
	})
	if err == nil {
		err = topLevel(b, end)
	}
	if err != nil {
		return nil, "", resp.unexpected(method, "body is not a JSON object: %v", err)
	}
	if lone && hasID && raw == nil && next == nil {
		// One document where a list was expected: a list of one.
		doc, err := decodeDocument[T, P](resp, method)
		if err != nil {
			return nil, "", err
		}
		return []*T{doc}, "", nil
	}
	var list []*T
	if len(raw) > 0 && string(raw) != "null" {
		if list, err = decodeList[T, P](&response{status: resp.status, body: raw, display: resp.display, client: resp.client}); err != nil {
			return nil, "", err
		}
	}
	var ref string
	if len(next) > 0 && string(next) != "null" {
		if json.Unmarshal(next, &ref) != nil {
			return nil, "", resp.unexpected(method, "nextPageURL is not a string")
		}
	}
	return list, ref, nil
}

// bodyPaged iterates over a list whose pages are JSON objects holding the
// items in the member named items and the next page's URL in nextPageURL
// (relative or absolute, same origin only, never a page already read).
// The next page is asked for as the first was (the same method and body)
// at that URL.
func bodyPaged[T any, P model[T]](c *Client, r request, items string) iter.Seq2[*T, error] {
	return bodyPagedOr[T, P](c, r, items, false)
}

// bodyPagedOr is bodyPaged that, when lone, also takes an answer holding
// one document (an object with an "_id" but neither items nor
// nextPageURL) for a list of that document.
func bodyPagedOr[T any, P model[T]](c *Client, r request, items string, lone bool) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		seen := map[string]bool{}
		path := r.path
		for n := 0; ; n++ {
			var page []*T
			var next *url.URL
			err := c.send(r, func(resp *response) error {
				seen[resp.url.String()] = true
				list, ref, err := decodeListIn[T, P](resp, r.method, items, lone)
				if err != nil {
					return err
				}
				page = list
				next, err = c.resolveNext(resp, r.method, ref)
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
				yield(nil, fmt.Errorf("%w: %s %s: nextPageURL leads back to a page already read", ErrUnexpectedResponse, r.method, path))
				return
			}
			if n+1 >= maxPages {
				yield(nil, fmt.Errorf("%w: %s %s: more than %d pages; stopping", ErrUnexpectedResponse, r.method, path, maxPages))
				return
			}
			r.url, r.path, r.query = next, "", ""
		}
	}
}

// errSeq is an iterator that yields err once.
func errSeq[T any](err error) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) { yield(nil, err) }
}
