package integratorio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// ManagedUpdateOption configures ManagedUpdate.
type ManagedUpdateOption func(*managedUpdateConfig)

type managedUpdateConfig struct {
	allowSameVersion     bool
	ignoreCurrentVersion bool
	unlockTimeout        time.Duration
}

// AllowSameVersion lets ManagedUpdate run when the integration is already at
// the target version: the idempotent re-run of an update that failed after
// its final write, or that must be applied again.
func AllowSameVersion() ManagedUpdateOption {
	return func(c *managedUpdateConfig) { c.allowSameVersion = true }
}

// IgnoreCurrentVersion lets ManagedUpdate run whatever the integration's
// current version is: for an install whose version is not a semantic
// version (such as "1.0"), or to move an install back. The new version
// must still be a semantic version.
func IgnoreCurrentVersion() ManagedUpdateOption {
	return func(c *managedUpdateConfig) { c.ignoreCurrentVersion = true }
}

// WithUnlockTimeout bounds the best-effort unlock that follows a failed
// update (default 30 s; zero or negative keeps the default). The unlock runs on a context of its own that
// keeps ctx's values but not its cancellation or deadline, so that a
// deadline reached during the update, or during the unlock itself, does
// not leave the integration locked.
func WithUnlockTimeout(d time.Duration) ManagedUpdateOption {
	return func(c *managedUpdateConfig) {
		if d > 0 {
			c.unlockTimeout = d
		}
	}
}

// Phase names a phase of a managed update or of a rollout, as
// ManagedUpdateError.Phase reports where one failed. (A flow's exports and
// imports are its steps; these are not.)
type Phase string

// The phases of a managed update, as ManagedUpdateError.Phase names them.
const (
	// PhaseRead: reading the integration failed.
	PhaseRead Phase = "read"
	// PhaseVersionCheck: the integration is already at or above the target
	// version (the cause matches ErrVersionNotNewer), or its version is
	// not a semantic version; nothing was written.
	PhaseVersionCheck Phase = "version check"
	// PhaseLock: writing updateInProgress true failed.
	PhaseLock Phase = "lock"
	// PhaseUpdateFunction: the caller's function failed, panicked or ended
	// its goroutine (runtime.Goexit).
	PhaseUpdateFunction Phase = "update function"
	// PhaseFinalWrite: the write of the changes, the new version and the
	// unlock failed.
	PhaseFinalWrite Phase = "final write"
	// PhasePush: pushing the update to the install failed (Rollout).
	PhasePush Phase = "push"
)

// ErrVersionNotNewer matches a managed update refused because the
// integration is already at or above the target version: the install is
// current, and nothing was written. errors.As with a *VersionNotNewerError
// gives the current version. A malformed version does not match it (that
// is ErrInvalidArgument).
var ErrVersionNotNewer = errors.New("integratorio: the integration is already at or above the target version")

// VersionNotNewerError says that an integration's current version is not
// lower than the version a managed update was to set. It matches
// ErrVersionNotNewer.
type VersionNotNewerError struct {
	// IntegrationID is the integration.
	IntegrationID string
	// Version is the version the update was to set.
	Version string
	// CurrentVersion is the integration's version.
	CurrentVersion string
}

// Error says which version the integration is at.
func (e *VersionNotNewerError) Error() string {
	return fmt.Sprintf("integratorio: integration %s is at version %s, not lower than %s", e.IntegrationID, e.CurrentVersion, e.Version)
}

// Is matches ErrVersionNotNewer.
func (e *VersionNotNewerError) Is(target error) bool { return target == ErrVersionNotNewer }

