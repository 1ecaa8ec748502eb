package bundle_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/bundle"
)

func TestSnapshotWriteReadWriteIsByteIdentical(t *testing.T) {
	src := newSource(t)
	b := snapshot(t, src)
	dir1, dir2, dir3 := t.TempDir(), t.TempDir(), t.TempDir()
	require.NoError(t, b.Write(dir1))
	read, err := bundle.Read(dir1)
	require.NoError(t, err)
	require.NoError(t, read.Write(dir2))
	assert.Equal(t, readDir(t, dir1), readDir(t, dir2))

	// A second snapshot of the same account gives the same bytes.
	require.NoError(t, snapshot(t, src).Write(dir3))
	assert.Equal(t, readDir(t, dir1), readDir(t, dir3))
}

func TestSnapshotLayoutAndReferences(t *testing.T) {
	src := newSource(t)
	b := snapshot(t, src)
	assert.Equal(t, []string{
		"connections/netsuite-prod", "connections/shop-api",
		"exports/get-orders", "exports/get-refunds", "exports/lookup-customer",
		"flows/customer-routing", "flows/orders-sync", "flows/refunds-legacy",
		"imports/create-customer", "imports/create-sales-order", "imports/post-refund",
		"integrations/orders",
		"scripts/route-customers", "scripts/transform-orders",
	}, b.Refs())
	assert.Empty(t, b.Warnings())

	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	files := readDir(t, dir)
	assert.Len(t, files, bundleSize+1+2) // the manifest and two .js files
	assert.Equal(t, "function transform(options) {\n  return options.record;\n}\n", files["scripts/transform-orders.js"])
	assert.Contains(t, files["bundle.json"], `"integration": "integrations/orders"`)
	for _, id := range allIDs(src) {
		assert.Empty(t, contains(files, id), "source id %s in a file", id)
	}
	for _, member := range []string{`"_id"`, `"lastModified"`, `"createdAt"`, `"lastExecutedAt"`, `"_registeredConnectionIds"`, `"apiIdentifier"`, `"offline"`, `"content"`} {
		assert.Empty(t, contains(files, member), "%s in a file", member)
	}
	for _, secret := range []string{"source-ns-password", "source-shop-token", "******"} {
		assert.Empty(t, contains(files, secret))
	}

	doc := func(ref string) map[string]any {
		raw, ok := b.Document(ref)
		require.True(t, ok, ref)
		assert.Equal(t, files[ref+".json"], string(raw))
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		return m
	}
	orders := doc("flows/orders-sync")
	assert.Equal(t, "integrations/orders", orders["_integrationId"])
	assert.Equal(t, "flowGroupings/Sales", orders["_flowGroupingId"])
	assert.Equal(t, []any{"flows/customer-routing"}, orders["_runNextFlowIds"])
	assert.Equal(t, map[string]any{"_exportId": "exports/get-orders", "pgUnknown": float64(1)}, orders["pageGenerators"].([]any)[0])
	pp := orders["pageProcessors"].([]any)
	assert.Equal(t, "exports/lookup-customer", pp[0].(map[string]any)["_exportId"])
	assert.Equal(t, "scripts/transform-orders", pp[1].(map[string]any)["hooks"].(map[string]any)["postResponseMap"].(map[string]any)["_scriptId"])
	routing := doc("flows/customer-routing")
	router := routing["routers"].([]any)[0].(map[string]any)
	assert.Equal(t, "scripts/route-customers", router["script"].(map[string]any)["_scriptId"])
	branch := router["branches"].([]any)[0].(map[string]any)
	assert.Equal(t, "imports/create-customer", branch["pageProcessors"].([]any)[0].(map[string]any)["_importId"])
	legacy := doc("flows/refunds-legacy")
	assert.Equal(t, "exports/get-refunds", legacy["_exportId"])
	assert.Equal(t, "imports/post-refund", legacy["_importId"])
	assert.Equal(t, "flowGroupings/Refunds", legacy["_flowGroupingId"])
	ns := doc("connections/netsuite-prod")
	assert.Equal(t, map[string]any{"account": "TSTDRV1", "password": bundle.SecretPrefix + "/netsuite/password", "roleId": "3"}, ns["netsuite"])
	in := doc("integrations/orders")
	assert.Equal(t, []any{map[string]any{"name": "Sales"}, map[string]any{"name": "Refunds"}}, in["flowGroupings"])
	assert.Equal(t, map[string]any{"kept": true}, in["unknownIntegrationMember"])
	exp := doc("exports/get-orders")
	assert.Equal(t, "connections/shop-api", exp["_connectionId"])
	assert.Equal(t, map[string]any{"deep": map[string]any{"deeper": "yes"}}, exp["exportUnknown"])
	// Numbers keep their text.
	assert.Contains(t, files["connections/shop-api.json"], "2.50")
}

