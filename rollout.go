package integratorio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"
)

// RolloutStatus is how one install ended in a rollout.
type RolloutStatus string

// The ways an install can end in a rollout.
const (
	// RolloutUpdated: the install is at the new version, unlocked, with
	// the function's changes.
	RolloutUpdated RolloutStatus = "updated"
	// RolloutAlreadyCurrent: the install was at or above the target
	// version and was not changed (unlocked again if the push locked it).
	RolloutAlreadyCurrent RolloutStatus = "already current"
	// RolloutFailed: the push or the managed update of the install failed;
	// RolloutResult.Err says where.
	RolloutFailed RolloutStatus = "failed"
	// RolloutNotStarted: the rollout stopped before reaching the install.
	RolloutNotStarted RolloutStatus = "not started"
)

// RolloutOptions configures a rollout. The zero value (or nil) updates the
// whole install base, pushing first, eight installs at a time.
type RolloutOptions struct {
	// IntegrationIDs are the installs to update, by integration id; nil
	// means the connector's whole install base.
	IntegrationIDs []string
	// Concurrency is how many installs are updated at once (default 8).
	// Pacing (WithRateLimit) applies across all of them.
	Concurrency int
	// NoPush skips pushing the update first (for installs already pushed).
	NoPush bool
	// PushBatchSize is how many installs one push names (default 100). A
	// refused push is split until the ids it refuses are isolated.
	PushBatchSize int
	// StopAfterFailures stops the rollout once this many installs have
	// failed (0: never). A 401 or 403 always stops it.
	StopAfterFailures int
	// OnResult, when set, is called once per install as it finishes, in
	// the order they finish, never concurrently.
	OnResult func(RolloutResult)
	// UpdateOptions are passed to each install's managed update.
	UpdateOptions []ManagedUpdateOption
	// UnlockTimeout bounds the final unlock of the installs left locked
	// when the rollout stops or fails (default 2 minutes). It runs on a
	// context of its own, so a cancelled ctx does not cut it short.
	UnlockTimeout time.Duration
}

// RolloutResult is how one install ended.
type RolloutResult struct {
	// IntegrationID is the install's integration.
	IntegrationID string
	// FromVersion is the install's version before the rollout, when known.
	FromVersion string
	// Status is how it ended.
	Status RolloutStatus
	// Err is why it failed (a *ManagedUpdateError, at StepPush for a
	// refused push) or did not start.
	Err error
	// Locked reports that updateInProgress is, as far as known, still true:
	// the user cannot change the integration. Unlock it with
	// Integrations.Unlock, or run the rollout again.
	Locked bool
}

// RolloutReport is the outcome of a rollout: one result per install, in
// install-base order (or the order of RolloutOptions.IntegrationIDs).
type RolloutReport struct {
	// Results holds one result per install.
	Results []RolloutResult
}

