package integratorio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fleetConnector = "c0nnect0r0000000000000001"

// fleet seeds n installs of the connector, at the given versions (cycled),
// and returns their ids in install-base order.
func fleet(t *testing.T, srv *integratoriotest.Server, n int, versions ...string) []string {
	t.Helper()
	var ids []string
	for i := range n {
		v := versions[i%len(versions)]
		id, err := srv.AddIntegrationJSON([]byte(fmt.Sprintf(
			`{"name":"install %d","_connectorId":%q,"version":%q,"updateInProgress":false,"settings":{"keep":%d}}`, i, fleetConnector, v, i)))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return ids
}

// markUpdated is the update function of the tests: it records a member in
// settings.
func markUpdated(in *integratorio.Integration) error {
	return in.EnsureSettings().Set("refundsExportId", "exp-1")
}

// requireUnlocked fails if any of the integrations is left locked.
func requireUnlocked(t *testing.T, srv *integratoriotest.Server, ids []string) {
	t.Helper()
	for _, id := range ids {
		assert.Equal(t, false, stored(t, srv, id)["updateInProgress"], "integration %s is left locked", id)
	}
}

func TestRolloutUpdatesEveryInstall(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 12, "1.0.0")
	client := srv.Client()
	var mu sync.Mutex
	var seen []string
	report, err := client.Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
		&integratorio.RolloutOptions{Concurrency: 4, PushBatchSize: 5, OnResult: func(r integratorio.RolloutResult) {
			mu.Lock()
			seen = append(seen, r.IntegrationID)
			mu.Unlock()
		}})
	require.NoError(t, err)
	require.NotNil(t, report)
	require.Len(t, report.Results, len(ids))
	assert.Equal(t, len(ids), report.Count(integratorio.RolloutUpdated))
	assert.Empty(t, report.LeftLocked())
	for n, r := range report.Results {
		assert.Equal(t, ids[n], r.IntegrationID, "install-base order")
		assert.Equal(t, "1.0.0", r.FromVersion)
		assert.NoError(t, r.Err)
		doc := stored(t, srv, r.IntegrationID)
		assert.Equal(t, "1.1.0", doc["version"])
		assert.Equal(t, false, doc["updateInProgress"])
		settings := doc["settings"].(map[string]any)
		assert.Equal(t, "exp-1", settings["refundsExportId"])
		assert.EqualValues(t, n, settings["keep"], "the rest of the settings is kept")
	}
	slices.Sort(seen)
	want := slices.Clone(ids)
	slices.Sort(want)
	assert.Equal(t, want, seen, "OnResult once per install")

	// Exactly which requests: one install-base read, pushes of at most
	// five naming each install once, then per install one read and one
	// final write (the push locked it).
	count := map[string]int{}
	pushed := map[string]int{}
	for _, r := range srv.Requests() {
		count[r.Method]++
		if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/update") {
			count["push"]++
			var body struct {
				IntegrationIDs []string `json:"_integrationIds"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &body))
			assert.LessOrEqual(t, len(body.IntegrationIDs), 5, "PushBatchSize caps a push")
			for _, id := range body.IntegrationIDs {
				pushed[id]++
			}
		}
	}
	assert.Equal(t, len(ids), len(pushed))
	for _, id := range ids {
		assert.Equal(t, 1, pushed[id], "install %s pushed once", id)
	}
	assert.Equal(t, 1+len(ids), count[http.MethodGet])
	assert.Equal(t, len(ids), count[http.MethodPut]-count["push"], "one final write per install")
	assert.Len(t, count, 3, "GET and PUT only: %v", count)
}

func TestRolloutLeavesCurrentInstallsAloneAndResumes(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 6, "1.0.0", "1.1.0", "2.0.0")
	client := srv.Client()
	report, err := client.Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, report.Count(integratorio.RolloutUpdated))
	assert.Equal(t, 4, report.Count(integratorio.RolloutAlreadyCurrent))
	for n, id := range ids {
		_, touched := stored(t, srv, id)["settings"].(map[string]any)["refundsExportId"]
		assert.Equal(t, n%3 == 0, touched, "only the old installs are changed")
	}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut && r.Path == "/v1/connectors/"+fleetConnector+"/update" {
			var body struct {
				IDs []string `json:"_integrationIds"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &body))
			for n, id := range ids {
				assert.Equal(t, n%3 == 0, slices.Contains(body.IDs, id), "only the old installs are pushed")
			}
		}
	}

	// The same rollout again writes nothing.
	srv.ResetRequests()
	report, err = client.Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated, nil)
	require.NoError(t, err)
	assert.Equal(t, len(ids), report.Count(integratorio.RolloutAlreadyCurrent))
	for _, r := range srv.Requests() {
		assert.Equal(t, http.MethodGet, r.Method, "a second run writes nothing: %s %s", r.Method, r.Path)
	}
}

