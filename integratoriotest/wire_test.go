package integratoriotest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// A missing or wrong token is 401 with the envelope (and the bare
// "message" of the real service), whatever the route.
func TestWireUnauthorized(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n"}`)
	for _, auth := range []string{"Authorization:", "Authorization: Bearer wrong", "Authorization: Basic " + testToken, "Authorization: Bearer"} {
		for _, target := range []string{"GET /integrations", "GET /integrations/" + id, "DELETE /integrations/" + id, "GET /nowhere"} {
			method, path, _ := strings.Cut(target, " ")
			a := rawReq(t, srv, method, path, "", auth)
			require.Equal(t, http.StatusUnauthorized, a.status, "%s with %q", target, auth)
			assert.Equal(t, "unauthorized", a.envelope(t)["code"])
			assert.Equal(t, "Unauthorized", a.object(t)["message"])
			assert.NotEmpty(t, a.header.Get("WWW-Authenticate"))
		}
	}
	assert.Contains(t, srv.IntegrationIDs(), id, "an unauthorized DELETE deletes nothing")
	a := rawReq(t, srv, "GET", "/integrations", "", "Authorization: bearer "+testToken)
	assert.Equal(t, http.StatusOK, a.status, "the scheme is case-insensitive")
}

// An empty list is 204 without a body; a list is 200 with a JSON array.
func TestWireListStatus(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := rawReq(t, srv, "GET", "/integrations", "")
	assert.Equal(t, http.StatusNoContent, a.status)
	assert.Empty(t, a.body)

	seed(t, srv, `{"name":"n","x":{"y":1}}`)
	a = rawReq(t, srv, "GET", "/integrations", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "application/json; charset=utf-8", a.header.Get("Content-Type"))
	assert.Empty(t, a.header.Get("Link"))
	assert.JSONEq(t, `[{"_id":"`+srv.IntegrationIDs()[0]+`","name":"n","x":{"y":1},"createdAt":"`+stored(t, srv, srv.IntegrationIDs()[0])["createdAt"].(string)+`","lastModified":"`+stored(t, srv, srv.IntegrationIDs()[0])["lastModified"].(string)+`"}]`, string(a.body))
}

// Next-page links: absolute by default, relative on request; they keep the
// other query parameters; the last page has none; a page past the end is
// 204.
func TestWireLinkHeader(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(2))
	for range 3 {
		seed(t, srv, `{"name":"n"}`)
	}
	a := rawReq(t, srv, "GET", "/integrations?exclude=name", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, `<`+srv.URL+`/integrations?after=2&exclude=name>; rel="next"`, a.header.Get("Link"))
	assert.Len(t, decodeArray(t, a.body), 2)

	a = rawReq(t, srv, "GET", "/integrations?after=2&exclude=name", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.Empty(t, a.header.Get("Link"))
	page := decodeArray(t, a.body)
	require.Len(t, page, 1)
	assert.NotContains(t, page[0], "name")

	a = rawReq(t, srv, "GET", "/integrations?skip=9", "")
	assert.Equal(t, http.StatusNoContent, a.status)
	a = rawReq(t, srv, "GET", "/integrations?skip=1&limit=1", "")
	require.Len(t, decodeArray(t, a.body), 1, "skip is honoured too")
	assert.Equal(t, `<`+srv.URL+`/integrations?after=2&limit=1>; rel="next"`, a.header.Get("Link"))

	a = rawReq(t, srv, "GET", "/integrations?limit=1", "")
	assert.Len(t, decodeArray(t, a.body), 1)
	assert.Equal(t, `<`+srv.URL+`/integrations?after=1&limit=1>; rel="next"`, a.header.Get("Link"))

	rel := newServer(t, integratoriotest.WithPageSize(1), integratoriotest.WithRelativeNextLinks())
	seed(t, rel, `{"name":"a"}`)
	seed(t, rel, `{"name":"b"}`)
	a = rawReq(t, rel, "GET", "/integrations", "")
	assert.Equal(t, `</v1/integrations?after=1>; rel="next"`, a.header.Get("Link"))

	for _, q := range []string{"skip=-1", "skip=x", "limit=abc", "after=x", "after=-1"} {
		a = rawReq(t, srv, "GET", "/integrations?"+q, "")
		assert.Equal(t, http.StatusBadRequest, a.status, q)
		assert.Equal(t, "invalid_query_params", a.envelope(t)["code"], q)
	}
}

