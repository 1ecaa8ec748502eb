package bundle_test

import (
	"context"
	"encoding/json"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"os"
	"path/filepath"
	"slices"
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

// Ids of resources that only generic reference members name.
const (
	srcExpFallback  = "5f0000000000000000000025"
	srcScriptXf2    = "5f0000000000000000000044"
	srcScriptInit   = "5f0000000000000000000045"
	srcScriptImpHk  = "5f0000000000000000000046"
	srcScriptFilter = "5f0000000000000000000047"
)

// newSourceWith starts the source account with sourceDocs, each changed
// by edit (by id) before it is added, and the documents of more.
func newSourceWith(t *testing.T, edit map[string]func(map[string]any), more map[string][]string) *integratoriotest.Server {
	t.Helper()
	srv := integratoriotest.NewServer()
	t.Cleanup(srv.Close)
	for _, typ := range []string{"integrations", "connections", "scripts", "exports", "imports", "flows"} {
		for _, doc := range append(slices.Clone(sourceDocs[typ]), more[typ]...) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(doc), &m))
			if fn := edit[m["_id"].(string)]; fn != nil {
				fn(m)
			}
			raw, err := json.Marshal(m)
			require.NoError(t, err)
			_, err = srv.AddJSON(typ, raw)
			require.NoError(t, err)
		}
	}
	return srv
}

// newGenericSource is the source with references that only the rule
// "any member named _<type>Id or _<type>Ids" finds: a transform script, a
// filter script, an integration's settings form script, an import's hook,
// an export named by an unknown member and in an array of ids, and a flow
// naming another by an unknown member.
func newGenericSource(t *testing.T) *integratoriotest.Server {
	return newSourceWith(t, map[string]func(map[string]any){
		srcExpRefunds: func(m map[string]any) {
			m["transform"] = map[string]any{"type": "script", "script": map[string]any{"_scriptId": srcScriptXf2, "function": "t"}}
			m["filter"] = map[string]any{"type": "script", "script": map[string]any{"_scriptId": srcScriptFilter, "function": "f"}}
		},
		srcImpCustomer: func(m map[string]any) {
			m["hooks"] = map[string]any{"postMap": map[string]any{"_scriptId": srcScriptImpHk, "function": "postMap"}}
			m["_fallbackExportId"] = srcExpFallback
			m["lookups"] = []any{map[string]any{"name": "l1", "_lookupExportIds": []any{srcExpLookup, srcExpFallback}}}
		},
		srcIntegration: func(m map[string]any) {
			m["settingsForm"] = map[string]any{"init": map[string]any{"_scriptId": srcScriptInit, "function": "init"}}
		},
		srcFlowOrders: func(m map[string]any) { m["_keepDeltaBehindFlowId"] = srcFlowRefunds },
	}, map[string][]string{
		"scripts": {
			`{"_id":"` + srcScriptXf2 + `","name":"Transform refunds","content":"function t(o) { return o.record; }\n"}`,
			`{"_id":"` + srcScriptInit + `","name":"Settings init","content":"function init(o) { return o; }\n"}`,
			`{"_id":"` + srcScriptImpHk + `","name":"Post map","content":"function postMap(o) { return o; }\n"}`,
			`{"_id":"` + srcScriptFilter + `","name":"Filter refunds","content":"function f(o) { return true; }\n"}`,
		},
		"exports": {`{"_id":"` + srcExpFallback + `","name":"Fallback lookup","adaptorType":"NetSuiteExport","_connectionId":"` + srcConnNS + `","isLookup":true}`},
	})
}

// Every reference the generic rule finds is followed by Snapshot, made a
// ref in the files, and resolved to the target's own resource by Apply.
func TestGenericReferencesAreFollowedAndResolved(t *testing.T) {
	src, dst := newGenericSource(t), newTarget(t)
	b := snapshot(t, src)
	for _, ref := range []string{"scripts/transform-refunds", "scripts/settings-init", "scripts/post-map", "scripts/filter-refunds", "exports/fallback-lookup"} {
		assert.Contains(t, b.Refs(), ref)
	}
	assert.Len(t, b.Refs(), bundleSize+5)
	assert.Empty(t, b.Warnings())
	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	files := readDir(t, dir)
	for _, id := range allIDs(src) {
		assert.Empty(t, contains(files, id), "source id %s in a file", id)
	}
	assert.Contains(t, files["imports/create-customer.json"], `"_lookupExportIds": [
        "exports/lookup-customer",
        "exports/fallback-lookup"
      ]`)
	assert.Contains(t, files["flows/orders-sync.json"], `"_keepDeltaBehindFlowId": "flows/refunds-legacy"`)

	state := bundle.NewState()
	deploy(t, b, dst, state, nil)
	id := func(ref string) string {
		id, ok := state.ID(ref)
		require.True(t, ok, ref)
		return id
	}
	exp := stored(t, dst, "exports", id("exports/get-refunds"))
	assert.Equal(t, id("scripts/transform-refunds"), exp["transform"].(map[string]any)["script"].(map[string]any)["_scriptId"])
	assert.Equal(t, id("scripts/filter-refunds"), exp["filter"].(map[string]any)["script"].(map[string]any)["_scriptId"])
	imp := stored(t, dst, "imports", id("imports/create-customer"))
	assert.Equal(t, id("scripts/post-map"), imp["hooks"].(map[string]any)["postMap"].(map[string]any)["_scriptId"])
	assert.Equal(t, id("exports/fallback-lookup"), imp["_fallbackExportId"])
	assert.Equal(t, []any{id("exports/lookup-customer"), id("exports/fallback-lookup")}, imp["lookups"].([]any)[0].(map[string]any)["_lookupExportIds"])
	in := stored(t, dst, "integrations", id("integrations/orders"))
	assert.Equal(t, id("scripts/settings-init"), in["settingsForm"].(map[string]any)["init"].(map[string]any)["_scriptId"])
	assert.Equal(t, id("flows/refunds-legacy"), stored(t, dst, "flows", id("flows/orders-sync"))["_keepDeltaBehindFlowId"])
	requireNoChanges(t, b, dst, state)
	requireSameAsSource(t, b, dst, state)
}