func TestRolloutIsolatesAStaleIDInThePush(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 7, "1.0.0")
	stale := "6b0e92c4a791ac03662800ff"
	all := slices.Insert(slices.Clone(ids), 3, stale)
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
		&integratorio.RolloutOptions{IntegrationIDs: all})
	require.Error(t, err)
	assert.Equal(t, 7, report.Count(integratorio.RolloutUpdated))
	assert.Equal(t, 1, report.Count(integratorio.RolloutFailed))
	bad := report.Results[3]
	assert.Equal(t, stale, bad.IntegrationID)
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, bad.Err, &mue)
	assert.Equal(t, integratorio.PhasePush, mue.Phase)
	assert.ErrorIs(t, bad.Err, integratorio.ErrNotFound)
	assert.False(t, bad.Locked)
	require.ErrorAs(t, err, &mue, "the rollout's error reaches the first failure")
	assert.Contains(t, err.Error(), "1 of 8 installs failed")
	requireUnlocked(t, srv, ids)
}

func TestRolloutFailuresAreUnlocked(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 6, "1.0.0")
	// The final write of install 1 is refused; install 3's read fails
	// with a 5xx on every attempt (the first and four retries); install
	// 4's function fails.
	boom := errors.New("boom")
	fn := func(in *integratorio.Integration) error {
		if in.ID == ids[4] {
			return boom
		}
		return markUpdated(in)
	}
	srv.FailNext(1, http.StatusBadRequest, integratoriotest.OnMethod(http.MethodPut), integratoriotest.OnPath("/integrations/"+ids[1]))
	srv.FailNext(5, http.StatusBadGateway, integratoriotest.OnMethod(http.MethodGet), integratoriotest.OnPath("/integrations/"+ids[3]))
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", fn,
		&integratorio.RolloutOptions{Concurrency: 1})
	require.Error(t, err)
	assert.ErrorIs(t, err, integratorio.ErrBadRequest, "errors.As reaches the first failure")
	assert.Equal(t, 3, report.Count(integratorio.RolloutFailed))
	steps := map[int]integratorio.Phase{1: integratorio.PhaseFinalWrite, 3: integratorio.PhaseRead, 4: integratorio.PhaseUpdateFunction}
	for n, want := range steps {
		r := report.Results[n]
		assert.Equal(t, integratorio.RolloutFailed, r.Status, n)
		var mue *integratorio.ManagedUpdateError
		require.ErrorAs(t, r.Err, &mue, n)
		assert.Equal(t, want, mue.Phase, n)
		assert.False(t, r.Locked, "install %d is unlocked", n)
	}
	assert.ErrorIs(t, report.Results[4].Err, boom)
	requireUnlocked(t, srv, ids)
	assert.Equal(t, "1.0.0", stored(t, srv, ids[1])["version"])
}