// ManagedUpdateError reports a managed update that failed. Unless
// OutcomeUnknown is set, the integration's version was not changed. The
// client's token is redacted from every member and from the message, also
// when the server echoed it as an id.
// errors.Is and errors.As see both the cause and, when unlocking failed
// too, the unlock error.
type ManagedUpdateError struct {
	// IntegrationID is the integration being updated.
	IntegrationID string
	// Version is the version the update was to set.
	Version string
	// Phase is where it failed: one of the Phase constants (PhaseRead,
	// PhaseVersionCheck, PhaseLock, PhaseUpdateFunction, PhaseFinalWrite,
	// or PhasePush in a rollout).
	Phase Phase
	// Err is the cause.
	Err error
	// Unlocked reports whether the best-effort unlock left the
	// integration with updateInProgress false.
	Unlocked bool
	// UnlockErr is why unlocking failed, if it did.
	UnlockErr error
	// OutcomeUnknown reports that the final write may have been applied
	// although its answer was lost, and the integration could not be read
	// again to tell: it may already hold the new version, unlocked. The
	// error then also matches ErrUnknownOutcome. Re-running the update
	// with AllowSameVersion is safe either way.
	OutcomeUnknown bool
}

// Error says which step failed, why, and whether the integration was
// unlocked.
func (e *ManagedUpdateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "integratorio: managed update of integration %s to %s failed at %s: %v", e.IntegrationID, e.Version, e.Phase, e.Err)
	switch {
	case e.OutcomeUnknown:
		fmt.Fprintf(&b, "; the final write may have been applied, but reading the integration back failed (%v): it may be at version %s, unlocked, or still locked at its old version; re-running with AllowSameVersion is safe", e.UnlockErr, e.Version)
	case e.UnlockErr != nil:
		fmt.Fprintf(&b, "; unlocking failed too, updateInProgress may still be true: %v", e.UnlockErr)
	case e.Unlocked:
		b.WriteString("; the integration was unlocked (updateInProgress false, version unchanged)")
	}
	return b.String()
}

// Unwrap returns the cause, the unlock error, and ErrUnknownOutcome when
// OutcomeUnknown is set.
func (e *ManagedUpdateError) Unwrap() []error {
	errs := []error{e.Err}
	if e.UnlockErr != nil {
		errs = append(errs, e.UnlockErr)
	}
	if e.OutcomeUnknown {
		errs = append(errs, ErrUnknownOutcome)
	}
	return errs
}

// parseVersion parses a strict MAJOR.MINOR.PATCH[-PRERELEASE] version, the
// form ManagedUpdate writes.
func parseVersion(v string) (*semver.Version, error) {
	if strings.Contains(v, "+") {
		return nil, errors.New("build metadata is not allowed")
	}
	return semver.StrictNewVersion(v)
}

// ManagedUpdate implements IntegrationsService.ManagedUpdate.
func (s *integrations) ManagedUpdate(ctx context.Context, id, version string, fn func(*Integration) error, opts ...ManagedUpdateOption) (*Integration, error) {
	out, _, err := s.managedUpdateFrom(ctx, id, version, fn, opts...)
	return out, err
}

// readState is what a managed update found when it read the integration.
type readState struct {
	version string // "" when it was not read
	locked  bool   // updateInProgress was true
}

// managedUpdateFrom is ManagedUpdate, also reporting what it read.
func (s *integrations) managedUpdateFrom(ctx context.Context, id, version string, fn func(*Integration) error, opts ...ManagedUpdateOption) (*Integration, readState, error) {
	if err := validateID(id); err != nil {
		return nil, readState{}, err
	}
	if fn == nil {
		return nil, readState{}, invalidArgf("ManagedUpdate: nil update function")
	}
	target, err := parseVersion(version)
	if err != nil {
		return nil, readState{}, invalidArgf("ManagedUpdate: version %q is not MAJOR.MINOR.PATCH[-PRERELEASE]: %v", version, err)
	}
	cfg := managedUpdateConfig{unlockTimeout: 30 * time.Second}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	p, _ := s.docPath(id) // id is valid
	unlockKey, err := s.c.locks.lock(ctx, p)
	if err != nil {
		return nil, readState{}, fmt.Errorf("integratorio: ManagedUpdate %s: waiting for this client's other update of it: %w", id, err)
	}
	defer unlockKey()
	var read readState
	out, err := s.managedUpdate(ctx, id, version, target, fn, cfg, &read)
	read.version = s.c.redactString(read.version)
	return out, read, s.c.redactError(err)
}

