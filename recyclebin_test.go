package integratorio

import (
	"context"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecycleBinWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	bin := testRoot + "/recycleBinTTL"
	var all, imports, one, restore, cascade, purge recorder
	mt.RegisterResponder(http.MethodGet, bin, all.wrap(jsonResponder(200, []byte(`[{"model":"Import","doc":{"_id":"i1","name":"a","x":{"y":1}}},{"model":"Flow","doc":{"_id":"f1"}}]`))))
	mt.RegisterResponder(http.MethodGet, bin+"/imports", imports.wrap(httpmock.NewStringResponder(204, "")))
	mt.RegisterResponder(http.MethodGet, bin+"/imports/i1", one.wrap(jsonResponder(200, []byte(`{"model":"Import","doc":{"_id":"i1"}}`))))
	mt.RegisterResponder(http.MethodPost, bin+"/imports/i1", restore.wrap(httpmock.NewStringResponder(204, "")))
	mt.RegisterResponder(http.MethodPost, bin+"/flows/f1/doCascadeRestore", cascade.wrap(httpmock.NewStringResponder(204, "")))
	mt.RegisterResponder(http.MethodDelete, bin+"/imports/i1", purge.wrap(httpmock.NewStringResponder(204, "")))

	list, err := c.RecycleBin.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "Import", list[0].Model)
	assert.JSONEq(t, `{"_id":"i1","name":"a","x":{"y":1}}`, string(list[0].Document()))
	assert.Equal(t, "f1", list[1].docID())
	require.Len(t, all.reqs, 1)
	assert.Empty(t, all.reqs[0].RawQuery)

	none, err := c.RecycleBin.List(ctx, &RecycleBinListOptions{ResourceType: "imports"})
	require.NoError(t, err)
	assert.Empty(t, none, "204: nothing deleted")
	require.Len(t, imports.reqs, 1)

	got, err := c.RecycleBin.Get(ctx, "imports", "i1")
	require.NoError(t, err)
	assert.Equal(t, "Import", got.Model)
	require.Len(t, one.reqs, 1)

	require.NoError(t, c.RecycleBin.Restore(ctx, "imports", "i1", false))
	require.NoError(t, c.RecycleBin.Restore(ctx, "flows", "f1", true))
	require.Len(t, restore.reqs, 1)
	require.Len(t, cascade.reqs, 1)
	require.NoError(t, c.RecycleBin.Purge(ctx, "imports", "i1"))
	require.Len(t, purge.reqs, 1)

	n := mt.GetTotalCallCount()
	_, err = c.RecycleBin.Get(ctx, "imports", "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.RecycleBin.Get(ctx, "", "i1")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.RecycleBin.List(ctx, &RecycleBinListOptions{ResourceType: "a/b"})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.ErrorIs(t, c.RecycleBin.Restore(ctx, "imports", "", false), ErrInvalidArgument)
	assert.ErrorIs(t, c.RecycleBin.Purge(ctx, "", "i1"), ErrInvalidArgument)
	assert.Equal(t, n, mt.GetTotalCallCount(), "nothing is sent for an empty or malformed argument")
}

// A restore is a write: never repeated once it may have reached the
// server.
func TestRecycleBinRestoreIsSentOnce(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodPost, testRoot+"/recycleBinTTL/flows/f1", rec.wrap(httpmock.NewStringResponder(502, "")))
	err := c.RecycleBin.Restore(context.Background(), "flows", "f1", false)
	assert.ErrorIs(t, err, ErrUnknownOutcome)
	assert.Len(t, rec.reqs, 1)
}
