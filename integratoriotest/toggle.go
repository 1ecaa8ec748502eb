package integratoriotest

import "net/http"

// toggleHandler serves an endpoint that flips a boolean member of a
// document (PUT /ashares/{id}/disable, PUT /environments/{id}/enable), as
// the API does: each call flips it, whatever its state, so a call sent
// twice undoes itself. A missing member counts as absent, its value: the
// first call sets it !absent. guard, when non-nil, refuses a toggle of
// the stored document. Answers 204; an unknown document is 404.
func (s *Server) toggleHandler(c *collection, member string, absent bool, guard func(doc map[string]any) error) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := requestObject(r, true); err != nil {
			return err
		}
		s.mu.Lock()
		_, err := s.replace(c, r.PathValue("id"), func(doc map[string]any) (map[string]any, error) {
			if guard != nil {
				if err := guard(doc); err != nil {
					return nil, err
				}
			}
			on, ok := doc[member].(bool)
			if !ok {
				on = absent
			}
			doc[member] = !on
			return doc, nil
		})
		s.mu.Unlock()
		if err != nil {
			return err
		}
		writeNoContent(w)
		return nil
	})
}
