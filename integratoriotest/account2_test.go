package integratoriotest_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

func TestLookupCacheDataLimits(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id, err := srv.AddJSON("lookupcaches", []byte(`{"name":"SKUs"}`))
	require.NoError(t, err)
	entries := func(n int, value string) string {
		var b strings.Builder
		b.WriteString(`{"data":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"key":"k%d","value":%s}`, i, value)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	path := "/lookupcaches/" + id + "/data"

	a := rawReq(t, srv, http.MethodPost, path, entries(integratoriotest.MaxLookupCacheEntries, "1"))
	assert.Equal(t, http.StatusNoContent, a.status, "%s", a.body)
	assert.Len(t, srv.LookupCacheData(id), 1000)

	a = rawReq(t, srv, http.MethodPost, path, entries(integratoriotest.MaxLookupCacheEntries+1, "2"))
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "invalid_request", a.envelope(t)["code"])
	assert.JSONEq(t, "1", string(srv.LookupCacheData(id)["k0"]), "a refused call stores nothing")

	// One body exactly at the byte limit, then one byte over it.
	body := func(total int) string {
		prefix := `{"data":[{"key":"big","value":"`
		suffix := `"}]}`
		return prefix + strings.Repeat("x", total-len(prefix)-len(suffix)) + suffix
	}
	a = rawReq(t, srv, http.MethodPost, path, body(integratoriotest.MaxLookupCacheBody))
	assert.Equal(t, http.StatusNoContent, a.status, "%.200s", a.body)
	a = rawReq(t, srv, http.MethodPost, path, body(integratoriotest.MaxLookupCacheBody+1))
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Len(t, srv.LookupCacheData(id)["big"], integratoriotest.MaxLookupCacheBody-len(`{"data":[{"key":"big","value":}]}`))

	a = rawReq(t, srv, http.MethodPost, path, `{"data":[{"key":"","value":1}]}`)
	assert.Equal(t, http.StatusBadRequest, a.status)
	a = rawReq(t, srv, http.MethodPost, "/lookupcaches/6b0e92c4a791ac036628c9ff/data", `{"data":[]}`)
	assert.Equal(t, http.StatusNotFound, a.status)
}

func TestLookupCacheDataThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	lc, err := c.LookupCaches.Create(ctx, &integratorio.LookupCache{Name: "SKUs"})
	require.NoError(t, err)

	entries := make([]integratorio.LookupCacheEntry, 2500)
	for i := range entries {
		entries[i] = integratorio.LookupCacheEntry{Key: fmt.Sprintf("sku-%04d", i), Value: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	srv.ResetRequests()
	require.NoError(t, c.LookupCaches.PutData(ctx, lc.ID, entries))
	assert.Equal(t, []string{
		"POST /lookupcaches/" + lc.ID + "/data 204",
		"POST /lookupcaches/" + lc.ID + "/data 204",
		"POST /lookupcaches/" + lc.ID + "/data 204",
	}, statuses(srv), "2500 entries in three calls the fake accepts")
	assert.Len(t, srv.LookupCacheData(lc.ID), 2500)

	got, err := c.LookupCaches.GetData(ctx, lc.ID, "sku-0007", "nope", "sku-0002")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "sku-0002", got[0].Key)
	assert.JSONEq(t, `{"n":7}`, string(got[1].Value))

	got, err = c.LookupCaches.DataWithPrefix(ctx, lc.ID, "sku-249")
	require.NoError(t, err)
	assert.Len(t, got, 10)

	require.NoError(t, c.LookupCaches.DeleteData(ctx, lc.ID, "sku-0000", "sku-0001"))
	assert.Len(t, srv.LookupCacheData(lc.ID), 2498)
	require.NoError(t, c.LookupCaches.PurgeData(ctx, lc.ID))
	assert.Empty(t, srv.LookupCacheData(lc.ID))

	require.NoError(t, c.LookupCaches.PutData(ctx, lc.ID, entries[:1]))
	require.NoError(t, c.LookupCaches.Delete(ctx, lc.ID))
	assert.Empty(t, srv.LookupCacheData(lc.ID), "a deleted cache's data goes with it")
}

