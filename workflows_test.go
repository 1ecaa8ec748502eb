package integratorio_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// managedFixture starts a fake holding one SmartConnector install at
// version 1.0.1 with members the SDK does not type.
func managedFixture(t *testing.T, locked bool) (*integratoriotest.Server, *integratorio.Client, string) {
	t.Helper()
	srv := integratoriotest.NewServer()
	t.Cleanup(srv.Close)
	doc := fmt.Sprintf(`{"name":"Shop - NetSuite","_connectorId":"c0nnect0r0000000000000001","version":"1.0.1","updateInProgress":%t,
		"mode":"settings","settings":{"commonresources":{"nsConnectionId":"conn1"},"custom":{"keep":true}},
		"flowGroupings":[{"_id":"g1","name":"Orders"}]}`, locked)
	id, err := srv.AddIntegrationJSON([]byte(doc))
	require.NoError(t, err)
	return srv, srv.Client(), id
}

// stored decodes the fake's copy of an integration.
func stored(t *testing.T, srv *integratoriotest.Server, id string) map[string]any {
	t.Helper()
	raw, ok := srv.IntegrationJSON(id)
	require.True(t, ok)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// requestLog lists method and path of the requests, and each PUT's
// updateInProgress and version.
func requestLog(t *testing.T, srv *integratoriotest.Server) []string {
	t.Helper()
	var out []string
	for _, r := range srv.Requests() {
		line := r.Method + " " + r.Path
		if r.Method == http.MethodPut && r.Path != "" {
			var body struct {
				UpdateInProgress *bool
				Version          string
			}
			require.NoError(t, json.Unmarshal(r.Body, &body))
			if body.UpdateInProgress != nil {
				line += fmt.Sprintf(" updateInProgress=%t version=%s", *body.UpdateInProgress, body.Version)
			}
		}
		out = append(out, line)
	}
	return out
}

// assertLockedThenUnlocked checks that a failed managed update read, locked,
// read again and unlocked, leaving the version as it was.
func assertLockedThenUnlocked(t *testing.T, srv *integratoriotest.Server, id string) {
	t.Helper()
	p := "/integrations/" + id
	assert.Equal(t, []string{
		"GET " + p,
		"PUT " + p + " updateInProgress=true version=1.0.1",
		"GET " + p,
		"PUT " + p + " updateInProgress=false version=1.0.1",
	}, requestLog(t, srv))
	doc := stored(t, srv, id)
	assert.Equal(t, "1.0.1", doc["version"], "the version is not bumped")
	assert.Equal(t, false, doc["updateInProgress"])
}

func TestManagedUpdateHappyPath(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	var seenLocked bool
	out, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", func(in *integratorio.Integration) error {
		seenLocked = stored(t, srv, id)["updateInProgress"] == true
		return in.Settings.Set("newSetting", "on")
	})
	require.NoError(t, err)
	assert.True(t, seenLocked, "the integration is locked while the function runs")
	assert.Equal(t, "1.1.0", out.Version)
	assert.False(t, out.UpdateInProgress)

	p := "/integrations/" + id
	assert.Equal(t, []string{
		"GET " + p,
		"PUT " + p + " updateInProgress=true version=1.0.1",
		"PUT " + p + " updateInProgress=false version=1.1.0",
	}, requestLog(t, srv))

	doc := stored(t, srv, id)
	assert.Equal(t, "1.1.0", doc["version"])
	assert.Equal(t, false, doc["updateInProgress"])
	settings := doc["settings"].(map[string]any)
	assert.Equal(t, "on", settings["newSetting"])
	assert.Equal(t, map[string]any{"keep": true}, settings["custom"], "untyped members survive every write")
	assert.Equal(t, []any{map[string]any{"_id": "g1", "name": "Orders"}}, doc["flowGroupings"])
}

