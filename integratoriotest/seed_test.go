package integratoriotest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// A raw document is stored as given: its _id and timestamps are kept,
// missing ones are filled in.
func TestAddIntegrationJSON(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"_id":"abc","name":"n","lastModified":"2017-08-07T18:34:07.786Z","odd":{"x":[true,null]}}`)
	assert.Equal(t, "abc", id)
	doc := stored(t, srv, id)
	assert.Equal(t, "2017-08-07T18:34:07.786Z", doc["lastModified"])
	assert.Regexp(t, timestamp, doc["createdAt"])
	assert.Equal(t, map[string]any{"x": []any{true, nil}}, doc["odd"])

	id2 := seed(t, srv, `{"name":"no id"}`)
	assert.Regexp(t, hexID, id2)
	assert.Regexp(t, timestamp, stored(t, srv, id2)["lastModified"])

	_, err := srv.AddIntegrationJSON([]byte(`{"_id":"abc"}`))
	assert.ErrorContains(t, err, "already exists")
	_, err = srv.AddIntegrationJSON([]byte(`[{"_id":"new1"},{"_id":"new1"}]`))
	assert.ErrorContains(t, err, "appears twice")
	_, err = srv.AddIntegrationJSON([]byte(`{"_id":5}`))
	assert.Error(t, err)
	_, err = srv.AddIntegrationJSON([]byte(`[1]`))
	assert.Error(t, err)
	_, err = srv.AddIntegrationJSON([]byte(`{`))
	assert.Error(t, err)
	assert.Equal(t, []string{"abc", id2}, srv.IntegrationIDs(), "failed seeds store nothing")

	first, err := srv.AddIntegrationJSON([]byte(`[{"_id":"a1"},{"_id":"a2"}]`))
	require.NoError(t, err)
	assert.Equal(t, "a1", first)
	assert.Equal(t, []string{"abc", id2, "a1", "a2"}, srv.IntegrationIDs())
}

// An *Integration is stored with the members it holds, typed or not.
func TestAddIntegration(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	settings, err := integratorio.NewSettings(map[string]any{"interval": 5})
	require.NoError(t, err)
	in := &integratorio.Integration{Name: "typed", Version: "2.0.0", Settings: settings}
	require.NoError(t, in.SetExtra("apiGroupings", []string{"g"}))

	id, err := srv.AddIntegration(in)
	require.NoError(t, err)
	assert.Regexp(t, hexID, id)
	doc := stored(t, srv, id)
	assert.Equal(t, "typed", doc["name"])
	assert.Equal(t, "2.0.0", doc["version"])
	assert.Equal(t, []any{"g"}, doc["apiGroupings"])
	assert.Equal(t, map[string]any{"interval": json.Number("5")}, doc["settings"])

	got, err := srv.Client().Integrations.Get(context.Background(), id)
	require.NoError(t, err)
	var groupings []string
	_, err = got.Extra("apiGroupings", &groupings)
	require.NoError(t, err)
	assert.Equal(t, []string{"g"}, groupings)

	_, err = srv.AddIntegration(nil)
	assert.Error(t, err)
}

// IntegrationJSON returns a copy: changing it changes nothing stored.
func TestIntegrationJSONIsACopy(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n"}`)
	raw, ok := srv.IntegrationJSON(id)
	require.True(t, ok)
	for i := range raw {
		raw[i] = ' '
	}
	assert.Equal(t, "n", stored(t, srv, id)["name"])
	_, ok = srv.IntegrationJSON("missing")
	assert.False(t, ok)
}

// LoadDir stores every *.json file of a directory in name order, objects
// and arrays alike.
func TestLoadDir(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ids, err := srv.LoadDir("testdata/fixtures")
	require.NoError(t, err)
	assert.Equal(t, []string{"59889a0f2a3b4c5d6e7f8091", "5f1a0c2b3d4e5f6071829300", "5f1a0c2b3d4e5f6071829400"}, ids)
	assert.Equal(t, ids, srv.IntegrationIDs())

	list, err := srv.Client().Integrations.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, "Licensing and Usage", list[0].Name)
	assert.Equal(t, "2017-08-07T18:34:07.786Z", list[0].LastModified.Format("2006-01-02T15:04:05.000Z"))
	assert.Equal(t, []string{"apiGroupings"}, list[1].ExtraKeys())
}

// LoadDir stores all or nothing.
func TestLoadDirIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"_id":"a","name":"a"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.json"), []byte(`{"_id":"a","name":"dup"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(`not json`), 0o644))
	srv := newServer(t)
	_, err := srv.LoadDir(dir)
	assert.ErrorContains(t, err, "appears twice")
	assert.Empty(t, srv.IntegrationIDs())

	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.json"), []byte(`{"name":`), 0o644))
	_, err = srv.LoadDir(dir)
	assert.ErrorContains(t, err, "b.json")
	assert.Empty(t, srv.IntegrationIDs())

	require.NoError(t, os.Remove(filepath.Join(dir, "b.json")))
	ids, err := srv.LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, ids, "other files are ignored")

	_, err = srv.LoadDir(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

// The documentation's sample round-trips through the server and the SDK.
func TestSampleSmartConnector(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	sample := integratoriotest.SampleSmartConnectorJSON()
	id, err := srv.AddIntegrationJSON(sample)
	require.NoError(t, err)
	assert.Equal(t, integratoriotest.SampleSmartConnectorID, id)
	raw, _ := srv.IntegrationJSON(id)
	var withCreated map[string]any
	require.NoError(t, json.Unmarshal(raw, &withCreated))
	delete(withCreated, "createdAt")
	b, _ := json.Marshal(withCreated)
	assert.JSONEq(t, string(sample), string(b), "stored exactly as given, plus createdAt")

	in, err := srv.Client().Integrations.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, integratoriotest.SampleConnectorID, in.ConnectorID)
	assert.Equal(t, integratorio.ModeInstall, in.Mode)
	assert.Equal(t, integratoriotest.SampleNetSuiteConnectionID, in.Install[0].ConnectionID)
	var common map[string]string
	_, err = in.Settings.Get("commonresources", &common)
	require.NoError(t, err)
	assert.Equal(t, integratoriotest.SampleBigCommerceConnectionID, common["bigcommerceConnectionId"])
	assert.Equal(t, integratoriotest.SampleNetSuiteCommonConnectionID, common["netsuiteConnectionId"])

	sample[0] = 'x'
	assert.Equal(t, byte('{'), integratoriotest.SampleSmartConnectorJSON()[0], "each call returns a fresh copy")
}

