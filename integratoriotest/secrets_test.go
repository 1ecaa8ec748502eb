package integratoriotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// secretConnection holds a value at every path where a connection's
// secrets are masked, beside members that are not secret.
const secretConnection = `{"_id":"c1","name":"all","type":"http","_integrationId":"i1",
	"rest":{"bearerToken":"t-rest"},
	"http":{"baseURI":"https://api.example.com","encrypted":{"apiKey":"k-enc"},
		"auth":{"token":{"token":"t-http","location":"header"},"basic":{"username":"u","password":"p-basic"},"oauth":{"refreshToken":"r-oauth"}}},
	"ftp":{"hostURI":"ftp.example.com","password":"p-ftp"},"rdbms":{"password":"p-rdbms"},"mongodb":{"password":"p-mongo"},
	"jdbc":{"password":"p-jdbc"},"s3":{"accessKeyId":"AKID","secretAccessKey":"s-s3"},"dynamodb":{"secretAccessKey":"s-ddb"},
	"netsuite":{"password":"p-ns"}}`

// connectionSecrets are the pointers of secretConnection's secrets, and
// their real values.
var connectionSecrets = map[string]any{
	"/rest/bearerToken": "t-rest", "/http/encrypted": map[string]any{"apiKey": "k-enc"},
	"/http/auth/token/token": "t-http", "/http/auth/basic/password": "p-basic", "/http/auth/oauth/refreshToken": "r-oauth",
	"/ftp/password": "p-ftp", "/rdbms/password": "p-rdbms", "/mongodb/password": "p-mongo", "/jdbc/password": "p-jdbc",
	"/s3/secretAccessKey": "s-s3", "/dynamodb/secretAccessKey": "s-ddb", "/netsuite/password": "p-ns",
}

// connectionPlain are members of secretConnection that are not secret.
var connectionPlain = map[string]any{
	"/http/baseURI": "https://api.example.com", "/http/auth/token/location": "header", "/http/auth/basic/username": "u",
	"/ftp/hostURI": "ftp.example.com", "/s3/accessKeyId": "AKID",
}

// pointer returns the value a JSON Pointer names in v, or nil.
func pointer(v any, p string) any {
	for _, tok := range strings.Split(p, "/")[1:] {
		m, _ := v.(map[string]any)
		v = m[tok]
	}
	return v
}

// assertMasked checks that a connection as answered holds the mask at
// every secret and the real values elsewhere.
func assertMasked(t *testing.T, doc map[string]any, where string) {
	t.Helper()
	for p := range connectionSecrets {
		assert.Equal(t, "******", pointer(doc, p), "%s: %s", where, p)
	}
	for p, v := range connectionPlain {
		assert.Equal(t, v, pointer(doc, p), "%s: %s", where, p)
	}
}

// assertStored checks that the server holds every secret's real value.
func assertStored(t *testing.T, srv *integratoriotest.Server, id string) {
	t.Helper()
	doc := document(t, srv, "connections", id)
	for p, v := range connectionSecrets {
		assert.Equal(t, v, pointer(doc, p), "stored %s", p)
	}
}

// Every answer holding a connection masks each secret path, http.encrypted
// whole, while DocumentJSON returns the real values.
func TestSecretsAreMaskedOnEveryRead(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	in := seed(t, srv, `{"_id":"i1","name":"i"}`)
	_, err := srv.AddJSON("connections", []byte(secretConnection))
	require.NoError(t, err)

	assertMasked(t, rawReq(t, srv, "GET", "/connections/c1", "").object(t), "get")
	for _, path := range []string{"/connections", "/integrations/" + in + "/connections", "/connections?include=name,http,rest,ftp,rdbms,mongodb,jdbc,s3,dynamodb,netsuite"} {
		a := rawReq(t, srv, "GET", path, "")
		require.Equal(t, http.StatusOK, a.status, path)
		list := decodeArray(t, a.body)
		require.Len(t, list, 1, path)
		assertMasked(t, list[0], path)
	}
	a := rawReq(t, srv, "GET", "/connections?include=http.encrypted.apiKey", "")
	assert.NotContains(t, string(a.body), "k-enc", "a projection cannot reach below the mask")
	assertStored(t, srv, "c1")

	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(secretConnection), &body))
	delete(body, "_id")
	created := rawReq(t, srv, "POST", "/connections", string(mustJSON(t, body)))
	require.Equal(t, http.StatusCreated, created.status)
	assertMasked(t, created.object(t), "create")
	id := created.object(t)["_id"].(string)
	assertStored(t, srv, id)

	body["name"] = "replaced"
	replaced := rawReq(t, srv, "PUT", "/connections/"+id, string(mustJSON(t, body)))
	require.Equal(t, http.StatusOK, replaced.status)
	assertMasked(t, replaced.object(t), "put")
	assertStored(t, srv, id)

	conn, err := srv.Client().Connections.Get(context.Background(), id)
	require.NoError(t, err)
	var token string
	_, err = conn.Extra("rest", &struct{ BearerToken *string }{&token})
	require.NoError(t, err)
	assert.Equal(t, "******", token, "through the SDK too")
}

