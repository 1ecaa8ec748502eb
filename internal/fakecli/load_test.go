package fakecli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -load takes one subfolder per resource, and the command serves flows,
// runs, jobs, connections (masked, pinged), exports (invoked), imports,
// scripts, state and tokenInfo as well as integrations.
func TestLoadSubfoldersAndServeEverything(t *testing.T) {
	dir := t.TempDir()
	for path, content := range map[string]string{
		"integrations/i.json": `{"_id":"i1","name":"one"}`,
		"flows/f.json":        `[{"_id":"f1","name":"a","_integrationId":"i1"},{"_id":"f2","name":"b","_integrationId":"i1"}]`,
		"jobs/j.json":         `{"_id":"j1","type":"flow","_flowId":"f1","status":"completed","createdAt":"2024-03-01T00:00:00.000Z"}`,
		"connections/c.json":  `{"_id":"c1","type":"rest","_integrationId":"i1","rest":{"bearerToken":"real-secret"}}`,
		"exports/e.json":      `{"_id":"e1","adaptorType":"HTTPExport","_connectionId":"c1","_integrationId":"i1"}`,
		"imports/i.json":      `{"_id":"m1","adaptorType":"HTTPImport","_connectionId":"c1","_integrationId":"i1"}`,
		"scripts/s.json":      `{"_id":"s1","name":"hook","content":"function f() {}"}`,
	} {
		p := filepath.Join(dir, path)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	url, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-token", "tok", "-load", dir, "-quiet"}, &stdout, &stderr)
	assert.Contains(t, stdout.String(), "loaded 1 integrations, 1 connections, 1 exports, 1 imports, 1 scripts, 2 flows, 1 jobs, 0 ashares, 0 iclients, 0 connectors, 0 licenses, 0 environments, 0 tags, 0 lookupcaches, 0 audit from "+dir)

	for path, want := range map[string]string{
		"/integrations/i1/connections": `"bearerToken":"******"`,
		"/connections/c1/ping":         `{"code":200}`,
		"/integrations/i1/exports":     `"_id":"e1"`,
		"/integrations/i1/imports":     `"_id":"m1"`,
		"/scripts/s1":                  `"content":"function f() {}"`,
		"/tokenInfo":                   `"scope":"*"`,
	} {
		status, body := get(t, url+path, "tok")
		assert.Equal(t, http.StatusOK, status, path)
		assert.Contains(t, string(body), want, path)
	}
	status, _ := get(t, url+"/state", "tok")
	assert.Equal(t, http.StatusNoContent, status, "no state yet")

	status, body := get(t, url+"/integrations/i1/flows", "tok")
	require.Equal(t, http.StatusOK, status)
	var flows []map[string]any
	require.NoError(t, json.Unmarshal(body, &flows))
	assert.Len(t, flows, 2)
	status, body = get(t, url+"/jobs?_flowId=f1", "tok")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), `"_id":"j1"`)

	req, err := http.NewRequest("POST", url+"/flows/f2/run", strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var run struct {
		JobID string `json:"_jobId"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&run))
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	for _, want := range []string{"running", "completed"} {
		status, body = get(t, url+"/jobs/"+run.JobID, "tok")
		require.Equal(t, http.StatusOK, status)
		assert.Contains(t, string(body), `"status":"`+want+`"`)
	}

	cancel()
	assert.Equal(t, 0, <-done)
}
