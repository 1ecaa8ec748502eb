package integratorio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetDecodesTheDocument(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	doc := fixture(t, "integration_smartconnector.json")
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/123ab456c789de1011fg12h13i", rec.wrap(jsonResponder(200, doc)))
	in, err := c.Integrations.Get(context.Background(), "123ab456c789de1011fg12h13i")
	require.NoError(t, err)
	assert.Equal(t, "BigCommerce - NetSuite Connector", in.Name)
	assert.Equal(t, ModeInstall, in.Mode)
	require.Len(t, in.Install, 4)
	assert.Equal(t, "verifyNetSuiteConnection", in.Install[0].InstallerFunction)
	assert.Equal(t, "56fd5ad0945g2345c4e678aca76", in.Install[0].ConnectionID)
	require.Len(t, rec.reqs, 1)
	assert.Equal(t, http.MethodGet, rec.reqs[0].Method)
	assert.Empty(t, rec.reqs[0].Body)
	assert.False(t, in.Partial())
}

func TestIDsArePathEscaped(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	mt.RegisterNoResponder(rec.wrap(jsonResponder(200, []byte(`{"_id":"x"}`))))
	_, err := c.Integrations.Get(context.Background(), "café:1")
	require.NoError(t, err)
	require.Len(t, rec.reqs, 1)
	assert.Equal(t, "/v1/integrations/caf%C3%A9:1", rec.reqs[0].Path)
}

func TestInvalidArgumentsSendNothing(t *testing.T) {
	t.Parallel()
	badIDs := []string{"", " ", " abc", "abc\n", "..", ".", "a/b", "a?b", "a#b", "%2F", "a%b", "a\x00b", "a\\b", "a\u2028b", "a\u0080b", "a\u009bb", "a\u1680b", "a\u202fb", "a\u205fb", "a\ufeffb", "a\u200bb", "a\xffb", strings.Repeat("a", 600)}
	ctx := context.Background()
	c, mt := newMockClient(t)
	calls := map[string]func(id string) error{
		"Get":    func(id string) error { _, err := c.Integrations.Get(ctx, id); return err },
		"Update": func(id string) error { _, err := c.Integrations.Update(ctx, id, &Integration{}); return err },
		"Patch": func(id string) error {
			return c.Integrations.Patch(ctx, id, PatchOp{Op: "replace", Path: "/name", Value: "x"})
		},
		"Delete": func(id string) error { return c.Integrations.Delete(ctx, id) },
		"Clone":  func(id string) error { _, err := c.Integrations.Clone(ctx, id, nil); return err },
		"ManagedUpdate": func(id string) error {
			_, err := c.Integrations.ManagedUpdate(ctx, id, "1.0.0", func(*Integration) error { return nil })
			return err
		},
		"Modify": func(id string) error {
			_, err := c.Integrations.Modify(ctx, id, func(*Integration) error { return nil })
			return err
		},
		"Unlock":      func(id string) error { _, err := c.Integrations.Unlock(ctx, id); return err },
		"InstallBase": func(id string) error { _, err := c.Connectors.InstallBase(ctx, id); return err },
		"PushUpdate":  func(id string) error { return c.Connectors.PushUpdate(ctx, id, "abc") },
		"PushUpdate ids": func(id string) error {
			return c.Connectors.PushUpdate(ctx, "abc", "ok", id)
		},
	}
	for name, call := range calls {
		for _, id := range badIDs {
			err := call(id)
			assert.ErrorIs(t, err, ErrInvalidArgument, "%s(%q)", name, id)
		}
	}
	others := map[string]error{
		"Create nil": func() error { _, err := c.Integrations.Create(ctx, nil); return err }(),
		"Update nil": func() error { _, err := c.Integrations.Update(ctx, "abc", nil); return err }(),
		"Patch none": c.Integrations.Patch(ctx, "abc"),
		"Patch op":   c.Integrations.Patch(ctx, "abc", PatchOp{Op: "merge", Path: "/name"}),
		"Patch path": c.Integrations.Patch(ctx, "abc", PatchOp{Op: "replace", Path: "name"}),
		"Patch move": c.Integrations.Patch(ctx, "abc", PatchOp{Op: "move", Path: "/name"}),
		"Patch NaN":  c.Integrations.Patch(ctx, "abc", PatchOp{Op: "add", Path: "/x", Value: make(chan int)}),
		"List both": func() error {
			_, err := c.Integrations.List(ctx, &ListOptions{Include: []string{"a"}, Exclude: []string{"b"}})
			return err
		}(),
		"List empty":           func() error { _, err := c.Integrations.List(ctx, &ListOptions{Include: []string{""}}); return err }(),
		"List comma":           func() error { _, err := c.Integrations.List(ctx, &ListOptions{Exclude: []string{"a,b"}}); return err }(),
		"ManagedUpdate nil fn": func() error { _, err := c.Integrations.ManagedUpdate(ctx, "abc", "1.0.0", nil); return err }(),
		"Modify nil fn":        func() error { _, err := c.Integrations.Modify(ctx, "abc", nil); return err }(),
		"PushUpdate no ids":    c.Connectors.PushUpdate(ctx, "abc"),
		"Clone map": func() error {
			_, err := c.Integrations.Clone(ctx, "abc", &CloneOptions{ConnectionMap: map[string]string{"a": ""}})
			return err
		}(),
	}
	for name, err := range others {
		assert.ErrorIs(t, err, ErrInvalidArgument, name)
	}
	assert.Zero(t, mt.GetTotalCallCount(), "no request was sent")
}

