package integratoriotest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
)

// cursor is a state value the tests store.
type cursor struct {
	Since string  `json:"since"`
	N     float64 `json:"n"`
}

// The account's state through the SDK and on the wire: 204 without keys,
// PUT answered in plain text (201 Created, then 200 OK), values kept as
// sent, a missing key, DELETE 204, and DELETE /state clearing all.
func TestGlobalState(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	st := srv.Client().State
	ctx := context.Background()

	keys, err := st.Keys(ctx)
	require.NoError(t, err)
	assert.Empty(t, keys)
	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/state", "").status)

	require.NoError(t, st.Put(ctx, "cursor", cursor{Since: "2024-01-01", N: 3}))
	var got cursor
	ok, err := st.Get(ctx, "cursor", &got)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, cursor{Since: "2024-01-01", N: 3}, got)

	a := rawReq(t, srv, "PUT", "/state/raw", `{"n": 1.50, "list":[true,null]}`)
	assert.Equal(t, http.StatusCreated, a.status)
	assert.Equal(t, "Created", string(a.body))
	assert.Equal(t, "text/plain; charset=utf-8", a.header.Get("Content-Type"))
	a = rawReq(t, srv, "PUT", "/state/raw", `"now a string"`)
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "OK", string(a.body))
	a = rawReq(t, srv, "GET", "/state/raw", "")
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, `"now a string"`, string(a.body), "kept as sent")
	raw, ok := srv.StateJSON("raw")
	assert.True(t, ok)
	assert.Equal(t, `"now a string"`, string(raw))
	assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "PUT", "/state/raw", "{").status)
	assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "PUT", "/state/empty", "", "Content-Type: application/json").status)

	keys, err = st.Keys(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"cursor", "raw"}, keys)
	assert.JSONEq(t, `{"keys":["cursor","raw"]}`, string(rawReq(t, srv, "GET", "/state", "").body))

	ok, err = st.Get(ctx, "missing", &got)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, "not_found", rawReq(t, srv, "GET", "/state/missing", "").envelope(t)["code"])

	require.NoError(t, st.Delete(ctx, "cursor"))
	assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "DELETE", "/state/cursor", "").status)
	assert.ErrorIs(t, st.Delete(ctx, "cursor"), integratorio.ErrNotFound)
	a = rawReq(t, srv, "DELETE", "/state", "")
	assert.Equal(t, http.StatusNoContent, a.status)
	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", "/state", "").status, "all gone")
}

// Each document of integrations, flows, connections, exports and imports
// has its own state, apart from the account's; its DELETEs answer 200; an
// unknown document, or a resource without state, is 404.
func TestScopedState(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	require.NoError(t, c.State.Put(ctx, "k", "global"))
	for _, resource := range []string{"integrations", "flows", "connections", "exports", "imports"} {
		id, err := srv.AddJSON(resource, []byte(`{"name":"x"}`))
		require.NoError(t, err)
		st := c.State.Of(resource, id)
		base := "/" + resource + "/" + id + "/state"

		keys, err := st.Keys(ctx)
		require.NoError(t, err, resource)
		assert.Empty(t, keys, resource)
		require.NoError(t, st.Put(ctx, "k", map[string]int{"n": 1}), resource)
		a := rawReq(t, srv, "PUT", base+"/k", `{"n":2}`)
		assert.Equal(t, "OK", string(a.body), resource)
		var v map[string]int
		ok, err := st.Get(ctx, "k", &v)
		require.NoError(t, err, resource)
		assert.True(t, ok, resource)
		assert.Equal(t, map[string]int{"n": 2}, v, resource)
		raw, ok := srv.ResourceStateJSON(resource, id, "k")
		assert.True(t, ok, resource)
		assert.Equal(t, `{"n":2}`, string(raw), resource)

		a = rawReq(t, srv, "DELETE", base+"/k", "")
		assert.Equal(t, http.StatusOK, a.status, resource)
		assert.Empty(t, a.body, resource)
		require.NoError(t, st.Put(ctx, "a", 1))
		require.NoError(t, st.Put(ctx, "b", 2))
		require.NoError(t, st.Delete(ctx, "a"), resource)
		assert.Equal(t, http.StatusOK, rawReq(t, srv, "DELETE", base, "").status, resource)
		assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "GET", base, "").status, resource)

		_, err = c.State.Of(resource, "missing").Keys(ctx)
		assert.ErrorIs(t, err, integratorio.ErrNotFound, resource)
		assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "PUT", "/"+resource+"/missing/state/k", `1`).status, resource)
	}
	var v string
	ok, err := c.State.Get(ctx, "k", &v)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "global", v, "scoped writes leave the account's state alone")

	_, err = srv.AddJSON("scripts", []byte(`{"_id":"s1","name":"s"}`))
	require.NoError(t, err)
	_, err = c.State.Of("scripts", "s1").Keys(ctx)
	assert.ErrorIs(t, err, integratorio.ErrNotFound, "scripts have no state")
	assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "GET", "/connections/x/other/k", "").status)
}