func TestAuditEntriesAreWrittenByTheServersWrites(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Shop"})
	require.NoError(t, err)
	conn, err := c.Connections.Create(ctx, &integratorio.Connection{Name: "c", Type: "http"})
	require.NoError(t, err)
	exp, err := c.Exports.Create(ctx, &integratorio.Export{Name: "e", AdaptorType: "HTTPExport", ConnectionID: conn.ID})
	require.NoError(t, err)
	fl, err := c.Flows.Create(ctx, &integratorio.Flow{Name: "f", IntegrationID: in.ID, Disabled: true, PageGenerators: []integratorio.PageGenerator{{ExportID: exp.ID}}})
	require.NoError(t, err)
	require.NoError(t, c.Flows.Patch(ctx, fl.ID, integratorio.PatchOp{Op: "replace", Path: "/name", Value: "g"}))
	other, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Other"})
	require.NoError(t, err)
	require.NoError(t, c.Integrations.Delete(ctx, other.ID))

	all, err := c.Audit.List(ctx, nil)
	require.NoError(t, err)
	var seen []string
	for _, e := range all {
		seen = append(seen, e.Action+" "+e.ResourceType+" "+e.ResourceID)
		assert.Equal(t, "api", e.Source)
		assert.Equal(t, srv.UserID(), e.UserID)
		assert.False(t, e.Time.IsZero())
	}
	assert.Equal(t, []string{
		"create integration " + in.ID, "create connection " + conn.ID, "create export " + exp.ID,
		"create flow " + fl.ID, "update flow " + fl.ID, "create integration " + other.ID, "delete integration " + other.ID,
	}, seen)
	var changed []string
	ok, err := all[4].Extra("changedFields", &changed)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, []string{"name"}, changed)

	updates, err := c.Audit.List(ctx, &integratorio.AuditListOptions{Action: "update", ResourceType: "flow"})
	require.NoError(t, err)
	require.Len(t, updates, 1)
	none, err := c.Audit.List(ctx, &integratorio.AuditListOptions{From: all[6].Time.Add(time.Millisecond)})
	require.NoError(t, err)
	assert.Empty(t, none)

	of, err := c.Audit.Of(ctx, "integrations", in.ID)
	require.NoError(t, err)
	var ids []string
	for _, e := range of {
		ids = append(ids, e.ResourceID)
	}
	assert.Equal(t, []string{in.ID, exp.ID, fl.ID, fl.ID}, ids, "the integration, its flow and the flow's export, not another integration")
	of, err = c.Audit.Of(ctx, "flows", fl.ID)
	require.NoError(t, err)
	assert.Len(t, of, 3, "the flow and the export of its step")

	_, err = c.Audit.Of(ctx, "flows", other.ID)
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
}

func TestRevisionsFromSnapshots(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Shop"})
	require.NoError(t, err)
	fl, err := c.Flows.Create(ctx, &integratorio.Flow{Name: "f", IntegrationID: in.ID, Disabled: true})
	require.NoError(t, err)

	revs, err := c.Integrations.Revisions(ctx, in.ID)
	require.NoError(t, err)
	assert.Empty(t, revs)
	rv, err := c.Integrations.CreateSnapshot(ctx, in.ID, "before the change")
	require.NoError(t, err)
	assert.Equal(t, "snapshot", rv.Type)
	assert.Equal(t, "completed", rv.Status)
	assert.Equal(t, "before the change", rv.Description)
	assert.False(t, rv.CreatedAt.IsZero())

	_, err = c.Flows.Modify(ctx, fl.ID, func(f *integratorio.Flow) error { f.Name = "g"; return nil })
	require.NoError(t, err)
	diff, err := c.Integrations.RevisionDiff(ctx, in.ID, rv.ID)
	require.NoError(t, err)
	assert.JSONEq(t, `{"changes":[{"resourceType":"flows","_resourceId":"`+fl.ID+`","action":"update"}]}`, string(diff))

	got, err := c.Integrations.Revision(ctx, in.ID, rv.ID)
	require.NoError(t, err)
	assert.Equal(t, rv.ID, got.ID)
	revs, err = c.Integrations.Revisions(ctx, in.ID)
	require.NoError(t, err)
	assert.Len(t, revs, 1)

	_, err = c.Integrations.Revision(ctx, in.ID, "6b0e92c4a791ac036628c9ff")
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
	_, err = c.Integrations.CreateSnapshot(ctx, in.ID, "")
	assert.ErrorIs(t, err, integratorio.ErrBadRequest)
}