func TestCreateSendsTheDocumentWithoutIDAndLastModified(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations", rec.wrap(jsonResponder(201, []byte(`{"_id":"new1","name":"Copy","lastModified":"2024-01-01T00:00:00Z"}`))))

	var in Integration
	require.NoError(t, json.Unmarshal(fixture(t, "integration_rich.json"), &in))
	created, err := c.Integrations.Create(context.Background(), &in)
	require.NoError(t, err)
	assert.Equal(t, "new1", created.ID)

	require.Len(t, rec.reqs, 1)
	want := decodeGeneric(t, fixture(t, "integration_rich.json")).(map[string]any)
	delete(want, "_id")
	delete(want, "lastModified")
	wantJSON, _ := json.Marshal(want)
	requireSameJSON(t, wantJSON, rec.reqs[0].Body)
	assert.Equal(t, "5f0c1a2b3c4d5e6f7a8b9c0d", in.ID, "the caller's document is not changed")
}

func TestUpdateSendsTheWholeDocumentAsHeld(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	doc := fixture(t, "integration_rich.json")
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/5f0c1a2b3c4d5e6f7a8b9c0d", rec.wrap(jsonResponder(200, doc)))
	mt.RegisterResponder(http.MethodPut, testRoot+"/integrations/5f0c1a2b3c4d5e6f7a8b9c0d", func(r *http.Request) (*http.Response, error) {
		resp, err := rec.wrap(jsonResponder(200, nil))(r)
		resp.Body = httpmock.NewRespBodyFromBytes(rec.reqs[len(rec.reqs)-1].Body) // echo
		return resp, err
	})

	ctx := context.Background()
	in, err := c.Integrations.Get(ctx, "5f0c1a2b3c4d5e6f7a8b9c0d")
	require.NoError(t, err)
	in.UpdateInProgress = false
	in.Version = "2.3.5"
	require.NoError(t, in.Settings.Set("connectorEdition", "enterprise"))
	out, err := c.Integrations.Update(ctx, in.ID, in)
	require.NoError(t, err)
	assert.Equal(t, "2.3.5", out.Version)

	require.Len(t, rec.reqs, 2)
	put := rec.reqs[1]
	assert.Equal(t, http.MethodPut, put.Method)
	assert.Equal(t, "application/json", put.Header.Get("Content-Type"))
	want := decodeGeneric(t, doc).(map[string]any)
	want["version"] = "2.3.5"
	want["settings"].(map[string]any)["connectorEdition"] = "enterprise"
	wantJSON, _ := json.Marshal(want)
	requireSameJSON(t, wantJSON, put.Body)
	assert.Contains(t, string(put.Body), `"updateInProgress":false`)
}

