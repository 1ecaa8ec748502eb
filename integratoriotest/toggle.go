package integratoriotest

import "net/http"

// actionHandler serves an endpoint that changes a stored document on its
// own terms (PUT /ashares/{id}/disable, …/reinvite): its body, when any,
// must be a JSON object and is not read; change is applied to the document
// under the lock, with a new lastModified, or refuses it (nothing
// changes). Answers 204; an unknown document is 404.
func (s *Server) actionHandler(c *collection, change func(doc map[string]any) error) http.HandlerFunc {
	return noContent(func(r *http.Request) error {
		if _, err := requestObject(r, true); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		_, err := s.replace(c, r.PathValue("id"), func(doc map[string]any) (map[string]any, error) {
			return doc, change(doc)
		})
		return err
	})
}

// toggle is the change of an endpoint that flips a boolean member (a
// user's disable, an environment's enable), as the API's do: each call
// flips it, whatever its state, so a call sent twice undoes itself. A
// missing member counts as absent, its value: the first call sets it
// !absent. guard, when non-nil, refuses a toggle of the stored document.
func toggle(member string, absent bool, guard func(doc map[string]any) error) func(doc map[string]any) error {
	return func(doc map[string]any) error {
		if guard != nil {
			if err := guard(doc); err != nil {
				return err
			}
		}
		on, ok := doc[member].(bool)
		if !ok {
			on = absent
		}
		doc[member] = !on
		return nil
	}
}
