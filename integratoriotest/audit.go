package integratoriotest

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"
)

// The audit log: every create, change and delete made through the
// server's routes (documents, clones, PATCH, the connector push, …) writes
// an entry, as the real service does; jobs, which the platform changes,
// do not. Entries are stored in the "audit" collection, so tests can seed
// them (AddJSON("audit", …)) and read them (IDs, DocumentJSON).

// audit writes the entry of a change to document id of c at t: before
// and after are the document before and after an update, whose changed
// top-level members the entry names (changedFields). The caller holds
// s.mu.
func (s *Server) audit(c *collection, id, action string, t time.Time, before, after map[string]any) {
	if s.auditLog == nil || !s.audited(c) {
		return
	}
	entry := map[string]any{
		"_id":          s.freshID(s.auditLog, t, nil),
		"resourceType": strings.ToLower(c.model),
		"_resourceId":  id,
		"_byUserId":    s.UserID(),
		"source":       "api",
		"action":       action,
		"time":         formatTime(t),
	}
	if action == "update" {
		var changed []string
		for _, k := range slices.Sorted(maps.Keys(mergeKeys(before, after))) {
			if k != "lastModified" && !reflect.DeepEqual(before[k], after[k]) {
				changed = append(changed, k)
			}
		}
		entry["changedFields"] = changed
	}
	if b, err := encodeJSON(entry); err == nil {
		s.auditLog.put(entry["_id"].(string), b)
	}
}

// audited reports whether changes to c are audited: those of a resource
// with document routes.
func (s *Server) audited(c *collection) bool {
	for i := range s.table {
		if s.table[i].name == c.name {
			return !s.table[i].ownRoutes
		}
	}
	return false
}

func mergeKeys(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, b)
	return out
}

// auditRoutes registers GET /audit: the entries, oldest first, narrowed
// by resourceType, _resourceId, _byUserId, source and action (exact
// matches) and from and to (inclusive, RFC 3339), paged as every list.
func (s *Server) auditRoutes(c *collection) {
	rs := &resourceSpec{name: c.name, model: c.model}
	s.handle(http.MethodGet, "/audit", s.listHandler(rs, c, func(r *http.Request) (func([]byte) bool, error) {
		return auditFilter(r, nil)
	}))
}

// resourceAudit serves GET /<name>/{id}/audit: the entries of the
// document and of its descendants (see descendants). An unknown document
// is 404.
func (s *Server) resourceAudit(c *collection) http.HandlerFunc {
	if s.auditLog == nil {
		return func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, "not_found", "", "no route for "+r.Method+" "+r.URL.Path)
		}
	}
	entries := &resourceSpec{name: s.auditLog.name, model: s.auditLog.model}
	return s.listHandler(entries, s.auditLog, func(r *http.Request) (func([]byte) bool, error) {
		id := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := c.get(id); !ok {
			return nil, notFound(c.model, id)
		}
		return auditFilter(r, s.descendants(c, id))
	})
}

// descendants returns the ids of the document id of c and of the
// documents under it: for an integration, the documents whose
// _integrationId is id and the exports and imports its flows name; for a
// flow, the exports and imports it names. The caller holds s.mu.
func (s *Server) descendants(c *collection, id string) map[string]bool {
	out := map[string]bool{id: true}
	switch c.name {
	case "integrations":
		for _, other := range s.colls {
			for _, oid := range other.order {
				var d struct {
					IntegrationID any `json:"_integrationId"`
				}
				if json.Unmarshal(other.docs[oid], &d) == nil && d.IntegrationID == id {
					out[oid] = true
					if other.name == "flows" {
						for _, step := range flowStepIDs(other.docs[oid]) {
							out[step] = true
						}
					}
				}
			}
		}
	case "flows":
		b, _ := c.get(id)
		for _, step := range flowStepIDs(b) {
			out[step] = true
		}
	}
	return out
}

// auditFilter matches the entries the query selects, and, when ids is
// non-nil, only those of the resources it holds.
func auditFilter(r *http.Request, ids map[string]bool) (func([]byte) bool, error) {
	q := r.URL.Query()
	var bounds [2]time.Time
	for i, k := range []string{"from", "to"} {
		if v := q.Get(k); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, badRequest("invalid_query_params", k, "%s must be an RFC 3339 time", k)
			}
			bounds[i] = t
		}
	}
	exact := map[string]string{}
	for _, k := range []string{"resourceType", "_resourceId", "_byUserId", "source", "action"} {
		if v := q.Get(k); v != "" {
			exact[k] = v
		}
	}
	return func(b []byte) bool {
		var e map[string]any
		if json.Unmarshal(b, &e) != nil {
			return false
		}
		for k, v := range exact {
			if e[k] != v {
				return false
			}
		}
		if ids != nil {
			if id, _ := e["_resourceId"].(string); !ids[id] {
				return false
			}
		}
		t, ok := parseTimeMember(e["time"])
		if (!bounds[0].IsZero() || !bounds[1].IsZero()) && !ok {
			return false
		}
		return (bounds[0].IsZero() || !t.Before(bounds[0])) && (bounds[1].IsZero() || !t.After(bounds[1]))
	}, nil
}