func TestUpdateWithEmptyAnswerReadsTheDocumentBack(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPut, testRoot+"/integrations/a", httpmock.NewStringResponder(204, ""))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/a", httpmock.NewStringResponder(200, `{"_id":"a","name":"stored"}`))
	out, err := c.Integrations.Update(context.Background(), "a", &Integration{ID: "a", Name: "stored"})
	require.NoError(t, err)
	assert.Equal(t, "stored", out.Name)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestPatchSendsJSONPatch(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	mt.RegisterResponder(http.MethodPatch, testRoot+"/integrations/abc", rec.wrap(httpmock.NewStringResponder(204, "")))
	err := c.Integrations.Patch(context.Background(), "abc",
		PatchOp{Op: "replace", Path: "/name", Value: "New name"},
		PatchOp{Op: "remove", Path: "/tag", Value: "ignored"},
		PatchOp{Op: "add", Path: "/settings/x", Value: nil},
		PatchOp{Op: "test", Path: "/version", Value: "1.0.0"})
	require.NoError(t, err)
	require.Len(t, rec.reqs, 1)
	assert.Equal(t, "application/json", rec.reqs[0].Header.Get("Content-Type"))
	assert.JSONEq(t, `[{"op":"replace","path":"/name","value":"New name"},{"op":"remove","path":"/tag"},{"op":"add","path":"/settings/x","value":null},{"op":"test","path":"/version","value":"1.0.0"}]`, string(rec.reqs[0].Body))
}

func TestDelete(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodDelete, testRoot+"/integrations/abc", httpmock.NewStringResponder(204, ""))
	require.NoError(t, c.Integrations.Delete(context.Background(), "abc"))
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestCloneAnsweredWithTheDocument(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/tmpl/clone", rec.wrap(jsonResponder(201, []byte(`{"_id":"copy1","name":"Acme","tag":"acme"}`))))
	sandbox := false
	res, err := c.Integrations.Clone(context.Background(), "tmpl", &CloneOptions{
		Name: "Acme", Tag: "acme", Sandbox: &sandbox,
		ConnectionMap: map[string]string{"oldConn": "newConn"},
	})
	require.NoError(t, err)
	assert.Equal(t, "copy1", res.Document.ID)
	assert.Empty(t, res.Created)
	require.Len(t, rec.reqs, 1)
	assert.JSONEq(t, `{"name":"Acme","tag":"acme","sandbox":false,"connectionMap":{"oldConn":"newConn"}}`, string(rec.reqs[0].Body))
}

func TestCloneAnsweredWithCreatedResourcesFetchesTheIntegration(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/tmpl/clone", rec.wrap(jsonResponder(201, []byte(
		`[{"model":"Flow","_id":"f1","name":"Orders"},{"model":"Integration","_id":"copy2","name":"Copy"}]`))))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/copy2", rec.wrap(jsonResponder(200, []byte(`{"_id":"copy2","name":"Copy"}`))))
	res, err := c.Integrations.Clone(context.Background(), "tmpl", nil)
	require.NoError(t, err)
	assert.Equal(t, "copy2", res.Document.ID)
	assert.Equal(t, []ClonedResource{{"Flow", "f1", "Orders"}, {"Integration", "copy2", "Copy"}}, res.Created)
	require.Len(t, rec.reqs, 2)
	assert.JSONEq(t, `{}`, string(rec.reqs[0].Body), "nil options send an empty object")
	assert.Equal(t, http.MethodGet, rec.reqs[1].Method)
}