// Count returns how many installs ended with status s.
func (r *RolloutReport) Count(s RolloutStatus) int {
	if r == nil {
		return 0
	}
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// LeftLocked lists the integrations the rollout could not unlock.
func (r *RolloutReport) LeftLocked() []string {
	if r == nil {
		return nil
	}
	var ids []string
	for _, res := range r.Results {
		if res.Locked {
			ids = append(ids, res.IntegrationID)
		}
	}
	return ids
}

// rollout is one run of Rollout.
type rollout struct {
	s       *connectors
	in      *integrations
	conn    string
	version string
	target  *semver.Version
	fn      func(*Integration) error
	opts    RolloutOptions

	results []RolloutResult
	ids     []string // the integration ids, as given (results hold them redacted)
	pushed  []bool   // the push named the install: it may be locked
	// baseLocked: the install base showed the install locked (an earlier
	// push, an update that stopped).
	baseLocked []bool
	index      map[string]int

	mu       sync.Mutex // guards failures, first and OnResult calls
	failures int
	first    error
	stop     context.CancelCauseFunc
}

func (s *connectors) Rollout(ctx context.Context, connectorID, version string, fn func(*Integration) error, opts *RolloutOptions) (*RolloutReport, error) {
	report := &RolloutReport{}
	if ctx == nil {
		return report, invalidArgf("Rollout: nil context")
	}
	if err := validateID(connectorID); err != nil {
		return report, err
	}
	if fn == nil {
		return report, invalidArgf("Rollout: nil update function")
	}
	target, err := parseVersion(version)
	if err != nil {
		return report, invalidArgf("Rollout: version %q is not MAJOR.MINOR.PATCH[-PRERELEASE]: %v", version, err)
	}
	r := &rollout{s: s, in: s.c.Integrations.(*integrations), conn: connectorID, version: version, target: target, fn: fn}
	if opts != nil {
		r.opts = *opts
	}
	r.opts.Concurrency = cmpOr(r.opts.Concurrency, 8)
	r.opts.PushBatchSize = cmpOr(r.opts.PushBatchSize, 100)
	r.opts.UnlockTimeout = cmpOr(r.opts.UnlockTimeout, 2*time.Minute)
	if r.opts.Concurrency < 0 || r.opts.PushBatchSize < 0 || r.opts.StopAfterFailures < 0 {
		return report, invalidArgf("Rollout: Concurrency, PushBatchSize and StopAfterFailures must not be negative")
	}
	if err := r.plan(ctx); err != nil {
		return report, err
	}
	report.Results = r.results

	ctx, r.stop = context.WithCancelCause(ctx)
	defer r.stop(nil)
	work := make(chan int, r.opts.PushBatchSize)
	var wg sync.WaitGroup
	for range r.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r.update(ctx, i)
			}
		}()
	}
	r.feed(ctx, work)
	close(work)
	wg.Wait()
	r.sweep(ctx)
	return report, r.err(ctx)
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// plan lists the installs and what is known of them before any write.
func (r *rollout) plan(ctx context.Context) error {
	// The install base gives each install's version, so that installs
	// already current are neither pushed nor written, also when the ids
	// are given.
	installs, err := r.s.InstallBase(ctx, r.conn)
	if err != nil {
		return err
	}
	from := map[string]string{}
	baseLocked := map[string]bool{}
	var base []string
	for _, in := range installs {
		base = append(base, in.IntegrationID)
		from[in.IntegrationID] = in.Version
		baseLocked[in.IntegrationID] = in.UpdateInProgress
	}
	ids := r.opts.IntegrationIDs
	if ids == nil {
		ids = base
	}
	r.index = make(map[string]int, len(ids))
	for _, id := range ids {
		if err := validateID(id); err != nil {
			return fmt.Errorf("Rollout: integration %w", err)
		}
		if _, dup := r.index[id]; dup {
			continue
		}
		r.index[id] = len(r.results)
		r.results = append(r.results, RolloutResult{IntegrationID: r.s.c.redactString(id), FromVersion: r.s.c.redactString(from[id]), Status: RolloutNotStarted})
		r.ids = append(r.ids, id)
		r.baseLocked = append(r.baseLocked, baseLocked[id])
	}
	r.pushed = make([]bool, len(r.results))
	return nil
}

// current reports whether the install base already shows the install
// above the target, or at it (unless AllowSameVersion): it is neither
// pushed nor written, so a re-run resumes. With IgnoreCurrentVersion every
// install is updated.
func (r *rollout) current(i int) bool {
	var cfg managedUpdateConfig
	for _, o := range r.opts.UpdateOptions {
		if o != nil {
			o(&cfg)
		}
	}
	v, err := semver.StrictNewVersion(r.results[i].FromVersion)
	if err != nil || cfg.ignoreCurrentVersion {
		return false
	}
	c := v.Compare(r.target)
	return c > 0 || c == 0 && !cfg.allowSameVersion
}

// feed pushes the installs batch by batch, just ahead of the workers, and
// hands each to them; it stops when ctx ends.
func (r *rollout) feed(ctx context.Context, work chan<- int) {
	var batch []int
	flush := func() {
		ok := batch
		if !r.opts.NoPush && len(batch) > 0 {
			ok = r.push(ctx, batch)
		}
		for _, i := range ok {
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
		batch = batch[:0]
	}
	for i := range r.results {
		if ctx.Err() != nil {
			return
		}
		if r.current(i) {
			res := RolloutResult{Status: RolloutAlreadyCurrent}
			if r.baseLocked[i] { // current, but locked by an earlier push: release it
				res.Locked = r.unlock(ctx, r.ids[i]) != nil
			}
			r.finish(i, res)
			continue
		}
		if batch = append(batch, i); len(batch) == r.opts.PushBatchSize {
			flush()
		}
	}
	if ctx.Err() == nil {
		flush()
	}
}

// push pushes the update to the installs of batch and returns those it
// reached. A refused push is split in halves until each refused id stands
// alone; those end failed at StepPush.
func (r *rollout) push(ctx context.Context, batch []int) []int {
	ids := make([]string, len(batch))
	for n, i := range batch {
		ids[n] = r.ids[i]
	}
	err := r.s.PushUpdate(ctx, r.conn, ids...)
	var apiErr *APIError
	refused := errors.As(err, &apiErr) && apiErr.StatusCode < 500 && apiErr.StatusCode != http.StatusTooManyRequests
	for _, i := range batch {
		// A push that failed other than by refusal may have locked some.
		r.pushed[i] = !refused
	}
	switch {
	case err == nil:
		return batch
	case ctx.Err() != nil:
		return nil // not started: the sweep unlocks what the push may have locked
	case refused && len(batch) > 1 && !fatal(err):
		// Refused for what it names (a stale id, say): split it. A 429 or
		// a 5xx says nothing of the ids, and is not split.
		half := len(batch) / 2
		return append(r.push(ctx, batch[:half]), r.push(ctx, batch[half:])...)
	}
	for _, i := range batch {
		id := r.ids[i]
		res := RolloutResult{Status: RolloutFailed, Err: r.s.c.redactError(&ManagedUpdateError{IntegrationID: id, Version: r.version, Step: StepPush, Err: err})}
		if !refused {
			uerr := r.unlock(ctx, id)
			res.Locked = uerr != nil && !errors.Is(uerr, ErrNotFound)
		}
		r.finish(i, res)
	}
	return nil
}

// update runs the managed update of install i.
func (r *rollout) update(ctx context.Context, i int) {
	if ctx.Err() != nil {
		return // not started: the sweep unlocks it
	}
	id := r.ids[i]
	_, read, err := r.in.managedUpdateFrom(ctx, id, r.version, r.fn, r.opts.UpdateOptions...)
	res := RolloutResult{FromVersion: read.version, Status: RolloutUpdated}
	locked := r.pushed[i] || read.locked // the push, or an earlier one, locked it
	var mue *ManagedUpdateError
	if err != nil && ctx.Err() != nil && (!errors.As(err, &mue) || mue.Step == StepRead) {
		return // stopped before anything was done: not started
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrVersionNotNewer):
		res.Status = RolloutAlreadyCurrent
		if locked {
			res.Locked = r.unlock(ctx, id) != nil
		}
	case errors.As(err, &mue):
		res.Status, res.Err = RolloutFailed, err
		res.Locked = mue.OutcomeUnknown || mue.UnlockErr != nil || (!mue.Unlocked && locked)
		if res.Locked {
			res.Locked = r.unlock(ctx, id) != nil // a second try
		}
	default:
		res.Status, res.Err, res.Locked = RolloutFailed, err, locked
		if locked {
			res.Locked = r.unlock(ctx, id) != nil
		}
	}
	r.finish(i, res)
}