func (s *integrations) managedUpdate(ctx context.Context, id, version string, target *semver.Version, fn func(*Integration) error, cfg managedUpdateConfig, read *readState) (*Integration, error) {
	// Ids come from install bases and users: the error holds the id
	// redacted, and every cause redacted, so that errors.As gives nothing
	// that quotes the token. unlock is given the id itself.
	shown := s.c.redactString(id)
	fail := func(phase Phase, cause error) *ManagedUpdateError {
		return &ManagedUpdateError{IntegrationID: shown, Version: version, Phase: phase, Err: s.c.redactError(cause)}
	}

	in, err := s.Get(ctx, id)
	if err != nil {
		return nil, fail(PhaseRead, err)
	}
	*read = readState{version: in.Version, locked: in.UpdateInProgress}
	if in.Version != "" && !cfg.ignoreCurrentVersion {
		current := s.c.redactString(in.Version)
		// Build metadata is valid semver and plays no part in precedence:
		// an install may carry it even though ManagedUpdate never writes it.
		cv, err := semver.StrictNewVersion(in.Version)
		if err != nil {
			return nil, fail(PhaseVersionCheck, invalidArgf("integration %s has version %q, which is not a semantic version; cannot tell whether %s is newer (IgnoreCurrentVersion skips the check)", shown, current, version))
		}
		switch c := target.Compare(cv); {
		case c < 0, c == 0 && !cfg.allowSameVersion:
			return nil, fail(PhaseVersionCheck, &VersionNotNewerError{IntegrationID: shown, Version: version, CurrentVersion: current})
		}
	}

	if !in.UpdateInProgress {
		in.UpdateInProgress = true
		locked, err := s.Update(ctx, id, in)
		if err != nil {
			return s.unlock(ctx, cfg, id, fail(PhaseLock, err))
		}
		in = locked
	}
	goexit := func() {
		// fn called runtime.Goexit (t.FailNow in a test, say): the
		// goroutine is ending, but the integration must not stay locked.
		_, _ = s.unlock(ctx, cfg, id, fail(PhaseUpdateFunction, errGoexit))
	}
	if err := callUpdate(fn, in, goexit); err != nil {
		return s.unlock(ctx, cfg, id, fail(PhaseUpdateFunction, err))
	}
	in.Version = version
	in.UpdateInProgress = false
	out, err := s.Update(ctx, id, in)
	if err != nil {
		return s.unlock(ctx, cfg, id, fail(PhaseFinalWrite, err))
	}
	return out, nil
}

// errGoexit is the cause reported for an update function that ended its
// goroutine with runtime.Goexit.
var errGoexit = errors.New("update function called runtime.Goexit (t.FailNow, say) instead of returning")

// callUpdate runs the caller's function, turning a panic into an error so
// that the integration is still unlocked. A panic value that is an error
// stays reachable through errors.Is and errors.As. If fn ends its
// goroutine with runtime.Goexit, which no recover stops, onGoexit runs
// before the goroutine ends.
func callUpdate(fn func(*Integration) error, in *Integration, onGoexit func()) (err error) {
	returned := false
	defer func() {
		r := recover()
		switch e, isErr := r.(error); {
		case isErr:
			err = fmt.Errorf("update function panicked: %w", e)
		case r != nil:
			err = fmt.Errorf("update function panicked: %v", r)
		case !returned:
			onGoexit()
		}
	}()
	err = fn(in)
	returned = true
	return err
}