func TestCreateSnapshotWithALostAnswerIsSentOnce(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Shop"})
	require.NoError(t, err)
	srv.ResetRequests()
	srv.DropNext(1, integratoriotest.OnMethod(http.MethodPost))
	_, err = c.Integrations.CreateSnapshot(ctx, in.ID, "x")
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	assert.Len(t, srv.Requests(), 1, "one POST")
	revs, err := c.Integrations.Revisions(ctx, in.ID)
	require.NoError(t, err)
	assert.Len(t, revs, 1, "the snapshot was made once")
}

// zipNames lists a zip's files.
func zipNames(t *testing.T, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

// shop seeds an integration with a flow whose export and import use a
// connection, and returns their ids.
func shop(t *testing.T, c *integratorio.Client) (in, fl, exp, imp, conn string) {
	t.Helper()
	ctx := context.Background()
	i, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Shop"})
	require.NoError(t, err)
	cn, err := c.Connections.Create(ctx, &integratorio.Connection{Name: "c", Type: "http"})
	require.NoError(t, err)
	e, err := c.Exports.Create(ctx, &integratorio.Export{Name: "e", AdaptorType: "HTTPExport", ConnectionID: cn.ID})
	require.NoError(t, err)
	im, err := c.Imports.Create(ctx, &integratorio.Import{Name: "i", AdaptorType: "HTTPImport", ConnectionID: cn.ID})
	require.NoError(t, err)
	f, err := c.Flows.Create(ctx, &integratorio.Flow{Name: "f", IntegrationID: i.ID, Disabled: true,
		PageGenerators: []integratorio.PageGenerator{{ExportID: e.ID}},
		PageProcessors: []integratorio.PageProcessor{{Type: "import", ImportID: im.ID}}})
	require.NoError(t, err)
	return i.ID, f.ID, e.ID, im.ID, cn.ID
}

func TestTemplateZipsAtSignedURLsThatRefuseTheToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, fl, exp, imp, conn := shop(t, c)

	rc, err := c.Integrations.DownloadTemplate(ctx, in)
	require.NoError(t, err)
	zipped, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.ElementsMatch(t, []string{
		"integrations/" + in + ".json", "flows/" + fl + ".json", "exports/" + exp + ".json",
		"imports/" + imp + ".json", "connections/" + conn + ".json",
	}, zipNames(t, zipped))

	rc, err = c.Flows.DownloadTemplate(ctx, fl)
	require.NoError(t, err)
	flowZip, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	assert.NotContains(t, zipNames(t, flowZip), "integrations/"+in+".json")

	// The signed URL refuses a request that carries the token.
	a := rawReq(t, srv, http.MethodGet, "/integrations/"+in+"/template", "")
	require.Equal(t, http.StatusOK, a.status)
	signed := a.object(t)["signedURL"].(string)
	get := func(withToken bool) int {
		req, err := http.NewRequest(http.MethodGet, signed, nil)
		require.NoError(t, err)
		if withToken {
			req.Header.Set("Authorization", "Bearer "+srv.Token)
		}
		resp, err := srv.HTTPClient().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusBadRequest, get(true))
	assert.Equal(t, http.StatusOK, get(false))
	bad := strings.Replace(signed, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
	resp, err := srv.HTTPClient().Get(bad)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a wrong signature")
}

func TestInstallTemplateCreatesNewDocumentsWithConnectionsMapped(t *testing.T) {
	t.Parallel()
	src := newServer(t)
	dst := newServer(t)
	ctx := context.Background()
	in, _, _, _, conn := shop(t, src.Client())
	rc, err := src.Client().Integrations.DownloadTemplate(ctx, in)
	require.NoError(t, err)
	zipped, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()

	c := dst.Client()
	target, err := c.Connections.Create(ctx, &integratorio.Connection{Name: "theirs", Type: "http"})
	require.NoError(t, err)

	preview, err := c.Integrations.PreviewTemplate(ctx, bytes.NewReader(zipped))
	require.NoError(t, err)
	assert.Contains(t, string(preview), `"model":"Flow"`)
	assert.Len(t, dst.IDs("integrations"), 0, "a preview creates nothing")

	_, err = c.Integrations.InstallTemplate(ctx, bytes.NewReader(zipped), nil)
	assert.ErrorIs(t, err, integratorio.ErrBadRequest, "the template's connection must be mapped")
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "invalid_connectionMap", apiErr.Code())

	out, err := c.Integrations.InstallTemplate(ctx, bytes.NewReader(zipped), map[string]string{conn: target.ID})
	require.NoError(t, err)
	assert.Equal(t, "Shop", out.Document.Name)
	assert.NotEqual(t, in, out.Document.ID)
	assert.Len(t, out.Created, 4, "integration, flow, export, import; the connection is mapped, not created")
	flows, err := c.Flows.List(ctx, &integratorio.ResourceListOptions{IntegrationID: out.Document.ID})
	require.NoError(t, err)
	require.Len(t, flows, 1)
	assert.True(t, flows[0].Disabled)
	exp, err := c.Exports.Get(ctx, flows[0].PageGenerators[0].ExportID)
	require.NoError(t, err, "the flow names the new export")
	assert.Equal(t, target.ID, exp.ConnectionID, "through the mapped connection")
}

