package integratorio

import (
	"context"
	"fmt"
	"time"
)

// WaitOptions configures Wait.
type WaitOptions struct {
	// Interval is the first wait between polls (default 1 s); each wait is
	// half as long again as the last, up to MaxInterval (default 30 s).
	Interval, MaxInterval time.Duration
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
	stopped := func(err error) error {
		return s.c.redactError(fmt.Errorf("integratorio: waiting for job %s (last status %q): %w", id, last.Status, err))
	}
	for {
		j, err := s.Get(ctx, id)
		if err != nil {
			if last != nil && ctx.Err() != nil {
				// The context ended during a poll rather than between
				// two: the same error as between them.
				return last, stopped(err)
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
			return last, stopped(ctx.Err())
		case <-t.C:
		}
		interval = min(interval+interval/2, maxInterval)
	}
}