func TestManagedUpdateAfterPushSkipsTheLock(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	ctx := context.Background()
	require.NoError(t, client.Connectors.PushUpdate(ctx, "c0nnect0r0000000000000001", id))
	assert.Equal(t, true, stored(t, srv, id)["updateInProgress"], "pushing locks the integration")

	installs, err := client.Connectors.InstallBase(ctx, "c0nnect0r0000000000000001")
	require.NoError(t, err)
	require.Len(t, installs, 1)
	assert.Equal(t, id, installs[0].IntegrationID)
	assert.True(t, installs[0].UpdateInProgress)

	srv.ResetRequests()
	_, err = client.Integrations.ManagedUpdate(ctx, id, "1.0.2", func(*integratorio.Integration) error { return nil })
	require.NoError(t, err)
	p := "/integrations/" + id
	assert.Equal(t, []string{"GET " + p, "PUT " + p + " updateInProgress=false version=1.0.2"}, requestLog(t, srv))
}

func TestManagedUpdateFailingFunctionUnlocks(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	boom := errors.New("mapping step failed")
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", func(in *integratorio.Integration) error {
		in.Name = "half-changed"
		return boom
	})
	require.ErrorIs(t, err, boom)
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.Equal(t, integratorio.Phase("update function"), mue.Phase)
	assert.True(t, mue.Unlocked)
	assert.Contains(t, err.Error(), "unlocked")

	assertLockedThenUnlocked(t, srv, id)
	assert.Equal(t, "Shop - NetSuite", stored(t, srv, id)["name"], "the half-made change is not written")
}

func TestManagedUpdatePanickingFunctionUnlocks(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", func(*integratorio.Integration) error {
		panic("nil map")
	})
	require.ErrorContains(t, err, "panicked: nil map")
	assert.Equal(t, false, stored(t, srv, id)["updateInProgress"])
	assertLockedThenUnlocked(t, srv, id)
}

func TestManagedUpdateFailingFinalWriteUnlocks(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, true)
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "2.0.0", func(*integratorio.Integration) error {
		srv.FailNext(1, http.StatusBadRequest, integratoriotest.OnMethod(http.MethodPut))
		return nil
	})
	require.ErrorIs(t, err, integratorio.ErrBadRequest)
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.Equal(t, integratorio.Phase("final write"), mue.Phase)
	assert.True(t, mue.Unlocked)
	doc := stored(t, srv, id)
	assert.Equal(t, "1.0.1", doc["version"])
	assert.Equal(t, false, doc["updateInProgress"])
}

func TestManagedUpdateReportsAFailedUnlock(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, true)
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "2.0.0", func(*integratorio.Integration) error {
		srv.FailNext(2, http.StatusForbidden, integratoriotest.OnMethod(http.MethodPut))
		return nil
	})
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.False(t, mue.Unlocked)
	assert.ErrorIs(t, err, integratorio.ErrForbidden)
	require.Error(t, mue.UnlockErr)
	assert.ErrorIs(t, mue.UnlockErr, integratorio.ErrForbidden)
	assert.Contains(t, err.Error(), "updateInProgress may still be true")
}

func TestManagedUpdateCancelledContextStillUnlocks(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := client.Integrations.ManagedUpdate(ctx, id, "1.1.0", func(*integratorio.Integration) error {
		cancel()
		return ctx.Err()
	})
	require.ErrorIs(t, err, context.Canceled)
	doc := stored(t, srv, id)
	assert.Equal(t, false, doc["updateInProgress"], "unlocked with a fresh context")
	assert.Equal(t, "1.0.1", doc["version"])
}

