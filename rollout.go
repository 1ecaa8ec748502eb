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
	// RolloutNotStarted: the rollout stopped before reaching the install
	// (or, with DryRun, would update it).
	RolloutNotStarted RolloutStatus = "not started"
	// RolloutCancelled: the rollout stopped (ctx ended, or it stopped
	// itself after failures) while the install was being updated. Its
	// version is unchanged and it was unlocked, unless Locked says
	// otherwise or Err says the final write's outcome is unknown.
	RolloutCancelled RolloutStatus = "cancelled"
)

// RolloutOptions configures a rollout. The zero value (or nil) updates the
// whole install base, pushing first, eight installs at a time.
//
// A rollout pushes only a small window ahead of its workers: at no moment
// are more than 2 × Concurrency installs pushed (or being updated) and not
// yet finished. A process killed at any moment unlocks nothing, so it
// leaves at most 2 × Concurrency installs locked; running the rollout
// again unlocks them (or Integrations.Unlock does).
type RolloutOptions struct {
	// IntegrationIDs are the installs to update, by integration id; nil
	// means the connector's whole install base.
	IntegrationIDs []string
	// Concurrency is how many installs are updated at once (default 8).
	// Pacing (WithRateLimit) applies across all of them. It also sets the
	// window: at most 2 × Concurrency installs pushed and not finished.
	Concurrency int
	// NoPush skips pushing the update first (for installs already pushed).
	NoPush bool
	// PushBatchSize caps how many installs one push names (default 100).
	// A push names no more than the window has room for, so with the
	// default it names about Concurrency installs. A refused push is
	// split until the ids it refuses are isolated.
	PushBatchSize int
	// StopAfterFailures stops the rollout once this many installs have
	// failed (0: never). A 401 or 403 always stops it.
	StopAfterFailures int
	// OnResult, when set, is called once per install as it finishes, in
	// the order they finish, never concurrently, on a goroutine of the
	// rollout's own; Rollout returns after the last call. If it panics or
	// calls runtime.Goexit (t.FailNow or require in a test), the rollout
	// stops as on a cancel (what it pushed is unlocked), the results left
	// are not reported, and Rollout returns an error saying so.
	OnResult func(RolloutResult)
	// UpdateOptions are passed to each install's managed update.
	UpdateOptions []ManagedUpdateOption
	// UnlockTimeout bounds the final unlock of the installs left locked
	// when the rollout stops or fails (default 2 minutes), and a push that
	// was sent when ctx ended: both run on a context of their own, so a
	// cancelled ctx does not cut them short (a push cut short might be
	// applied after the unlock looked). Negative is refused
	// (ErrInvalidArgument).
	UnlockTimeout time.Duration
	// DryRun reads the install base and reports what the rollout would do,
	// writing nothing: installs the update would skip end
	// RolloutAlreadyCurrent, the others RolloutNotStarted (Locked reports
	// those the install base shows locked). OnResult is called for each.
	DryRun bool
}

