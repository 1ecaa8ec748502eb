package integratoriotest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
)

// groupingIDs returns the _id of each flowGroupings entry of a stored
// integration, by name.
func groupingIDs(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, g := range doc["flowGroupings"].([]any) {
		m := g.(map[string]any)
		out[m["name"].(string)] = m["_id"]
	}
	return out
}

// The server gives each flowGroupings entry that lacks an _id one of its
// own, on create, PUT and PATCH, as the API does for sub-documents, and
// keeps the ids it is sent.
func TestFlowGroupingsGetIDs(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx := context.Background()
	client := srv.Client()
	in := &integratorio.Integration{Name: "Orders"}
	require.NoError(t, in.SetExtra("flowGroupings", []map[string]any{{"name": "Sales"}, {"name": "Refunds", "_id": ""}}))
	created, err := client.Integrations.Create(ctx, in)
	require.NoError(t, err)
	ids := groupingIDs(t, stored(t, srv, created.ID))
	assert.Regexp(t, hexID, ids["Sales"])
	assert.Regexp(t, hexID, ids["Refunds"])
	assert.NotEqual(t, ids["Sales"], ids["Refunds"])

	var answered []map[string]any
	_, err = created.Extra("flowGroupings", &answered)
	require.NoError(t, err)
	assert.Equal(t, ids["Sales"], answered[0]["_id"], "the create's answer has the ids")

	// A PUT keeps the ids sent and gives one to a new entry.
	_, err = client.Integrations.Modify(ctx, created.ID, func(in *integratorio.Integration) error {
		var gs []map[string]any
		if _, err := in.Extra("flowGroupings", &gs); err != nil {
			return err
		}
		return in.SetExtra("flowGroupings", append(gs, map[string]any{"name": "Billing"}))
	})
	require.NoError(t, err)
	after := groupingIDs(t, stored(t, srv, created.ID))
	assert.Equal(t, ids["Sales"], after["Sales"])
	assert.Equal(t, ids["Refunds"], after["Refunds"])
	assert.Regexp(t, hexID, after["Billing"])

	// So does a PATCH.
	require.NoError(t, client.Integrations.Patch(ctx, created.ID, integratorio.PatchOp{Op: "add", Path: "/flowGroupings/-", Value: map[string]any{"name": "Returns"}}))
	assert.Regexp(t, hexID, groupingIDs(t, stored(t, srv, created.ID))["Returns"])

	// Seeded documents are stored as given.
	id := seed(t, srv, `{"name":"Seeded","flowGroupings":[{"name":"Raw"}]}`)
	assert.Nil(t, groupingIDs(t, stored(t, srv, id))["Raw"])
}