func TestManagedUpdateRefusesBadVersionsBeforeWriting(t *testing.T) {
	t.Parallel()
	notNewer := map[string]bool{"1.0.1": true, "1.0.0": true, "1.0.1-rc.1": true, "0.9.9": true}
	for _, v := range []string{"1.0.1", "1.0.0", "1.0.1-rc.1", "0.9.9", "v1.2.0", "1.2", "1.2.0.1", "1.2.0+build", "", "latest", "01.2.0"} {
		srv, client, id := managedFixture(t, false)
		_, err := client.Integrations.ManagedUpdate(context.Background(), id, v, func(*integratorio.Integration) error {
			t.Errorf("function ran for version %q", v)
			return nil
		})
		if notNewer[v] {
			// An install at or above the target is current, not a typo.
			require.ErrorIs(t, err, integratorio.ErrVersionNotNewer, v)
			assert.NotErrorIs(t, err, integratorio.ErrInvalidArgument, v)
			var vn *integratorio.VersionNotNewerError
			require.ErrorAs(t, err, &vn, v)
			assert.Equal(t, "1.0.1", vn.CurrentVersion)
			assert.Equal(t, v, vn.Version)
			assert.Equal(t, id, vn.IntegrationID)
			var mue *integratorio.ManagedUpdateError
			require.ErrorAs(t, err, &mue, v)
			assert.Equal(t, integratorio.PhaseVersionCheck, mue.Phase)
			assert.False(t, mue.Unlocked, "nothing was locked or unlocked")
		} else {
			require.ErrorIs(t, err, integratorio.ErrInvalidArgument, v)
			assert.NotErrorIs(t, err, integratorio.ErrVersionNotNewer, "a malformed version %q is not an install that is current", v)
			assert.Empty(t, srv.Requests(), "version %q is refused before any request", v)
		}
		for _, r := range srv.Requests() {
			assert.Equal(t, http.MethodGet, r.Method, "version %q: nothing is written", v)
		}
		assert.Equal(t, false, stored(t, srv, id)["updateInProgress"])
	}
}

func TestManagedUpdateAllowSameVersion(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, true)
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.0.1", func(in *integratorio.Integration) error {
		return in.Settings.Set("rerun", true)
	}, integratorio.AllowSameVersion())
	require.NoError(t, err)
	doc := stored(t, srv, id)
	assert.Equal(t, "1.0.1", doc["version"])
	assert.Equal(t, false, doc["updateInProgress"])

	_, err = client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0-rc.1", func(*integratorio.Integration) error { return nil })
	require.NoError(t, err, "a pre-release of a higher version is higher")
}

func TestModifyReadsReChecksThenWritesEverything(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	out, err := client.Integrations.Modify(context.Background(), id, func(in *integratorio.Integration) error {
		in.Tag = "mine"
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "mine", out.Tag)
	p := "/integrations/" + id
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, []string{"GET " + p, "GET " + p, "PUT " + p},
		[]string{reqs[0].Method + " " + reqs[0].Path, reqs[1].Method + " " + reqs[1].Path, reqs[2].Method + " " + reqs[2].Path})
	var put map[string]any
	require.NoError(t, json.Unmarshal(reqs[2].Body, &put))
	assert.Equal(t, "mine", put["tag"])
	assert.Equal(t, map[string]any{"keep": true}, put["settings"].(map[string]any)["custom"], "unknown members are written back")
	assert.Equal(t, []any{map[string]any{"_id": "g1", "name": "Orders"}}, put["flowGroupings"])
	assert.Equal(t, "mine", stored(t, srv, id)["tag"])
}

func TestModifyDetectsConcurrentChanges(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	other := srv.Client()
	ctx := context.Background()

	runs := 0
	out, err := client.Integrations.Modify(ctx, id, func(in *integratorio.Integration) error {
		runs++
		if runs == 1 {
			// Someone else changes the integration while we work.
			require.NoError(t, other.Integrations.Patch(ctx, id, integratorio.PatchOp{Op: "replace", Path: "/name", Value: "renamed by someone else"}))
		}
		in.Tag = "mine"
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, runs, "the function ran again on the fresh document")
	assert.Equal(t, "renamed by someone else", out.Name, "the other change was not overwritten")
	assert.Equal(t, "mine", out.Tag)

	srv.ResetRequests()
	_, err = client.Integrations.Modify(ctx, id, func(in *integratorio.Integration) error {
		return other.Integrations.Patch(ctx, id, integratorio.PatchOp{Op: "replace", Path: "/tag", Value: "again"})
	})
	require.ErrorIs(t, err, integratorio.ErrConflict)
	var gets, puts int
	for _, r := range srv.Requests() {
		switch r.Method {
		case http.MethodGet:
			gets++
		case http.MethodPut:
			puts++
		}
	}
	assert.Equal(t, 6, gets, "three attempts, each a read and a re-check")
	assert.Zero(t, puts, "a conflicting write is never sent")
	assert.Equal(t, "again", stored(t, srv, id)["tag"])

	boom := errors.New("no")
	before := len(srv.Requests())
	_, err = client.Integrations.Modify(ctx, id, func(*integratorio.Integration) error { return boom })
	require.ErrorIs(t, err, boom)
	assert.Len(t, srv.Requests(), before+1, "only the read was sent")
}

func TestManagedUpdateWhoseFinalAnswerIsLostStillSucceeds(t *testing.T) {
	t.Parallel()
	srv, _, id := managedFixture(t, true)
	// No retries: the final PUT is applied, its answer lost, and not sent again.
	client := srv.Client(integratorio.WithRetryPolicy(integratorio.RetryPolicy{}))
	out, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.2.0", func(*integratorio.Integration) error {
		srv.DropNext(1, integratoriotest.OnMethod(http.MethodPut))
		return nil
	})
	require.NoError(t, err, "the re-read shows the update was applied")
	assert.Equal(t, "1.2.0", out.Version)
	assert.False(t, out.UpdateInProgress)
	doc := stored(t, srv, id)
	assert.Equal(t, "1.2.0", doc["version"])
	assert.Equal(t, false, doc["updateInProgress"])
}

