package integratoriotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// readOnlyMembers are the members the server manages: ignored in a create
// or PUT body, refused in a PATCH.
var readOnlyMembers = []string{"_id", "createdAt", "lastModified"}

// crudRoutes registers the six document endpoints of a resource: list,
// create, get, replace (PUT), patch and delete, under /<name> (or under
// its parent, see nested.go), but those rs omits.
func (s *Server) crudRoutes(rs *resourceSpec, c *collection) {
	base, list, wrap := "/"+c.name, s.listHandler(rs, c, nil), func(h http.HandlerFunc) http.HandlerFunc { return h }
	if rs.parent != "" {
		base, list, wrap = s.nestedRoutes(rs, c)
	}
	s.handle(http.MethodGet, base, list)
	if !slices.Contains(rs.omit, "create") {
		s.handle(http.MethodPost, base, wrap(s.createHandler(rs, c)))
	}
	s.handle(http.MethodGet, base+"/{id}", wrap(s.getHandler(rs, c)))
	s.handle(http.MethodPut, base+"/{id}", wrap(s.putHandler(rs, c)))
	if !slices.Contains(rs.omit, "patch") {
		s.handle(http.MethodPatch, base+"/{id}", wrap(s.patchHandler(rs, c)))
	}
	if !slices.Contains(rs.omit, "delete") {
		s.handle(http.MethodDelete, base+"/{id}", wrap(s.deleteHandler(rs, c)))
	}
}

// listHandler answers a page of documents: 200 with a JSON array, or 204
// without a body when the page is empty. More pages are announced with
// Link: <...>; rel="next", whose URL carries an opaque after cursor (and
// limit, if the request had one), so that documents deleted between pages
// do not shift later ones out of the listing; skip is honoured too.
// include and exclude project the records, answered as rs answers a list
// (secrets masked, listOmits left out).
//
// scope, when non-nil, narrows the list to the documents its matcher
// keeps (a sub-list such as /integrations/{id}/flows), or refuses the
// request.
func (s *Server) listHandler(rs *resourceSpec, c *collection, scope func(*http.Request) (func(doc []byte) bool, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		proj, err := parseProjection(q)
		if err != nil {
			writeErr(w, err)
			return
		}
		skip, err := intParam(q, "skip", 0)
		if err != nil {
			writeErr(w, err)
			return
		}
		var after uint64
		cursor := q.Get("after")
		if cursor != "" {
			if after, err = strconv.ParseUint(cursor, 10, 64); err != nil {
				writeErr(w, badRequest("invalid_query_params", "after", "after must be a cursor from a next-page link"))
				return
			}
		}
		limit, err := intParam(q, "limit", s.opts.pageSize)
		if err != nil {
			writeErr(w, err)
			return
		}
		limit = min(max(limit, 1), s.opts.pageSize)
		var match func([]byte) bool
		if scope != nil {
			if match, err = scope(r); err != nil {
				writeErr(w, err)
				return
			}
		}

		s.mu.Lock()
		start := 0
		if cursor != "" {
			start = c.after(after)
		}
		var page [][]byte
		var last uint64
		more := false
		for _, id := range c.order[start:] {
			doc := c.docs[id]
			if match != nil && !match(doc) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(page) == limit {
				more = true
				break
			}
			page = append(page, doc)
			last = c.seq[id]
		}
		s.mu.Unlock()

		if more {
			q.Del("skip") // q is this request's own copy
			q.Set("after", strconv.FormatUint(last, 10))
			link := r.URL.EscapedPath() + "?" + q.Encode()
			if !s.opts.relativeLinks {
				scheme := "http://"
				if r.TLS != nil {
					scheme = "https://"
				}
				link = scheme + r.Host + link
			}
			w.Header().Set("Link", "<"+link+`>; rel="next"`)
		}
		for i, b := range page {
			if page[i], err = rs.answer(b, true); err != nil {
				writeErr(w, err)
				return
			}
		}
		writePage(w, page, proj)
	}
}

// writePage answers a list page: 200 with the documents as a JSON array,
// projected by proj when it is non-nil, or 204 without a body when there
// are none.
func writePage(w http.ResponseWriter, page [][]byte, proj *projection) {
	if len(page) == 0 {
		writeNoContent(w)
		return
	}
	out := make([]json.RawMessage, len(page))
	for i, b := range page {
		if proj != nil {
			var m map[string]any
			if err := decodeJSON(b, &m); err != nil {
				writeErr(w, err)
				return
			}
			var err error
			if b, err = encodeJSON(proj.apply(m)); err != nil {
				writeErr(w, err)
				return
			}
		}
		out[i] = b
	}
	writeJSON(w, http.StatusOK, out)
}