// A second apply of the same bundle and state sends no write, and reads
// each resource once.
func TestSecondApplyOnlyReadsEachResourceOnce(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	state := bundle.NewState()
	deploy(t, b, dst, state, nil)

	dst.ResetRequests()
	checkpoints := 0
	var changes []bundle.Change
	plan, res := deploy(t, b, dst, state, &bundle.ApplyOptions{
		Checkpoint: func(*bundle.State) error { checkpoints++; return nil },
		OnChange:   func(c bundle.Change, err error) { assert.NoError(t, err); changes = append(changes, c) },
	})
	assert.False(t, plan.HasChanges())
	assert.Empty(t, writes(dst))
	assert.Zero(t, res.Writes)
	assert.Empty(t, res.Tiers)
	assert.Zero(t, checkpoints, "the state did not change")
	assert.Len(t, changes, bundleSize)
	seen := map[string]int{}
	for _, r := range dst.Requests() {
		seen[r.Method+" "+r.Path+"?"+r.Query]++
	}
	assert.Len(t, seen, bundleSize, "one read per resource: %v", seen)
	for req, n := range seen {
		assert.Equal(t, 1, n, req)
	}
	for _, line := range strings.Split(strings.TrimSpace(plan.String()), "\n") {
		assert.True(t, strings.HasPrefix(line, "no change ") || strings.HasPrefix(line, "map "), line)
	}
}

// An edit a person makes to a file is what the next plan shows: a member
// added, a value changed, a flow renamed; applied in place.
func TestEditsPlanExactlyWhatChanged(t *testing.T) {
	src, dst := newSource(t), newTarget(t)
	b := snapshot(t, src)
	state := bundle.NewState()
	deploy(t, b, dst, state, nil)
	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	edit := func(file, old, new string) {
		path := filepath.Join(dir, filepath.FromSlash(file))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		edited := strings.Replace(string(data), old, new, 1)
		require.NotEqual(t, string(data), edited, file)
		writeText(t, path, edited)
	}
	edit("flows/refunds-legacy.json", `"name": "Refunds (legacy)"`, `"name": "Refunds (old)"`)
	edit("exports/get-orders.json", `"method": "GET"`, `"method": "GET",
    "headers": [{"name": "X-Added", "value": "1"}]`)
	edit("scripts/transform-orders.js", "return options.record;", "return options.data;")
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
	assert.Equal(t, []bundle.Change{
		{Ref: "scripts/transform-orders", Action: bundle.Update, Paths: []string{"/content"}},
		{Ref: "exports/get-orders", Action: bundle.Update, Paths: []string{"/http/headers"}},
		{Ref: "flows/refunds-legacy", Action: bundle.Update, Paths: []string{"/name"}},
	}, changed)
	ids := map[string]string{}
	for _, ref := range state.Refs() {
		ids[ref], _ = state.ID(ref)
	}
	dst.ResetRequests()
	_, err = plan.Apply(context.Background(), nil)
	require.NoError(t, err)
	var put []string
	for _, r := range writes(dst) {
		put = append(put, r.Method+" "+r.Path)
	}
	assert.ElementsMatch(t, []string{
		"PUT /scripts/" + ids["scripts/transform-orders"],
		"PUT /exports/" + ids["exports/get-orders"],
		"PUT /flows/" + ids["flows/refunds-legacy"],
	}, put)
	for _, ref := range state.Refs() {
		id, _ := state.ID(ref)
		assert.Equal(t, ids[ref], id, "%s keeps its id", ref)
	}
	assert.Equal(t, "Refunds (old)", stored(t, dst, "flows", ids["flows/refunds-legacy"])["name"])
	requireNoChanges(t, b2, dst, state)
}
