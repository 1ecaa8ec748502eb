package integratoriotest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path"
	"slices"
)

// stateRoutes registers the state endpoints: the account's (/state) when
// c is nil, else those of each document of c (/<name>/{id}/state). See
// serveState.
//
// A document's keys are routed as /<name>/{id}/{sub}/{key}, answered
// only when sub is "state", because a resource's own routes may have a
// wildcard there, which the mux cannot tell from "state": a flow's step
// errors, /flows/{id}/{step}/errors. Such routes hand a request for step
// "state" over with orState.
func (s *Server) stateRoutes(c *collection) {
	h := s.serveState(c)
	base, keyed := "/state", "/state/{key}"
	if c != nil {
		base, keyed = "/"+c.name+"/{id}/state", "/"+c.name+"/{id}/{sub}/{key}"
	}
	s.handle(http.MethodGet, base, h)
	s.handle(http.MethodDelete, base, h)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		s.handle(m, keyed, h)
	}
}

// orState wraps h, a handler of a route /<name>/{id}/{step}/<op> of c, so
// that a request whose step is "state" is served as the document's state
// key op (see stateRoutes).
func (s *Server) orState(c *collection, h http.HandlerFunc) http.HandlerFunc {
	state := s.serveState(c)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("step") != "state" {
			h(w, r)
			return
		}
		r.SetPathValue("sub", "state")
		r.SetPathValue("key", path.Base(r.URL.Path))
		state(w, r)
	}
}

// serveState serves the keys of one state scope, as the real service
// does. Values are any JSON, stored and answered as given.
//
//	GET    <base>        200 {"keys":[...]} (sorted), or 204 when there are none
//	DELETE <base>        deletes every key
//	GET    <base>/{key}  200 with the value, or 404
//	PUT    <base>/{key}  stores the body: 201 "Created" for a new key, 200 "OK"
//	                     for an existing one, both in plain text
//	DELETE <base>/{key}  deletes the key, or 404
//
// A delete answers 204 for the account's state and 200 (without a body)
// for a document's; a document that does not exist is 404.
func (s *Server) serveState(c *collection) http.HandlerFunc {
	deleted := http.StatusNoContent
	if c != nil {
		deleted = http.StatusOK
	}
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		sub := r.PathValue("sub")
		if (sub != "" && sub != "state") || !slices.Contains([]string{http.MethodGet, http.MethodPut, http.MethodDelete}, r.Method) {
			return &apiError{status: http.StatusNotFound, code: "not_found", msg: "no route for " + r.Method + " " + r.URL.Path}
		}
		var value []byte
		if r.Method == http.MethodPut {
			var err error
			if value, err = requestBody(r); err != nil {
				return err
			} else if value == nil {
				return badRequest("invalid_json", "", "the request body must be the JSON value to store")
			}
		}
		id, key := r.PathValue("id"), r.PathValue("key")
		s.mu.Lock()
		defer s.mu.Unlock()
		if c != nil {
			if _, ok := c.get(id); !ok {
				return notFound(c.model, id)
			}
		}
		scope := stateScopeOf(c, id)
		keys := s.side.state[scope]
		v, exists := keys[key]
		switch {
		case r.Method == http.MethodPut:
			s.setState(scope, key, value)
			if exists {
				writeText(w, http.StatusOK, "OK")
			} else {
				writeText(w, http.StatusCreated, "Created")
			}
		case key == "" && r.Method == http.MethodGet:
			if len(keys) == 0 {
				writeNoContent(w)
				return nil
			}
			writeJSON(w, http.StatusOK, map[string][]string{"keys": slices.Sorted(maps.Keys(keys))})
		case key == "" && r.Method == http.MethodDelete:
			delete(s.side.state, scope)
			w.WriteHeader(deleted)
		case !exists:
			return notFound("State key", key)
		case r.Method == http.MethodGet:
			writeRaw(w, http.StatusOK, v)
		default:
			delete(keys, key)
			w.WriteHeader(deleted)
		}
		return nil
	})
}

// stateScopeOf names the state of document id of c, or the account's
// when c is nil, in sideState.state.
func stateScopeOf(c *collection, id string) string {
	if c == nil {
		return ""
	}
	return c.name + "/" + id
}

// setState stores value under key of scope. The caller holds s.mu.
func (s *Server) setState(scope, key string, value []byte) {
	if s.side.state == nil {
		s.side.state = map[string]map[string][]byte{}
	}
	if s.side.state[scope] == nil {
		s.side.state[scope] = map[string][]byte{}
	}
	s.side.state[scope][key] = slices.Clone(value)
}

// writeText answers status with a plain-text body.
func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

// SetState stores value, which must be JSON, under key of the account's
// state (/state), as a PUT would.
func (s *Server) SetState(key string, value []byte) error {
	return s.seedState(nil, "", key, value)
}

// SetResourceState stores value, which must be JSON, under key of the
// state of document id of resourceType (/{resourceType}/{id}/state), such
// as SetResourceState("imports", importID, "cursor", value). The document
// need not exist yet; its state is answered only while it does, and goes
// when it is deleted.
func (s *Server) SetResourceState(resourceType, id, key string, value []byte) error {
	c, err := s.stateCollection(resourceType)
	if err == nil && id == "" {
		err = fmt.Errorf("empty id")
	}
	if err != nil {
		return fmt.Errorf("integratoriotest: SetResourceState: %w", err)
	}
	return s.seedState(c, id, key, value)
}

func (s *Server) seedState(c *collection, id, key string, value []byte) error {
	if key == "" || !json.Valid(value) {
		return fmt.Errorf("integratoriotest: setting state: the key must not be empty and the value must be JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setState(stateScopeOf(c, id), key, value)
	return nil
}

// StateJSON returns a copy of the value of key of the account's state, as
// stored, and whether it exists.
func (s *Server) StateJSON(key string) (json.RawMessage, bool) {
	return s.stateJSON(nil, "", key)
}

// ResourceStateJSON returns a copy of the value of key of the state of
// document id of resourceType, as stored, and whether it exists.
func (s *Server) ResourceStateJSON(resourceType, id, key string) (json.RawMessage, bool) {
	c, err := s.stateCollection(resourceType)
	if err != nil {
		return nil, false
	}
	return s.stateJSON(c, id, key)
}

func (s *Server) stateJSON(c *collection, id, key string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.side.state[stateScopeOf(c, id)][key]
	return slices.Clone(v), ok
}

// stateCollection returns the collection of a resource whose documents
// have state.
func (s *Server) stateCollection(resourceType string) (*collection, error) {
	for _, rs := range s.table {
		if rs.name == resourceType && rs.state {
			return s.colls[rs.name], nil
		}
	}
	return nil, fmt.Errorf("resource %q has no state", resourceType)
}
