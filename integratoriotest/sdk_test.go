package integratoriotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// The whole lifecycle through the SDK, with the status of every exchange.
func TestSDKLifecycleStatusCodes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()

	list, err := c.Integrations.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, list)

	created, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Orders", Description: "d"})
	require.NoError(t, err)
	assert.Regexp(t, hexID, created.ID)
	assert.Equal(t, "Orders", created.Name)
	assert.False(t, created.CreatedAt.IsZero())
	assert.Equal(t, created.CreatedAt, created.LastModified)

	got, err := c.Integrations.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "d", got.Description)

	got.Name = "Orders v2"
	updated, err := c.Integrations.Update(ctx, got.ID, got)
	require.NoError(t, err)
	assert.Equal(t, "Orders v2", updated.Name)
	assert.True(t, updated.LastModified.After(got.LastModified))

	require.NoError(t, c.Integrations.Patch(ctx, got.ID, integratorio.PatchOp{Op: "replace", Path: "/name", Value: "Orders v3"}))
	require.NoError(t, c.Integrations.Delete(ctx, got.ID))
	_, err = c.Integrations.Get(ctx, got.ID)
	assert.ErrorIs(t, err, integratorio.ErrNotFound)

	id := created.ID
	assert.Equal(t, []string{
		"GET /integrations 204",
		"POST /integrations 201",
		"GET /integrations/" + id + " 200",
		"PUT /integrations/" + id + " 200",
		"PATCH /integrations/" + id + " 204",
		"DELETE /integrations/" + id + " 204",
		"GET /integrations/" + id + " 404",
	}, statuses(srv))
	assert.Empty(t, srv.IntegrationIDs())
}

// Members the SDK does not type survive a Get, change and Update exactly,
// numbers included.
func TestSDKUnknownMembersSurviveUpdate(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n","apiGroupings":[{"name":"g","weight":0.1}],
		"bigNumber":12345678901234567890123,"nested":{"deep":{"x":[1,"two",null,true]}},
		"settings":{"sections":[{"title":"General","fields":[{"id":"f1"}]}],"custom":{"k":1e400}},
		"install":[{"name":"s1","_connectionId":"c1","sourceConnection":{"type":"netsuite"}}]}`)
	before := stored(t, srv, id)

	c := srv.Client()
	in, err := c.Integrations.Get(context.Background(), id)
	require.NoError(t, err)
	in.Name = "renamed"
	_, err = c.Integrations.Update(context.Background(), id, in)
	require.NoError(t, err)

	after := stored(t, srv, id)
	assert.Equal(t, "renamed", after["name"])
	for _, k := range []string{"apiGroupings", "bigNumber", "nested", "settings", "install", "createdAt"} {
		assert.Equal(t, before[k], after[k], "member %s", k)
	}
	assert.Equal(t, json.Number("12345678901234567890123"), after["bigNumber"])
}

// PUT replaces the whole document: what the body leaves out is erased,
// even through the SDK when the value was not read first.
func TestSDKUpdateReplacesWholeDocument(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n","description":"will go","readme":"will go too","custom":{"a":1}}`)
	createdAt := stored(t, srv, id)["createdAt"]

	out, err := srv.Client().Integrations.Update(context.Background(), id, &integratorio.Integration{Name: "only name"})
	require.NoError(t, err)
	assert.Equal(t, "only name", out.Name)
	assert.Empty(t, out.Description)

	doc := stored(t, srv, id)
	assert.NotContains(t, doc, "description")
	assert.NotContains(t, doc, "readme")
	assert.NotContains(t, doc, "custom")
	assert.Equal(t, id, doc["_id"])
	assert.Equal(t, createdAt, doc["createdAt"], "createdAt is kept by a PUT")
}

// A list longer than a page is read across pages, each announced by Link.
func TestSDKPaginationAcrossPages(t *testing.T) {
	t.Parallel()
	for _, relative := range []bool{false, true} {
		opts := []integratoriotest.Option{integratoriotest.WithPageSize(2)}
		if relative {
			opts = append(opts, integratoriotest.WithRelativeNextLinks())
		}
		srv := newServer(t, opts...)
		var want []string
		for _, n := range []string{"a", "b", "c", "d", "e"} {
			seed(t, srv, `{"name":"`+n+`"}`)
			want = append(want, n)
		}
		list, err := srv.Client().Integrations.List(context.Background(), &integratorio.ListOptions{Include: []string{"name"}})
		require.NoError(t, err)
		var names []string
		for _, in := range list {
			names = append(names, in.Name)
			assert.True(t, in.Partial())
		}
		assert.Equal(t, want, names, "relative links: %v", relative)
		assert.Equal(t, []string{
			"GET /integrations?include=name 200",
			"GET /integrations?after=2&include=name 200",
			"GET /integrations?after=4&include=name 200",
		}, statuses(srv), "relative links: %v", relative)
	}
}