// Options: a deterministic id seed gives the same ids; the default token
// is obviously fake; Client's extra options apply.
func TestServerOptions(t *testing.T) {
	t.Parallel()
	ids := func() []string {
		srv := newServer(t, integratoriotest.WithIDSeed(7))
		for range 3 {
			seed(t, srv, `{"name":"n"}`)
		}
		return srv.IntegrationIDs()
	}
	a, b := ids(), ids()
	assert.Equal(t, a, b, "same seed, same ids")
	for _, id := range a {
		assert.Regexp(t, hexID, id)
	}

	srv := integratoriotest.NewServer()
	defer srv.Close()
	assert.Regexp(t, `^integratoriotest-[0-9a-f]{16}$`, srv.Token)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/v1$`, srv.URL)

	assert.Panics(t, func() { srv.Client(integratorio.WithRegion("mars")) })
	c := srv.Client(integratorio.WithUserAgent("suite"))
	_, err := c.Integrations.List(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, "integratorio-go/"+integratorio.Version+" suite", srv.Requests()[0].Header.Get("User-Agent"))
}

// Ids from WithIDSeed depend on the seed and the order of creations only,
// never on the clock: servers whose clocks are years apart, or a clock that
// moves between creations, assign the same ids.
func TestSeededIDsDoNotDependOnTheClock(t *testing.T) {
	t.Parallel()
	ids := func(clock func() time.Time) []string {
		srv := newServer(t, integratoriotest.WithIDSeed(42), integratoriotest.WithClock(clock))
		for range 3 {
			seed(t, srv, `{"name":"n"}`)
		}
		return srv.IntegrationIDs()
	}
	at := func(sec int64) func() time.Time { return func() time.Time { return time.Unix(sec, 0) } }
	var n atomic.Int64
	moving := func() time.Time { return time.Unix(1_700_000_000+n.Add(1)*3601, 0) }
	a := ids(at(1_000_000_000))
	assert.Equal(t, a, ids(at(2_000_000_000)), "clocks years apart")
	assert.Equal(t, a, ids(moving), "a clock that moves between creations")
	assert.Equal(t, a, ids(time.Now), "the wall clock")
	assert.NotEqual(t, a, func() []string {
		srv := newServer(t, integratoriotest.WithIDSeed(43))
		seed(t, srv, `{"name":"n"}`)
		seed(t, srv, `{"name":"n"}`)
		seed(t, srv, `{"name":"n"}`)
		return srv.IntegrationIDs()
	}(), "another seed, other ids")
}

// LoadDir takes the directory's name literally and refuses a file.
func TestLoadDirNamesAreNotPatterns(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "fixtures[v1]*")
	require.NoError(t, os.Mkdir(dir, 0o755))
	file := filepath.Join(dir, "one.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"name":"one"}`), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.json"), 0o755), "a directory is not a fixture file")
	srv := newServer(t)
	ids, err := srv.LoadDir(dir)
	require.NoError(t, err)
	require.Len(t, ids, 1)
	assert.Equal(t, "one", fetchName(t, srv, ids[0]))

	ids, err = srv.LoadDir(file)
	require.Error(t, err, "a file is not a directory of fixtures")
	assert.Empty(t, ids)
	assert.Len(t, srv.IntegrationIDs(), 1, "nothing more was stored")
}

func fetchName(t *testing.T, srv *integratoriotest.Server, id string) string {
	t.Helper()
	raw, ok := srv.IntegrationJSON(id)
	require.True(t, ok)
	var doc struct{ Name string }
	require.NoError(t, json.Unmarshal(raw, &doc))
	return doc.Name
}

// LoadFixtures seeds behaviour beside the documents, reports the folders
// it ignores, and stores nothing when a behaviour file is wrong.
func TestLoadFixturesSeedsBehaviourAllOrNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("flows/f.json", `{"_id":"flow1","name":"Orders"}`)
	write("flowErrors/flow1/exp1.json", `[{"code":"c1","message":"m1"}]`)
	write("flowErrors/flow2/exp1.json", `[{"code":"c2","message":"m2"}]`)
	write("notes/readme.json", `{}`)
	srv := newServer(t)
	_, err := srv.LoadFixtures(dir)
	require.ErrorContains(t, err, "no flow flow2")
	assert.Empty(t, srv.IDs("flows"), "nothing is stored")
	open, _ := srv.FlowErrorsJSON("flow1", "exp1")
	assert.Empty(t, open)

	require.NoError(t, os.RemoveAll(filepath.Join(dir, "flowErrors", "flow2")))
	write("runScripts/flow1.json", `{"stall":true}`)
	l, err := srv.LoadFixtures(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"flow1"}, l.IDs)
	assert.Equal(t, 1, l.FlowErrors)
	assert.Equal(t, 1, l.RunScripts)
	assert.Equal(t, []string{"notes"}, l.Ignored)
	open, _ = srv.FlowErrorsJSON("flow1", "exp1")
	assert.Len(t, open, 1)
}
