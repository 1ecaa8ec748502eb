package integratoriotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The endpoints a deploy uses beyond the documents: connection
// registration, swapping a connection, and the dependencies of a
// document.

// deployRoutes registers connection registration on integrations and
// replaceConnection on flows, exports and imports.
func (s *Server) deployRoutes() {
	s.handle(http.MethodPut, "/integrations/{id}/connections/register", noContent(s.registerConnections))
	s.handle(http.MethodDelete, "/integrations/{id}/connections/{connectionId}/register", noContent(s.deregisterConnection))
	for _, name := range []string{"flows", "exports", "imports"} {
		if c, ok := s.colls[name]; ok {
			s.handle(http.MethodPut, "/"+name+"/{id}/replaceConnection", s.replaceConnection(c))
		}
	}
}

// registerConnections serves PUT /integrations/{id}/connections/register
// with a JSON array of connection ids: each must name a stored connection
// (else 400 invalid_ref, and nothing changes); they are added to the
// integration's _registeredConnectionIds, once each. Answers 204.
func (s *Server) registerConnections(r *http.Request) error {
	body, err := requestBody(r)
	if err != nil {
		return err
	}
	var ids []string
	if body == nil || json.Unmarshal(body, &ids) != nil || len(ids) == 0 || slices.Contains(ids, "") {
		return badRequest("invalid_json", "", "the request body must be a non-empty JSON array of connection ids")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := s.colls["connections"]
	for _, cid := range ids {
		if _, ok := conns.get(cid); !ok {
			return badRequest("invalid_ref", "", "%s names no connection", cid)
		}
	}
	_, err = s.replace(s.integrations, r.PathValue("id"), func(doc map[string]any) (map[string]any, error) {
		have := stringsOf(doc["_registeredConnectionIds"])
		for _, cid := range ids {
			if !slices.Contains(have, cid) {
				have = append(have, cid)
			}
		}
		doc["_registeredConnectionIds"] = have
		return doc, nil
	})
	return err
}

// deregisterConnection serves DELETE
// /integrations/{id}/connections/{connectionId}/register: 204, or 404 when
// the integration does not exist or has not registered the connection.
func (s *Server) deregisterConnection(r *http.Request) error {
	cid := r.PathValue("connectionId")
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.replace(s.integrations, r.PathValue("id"), func(doc map[string]any) (map[string]any, error) {
		have := stringsOf(doc["_registeredConnectionIds"])
		if !slices.Contains(have, cid) {
			return nil, &apiError{status: http.StatusNotFound, code: "not_found", msg: fmt.Sprintf("connection %s is not registered with integration %s", cid, r.PathValue("id"))}
		}
		doc["_registeredConnectionIds"] = slices.DeleteFunc(have, func(x string) bool { return x == cid })
		return doc, nil
	})
	return err
}

// noContent serves h on orError: 204 when h returns nil, else its error.
func noContent(h func(r *http.Request) error) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		if err := h(r); err != nil {
			return err
		}
		writeNoContent(w)
		return nil
	})
}