func TestManagedUpdateIgnoreCurrentVersion(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	client := srv.Client()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"old install","version":"1.0"}`))
	require.NoError(t, err)
	noop := func(*integratorio.Integration) error { return nil }

	_, err = client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", noop)
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "IgnoreCurrentVersion")

	_, err = client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", noop, integratorio.IgnoreCurrentVersion())
	require.NoError(t, err)
	assert.Equal(t, "1.1.0", stored(t, srv, id)["version"])

	_, err = client.Integrations.ManagedUpdate(context.Background(), id, "1.0", noop, integratorio.IgnoreCurrentVersion())
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument, "the new version must still be semver")
}

func TestManagedUpdateUnlockTimeoutBoundsTheUnlock(t *testing.T) {
	t.Parallel()
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && gets.Add(1) > 1 {
			<-r.Context().Done() // the unlock's read never answers
			return
		}
		_, _ = w.Write([]byte(`{"_id":"a","version":"1.0.0","updateInProgress":true}`))
	}))
	defer srv.Close()
	client, err := integratorio.NewClient("tok-fake-unlock", integratorio.WithBaseURL(srv.URL+"/v1"),
		integratorio.WithRetryPolicy(integratorio.RetryPolicy{}))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := client.Integrations.ManagedUpdate(ctx, "a", "1.1.0", func(*integratorio.Integration) error {
			cancel()
			return ctx.Err()
		}, integratorio.WithUnlockTimeout(50*time.Millisecond))
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second): // the default unlock timeout is 30 s
		t.Fatal("the unlock did not give up after WithUnlockTimeout")
	}
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, mue.UnlockErr, context.DeadlineExceeded, "the unlock gave up after its own timeout")
	assert.False(t, mue.Unlocked)
}

func TestUnlockReleasesAPushedInstallWithoutUpdatingIt(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	ctx := context.Background()
	require.NoError(t, client.Connectors.PushUpdate(ctx, "c0nnect0r0000000000000001", id))

	// The update is refused (not newer): nothing is written, the push's lock stays.
	srv.ResetRequests()
	_, err := client.Integrations.ManagedUpdate(ctx, id, "1.0.1", func(*integratorio.Integration) error { return nil })
	require.ErrorIs(t, err, integratorio.ErrVersionNotNewer)
	assert.Equal(t, true, stored(t, srv, id)["updateInProgress"])

	out, err := client.Integrations.Unlock(ctx, id)
	require.NoError(t, err)
	assert.False(t, out.UpdateInProgress)
	doc := stored(t, srv, id)
	assert.Equal(t, false, doc["updateInProgress"])
	assert.Equal(t, "1.0.1", doc["version"])
	assert.Equal(t, []any{map[string]any{"_id": "g1", "name": "Orders"}}, doc["flowGroupings"], "nothing else changes")

	// Unlocking an unlocked integration writes nothing.
	srv.ResetRequests()
	_, err = client.Integrations.Unlock(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []string{"GET /integrations/" + id}, requestLog(t, srv))
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestManagedUpdateDeadlineDuringTheUnlockStillUnlocks(t *testing.T) {
	t.Parallel()
	srv, _, id := managedFixture(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var gets atomic.Int32
	// The caller's context ends while the unlock's read is on its way,
	// as a deadline would.
	transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet && gets.Add(1) == 2 {
			cancel()
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	client := srv.Client(integratorio.WithHTTPClient(&http.Client{Transport: transport}))
	boom := errors.New("mapping step failed")
	_, err := client.Integrations.ManagedUpdate(ctx, id, "1.1.0", func(*integratorio.Integration) error { return boom })
	require.ErrorIs(t, err, boom)
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.True(t, mue.Unlocked, "unlock error: %v", mue.UnlockErr)
	assert.Equal(t, int32(2), gets.Load())
	assertLockedThenUnlocked(t, srv, id)
}

func TestManagedUpdateLostFinalAnswerAndFailedReadIsAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	srv, _, id := managedFixture(t, true)
	client := srv.Client(integratorio.WithRetryPolicy(integratorio.RetryPolicy{}))
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.2.0", func(*integratorio.Integration) error {
		srv.DropNext(1, integratoriotest.OnMethod(http.MethodPut))
		srv.FailNext(1, http.StatusServiceUnavailable, integratoriotest.OnMethod(http.MethodGet))
		return nil
	})
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.Equal(t, integratorio.Phase("final write"), mue.Phase)
	assert.True(t, mue.OutcomeUnknown)
	assert.False(t, mue.Unlocked)
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	assert.ErrorIs(t, err, integratorio.ErrServerError, "the failed read is wrapped")
	assert.Contains(t, err.Error(), "may have been applied")
	assert.Equal(t, "1.2.0", stored(t, srv, id)["version"], "the write was in fact applied")

	// The documented recovery: re-run with AllowSameVersion.
	out, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.2.0",
		func(*integratorio.Integration) error { return nil }, integratorio.AllowSameVersion())
	require.NoError(t, err)
	assert.Equal(t, "1.2.0", out.Version)
	assert.False(t, out.UpdateInProgress)
}

// mockClient returns a client wired to a fresh httpmock transport that
// neither retries nor paces, unless opts say otherwise.
func mockClient(t *testing.T, opts ...integratorio.Option) (*integratorio.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]integratorio.Option{integratorio.WithBaseURL("https://api.example.test/v1"), integratorio.WithHTTPClient(&http.Client{Transport: mt}),
		integratorio.WithRetryPolicy(integratorio.RetryPolicy{}), integratorio.WithRateLimit(0, 0)}, opts...)
	c, err := integratorio.NewClient("tok-FAKE-0123456789-never-real", all...)
	require.NoError(t, err)
	return c, mt
}

// A final write refused before it is sent (fn changed the id) is a failure,
// even when the fresh copy shows the target version unlocked (another
// actor): the function's changes were never stored.
func TestManagedUpdateAnUnsentFinalWriteIsNeverSuccess(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t)
	var gets, puts atomic.Int32
	mt.RegisterResponder(http.MethodGet, "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		if gets.Add(1) == 1 {
			return httpmock.NewStringResponse(200, `{"_id":"i1","version":"1.0.0","updateInProgress":true}`), nil
		}
		return httpmock.NewStringResponse(200, `{"_id":"i1","version":"1.1.0","updateInProgress":false}`), nil
	})
	mt.RegisterResponder(http.MethodPut, "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		puts.Add(1)
		return httpmock.NewStringResponse(200, `{"_id":"i1"}`), nil
	})
	_, err := c.Integrations.ManagedUpdate(context.Background(), "i1", "1.1.0", func(in *integratorio.Integration) error {
		in.ID = "i2" // a bug in fn: Update refuses it before sending
		return nil
	})
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue, "the final write was refused before sending: no success")
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	assert.False(t, mue.OutcomeUnknown, "nothing of the final write was sent")
}

// A final write the pacer held back (never sent), followed by a failed read
// for the unlock, is not reported as a write that may have been applied.
func TestManagedUpdateAFinalWriteThePacerHeldBackIsNotAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t, integratorio.WithRateLimit(0.01, 1)) // the read takes the only token for 100 s
	var gets, puts atomic.Int32
	mt.RegisterResponder(http.MethodGet, "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		if gets.Add(1) == 1 {
			return httpmock.NewStringResponse(200, `{"_id":"i1","version":"1.0.0","updateInProgress":true}`), nil
		}
		return httpmock.NewStringResponse(503, ``), nil
	})
	mt.RegisterResponder(http.MethodPut, "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		puts.Add(1)
		return httpmock.NewStringResponse(200, `{"_id":"i1"}`), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Integrations.ManagedUpdate(ctx, "i1", "1.1.0", func(*integratorio.Integration) error { return nil })
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.Zero(t, puts.Load(), "the pacer held the final write back")
	assert.False(t, mue.OutcomeUnknown, "no PUT was sent")
	assert.NotErrorIs(t, err, integratorio.ErrUnknownOutcome)
}

func TestManagedUpdateRefusedFinalWriteIsNotAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	srv, _, id := managedFixture(t, true)
	client := srv.Client(integratorio.WithRetryPolicy(integratorio.RetryPolicy{}))
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.2.0", func(*integratorio.Integration) error {
		srv.FailNext(1, http.StatusBadRequest, integratoriotest.OnMethod(http.MethodPut))
		srv.FailNext(1, http.StatusServiceUnavailable, integratoriotest.OnMethod(http.MethodGet))
		return nil
	})
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.False(t, mue.OutcomeUnknown, "a 400 is a refusal: nothing was applied")
	assert.NotErrorIs(t, err, integratorio.ErrUnknownOutcome)
	assert.ErrorIs(t, mue.UnlockErr, integratorio.ErrServerError)
	assert.Contains(t, err.Error(), "updateInProgress may still be true")
	assert.Equal(t, "1.0.1", stored(t, srv, id)["version"])
}

func TestManagedUpdateAcceptsACurrentVersionWithBuildMetadata(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"x","version":"1.0.0+build.7"}`))
	require.NoError(t, err)
	noop := func(*integratorio.Integration) error { return nil }
	client := srv.Client()

	_, err = client.Integrations.ManagedUpdate(context.Background(), id, "1.0.0", noop)
	require.ErrorIs(t, err, integratorio.ErrVersionNotNewer, "build metadata plays no part in precedence: 1.0.0 is the same version")
	_, err = client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0+build.8", noop)
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument, "the new version still may not carry build metadata")

	_, err = client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", noop)
	require.NoError(t, err)
	assert.Equal(t, "1.1.0", stored(t, srv, id)["version"])
}