// include and exclude together are refused; either alone projects.
func TestWireIncludeExclude(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n","a":{"b":1,"c":2},"steps":[{"x":1,"y":2},"s"]}`)

	a := rawReq(t, srv, "GET", "/integrations?include=name&exclude=a", "")
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "invalid_query_params", a.envelope(t)["code"])

	a = rawReq(t, srv, "GET", "/integrations?include=a.b,steps.x", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `[{"_id":"`+id+`","a":{"b":1},"steps":[{"x":1}]}]`, string(a.body))

	a = rawReq(t, srv, "GET", "/integrations?exclude=a.c,steps.y,createdAt,lastModified", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `[{"_id":"`+id+`","name":"n","a":{"b":1},"steps":[{"x":1},"s"]}]`, string(a.body))

	a = rawReq(t, srv, "GET", "/integrations?include=steps.x,steps,a.c&include=name", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `[{"_id":"`+id+`","name":"n","a":{"c":2},"steps":[{"x":1,"y":2},"s"]}]`, string(a.body), "a path inside an included value adds nothing")

	id2 := seed(t, srv, `{"name":"m","steps":["s",{"x":3,"y":4},{"y":5}]}`)
	a = rawReq(t, srv, "GET", "/integrations?include=steps.x,steps.y&skip=1", "")
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `[{"_id":"`+id2+`","steps":[{"x":3,"y":4},{"y":5}]}]`, string(a.body))

	a = rawReq(t, srv, "GET", "/integrations?include=a..b", "")
	assert.Equal(t, http.StatusBadRequest, a.status)
}

// Create answers 201 with a 24-hex _id and timestamps, ignoring read-only
// members sent in the body.
func TestWireCreate(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := rawReq(t, srv, "POST", "/integrations", `{"_id":"mine","lastModified":"1999-01-01T00:00:00.000Z","createdAt":"x","name":"n","extra":[1,2]}`)
	require.Equal(t, http.StatusCreated, a.status)
	assert.Equal(t, "application/json; charset=utf-8", a.header.Get("Content-Type"))
	doc := a.object(t)
	assert.Regexp(t, hexID, doc["_id"])
	assert.Regexp(t, timestamp, doc["createdAt"])
	assert.Regexp(t, timestamp, doc["lastModified"])
	assert.Equal(t, []any{1.0, 2.0}, doc["extra"])
	assert.Equal(t, []string{doc["_id"].(string)}, srv.IntegrationIDs())
}

// PUT answers 200 with the new document, which holds exactly the body's
// members plus the server's.
func TestWirePutReplaces(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n","description":"d","settings":{"a":1}}`)
	old := stored(t, srv, id)

	a := rawReq(t, srv, "PUT", "/integrations/"+id, `{"_id":"other","name":"new","lastModified":"1999-01-01T00:00:00.000Z"}`)
	require.Equal(t, http.StatusOK, a.status)
	doc := a.object(t)
	assert.Equal(t, map[string]any{
		"_id": id, "name": "new", "createdAt": old["createdAt"], "lastModified": doc["lastModified"],
	}, doc)
	assert.Greater(t, doc["lastModified"].(string), old["lastModified"].(string))
	assert.Equal(t, doc["lastModified"], stored(t, srv, id)["lastModified"])
}

