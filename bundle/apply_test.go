package bundle_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/bundle"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// deploy plans b against the target with state and applies it.
func deploy(t *testing.T, b *bundle.Bundle, dst *integratoriotest.Server, state *bundle.State, opts *bundle.ApplyOptions) (*bundle.Plan, *bundle.Result) {
	t.Helper()
	plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	res, err := plan.Apply(context.Background(), opts)
	require.NoError(t, err)
	return plan, res
}

// replan plans b again and requires that nothing would change.
func requireNoChanges(t *testing.T, b *bundle.Bundle, dst *integratoriotest.Server, state *bundle.State) {
	t.Helper()
	plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	assert.False(t, plan.HasChanges(), "%s", plan)
	for _, c := range plan.Changes {
		assert.Equal(t, bundle.NoChange, c.Action, c.Ref)
	}
}

// requireSameAsSource snapshots the target's integration and requires
// files byte-identical to the source's: every reference resolved to the
// target's own resources and every member kept.
func requireSameAsSource(t *testing.T, b *bundle.Bundle, dst *integratoriotest.Server, state *bundle.State) {
	t.Helper()
	id, ok := state.ID("integrations/orders")
	require.True(t, ok)
	got, err := bundle.Snapshot(context.Background(), dst.Client(), id, nil)
	require.NoError(t, err)
	want, have := t.TempDir(), t.TempDir()
	require.NoError(t, b.Write(want))
	require.NoError(t, got.Write(have))
	assert.Equal(t, readDir(t, want), readDir(t, have))
}

// requireNoDuplicates requires exactly one stored document per bundle
// resource.
func requireNoDuplicates(t *testing.T, dst *integratoriotest.Server) {
	t.Helper()
	want := map[string]int{"integrations": 1, "flows": 3, "exports": 3, "imports": 3, "scripts": 2, "connections": 2}
	for typ, n := range want {
		assert.Len(t, dst.IDs(typ), n, typ)
		for name, count := range names(t, dst, typ) {
			assert.Equal(t, 1, count, "%s named %q", typ, name)
		}
	}
}