// RolloutResult is how one install ended.
type RolloutResult struct {
	// IntegrationID is the install's integration.
	IntegrationID string
	// FromVersion is the install's version before the rollout, when known.
	FromVersion string
	// Status is how it ended.
	Status RolloutStatus
	// Err is why it failed (a *ManagedUpdateError, at PhasePush for a
	// refused push), was cancelled, or did not start.
	Err error
	// Locked reports that updateInProgress is, as far as known, still true:
	// the user cannot change the integration. Unlock it with
	// Integrations.Unlock, or run the rollout again.
	Locked bool
	// Total is the number of installs in the rollout, the same on every
	// result: with OnResult, a count of the calls over Total is the
	// rollout's progress.
	Total int
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
	// unknown: the push naming the install was sent but failed: the server
	// may apply it after the install was read, so its unlock is written
	// whatever the read shows.
	unknown []bool
	// baseLocked: the install base showed the install locked (an earlier
	// push, an update that stopped).
	baseLocked []bool
	index      map[string]int

	// slots holds one token per install of the window: pushed, or handed
	// to a worker, and not yet finished. held marks the installs holding
	// one, released when they finish.
	slots chan struct{}
	held  []bool

	mu       sync.Mutex // guards failures, first, held and the order of reports
	failures int
	first    error
	stop     context.CancelCauseFunc

	// reports carries the results to OnResult's goroutine, closed when
	// the rollout ends; reported is closed after the last call, reportErr
	// set before if OnResult panicked or ended its goroutine.
	reports   chan RolloutResult
	reported  chan struct{}
	reportErr error
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
	// The client's own implementation, also when the user replaced
	// Client.Integrations (with a decorator, say).
	in, ok := s.c.Integrations.(*integrations)
	if !ok {
		in = newIntegrations(s.c)
	}
	r := &rollout{s: s, in: in, conn: connectorID, version: version, target: target, fn: fn}
	if opts != nil {
		r.opts = *opts
	}
	for name, v := range map[string]int64{"Concurrency": int64(r.opts.Concurrency), "PushBatchSize": int64(r.opts.PushBatchSize),
		"StopAfterFailures": int64(r.opts.StopAfterFailures), "UnlockTimeout": int64(r.opts.UnlockTimeout)} {
		if v < 0 {
			return report, invalidArgf("Rollout: RolloutOptions.%s is negative (%d); use 0 for the default", name, v)
		}
	}
	for n, id := range r.opts.IntegrationIDs {
		if err := validateID(id); err != nil {
			return report, fmt.Errorf("integratorio: Rollout: integration %d of IntegrationIDs, nothing sent: %w", n+1, err)
		}
	}
	r.opts.Concurrency = cmpOr(r.opts.Concurrency, 8)
	r.opts.PushBatchSize = cmpOr(r.opts.PushBatchSize, 100)
	r.opts.UnlockTimeout = cmpOr(r.opts.UnlockTimeout, 2*time.Minute)
	if err := r.plan(ctx); err != nil {
		return report, err
	}
	report.Results = r.results
	ctx, r.stop = context.WithCancelCause(ctx)
	defer r.stop(nil)
	r.startReporter()
	if r.opts.DryRun {
		r.dryRun()
		return report, r.endReporter()
	}

	// No more workers than installs; the window follows.
	r.opts.Concurrency = min(r.opts.Concurrency, max(1, len(r.results)))
	window := 2 * r.opts.Concurrency
	r.slots = make(chan struct{}, window)
	work := make(chan int, window) // never full: it holds only installs holding a slot
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
	reportErr := r.endReporter()
	err = r.err(ctx)
	switch {
	case reportErr == nil || errors.Is(err, reportErr):
	case err == nil:
		err = reportErr
	default:
		err = errors.Join(reportErr, err)
	}
	return report, err
}

// startReporter calls OnResult, when set, on a goroutine of its own, with
// the results in the order finish records them. An OnResult that panics
// or ends its goroutine (runtime.Goexit: t.FailNow or require in a test)
// then takes neither a worker nor the rollout with it: the rollout stops,
// unlocks what it pushed, and returns an error saying so.
func (r *rollout) startReporter() {
	if r.opts.OnResult == nil {
		return
	}
	r.reports = make(chan RolloutResult, len(r.results)) // one per install: never full
	r.reported = make(chan struct{})
	go func() {
		returned := false
		defer func() {
			if !returned {
				var err error
				switch p := recover(); e := p.(type) {
				case error:
					err = fmt.Errorf("integratorio: Rollout: OnResult panicked: %w; the rollout stopped", e)
				case nil:
					err = errors.New("integratorio: Rollout: OnResult called runtime.Goexit (t.FailNow, say) instead of returning; the rollout stopped")
				default:
					err = fmt.Errorf("integratorio: Rollout: OnResult panicked: %v; the rollout stopped", p)
				}
				r.reportErr = r.s.c.redactError(err)
				r.stop(r.reportErr)
				for range r.reports { // the other results are not reported
				}
			}
			close(r.reported)
		}()
		for res := range r.reports {
			r.opts.OnResult(res)
		}
		returned = true
	}()
}

// endReporter waits for the last OnResult call and returns why OnResult
// failed, if it did.
func (r *rollout) endReporter() error {
	if r.reports == nil {
		return nil
	}
	close(r.reports)
	<-r.reported
	return r.reportErr
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
	for n, id := range ids {
		if err := validateID(id); err != nil {
			from := "the install base"
			if r.opts.IntegrationIDs != nil {
				from = "IntegrationIDs"
			}
			return fmt.Errorf("integratorio: Rollout: integration %d of %s, nothing written: %w", n+1, from, err)
		}
		if _, dup := r.index[id]; dup {
			continue
		}
		r.index[id] = len(r.results)
		r.results = append(r.results, RolloutResult{IntegrationID: r.s.c.redactString(id), FromVersion: r.s.c.redactString(from[id]), Status: RolloutNotStarted})
		r.ids = append(r.ids, id)
		r.baseLocked = append(r.baseLocked, baseLocked[id])
	}
	for i := range r.results {
		r.results[i].Total = len(r.results)
	}
	r.pushed = make([]bool, len(r.results))
	r.unknown = make([]bool, len(r.results))
	r.held = make([]bool, len(r.results))
	return nil
}

