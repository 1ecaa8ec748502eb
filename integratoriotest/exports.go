package integratoriotest

import (
	"encoding/json"
	"net/http"
	"slices"
)

// exportFields are the typed members of an export document. Its
// adaptorType is required (see resourceTable) but not checked against a
// list, and _connectionId is optional: webhook and simple exports have
// none.
var exportFields = fieldTypes{
	"name": jsonString, "adaptorType": jsonString, "_connectionId": jsonString, "_integrationId": jsonString,
	"isLookup": jsonBool, "hooks": jsonObject,
}

// defaultInvokeAnswer is what invoking an export answers unless
// SetInvokeAnswer says otherwise. The API does not document the answer.
const defaultInvokeAnswer = `{"data":[]}`

// SetInvokeAnswer sets the body POST /exports/{exportID}/invoke answers
// from now on, with 200: any JSON value, sent as given. A nil body
// restores the default, {"data":[]}. The export need not exist yet:
// invoking one that does not exist is 404. An invocation reads nothing
// of its request body (the data and settings) beyond checking that it is
// JSON, and changes nothing: no job, no document.
//
// SetInvokeAnswer panics when body is not JSON, like regexp.MustCompile:
// it is meant for tests.
func (s *Server) SetInvokeAnswer(exportID string, body []byte) {
	if body != nil && !json.Valid(body) {
		panic("integratoriotest: SetInvokeAnswer: the body is not JSON")
	}
	setSide(s, &s.side.invokes, exportID, slices.Clone(body), body == nil)
}

// exportRoutes registers the export endpoints beyond the document ones:
// its invocation.
func (s *Server) exportRoutes(c *collection) {
	s.handle(http.MethodPost, "/exports/{id}/invoke", s.invokeExport(c))
}

// invokeExport answers an invocation as SetInvokeAnswer set it.
func (s *Server) invokeExport(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := requestBody(r); err != nil {
			return err
		}
		body, set, err := sideOf(s, c, r.PathValue("id"), &s.side.invokes)
		if err != nil {
			return err
		}
		if !set {
			body = []byte(defaultInvokeAnswer)
		}
		writeRaw(w, http.StatusOK, body)
		return nil
	})
}
