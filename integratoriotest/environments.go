package integratoriotest

import "net/http"

// environmentRoutes registers PUT /environments/{id}/enable, which flips
// the environment's enabled member (created true).
func (s *Server) environmentRoutes(c *collection) {
	s.handle(http.MethodPut, "/environments/{id}/enable", s.actionHandler(c, toggle("enabled", true, nil)))
}