func TestRolloutCancelledMidwayLeavesNothingLocked(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 10, "1.0.0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var updates atomic.Int32
	fn := func(in *integratorio.Integration) error {
		if updates.Add(1) == 3 {
			cancel()
		}
		return markUpdated(in)
	}
	report, err := srv.Client().Connectors.Rollout(ctx, fleetConnector, "1.1.0", fn,
		&integratorio.RolloutOptions{Concurrency: 1, PushBatchSize: 4})
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, report.Results, len(ids))
	assert.Equal(t, 2, report.Count(integratorio.RolloutUpdated))
	assert.Positive(t, report.Count(integratorio.RolloutNotStarted))
	// The install whose update the cancel cut short is cancelled, not
	// failed: nothing failed.
	assert.Zero(t, report.Count(integratorio.RolloutFailed))
	assert.Equal(t, 1, report.Count(integratorio.RolloutCancelled))
	assert.Equal(t, len(ids), report.Count(integratorio.RolloutUpdated)+report.Count(integratorio.RolloutCancelled)+report.Count(integratorio.RolloutNotStarted))
	assert.Empty(t, report.LeftLocked())
	requireUnlocked(t, srv, ids)
	for _, r := range report.Results {
		if r.Status == integratorio.RolloutNotStarted {
			assert.Equal(t, "1.0.0", stored(t, srv, r.IntegrationID)["version"])
		}
	}
}

func TestRolloutStopsOnUnauthorized(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 8, "1.0.0")
	srv.FailNext(1, http.StatusUnauthorized, integratoriotest.OnMethod(http.MethodGet), integratoriotest.OnPath("/integrations/"+ids[2]))
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
		&integratorio.RolloutOptions{Concurrency: 1, PushBatchSize: 8})
	require.ErrorIs(t, err, integratorio.ErrUnauthorized)
	assert.Equal(t, 2, report.Count(integratorio.RolloutUpdated))
	assert.Equal(t, 1, report.Count(integratorio.RolloutFailed))
	assert.Equal(t, 5, report.Count(integratorio.RolloutNotStarted))
	requireUnlocked(t, srv, ids)
}

func TestRolloutRefusesBadInputBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	fleet(t, srv, 2, "1.0.0")
	client := srv.Client()
	ctx := context.Background()
	for _, v := range []string{"v1.1.0", "1.1", "", "1.1.0+b"} {
		report, err := client.Connectors.Rollout(ctx, fleetConnector, v, markUpdated, nil)
		require.ErrorIs(t, err, integratorio.ErrInvalidArgument, v)
		require.NotNil(t, report)
		assert.Empty(t, report.Results)
	}
	_, err := client.Connectors.Rollout(ctx, fleetConnector, "1.1.0", nil, nil)
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	_, err = client.Connectors.Rollout(ctx, "", "1.1.0", markUpdated, nil)
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	for _, opts := range []integratorio.RolloutOptions{
		{Concurrency: -1}, {PushBatchSize: -1}, {StopAfterFailures: -1}, {UnlockTimeout: -1},
		{IntegrationIDs: []string{""}}, {IntegrationIDs: []string{"ok", "a/b"}},
	} {
		report, err := client.Connectors.Rollout(ctx, fleetConnector, "1.1.0", markUpdated, &opts)
		require.ErrorIs(t, err, integratorio.ErrInvalidArgument, "%+v", opts)
		assert.Empty(t, report.Results)
	}
	//lint:ignore SA1012 a nil context is refused, not a panic
	_, err = client.Connectors.Rollout(nil, fleetConnector, "1.1.0", markUpdated, nil)
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	assert.Empty(t, srv.Requests())
}

// OnResult is never called concurrently (the race detector watches the
// unguarded counter).
func TestRolloutOnResultIsNeverConcurrent(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 40, "1.0.0", "1.2.0")
	calls := 0
	var inside atomic.Bool
	_, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
		&integratorio.RolloutOptions{Concurrency: 16, OnResult: func(integratorio.RolloutResult) {
			assert.True(t, inside.CompareAndSwap(false, true), "OnResult runs alone")
			calls++
			inside.Store(false)
		}})
	require.NoError(t, err)
	assert.Equal(t, len(ids), calls)
}