// An export's webhook key is masked on every read, including a clone's
// answer; the copy keeps the real key.
func TestExportWebhookKeyIsMasked(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.AddJSON("exports", []byte(`{"_id":"hook","name":"in","adaptorType":"WebhookExport","webhook":{"provider":"custom","key":"wh-secret"}}`))
	require.NoError(t, err)
	for _, path := range []string{"/exports/hook", "/exports"} {
		a := rawReq(t, srv, "GET", path, "")
		assert.Contains(t, string(a.body), `"key":"******"`, path)
		assert.NotContains(t, string(a.body), "wh-secret", path)
	}
	cloned := rawReq(t, srv, "POST", "/exports/hook/clone", `{}`)
	require.Equal(t, http.StatusCreated, cloned.status)
	assert.Equal(t, "******", pointer(cloned.object(t), "/webhook/key"))
	copied := document(t, srv, "exports", cloned.object(t)["_id"].(string))
	assert.Equal(t, "wh-secret", pointer(copied, "/webhook/key"))
	assert.Equal(t, "wh-secret", pointer(document(t, srv, "exports", "hook"), "/webhook/key"))
}

// By default a PUT carrying the mask back stores the mask: the secret is
// lost, as Celigo's connection docs warn (http.encrypted becomes the
// string). A PATCH of another member leaves the secrets alone.
func TestMaskedPutStoresTheMaskByDefault(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.AddJSON("connections", []byte(secretConnection))
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "PATCH", "/connections/c1", `[{"op":"replace","path":"/name","value":"patched"}]`).status)
	assertStored(t, srv, "c1")

	read := rawReq(t, srv, "GET", "/connections/c1", "")
	require.Equal(t, http.StatusOK, rawReq(t, srv, "PUT", "/connections/c1", string(read.body)).status)
	doc := document(t, srv, "connections", "c1")
	for p := range connectionSecrets {
		assert.Equal(t, "******", pointer(doc, p), "stored %s", p)
	}
	assert.Equal(t, "patched", doc["name"])
}

// With WithMaskKeepsSecret a PUT carrying the mask keeps each stored
// secret (http.encrypted stays an object), a new value replaces it, and a
// secret left out is erased like any member.
func TestMaskedPutKeepsTheSecretWithTheOption(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithMaskKeepsSecret())
	_, err := srv.AddJSON("connections", []byte(secretConnection))
	require.NoError(t, err)

	read := rawReq(t, srv, "GET", "/connections/c1", "").object(t)
	require.Equal(t, http.StatusOK, rawReq(t, srv, "PUT", "/connections/c1", string(mustJSON(t, read))).status)
	assertStored(t, srv, "c1")

	read["rest"] = map[string]any{"bearerToken": "t-new"}
	read["ftp"] = map[string]any{"hostURI": "ftp.example.com"}
	read["netsuite"] = map[string]any{"password": "***"}
	require.Equal(t, http.StatusOK, rawReq(t, srv, "PUT", "/connections/c1", string(mustJSON(t, read))).status)
	doc := document(t, srv, "connections", "c1")
	assert.Equal(t, "t-new", pointer(doc, "/rest/bearerToken"))
	assert.Nil(t, pointer(doc, "/ftp/password"), "left out: erased")
	assert.Equal(t, "p-ns", pointer(doc, "/netsuite/password"), "any run of three or more * is the mask")
	assert.Equal(t, map[string]any{"apiKey": "k-enc"}, pointer(doc, "/http/encrypted"))

	created := rawReq(t, srv, "POST", "/connections", `{"type":"rest","rest":{"bearerToken":"******"}}`)
	require.Equal(t, http.StatusCreated, created.status)
	assert.Equal(t, "******", pointer(document(t, srv, "connections", created.object(t)["_id"].(string)), "/rest/bearerToken"),
		"a create has no secret to keep")
}

// The SDK refuses to PUT back a document read from the fake, naming each
// masked member; a Patch of another member goes through and the secrets
// stay intact.
func TestSDKRefusesToWriteBackMaskedSecrets(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := srv.AddJSON("connections", []byte(secretConnection))
	require.NoError(t, err)
	_, err = srv.AddJSON("exports", []byte(`{"_id":"hook","adaptorType":"WebhookExport","webhook":{"key":"wh-secret"}}`))
	require.NoError(t, err)

	conn, err := c.Connections.Get(ctx, "c1")
	require.NoError(t, err)
	conn.Name = "renamed"
	srv.ResetRequests()
	_, err = c.Connections.Update(ctx, "c1", conn)
	require.ErrorIs(t, err, integratorio.ErrMaskedSecret)
	var me *integratorio.MaskedSecretError
	require.True(t, errors.As(err, &me))
	want := make([]string, 0, len(connectionSecrets))
	for p := range connectionSecrets {
		want = append(want, p)
	}
	assert.ElementsMatch(t, want, me.Paths)
	assert.Empty(t, srv.Requests(), "nothing sent")

	require.NoError(t, c.Connections.Patch(ctx, "c1", integratorio.PatchOp{Op: "replace", Path: "/name", Value: "renamed"}))
	assert.Equal(t, "renamed", document(t, srv, "connections", "c1")["name"])
	assertStored(t, srv, "c1")

	exp, err := c.Exports.Get(ctx, "hook")
	require.NoError(t, err)
	_, err = c.Exports.Update(ctx, "hook", exp)
	assert.ErrorIs(t, err, integratorio.ErrMaskedSecret)
	require.NoError(t, c.Exports.Patch(ctx, "hook", integratorio.PatchOp{Op: "add", Path: "/name", Value: "hook"}))
	assert.Equal(t, "wh-secret", pointer(document(t, srv, "exports", "hook"), "/webhook/key"))
}