func intParam(q url.Values, key string, def int) (int, error) {
	v := q.Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("invalid_query_params", key, "%s must be a non-negative integer", key)
	}
	return n, nil
}

// getHandler answers one document, 200, or 404.
func (s *Server) getHandler(rs *resourceSpec, c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		s.mu.Lock()
		b, ok := c.get(id)
		s.mu.Unlock()
		if !ok {
			notFound(c.model, id).write(w)
			return
		}
		writeDocument(w, http.StatusOK, rs, b)
	}
}

// writeDocument answers status with the stored document b as rs answers
// it on a read: its secrets masked.
func writeDocument(w http.ResponseWriter, status int, rs *resourceSpec, b []byte) {
	out, err := rs.answer(b, false)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeRaw(w, status, out)
}

// writableBody reads the request's document, validates it, and drops the
// read-only members the server sets itself.
func writableBody(r *http.Request, rs *resourceSpec) (map[string]any, error) {
	doc, err := requestObject(r, false)
	if err == nil {
		err = rs.validate(doc)
	}
	if err != nil {
		return nil, err
	}
	for _, k := range readOnlyMembers {
		delete(doc, k)
	}
	return doc, nil
}

// createHandler stores a new document under a new id and answers 201 with
// it. Read-only members in the body are ignored; rs's defaults fill in
// the members the body lacks.
func (s *Server) createHandler(rs *resourceSpec, c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		doc, err := writableBody(r, rs)
		if err != nil {
			writeErr(w, err)
			return
		}
		for k, v := range rs.defaults {
			if _, ok := doc[k]; !ok {
				doc[k] = v
			}
		}
		s.mu.Lock()
		rs.completeDoc(s, doc)
		b, err := s.insert(c, doc)
		s.mu.Unlock()
		if err != nil {
			writeErr(w, err)
			return
		}
		writeDocument(w, http.StatusCreated, rs, b)
	}
}

// freshID returns a new id for a document created at t, taken neither in
// c nor in also. The caller holds s.mu.
func (s *Server) freshID(c *collection, t time.Time, also map[string]bool) string {
	for {
		id := s.ids.next(t)
		if _, taken := c.docs[id]; !taken && !also[id] {
			return id
		}
	}
}

// insert stores doc as a new document with a new id, createdAt and
// lastModified, and returns it encoded. The caller holds s.mu.
func (s *Server) insert(c *collection, doc map[string]any) ([]byte, error) {
	t := s.tick()
	return s.insertAs(c, s.freshID(c, t, nil), t, doc)
}

// insertAs stores doc as a new document with the given id, created at t,
// and returns it encoded. The caller holds s.mu.
func (s *Server) insertAs(c *collection, id string, t time.Time, doc map[string]any) ([]byte, error) {
	doc["_id"] = id
	doc["createdAt"] = formatTime(t)
	doc["lastModified"] = formatTime(t)
	b, err := encodeJSON(doc)
	if err != nil {
		return nil, err
	}
	c.put(id, b)
	s.audit(c, id, "create", t, nil, doc)
	return b, nil
}

// putHandler replaces the whole document with the body: members the body
// leaves out are gone. _id and createdAt are kept, lastModified moves on;
// their values in the body are ignored. A mask at one of rs's secrets is
// stored as sent, or, under WithMaskKeepsSecret, keeps the stored secret.
// rs's serverOwned members keep their stored values. Answers 200 with the
// document.
func (s *Server) putHandler(rs *resourceSpec, c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		doc, err := writableBody(r, rs)
		if err != nil {
			writeErr(w, err)
			return
		}
		s.mu.Lock()
		b, err := s.replace(c, id, func(old map[string]any) (map[string]any, error) {
			if v, ok := old["createdAt"]; ok {
				doc["createdAt"] = v
			}
			if s.opts.maskKeeps {
				keepSecrets(doc, old, rs.secrets)
			}
			for _, k := range rs.serverOwned {
				if v, ok := old[k]; ok {
					doc[k] = v
				} else {
					delete(doc, k)
				}
			}
			rs.completeDoc(s, doc)
			return doc, nil
		})
		s.mu.Unlock()
		if err != nil {
			writeErr(w, err)
			return
		}
		if rs.putNoContent {
			writeNoContent(w)
			return
		}
		writeDocument(w, http.StatusOK, rs, b)
	}
}

