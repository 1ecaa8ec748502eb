package integratoriotest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// lookupCacheFields are the typed members of a lookup cache.
var lookupCacheFields = fieldTypes{"name": jsonString, "description": jsonString, "_integrationId": jsonString}

// The limits of one lookup-cache data call, as the real service states
// them: at most MaxLookupCacheEntries entries, and a request body of at
// most MaxLookupCacheBody bytes. Beyond either the call is answered 400
// and stores nothing.
const (
	// MaxLookupCacheEntries is the most entries (or keys) one data call
	// takes.
	MaxLookupCacheEntries = 1000
	// MaxLookupCacheBody is the largest request body, in bytes, one data
	// call takes (5 MB).
	MaxLookupCacheBody = 5_000_000
)

// lookupCacheRoutes registers the data endpoints of a lookup cache:
//
//	POST   /lookupcaches/{id}/data        {"data":[{"key","value"}]}: stores the entries, 204
//	POST   /lookupcaches/{id}/getData     {"keys":[...]} or {"startsWith":"..."}: 200 {"data":[...]}, by key
//	DELETE /lookupcaches/{id}/data        {"keys":[...]}: removes them, 204
//	DELETE /lookupcaches/{id}/data/purge  removes every entry, 204
//
// An unknown cache is 404. Keys are non-empty strings; values any JSON.
func (s *Server) lookupCacheRoutes(c *collection) {
	s.handle(http.MethodPost, "/lookupcaches/{id}/data", s.cacheData(c, s.putCacheData))
	s.handle(http.MethodPost, "/lookupcaches/{id}/getData", s.cacheData(c, s.getCacheData))
	s.handle(http.MethodDelete, "/lookupcaches/{id}/data", s.cacheData(c, s.deleteCacheData))
	s.handle(http.MethodDelete, "/lookupcaches/{id}/data/purge", s.cacheData(c, func(w http.ResponseWriter, id string, _ []byte) error {
		delete(s.side.cacheData, id)
		writeNoContent(w)
		return nil
	}))
}

// cacheData wraps a data handler: it reads the body, refuses one larger
// than MaxLookupCacheBody, takes s.mu and checks that the cache exists.
func (s *Server) cacheData(c *collection, h func(w http.ResponseWriter, id string, body []byte) error) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		body, err := requestBody(r)
		if err != nil {
			return err
		}
		if len(body) > MaxLookupCacheBody {
			return badRequest("invalid_request", "data", "the request body is %d bytes; a lookup cache call takes at most %d", len(body), MaxLookupCacheBody)
		}
		id := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := c.get(id); !ok {
			return notFound(c.model, id)
		}
		return h(w, id, body)
	})
}

func (s *Server) putCacheData(w http.ResponseWriter, id string, body []byte) error {
	var req struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	if body == nil || json.Unmarshal(body, &req) != nil || req.Data == nil {
		return badRequest("invalid_json", "data", `the body must be {"data":[{"key":"...","value":...}]}`)
	}
	if len(req.Data) > MaxLookupCacheEntries {
		return badRequest("invalid_request", "data", "%d entries; a lookup cache call takes at most %d", len(req.Data), MaxLookupCacheEntries)
	}
	entries := make(map[string]json.RawMessage, len(req.Data))
	for i, e := range req.Data {
		var key string
		if json.Unmarshal(e["key"], &key) != nil || key == "" {
			return badRequest("invalid_field", "key", "data[%d].key must be a non-empty string", i)
		}
		v := e["value"]
		if v == nil {
			v = json.RawMessage("null")
		}
		entries[key] = v
	}
	if s.side.cacheData == nil {
		s.side.cacheData = map[string]map[string]json.RawMessage{}
	}
	if s.side.cacheData[id] == nil {
		s.side.cacheData[id] = map[string]json.RawMessage{}
	}
	maps.Copy(s.side.cacheData[id], entries)
	writeNoContent(w)
	return nil
}

func (s *Server) getCacheData(w http.ResponseWriter, id string, body []byte) error {
	var req struct {
		Keys       []string `json:"keys"`
		StartsWith *string  `json:"startsWith"`
	}
	if body == nil || json.Unmarshal(body, &req) != nil || (req.Keys == nil) == (req.StartsWith == nil) {
		return badRequest("invalid_json", "keys", `the body must be {"keys":[...]} or {"startsWith":"..."}`)
	}
	if len(req.Keys) > MaxLookupCacheEntries {
		return badRequest("invalid_request", "keys", "%d keys; a lookup cache call takes at most %d", len(req.Keys), MaxLookupCacheEntries)
	}
	data := s.side.cacheData[id]
	keys := req.Keys
	if req.StartsWith != nil {
		keys = nil
		for k := range data {
			if strings.HasPrefix(k, *req.StartsWith) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	out := []map[string]json.RawMessage{}
	for _, k := range slices.Compact(keys) {
		if v, ok := data[k]; ok {
			key, _ := json.Marshal(k)
			out = append(out, map[string]json.RawMessage{"key": key, "value": v})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

func (s *Server) deleteCacheData(w http.ResponseWriter, id string, body []byte) error {
	var req struct {
		Keys []string `json:"keys"`
	}
	if body == nil || json.Unmarshal(body, &req) != nil || len(req.Keys) == 0 {
		return badRequest("invalid_json", "keys", `the body must be {"keys":[...]}`)
	}
	if len(req.Keys) > MaxLookupCacheEntries {
		return badRequest("invalid_request", "keys", "%d keys; a lookup cache call takes at most %d", len(req.Keys), MaxLookupCacheEntries)
	}
	for _, k := range req.Keys {
		delete(s.side.cacheData[id], k)
	}
	writeNoContent(w)
	return nil
}

// forgetCacheData drops the entries of a deleted cache. The caller holds
// s.mu.
func (s *Server) forgetCacheData(id string) { delete(s.side.cacheData, id) }

// LookupCacheData returns the entries of lookup cache id, by key, as
// stored (nil when it has none).
func (s *Server) LookupCacheData(id string) map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]json.RawMessage{}
	for k, v := range s.side.cacheData[id] {
		out[k] = slices.Clone(v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