func TestApplyToEmptyTarget(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	state := bundle.NewState()
	var mu sync.Mutex
	var inCallback atomic.Int32
	var seen []bundle.Change
	var checkpoints int
	plan, res := deploy(t, b, dst, state, &bundle.ApplyOptions{
		OnChange: func(c bundle.Change, err error) {
			if inCallback.Add(1) != 1 {
				t.Error("OnChange called concurrently")
			}
			defer inCallback.Add(-1)
			assert.NoError(t, err)
			seen = append(seen, c) // unsynchronised on purpose: -race sees concurrent calls
		},
		Checkpoint: func(s *bundle.State) error {
			mu.Lock()
			defer mu.Unlock()
			checkpoints++
			return nil
		},
		Concurrency: 4,
	})
	require.Len(t, plan.Changes, bundleSize)
	for _, c := range plan.Changes {
		assert.Equal(t, bundle.Create, c.Action, c.Ref)
	}
	assert.ElementsMatch(t, plan.Changes, seen, "OnChange once per change")
	assert.Equal(t, 2*bundleSize, checkpoints, "a mark and an id per create")
	assert.Len(t, res.Applied, bundleSize)
	assert.Same(t, state, res.State)

	requireNoDuplicates(t, dst)
	// Every id the target holds in any document is one of its own.
	srcIDs := allIDs(src)
	for _, typ := range dst.Resources() {
		for _, id := range dst.IDs(typ) {
			raw, _ := dst.DocumentJSON(typ, id)
			for _, sid := range srcIDs {
				assert.NotContains(t, string(raw), sid, "%s %s holds a source id", typ, id)
			}
		}
	}
	flowID, _ := state.ID("flows/orders-sync")
	flow := stored(t, dst, "flows", flowID)
	expID, _ := state.ID("exports/get-orders")
	inID, _ := state.ID("integrations/orders")
	routingID, _ := state.ID("flows/customer-routing")
	assert.Equal(t, expID, flow["pageGenerators"].([]any)[0].(map[string]any)["_exportId"])
	assert.Equal(t, inID, flow["_integrationId"])
	assert.Equal(t, []any{routingID}, flow["_runNextFlowIds"])
	assert.Equal(t, false, flow["disabled"])
	in := stored(t, dst, "integrations", inID)
	assert.Equal(t, in["flowGroupings"].([]any)[0].(map[string]any)["_id"], flow["_flowGroupingId"])
	legacyID, _ := state.ID("flows/refunds-legacy")
	assert.Equal(t, true, stored(t, dst, "flows", legacyID)["disabled"])

	// Created connections hold the secrets Secrets gave, never the mask.
	nsID, _ := state.ID("connections/netsuite-prod")
	assert.Equal(t, "target-ns-password", stored(t, dst, "connections", nsID)["netsuite"].(map[string]any)["password"])
	shopID, _ := state.ID("connections/shop-api")
	assert.Equal(t, "target-shop-token", stored(t, dst, "connections", shopID)["http"].(map[string]any)["auth"].(map[string]any)["token"].(map[string]any)["token"])
	for _, r := range dst.Requests() {
		assert.NotContains(t, string(r.Body), "******")
	}
	// Flows were created disabled and enabled last.
	var order []string
	for _, r := range writes(dst) {
		order = append(order, r.Method+" "+strings.SplitN(r.Path, "/", 3)[1])
	}
	last := order[len(order)-2:]
	assert.Equal(t, []string{"PATCH flows", "PATCH flows"}, last)
	for _, r := range writes(dst) {
		if r.Method == "POST" && r.Path == "/flows" {
			assert.Contains(t, string(r.Body), `"disabled":true`)
		}
	}
	// One write per resource, the two flows of the cycle written again,
	// two flows enabled.
	assert.Equal(t, bundleSize+2+2, res.Writes)
	assert.Len(t, writes(dst), res.Writes)

	requireNoChanges(t, b, dst, state)
	requireSameAsSource(t, b, dst, state)

	// The state survives a save and a load.
	path := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, state.Save(path))
	loaded, err := bundle.LoadState(path)
	require.NoError(t, err)
	assert.Equal(t, state.Refs(), loaded.Refs())
	requireNoChanges(t, b, dst, loaded)
}

