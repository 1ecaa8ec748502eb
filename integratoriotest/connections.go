package integratoriotest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"github.com/integratorio-go/integratorio"
)

// connectionFields are the typed members of a connection document. A
// connection's type is required (see resourceTable) but not checked
// against a list: the API's list of types grows. A PATCH may change any
// member: the API takes only some (name, debugDate, some http members),
// and its docs do not list them all.
var connectionFields = fieldTypes{
	"name": jsonString, "type": jsonString, "_integrationId": jsonString, "_connectorId": jsonString,
	"externalId": jsonString, "debugDate": jsonString, "offline": jsonBool, "sandbox": jsonBool,
	"settings": jsonObject,
}

// PingAnswer is how the server answers the pings of a connection (GET, or
// POST as the web app sends it, /connections/{id}/ping). The zero
// PingAnswer, every connection's default, is a working connection:
// 200 {"code":200}.
type PingAnswer struct {
	// Status is the HTTP status: 0 is 200. A 2xx status (but 204 and
	// 205) answers a body {"code":Code,"errors":Errors}; 400 to 599
	// answer the API's error envelope holding Errors, as when the API
	// refuses the connection's settings. The SDK takes a 401, 403, 404, 405 or
	// 429 for the request's error, not the connection's, and retries a 5xx.
	Status int `json:"status,omitempty"`
	// Code is the code member of a 2xx answer. 0 answers 200 when Errors
	// is empty and leaves the member out otherwise.
	Code int `json:"code,omitempty"`
	// Errors are the reasons the connection does not work: on a 2xx
	// answer they make the ping a failure, as the web app reads it. An
	// error status without Errors answers one generic reason.
	Errors []integratorio.ErrorDetail `json:"errors,omitempty"`
	// POSTStatus, 404 or 405, answers a POST ping with that status, as
	// a server that pings by GET only would (404 not_found, or 405 with
	// an Allow header), while a GET ping answers as above; 0 answers both
	// alike.
	POSTStatus int `json:"postStatus,omitempty"`
}

// SetPingAnswer sets how the pings of connection connectionID answer from
// now on; SetPingAnswer(id, PingAnswer{}) makes it work again. The
// connection need not exist yet: pinging one that does not exist is 404.
//
// SetPingAnswer panics on a status it does not answer (see PingAnswer),
// like regexp.MustCompile: it is meant for tests.
func (s *Server) SetPingAnswer(connectionID string, a PingAnswer) {
	if err := checkPingAnswer(a); err != nil {
		panic("integratoriotest: SetPingAnswer: " + err.Error())
	}
	a.Errors = slices.Clone(a.Errors)
	setSide(s, &s.side.pings, connectionID, a, a.Status == 0 && a.Code == 0 && len(a.Errors) == 0 && a.POSTStatus == 0)
}

// checkPingAnswer returns an error when SetPingAnswer would refuse a.
func checkPingAnswer(a PingAnswer) error {
	st := a.Status
	if ok := st == 0 || (st >= 200 && st < 300 && st != 204 && st != 205) || (st >= 400 && st < 600); !ok {
		return fmt.Errorf("status %d is neither a 2xx with a body nor 400 to 599", st)
	}
	if a.POSTStatus != 0 && a.POSTStatus != http.StatusNotFound && a.POSTStatus != http.StatusMethodNotAllowed {
		return fmt.Errorf("POSTStatus %d is neither 404 nor 405", a.POSTStatus)
	}
	return nil
}

// connectionRoutes registers the connection endpoints beyond the document
// ones: its ping.
func (s *Server) connectionRoutes(c *collection) {
	ping := s.pingConnection(c)
	s.handle(http.MethodGet, "/connections/{id}/ping", ping)
	s.handle(http.MethodPost, "/connections/{id}/ping", ping)
}

// pingConnection answers a ping as SetPingAnswer set it. A POST may carry
// a JSON object ({_flowId, _integrationId, …}), which is not read.
func (s *Server) pingConnection(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := requestObject(r, true); err != nil {
			return err
		}
		a, _, err := sideOf(s, c, r.PathValue("id"), &s.side.pings)
		if err != nil {
			return err
		}
		switch {
		case r.Method != http.MethodPost:
		case a.POSTStatus == http.StatusNotFound:
			return &apiError{status: http.StatusNotFound, code: "not_found", msg: "no route for POST " + r.URL.Path}
		case a.POSTStatus == http.StatusMethodNotAllowed:
			w.Header().Set("Allow", http.MethodGet)
			return &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", msg: "POST is not allowed on " + r.URL.Path}
		}
		errs := a.Errors
		if a.Status >= 400 {
			if len(errs) == 0 {
				errs = []integratorio.ErrorDetail{{Code: "connection_failed", Message: "the connection does not work"}}
			}
			writeJSON(w, a.Status, map[string]any{"errors": errs})
			return nil
		}
		body := map[string]any{}
		if a.Code != 0 || len(errs) == 0 {
			body["code"] = cmp.Or(a.Code, http.StatusOK)
		}
		if len(errs) > 0 {
			body["errors"] = errs
		}
		writeJSON(w, cmp.Or(a.Status, http.StatusOK), body)
		return nil
	})
}
