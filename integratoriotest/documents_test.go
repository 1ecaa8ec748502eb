package integratoriotest_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// lifecycle runs create, get, update, patch, list and delete of one
// document through an SDK service, checking the server's copy on the way.
// ref returns a document's id and a pointer to its name; list lists the
// documents the test expects to hold only the one created.
func lifecycle[T any](t *testing.T, srv *integratoriotest.Server, resource string, docs integratorio.Documents[T],
	list func(context.Context) ([]*T, error), doc *T, ref func(*T) (string, *string)) {
	t.Helper()
	ctx := context.Background()
	created, err := docs.Create(ctx, doc)
	require.NoError(t, err)
	id, _ := ref(created)
	require.Regexp(t, hexID, id)

	got, err := docs.Get(ctx, id)
	require.NoError(t, err)
	_, name := ref(got)
	*name = "renamed"
	_, err = docs.Update(ctx, id, got)
	require.NoError(t, err)
	assert.Equal(t, "renamed", document(t, srv, resource, id)["name"])

	require.NoError(t, docs.Patch(ctx, id, integratorio.PatchOp{Op: "replace", Path: "/name", Value: "patched"}))
	assert.Equal(t, "patched", document(t, srv, resource, id)["name"])

	listed, err := list(ctx)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	listedID, listedName := ref(listed[0])
	assert.Equal(t, id, listedID)
	assert.Equal(t, "patched", *listedName)

	require.NoError(t, docs.Delete(ctx, id))
	_, err = docs.Get(ctx, id)
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
	assert.Empty(t, srv.IDs(resource))
}

// Connections, exports, imports and scripts have the document endpoints,
// through the SDK; the first three are listed by integration.
func TestNewResourcesLifecycleThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	in := seed(t, srv, `{"name":"i"}`)
	ofIn := &integratorio.ResourceListOptions{IntegrationID: in}

	t.Run("connections", func(t *testing.T) {
		t.Parallel()
		lifecycle(t, srv, "connections", c.Connections,
			func(ctx context.Context) ([]*integratorio.Connection, error) { return c.Connections.List(ctx, ofIn) },
			&integratorio.Connection{Name: "API", Type: "http", IntegrationID: in},
			func(d *integratorio.Connection) (string, *string) { return d.ID, &d.Name })
	})
	t.Run("exports", func(t *testing.T) {
		t.Parallel()
		exp := &integratorio.Export{Name: "orders", AdaptorType: "HTTPExport"}
		require.NoError(t, exp.SetExtra("_integrationId", in))
		lifecycle(t, srv, "exports", c.Exports,
			func(ctx context.Context) ([]*integratorio.Export, error) { return c.Exports.List(ctx, ofIn) },
			exp, func(d *integratorio.Export) (string, *string) { return d.ID, &d.Name })
	})
	t.Run("imports", func(t *testing.T) {
		t.Parallel()
		imp := &integratorio.Import{Name: "to NetSuite", AdaptorType: "NetSuiteDistributedImport"}
		require.NoError(t, imp.SetExtra("_integrationId", in))
		lifecycle(t, srv, "imports", c.Imports,
			func(ctx context.Context) ([]*integratorio.Import, error) { return c.Imports.List(ctx, ofIn) },
			imp, func(d *integratorio.Import) (string, *string) { return d.ID, &d.Name })
	})
	t.Run("scripts", func(t *testing.T) {
		t.Parallel()
		lifecycle(t, srv, "scripts", c.Scripts,
			func(ctx context.Context) ([]*integratorio.Script, error) { return c.Scripts.List(ctx, nil) },
			&integratorio.Script{Name: "preSavePage", Content: "function preSavePage(o) { return o }"},
			func(d *integratorio.Script) (string, *string) { return d.ID, &d.Name })
	})
}

// Each resource requires its one member on create, PUT and what a PATCH
// leaves, answering 400 invalid_field naming it; types are checked.
func TestNewResourcesRequireTheirMember(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for resource, member := range map[string]string{
		"connections": "type", "exports": "adaptorType", "imports": "adaptorType", "scripts": "name",
	} {
		a := rawReq(t, srv, "POST", "/"+resource, `{"description":"no `+member+`"}`)
		require.Equal(t, http.StatusBadRequest, a.status, resource)
		env := a.envelope(t)
		assert.Equal(t, "invalid_field", env["code"], resource)
		assert.Equal(t, member, env["field"], resource)
		assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "POST", "/"+resource, `{"`+member+`":""}`).status, resource+": empty")
		assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "POST", "/"+resource, `{"`+member+`":7}`).status, resource+": not a string")

		a = rawReq(t, srv, "POST", "/"+resource, `{"`+member+`":"x","name":"x"}`)
		require.Equal(t, http.StatusCreated, a.status, "%s: %s", resource, a.body)
		id := a.object(t)["_id"].(string)
		assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "PUT", "/"+resource+"/"+id, `{"description":"x"}`).status, resource+": PUT")
		assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "PATCH", "/"+resource+"/"+id, `[{"op":"remove","path":"/`+member+`"}]`).status, resource+": PATCH")
		assert.Equal(t, "x", document(t, srv, resource, id)[member], resource+": unchanged")
	}
}