func TestSnapshotWarnsOfIDsLeftInPlace(t *testing.T) {
	src := newSource(t)
	_, err := src.AddJSON("scripts", []byte(`{"_id":"5f0000000000000000000043","name":"Hardcoded","content":"// calls\nvar id = '`+srcExpLookup+`';\n"}`))
	require.NoError(t, err)
	_, err = src.AddJSON("exports", []byte(`{"_id":"5f0000000000000000000024","name":"Stray","adaptorType":"HTTPExport",
		"http":{"relativeURI":"/x/`+srcFlowOrders+`/y"},"hooks":{"preSavePage":{"_scriptId":"5f0000000000000000000043"}}}`))
	require.NoError(t, err)
	in := stored(t, src, "flows", srcFlowRefunds)
	in["_exportId"] = "5f0000000000000000000024"
	raw, _ := json.Marshal(in)
	_, err = src.Client().Flows.Update(context.Background(), srcFlowRefunds, mustFlow(t, raw))
	require.NoError(t, err)

	b := snapshot(t, src)
	assert.Equal(t, []bundle.Warning{
		{File: "exports/stray.json", Path: "/http/relativeURI", Message: "holds " + srcFlowOrders + ", which looks like an id of the source account; the target does not have it: make it a reference (a member named _<type>Id) or change it by hand"},
		{File: "scripts/hardcoded.js", Path: "line 2", Message: "holds " + srcExpLookup + ", which looks like an id of the source account; the target does not have it: change it by hand"},
	}, b.Warnings())
	// Read finds the same.
	dir := t.TempDir()
	require.NoError(t, b.Write(dir))
	read, err := bundle.Read(dir)
	require.NoError(t, err)
	assert.Equal(t, b.Warnings(), read.Warnings())
}

func TestSnapshotRefusesIntegrationApps(t *testing.T) {
	src := newSource(t)
	id, err := src.AddJSON("integrations", []byte(`{"name":"Installed","_connectorId":"5f00000000000000000000ff"}`))
	require.NoError(t, err)
	src.ResetRequests()
	_, err = bundle.Snapshot(context.Background(), src.Client(), id, nil)
	require.ErrorIs(t, err, bundle.ErrIntegrationApp)
	assert.Len(t, src.Requests(), 1) // the integration only
}

func TestReadReportsEveryProblem(t *testing.T) {
	src := newSource(t)
	dir := t.TempDir()
	require.NoError(t, snapshot(t, src).Write(dir))
	writeText(t, filepath.Join(dir, "flows", "orders-sync.json"), "[1]")
	writeText(t, filepath.Join(dir, "exports", "orphan.js"), "x")
	_, err := bundle.Read(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "flows/orders-sync.json: not a JSON object")
	assert.Contains(t, err.Error(), "exports/orphan.js")
	_, err = bundle.Read(t.TempDir())
	assert.ErrorContains(t, err, "not a bundle folder")
}

// Namesakes get keys in the order they were created, the same on every
// snapshot, and a name that looks like a generated key does not take
// another's.
func TestSnapshotKeysOfNamesakes(t *testing.T) {
	src := newSource(t)
	_, err := src.AddJSON("exports", []byte(`{"_id":"5f0000000000000000000025","name":"GET orders","adaptorType":"HTTPExport","createdAt":"2025-01-01T00:00:00.000Z"}`))
	require.NoError(t, err)
	_, err = src.AddJSON("exports", []byte(`{"_id":"5f0000000000000000000026","name":"Get orders 2","adaptorType":"HTTPExport","createdAt":"2023-01-01T00:00:00.000Z"}`))
	require.NoError(t, err)
	ctx := context.Background()
	raw, _ := src.DocumentJSON("flows", srcFlowRefunds)
	doc := map[string]any{}
	require.NoError(t, json.Unmarshal(raw, &doc))
	doc["pageProcessors"] = []any{
		map[string]any{"type": "export", "_exportId": "5f0000000000000000000025"},
		map[string]any{"type": "export", "_exportId": "5f0000000000000000000026"},
	}
	raw, _ = json.Marshal(doc)
	_, err = src.Client().Flows.Update(ctx, srcFlowRefunds, mustFlow(t, raw))
	require.NoError(t, err)

	b := snapshot(t, src)
	flow, _ := b.Document("flows/refunds-legacy")
	// "Get orders" (seeded without createdAt: now) is newer than "GET
	// orders"; "Get orders 2" gets the next key free after theirs.
	assert.Contains(t, string(flow), `"_exportId": "exports/get-orders"`)
	var keys []string
	for _, ref := range b.Refs() {
		if strings.HasPrefix(ref, "exports/get-orders") {
			keys = append(keys, ref)
		}
	}
	assert.Equal(t, []string{"exports/get-orders", "exports/get-orders-2", "exports/get-orders-2-2"}, keys)
	older, _ := b.Document("exports/get-orders")
	assert.Contains(t, string(older), `"name": "GET orders"`, "the older namesake takes the plain key")
	newer, _ := b.Document("exports/get-orders-2")
	assert.Contains(t, string(newer), `"name": "Get orders"`)
	named, _ := b.Document("exports/get-orders-2-2")
	assert.Contains(t, string(named), `"name": "Get orders 2"`)

	dir1, dir2 := t.TempDir(), t.TempDir()
	require.NoError(t, b.Write(dir1))
	require.NoError(t, snapshot(t, src).Write(dir2))
	assert.Equal(t, readDir(t, dir1), readDir(t, dir2))
}
