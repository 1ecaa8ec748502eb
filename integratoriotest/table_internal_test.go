package integratoriotest

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A resource that is only an entry of the table gets the document
// endpoints, its sub-list under /integrations/{id}, seeding, inspection
// and its LoadDir subfolder, with no other code.
func TestTableResourceGetsEverything(t *testing.T) {
	t.Parallel()
	table := append(slices.Clone(resourceTable), resourceSpec{
		name: "widgets", model: "Widget", fields: fieldTypes{"size": jsonString}, byIntegration: true,
	})
	srv := NewServer(func(o *options) { o.resources = table })
	defer srv.Close()
	do := func(method, path, body string) (int, http.Header, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := srv.HTTPClient().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header, b
	}

	assert.Contains(t, srv.Resources(), "widgets")
	in, err := srv.AddJSON("integrations", []byte(`{"name":"i"}`))
	require.NoError(t, err)
	status, _, _ := do("GET", "/widgets", "")
	assert.Equal(t, http.StatusNoContent, status)
	status, _, body := do("POST", "/widgets", `{"name":"w","_integrationId":"`+in+`"}`)
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var w map[string]any
	require.NoError(t, json.Unmarshal(body, &w))
	id := w["_id"].(string)

	status, _, _ = do("POST", "/widgets", `{"size":1}`)
	assert.Equal(t, http.StatusBadRequest, status, "the entry's fields are checked")
	status, _, _ = do("GET", "/widgets/"+id, "")
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = do("PUT", "/widgets/"+id, `{"name":"w2","_integrationId":"`+in+`"}`)
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = do("PATCH", "/widgets/"+id, `[{"op":"add","path":"/size","value":"L"}]`)
	assert.Equal(t, http.StatusNoContent, status)
	raw, ok := srv.DocumentJSON("widgets", id)
	require.True(t, ok)
	assert.Contains(t, string(raw), `"size":"L"`)

	_, err = srv.AddJSON("widgets", []byte(`{"_id":"seeded"}`))
	require.NoError(t, err)
	status, _, body = do("GET", "/integrations/"+in+"/widgets", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), id)
	assert.NotContains(t, string(body), "seeded", "only the integration's")
	status, _, _ = do("POST", "/widgets/"+id+"/clone", `{}`)
	assert.Equal(t, http.StatusNotFound, status, "no clone unless the entry has one")

	status, _, _ = do("DELETE", "/widgets/"+id, "")
	assert.Equal(t, http.StatusNoContent, status)
	assert.Equal(t, []string{"seeded"}, srv.IDs("widgets"))

	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "widgets"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "widgets", "w.json"), []byte(`{"_id":"loaded"}`), 0o644))
	ids, err := srv.LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"loaded"}, ids)
}
