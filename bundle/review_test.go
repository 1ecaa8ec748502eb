package bundle_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/bundle"
)

// Nil and empty inputs give errors or zero values, never a panic.
func TestNilAndEmptyInputsNeverPanic(t *testing.T) {
	ctx := context.Background()
	dst := newTarget(t)
	var b *bundle.Bundle
	assert.NotPanics(t, func() {
		assert.Empty(t, b.Refs())
		_, ok := b.Document("flows/x")
		assert.False(t, ok)
		assert.Error(t, b.Write(t.TempDir()))
		_, err := b.Plan(ctx, dst.Client(), &bundle.Target{})
		assert.Error(t, err)
	})
	var p *bundle.Plan
	assert.NotPanics(t, func() {
		assert.False(t, p.HasChanges())
		assert.Equal(t, "", p.String())
		_, err := p.Apply(ctx, nil)
		assert.Error(t, err)
	})
	assert.NotPanics(t, func() {
		var zero bundle.Plan
		assert.False(t, zero.HasChanges())
		_, err := zero.Apply(ctx, nil)
		assert.Error(t, err)
	})
	var s *bundle.State
	assert.NotPanics(t, func() {
		_, ok := s.ID("flows/x")
		assert.False(t, ok)
		assert.Empty(t, s.Refs())
		assert.Error(t, s.Save(filepath.Join(t.TempDir(), "s.json")))
	})
	assert.NotPanics(t, func() {
		var zero bundle.State
		_, ok := zero.ID("flows/x")
		assert.False(t, ok)
		assert.Empty(t, zero.Refs())
		path := filepath.Join(t.TempDir(), "s.json")
		require.NoError(t, zero.Save(path))
		loaded, err := bundle.LoadState(path)
		require.NoError(t, err)
		assert.Empty(t, loaded.Refs())
	})
	_, err := bundle.Read(t.TempDir())
	assert.Error(t, err)
	_, err = bundle.Read("")
	assert.Error(t, err)
	_, err = bundle.LoadState("")
	assert.NoError(t, err, "no file is an empty state")
	_, err = bundle.Snapshot(ctx, dst.Client(), "", nil)
	assert.Error(t, err)
	_, err = bundle.Snapshot(ctx, dst.Client(), "5f0000000000000000000999", nil)
	assert.Error(t, err)
	_, err = bundle.Snapshot(ctx, nil, "x", nil)
	assert.Error(t, err)

	// A nil State in the Target: the plan's result gets a new one.
	src := newSource(t)
	bb := snapshot(t, src)
	plan, err := bb.Plan(ctx, dst.Client(), &bundle.Target{CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	var res *bundle.Result
	assert.NotPanics(t, func() { res, err = plan.Apply(ctx, nil) })
	require.NoError(t, err)
	require.NotNil(t, res.State)
	_, ok := res.State.ID("flows/orders-sync")
	assert.True(t, ok)
}

// A file that is not JSON is named in Read's error.
func TestReadNamesTheMalformedFile(t *testing.T) {
	src := newSource(t)
	b := snapshot(t, src)
	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	writeText(t, filepath.Join(dir, "exports", "get-orders.json"), `{"name": "Get orders",`)
	writeText(t, filepath.Join(dir, "flows", "orders-sync.json"), `[1]`)
	_, err := bundle.Read(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exports/get-orders.json")
	assert.Contains(t, err.Error(), "flows/orders-sync.json")
}

// A member a person removes from a file is removed from the target by the
// next apply; a member only the target has stays.
func TestRemovedMemberPlansAndAppliesItsRemoval(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	state := bundle.NewState()
	deploy(t, b, dst, state, nil)
	flowID, _ := state.ID("flows/orders-sync")
	_, err := dst.Client().Flows.Modify(context.Background(), flowID, func(f *integratorio.Flow) error {
		return f.SetExtra("addedInTarget", "kept")
	})
	require.NoError(t, err)

	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	path := filepath.Join(dir, "flows", "orders-sync.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	edited := strings.Replace(string(data), ",\n  \"timezone\": \"Europe/Paris\"", "", 1)
	require.NotEqual(t, string(data), edited)
	writeText(t, path, edited)
	b2, err := bundle.Read(dir)
	require.NoError(t, err)
	plan, err := b2.Plan(context.Background(), dst.Client(), &bundle.Target{State: state, CreateConnections: true, Secrets: secretsFunc})
	require.NoError(t, err)
	var changed []bundle.Change
	for _, c := range plan.Changes {
		if c.Action != bundle.NoChange {
			changed = append(changed, c)
		}
	}
	assert.Equal(t, []bundle.Change{{Ref: "flows/orders-sync", Action: bundle.Update, Paths: []string{"/timezone"}}}, changed)
	dst.ResetRequests()
	_, err = plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, writes(dst), 1)
	flow := stored(t, dst, "flows", flowID)
	assert.NotContains(t, flow, "timezone")
	assert.Equal(t, "kept", flow["addedInTarget"])
	requireNoChanges(t, b2, dst, state)
}