// unlock makes the best-effort write that sets updateInProgress false on a
// fresh copy of the integration, keeping its version, and records the
// outcome in mue.
//
// When the final write failed in a way that may still have applied it
// (its answer was lost, not refused) and the fresh copy shows it applied,
// the update succeeded: the fresh document is returned with a nil error. A
// final write the server refused (a 4xx answer) is never taken for
// success, whatever the fresh copy shows: another actor may have set the
// version, but the function's changes were not stored.
func (s *integrations) unlock(ctx context.Context, cfg managedUpdateConfig, id string, mue *ManagedUpdateError) (*Integration, error) {
	// Detached from ctx: a deadline that ends the update must not also
	// end the unlock, wherever it falls.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.unlockTimeout)
	defer cancel()
	finalWrite := mue.Phase == PhaseFinalWrite && mayHaveApplied(mue.Err)
	fresh, err := s.Get(ctx, id)
	if err != nil {
		mue.UnlockErr = s.c.redactError(fmt.Errorf("reading the integration to unlock it: %w", err))
		mue.OutcomeUnknown = finalWrite
		return nil, mue
	}
	if finalWrite && fresh.Version == mue.Version && !fresh.UpdateInProgress {
		// The final write reached the server although its answer was
		// lost: the update is done.
		return fresh, nil
	}
	if fresh.UpdateInProgress {
		if _, err := s.writeUnlock(ctx, id, fresh, false); err != nil {
			mue.UnlockErr = s.c.redactError(fmt.Errorf("writing updateInProgress false: %w", err))
			return nil, mue
		}
	}
	mue.Unlocked = true
	return nil, mue
}

// writeUnlock writes updateInProgress false to integration id, given in, a
// copy just read. It puts the whole document back (keeping every member),
// unless the masked-secret guard refuses that because the document holds
// a mask-like string: then it sends only the unlock, a PATCH replacing
// /updateInProgress, which cannot carry a secret. With readBack, a
// patched integration is read again for the caller (in, unlocked, if
// that read fails: the unlock itself succeeded).
func (s *integrations) writeUnlock(ctx context.Context, id string, in *Integration, readBack bool) (*Integration, error) {
	in.UpdateInProgress = false
	out, err := s.Update(ctx, id, in)
	if !errors.Is(err, ErrMaskedSecret) {
		return out, err
	}
	if err := s.Patch(ctx, id, PatchOp{Op: "replace", Path: "/updateInProgress", Value: false}); err != nil {
		return nil, fmt.Errorf("integratorio: integration %s holds masked values, which a PUT would store as they are, and the PATCH of /updateInProgress failed "+
			"(if the API keeps secrets it receives masked, unlock with a context from AllowMaskedSecrets, which sends the PUT): %w", s.c.redactString(id), err)
	}
	if !readBack {
		return nil, nil
	}
	if out, err := s.Get(ctx, id); err == nil {
		return out, nil
	}
	return in, nil
}

// mayHaveApplied reports whether a failed write may still have been
// applied: not when it was refused before sending (bad input, a masked
// secret, a wait for the pacer that ended, a connection that failed before
// the request was written) nor when the server answered refusing it.
func mayHaveApplied(err error) bool {
	if errors.Is(err, ErrInvalidArgument) || notSent(err) {
		return false
	}
	var apiErr *APIError
	return !errors.As(err, &apiErr) || apiErr.StatusCode >= 500 || apiErr.mayHaveActed
}

// Unlock implements IntegrationsService.Unlock.
func (s *integrations) Unlock(ctx context.Context, id string) (*Integration, error) {
	return s.unlockWith(ctx, id, false)
}

// unlockWith is Unlock; with force it writes updateInProgress false even
// when the integration reads unlocked, for a push whose outcome is unknown
// that the server may apply after the read.
func (s *integrations) unlockWith(ctx context.Context, id string, force bool) (*Integration, error) {
	p, err := s.docPath(id)
	if err != nil {
		return nil, err
	}
	// A read-modify-write like Modify: not while this client updates it.
	unlockKey, err := s.c.locks.lock(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("integratorio: Unlock %s: waiting for this client's other update of it: %w", s.c.redactString(id), err)
	}
	defer unlockKey()
	in, err := s.Get(ctx, id)
	if err != nil || !in.UpdateInProgress && !force {
		return in, err
	}
	return s.writeUnlock(ctx, id, in, true)
}
