package bundle_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/bundle"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// A resource whose id in the state is gone from the target is created
// again, and what references it is updated to the new id.
func TestGoneResourceIsCreatedAgainAndReferencesFollow(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	state := bundle.NewState()
	deploy(t, b, dst, state, nil)
	oldID, _ := state.ID("flows/customer-routing")
	require.NoError(t, dst.Client().Flows.Delete(context.Background(), oldID))

	plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	got := map[string]bundle.Change{}
	for _, c := range plan.Changes {
		if c.Action != bundle.NoChange {
			got[c.Ref] = c
		}
	}
	assert.Equal(t, map[string]bundle.Change{
		"flows/customer-routing": {Ref: "flows/customer-routing", Action: bundle.Create},
		"flows/orders-sync":      {Ref: "flows/orders-sync", Action: bundle.Update, Paths: []string{"/_runNextFlowIds/0"}},
	}, got)
	assert.Contains(t, plan.String(), "create     flows/customer-routing (its id in the state is gone from the target)")
	_, err = plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	newID, _ := state.ID("flows/customer-routing")
	assert.NotEqual(t, oldID, newID)
	ordersID, _ := state.ID("flows/orders-sync")
	assert.Equal(t, []any{newID}, stored(t, dst, "flows", ordersID)["_runNextFlowIds"])
	requireNoDuplicates(t, dst)
	requireNoChanges(t, b, dst, state)
}

// A connection and the integration that reference each other are both
// created without the reference, which a second write adds.
func TestCycleBetweenConnectionAndIntegration(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	ctx := context.Background()
	c := src.Client()
	_, err := c.Integrations.Modify(ctx, srcIntegration, func(in *integratorio.Integration) error {
		in.InstallSteps = []integratorio.InstallStep{{Name: "NetSuite", Type: "connection", ConnectionID: srcConnNS}}
		return nil
	})
	require.NoError(t, err)
	_, err = c.Connections.Modify(integratorio.AllowMaskedSecrets(ctx), srcConnNS, func(conn *integratorio.Connection) error {
		conn.IntegrationID = srcIntegration
		return nil
	})
	require.NoError(t, err)
	b := snapshot(t, src)
	raw, _ := b.Document("connections/netsuite-prod")
	assert.Contains(t, string(raw), `"_integrationId": "integrations/orders"`)

	state := bundle.NewState()
	_, res := deploy(t, b, dst, state, nil)
	assert.Equal(t, bundleSize+2+2+2, res.Writes, "two more second writes: the connection and the integration")
	inID, _ := state.ID("integrations/orders")
	nsID, _ := state.ID("connections/netsuite-prod")
	assert.Equal(t, inID, stored(t, dst, "connections", nsID)["_integrationId"])
	assert.Equal(t, "target-ns-password", stored(t, dst, "connections", nsID)["netsuite"].(map[string]any)["password"], "the second write carries the secret too")
	steps := stored(t, dst, "integrations", inID)["installSteps"].([]any)
	assert.Equal(t, nsID, steps[0].(map[string]any)["_connectionId"])
	requireNoDuplicates(t, dst)
	requireNoChanges(t, b, dst, state)
	requireSameAsSource(t, b, dst, state)
}

// A checkpoint that fails stops the apply before the create it would
// have marked is sent.
func TestFailedCheckpointStopsBeforeSending(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	calls := 0
	var results []error
	_, err = plan.Apply(context.Background(), &bundle.ApplyOptions{
		Concurrency: 1,
		Checkpoint: func(*bundle.State) error {
			if calls++; calls == 3 { // the second create's mark
				return assert.AnError
			}
			return nil
		},
		OnChange: func(_ bundle.Change, err error) { results = append(results, err) },
	})
	require.ErrorIs(t, err, assert.AnError)
	assert.Len(t, writes(dst), 1, "only the first create was sent")
	assert.Len(t, results, bundleSize, "OnChange once per change, applied or not")
	var notApplied int
	for _, e := range results {
		if e != nil {
			assert.ErrorIs(t, e, bundle.ErrNotApplied)
			notApplied++
		}
	}
	assert.Equal(t, bundleSize-1, notApplied)
}

