package integratoriotest

import (
	"maps"
	"net/http"
	"slices"
)

// revision is one revision of an integration: what the API answers, and
// the integration's documents when it was made (see integrationSet).
type revision struct {
	doc      map[string]any
	snapshot docSet
}

// revisionRoutes registers the revisions of integrations:
//
//	GET  /integrations/{id}/revisions             200 with the revisions, oldest first, or 204
//	GET  /integrations/{id}/revisions/{rid}       200 with one
//	POST /integrations/{id}/revisions/create      {"description"}: 201 with a new snapshot revision
//	GET  /integrations/{id}/revisions/{rid}/diff  200 {"changes":[{"resourceType","_resourceId","action"}]}
//
// A snapshot records the integration's documents; its diff lists what
// was created, updated or deleted among them since. As on the real
// service, an integration cloned through the API stands alone and its
// snapshots are refused (400, "clone must be linked to source
// integration").
func (s *Server) revisionRoutes() {
	s.handle(http.MethodGet, "/integrations/{id}/revisions", orError(func(w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		revs, err := s.revisionsOf(r.PathValue("id"))
		if err != nil {
			return err
		}
		if len(revs) == 0 {
			writeNoContent(w)
			return nil
		}
		out := make([]map[string]any, len(revs))
		for i, rv := range revs {
			out[i] = rv.doc
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}))
	s.handle(http.MethodGet, "/integrations/{id}/revisions/{rid}", s.withRevision(func(w http.ResponseWriter, _ string, rv *revision) error {
		writeJSON(w, http.StatusOK, rv.doc)
		return nil
	}))
	s.handle(http.MethodGet, "/integrations/{id}/revisions/{rid}/diff", s.withRevision(func(w http.ResponseWriter, id string, rv *revision) error {
		writeJSON(w, http.StatusOK, map[string]any{"changes": rv.snapshot.diff(s.integrationSet(id))})
		return nil
	}))
	s.handle(http.MethodPost, "/integrations/{id}/revisions/create", orError(func(w http.ResponseWriter, r *http.Request) error {
		body, err := requestObject(r, false)
		if err != nil {
			return err
		}
		desc, ok := body["description"].(string)
		if !ok || desc == "" {
			return badRequest("invalid_field", "description", "description is required")
		}
		id := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, err := s.revisionsOf(id); err != nil {
			return err
		}
		if s.side.standalone[id] {
			return badRequest("invalid_request", "", "clone must be linked to source integration: integration %s was cloned through the API and stands alone", id)
		}
		t := s.tick()
		rv := &revision{
			doc: map[string]any{
				"_id": s.freshID(s.integrations, t, nil), "_integrationId": id, "type": "snapshot",
				"status": "completed", "description": desc, "createdAt": formatTime(t), "_createdByUserId": s.UserID(),
			},
			snapshot: s.integrationSet(id),
		}
		if s.side.revisions == nil {
			s.side.revisions = map[string][]*revision{}
		}
		s.side.revisions[id] = append(s.side.revisions[id], rv)
		writeJSON(w, http.StatusCreated, rv.doc)
		return nil
	}))
}

// revisionsOf returns the revisions of integration id; an unknown
// integration is 404. The caller holds s.mu.
func (s *Server) revisionsOf(id string) ([]*revision, error) {
	if _, ok := s.integrations.get(id); !ok {
		return nil, notFound(s.integrations.model, id)
	}
	return s.side.revisions[id], nil
}

// withRevision serves a route of one revision, under s.mu; an unknown
// integration or revision is 404.
func (s *Server) withRevision(h func(w http.ResponseWriter, id string, rv *revision) error) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		id, rid := r.PathValue("id"), r.PathValue("rid")
		s.mu.Lock()
		defer s.mu.Unlock()
		revs, err := s.revisionsOf(id)
		if err != nil {
			return err
		}
		for _, rv := range revs {
			if rv.doc["_id"] == rid {
				return h(w, id, rv)
			}
		}
		return notFound("Revision", rid)
	})
}

// docSet is documents by collection name and id, as stored.
type docSet map[string]map[string][]byte

// add records document id of c.
func (d docSet) add(c *collection, id string) {
	b, ok := c.get(id)
	if !ok {
		return
	}
	if d[c.name] == nil {
		d[c.name] = map[string][]byte{}
	}
	d[c.name][id] = b
}

// diff lists what changed from d to now: documents created, updated or
// deleted, by collection and id.
func (d docSet) diff(now docSet) []map[string]any {
	out := []map[string]any{}
	names := slices.Sorted(maps.Keys(mergeKeys(anyKeys(d), anyKeys(now))))
	for _, name := range names {
		ids := slices.Sorted(maps.Keys(mergeKeys(anyKeys(d[name]), anyKeys(now[name]))))
		for _, id := range ids {
			before, had := d[name][id]
			after, has := now[name][id]
			action := ""
			switch {
			case !had:
				action = "create"
			case !has:
				action = "delete"
			case string(before) != string(after):
				action = "update"
			default:
				continue
			}
			out = append(out, map[string]any{"resourceType": name, "_resourceId": id, "action": action})
		}
	}
	return out
}

// anyKeys returns m's keys as a set.
func anyKeys[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// templateKinds are the resources an integration's snapshot and template
// zip hold.
var templateKinds = []string{"integrations", "connections", "exports", "imports", "scripts", "flows", "lookupcaches"}

// integrationSet returns the documents of integration id: the
// integration, every document of templateKinds whose _integrationId is
// id, the exports and imports its flows name and the connections those
// use. The caller holds s.mu.
func (s *Server) integrationSet(id string) docSet {
	set := docSet{}
	set.add(s.integrations, id)
	c := s.integrations
	for oid := range s.descendants(c, id) {
		for _, name := range templateKinds {
			if c := s.colls[name]; c != nil && c != s.integrations {
				set.add(c, oid)
			}
		}
	}
	for _, b := range set["flows"] {
		s.addSteps(set, b)
	}
	return set
}

// addSteps adds to set the exports and imports the flow b names and the
// connections they use. The caller holds s.mu.
func (s *Server) addSteps(set docSet, b []byte) {
	for _, st := range flowSteps(s, b) {
		set.add(st.coll, st.id)
		if st.connection != "" {
			set.add(s.colls["connections"], st.connection)
		}
	}
}

// markStandalone records that integration id was cloned through the API.
// The caller holds s.mu.
func (s *Server) markStandalone(id string) {
	if s.side.standalone == nil {
		s.side.standalone = map[string]bool{}
	}
	s.side.standalone[id] = true
}