// /integrations/{id}/connections, exports and imports list the documents
// of that integration only; an unknown integration is 404.
func TestSubListsOfOneIntegration(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, other := seed(t, srv, `{"name":"i"}`), seed(t, srv, `{"name":"other"}`)
	for _, resource := range []string{"connections", "exports", "imports"} {
		_, err := srv.AddJSON(resource, []byte(`[{"_id":"mine","type":"http","adaptorType":"HTTPExport","_integrationId":"`+in+`"},
			{"_id":"theirs","type":"http","adaptorType":"HTTPExport","_integrationId":"`+other+`"}]`))
		require.NoError(t, err)
	}
	opts := &integratorio.ResourceListOptions{IntegrationID: in}
	conns, err := c.Connections.List(ctx, opts)
	require.NoError(t, err)
	exps, err := c.Exports.List(ctx, opts)
	require.NoError(t, err)
	imps, err := c.Imports.List(ctx, opts)
	require.NoError(t, err)
	require.Len(t, conns, 1)
	require.Len(t, exps, 1)
	require.Len(t, imps, 1)
	assert.Equal(t, []string{"mine", "mine", "mine"}, []string{conns[0].ID, exps[0].ID, imps[0].ID})

	all, err := c.Connections.List(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, all, 2)
	_, err = c.Exports.List(ctx, &integratorio.ResourceListOptions{IntegrationID: "nope"})
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
}

// Exports and imports clone with a connectionMap, which must map the
// connection they use; a webhook export uses none and needs no map.
func TestExportAndImportClone(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := srv.AddJSON("exports", []byte(`[{"_id":"e1","name":"orders","adaptorType":"HTTPExport","_connectionId":"c1","http":{"relativeURI":"/orders"}},
		{"_id":"hook","name":"inbound","adaptorType":"WebhookExport","webhook":{"provider":"custom"}}]`))
	require.NoError(t, err)
	_, err = srv.AddJSON("imports", []byte(`{"_id":"m1","name":"to NS","adaptorType":"NetSuiteDistributedImport","_connectionId":"c1"}`))
	require.NoError(t, err)

	_, err = c.Exports.Clone(ctx, "e1", nil)
	assert.Equal(t, "invalid_connectionMap", apiCode(t, err))
	cloned, err := c.Exports.Clone(ctx, "e1", &integratorio.CloneOptions{Name: "orders copy", ConnectionMap: map[string]string{"c1": "c2"}})
	require.NoError(t, err)
	assert.Equal(t, "orders copy", cloned.Document.Name)
	assert.Equal(t, "c2", cloned.Document.ConnectionID)
	copied := document(t, srv, "exports", cloned.Document.ID)
	assert.Equal(t, map[string]any{"relativeURI": "/orders"}, copied["http"], "the rest is copied")

	hook, err := c.Exports.Clone(ctx, "hook", nil)
	require.NoError(t, err)
	assert.Equal(t, "Clone - inbound", hook.Document.Name)

	imp, err := c.Imports.Clone(ctx, "m1", &integratorio.CloneOptions{ConnectionMap: map[string]string{"c1": "c3"}})
	require.NoError(t, err)
	assert.Equal(t, "c3", imp.Document.ConnectionID)
	_, err = c.Imports.Clone(ctx, "missing", &integratorio.CloneOptions{ConnectionMap: map[string]string{"c1": "c3"}})
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
}

// LoadDir's connections/, exports/, imports/ and scripts/ subfolders are
// stored and served.
func TestLoadDirNewResourceSubfolders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "connections", "c.json"), `{"_id":"c1","type":"ftp","ftp":{"password":"pw"}}`)
	writeFile(t, filepath.Join(dir, "exports", "e.json"), `{"_id":"e1","adaptorType":"FTPExport","_connectionId":"c1"}`)
	writeFile(t, filepath.Join(dir, "imports", "i.json"), `{"_id":"m1","adaptorType":"FTPImport","_connectionId":"c1"}`)
	writeFile(t, filepath.Join(dir, "scripts", "s.json"), `{"_id":"s1","name":"hook","content":"x"}`)
	srv := newServer(t)
	ids, err := srv.LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"c1", "e1", "m1", "s1"}, ids)

	c := srv.Client()
	ctx := context.Background()
	conn, err := c.Connections.Get(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, "ftp", conn.Type)
	exp, err := c.Exports.Get(ctx, "e1")
	require.NoError(t, err)
	assert.Equal(t, "c1", exp.ConnectionID)
	imp, err := c.Imports.Get(ctx, "m1")
	require.NoError(t, err)
	assert.Equal(t, "FTPImport", imp.AdaptorType)
	script, err := c.Scripts.Get(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, "x", script.Content)
}