// On a fake that enforces a bucket, a rollout paced for it draws (next to)
// no 429, and leaves nothing locked.
func TestRolloutPacedForTheBucketDrawsNo429(t *testing.T) {
	t.Parallel()
	const burst, perSecond = 100, 1500.0
	srv := integratoriotest.NewServer(integratoriotest.WithRateLimit(perSecond, burst), integratoriotest.WithLatency(time.Millisecond))
	defer srv.Close()
	ids := fleet(t, srv, 250, "1.0.0")
	report, err := srv.Client(integratorio.WithRateLimit(perSecond, burst)).Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
		&integratorio.RolloutOptions{Concurrency: 16})
	require.NoError(t, err)
	assert.Equal(t, len(ids), report.Count(integratorio.RolloutUpdated))
	requests := len(srv.Requests())
	assert.LessOrEqual(t, srv.RateLimited()*100, requests, "429s are at most 1%% of %d requests", requests)
	requireUnlocked(t, srv, ids)
}

// Re-running a rollout over explicit IntegrationIDs writes nothing to the
// installs it already updated.
func TestRolloutRerunWithIntegrationIDsWritesNothing(t *testing.T) {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	var ids []string
	for i := range 3 {
		id, err := srv.AddIntegrationJSON([]byte(fmt.Sprintf(`{"name":"i%d","_connectorId":"c0nnect0r0000000000000001","version":"1.0.0","updateInProgress":false}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	client := srv.Client()
	fn := func(in *integratorio.Integration) error { return in.EnsureSettings().Set("x", 1) }
	opts := &integratorio.RolloutOptions{IntegrationIDs: ids}
	if _, err := client.Connectors.Rollout(context.Background(), "c0nnect0r0000000000000001", "1.1.0", fn, opts); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	rep, err := client.Connectors.Rollout(context.Background(), "c0nnect0r0000000000000001", "1.1.0", fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("already current: %d of %d", rep.Count(integratorio.RolloutAlreadyCurrent), len(ids))
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("second run wrote: %s %s %s", r.Method, r.Path, r.Body)
		}
	}
}

// NoPush ("for installs already pushed"): an install already at the target
// but still locked by that earlier push is unlocked, and reported so.
func TestRolloutNoPushUnlocksAPushedCurrentInstall(t *testing.T) {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"i","_connectorId":"c0nnect0r0000000000000001","version":"1.1.0","updateInProgress":true}`))
	if err != nil {
		t.Fatal(err)
	}
	client := srv.Client()
	rep, err := client.Connectors.Rollout(context.Background(), "c0nnect0r0000000000000001", "1.1.0",
		func(*integratorio.Integration) error { return nil }, &integratorio.RolloutOptions{NoPush: true, IntegrationIDs: []string{id}})
	t.Logf("err=%v results=%+v", err, rep.Results)
	in, gerr := client.Integrations.Get(context.Background(), id)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if in.UpdateInProgress && len(rep.LeftLocked()) == 0 {
		t.Errorf("install %s is still locked (updateInProgress true) but the report says %q, Locked=false, LeftLocked()=%v",
			id, rep.Results[0].Status, rep.LeftLocked())
	}
}

// With AllowSameVersion, installs the install base shows above the target
// are neither pushed nor written.
func TestRolloutAllowSameVersionLeavesInstallsAboveTheTargetAlone(t *testing.T) {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"i","_connectorId":"c0nnect0r0000000000000001","version":"2.0.0","updateInProgress":false}`))
	if err != nil {
		t.Fatal(err)
	}
	client := srv.Client()
	rep, err := client.Connectors.Rollout(context.Background(), "c0nnect0r0000000000000001", "1.1.0",
		func(*integratorio.Integration) error { return nil },
		&integratorio.RolloutOptions{UpdateOptions: []integratorio.ManagedUpdateOption{integratorio.AllowSameVersion()}})
	t.Logf("err=%v results=%+v", err, rep.Results)
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("install %s at 2.0.0 (target 1.1.0) was written: %s %s", id, r.Method, r.Path)
		}
	}
}

// dyingTransport passes the first n requests on and fails every later one
// before sending it: from that point on, nothing reaches the server, as
// when the process is killed there (kill -9 runs no sweep).
type dyingTransport struct {
	next http.RoundTripper
	left atomic.Int64
}

var errKilled = errors.New("killed")

func (d *dyingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.left.Add(-1) < 0 {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, errKilled
	}
	return d.next.RoundTrip(r)
}

// countLocked counts the installs the fake holds with updateInProgress true.
func countLocked(t *testing.T, srv *integratoriotest.Server, ids []string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		if stored(t, srv, id)["updateInProgress"] == true {
			n++
		}
	}
	return n
}

// A rollout killed at any moment leaves at most 2 × Concurrency installs
// locked: pushes run only a window ahead of the workers, whatever
// PushBatchSize allows.
func TestRolloutKilledAtAnyMomentLeavesAtMostTwiceConcurrencyLocked(t *testing.T) {
	t.Parallel()
	const installs, concurrency = 60, 3
	most := 0
	for _, killAt := range []int64{2, 3, 4, 6, 9, 13, 20, 30, 45, 70, 100} {
		srv := integratoriotest.NewServer()
		ids := fleet(t, srv, installs, "1.0.0")
		dying := &dyingTransport{next: srv.HTTPClient().Transport}
		dying.left.Store(killAt)
		client := srv.Client(integratorio.WithHTTPClient(&http.Client{Transport: dying}),
			integratorio.WithRetryPolicy(integratorio.RetryPolicy{MaxRetries: 0}))
		_, err := client.Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
			&integratorio.RolloutOptions{Concurrency: concurrency, UnlockTimeout: time.Second})
		require.Error(t, err, "killed after %d requests", killAt)
		locked := countLocked(t, srv, ids)
		assert.LessOrEqual(t, locked, 2*concurrency, "killed after %d requests: %d installs locked", killAt, locked)
		most = max(most, locked)
		srv.Close()
	}
	assert.Positive(t, most, "some kill point falls while installs are pushed")
}

// pushHeldByTheNetwork cancels the rollout when a push is sent. If the
// push's context ends with it, the request is held as a slow network
// would, and the server applies it right after it answers the next read
// of one of the pushed installs: after the unlock sweep looked.
type pushHeldByTheNetwork struct {
	next   http.RoundTripper
	cancel context.CancelFunc

	mu   sync.Mutex
	held *http.Request
	body []byte
	ids  []string
}

func (p *pushHeldByTheNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/update") {
		p.cancel()
		if r.Context().Err() == nil {
			return p.next.RoundTrip(r) // the push runs to its end
		}
		body, _ := io.ReadAll(r.Body)
		var b struct {
			IDs []string `json:"_integrationIds"`
		}
		_ = json.Unmarshal(body, &b)
		p.mu.Lock()
		p.held, p.body, p.ids = r.Clone(context.Background()), body, b.IDs
		p.mu.Unlock()
		return nil, r.Context().Err()
	}
	resp, err := p.next.RoundTrip(r)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held != nil && r.Method == http.MethodGet && slices.ContainsFunc(p.ids, func(id string) bool { return strings.HasSuffix(r.URL.Path, "/integrations/"+id) }) {
		held := p.held
		held.Body = io.NopCloser(bytes.NewReader(p.body))
		p.held = nil
		if late, err := p.next.RoundTrip(held); err == nil {
			_ = late.Body.Close()
		}
	}
	return resp, err
}

// A cancel that lands while a push is in flight leaves none of its
// installs locked, although the server may apply the push late.
func TestRolloutCancelledWhileAPushIsInFlightLeavesNothingLocked(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 6, "1.0.0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	net := &pushHeldByTheNetwork{next: srv.HTTPClient().Transport, cancel: cancel}
	client := srv.Client(integratorio.WithHTTPClient(&http.Client{Transport: net}))
	report, err := client.Connectors.Rollout(ctx, fleetConnector, "1.1.0", markUpdated, &integratorio.RolloutOptions{Concurrency: 2})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, len(ids), report.Count(integratorio.RolloutNotStarted))
	assert.Empty(t, report.LeftLocked())
	assert.Zero(t, countLocked(t, srv, ids), "installs left locked")
	pushes := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/update") {
			pushes++
		}
	}
	assert.Equal(t, 1, pushes, "the push reached the server once")
}

// An update function that ends its goroutine (runtime.Goexit, as
// t.FailNow does) fails its install only: the rollout goes on, returns,
// and leaves nothing locked.
func TestRolloutGoesOnAfterAnUpdateFunctionCallsGoexit(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 6, "1.0.0")
	fn := func(in *integratorio.Integration) error {
		if in.ID == ids[1] || in.ID == ids[4] {
			runtime.Goexit()
		}
		return markUpdated(in)
	}
	type outcome struct {
		report *integratorio.RolloutReport
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", fn,
			&integratorio.RolloutOptions{Concurrency: 1})
		done <- outcome{report, err}
	}()
	var got outcome
	select {
	case got = <-done:
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("Rollout did not return")
	}
	require.Error(t, got.err)
	require.Len(t, got.report.Results, len(ids))
	for n, r := range got.report.Results {
		if n == 1 || n == 4 {
			assert.Equal(t, integratorio.RolloutFailed, r.Status, n)
			var mue *integratorio.ManagedUpdateError
			require.ErrorAs(t, r.Err, &mue)
			assert.Equal(t, integratorio.PhaseUpdateFunction, mue.Phase)
			assert.Contains(t, mue.Error(), "Goexit")
			assert.False(t, r.Locked)
			assert.Equal(t, "1.0.0", stored(t, srv, ids[n])["version"])
			continue
		}
		assert.Equal(t, integratorio.RolloutUpdated, r.Status, n)
	}
	requireUnlocked(t, srv, ids)
}

// A masked install in a rollout: its final write is refused by the guard
// and it fails, but it is unlocked.
func TestRolloutUnlocksAnInstallHoldingAMask(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 2, "1.0.0")
	masked := maskedInstall(t, srv, fleetConnector)
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated, nil)
	require.ErrorIs(t, err, integratorio.ErrMaskedSecret)
	assert.Equal(t, 2, report.Count(integratorio.RolloutUpdated))
	r := report.Results[2]
	assert.Equal(t, masked, r.IntegrationID)
	assert.Equal(t, integratorio.RolloutFailed, r.Status)
	assert.False(t, r.Locked)
	assert.Empty(t, report.LeftLocked())
	requireMaskKeptAndUnlocked(t, srv, masked)
	requireOnlyThePatchWrote(t, srv, masked)
	requireUnlocked(t, srv, ids)
}

// A negative UnlockTimeout is refused before anything is sent.
func TestRolloutRefusesANegativeUnlockTimeout(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	fleet(t, srv, 2, "1.0.0")
	_, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
		&integratorio.RolloutOptions{UnlockTimeout: -time.Second})
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "UnlockTimeout")
	assert.Empty(t, srv.Requests())
}

// Every result carries Total, in the report and as OnResult sees it.
func TestRolloutResultsCarryTotal(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 5, "1.0.0", "1.1.0")
	var mu sync.Mutex
	var totals []int
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
		&integratorio.RolloutOptions{OnResult: func(r integratorio.RolloutResult) {
			mu.Lock()
			totals = append(totals, r.Total)
			mu.Unlock()
		}})
	require.NoError(t, err)
	assert.Equal(t, []int{5, 5, 5, 5, 5}, totals)
	for _, r := range report.Results {
		assert.Equal(t, len(ids), r.Total)
	}
}

// DryRun reads the install base and reports what the rollout would do:
// current installs as already current, the others as not started. It
// writes nothing.
func TestRolloutDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 6, "1.0.0", "1.1.0", "2.0.0")
	locked, err := srv.AddIntegrationJSON([]byte(`{"name":"pushed","_connectorId":"` + fleetConnector + `","version":"1.0.0","updateInProgress":true}`))
	require.NoError(t, err)
	var seen atomic.Int32
	called := false
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0",
		func(*integratorio.Integration) error { called = true; return nil },
		&integratorio.RolloutOptions{DryRun: true, OnResult: func(integratorio.RolloutResult) { seen.Add(1) }})
	require.NoError(t, err)
	assert.False(t, called, "the update function is not run")
	require.Len(t, report.Results, len(ids)+1)
	want := []integratorio.RolloutStatus{integratorio.RolloutNotStarted, integratorio.RolloutAlreadyCurrent, integratorio.RolloutAlreadyCurrent}
	for n, r := range report.Results[:len(ids)] {
		assert.Equal(t, want[n%3], r.Status, n)
		assert.NoError(t, r.Err)
		assert.False(t, r.Locked)
		assert.Equal(t, len(ids)+1, r.Total)
	}
	last := report.Results[len(ids)]
	assert.Equal(t, locked, last.IntegrationID)
	assert.Equal(t, integratorio.RolloutNotStarted, last.Status)
	assert.True(t, last.Locked, "the install base shows it locked")
	assert.EqualValues(t, len(ids)+1, seen.Load())
	reqs := srv.Requests()
	require.Len(t, reqs, 1, "one read, no write: %v", reqs)
	assert.Equal(t, http.MethodGet, reqs[0].Method)
	assert.Equal(t, "/connectors/"+fleetConnector+"/installBase", reqs[0].Path)
}

// A Concurrency far above the number of installs starts no more workers
// than installs (nor a window to match).
func TestRolloutWithAHugeConcurrencyRuns(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 3, "1.0.0")
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
		&integratorio.RolloutOptions{Concurrency: math.MaxInt})
	require.NoError(t, err)
	assert.Equal(t, len(ids), report.Count(integratorio.RolloutUpdated))
	requireUnlocked(t, srv, ids)
}

// watchLocked counts, after every answer the server sends, the installs it
// holds locked, and keeps the most seen.
type watchLocked struct {
	t    *testing.T
	next http.RoundTripper
	srv  *integratoriotest.Server
	ids  []string

	mu   sync.Mutex
	most int
}

func (w *watchLocked) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(r)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.most = max(w.most, countLocked(w.t, w.srv, w.ids))
	return resp, err
}

// At no moment of a rollout does the server hold more than
// 2 × Concurrency installs locked, whatever the push batch size, with
// failing final writes (each followed by an unlock): a kill at any point
// leaves at most that many.
func TestRolloutNeverHoldsMoreThanTwiceConcurrencyLocked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ concurrency, batch int }{{1, 0}, {2, 1}, {3, 0}, {4, 3}, {5, 1000}} {
		t.Run(fmt.Sprintf("concurrency %d, batch %d", tc.concurrency, tc.batch), func(t *testing.T) {
			t.Parallel()
			srv := integratoriotest.NewServer()
			defer srv.Close()
			ids := fleet(t, srv, 40, "1.0.0")
			for _, id := range everySeventh(ids) {
				srv.FailNext(1, http.StatusBadGateway, integratoriotest.OnMethod(http.MethodPut), integratoriotest.OnPath("/integrations/"+id))
			}
			w := &watchLocked{t: t, next: srv.HTTPClient().Transport, srv: srv, ids: ids}
			client := srv.Client(integratorio.WithHTTPClient(&http.Client{Transport: w}),
				integratorio.WithRetryPolicy(integratorio.RetryPolicy{MaxRetries: 0}))
			report, err := client.Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
				&integratorio.RolloutOptions{Concurrency: tc.concurrency, PushBatchSize: tc.batch})
			require.Error(t, err, "the 502s fail some installs")
			assert.Positive(t, report.Count(integratorio.RolloutUpdated))
			assert.Empty(t, report.LeftLocked())
			assert.Positive(t, w.most, "installs were locked at some point")
			assert.LessOrEqual(t, w.most, 2*tc.concurrency, "installs locked at once")
			requireUnlocked(t, srv, ids)
		})
	}
}

// integrationsDecorator is a user's wrapper of the client's
// IntegrationsService, as a logging decorator would be.
type integrationsDecorator struct {
	integratorio.IntegrationsService
}

// A client whose Integrations the user replaced (with a decorator, say)
// still rolls out: Rollout does not depend on the field's type.
func TestRolloutWithIntegrationsReplacedByTheUser(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 3, "1.0.0")
	client := srv.Client()
	client.Integrations = integrationsDecorator{client.Integrations}
	report, err := client.Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated, nil)
	require.NoError(t, err)
	assert.Equal(t, len(ids), report.Count(integratorio.RolloutUpdated))
	requireUnlocked(t, srv, ids)
}

// everySeventh returns ids[0], ids[7], ids[14], ...
func everySeventh(ids []string) []string {
	var out []string
	for i := 0; i < len(ids); i += 7 {
		out = append(out, ids[i])
	}
	return out
}

// An OnResult that ends its goroutine (t.FailNow, require) or panics stops
// the rollout instead of hanging it: Rollout returns an error saying so,
// nothing is left locked, and OnResult is not called again.
func TestRolloutSurvivesAnOnResultThatGoexitsOrPanics(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for name, end := range map[string]func(){
		"Goexit":       runtime.Goexit,
		"panic":        func() { panic("no") },
		"panic, error": func() { panic(boom) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := integratoriotest.NewServer()
			defer srv.Close()
			ids := fleet(t, srv, 12, "1.0.0")
			calls := 0
			type outcome struct {
				report *integratorio.RolloutReport
				err    error
			}
			done := make(chan outcome, 1)
			go func() {
				report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated,
					&integratorio.RolloutOptions{Concurrency: 2, OnResult: func(integratorio.RolloutResult) {
						calls++
						if calls == 2 {
							end()
						}
					}})
				done <- outcome{report, err}
			}()
			var got outcome
			select {
			case got = <-done:
			case <-time.After(time.Minute): // a hang guard, not a timing assertion
				t.Fatal("Rollout did not return")
			}
			require.Error(t, got.err)
			assert.Contains(t, got.err.Error(), "OnResult")
			if name == "panic, error" {
				assert.ErrorIs(t, got.err, boom)
			}
			assert.Equal(t, 2, calls, "OnResult is not called after it failed")
			assert.Positive(t, got.report.Count(integratorio.RolloutNotStarted), "the rollout stopped")
			assert.Empty(t, got.report.LeftLocked())
			requireUnlocked(t, srv, ids)
			for _, r := range got.report.Results {
				assert.Equal(t, len(ids), r.Total)
			}
		})
	}
}

// An install already current but left locked by an earlier push, whose
// unlock fails, makes Rollout return an error: it is left locked, and a
// nil error would hide it.
func TestRolloutErrsWhenACurrentInstallCannotBeUnlocked(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 2, "1.0.0")
	locked, err := srv.AddIntegrationJSON([]byte(`{"name":"pushed","_connectorId":"` + fleetConnector + `","version":"1.1.0","updateInProgress":true}`))
	require.NoError(t, err)
	srv.FailNext(1, http.StatusBadRequest, integratoriotest.OnMethod(http.MethodPut), integratoriotest.OnPath("/integrations/"+locked))
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", markUpdated, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 left locked")
	assert.NotContains(t, err.Error(), "%!")
	assert.Equal(t, []string{locked}, report.LeftLocked())
	assert.Equal(t, integratorio.RolloutAlreadyCurrent, report.Results[2].Status)
	assert.Equal(t, len(ids), report.Count(integratorio.RolloutUpdated))
}

// An install deleted while the rollout updates it is not reported left
// locked: there is nothing to unlock.
func TestRolloutDoesNotReportADeletedInstallAsLocked(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	ids := fleet(t, srv, 3, "1.0.0")
	other := srv.Client()
	report, err := srv.Client().Connectors.Rollout(context.Background(), fleetConnector, "1.1.0", func(in *integratorio.Integration) error {
		if in.ID == ids[1] {
			if err := other.Integrations.Delete(context.Background(), in.ID); err != nil {
				return err
			}
			return errors.New("deleted")
		}
		return markUpdated(in)
	}, nil)
	require.Error(t, err)
	assert.Equal(t, integratorio.RolloutFailed, report.Results[1].Status)
	assert.Empty(t, report.LeftLocked())
	assert.NotContains(t, err.Error(), "left locked")
	requireUnlocked(t, srv, []string{ids[0], ids[2]})
}
