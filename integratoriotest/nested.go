package integratoriotest

import (
	"bytes"
	"io"
	"net/http"
)

// nestedRoutes readies the document endpoints of a resource whose
// documents belong to a document of another resource, such as the
// licenses of a connector (/connectors/{parent}/licenses[/{id}]): the
// parent must exist (else 404), a document of another parent is 404, and
// a create or PUT stores the parent's id at rs.parentKey whatever the body
// says. It returns the collection's path pattern, its list handler and the
// wrapper of the other handlers.
func (s *Server) nestedRoutes(rs *resourceSpec, c *collection) (string, http.HandlerFunc, func(http.HandlerFunc) http.HandlerFunc) {
	parents := s.colls[rs.parent]
	parentOf := func(r *http.Request) (string, error) {
		id := r.PathValue("parent")
		s.mu.Lock()
		_, ok := parents.get(id)
		s.mu.Unlock()
		if !ok {
			return "", notFound(parents.model, id)
		}
		return id, nil
	}
	belongs := func(doc []byte, parent string) bool {
		var d map[string]any
		return decodeJSON(doc, &d) == nil && d[rs.parentKey] == parent
	}
	list := s.listHandler(rs, c, func(r *http.Request) (func([]byte) bool, error) {
		parent, err := parentOf(r)
		if err != nil {
			return nil, err
		}
		return func(doc []byte) bool { return belongs(doc, parent) }, nil
	})
	wrap := func(h http.HandlerFunc) http.HandlerFunc {
		return orError(func(w http.ResponseWriter, r *http.Request) error {
			parent, err := parentOf(r)
			if err != nil {
				return err
			}
			if id := r.PathValue("id"); id != "" {
				s.mu.Lock()
				doc, ok := c.get(id)
				s.mu.Unlock()
				if !ok || !belongs(doc, parent) {
					return notFound(c.model, id)
				}
			}
			if r.Method == http.MethodPost || r.Method == http.MethodPut {
				body, err := requestObject(r, false)
				if err != nil {
					return err
				}
				body[rs.parentKey] = parent
				b, err := encodeJSON(body)
				if err != nil {
					return err
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			}
			h(w, r)
			return nil
		})
	}
	return "/" + rs.parent + "/{parent}/" + c.name, list, wrap
}
