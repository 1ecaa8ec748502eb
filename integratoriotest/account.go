package integratoriotest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// accountRoutes registers the endpoints of the account rather than of a
// document: its state (/state; see serveState) and GET /tokenInfo.
func (s *Server) accountRoutes() {
	s.stateRoutes(nil)
	s.handle(http.MethodGet, "/tokenInfo", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"_userId": s.UserID(), "scope": "*"})
	})
}

// UserID returns the _userId that GET /tokenInfo answers, with scope "*":
// 24 hex digits derived from the server's token, so that every server
// with the same token answers the same id.
func (s *Server) UserID() string { return derivedID("user", s.Token) }

// derivedID returns 24 hex digits derived from kind and parts: the same
// for the same arguments, and (but for a hash collision, about one in
// 2^96) different for any others.
func derivedID(kind string, parts ...string) string {
	sum := sha256.Sum256([]byte("integratoriotest " + kind + "\x00" + strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:12])
}