func TestEditedFilePlansOneUpdateAppliedInPlace(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	state := bundle.NewState()
	deploy(t, b, dst, state, nil)
	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	path := filepath.Join(dir, "flows", "orders-sync.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	edited := strings.Replace(string(data), `"schedule": "? 0 * * * *"`, `"schedule": "? 30 * * * *"`, 1)
	require.NotEqual(t, string(data), edited)
	writeText(t, path, edited)
	b2, err := bundle.Read(dir)
	require.NoError(t, err)

	// Someone added a member in the target meanwhile: it is kept.
	flowID, _ := state.ID("flows/orders-sync")
	_, err = dst.Client().Flows.Modify(context.Background(), flowID, func(f *integratorio.Flow) error {
		return f.SetExtra("addedInTarget", "kept")
	})
	require.NoError(t, err)

	dst.ResetRequests()
	plan, err := b2.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	assert.Empty(t, writes(dst), "Plan writes nothing")
	var updates []bundle.Change
	for _, c := range plan.Changes {
		if c.Action != bundle.NoChange {
			updates = append(updates, c)
		}
	}
	assert.Equal(t, []bundle.Change{{Ref: "flows/orders-sync", Action: bundle.Update, Paths: []string{"/schedule"}}}, updates)
	assert.Contains(t, plan.String(), "update     flows/orders-sync\n")
	assert.Contains(t, plan.String(), "flows/orders-sync:\n  ~ /schedule\n")

	dst.ResetRequests()
	res, err := plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	w := writes(dst)
	require.Len(t, w, 1)
	assert.Equal(t, "PUT", w[0].Method)
	assert.Equal(t, "/flows/"+flowID, w[0].Path)
	assert.Equal(t, 1, res.Writes)
	flow := stored(t, dst, "flows", flowID)
	assert.Equal(t, "? 30 * * * *", flow["schedule"])
	assert.Equal(t, "kept", flow["addedInTarget"])
	assert.Len(t, dst.IDs("flows"), 3)
	requireNoChanges(t, b2, dst, state)
}

func TestDroppedCreateAnswerIsReconciled(t *testing.T) {
	for _, path := range []string{"/exports", "/flows", "/integrations", "/connections"} {
		t.Run(path, func(t *testing.T) {
			src, dst := newSource(t), newTarget(t)
			b := snapshot(t, src)
			statePath := filepath.Join(t.TempDir(), "state.json")
			dst.DropNext(1, integratoriotest.OnMethod("POST"), integratoriotest.OnPath(path))
			plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{CreateConnections: true, Secrets: secretsFunc})
			require.NoError(t, err)
			var failed []string
			_, err = plan.Apply(context.Background(), &bundle.ApplyOptions{
				Checkpoint: func(s *bundle.State) error { return s.Save(statePath) },
				OnChange: func(c bundle.Change, err error) {
					if err != nil && !errors.Is(err, bundle.ErrNotApplied) {
						failed = append(failed, c.Ref)
					}
				},
			})
			require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
			require.Len(t, failed, 1)
			assert.Zero(t, dst.PendingFaults())

			// As after a crash: only the saved state is left.
			state, err := bundle.LoadState(statePath)
			require.NoError(t, err)
			pending, ok := state.Pending(failed[0])
			require.True(t, ok, "the create was marked")
			_, hasID := state.ID(failed[0])
			assert.False(t, hasID)
			assert.Equal(t, strings.TrimPrefix(path, "/"), pending.Type)

			plan, err = b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
			require.NoError(t, err)
			for _, c := range plan.Changes {
				if c.Ref == failed[0] {
					assert.NotEqual(t, bundle.Create, c.Action, "the lost create is found, not made again")
				}
			}
			assert.Contains(t, plan.String(), "(found: created by an earlier apply")
			_, err = plan.Apply(context.Background(), &bundle.ApplyOptions{Checkpoint: func(s *bundle.State) error { return s.Save(statePath) }})
			require.NoError(t, err)
			_, ok = state.Pending(failed[0])
			assert.False(t, ok)
			requireNoDuplicates(t, dst)
			requireNoChanges(t, b, dst, state)
			requireSameAsSource(t, b, dst, state)
		})
	}
}

func TestCancelMidwayReRunsToTheSameEnd(t *testing.T) {
	for _, stopAfter := range []int{1, 5, 9, 13} {
		src, dst := newSource(t), newTarget(t)
		b := snapshot(t, src)
		statePath := filepath.Join(t.TempDir(), "state.json")
		ctx, cancel := context.WithCancel(context.Background())
		plan, err := b.Plan(ctx, dst.Client(), &bundle.Target{CreateConnections: true, Secrets: secretsFunc})
		require.NoError(t, err)
		done := 0
		_, err = plan.Apply(ctx, &bundle.ApplyOptions{
			Checkpoint: func(s *bundle.State) error { return s.Save(statePath) },
			OnChange: func(c bundle.Change, err error) {
				if done++; done == stopAfter {
					cancel()
				}
			},
		})
		require.Error(t, err, "stop after %d", stopAfter)
		cancel()

		state, err := bundle.LoadState(statePath)
		require.NoError(t, err)
		plan, err = b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
		require.NoError(t, err)
		_, err = plan.Apply(context.Background(), &bundle.ApplyOptions{Checkpoint: func(s *bundle.State) error { return s.Save(statePath) }})
		require.NoError(t, err)
		requireNoDuplicates(t, dst)
		requireNoChanges(t, b, dst, state)
		requireSameAsSource(t, b, dst, state)
	}
}