func TestCloneWithoutAnIntegrationInTheAnswer(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/tmpl/clone", jsonResponder(201, []byte(`[{"model":"Flow","_id":"f1"}]`)))
	res, err := c.Integrations.Clone(context.Background(), "tmpl", nil)
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	require.NotNil(t, res, "what was created is still reported")
	assert.Len(t, res.Created, 1)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestCloneErrorIsAnAPIError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/tmpl/clone", jsonResponder(400, []byte(
		`{"errors":[{"code":"invalid_connectionMap","message":"Connection c1 is not mapped","field":"connectionMap"}]}`)))
	res, err := c.Integrations.Clone(context.Background(), "tmpl", nil)
	assert.Nil(t, res)
	require.ErrorIs(t, err, ErrBadRequest)
	assert.Equal(t, "integratorio: POST /integrations/tmpl/clone: 400 invalid_connectionMap (connectionMap): Connection c1 is not mapped", err.Error())
}

// pagesResponder serves n pages of size documents, linking them with next
// links made by link(page).
func pagesResponder(rec *recorder, n, size int, link func(page int) string) httpmock.Responder {
	return rec.wrap(func(r *http.Request) (*http.Response, error) {
		page := 1
		if p := r.URL.Query().Get("page"); p != "" {
			_, _ = fmt.Sscanf(p, "%d", &page)
		}
		docs := make([]string, size)
		for i := range docs {
			docs[i] = fmt.Sprintf(`{"_id":"p%di%d","name":"n","custom":{"page":%d}}`, page, i, page)
		}
		resp := httpmock.NewStringResponse(200, "["+strings.Join(docs, ",")+"]")
		if page < n {
			resp.Header.Set("Link", link(page+1))
		}
		return resp, nil
	})
}

func TestListFollowsNextLinks(t *testing.T) {
	t.Parallel()
	for name, link := range map[string]func(int) string{
		"absolute": func(p int) string { return fmt.Sprintf(`<%s/integrations?page=%d>; rel="next"`, testRoot, p) },
		"relative": func(p int) string { return fmt.Sprintf(`</v1/integrations?page=%d>; rel="next"`, p) },
		"with prev": func(p int) string {
			return fmt.Sprintf(`<%s/integrations?page=1>; rel="prev first", <%s/integrations?page=%d>; rel=next`, testRoot, testRoot, p)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			rec := &recorder{}
			mt.RegisterResponder(http.MethodGet, `=~^`+testRoot+`/integrations`, pagesResponder(rec, 3, 2, link))
			list, err := c.Integrations.List(context.Background(), nil)
			require.NoError(t, err)
			require.Len(t, list, 6)
			assert.Equal(t, "p3i1", list[5].ID)
			require.Len(t, rec.reqs, 3)
			assert.Equal(t, "", rec.reqs[0].RawQuery)
			assert.Equal(t, "page=2", rec.reqs[1].RawQuery)
			assert.Equal(t, "page=3", rec.reqs[2].RawQuery)
			for _, r := range rec.reqs {
				assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
			}
		})
	}
}

func TestListEmptyAnswers(t *testing.T) {
	t.Parallel()
	for name, resp := range map[string]httpmock.Responder{
		"204":        httpmock.NewStringResponder(204, ""),
		"empty body": httpmock.NewStringResponder(200, ""),
		"empty list": httpmock.NewStringResponder(200, "[]"),
	} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations", resp)
		list, err := c.Integrations.List(context.Background(), nil)
		require.NoError(t, err, name)
		assert.Empty(t, list, name)
	}
}

func TestListProjectionSendsQueryAndMarksPartial(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations", rec.wrap(httpmock.NewStringResponder(200, `[{"_id":"a","name":"A"}]`)))
	list, err := c.Integrations.List(context.Background(), &ListOptions{Include: []string{"name", "settings.sections"}})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "include=name%2Csettings.sections", rec.reqs[0].RawQuery)
	assert.True(t, list[0].Partial())

	_, err = c.Integrations.Update(context.Background(), "a", list[0])
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "Get it first")
	assert.Equal(t, 1, mt.GetTotalCallCount(), "the partial document was not PUT")

	_, err = c.Integrations.List(context.Background(), &ListOptions{Exclude: []string{"settings"}})
	require.NoError(t, err)
	assert.Equal(t, "exclude=settings", rec.reqs[1].RawQuery)

	full, err := c.Integrations.List(context.Background(), &ListOptions{})
	require.NoError(t, err)
	assert.False(t, full[0].Partial())
}