// PATCH answers 204 without a body; bad operations are 400.
func TestWirePatch(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n","settings":{"a":1}}`)

	a := rawReq(t, srv, "PATCH", "/integrations/"+id, `[{"op":"replace","path":"/settings/a","value":2}]`)
	assert.Equal(t, http.StatusNoContent, a.status)
	assert.Empty(t, a.body)
	assert.Equal(t, "2", stored(t, srv, id)["settings"].(map[string]any)["a"].(interface{ String() string }).String())

	a = rawReq(t, srv, "PATCH", "/integrations/"+id, `[{"op":"add","path":"/tag","value":"t"}]`, "Content-Type: application/json-patch+json")
	assert.Equal(t, http.StatusNoContent, a.status, "the JSON Patch media type is taken too")

	before, _ := srv.IntegrationJSON(id)
	for body, field := range map[string]string{
		`[{"op":"move","from":"/name","path":"/x"}]`:   "op",
		`[{"op":"copy","from":"/name","path":"/x"}]`:   "op",
		`[{"op":"frobnicate","path":"/name"}]`:         "op",
		`[{"op":"replace","path":"","value":{}}]`:      "path",
		`[{"op":"replace","path":"name","value":"x"}]`: "path",
		`[{"op":"add","path":"/name"}]`:                "value",
		`[{"op":"remove","path":"/lastModified"}]`:     "lastModified",
		`[{"op":"add","path":"/createdAt","value":1}]`: "createdAt",
		`[{"op":"replace","path":"/name","value":5}]`:  "name",
	} {
		a = rawReq(t, srv, "PATCH", "/integrations/"+id, body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		env := a.envelope(t)
		assert.Equal(t, "invalid_field", env["code"], body)
		assert.Equal(t, field, env["field"], body)
	}
	for _, body := range []string{`[]`, `{"op":"add"}`, `[1]`, `"x"`} {
		a = rawReq(t, srv, "PATCH", "/integrations/"+id, body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		assert.Equal(t, "invalid_json", a.envelope(t)["code"], body)
	}
	after, _ := srv.IntegrationJSON(id)
	assert.Equal(t, string(before), string(after))
}

// PATCH follows RFC 6901 and 6902 where they are strict: array indexes
// without a sign or leading zero; test compares numbers by value, sees the
// operations before it, and fails on a missing target.
func TestWirePatchFollowsTheRFCs(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"a","n":1,"install":[{"name":"s1"},{"name":"s2"}]}`)
	patch := func(body string) answer { return rawReq(t, srv, "PATCH", "/integrations/"+id, body) }

	for _, body := range []string{
		`[{"op":"remove","path":"/install/-1"}]`,
		`[{"op":"remove","path":"/install/01"}]`,
		`[{"op":"replace","path":"/install/-2/name","value":"x"}]`,
	} {
		a := patch(body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		assert.Equal(t, "path", a.envelope(t)["field"], body)
	}
	assert.Len(t, stored(t, srv, id)["install"], 2, "no step was removed")
	for _, body := range []string{
		`[{"op":"replace","path":"/install/+1/name","value":"x"}]`,
		`[{"op":"remove","path":"/install/-"}]`,
		`[{"op":"add","path":"/missing/x","value":1}]`,
	} {
		a := patch(body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		assert.Equal(t, "path", a.envelope(t)["field"], body)
	}
	// Outside arrays a token is a member name, whatever it looks like.
	a := patch(`[{"op":"add","path":"/settings","value":{}},{"op":"add","path":"/settings/01","value":"a"},{"op":"add","path":"/settings/-1","value":"b"},{"op":"remove","path":"/settings/01"}]`)
	assert.Equal(t, http.StatusNoContent, a.status)
	assert.Equal(t, map[string]any{"-1": "b"}, stored(t, srv, id)["settings"])

	a = patch(`[{"op":"test","path":"/n","value":1.0},{"op":"replace","path":"/name","value":"b"}]`)
	assert.Equal(t, http.StatusNoContent, a.status, "1.0 equals 1")
	a = patch(`[{"op":"replace","path":"/n","value":2},{"op":"test","path":"/n","value":2e0},{"op":"add","path":"/install/-","value":{"name":"s3"}}]`)
	assert.Equal(t, http.StatusNoContent, a.status, "test sees the replace before it; - appends")
	doc := stored(t, srv, id)
	assert.Equal(t, "b", doc["name"])
	assert.Len(t, doc["install"], 3)

	before, _ := srv.IntegrationJSON(id)
	for _, body := range []string{
		`[{"op":"test","path":"/missing","value":null},{"op":"replace","path":"/name","value":"c"}]`,
		`[{"op":"test","path":"/n","value":"2"},{"op":"replace","path":"/name","value":"c"}]`,
		`[{"op":"replace","path":"/name","value":"c"},{"op":"test","path":"/install/1/name","value":"other"}]`,
	} {
		a = patch(body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
	}
	after, _ := srv.IntegrationJSON(id)
	assert.Equal(t, string(before), string(after), "a failed test changes nothing, not even the operations before it")
}

// DELETE answers 204, then 404.
func TestWireDelete(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n"}`)
	a := rawReq(t, srv, "DELETE", "/integrations/"+id, "")
	assert.Equal(t, http.StatusNoContent, a.status)
	assert.Empty(t, a.body)
	a = rawReq(t, srv, "DELETE", "/integrations/"+id, "")
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, "not_found", a.envelope(t)["code"])
	_, ok := srv.IntegrationJSON(id)
	assert.False(t, ok)
}