func TestOlderNamesakeIsNeverTakenForALostCreate(t *testing.T) {
	defer bundle.SetSettleTime(10 * time.Millisecond)()
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	// The target has an export of the same name, made long ago.
	olderID, err := dst.AddJSON("exports", []byte(`{"name":"Lookup customer","adaptorType":"NetSuiteExport","createdAt":"2020-01-01T00:00:00.000Z"}`))
	require.NoError(t, err)
	statePath := filepath.Join(t.TempDir(), "state.json")
	dst.FailNext(1, 500, integratoriotest.OnMethod("POST"), integratoriotest.OnPath("/exports"))
	plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	_, err = plan.Apply(context.Background(), &bundle.ApplyOptions{Checkpoint: func(s *bundle.State) error { return s.Save(statePath) }})
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	state, err := bundle.LoadState(statePath)
	require.NoError(t, err)
	var lost string
	for _, ref := range state.Refs() {
		if _, ok := state.Pending(ref); ok {
			lost = ref
		}
	}
	require.NotEmpty(t, lost)

	plan, err = b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	for _, c := range plan.Changes {
		if c.Ref == lost {
			assert.Equal(t, bundle.Create, c.Action, "nothing was created since the mark")
		}
	}
	_, err = plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	id, _ := state.ID("exports/lookup-customer")
	assert.NotEqual(t, olderID, id)
	assert.Len(t, dst.IDs("exports"), 4)
}

func TestUnmappedConnectionFailsThePlanWithNothingWritten(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	_, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{})
	require.ErrorIs(t, err, bundle.ErrUnmappedConnection)
	var pe *bundle.PlanError
	require.ErrorAs(t, err, &pe)
	assert.Len(t, pe.Problems, 2, "every problem at once")
	assert.Contains(t, err.Error(), "connections/netsuite-prod")
	assert.Contains(t, err.Error(), "connections/shop-api")
	assert.Empty(t, writes(dst))

	// A mapping to a connection the target lacks, a missing secret and a
	// dangling reference are named together, never a secret's value.
	connID, err := dst.AddJSON("connections", []byte(`{"name":"NS","type":"netsuite","netsuite":{"password":"x"}}`))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	path := filepath.Join(dir, "flows", "orders-sync.json")
	data, _ := os.ReadFile(path)
	writeText(t, path, strings.Replace(string(data), `"exports/get-orders"`, `"exports/gone"`, 1))
	b2, err := bundle.Read(dir)
	require.NoError(t, err)
	_, err = b2.Plan(context.Background(), dst.Client(), &bundle.Target{
		Connections:       map[string]string{"connections/netsuite-prod": connID, "connections/nope": connID},
		CreateConnections: true,
		Secrets:           func(ref, ptr string) (string, bool) { return "", false },
	})
	require.ErrorIs(t, err, bundle.ErrDanglingRef)
	require.ErrorIs(t, err, bundle.ErrMissingSecret)
	assert.Contains(t, err.Error(), "exports/gone")
	assert.Contains(t, err.Error(), "connections/nope")
	assert.Contains(t, err.Error(), "connections/shop-api needs the secret at /http/auth/token/token")
	assert.Empty(t, writes(dst))
}

