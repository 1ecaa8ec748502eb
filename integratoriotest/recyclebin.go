package integratoriotest

import (
	"encoding/json"
	"net/http"
	"slices"
)

// The recycle bin: every document deleted through the routes is kept, as
// the API keeps it for 30 days (the fake keeps it until restored, purged
// or the server closes).
//
//	GET    /v1/recycleBinTTL[/{type}]                    200 [{"model","doc"}], 204 when none
//	GET    /v1/recycleBinTTL/{type}/{id}                 200 {"model","doc"}, or 404
//	POST   /v1/recycleBinTTL/{type}/{id}[/doCascadeRestore]  204: the document is back
//	       (409 when a document of that id exists again)
//	DELETE /v1/recycleBinTTL/{type}/{id}                 204: gone for good

// binned is one document of the recycle bin.
type binned struct {
	c   *collection
	id  string
	doc []byte
}

// toBin keeps a document being deleted. The caller holds s.mu.
func (s *Server) toBin(c *collection, id string, doc []byte) {
	s.side.bin = append(s.side.bin, binned{c, id, doc})
}

// binEntry is the answer for one binned document.
func binEntry(b binned) map[string]any {
	return map[string]any{"model": b.c.model, "doc": json.RawMessage(b.doc)}
}

// binFind returns the index of the binned document of type typ and id,
// or -1. The caller holds s.mu.
func (s *Server) binFind(typ, id string) int {
	return slices.IndexFunc(s.side.bin, func(b binned) bool { return b.c.name == typ && b.id == id })
}

// inBin adapts a handler of one binned document: it runs h with s.mu
// held and the document's index, or answers 404.
func (s *Server) inBin(h func(w http.ResponseWriter, i int) error) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		i := s.binFind(r.PathValue("type"), r.PathValue("id"))
		if i < 0 {
			return notFound("Deleted document", r.PathValue("id"))
		}
		return h(w, i)
	})
}

// recycleBinRoutes registers the recycle bin's endpoints.
func (s *Server) recycleBinRoutes() {
	list := func(w http.ResponseWriter, r *http.Request) error {
		typ := r.PathValue("type")
		if _, ok := s.colls[typ]; typ != "" && !ok {
			return badRequest("invalid_resource_type", "type", "%q is not a resource type of the recycle bin", typ)
		}
		s.mu.Lock()
		out := []map[string]any{}
		for _, b := range s.side.bin {
			if typ == "" || b.c.name == typ {
				out = append(out, binEntry(b))
			}
		}
		s.mu.Unlock()
		if len(out) == 0 {
			writeNoContent(w)
			return nil
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	s.handle(http.MethodGet, "/recycleBinTTL", orError(list))
	s.handle(http.MethodGet, "/recycleBinTTL/{type}", orError(list))
	s.handle(http.MethodGet, "/recycleBinTTL/{type}/{id}", s.inBin(func(w http.ResponseWriter, i int) error {
		writeJSON(w, http.StatusOK, binEntry(s.side.bin[i]))
		return nil
	}))
	restore := s.inBin(func(w http.ResponseWriter, i int) error {
		b := s.side.bin[i]
		if _, exists := b.c.get(b.id); exists {
			return &apiError{status: http.StatusConflict, code: "conflict", msg: b.c.model + " " + b.id + " exists already"}
		}
		b.c.put(b.id, b.doc)
		s.side.bin = slices.Delete(s.side.bin, i, i+1)
		s.audit(b.c, b.id, "restore", s.tick(), nil, nil)
		writeNoContent(w)
		return nil
	})
	s.handle(http.MethodPost, "/recycleBinTTL/{type}/{id}", restore)
	s.handle(http.MethodPost, "/recycleBinTTL/{type}/{id}/doCascadeRestore", restore)
	s.handle(http.MethodDelete, "/recycleBinTTL/{type}/{id}", s.inBin(func(w http.ResponseWriter, i int) error {
		s.side.bin = slices.Delete(s.side.bin, i, i+1)
		writeNoContent(w)
		return nil
	}))
}