// A resource created again because its id was gone, whose answer is then
// lost, is found by the next plan: the mark replaced the gone id.
func TestLostRecreateOfAGoneResourceIsFound(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	statePath := filepath.Join(t.TempDir(), "state.json")
	state := bundle.NewState()
	deploy(t, b, dst, state, nil)
	require.NoError(t, state.Save(statePath))
	oldID, _ := state.ID("exports/get-refunds")
	require.NoError(t, dst.Client().Exports.Delete(context.Background(), oldID))

	dst.DropNext(1, integratoriotest.OnMethod("POST"), integratoriotest.OnPath("/exports"))
	plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	_, err = plan.Apply(context.Background(), &bundle.ApplyOptions{Checkpoint: func(s *bundle.State) error { return s.Save(statePath) }})
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)

	loaded, err := bundle.LoadState(statePath)
	require.NoError(t, err)
	_, hasID := loaded.ID("exports/get-refunds")
	assert.False(t, hasID, "the gone id is replaced by the mark")
	plan, err = b.Plan(context.Background(), dst.Client(), &bundle.Target{State: loaded, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	assert.Contains(t, plan.String(), "exports/get-refunds (found: created by an earlier apply")
	_, err = plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	requireNoDuplicates(t, dst)
	requireNoChanges(t, b, dst, loaded)
}

// A flow the bundle enables that was disabled in the target is enabled
// by one PATCH, last, and nothing else is written.
func TestDisabledFlowIsEnabledWithOneWrite(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	state := bundle.NewState()
	deploy(t, b, dst, state, nil)
	id, _ := state.ID("flows/orders-sync")
	ctx := context.Background()
	require.NoError(t, dst.Client().Flows.Patch(ctx, id, integratorio.PatchOp{Op: "replace", Path: "/disabled", Value: true}))

	dst.ResetRequests()
	plan, res := deploy(t, b, dst, state, nil)
	assert.Contains(t, plan.String(), "flows/orders-sync:\n  ~ /disabled\n")
	w := writes(dst)
	require.Len(t, w, 1)
	assert.Equal(t, "PATCH /flows/"+id, w[0].Method+" "+w[0].Path)
	assert.JSONEq(t, `[{"op":"replace","path":"/disabled","value":false}]`, string(w[0].Body))
	assert.Equal(t, 1, res.Writes)
	requireNoChanges(t, b, dst, state)
}

// errKilled stands for a process killed: its checkpoints save nothing.
var errKilled = errors.New("killed")

// A process killed midway leaves the state its last checkpoint saved,
// while what it had sent still lands: the next run finds every create
// whose mark was saved, whether the state has its id or only its mark,
// and creates nothing twice.
func TestKilledMidwayReRunsToTheSameEnd(t *testing.T) {
	for _, killAt := range []int{1, 2, 7, 14, 27} {
		src, dst := newSource(t), newTarget(t)
		b := snapshot(t, src)
		killed := filepath.Join(t.TempDir(), "killed.json")
		plan, err := b.Plan(context.Background(), dst.Client(), &bundle.Target{CreateConnections: true, Secrets: secretsFunc})
		require.NoError(t, err)
		n := 0
		_, err = plan.Apply(context.Background(), &bundle.ApplyOptions{Checkpoint: func(s *bundle.State) error {
			switch n++; {
			case n == killAt:
				return s.Save(killed) // the last state the killed process saved
			case n > killAt:
				return errKilled // nothing more is saved, and no create marked after it is sent
			}
			return nil
		}})
		require.ErrorIs(t, err, errKilled)

		state, err := bundle.LoadState(killed)
		require.NoError(t, err)
		marked := 0
		for _, ref := range state.Refs() {
			if _, ok := state.Pending(ref); ok {
				marked++
			}
		}
		if killAt == 1 {
			require.Equal(t, 1, marked, "the first checkpoint is a mark")
		}
		plan, err = b.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
		require.NoError(t, err)
		for _, c := range plan.Changes {
			_, known := state.ID(c.Ref)
			if _, ok := state.Pending(c.Ref); ok || known {
				assert.NotEqual(t, bundle.Create, c.Action, "%s: kill at checkpoint %d", c.Ref, killAt)
			}
		}
		_, err = plan.Apply(context.Background(), nil)
		require.NoError(t, err)
		requireNoDuplicates(t, dst)
		requireNoChanges(t, b, dst, state)
		requireSameAsSource(t, b, dst, state)
	}
}
