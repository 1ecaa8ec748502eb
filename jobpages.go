package integratorio

import (
	"context"
	"fmt"
	"iter"
	"net/http"
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
			case fresh == 0:
				// The whole page shares one millisecond: go on with the
				// older jobs, and say so at the end.
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