// replace stores what change makes of the document id, with its _id and a
// new lastModified, and returns it encoded. The caller holds s.mu.
func (s *Server) replace(c *collection, id string, change func(old map[string]any) (map[string]any, error)) ([]byte, error) {
	old, ok := c.get(id)
	if !ok {
		return nil, notFound(c.model, id)
	}
	var m map[string]any
	if err := decodeJSON(old, &m); err != nil {
		return nil, err
	}
	var before map[string]any // change may edit m in place
	if err := decodeJSON(old, &before); err != nil {
		return nil, err
	}
	doc, err := change(m)
	if err != nil {
		return nil, err
	}
	t := s.tick()
	doc["_id"] = id
	doc["lastModified"] = formatTime(t)
	b, err := encodeJSON(doc)
	if err != nil {
		return nil, err
	}
	c.put(id, b)
	s.audit(c, id, "update", t, before, doc)
	return b, nil
}

// patchOps are the JSON Patch operations the API takes.
var patchOps = []string{"add", "remove", "replace", "test"}

// patchHandler applies a JSON Patch (RFC 6902) body and answers 204. Only
// add, remove, replace and test are taken, on paths below the root that do
// not touch read-only members, with RFC 6901 array indexes (no sign, no
// leading zero; "-" appends); test compares numbers by value. Anything
// else, or an operation that fails (a missing path, a failed test), is 400
// and changes nothing.
func (s *Server) patchHandler(rs *resourceSpec, c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		body, err := requestBody(r)
		if err != nil {
			writeErr(w, err)
			return
		}
		patch, err := decodePatch(body, rs.patchable)
		if err != nil {
			writeErr(w, err)
			return
		}
		s.mu.Lock()
		_, err = s.replace(c, id, func(old map[string]any) (map[string]any, error) {
			oldJSON, err := encodeJSON(old)
			if err != nil {
				return nil, err
			}
			out, err := applyPatch(oldJSON, patch)
			var ae *apiError
			if errors.As(err, &ae) {
				return nil, err
			} else if err != nil {
				return nil, badRequest("invalid_field", "", "the patch cannot be applied: %v", err)
			}
			var doc map[string]any
			if err := decodeJSON(out, &doc); err != nil || doc == nil {
				return nil, badRequest("invalid_field", "", "the patch does not leave a JSON object")
			}
			if err := rs.validate(doc); err != nil {
				return nil, err
			}
			rs.completeDoc(s, doc)
			return doc, nil
		})
		s.mu.Unlock()
		if err != nil {
			writeErr(w, err)
			return
		}
		writeNoContent(w)
	}
}

// decodePatch decodes and checks a JSON Patch body. patchable, when
// non-nil, are the pointers an add, remove or replace may touch (see
// resourceSpec); a test may read any.
func decodePatch(body []byte, patchable []string) (jsonpatch.Patch, error) {
	if body == nil {
		return nil, badRequest("invalid_json", "", "the request body must be a JSON Patch array")
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badRequest("invalid_json", "", "the request body must be a JSON Patch array of operations")
	}
	if len(raw) == 0 {
		return nil, badRequest("invalid_json", "", "the patch has no operations")
	}
	for i, op := range raw {
		var kind, p string
		_ = json.Unmarshal(op["op"], &kind)
		if !slices.Contains(patchOps, kind) {
			return nil, badRequest("invalid_field", "op", "operation %d: op %q is not supported (want add, remove, replace or test)", i, kind)
		}
		if err := json.Unmarshal(op["path"], &p); err != nil || !strings.HasPrefix(p, "/") {
			return nil, badRequest("invalid_field", "path", "operation %d: path must be a JSON Pointer below the document root", i)
		}
		if _, hasValue := op["value"]; !hasValue && kind != "remove" {
			return nil, badRequest("invalid_field", "value", "operation %d: %s needs a value", i, kind)
		}
		first, _, _ := strings.Cut(p[1:], "/")
		first = unescapeToken.Replace(first)
		if slices.Contains(readOnlyMembers, first) {
			return nil, badRequest("invalid_field", first, "operation %d: %s is read-only", i, first)
		}
		if patchable != nil && kind != "test" && !patchAllowed(p, patchable) {
			return nil, badRequest("invalid_field", first, "operation %d: %s cannot be patched (the API patches only %s)", i, p, orList(patchable))
		}
	}
	patch, err := jsonpatch.DecodePatch(body)
	if err != nil {
		return nil, badRequest("invalid_json", "", "the request body is not a JSON Patch: %v", err)
	}
	return patch, nil
}