func TestAllFetchesLazilyAndStopsWhenTheLoopBreaks(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	mt.RegisterResponder(http.MethodGet, `=~^`+testRoot+`/integrations`, pagesResponder(rec, 5, 3,
		func(p int) string { return fmt.Sprintf(`</v1/integrations?page=%d>; rel="next"`, p) }))
	seq := c.Integrations.All(context.Background(), nil)
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is fetched before the loop starts")
	n := 0
	for in, err := range seq {
		require.NoError(t, err)
		n++
		if in.ID == "p2i0" {
			break
		}
	}
	assert.Equal(t, 4, n)
	assert.Equal(t, 2, mt.GetTotalCallCount(), "pages after the break are not fetched")
}

func TestAllYieldsAnErrorOnceAndStops(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{}))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(200, `[{"_id":"a"}]`)
		r.Header.Set("Link", `</v1/integrations/page2>; rel="next"`)
		return r, nil
	})
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/page2", httpmock.NewStringResponder(500, `oops`))
	var ids []string
	var errs []error
	for in, err := range c.Integrations.All(context.Background(), nil) {
		if err != nil {
			errs = append(errs, err)
			assert.Nil(t, in)
			continue
		}
		ids = append(ids, in.ID)
	}
	assert.Equal(t, []string{"a"}, ids)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrServerError)
	_, err := c.Integrations.List(context.Background(), nil)
	assert.ErrorIs(t, err, ErrServerError, "List returns the error, not a partial list")
}

func TestNextLinkToAnotherOriginIsRefused(t *testing.T) {
	t.Parallel()
	for _, next := range []string{
		"https://evil.example.test/v1/integrations?page=2",
		"http://api.example.test/v1/integrations?page=2",
		"https://api.example.test:8443/v1/integrations?page=2",
		"//evil.example.test/v1/integrations",
	} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations", func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(200, `[{"_id":"a"}]`)
			r.Header.Set("Link", "<"+next+`>; rel="next"`)
			return r, nil
		})
		_, err := c.Integrations.List(context.Background(), nil)
		require.ErrorIs(t, err, ErrUnexpectedResponse, next)
		assert.Contains(t, err.Error(), "another host")
		assert.Equal(t, 1, mt.GetTotalCallCount(), "nothing was sent to %s", next)
	}
}

func TestNextLinkLoopIsDetected(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, `=~^`+testRoot+`/integrations`, func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, `[{"_id":"a"}]`)
		// page 1 -> page 2 -> page 1 -> ...
		if r.URL.Query().Get("page") == "2" {
			resp.Header.Set("Link", `</v1/integrations>; rel="next"`)
		} else {
			resp.Header.Set("Link", `</v1/integrations?page=2>; rel="next"`)
		}
		return resp, nil
	})
	_, err := c.Integrations.List(context.Background(), nil)
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.Contains(t, err.Error(), "already read")
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestNextLinkParsing(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`<https://a/x?p=2>; rel="next"`:                        "https://a/x?p=2",
		`<https://a/x?p=2>;rel=next`:                           "https://a/x?p=2",
		`<https://a/1>; rel="prev", <https://a/3>; rel="next"`: "https://a/3",
		`<https://a/x,y>; title="a, b"; rel="NEXT"`:            "https://a/x,y",
		`<https://a/1>; rel="nextish"`:                         "",
		`<https://a/1>; rel="last next"`:                       "https://a/1",
		``:                                                     "",
		` , `:                                                  "",
	}
	for in, want := range cases {
		got, ok, err := nextLink([]string{in})
		require.NoError(t, err, in)
		assert.Equal(t, want != "", ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{`garbage, <https://a/2>; rel="next"`, `<https://a/2; rel="next"`, `https://a/2; rel=next`} {
		_, _, err := nextLink([]string{bad})
		assert.Error(t, err, bad)
	}
}

func TestNonDocumentAnswersAreErrors(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"null":         `null`,
		"array":        `[{"_id":"a"}]`,
		"message":      `{"message":"Bearer Authentication Failed"}`,
		"html":         `<html><body>Bad gateway</body></html>`,
		"truncated":    `{"_id":"a","name":`,
		"empty":        ``,
		"no id":        `{"name":"x"}`,
		"string":       `"abc"`,
		"trailing":     `{"_id":"a"} {"_id":"b"}`,
		"list of null": `x`,
	} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/a", httpmock.NewStringResponder(200, body))
		in, err := c.Integrations.Get(context.Background(), "a")
		assert.Nil(t, in, name)
		require.ErrorIs(t, err, ErrUnexpectedResponse, name)
		assert.Contains(t, err.Error(), "GET /integrations/a", name)
	}
	for name, body := range map[string]string{
		"object":       `{"_id":"a"}`,
		"null element": `[null]`,
		"no id":        `[{"name":"x"}]`,
		"html":         `<html>`,
	} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations", httpmock.NewStringResponder(200, body))
		list, err := c.Integrations.List(context.Background(), nil)
		assert.Nil(t, list, name)
		assert.ErrorIs(t, err, ErrUnexpectedResponse, name)
	}
}