// stringsOf returns the strings of a JSON array.
func stringsOf(v any) []string {
	arr, _ := v.([]any)
	out := []string{}
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// replaceConnection serves PUT /{exports|imports|flows}/{id}/replaceConnection.
// An export or import takes {"_newConnectionId"} and uses that connection
// from then on. A flow takes {"_connectionId", "_newConnectionId"}: every
// export and import of its steps (and any step member _connectionId) that
// uses _connectionId uses the new one instead; a flow that does not use
// it is 400 invalid_ref. The new connection must exist (else 400
// invalid_ref). Answers 204.
func (s *Server) replaceConnection(c *collection) http.HandlerFunc {
	return noContent(func(r *http.Request) error {
		body, err := requestObject(r, false)
		if err != nil {
			return err
		}
		newID, _ := body["_newConnectionId"].(string)
		oldID, _ := body["_connectionId"].(string)
		if newID == "" {
			return badRequest("invalid_field", "_newConnectionId", "_newConnectionId is required")
		}
		if c.name == "flows" && oldID == "" {
			return badRequest("invalid_field", "_connectionId", "_connectionId is required: the connection the flow's steps use now")
		}
		id := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := c.get(id); !ok {
			return notFound(c.model, id)
		}
		if _, ok := s.colls["connections"].get(newID); !ok {
			return badRequest("invalid_ref", "_newConnectionId", "%s names no connection", newID)
		}
		if c.name != "flows" {
			_, err := s.replace(c, id, func(doc map[string]any) (map[string]any, error) {
				doc["_connectionId"] = newID
				return doc, nil
			})
			return err
		}
		return s.replaceFlowConnection(c, id, oldID, newID)
	})
}

// replaceFlowConnection swaps oldID for newID in the steps of flow id.
// The caller holds s.mu.
func (s *Server) replaceFlowConnection(c *collection, id, oldID, newID string) error {
	b, _ := c.get(id)
	var changed []func() error
	for _, step := range flowSteps(s, b) {
		if step.connection == oldID {
			coll, sid := step.coll, step.id
			changed = append(changed, func() error {
				_, err := s.replace(coll, sid, func(doc map[string]any) (map[string]any, error) {
					doc["_connectionId"] = newID
					return doc, nil
				})
				return err
			})
		}
	}
	var doc map[string]any
	if err := decodeJSON(b, &doc); err != nil {
		return err
	}
	rewriteConnections(doc, oldID, newID)
	after, err := encodeJSON(doc)
	if err != nil {
		return err
	}
	inFlow := string(after) != string(b) // stored documents are encoded the same way
	if len(changed) == 0 && !inFlow {
		return badRequest("invalid_ref", "_connectionId", "flow %s does not use connection %s", id, oldID)
	}
	for _, f := range changed {
		if err := f(); err != nil {
			return err
		}
	}
	if inFlow {
		_, err := s.replace(c, id, func(old map[string]any) (map[string]any, error) {
			rewriteConnections(old, oldID, newID)
			return old, nil
		})
		return err
	}
	return nil
}

// rewriteConnections replaces oldID with newID at the places a flow's
// steps hold a connection id.
func rewriteConnections(doc map[string]any, oldID, newID string) {
	for _, p := range flowConnections.referenced {
		rewritePath(doc, strings.Split(p, "."), func(v any) any {
			if v == oldID {
				return newID
			}
			return v
		})
	}
}

// flowStep is an export or import a flow's steps name.
type flowStep struct {
	coll       *collection
	id         string
	connection string // its _connectionId, "" when it has none
}

// flowStepIDs returns the ids of the exports and imports the flow b
// names: page generators, page processors, router branches' page
// processors, and the legacy top-level _exportId and _importId.
func flowStepIDs(b []byte) []string {
	var f struct {
		ExportID       string `json:"_exportId"`
		ImportID       string `json:"_importId"`
		PageGenerators []struct {
			ExportID string `json:"_exportId"`
		} `json:"pageGenerators"`
		PageProcessors []stepRef `json:"pageProcessors"`
		Routers        []struct {
			Branches []struct {
				PageProcessors []stepRef `json:"pageProcessors"`
			} `json:"branches"`
		} `json:"routers"`
	}
	_ = json.Unmarshal(b, &f)
	ids := []string{f.ExportID, f.ImportID}
	for _, pg := range f.PageGenerators {
		ids = append(ids, pg.ExportID)
	}
	pps := f.PageProcessors
	for _, r := range f.Routers {
		for _, br := range r.Branches {
			pps = append(pps, br.PageProcessors...)
		}
	}
	for _, pp := range pps {
		ids = append(ids, pp.ExportID, pp.ImportID)
	}
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == "" })
	slices.Sort(ids)
	return slices.Compact(ids)
}

type stepRef struct {
	ExportID string `json:"_exportId"`
	ImportID string `json:"_importId"`
}

// flowSteps returns the stored exports and imports the flow b names,
// with their connections. The caller holds s.mu.
func flowSteps(s *Server, b []byte) []flowStep {
	var out []flowStep
	for _, id := range flowStepIDs(b) {
		for _, name := range []string{"exports", "imports"} {
			c := s.colls[name]
			if c == nil {
				continue
			}
			doc, ok := c.get(id)
			if !ok {
				continue
			}
			var d struct {
				ConnectionID string `json:"_connectionId"`
			}
			_ = json.Unmarshal(doc, &d)
			out = append(out, flowStep{coll: c, id: id, connection: d.ConnectionID})
		}
	}
	return out
}

// dependencies serves GET /<name>/{id}/dependencies: for each resource
// type, the stored documents (but the document itself, jobs and the
// audit log) that hold the id as a member value, each as {"id", "name",
// "paths"} with the places it is named ("pageGenerators[0]._exportId").
// An empty object means nothing depends on it. An unknown document is
// 404.
func (s *Server) dependencies(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := c.get(id); !ok {
			return notFound(c.model, id)
		}
		out := map[string][]map[string]any{}
		for i := range s.table {
			rs := &s.table[i]
			if rs.ownRoutes {
				continue
			}
			other := s.colls[rs.name]
			for _, oid := range other.order {
				if other == c && oid == id {
					continue
				}
				var doc map[string]any
				if decodeJSON(other.docs[oid], &doc) != nil {
					continue
				}
				var paths []string
				findValue(doc, id, "", &paths)
				if len(paths) == 0 {
					continue
				}
				sort.Strings(paths)
				out[rs.name] = append(out[rs.name], map[string]any{"id": oid, "name": doc["name"], "paths": paths})
			}
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// findValue appends to paths the path of every string member of v equal
// to want, below prefix.
func findValue(v any, want, prefix string, paths *[]string) {
	switch x := v.(type) {
	case string:
		if x == want && prefix != "" {
			*paths = append(*paths, prefix)
		}
	case map[string]any:
		for k, e := range x {
			if k == "_id" && prefix == "" {
				continue
			}
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			findValue(e, want, p, paths)
		}
	case []any:
		for i, e := range x {
			findValue(e, want, prefix+"["+strconv.Itoa(i)+"]", paths)
		}
	}
}