// Unknown ids are 404 on every id route; unknown routes are 404 too.
func TestWireNotFound(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	const missing = "5f0000000000000000000000"
	for _, target := range []string{
		"GET /integrations/" + missing,
		"PUT /integrations/" + missing,
		"PATCH /integrations/" + missing,
		"DELETE /integrations/" + missing,
		"POST /integrations/" + missing + "/clone",
		"GET /iClients", // not served (yet)
		"GET /integrations/" + missing + "/nothing",
	} {
		method, path, _ := strings.Cut(target, " ")
		body := ""
		switch method {
		case "PUT", "POST":
			body = `{"name":"x"}`
		case "PATCH":
			body = `[{"op":"add","path":"/x","value":1}]`
		}
		a := rawReq(t, srv, method, path, body)
		assert.Equal(t, http.StatusNotFound, a.status, target)
		assert.Equal(t, "not_found", a.envelope(t)["code"], target)
	}
	assert.Empty(t, srv.IntegrationIDs())
}

// Bodies must be JSON: another content type is 415, malformed JSON or a
// body of the wrong shape is 400, a member of the wrong type is 400
// invalid_field.
func TestWireBodyErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n"}`)
	targets := []string{"POST /integrations", "PUT /integrations/" + id, "PATCH /integrations/" + id, "POST /integrations/" + id + "/clone"}
	for _, target := range targets {
		method, path, _ := strings.Cut(target, " ")
		for _, ct := range []string{"Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded", "Content-Type:"} {
			a := rawReq(t, srv, method, path, `{"name":"x"}`, ct)
			assert.Equal(t, http.StatusUnsupportedMediaType, a.status, "%s %s", target, ct)
			assert.Equal(t, "unsupported_media_type", a.envelope(t)["code"])
		}
		a := rawReq(t, srv, method, path, `{"name":`)
		assert.Equal(t, http.StatusBadRequest, a.status, target)
		assert.Equal(t, "invalid_json", a.envelope(t)["code"], target)
	}
	for _, target := range targets[:2] {
		method, path, _ := strings.Cut(target, " ")
		for body, field := range map[string]string{
			`[]`:                           "",
			`"x"`:                          "",
			`{"name":5}`:                   "name",
			`{"mode":"flying"}`:            "mode",
			`{"updateInProgress":"false"}`: "updateInProgress",
			`{"settings":[1]}`:             "settings",
		} {
			a := rawReq(t, srv, method, path, body)
			assert.Equal(t, http.StatusBadRequest, a.status, "%s %s", target, body)
			if field != "" {
				assert.Equal(t, map[string]string{"code": "invalid_field", "field": field, "message": a.envelope(t)["message"]}, a.envelope(t))
			}
		}
	}
	a := rawReq(t, srv, "POST", "/integrations", "")
	assert.Equal(t, http.StatusBadRequest, a.status, "create needs a body")
	assert.Len(t, srv.IntegrationIDs(), 1)
	assert.Equal(t, "n", stored(t, srv, id)["name"])
}