func TestManagedUpdatePanicWithAnErrorKeepsIt(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	boom := errors.New("boom")
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0",
		func(*integratorio.Integration) error { panic(boom) })
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "panicked: boom")
	assert.Equal(t, false, stored(t, srv, id)["updateInProgress"])
}

func TestManagedUpdateGoexitInTheFunctionStillUnlocks(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	returned := make(chan bool, 1)
	go func() {
		defer func() { returned <- false }()
		_, _ = client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", func(*integratorio.Integration) error {
			runtime.Goexit() // what t.FailNow does inside a test's function
			return nil
		})
		returned <- true
	}()
	require.False(t, <-returned, "Goexit ended the goroutine")
	doc := stored(t, srv, id)
	assert.Equal(t, false, doc["updateInProgress"])
	assert.Equal(t, "1.0.1", doc["version"])
}

func TestManagedUpdateOutcomeUnknownOnlyWhenTheFinalWriteMayHaveLanded(t *testing.T) {
	t.Parallel()
	t.Run("the function failed and the unlock cannot read", func(t *testing.T) {
		t.Parallel()
		srv, client, id := managedFixture(t, false)
		boom := errors.New("mapping step failed")
		_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", func(*integratorio.Integration) error {
			srv.FailNext(10, http.StatusServiceUnavailable, integratoriotest.OnMethod(http.MethodGet))
			return boom
		})
		var mue *integratorio.ManagedUpdateError
		require.ErrorAs(t, err, &mue)
		assert.False(t, mue.OutcomeUnknown, "nothing but the lock was written")
		assert.NotErrorIs(t, err, integratorio.ErrUnknownOutcome)
		assert.ErrorIs(t, err, boom)
		assert.ErrorIs(t, err, integratorio.ErrServerError)
	})
	t.Run("the final write was applied, its retry refused, the read fails", func(t *testing.T) {
		t.Parallel()
		srv, client, id := managedFixture(t, true)
		_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.2.0", func(*integratorio.Integration) error {
			srv.DropNext(1, integratoriotest.OnMethod(http.MethodPut))                      // applied, answer lost
			srv.FailNext(1, http.StatusConflict, integratoriotest.OnMethod(http.MethodPut)) // the retry is refused
			srv.FailNext(10, http.StatusServiceUnavailable, integratoriotest.OnMethod(http.MethodGet))
			return nil
		})
		var mue *integratorio.ManagedUpdateError
		require.ErrorAs(t, err, &mue)
		assert.ErrorIs(t, err, integratorio.ErrConflict)
		assert.True(t, mue.OutcomeUnknown, "a 409 after an attempt that may have landed proves nothing")
		assert.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
		assert.Equal(t, "1.2.0", stored(t, srv, id)["version"], "it had landed")
	})
}