func TestInstallTemplateWithALostAnswerIsSentOnce(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Solo"})
	require.NoError(t, err)
	rc, err := c.Integrations.DownloadTemplate(ctx, in.ID)
	require.NoError(t, err)
	zipped, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	srv.ResetRequests()
	srv.DropNext(1, integratoriotest.OnMethod(http.MethodPost), integratoriotest.OnPath("/integrations/template"))
	_, err = c.Integrations.InstallTemplate(ctx, bytes.NewReader(zipped), nil)
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	var posts int
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			posts++
		}
		if strings.HasPrefix(r.Path, "/_signed/") {
			assert.Empty(t, r.Header.Values("Authorization"))
		}
	}
	assert.Equal(t, 1, posts, "one POST")
	assert.Len(t, srv.IDs("integrations"), 2, "installed once")
}

func TestFlowCloneNeedsAMapForItsStepsConnections(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, fl, _, _, conn := shop(t, c)
	_, err := c.Flows.Clone(ctx, fl, &integratorio.FlowCloneOptions{IntegrationID: in})
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "invalid_connectionMap", apiErr.Code())
	assert.Contains(t, err.Error(), conn)

	other, err := c.Connections.Create(ctx, &integratorio.Connection{Name: "o", Type: "http"})
	require.NoError(t, err)
	cl, err := c.Flows.Clone(ctx, fl, &integratorio.FlowCloneOptions{IntegrationID: in, ConnectionMap: map[string]string{conn: other.ID}})
	require.NoError(t, err)
	assert.True(t, cl.Document.Disabled)
}

func TestRegisterReplaceAndDependencies(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, fl, exp, imp, conn := shop(t, c)
	other, err := c.Connections.Create(ctx, &integratorio.Connection{Name: "o", Type: "http"})
	require.NoError(t, err)

	require.NoError(t, c.Integrations.RegisterConnections(ctx, in, conn, other.ID, conn))
	assert.Equal(t, []any{conn, other.ID}, stored(t, srv, in)["_registeredConnectionIds"])
	err = c.Integrations.RegisterConnections(ctx, in, "6b0e92c4a791ac036628c9ff")
	assert.ErrorIs(t, err, integratorio.ErrBadRequest)
	require.NoError(t, c.Integrations.DeregisterConnection(ctx, in, conn))
	assert.Equal(t, []any{other.ID}, stored(t, srv, in)["_registeredConnectionIds"])
	assert.ErrorIs(t, c.Integrations.DeregisterConnection(ctx, in, conn), integratorio.ErrNotFound)

	deps, err := c.Dependencies(ctx, "connections", conn)
	require.NoError(t, err)
	assert.Equal(t, map[string][]integratorio.Dependency{
		"exports": {{ID: exp, Name: "e", Paths: []string{"_connectionId"}}},
		"imports": {{ID: imp, Name: "i", Paths: []string{"_connectionId"}}},
	}, deps)
	deps, err = c.Dependencies(ctx, "exports", exp)
	require.NoError(t, err)
	assert.Equal(t, map[string][]integratorio.Dependency{"flows": {{ID: fl, Name: "f", Paths: []string{"pageGenerators[0]._exportId"}}}}, deps)

	require.NoError(t, c.Flows.ReplaceConnection(ctx, fl, conn, other.ID))
	for _, get := range []func() (string, error){
		func() (string, error) { e, err := c.Exports.Get(ctx, exp); return e.ConnectionID, err },
		func() (string, error) { i, err := c.Imports.Get(ctx, imp); return i.ConnectionID, err },
	} {
		got, err := get()
		require.NoError(t, err)
		assert.Equal(t, other.ID, got)
	}
	err = c.Flows.ReplaceConnection(ctx, fl, conn, other.ID)
	assert.ErrorIs(t, err, integratorio.ErrBadRequest, "the flow no longer uses it")
	require.NoError(t, c.Exports.ReplaceConnection(ctx, exp, conn))
	e, err := c.Exports.Get(ctx, exp)
	require.NoError(t, err)
	assert.Equal(t, conn, e.ConnectionID)
	assert.ErrorIs(t, c.Imports.ReplaceConnection(ctx, imp, "6b0e92c4a791ac036628c9ff"), integratorio.ErrBadRequest)

	deps, err = c.Dependencies(ctx, "connections", other.ID)
	require.NoError(t, err)
	assert.Contains(t, deps, "imports")
	assert.Contains(t, deps, "integrations", "registered with the integration")
}