// include keeps only the listed (dot) paths and _id; exclude drops them.
func TestSDKIncludeExclude(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.AddIntegrationJSON(integratoriotest.SampleSmartConnectorJSON())
	require.NoError(t, err)
	c := srv.Client()

	inc, err := c.Integrations.List(context.Background(), &integratorio.ListOptions{Include: []string{"name", "settings.commonresources", "install.name"}})
	require.NoError(t, err)
	require.Len(t, inc, 1)
	assert.Equal(t, integratoriotest.SampleSmartConnectorID, inc[0].ID)
	assert.Equal(t, "BigCommerce - NetSuite Connector", inc[0].Name)
	assert.Empty(t, inc[0].Version)
	assert.Equal(t, []string{"commonresources"}, inc[0].Settings.Keys())
	require.Len(t, inc[0].Install, 4)
	assert.Equal(t, "NetSuite Connection", inc[0].Install[0].Name)
	assert.Empty(t, inc[0].Install[0].ConnectionID, "install.name keeps only name in each step")

	exc, err := c.Integrations.List(context.Background(), &integratorio.ListOptions{Exclude: []string{"install", "settings.sections"}})
	require.NoError(t, err)
	require.Len(t, exc, 1)
	assert.Empty(t, exc[0].Install)
	assert.Equal(t, "1.0.1", exc[0].Version)
	assert.Equal(t, []string{"commonresources"}, exc[0].Settings.Keys())

	// Projection never changes what is stored.
	assert.Len(t, stored(t, srv, integratoriotest.SampleSmartConnectorID)["install"], 4)
}

// Clone copies under a new id and maps every connection reference.
func TestSDKCloneMapsConnections(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	src := seed(t, srv, `{"_id":"5f1a0c2b3d4e5f6071829300","name":"Template","tag":"t",
		"_registeredConnectionIds":["c-shop","c-ns"],
		"install":[{"name":"Shop","_connectionId":"c-shop"},{"name":"Bundle"}],
		"installSteps":[{"name":"NS","type":"connection","_connectionId":"c-ns"}],
		"settings":{"commonresources":{"shopConn":"c-shop","nsConn":"c-ns","exportId":"e1","count":3},"other":"c-shop"},
		"flowGroupings":[{"_id":"fg1","name":"Orders"}]}`)
	before, _ := srv.IntegrationJSON(src)

	res, err := srv.Client().Integrations.Clone(context.Background(), src, &integratorio.CloneOptions{
		Name:          "Acme copy",
		Tag:           "acme",
		ConnectionMap: map[string]string{"c-shop": "n-shop", "c-ns": "n-ns"},
	})
	require.NoError(t, err)
	in := res.Document
	require.NotNil(t, in)
	assert.Empty(t, res.Created)
	assert.Regexp(t, hexID, in.ID)
	assert.NotEqual(t, src, in.ID)
	assert.Equal(t, "Acme copy", in.Name)
	assert.Equal(t, "acme", in.Tag)
	assert.Equal(t, []string{"n-shop", "n-ns"}, in.RegisteredConnectionIDs)
	assert.Equal(t, "n-shop", in.Install[0].ConnectionID)
	assert.Empty(t, in.Install[1].ConnectionID)
	assert.Equal(t, "n-ns", in.InstallSteps[0].ConnectionID)

	doc := stored(t, srv, in.ID)
	settings := doc["settings"].(map[string]any)
	assert.Equal(t, map[string]any{"shopConn": "n-shop", "nsConn": "n-ns", "exportId": "e1", "count": json.Number("3")}, settings["commonresources"])
	assert.Equal(t, "c-shop", settings["other"], "only settings.commonresources is mapped")
	assert.Equal(t, []any{map[string]any{"_id": "fg1", "name": "Orders"}}, doc["flowGroupings"])
	assert.Regexp(t, timestamp, doc["createdAt"])
	assert.Equal(t, doc["createdAt"], doc["lastModified"])

	after, _ := srv.IntegrationJSON(src)
	assert.JSONEq(t, string(before), string(after), "the source is unchanged")
	assert.Equal(t, []string{"POST /integrations/" + src + "/clone 201"}, statuses(srv))
}