func TestManagedUpdateFailingLockUnlocks(t *testing.T) {
	t.Parallel()
	srv, _, id := managedFixture(t, false)
	client := srv.Client(integratorio.WithRetryPolicy(integratorio.RetryPolicy{}))
	srv.DropNext(1, integratoriotest.OnMethod(http.MethodPut)) // the lock is stored, its answer lost
	ran := false
	_, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0", func(*integratorio.Integration) error {
		ran = true
		return nil
	})
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.Equal(t, integratorio.Phase("lock"), mue.Phase)
	assert.True(t, mue.Unlocked)
	assert.False(t, ran, "the function does not run without the lock")
	assertLockedThenUnlocked(t, srv, id)
}

// maskedInstall stores a pushed (locked) install whose settings hold a
// mask-like string, and returns its id.
func maskedInstall(t *testing.T, srv *integratoriotest.Server, connectorID string) string {
	t.Helper()
	id, err := srv.AddIntegrationJSON([]byte(fmt.Sprintf(`{"name":"masked","_connectorId":%q,"version":"1.0.0","updateInProgress":true,
		"settings":{"apiKey":"******","keep":1}}`, connectorID)))
	require.NoError(t, err)
	return id
}

// requireMaskKeptAndUnlocked checks that the install is unlocked and that
// its settings are as stored: the mask was never written back.
func requireMaskKeptAndUnlocked(t *testing.T, srv *integratoriotest.Server, id string) {
	t.Helper()
	doc := stored(t, srv, id)
	assert.Equal(t, false, doc["updateInProgress"], "the install is unlocked")
	assert.Equal(t, "1.0.0", doc["version"])
	assert.Equal(t, map[string]any{"apiKey": "******", "keep": float64(1)}, doc["settings"])
}