// Clone's wire answer: 201 with the document, or with the created list;
// connectionMap must be an object of ids.
func TestWireClone(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"T","install":[{"_connectionId":"c1"}]}`)
	a := rawReq(t, srv, "POST", "/integrations/"+id+"/clone", "")
	require.Equal(t, http.StatusCreated, a.status, "an empty body clones with defaults")
	assert.Equal(t, "Clone - T", a.object(t)["name"])

	for _, body := range []string{`{"connectionMap":[]}`, `{"connectionMap":{"c1":5}}`, `{"connectionMap":{"c1":""}}`, `{"connectionMap":{"other":"c9"}}`} {
		a = rawReq(t, srv, "POST", "/integrations/"+id+"/clone", body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		assert.Equal(t, map[string]string{"code": "invalid_connectionMap", "field": "connectionMap", "message": a.envelope(t)["message"]}, a.envelope(t), body)
	}

	created := newServer(t, integratoriotest.WithCloneResponse(integratoriotest.CloneReturnsCreated))
	id = seed(t, created, `{"name":"T"}`)
	a = rawReq(t, created, "POST", "/integrations/"+id+"/clone", `{"name":"C"}`)
	require.Equal(t, http.StatusCreated, a.status)
	ids := created.IntegrationIDs()
	require.Len(t, ids, 2)
	assert.JSONEq(t, `[{"model":"Integration","_id":"`+ids[1]+`","name":"C"}]`, string(a.body))
}

// The request log holds method, path, query, headers and body, but never
// the token, wherever it was sent.
func TestRequestLogNeverHoldsToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	rawReq(t, srv, "POST", "/integrations?note="+testToken, `{"name":"n","secret":"`+testToken+`"}`, "X-Echo: "+testToken)
	rawReq(t, srv, "GET", "/integrations", "", "Authorization: Bearer wrong-"+testToken)

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "POST", reqs[0].Method)
	assert.Equal(t, "/integrations", reqs[0].Path)
	assert.Equal(t, "note=REDACTED", reqs[0].Query)
	assert.JSONEq(t, `{"name":"n","secret":"REDACTED"}`, string(reqs[0].Body))
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	assert.Equal(t, 201, reqs[0].Status)
	assert.Equal(t, 401, reqs[1].Status)
	for _, r := range reqs {
		assert.Empty(t, r.Header.Values("Authorization"))
		for k, vs := range r.Header {
			for _, v := range vs {
				assert.NotContains(t, v, testToken, k)
			}
		}
		assert.NotContains(t, string(r.Body), testToken)
		assert.NotContains(t, r.Query, testToken)
	}

	srv.ResetRequests()
	assert.Empty(t, srv.Requests())
}

// Documents deleted between pages do not shift later ones out of the
// listing: the next-page link is a cursor, not an offset.
func TestWirePagingSurvivesDeletionsBetweenPages(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(2))
	var ids []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ids = append(ids, seed(t, srv, `{"name":"`+n+`"}`))
	}
	a := rawReq(t, srv, "GET", "/integrations", "")
	require.Equal(t, http.StatusOK, a.status)
	next := strings.TrimPrefix(strings.TrimSuffix(a.header.Get("Link"), `>; rel="next"`), "<"+srv.URL)
	require.NotEqual(t, a.header.Get("Link"), next, "a next-page link")
	seen := map[string]bool{}
	for _, doc := range decodeArray(t, a.body) {
		seen[doc["_id"].(string)] = true
	}
	// Someone deletes a document already listed, and one not yet listed.
	require.Equal(t, http.StatusNoContent, rawReq(t, srv, "DELETE", "/integrations/"+ids[0], "").status)
	require.Equal(t, http.StatusNoContent, rawReq(t, srv, "DELETE", "/integrations/"+ids[3], "").status)
	for next != "" {
		a = rawReq(t, srv, "GET", next, "")
		require.Equal(t, http.StatusOK, a.status)
		for _, doc := range decodeArray(t, a.body) {
			seen[doc["_id"].(string)] = true
		}
		next = strings.TrimPrefix(strings.TrimSuffix(a.header.Get("Link"), `>; rel="next"`), "<"+srv.URL)
	}
	assert.Equal(t, map[string]bool{ids[0]: true, ids[1]: true, ids[2]: true, ids[4]: true}, seen,
		"every document that existed throughout was listed once")
}

// A cursor and skip together: skip counts from the cursor.
func TestWireCursorWithSkip(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithPageSize(1))
	for _, n := range []string{"a", "b", "c", "d"} {
		seed(t, srv, `{"name":"`+n+`"}`)
	}
	a := rawReq(t, srv, "GET", "/integrations", "")
	next := strings.TrimPrefix(strings.TrimSuffix(a.header.Get("Link"), `>; rel="next"`), "<"+srv.URL)
	require.Contains(t, next, "after=")
	a = rawReq(t, srv, "GET", next+"&skip=1", "")
	require.Equal(t, http.StatusOK, a.status)
	page := decodeArray(t, a.body)
	require.Len(t, page, 1)
	assert.Equal(t, "c", page[0]["name"], "a is before the cursor, b skipped")
}

// test resolves RFC 6901 pointers exactly: escaped names, array bounds,
// and whole objects and arrays compared member by member.
func TestWirePatchTestPointers(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := seed(t, srv, `{"name":"n","settings":{"a/b":1,"c~d":2,"obj":{"x":1},"arr":[1,2]}}`)
	for body, want := range map[string]int{
		`[{"op":"test","path":"/settings/a~1b","value":1}]`:                                                   http.StatusNoContent,
		`[{"op":"test","path":"/settings/c~0d","value":2}]`:                                                   http.StatusNoContent,
		`[{"op":"test","path":"/settings/obj","value":{"x":1.0}}]`:                                            http.StatusNoContent,
		`[{"op":"test","path":"/settings/arr","value":[1,2]}]`:                                                http.StatusNoContent,
		`[{"op":"test","path":"/settings/arr/1","value":2}]`:                                                  http.StatusNoContent,
		`[{"op":"test","path":"/settings/arr/2","value":null}]`:                                               http.StatusBadRequest,
		`[{"op":"test","path":"/settings/obj","value":{"x":1,"y":2}}]`:                                        http.StatusBadRequest,
		`[{"op":"test","path":"/settings/obj","value":{}}]`:                                                   http.StatusBadRequest,
		`[{"op":"test","path":"/settings/arr","value":[1,2,3]}]`:                                              http.StatusBadRequest,
		`[{"op":"test","path":"/settings/arr","value":[1]}]`:                                                  http.StatusBadRequest,
		`[{"op":"test","path":"/settings/a/b","value":1}]`:                                                    http.StatusBadRequest,
		`[{"op":"test","path":"/settings/arr","value":{"0":1,"1":2}}]`:                                        http.StatusBadRequest,
		`[{"op":"test","path":"/settings/arr/0/x","value":1}]`:                                                http.StatusBadRequest,
		`[{"op":"test","path":"/settings/obj/x","value":"1"}]`:                                                http.StatusBadRequest,
		`[{"op":"test","path":"/settings/obj","value":[{"x":1}]}]`:                                            http.StatusBadRequest,
		`[{"op":"test","path":"/settings/obj/x","value":1.0000000001}]`:                                       http.StatusBadRequest,
		`[{"op":"test","path":"/settings/obj/x","value":100e-2}]`:                                             http.StatusNoContent,
		`[{"op":"test","path":"/settings/obj","value":{"x":{"x":1}}}]`:                                        http.StatusBadRequest,
		`[{"op":"test","path":"/settings/arr","value":[1,"2"]}]`:                                              http.StatusBadRequest,
		`[{"op":"test","path":"/settings/obj","value":{"y":1}}]`:                                              http.StatusBadRequest,
		`[{"op":"test","path":"/name","value":"n"}]`:                                                          http.StatusNoContent,
		`[{"op":"test","path":"/name","value":null}]`:                                                         http.StatusBadRequest,
		`[{"op":"test","path":"/settings/obj/x/deeper","value":1}]`:                                           http.StatusBadRequest,
		`[{"op":"test","path":"/settings/arr/x","value":1}]`:                                                  http.StatusBadRequest,
		`[{"op":"test","path":"/settings/arr/","value":1}]`:                                                   http.StatusBadRequest,
		`[{"op":"test","path":"/settings/arr/1","value":2},{"op":"test","path":"/settings/arr/0","value":1}]`: http.StatusNoContent,
	} {
		assert.Equal(t, want, rawReq(t, srv, "PATCH", "/integrations/"+id, body).status, body)
	}
}
