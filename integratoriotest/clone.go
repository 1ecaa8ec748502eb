package integratoriotest

import (
	"net/http"
	"slices"
	"sort"
	"strings"
)

// cloneHandler serves POST /<name>/{id}/clone: it copies the document
// under a new id and answers 201 with the copy, or with the list of what
// it created ([{"model","_id","name"}]) under WithCloneResponse
// (CloneReturnsCreated).
//
// The body may hold name (default "Clone - <name>"), connectionMap
// {"<old id>": "<new id>"} and what the resource's clone function reads.
// The map rewrites the connection ids the resource's connectionRefs name;
// a referenced connection the map leaves out is 400 invalid_connectionMap
// (see connectionRefs.apply).
func (s *Server) cloneHandler(rs *resourceSpec, c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		body, err := requestObject(r, true)
		if err != nil {
			return err
		}
		opts, err := parseCloneBody(body)
		if err != nil {
			return err
		}
		s.mu.Lock()
		doc, out, err := s.cloneLocked(rs, c, id, opts)
		if err == nil && c == s.integrations {
			s.markStandalone(doc["_id"].(string))
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if s.opts.cloneResponse == CloneReturnsCreated {
			writeJSON(w, http.StatusCreated, []map[string]any{{
				"model": c.model,
				"_id":   doc["_id"],
				"name":  doc["name"],
			}})
			return nil
		}
		writeDocument(w, http.StatusCreated, rs, out)
		return nil
	})
}

// cloneLocked stores a copy of the document id and returns it, decoded
// and encoded. The caller holds s.mu.
func (s *Server) cloneLocked(rs *resourceSpec, c *collection, id string, opts *cloneBody) (map[string]any, []byte, error) {
	src, ok := c.get(id)
	if !ok {
		return nil, nil, notFound(c.model, id)
	}
	var doc map[string]any
	if err := decodeJSON(src, &doc); err != nil {
		return nil, nil, err
	}
	if err := rs.clone(s, doc, opts); err != nil {
		return nil, nil, err
	}
	if err := rs.connections.apply(doc, opts.connectionMap); err != nil {
		return nil, nil, err
	}
	name := opts.name
	if name == "" {
		orig, _ := doc["name"].(string)
		name = "Clone - " + orig
	}
	doc["name"] = name
	out, err := s.insert(c, doc)
	return doc, out, err
}

// copyAsIs readies nothing: the copy of an export or import is the
// document with a new name and its connection mapped.
func copyAsIs(*Server, map[string]any, *cloneBody) error { return nil }

// ownConnection: an export or import uses the connection its
// _connectionId names, which a clone's connectionMap must map (webhook
// and simple exports have none, and need no map).
var ownConnection = connectionRefs{referenced: []string{"_connectionId"}, mapRequired: true}

// cloneBody is a parsed clone request body.
type cloneBody struct {
	name          string
	tag           *string
	sandbox       *bool
	integrationID *string // _integrationId: where a copied flow goes
	connectionMap map[string]string
}

func parseCloneBody(m map[string]any) (*cloneBody, error) {
	var b cloneBody
	name, err := optional[string](m, "name", jsonString)
	if err != nil {
		return nil, err
	}
	if name != nil {
		b.name = *name
	}
	if b.tag, err = optional[string](m, "tag", jsonString); err != nil {
		return nil, err
	}
	if b.integrationID, err = optional[string](m, "_integrationId", jsonString); err != nil {
		return nil, err
	}
	if b.sandbox, err = optional[bool](m, "sandbox", jsonBool); err != nil {
		return nil, err
	}
	if v, ok := m["connectionMap"]; ok && v != nil {
		cm, isObj := v.(map[string]any)
		if !isObj {
			return nil, badRequest("invalid_connectionMap", "connectionMap", "connectionMap must be an object of connection ids")
		}
		b.connectionMap = make(map[string]string, len(cm))
		for from, to := range cm {
			s, isString := to.(string)
			if from == "" || !isString || s == "" {
				return nil, badRequest("invalid_connectionMap", "connectionMap", "connectionMap[%q] must be a non-empty connection id", from)
			}
			b.connectionMap[from] = s
		}
	}
	return &b, nil
}

// optional returns the member key of m, nil when it is missing or null, or
// 400 invalid_field when it is not of type t.
func optional[T any](m map[string]any, key string, t jsonType) (*T, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	x, isT := v.(T)
	if !isT {
		return nil, badRequest("invalid_field", key, "%s must be %s", key, t)
	}
	return &x, nil
}

// connectionRefs names where a document holds connection ids, as member
// paths: "a.b" is member b of member a, "a[]" each element of the array a,
// "*" each member of an object. A path that does not fit the document
// (a missing member, another type) names nothing.
type connectionRefs struct {
	// referenced hold the connections the document uses: with a
	// non-empty connectionMap, each must be mapped.
	referenced []string
	// loose hold ids mapped when the map names them and kept otherwise.
	loose []string
	// mapRequired refuses a clone without a connectionMap when the
	// document references any connection.
	mapRequired bool
}

// apply rewrites the connection ids of doc through cmap. A referenced
// connection that cmap does not map is 400 invalid_connectionMap when cmap
// is not empty, or when it is empty and mapRequired; an empty map
// otherwise copies the ids unchanged.
func (refs connectionRefs) apply(doc map[string]any, cmap map[string]string) error {
	var missing []string
	for _, p := range refs.referenced {
		rewritePath(doc, strings.Split(p, "."), func(v any) any {
			id, ok := v.(string)
			if !ok || id == "" {
				return v
			}
			if to, ok := cmap[id]; ok {
				return to
			}
			if !slices.Contains(missing, id) {
				missing = append(missing, id)
			}
			return v
		})
	}
	if len(missing) > 0 && (len(cmap) > 0 || refs.mapRequired) {
		sort.Strings(missing)
		return badRequest("invalid_connectionMap", "connectionMap",
			"connectionMap does not map the referenced connection(s) %s", strings.Join(missing, ", "))
	}
	for _, p := range refs.loose {
		rewritePath(doc, strings.Split(p, "."), func(v any) any {
			if id, ok := v.(string); ok {
				if to, ok := cmap[id]; ok {
					return to
				}
			}
			return v
		})
	}
	return nil
}

// rewritePath replaces each value at path below v (see connectionRefs)
// with what fn makes of it, in place.
func rewritePath(v any, path []string, fn func(any) any) any {
	if len(path) == 0 {
		return fn(v)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	seg, rest := path[0], path[1:]
	if seg == "*" {
		for k, e := range m {
			m[k] = rewritePath(e, rest, fn)
		}
		return v
	}
	key, each := strings.CutSuffix(seg, "[]")
	child, ok := m[key]
	if !ok {
		return v
	}
	if !each {
		m[key] = rewritePath(child, rest, fn)
		return v
	}
	if arr, ok := child.([]any); ok {
		for i, e := range arr {
			arr[i] = rewritePath(e, rest, fn)
		}
	}
	return v
}