func TestNextLinkLoopBackToAQueriedFirstPageIsDetectedAtOnce(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, `=~^`+testRoot+`/integrations`, func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, `[{"_id":"a"}]`)
		if r.URL.Query().Get("page") == "2" {
			resp.Header.Set("Link", `</v1/integrations?include=name%2Ctag>; rel="next"`)
		} else {
			resp.Header.Set("Link", `</v1/integrations?include=name%2Ctag&page=2>; rel="next"`)
		}
		return resp, nil
	})
	_, err := c.Integrations.List(context.Background(), &ListOptions{Include: []string{"name", "tag"}})
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

// waitForWaiters spins until n callers hold or wait for key's lock.
func waitForWaiters(t *testing.T, k *keyedLock, key string, n int) {
	t.Helper()
	for range 1_000_000 {
		k.mu.Lock()
		e := k.m[key]
		got := 0
		if e != nil {
			got = e.refs
		}
		k.mu.Unlock()
		if got >= n {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("no %d callers on the lock of %s", n, key)
}

// Unlock is a read-modify-write too: run while a ManagedUpdate of the same
// integration is in flight on the same client, it waits for it, and then
// finds nothing to unlock, instead of writing back a copy read before the
// update and erasing it.
func TestUnlockIsSerialisedWithManagedUpdate(t *testing.T) {
	c, mt := regressionClient(t)
	var mu sync.Mutex
	stored := []byte(`{"_id":"i1","version":"1.0.0","updateInProgress":true,"settings":{}}`)
	puts := 0
	mt.RegisterResponder("GET", "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		return httpmock.NewBytesResponse(200, stored), nil
	})
	mt.RegisterResponder("PUT", "=~/integrations/i1$", func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		stored, puts = b, puts+1
		return httpmock.NewBytesResponse(200, b), nil
	})
	unlocked := make(chan error, 1)
	_, err := c.Integrations.ManagedUpdate(context.Background(), "i1", "1.1.0", func(in *Integration) error {
		go func() { _, err := c.Integrations.Unlock(context.Background(), "i1"); unlocked <- err }()
		waitForWaiters(t, c.locks, "/integrations/i1", 2) // Unlock waits for this update
		return in.EnsureSettings().Set("refundsExportId", "exp-1")
	})
	require.NoError(t, err)
	require.NoError(t, <-unlocked)
	mu.Lock()
	defer mu.Unlock()
	var d struct {
		Version          string
		UpdateInProgress bool
		Settings         map[string]any
	}
	require.NoError(t, json.Unmarshal(stored, &d))
	assert.Equal(t, "1.1.0", d.Version, "the update is kept")
	assert.Equal(t, "exp-1", d.Settings["refundsExportId"])
	assert.False(t, d.UpdateInProgress)
	assert.Equal(t, 1, puts, "only the update's final write: Unlock found nothing to unlock")
}