// unlock releases an install on a context of its own, bounded, so that a
// cancelled rollout still unlocks.
func (r *rollout) unlock(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.UnlockTimeout)
	defer cancel()
	_, err := r.in.Unlock(ctx, id)
	return err
}

// finish records install i's result and reports it.
func (r *rollout) finish(i int, res RolloutResult) {
	res.IntegrationID = r.results[i].IntegrationID // redacted
	if res.FromVersion == "" {
		res.FromVersion = r.results[i].FromVersion
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[i] = res
	if res.Status == RolloutFailed {
		r.failures++
		if r.first == nil {
			r.first = res.Err
		}
		switch {
		case fatal(res.Err):
			r.stop(fmt.Errorf("integratorio: rollout stopped: every install would fail the same way: %w", res.Err))
		case r.opts.StopAfterFailures > 0 && r.failures == r.opts.StopAfterFailures:
			r.stop(fmt.Errorf("integratorio: rollout stopped after %d failures", r.failures))
		}
	}
	if r.opts.OnResult != nil {
		r.opts.OnResult(res)
	}
}

// fatal reports an error that every other install would meet too.
func fatal(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden)
}

// sweep unlocks the installs pushed but never updated, concurrently and on
// a context of its own, and reports each not-started install.
func (r *rollout) sweep(ctx context.Context) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.opts.Concurrency)
	for i := range r.results {
		if r.results[i].Status != RolloutNotStarted {
			continue
		}
		res := RolloutResult{Status: RolloutNotStarted, Err: context.Cause(ctx)}
		if !r.pushed[i] {
			r.finish(i, res)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := r.unlock(ctx, r.ids[i]); err != nil {
				res.Locked, res.Err = true, fmt.Errorf("integratorio: unlocking after the rollout stopped: %w", err)
			}
			r.finish(i, res)
		}()
	}
	wg.Wait()
}

// err summarises the rollout: nil when every install ended updated or
// already current.
func (r *rollout) err(ctx context.Context) error {
	failed := r.failures
	notStarted := 0
	for _, res := range r.results {
		if res.Status == RolloutNotStarted {
			notStarted++
		}
	}
	if failed == 0 && notStarted == 0 {
		return nil
	}
	return r.s.c.redactError(r.summary(ctx, failed, notStarted))
}

func (r *rollout) summary(ctx context.Context, failed, notStarted int) error {
	msg := fmt.Sprintf("integratorio: rollout of connector %s to %s: %d of %d installs failed, %d not started", r.conn, r.version, failed, len(r.results), notStarted)
	if left := (&RolloutReport{Results: r.results}).LeftLocked(); len(left) > 0 {
		msg += fmt.Sprintf(", %d left locked", len(left))
	}
	switch {
	case r.first != nil && context.Cause(ctx) != nil && notStarted > 0:
		return fmt.Errorf("%s: %w (stopped: %w)", msg, r.first, context.Cause(ctx))
	case r.first != nil:
		return fmt.Errorf("%s: %w", msg, r.first)
	}
	return fmt.Errorf("%s: %w", msg, context.Cause(ctx))
}