// patchAllowed reports whether the JSON Pointer p is one of patterns, or
// below one; "*" in a pattern stands for any one token.
func patchAllowed(p string, patterns []string) bool {
	toks := strings.Split(p[1:], "/")
	for _, pat := range patterns {
		want := strings.Split(strings.TrimPrefix(pat, "/"), "/")
		if len(toks) < len(want) {
			continue
		}
		ok := true
		for i, w := range want {
			if w != "*" && w != unescapeToken.Replace(toks[i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// deleteHandler deletes the document, its state and what rs keeps beside
// it, keeps the document in the recycle bin, writes the audit entry, and
// answers 204, or 404.
func (s *Server) deleteHandler(rs *resourceSpec, c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		s.mu.Lock()
		doc, _ := c.get(id)
		ok := c.delete(id)
		if ok {
			s.toBin(c, id, doc)
			delete(s.side.state, stateScopeOf(c, id))
			if rs.onDelete != nil {
				rs.onDelete(s, id)
			}
			s.audit(c, id, "delete", s.tick(), nil, nil)
		}
		s.mu.Unlock()
		if !ok {
			notFound(c.model, id).write(w)
			return
		}
		writeNoContent(w)
	}
}

// seedBatch is documents to seed into one collection.
type seedBatch struct {
	c    *collection
	docs []map[string]any
}

// seed stores raw documents as given, atomically: all or none, over every
// batch. A document keeps its _id (a new one is assigned when it has none),
// createdAt and lastModified. A missing lastModified is set to now; a
// missing createdAt to lastModified. It returns the ids, batch after
// batch. The caller holds s.mu.
func (s *Server) seed(batches ...seedBatch) ([]string, error) {
	taken := make([]map[string]bool, len(batches))
	for i, b := range batches {
		var err error
		if taken[i], err = checkSeed(b.c, b.docs); err != nil {
			if len(batches) > 1 {
				err = fmt.Errorf("%s: %w", b.c.name, err)
			}
			return nil, err
		}
	}
	for _, b := range batches {
		for _, d := range b.docs {
			for _, k := range []string{"createdAt", "lastModified"} {
				if t, ok := parseTimeMember(d[k]); ok {
					s.observe(t)
				}
			}
		}
	}
	type stored struct {
		c   *collection
		id  string
		doc []byte
	}
	var out []stored
	for i, b := range batches {
		for _, d := range b.docs {
			if _, ok := d["lastModified"]; !ok {
				d["lastModified"] = formatTime(s.tick())
			}
			if _, ok := d["createdAt"]; !ok {
				// Never created after its last change.
				if t, ok := parseTimeMember(d["lastModified"]); ok {
					d["createdAt"] = formatTime(t)
				} else {
					d["createdAt"] = formatTime(s.now())
				}
			}
			id, _ := d["_id"].(string)
			if id == "" {
				id = s.freshID(b.c, s.now(), taken[i])
				taken[i][id] = true
				d["_id"] = id
			}
			enc, err := encodeJSON(d)
			if err != nil {
				return nil, err
			}
			out = append(out, stored{b.c, id, enc})
		}
	}
	ids := make([]string, len(out))
	for i, st := range out {
		st.c.put(st.id, st.doc)
		ids[i] = st.id
	}
	return ids, nil
}

// checkSeed checks the given ids of documents to seed into c, and returns
// them. The caller holds s.mu.
func checkSeed(c *collection, docs []map[string]any) (map[string]bool, error) {
	seen := map[string]bool{}
	for i, d := range docs {
		v, has := d["_id"]
		if !has {
			continue
		}
		id, ok := v.(string)
		switch {
		case !ok || id == "":
			return nil, fmt.Errorf("document %d: _id must be a non-empty string", i)
		case seen[id]:
			return nil, fmt.Errorf("document %d: _id %s appears twice", i, id)
		}
		if _, taken := c.docs[id]; taken {
			return nil, fmt.Errorf("document %d: %s %s already exists", i, c.model, id)
		}
		seen[id] = true
	}
	return seen, nil
}

// parseTimeMember reads a timestamp member.
func parseTimeMember(v any) (time.Time, bool) {
	str, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, str)
	return t, err == nil
}

// decodeObjects decodes data as one JSON object or an array of objects.
func decodeObjects(data []byte) ([]map[string]any, error) {
	var v any
	if err := decodeJSON(data, &v); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}, nil
	case []any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("element %d is not a JSON object", i)
			}
			out[i] = m
		}
		return out, nil
	}
	return nil, errors.New("not a JSON object or an array of objects")
}