func TestMappedConnectionsAreUsedNeverWritten(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	nsID, err := dst.AddJSON("connections", []byte(`{"name":"Customer NetSuite","type":"netsuite","netsuite":{"account":"C1","password":"customer-secret"}}`))
	require.NoError(t, err)
	shopID, err := dst.AddJSON("connections", []byte(`{"name":"Customer shop","type":"http"}`))
	require.NoError(t, err)
	before, _ := dst.DocumentJSON("connections", nsID)
	state := bundle.NewState()
	target := &bundle.Target{State: state, Connections: map[string]string{"connections/netsuite-prod": nsID, "connections/shop-api": shopID}}
	plan, err := b.Plan(context.Background(), dst.Client(), target)
	require.NoError(t, err)
	assert.Contains(t, plan.String(), "map        connections/netsuite-prod\n")
	_, err = plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	for _, r := range writes(dst) {
		assert.NotContains(t, r.Path, "/connections")
	}
	after, _ := dst.DocumentJSON("connections", nsID)
	assert.JSONEq(t, string(before), string(after))
	expID, _ := state.ID("exports/lookup-customer")
	assert.Equal(t, nsID, stored(t, dst, "exports", expID)["_connectionId"])
	assert.Len(t, dst.IDs("connections"), 2)

	plan, err = b.Plan(context.Background(), dst.Client(), target)
	require.NoError(t, err)
	assert.False(t, plan.HasChanges(), "%s", plan)
}

func TestPlanAppliesOnce(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	plan, _ := deploy(t, b, dst, bundle.NewState(), nil)
	_, err := plan.Apply(context.Background(), nil)
	require.Error(t, err)
	requireNoDuplicates(t, dst)
}

func TestPlanTextHoldsNoValues(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	state := bundle.NewState()
	deploy(t, b, dst, state, nil)
	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	path := filepath.Join(dir, "connections", "shop-api.json")
	data, _ := os.ReadFile(path)
	writeText(t, path, strings.Replace(string(data), `"https://shop.example.com"`, `"https://new.example.com"`, 1))
	b2, err := bundle.Read(dir)
	require.NoError(t, err)
	plan, err := b2.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	text := plan.String()
	assert.Contains(t, text, "connections/shop-api:\n  ~ /http/baseURI\n")
	for _, s := range []string{"target-shop-token", "target-ns-password", "new.example.com"} {
		assert.NotContains(t, text, s)
	}
	shopID, _ := state.ID("connections/shop-api")
	_, err = plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	conn := stored(t, dst, "connections", shopID)
	assert.Equal(t, "target-shop-token", conn["http"].(map[string]any)["auth"].(map[string]any)["token"].(map[string]any)["token"], "the update carries the secret, never the mask")
	assert.Equal(t, "https://new.example.com", conn["http"].(map[string]any)["baseURI"])
}

var _ = json.Marshal

// A create whose request lands after the next plan has first looked is
// still found: a plan waits for recent creates to settle.
func TestCreateLandingLateIsFound(t *testing.T) {
	defer bundle.SetSettleTime(2 * time.Second)()
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	dst.FailNext(1, 500, integratoriotest.OnMethod("POST"), integratoriotest.OnPath("/scripts"))
	state := bundle.NewState()
	plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	_, err = plan.Apply(context.Background(), &bundle.ApplyOptions{Concurrency: 1})
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	var lost string
	for _, ref := range state.Refs() {
		if _, ok := state.Pending(ref); ok {
			lost = ref
		}
	}
	require.Equal(t, "scripts/route-customers", lost, "the first script's create was answered 500")

	// The request lands late, while the next plan is looking.
	dst.ResetRequests()
	landed := make(chan string, 1)
	go func() {
		for !slices.ContainsFunc(dst.Requests(), func(r integratoriotest.Request) bool { return r.Path == "/scripts" }) {
			time.Sleep(time.Millisecond) // until the plan has listed the scripts once
		}
		id, err := dst.AddJSON("scripts", []byte(`{"name":"Route customers","content":"late"}`))
		assert.NoError(t, err)
		landed <- id
	}()
	plan, err = b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	id := <-landed
	var lists int
	for _, r := range dst.Requests() {
		if r.Path == "/scripts" {
			lists++
		}
	}
	assert.Equal(t, 2, lists, "listed, waited, listed again")
	assert.Contains(t, plan.String(), "update     scripts/route-customers (found: created by an earlier apply")
	_, err = plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	got, _ := state.ID("scripts/route-customers")
	assert.Equal(t, id, got)
	requireNoDuplicates(t, dst)
	requireNoChanges(t, b, dst, state)
}
