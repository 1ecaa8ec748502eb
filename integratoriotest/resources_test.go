package integratoriotest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
)

// AddJSON, Add, DocumentJSON and IDs work on every resource; the
// integration helpers are the same calls.
func TestGenericSeeding(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	assert.Equal(t, []string{"integrations", "connections", "exports", "imports", "scripts", "flows", "jobs", "ashares", "iclients", "connectors", "licenses", "environments", "tags", "lookupcaches", "audit"}, srv.Resources())

	id, err := srv.AddJSON("flows", []byte(`[{"_id":"f1","name":"one","odd":[1]},{"name":"two"}]`))
	require.NoError(t, err)
	assert.Equal(t, "f1", id)
	ids := srv.IDs("flows")
	require.Len(t, ids, 2)
	assert.Regexp(t, hexID, ids[1])
	raw, ok := srv.DocumentJSON("flows", "f1")
	require.True(t, ok)
	assert.JSONEq(t, `{"_id":"f1","name":"one","odd":[1],"createdAt":"`+document(t, srv, "flows", "f1")["createdAt"].(string)+`","lastModified":"`+document(t, srv, "flows", "f1")["lastModified"].(string)+`"}`, string(raw))
	raw[0] = 'x'
	assert.Equal(t, "one", document(t, srv, "flows", "f1")["name"], "a copy")

	typed := &integratorio.Flow{Name: "typed", Disabled: true}
	require.NoError(t, typed.SetExtra("autoResolveMatchingTraceKeys", true))
	tid, err := srv.Add("flows", typed)
	require.NoError(t, err)
	got, err := srv.Client().Flows.Get(context.Background(), tid)
	require.NoError(t, err)
	assert.True(t, got.Disabled)
	assert.Equal(t, []string{"autoResolveMatchingTraceKeys"}, got.ExtraKeys())

	_, err = srv.AddJSON("flows", []byte(`{"_id":"f1"}`))
	assert.ErrorContains(t, err, "already exists")
	_, err = srv.AddJSON("widgets", []byte(`{}`))
	assert.ErrorContains(t, err, `unknown resource "widgets"`)
	_, err = srv.AddJSON("jobs", []byte(`[]`))
	assert.Error(t, err)
	_, err = srv.Add("jobs", nil)
	assert.Error(t, err)
	_, ok = srv.DocumentJSON("widgets", "f1")
	assert.False(t, ok)
	_, ok = srv.DocumentJSON("flows", "missing")
	assert.False(t, ok)
	assert.Nil(t, srv.IDs("widgets"))

	in := seed(t, srv, `{"name":"i"}`)
	assert.Equal(t, srv.IDs("integrations"), srv.IntegrationIDs())
	a, _ := srv.IntegrationJSON(in)
	b, _ := srv.DocumentJSON("integrations", in)
	assert.Equal(t, a, b)
}

// writeFile writes a fixture file, creating its folder.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// LoadDir takes one subfolder per resource, and the flat files of the
// earlier layout as integrations; everything loaded is served.
func TestLoadDirSubfolders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "legacy.json"), `{"_id":"i0","name":"flat"}`)
	writeFile(t, filepath.Join(dir, "integrations", "a.json"), `[{"_id":"i1","name":"one"},{"_id":"i2","name":"two"}]`)
	writeFile(t, filepath.Join(dir, "flows", "b.json"), `{"_id":"f2","name":"second","_integrationId":"i1"}`)
	writeFile(t, filepath.Join(dir, "flows", "a.json"), `{"_id":"f1","name":"first","_integrationId":"i1"}`)
	writeFile(t, filepath.Join(dir, "flows", "notes.txt"), `not json`)
	writeFile(t, filepath.Join(dir, "flows", "deeper", "x.json"), `{"_id":"deep"}`)
	writeFile(t, filepath.Join(dir, "jobs", "j.json"), `[{"_id":"j1","type":"flow","_flowId":"f1","status":"completed","createdAt":"2024-03-01T00:00:00.000Z"},
		{"_id":"j2","type":"flow","_flowId":"f1","status":"failed","createdAt":"2024-03-01T00:00:00.000Z"}]`)
	writeFile(t, filepath.Join(dir, "widgets", "w.json"), `{"_id":"w"}`)

	srv := newServer(t)
	ids, err := srv.LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"i0", "i1", "i2", "f1", "f2", "j1", "j2"}, ids, "integrations (flat files first), then flows and jobs, files in name order")

	c := srv.Client()
	ctx := context.Background()
	flows, err := c.Flows.List(ctx, &integratorio.ResourceListOptions{IntegrationID: "i1"})
	require.NoError(t, err)
	require.Len(t, flows, 2)
	assert.Equal(t, "first", flows[0].Name)
	jobs, err := c.Jobs.List(ctx, &integratorio.JobListOptions{FlowID: "f1"})
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	assert.Equal(t, "j2", jobs[0].ID, "same millisecond: the last added first")
	in, err := c.Integrations.Get(ctx, "i0")
	require.NoError(t, err)
	assert.Equal(t, "flat", in.Name)
}

// LoadDir stores all or nothing across resources.
func TestLoadDirSubfoldersAreAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "integrations", "a.json"), `{"_id":"i1"}`)
	writeFile(t, filepath.Join(dir, "jobs", "a.json"), `[{"_id":"j"},{"_id":"j"}]`)
	srv := newServer(t)
	_, err := srv.LoadDir(dir)
	assert.ErrorContains(t, err, "jobs: document 1: _id j appears twice")
	for _, r := range srv.Resources() {
		assert.Empty(t, srv.IDs(r), r)
	}

	writeFile(t, filepath.Join(dir, "jobs", "a.json"), `{"_id":"j"}`)
	writeFile(t, filepath.Join(dir, "dup.json"), `{"_id":"i1"}`)
	_, err = srv.LoadDir(dir)
	assert.ErrorContains(t, err, "appears twice", "a flat integration and one in integrations/ share an id")
	assert.Empty(t, srv.IDs("jobs"))

	writeFile(t, filepath.Join(dir, "flows", "bad.json"), `{"name":`)
	_, err = srv.LoadDir(dir)
	assert.ErrorContains(t, err, "bad.json")
}
