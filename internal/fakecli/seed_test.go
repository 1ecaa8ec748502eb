package fakecli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// writeFiles writes files (path relative to dir: content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// runJobToEnd starts a run of flowID and reads its job until it ends (the
// fake moves a job one step per read), returning the finished job.
func runJobToEnd(t *testing.T, url, tok, flowID string) map[string]any {
	t.Helper()
	a := send(t, "POST", url+"/flows/"+flowID+"/run", tok, "")
	require.Equal(t, http.StatusCreated, a.status, "body: %s", a.body)
	var run struct {
		JobID string `json:"_jobId"`
	}
	require.NoError(t, json.Unmarshal(a.body, &run))
	var job map[string]any
	for range 3 {
		a = send(t, "GET", url+"/jobs/"+run.JobID, tok, "")
		require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
		require.NoError(t, json.Unmarshal(a.body, &job))
	}
	return job
}

// -load seeds flow errors, run scripts, ping answers and invoke answers
// from their folders, and warns on stderr about the folders it ignores.
func TestLoadSeedsFlowErrorsRunsPingsAndInvokes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"flows/f.json":                   `{"_id":"flow1","name":"Orders"}`,
		"connections/c.json":             `{"_id":"conn1","name":"Shop","type":"http"}`,
		"exports/e.json":                 `{"_id":"exp1","name":"Get orders","adaptorType":"HTTPExport"}`,
		"flowErrors/flow1/exp1.json":     `[{"code":"c1","message":"m1","source":"application","retryDataKey":"rdk-1"},{"code":"c2","message":"m2","errorId":"e2"}]`,
		"flowErrors/flow1/imp1.json":     `{"code":"c3","message":"one error object"}`,
		"runScripts/flow1.json":          `{"status":"failed","numSuccess":1,"numError":2}`,
		"pingAnswers/conn1.json":         `{"code":401,"errors":[{"code":"auth","message":"bad key"}]}`,
		"invokeAnswers/exp1.json":        `{"data":[{"sku":"A-1"}]}`,
		"flowErrors/flow1/deeper/x.json": `[]`,
		"flowerrors-typo/flow1/e.json":   `[]`,
		"integrations/archive/old.json":  `{"name":"old"}`,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	const tok = "tok-for-load"
	url, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-token", tok, "-quiet", "-load", dir}, &stdout, &stderr)

	a := send(t, "GET", url+"/flows/flow1/exp1/errors", tok, "")
	require.Equal(t, http.StatusOK, a.status, "body: %s", a.body)
	var errs struct {
		Errors []map[string]any `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(a.body, &errs))
	require.Len(t, errs.Errors, 2)
	codes := []any{errs.Errors[0]["code"], errs.Errors[1]["code"]}
	assert.ElementsMatch(t, []any{"c1", "c2"}, codes)
	a = send(t, "GET", url+"/flows/flow1/imp1/errors", tok, "")
	require.NoError(t, json.Unmarshal(a.body, &errs))
	require.Len(t, errs.Errors, 1, "a file of one error object")

	job := runJobToEnd(t, url, tok, "flow1")
	assert.Equal(t, "failed", job["status"])
	assert.EqualValues(t, 1, job["numSuccess"])
	assert.EqualValues(t, 2, job["numError"])

	a = send(t, "GET", url+"/connections/conn1/ping", tok, "")
	assert.JSONEq(t, `{"code":401,"errors":[{"code":"auth","message":"bad key"}]}`, string(a.body))
	a = send(t, "POST", url+"/exports/exp1/invoke", tok, `{}`)
	assert.JSONEq(t, `{"data":[{"sku":"A-1"}]}`, string(a.body))

	cancel()
	assert.Equal(t, 0, <-done)
	out, logs := stdout.String(), stderr.String()
	assert.Contains(t, out, "seeded 3 flow errors in 2 steps, 1 run scripts, 1 ping answers, 1 invoke answers")
	for _, ignored := range []string{"flowErrors/flow1/deeper", "flowerrors-typo", "integrations/archive"} {
		assert.Contains(t, logs, "warning: -load ignores the folder "+filepath.Join(dir, filepath.FromSlash(ignored))+":", ignored)
	}
}

// A -load folder whose behaviour files are wrong fails to start, naming
// the file, and stores nothing.
func TestLoadRefusesBadBehaviourFiles(t *testing.T) {
	t.Parallel()
	for name, files := range map[string]map[string]string{
		"errors of a flow not loaded": {"flowErrors/nope/exp1.json": `[{"code":"c"}]`},
		"run script status":           {"runScripts/f.json": `{"status":"exploded"}`},
		"run script unknown member":   {"runScripts/f.json": `{"numSucces":1}`},
		"ping status":                 {"pingAnswers/c.json": `{"status":302}`},
		"invoke answer not JSON":      {"invokeAnswers/e.json": `{"data":`},
		"errors not objects":          {"flows/f.json": `{"_id":"f1","name":"n"}`, "flowErrors/f1/s.json": `[1]`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, files)
			var stdout, stderr syncBuffer
			code := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-load", dir}, &stdout, &stderr, func(string) { t.Error("served") })
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), dir)
		})
	}
}

// The control API seeds what the Server's methods seed, with the
// server's token, under fixed names; GET /_fake/requests decodes into
// []integratoriotest.Request.
func TestControlAPISeedsAndTheLogDecodesIntoRequests(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	const tok = "tok-for-seeding"
	url, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-token", tok, "-quiet"}, &stdout, &stderr)
	ctl := controlRoot(url)

	a := send(t, "POST", url+"/flows", tok, `{"name":"Orders"}`)
	require.Equal(t, http.StatusCreated, a.status, "body: %s", a.body)
	var flow struct {
		ID string `json:"_id"`
	}
	require.NoError(t, json.Unmarshal(a.body, &flow))

	// Each route needs the token, refuses other methods and bad bodies.
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/flows/" + flow.ID + "/exp1/errors", `[{"code":"c1","message":"m1","retryDataKey":"rdk-1"}]`},
		{"PUT", "/flows/" + flow.ID + "/runs", `{"status":"completed","numSuccess":5,"numIgnore":1}`},
		{"PUT", "/connections/conn9/ping", `{"status":400,"errors":[{"code":"invalid_config","message":"no host"}]}`},
		{"PUT", "/exports/exp9/invoke", `[{"id":1}]`},
	} {
		assert.Equal(t, http.StatusUnauthorized, send(t, r.method, ctl+r.path, "", r.body).status, r.path)
		assert.Equal(t, http.StatusMethodNotAllowed, send(t, "GET", ctl+r.path, tok, "").status, r.path)
		assert.Equal(t, http.StatusBadRequest, send(t, r.method, ctl+r.path, tok, `{"nope":`).status, r.path)
		a := send(t, r.method, ctl+r.path, tok, r.body)
		assert.Equal(t, http.StatusNoContent, a.status, "%s: %s", r.path, a.body)
	}
	assert.Equal(t, http.StatusNotFound, send(t, "POST", ctl+"/flows/nope/exp1/errors", tok, `[]`).status, "no such flow")
	assert.Equal(t, http.StatusBadRequest, send(t, "PUT", ctl+"/flows/"+flow.ID+"/runs", tok, `{"status":"exploded"}`).status)
	assert.Equal(t, http.StatusBadRequest, send(t, "PUT", ctl+"/connections/c/ping", tok, `{"status":302}`).status)
	assert.Equal(t, http.StatusNotFound, send(t, "PUT", ctl+"/connections/c/pong", tok, `{}`).status)

	a = send(t, "GET", url+"/flows/"+flow.ID+"/exp1/errors", tok, "")
	assert.Contains(t, string(a.body), `"retryDataKey":"rdk-1"`)
	job := runJobToEnd(t, url, tok, flow.ID)
	assert.Equal(t, "completed", job["status"])
	assert.EqualValues(t, 5, job["numSuccess"])
	assert.EqualValues(t, 1, job["numIgnore"])
	assert.Equal(t, http.StatusNotFound, send(t, "GET", url+"/connections/conn9/ping", tok, "").status, "the connection does not exist")
	assert.Equal(t, http.StatusNoContent, send(t, "PUT", ctl+"/exports/exp9/invoke", tok, "").status, "an empty body restores the default")

	require.Equal(t, http.StatusNoContent, send(t, "POST", ctl+"/reset-requests", tok, "").status)
	send(t, "PUT", url+"/integrations/x", tok, `{"name":"n"}`)
	send(t, "POST", url+"/integrations", tok, "{\"name\":\"caf\xe9\"}")
	a = send(t, "GET", ctl+"/requests", tok, "")
	require.Equal(t, http.StatusOK, a.status)
	var reqs []integratoriotest.Request
	require.NoError(t, json.Unmarshal(a.body, &reqs), "body: %s", a.body)
	require.Len(t, reqs, 2)
	assert.Equal(t, "PUT", reqs[0].Method)
	assert.Equal(t, "/integrations/x", reqs[0].Path)
	assert.Equal(t, `{"name":"n"}`, string(reqs[0].Body))
	assert.Equal(t, http.StatusNotFound, reqs[0].Status)
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	assert.Equal(t, "{\"name\":\"caf\xe9\"}", string(reqs[1].Body), "a body that is not UTF-8 comes back whole")

	cancel()
	assert.Equal(t, 0, <-done)
}
