package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateKeysGetPutDelete(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/state", jsonResponder(200, []byte(`{"keys":["a","b c"]}`)).Then(httpmock.NewStringResponder(204, "")))
	mt.RegisterResponder(http.MethodGet, testRoot+"/state/cursor", jsonResponder(200, []byte(`{"since":"2024-01-01","n":3}`)))
	mt.RegisterResponder(http.MethodGet, testRoot+"/state/missing", jsonResponder(404, []byte(`{"errors":[{"code":"not_found"}]}`)))
	mt.RegisterResponder(http.MethodPut, `=~^`+testRoot+`/state/`, rec.wrap(httpmock.NewStringResponder(200, "OK").Then(httpmock.NewStringResponder(201, "Created"))))
	mt.RegisterResponder(http.MethodDelete, testRoot+"/state/cursor", httpmock.NewStringResponder(204, ""))
	ctx := context.Background()

	keys, err := c.State.Keys(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b c"}, keys)
	keys, err = c.State.Keys(ctx)
	require.NoError(t, err)
	assert.Empty(t, keys, "204: no keys")

	var v struct {
		Since string `json:"since"`
		N     int    `json:"n"`
	}
	ok, err := c.State.Get(ctx, "cursor", &v)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 3, v.N)
	ok, err = c.State.Get(ctx, "missing", &v)
	require.NoError(t, err, "a missing key is no error")
	assert.False(t, ok)

	require.NoError(t, c.State.Put(ctx, "cursor", map[string]any{"n": 4}), `plain text "OK"`)
	require.NoError(t, c.State.Put(ctx, "clé", []int{1}), `plain text "Created"`)
	require.Len(t, rec.reqs, 2)
	assert.JSONEq(t, `{"n":4}`, string(rec.reqs[0].Body))
	assert.Equal(t, "/v1/state/cl%C3%A9", rec.reqs[1].Path, "keys are escaped")
	require.NoError(t, c.State.Delete(ctx, "cursor"))

	for _, bad := range []string{"", "a/b", "..", "a?b", "a b"} {
		_, err := c.State.Get(ctx, bad, &v)
		assert.ErrorIs(t, err, ErrInvalidArgument, bad)
		assert.ErrorIs(t, c.State.Put(ctx, bad, 1), ErrInvalidArgument, bad)
		assert.ErrorIs(t, c.State.Delete(ctx, bad), ErrInvalidArgument, bad)
	}
	assert.ErrorIs(t, c.State.Put(ctx, "k", make(chan int)), ErrInvalidArgument)
}

func TestStateScopedToAResource(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	base := testRoot + "/imports/i1/state"
	mt.RegisterResponder(http.MethodGet, base, jsonResponder(200, []byte(`{"keys":["k"]}`)))
	mt.RegisterResponder(http.MethodGet, base+"/k", jsonResponder(200, []byte(`"v"`)))
	mt.RegisterResponder(http.MethodPut, base+"/k", httpmock.NewStringResponder(200, "OK"))
	mt.RegisterResponder(http.MethodDelete, base+"/k", httpmock.NewStringResponder(200, ""))
	ctx := context.Background()
	st := c.State.Of("imports", "i1")
	keys, err := st.Keys(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"k"}, keys)
	var s string
	ok, err := st.Get(ctx, "k", &s)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "v", s)
	require.NoError(t, st.Put(ctx, "k", "w"))
	require.NoError(t, st.Delete(ctx, "k"), "a scoped DELETE answers 200")
	assert.Equal(t, 4, mt.GetTotalCallCount())

	_, err = c.State.Of("imports/x", "i1").Keys(ctx)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.State.Of("imports", "").Get(ctx, "k", &s)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Equal(t, 4, mt.GetTotalCallCount())
}

func TestTokenInfo(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/tokenInfo", jsonResponder(200, []byte(`{"_userId":"u1","scope":"*","x":1}`)))
	ti, err := c.TokenInfo(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "u1", ti.UserID)
	assert.Equal(t, "*", ti.Scope)
	ok, err := ti.Extra("x", new(int))
	require.NoError(t, err)
	assert.True(t, ok)
}

// A []byte or json.RawMessage is stored as it is, not as base64, and read
// back as it is; one that is not JSON is refused before sending.
func TestStatePutSendsBytesAsTheyAre(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodPut, `=~^`+testRoot+`/state/`, rec.wrap(httpmock.NewStringResponder(200, "OK")))
	mt.RegisterResponder(http.MethodGet, testRoot+"/state/raw", jsonResponder(200, []byte(`{"since":"2024-01-01","n":3}`)))
	ctx := context.Background()

	require.NoError(t, c.State.Put(ctx, "bytes", []byte(`{"since":"2024-01-01","n":3}`)))
	require.NoError(t, c.State.Put(ctx, "raw", json.RawMessage(`[1, 2]`)))
	require.NoError(t, c.State.Put(ctx, "string", "text"))
	require.Len(t, rec.reqs, 3)
	assert.Equal(t, `{"since":"2024-01-01","n":3}`, string(rec.reqs[0].Body), "not base64")
	assert.Equal(t, `[1, 2]`, string(rec.reqs[1].Body))
	assert.Equal(t, `"text"`, string(rec.reqs[2].Body))

	assert.ErrorIs(t, c.State.Put(ctx, "bad", []byte("not json")), ErrInvalidArgument)
	assert.ErrorIs(t, c.State.Put(ctx, "bad", json.RawMessage(`{"a":`)), ErrInvalidArgument)
	assert.ErrorIs(t, c.State.Put(ctx, "bad", []byte{}), ErrInvalidArgument)
	assert.Len(t, rec.reqs, 3, "nothing more is sent")

	var b []byte
	ok, err := c.State.Get(ctx, "raw", &b)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, `{"since":"2024-01-01","n":3}`, string(b), "read back as it is")
	var raw json.RawMessage
	_, err = c.State.Get(ctx, "raw", &raw)
	require.NoError(t, err)
	assert.JSONEq(t, `{"since":"2024-01-01","n":3}`, string(raw))
}

// DeleteAll sends one DELETE of the whole store, global or scoped, and
// nothing for an invalid scope.
func TestStateDeleteAll(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var global, scoped recorder
	mt.RegisterResponder(http.MethodDelete, testRoot+"/state", global.wrap(httpmock.NewStringResponder(204, "")))
	mt.RegisterResponder(http.MethodDelete, testRoot+"/imports/i1/state", scoped.wrap(httpmock.NewStringResponder(200, "")))
	ctx := context.Background()
	require.NoError(t, c.State.DeleteAll(ctx))
	require.NoError(t, c.State.Of("imports", "i1").DeleteAll(ctx))
	require.Len(t, global.reqs, 1)
	require.Len(t, scoped.reqs, 1)
	assert.Empty(t, global.reqs[0].Body)
	n := mt.GetTotalCallCount()
	assert.ErrorIs(t, c.State.Of("imports", "").DeleteAll(ctx), ErrInvalidArgument)
	assert.Equal(t, n, mt.GetTotalCallCount())
}