// requireOnlyThePatchWrote checks the wire: no PUT of the integration (the
// masked-secret guard keeps the document from being written back), and
// exactly one PATCH, replacing /updateInProgress with false.
func requireOnlyThePatchWrote(t *testing.T, srv *integratoriotest.Server, id string) {
	t.Helper()
	patches := 0
	for _, r := range srv.Requests() {
		if r.Path != "/integrations/"+id {
			continue
		}
		switch r.Method {
		case http.MethodPut:
			t.Errorf("the masked document was written back: PUT %s %s", r.Path, r.Body)
		case http.MethodPatch:
			patches++
			assert.JSONEq(t, `[{"op":"replace","path":"/updateInProgress","value":false}]`, string(r.Body))
			assert.Equal(t, http.StatusNoContent, r.Status)
		}
	}
	assert.Equal(t, 1, patches, "one PATCH of /updateInProgress")
}

// An install whose document holds "******" can always be unlocked: the
// guard refuses to PUT it back, so Unlock sends only updateInProgress.
func TestUnlockOfAMaskedDocumentSendsOnlyUpdateInProgress(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id := maskedInstall(t, srv, "c0nnect0r0000000000000001")
	in, err := srv.Client().Integrations.Unlock(context.Background(), id)
	require.NoError(t, err)
	require.NotNil(t, in)
	assert.False(t, in.UpdateInProgress)
	assert.Equal(t, id, in.ID)
	requireMaskKeptAndUnlocked(t, srv, id)
	requireOnlyThePatchWrote(t, srv, id)
}