func TestCollectionPathsTakeATrailingSlash(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"Shop"}`)
	for _, p := range []string{"/integrations/", "/integrations/" + id + "/", "/flows/"} {
		a := rawReq(t, srv, http.MethodGet, p, "")
		assert.Contains(t, []int{http.StatusOK, http.StatusNoContent}, a.status, "%s: %s", p, a.body)
	}
	a := rawReq(t, srv, http.MethodGet, "/integrations/", "")
	assert.Len(t, decodeArray(t, a.body), 1)
}

func TestAuditIsPagedLikeEveryList(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(2))
	c := srv.Client()
	ctx := context.Background()
	for i := range 5 {
		_, err := c.Scripts.Create(ctx, &integratorio.Script{Name: fmt.Sprint("s", i)})
		require.NoError(t, err)
	}
	srv.ResetRequests()
	n := 0
	for e, err := range c.Audit.All(ctx, &integratorio.AuditListOptions{ResourceType: "script"}) {
		require.NoError(t, err)
		assert.Equal(t, "create", e.Action)
		n++
	}
	assert.Equal(t, 5, n)
	assert.Len(t, srv.Requests(), 3, "three pages of two")
	for _, r := range srv.Requests() {
		assert.Contains(t, r.Query, "resourceType=script", "the filter is kept on every page")
	}
}

func TestSnapshotsOfAnAPICloneAreRefused(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Shop"})
	require.NoError(t, err)
	cl, err := c.Integrations.Clone(ctx, in.ID, nil)
	require.NoError(t, err)
	_, err = c.Integrations.CreateSnapshot(ctx, cl.Document.ID, "x")
	assert.ErrorIs(t, err, integratorio.ErrBadRequest)
	assert.Contains(t, err.Error(), "clone must be linked to source integration")
	_, err = c.Integrations.CreateSnapshot(ctx, in.ID, "x")
	assert.NoError(t, err, "the source's snapshots are not")
}

func TestUploadSlotsAndRunKeys(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	in, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Solo"})
	require.NoError(t, err)
	rc, err := c.Integrations.DownloadTemplate(ctx, in.ID)
	require.NoError(t, err)
	zipped, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()

	a := rawReq(t, srv, http.MethodGet, "/s3SignedURL?file_type=text/plain", "")
	assert.Equal(t, http.StatusBadRequest, a.status)
	a = rawReq(t, srv, http.MethodGet, "/s3SignedURL?file_type=application/zip", "")
	require.Equal(t, http.StatusOK, a.status)
	slot := a.object(t)
	runKey := slot["runKey"].(string)

	a = rawReq(t, srv, http.MethodGet, "/integrations/template/preview?runKey="+runKey, "")
	assert.Equal(t, http.StatusBadRequest, a.status, "nothing uploaded yet")
	put := func(withToken bool) int {
		req, err := http.NewRequest(http.MethodPut, slot["signedURL"].(string), bytes.NewReader(zipped))
		require.NoError(t, err)
		if withToken {
			req.Header.Set("Authorization", "Bearer "+srv.Token)
		}
		resp, err := srv.HTTPClient().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusBadRequest, put(true), "the upload slot refuses the token")
	assert.Equal(t, http.StatusOK, put(false))

	install := `{"runKey":"` + runKey + `"}`
	a = rawReq(t, srv, http.MethodPost, "/integrations/template", install)
	require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
	created := decodeArray(t, a.body)
	require.Len(t, created, 1)
	assert.Equal(t, "Integration", created[0]["model"])
	a = rawReq(t, srv, http.MethodPost, "/integrations/template", install)
	assert.Equal(t, http.StatusBadRequest, a.status, "a runKey installs once")
	assert.Len(t, srv.IDs("integrations"), 2)
	a = rawReq(t, srv, http.MethodGet, "/integrations/template/preview?runKey=nope", "")
	assert.Equal(t, http.StatusBadRequest, a.status)
}