// dryRun reports what the rollout would do, writing nothing.
func (r *rollout) dryRun() {
	for i := range r.results {
		res := RolloutResult{Status: RolloutNotStarted, Locked: r.baseLocked[i]}
		if r.current(i) {
			res.Status = RolloutAlreadyCurrent
		}
		r.finish(i, res)
	}
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
// hands each to them; it stops when ctx ends. Installs the install base
// shows current are settled first, without a push.
func (r *rollout) feed(ctx context.Context, work chan<- int) {
	var todo []int
	for i := range r.results {
		if ctx.Err() != nil {
			return
		}
		if !r.current(i) {
			todo = append(todo, i)
			continue
		}
		res := RolloutResult{Status: RolloutAlreadyCurrent}
		if r.baseLocked[i] { // current, but locked by an earlier push: release it
			res.Locked = r.unlock(ctx, r.ids[i], false) != nil
		}
		r.finish(i, res)
	}
	// A push waits for room for half the workers' worth of installs, so
	// that the workers still have installs queued while it is in flight,
	// and then names all the window has room for.
	least := max(1, (r.opts.Concurrency+1)/2)
	for len(todo) > 0 {
		most := min(r.opts.PushBatchSize, len(todo))
		n := r.acquire(ctx, min(least, most), most)
		if n == 0 {
			return
		}
		batch := todo[:n]
		todo = todo[n:]
		r.mu.Lock()
		for _, i := range batch {
			r.held[i] = true
		}
		r.mu.Unlock()
		reached := batch
		if !r.opts.NoPush {
			reached = r.push(ctx, batch)
		}
		for _, i := range reached {
			work <- i
		}
	}
}

// acquire takes room in the window for the next batch: least slots,
// waiting for them, then as many more, up to most, as are free. It returns
// how many it took; 0 when ctx ended first.
func (r *rollout) acquire(ctx context.Context, least, most int) int {
	n := 0
	for n < least {
		select {
		case r.slots <- struct{}{}:
			n++
		case <-ctx.Done():
			for range n {
				<-r.slots
			}
			return 0
		}
	}
	for n < most {
		select {
		case r.slots <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

// push pushes the update to the installs of batch and returns those it
// reached. A refused push is split in halves until each refused id stands
// alone; those end failed at PhasePush.
//
// A push that has left runs to its end on a context of its own (bounded by
// UnlockTimeout), so that a cancel landing while it is in flight does not
// leave the server to apply it after the sweep read the installs.
func (r *rollout) push(ctx context.Context, batch []int) []int {
	if ctx.Err() != nil {
		return nil // not sent: not started
	}
	ids := make([]string, len(batch))
	for n, i := range batch {
		ids[n] = r.ids[i]
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.UnlockTimeout)
	err := r.s.PushUpdate(pctx, r.conn, ids...)
	cancel()
	var apiErr *APIError
	refused := errors.As(err, &apiErr) && apiErr.StatusCode < 500 && apiErr.StatusCode != http.StatusTooManyRequests
	for _, i := range batch {
		// A push that failed other than by refusal may have locked some,
		// or may still lock them.
		r.pushed[i] = !refused && !notSent(err)
		r.unknown[i] = err != nil && r.pushed[i]
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
		res := RolloutResult{Status: RolloutFailed, Err: &ManagedUpdateError{IntegrationID: r.results[i].IntegrationID, Version: r.version, Phase: PhasePush, Err: r.s.c.redactError(err)}}
		if r.pushed[i] {
			res.Locked = r.unlock(ctx, r.ids[i], true) != nil
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
	read, returned, err := r.managedUpdate(ctx, id)
	res := RolloutResult{FromVersion: read.version, Status: RolloutUpdated}
	locked := r.pushed[i] || read.locked // the push, or an earlier one, locked it
	// Stopped by the rollout's end: not a failure of the install.
	cancelled := ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
	var mue *ManagedUpdateError
	isMUE := errors.As(err, &mue)
	switch {
	case !returned:
		// The update function ended its goroutine: the managed update
		// unlocked the install on its way out; check, and go on.
		res.Status = RolloutFailed
		res.Err = &ManagedUpdateError{IntegrationID: r.results[i].IntegrationID, Version: r.version, Phase: PhaseUpdateFunction, Err: errGoexit}
		res.Locked = r.unlock(ctx, id, false) != nil
	case err == nil:
	case cancelled && (!isMUE || mue.Phase == PhaseRead):
		return // stopped before anything was done: not started
	case errors.Is(err, ErrVersionNotNewer):
		res.Status = RolloutAlreadyCurrent
		if locked {
			res.Locked = r.unlock(ctx, id, false) != nil
		}
	case isMUE:
		res.Status, res.Err = RolloutFailed, err
		res.Locked = mue.OutcomeUnknown || mue.UnlockErr != nil || (!mue.Unlocked && locked)
		if res.Locked {
			res.Locked = r.unlock(ctx, id, false) != nil // a second try
		}
	default:
		res.Status, res.Err, res.Locked = RolloutFailed, err, locked
		if locked {
			res.Locked = r.unlock(ctx, id, false) != nil
		}
	}
	if cancelled && res.Status == RolloutFailed {
		res.Status = RolloutCancelled
	}
	r.finish(i, res)
}

// managedUpdate runs the managed update of integration id on a goroutine
// of its own, so that an update function calling runtime.Goexit (as
// t.FailNow does) ends that goroutine and not the worker: returned is
// false then.
func (r *rollout) managedUpdate(ctx context.Context, id string) (read readState, returned bool, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, read, err = r.in.managedUpdateFrom(ctx, id, r.version, r.fn, r.opts.UpdateOptions...)
		returned = true
	}()
	<-done
	return read, returned, err
}

// unlock releases an install on a context of its own, bounded, so that a
// cancelled rollout still unlocks. With force it writes the unlock even
// when the install reads unlocked.
func (r *rollout) unlock(ctx context.Context, id string, force bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.UnlockTimeout)
	defer cancel()
	_, err := r.in.unlockWith(ctx, id, force)
	if errors.Is(err, ErrNotFound) {
		return nil // deleted meanwhile: nothing is locked
	}
	return err
}

// finish records install i's result and reports it.
func (r *rollout) finish(i int, res RolloutResult) {
	res.IntegrationID = r.results[i].IntegrationID // redacted
	res.Total = len(r.results)
	if res.FromVersion == "" {
		res.FromVersion = r.results[i].FromVersion
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held[i] { // the install leaves the window
		r.held[i] = false
		<-r.slots
	}
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
	if r.reports != nil {
		r.reports <- res // under mu: in the order finished
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
			if err := r.unlock(ctx, r.ids[i], r.unknown[i]); err != nil {
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
	report := &RolloutReport{Results: r.results}
	notStarted, cancelled := report.Count(RolloutNotStarted), report.Count(RolloutCancelled)
	// An install already current that could not be unlocked is the only
	// one left locked without failing: it is an error too.
	if failed == 0 && notStarted == 0 && cancelled == 0 && len(report.LeftLocked()) == 0 {
		return nil
	}
	return r.s.c.redactError(r.summary(ctx, failed, cancelled, notStarted))
}

// summary says how many installs failed, were cancelled and did not start.
func (r *rollout) summary(ctx context.Context, failed, cancelled, notStarted int) error {
	msg := fmt.Sprintf("integratorio: rollout of connector %s to %s: %d of %d installs failed, %d cancelled, %d not started", r.conn, r.version, failed, len(r.results), cancelled, notStarted)
	if left := (&RolloutReport{Results: r.results}).LeftLocked(); len(left) > 0 {
		msg += fmt.Sprintf(", %d left locked", len(left))
	}
	switch {
	case r.first != nil && context.Cause(ctx) != nil && cancelled+notStarted > 0:
		return fmt.Errorf("%s: %w (stopped: %w)", msg, r.first, context.Cause(ctx))
	case r.first != nil:
		return fmt.Errorf("%s: %w", msg, r.first)
	case context.Cause(ctx) == nil:
		return errors.New(msg + ": unlocking failed; run the rollout again, or Integrations.Unlock")
	}
	return fmt.Errorf("%s: %w", msg, context.Cause(ctx))
}