// A non-empty map that misses a referenced connection is refused, and
// nothing is created.
func TestSDKCloneIncompleteMapIsRefused(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.AddIntegrationJSON(integratoriotest.SampleSmartConnectorJSON())
	require.NoError(t, err)

	_, err = srv.Client().Integrations.Clone(context.Background(), integratoriotest.SampleSmartConnectorID, &integratorio.CloneOptions{
		ConnectionMap: map[string]string{integratoriotest.SampleBigCommerceConnectionID: "new"},
	})
	require.ErrorIs(t, err, integratorio.ErrBadRequest)
	var apiErr *integratorio.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "invalid_connectionMap", apiErr.Code())
	assert.Contains(t, apiErr.Errors[0].Message, integratoriotest.SampleNetSuiteConnectionID)
	assert.Len(t, srv.IntegrationIDs(), 1)
}

// Without a map (or with an empty one) the copy keeps the connection ids,
// and gets the default name.
func TestSDKCloneWithoutMapKeepsIDs(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.AddIntegrationJSON(integratoriotest.SampleSmartConnectorJSON())
	require.NoError(t, err)

	res, err := srv.Client().Integrations.Clone(context.Background(), integratoriotest.SampleSmartConnectorID, nil)
	require.NoError(t, err)
	assert.Equal(t, "Clone - BigCommerce - NetSuite Connector", res.Document.Name)
	assert.Equal(t, integratoriotest.SampleNetSuiteConnectionID, res.Document.Install[0].ConnectionID)
}

// With CloneReturnsCreated the answer is the created-resources list, and
// the SDK reads the new integration back.
func TestSDKCloneCreatedResourcesAnswer(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithCloneResponse(integratoriotest.CloneReturnsCreated))
	src := seed(t, srv, `{"name":"T"}`)

	res, err := srv.Client().Integrations.Clone(context.Background(), src, &integratorio.CloneOptions{Name: "Copy"})
	require.NoError(t, err)
	require.Len(t, res.Created, 1)
	assert.Equal(t, integratorio.ClonedResource{Model: "Integration", ID: res.Document.ID, Name: "Copy"}, res.Created[0])
	assert.Equal(t, "Copy", res.Document.Name)
	assert.Equal(t, []string{
		"POST /integrations/" + src + "/clone 201",
		"GET /integrations/" + res.Document.ID + " 200",
	}, statuses(srv))
}

// Patch applies add, replace, remove and test; a failed test changes
// nothing.
func TestSDKPatchOperations(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n","description":"gone soon","settings":{"a":1},"version":"1.0.0"}`)
	c := srv.Client()
	ctx := context.Background()

	require.NoError(t, c.Integrations.Patch(ctx, id,
		integratorio.PatchOp{Op: "test", Path: "/version", Value: "1.0.0"},
		integratorio.PatchOp{Op: "replace", Path: "/version", Value: "1.0.1"},
		integratorio.PatchOp{Op: "add", Path: "/settings/b", Value: map[string]any{"c": true}},
		integratorio.PatchOp{Op: "remove", Path: "/description"},
		integratorio.PatchOp{Op: "add", Path: "/updateInProgress", Value: false},
	))
	doc := stored(t, srv, id)
	assert.Equal(t, "1.0.1", doc["version"])
	assert.Equal(t, map[string]any{"a": json.Number("1"), "b": map[string]any{"c": true}}, doc["settings"])
	assert.NotContains(t, doc, "description")
	assert.Equal(t, false, doc["updateInProgress"])
	before, _ := srv.IntegrationJSON(id)

	for name, ops := range map[string][]integratorio.PatchOp{
		"failed test": {
			{Op: "replace", Path: "/name", Value: "changed"},
			{Op: "test", Path: "/version", Value: "9.9.9"},
		},
		"replace of a missing member": {
			{Op: "replace", Path: "/name", Value: "changed"},
			{Op: "replace", Path: "/readme", Value: "x"},
		},
		"remove of a missing member": {{Op: "remove", Path: "/readme"}},
		"read-only member":           {{Op: "replace", Path: "/_id", Value: "x"}},
	} {
		err := c.Integrations.Patch(ctx, id, ops...)
		var apiErr *integratorio.APIError
		require.ErrorAs(t, err, &apiErr, name)
		assert.Equal(t, 400, apiErr.StatusCode, name)
		assert.Equal(t, "invalid_field", apiErr.Code(), name)
		after, _ := srv.IntegrationJSON(id)
		assert.Equal(t, string(before), string(after), "%s: a failed patch changes nothing, not even lastModified", name)
	}
}