// ManagedUpdate of such an install: the final write is refused by the
// guard (nothing sent), and the unlock goes through as a PATCH.
func TestManagedUpdateOfAMaskedDocumentStillUnlocks(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id := maskedInstall(t, srv, "c0nnect0r0000000000000001")
	_, err := srv.Client().Integrations.ManagedUpdate(context.Background(), id, "1.1.0", markUpdated)
	require.ErrorIs(t, err, integratorio.ErrMaskedSecret)
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.Equal(t, integratorio.PhaseFinalWrite, mue.Phase)
	assert.True(t, mue.Unlocked, "unlocked: %v", err)
	assert.NoError(t, mue.UnlockErr)
	assert.False(t, mue.OutcomeUnknown, "the final write was never sent")
	requireMaskKeptAndUnlocked(t, srv, id)
	requireOnlyThePatchWrote(t, srv, id)
}

// The token never reaches a *ManagedUpdateError, also when an install base
// or a caller hands it over as an integration id: not its IntegrationID,
// not its message, not its causes.
func TestManagedUpdateErrorNeverHoldsTheToken(t *testing.T) {
	t.Parallel()
	const token = "tok-MUE-5e4d3c2b1a0f"
	srv := integratoriotest.NewServer(integratoriotest.WithToken(token))
	defer srv.Close()
	client := srv.Client()
	noToken := func(t *testing.T, err error) {
		t.Helper()
		var mue *integratorio.ManagedUpdateError
		require.ErrorAs(t, err, &mue)
		assert.NotContains(t, mue.IntegrationID, token)
		assert.Contains(t, mue.IntegrationID, "REDACTED")
		assert.NotContains(t, mue.Error(), token)
		assert.NotContains(t, fmt.Sprintf("%+v", *mue), token)
		assert.NotContains(t, err.Error(), token)
		var vnn *integratorio.VersionNotNewerError
		if errors.As(err, &vnn) {
			assert.NotContains(t, vnn.IntegrationID, token)
		}
	}

	// A read that fails (404): PhaseRead.
	_, err := client.Integrations.ManagedUpdate(context.Background(), token, "1.1.0", markUpdated)
	require.ErrorIs(t, err, integratorio.ErrNotFound)
	noToken(t, err)

	// An install whose id is the token: a function that fails, and a
	// version that is not newer.
	_, err = srv.AddIntegrationJSON([]byte(`{"_id":"` + token + `","name":"x","version":"1.0.0","updateInProgress":false}`))
	require.NoError(t, err)
	_, err = client.Integrations.ManagedUpdate(context.Background(), token, "1.1.0", func(*integratorio.Integration) error {
		return errors.New("no")
	})
	noToken(t, err)
	_, err = client.Integrations.ManagedUpdate(context.Background(), token, "1.0.0", markUpdated)
	require.ErrorIs(t, err, integratorio.ErrVersionNotNewer)
	noToken(t, err)
	assert.Equal(t, false, stored(t, srv, token)["updateInProgress"])
}

// When the API refuses the PATCH of /updateInProgress, the error says how
// to unlock anyway, and a context from AllowMaskedSecrets sends the PUT.
func TestUnlockOfAMaskedDocumentWhosePatchIsRefused(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id := maskedInstall(t, srv, "c0nnect0r0000000000000001")
	srv.FailNext(1, http.StatusBadRequest, integratoriotest.OnMethod(http.MethodPatch))
	client := srv.Client()
	_, err := client.Integrations.Unlock(context.Background(), id)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AllowMaskedSecrets")
	assert.Equal(t, true, stored(t, srv, id)["updateInProgress"], "nothing was unlocked")
	in, err := client.Integrations.Unlock(integratorio.AllowMaskedSecrets(context.Background()), id)
	require.NoError(t, err)
	assert.False(t, in.UpdateInProgress)
	assert.Equal(t, false, stored(t, srv, id)["updateInProgress"])
	var puts int
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut && r.Path == "/integrations/"+id {
			puts++
		}
	}
	assert.Equal(t, 1, puts, "one PUT, the one allowed")
}