// A flow's state keys named like the step endpoints (errors, resolved)
// are state, while a step's errors stay the step's.
func TestFlowStateBesideStepErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	flow := seedFlow(t, srv, `{"_id":"f1","name":"f"}`)
	require.NoError(t, srv.AddFlowErrors(flow, "e1", []byte(`{"code":"x","message":"m"}`)))

	assert.Equal(t, http.StatusCreated, rawReq(t, srv, "PUT", "/flows/f1/state/errors", `[1]`).status)
	assert.Equal(t, http.StatusCreated, rawReq(t, srv, "PUT", "/flows/f1/state/resolved", `true`).status)
	assert.Equal(t, `[1]`, string(rawReq(t, srv, "GET", "/flows/f1/state/errors", "").body))
	assert.Equal(t, `true`, string(rawReq(t, srv, "GET", "/flows/f1/state/resolved", "").body))
	assert.JSONEq(t, `{"keys":["errors","resolved"]}`, string(rawReq(t, srv, "GET", "/flows/f1/state", "").body))
	assert.Equal(t, "no route for POST /v1/flows/f1/state/retry",
		rawReq(t, srv, "POST", "/flows/f1/state/retry", `{}`).envelope(t)["message"], "as any other unknown route")

	errs := rawReq(t, srv, "GET", "/flows/f1/e1/errors", "")
	require.Equal(t, http.StatusOK, errs.status)
	list := errs.object(t)["errors"].([]any)
	require.Len(t, list, 1)
	errorID := list[0].(map[string]any)["errorId"].(string)
	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "PUT", "/flows/f1/e1/resolved", `{"errors":["`+errorID+`"]}`).status)
	assert.Len(t, rawReq(t, srv, "GET", "/flows/f1/e1/resolved", "").object(t)["resolved"], 1)
}

// SetState and SetResourceState seed values that the API then answers; a
// document's state goes with the document.
func TestStateSeeding(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	require.NoError(t, srv.SetState("k", []byte(`{"a":1}`)))
	assert.Equal(t, `{"a":1}`, string(rawReq(t, srv, "GET", "/state/k", "").body))
	assert.Error(t, srv.SetState("k", []byte(`{`)))
	assert.Error(t, srv.SetState("", []byte(`1`)))

	require.NoError(t, srv.SetResourceState("imports", "m1", "cursor", []byte(`"x"`)), "before the import exists")
	assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "GET", "/imports/m1/state/cursor", "").status)
	_, err := srv.AddJSON("imports", []byte(`{"_id":"m1","adaptorType":"HTTPImport"}`))
	require.NoError(t, err)
	assert.Equal(t, `"x"`, string(rawReq(t, srv, "GET", "/imports/m1/state/cursor", "").body))
	assert.ErrorContains(t, srv.SetResourceState("scripts", "s1", "k", []byte(`1`)), "no state")
	assert.Error(t, srv.SetResourceState("imports", "", "k", []byte(`1`)))
	_, ok := srv.ResourceStateJSON("widgets", "m1", "cursor")
	assert.False(t, ok)

	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "DELETE", "/imports/m1", "").status)
	_, ok = srv.ResourceStateJSON("imports", "m1", "cursor")
	assert.False(t, ok, "deleted with the import")
	_, ok = srv.StateJSON("k")
	assert.True(t, ok)
}