// Every write gets a lastModified strictly later than any before, with
// millisecond resolution, even when the clock stands still.
func TestLastModifiedStrictlyIncreasing(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	srv := newServer(t, integratoriotest.WithClock(func() time.Time { return fixed }))
	c := srv.Client()
	ctx := context.Background()

	a, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "a"})
	require.NoError(t, err)
	assert.Equal(t, fixed, a.LastModified)
	b, err := c.Integrations.Update(ctx, a.ID, a)
	require.NoError(t, err)
	require.NoError(t, c.Integrations.Patch(ctx, a.ID, integratorio.PatchOp{Op: "replace", Path: "/name", Value: "p"}))
	p, err := c.Integrations.Get(ctx, a.ID)
	require.NoError(t, err)
	cl, err := c.Integrations.Clone(ctx, a.ID, nil)
	require.NoError(t, err)

	times := []time.Time{a.LastModified, b.LastModified, p.LastModified, cl.Document.LastModified}
	for i := 1; i < len(times); i++ {
		assert.Equal(t, times[i-1].Add(time.Millisecond), times[i], "write %d", i)
	}
	assert.Equal(t, "2024-05-01T12:00:00.002Z", stored(t, srv, a.ID)["lastModified"])
	assert.Equal(t, "2024-05-01T12:00:00.000Z", stored(t, srv, a.ID)["createdAt"])
}

// Concurrent writes each get a distinct lastModified, and a seeded document
// from the future pushes the clock past it.
func TestLastModifiedConcurrentAndSeeded(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithClock(func() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }))
	seed(t, srv, `{"name":"future","lastModified":"2030-06-01T00:00:00.500Z"}`)
	c := srv.Client()

	const n = 40
	var wg sync.WaitGroup
	results := make([]*integratorio.Integration, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.Integrations.Create(context.Background(), &integratorio.Integration{Name: "x"})
		}()
	}
	wg.Wait()
	seen := map[time.Time]bool{}
	ids := map[string]bool{}
	floor := time.Date(2030, 6, 1, 0, 0, 0, 500e6, time.UTC)
	for i := range n {
		require.NoError(t, errs[i])
		lm := results[i].LastModified
		assert.False(t, seen[lm], "lastModified %s handed out twice", lm)
		assert.True(t, lm.After(floor), "%s is not after the seeded document's lastModified", lm)
		seen[lm] = true
		ids[results[i].ID] = true
	}
	assert.Len(t, ids, n)
	assert.Len(t, srv.IntegrationIDs(), n+1)
}

// A wrong token is 401 through the SDK, and the server's log never holds
// the token.
func TestSDKWrongTokenIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c, err := integratorio.NewClient("not-the-right-token", integratorio.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = c.Integrations.List(context.Background(), nil)
	require.ErrorIs(t, err, integratorio.ErrUnauthorized)
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "unauthorized", apiErr.Code())
	assert.Equal(t, []string{"GET /integrations 401"}, statuses(srv))
}

// The server takes concurrent requests of every kind without a race.
func TestConcurrentMixedRequests(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(3))
	c := srv.Client()
	ctx := context.Background()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*5)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "w"})
			if err != nil {
				errs <- err
				return
			}
			if _, err := c.Integrations.List(ctx, nil); err != nil {
				errs <- err
			}
			if err := c.Integrations.Patch(ctx, in.ID, integratorio.PatchOp{Op: "add", Path: "/tag", Value: "t"}); err != nil {
				errs <- err
			}
			if _, err := c.Integrations.Clone(ctx, in.ID, nil); err != nil {
				errs <- err
			}
			if w%2 == 0 {
				if err := c.Integrations.Delete(ctx, in.ID); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Len(t, srv.IntegrationIDs(), workers+workers/2)
}
