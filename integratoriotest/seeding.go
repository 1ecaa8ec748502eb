package integratoriotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The behaviour a test seeds beside the documents (flow errors, run
// scripts, ping and invoke answers) has one JSON form, read the same way by
// the control API (WithControlAPI) and by LoadDir.

// decodeFlowErrors reads the errors of one step: a JSON array of error
// objects, or (in a file of LoadDir) one object.
func decodeFlowErrors(b []byte, oneAllowed bool) ([][]byte, error) {
	b = bytes.TrimSpace(b)
	if oneAllowed && len(b) > 0 && b[0] == '{' {
		b = append(append([]byte{'['}, b...), ']')
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, errors.New("the errors must be a JSON array of error objects")
	}
	out := make([][]byte, len(raws))
	for i, r := range raws {
		if !isJSONObject(r) {
			return nil, fmt.Errorf("error %d is not a JSON object", i)
		}
		out[i] = r
	}
	return out, nil
}

// decodeStrict decodes one JSON object into v, refusing unknown members.
func decodeStrict(b []byte, v any) error {
	if !isJSONObject(b) {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the object")
	}
	return nil
}

// decodeRunScript reads a RunScript as ScriptRuns takes it.
func decodeRunScript(b []byte) (RunScript, error) {
	var rs RunScript
	if err := decodeStrict(b, &rs); err != nil {
		return rs, fmt.Errorf("not a run script {\"status\",\"numSuccess\",\"numError\",\"numIgnore\",\"stall\"}: %v", err)
	}
	return checkRunScript(rs)
}

// decodePingAnswer reads a PingAnswer as SetPingAnswer takes it.
func decodePingAnswer(b []byte) (PingAnswer, error) {
	var a PingAnswer
	if err := decodeStrict(b, &a); err != nil {
		return a, fmt.Errorf("not a ping answer {\"status\",\"code\",\"errors\"}: %v", err)
	}
	return a, checkPingAnswer(a)
}

// decodeInvokeAnswer reads the answer of an export's invocation: any JSON
// value; empty restores the default (nil).
func decodeInvokeAnswer(b []byte) ([]byte, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if !json.Valid(b) {
		return nil, errors.New("the answer is not JSON")
	}
	return bytes.Clone(b), nil
}

// serveSeedControl answers the seeding routes of the control API (see
// WithControlAPI). It returns "" when it answered, or the methods route
// allows when r's method is not one of them.
func (s *Server) serveSeedControl(w http.ResponseWriter, r *http.Request, body []byte) string {
	segs, ok := controlSegments(strings.TrimPrefix(r.URL.EscapedPath(), ControlPrefix))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "", "no control route for "+r.Method+" "+r.URL.Path)
		return ""
	}
	var method string
	var seed func() error
	switch {
	case len(segs) == 4 && segs[0] == "flows" && segs[3] == "errors":
		method = http.MethodPost
		seed = seedWith(body, "invalid_json", func(b []byte) ([][]byte, error) { return decodeFlowErrors(b, false) },
			func(errs [][]byte) error { return s.controlAddFlowErrors(segs[1], segs[2], errs) })
	case len(segs) == 3 && segs[0] == "flows" && segs[2] == "runs":
		method = http.MethodPut
		seed = seedWith(body, "invalid_run_script", decodeRunScript,
			func(rs RunScript) error { s.ScriptRuns(segs[1], rs); return nil })
	case len(segs) == 3 && segs[0] == "connections" && segs[2] == "ping":
		method = http.MethodPut
		seed = seedWith(body, "invalid_ping_answer", decodePingAnswer,
			func(a PingAnswer) error { s.SetPingAnswer(segs[1], a); return nil })
	case len(segs) == 3 && segs[0] == "exports" && segs[2] == "invoke":
		method = http.MethodPut
		seed = seedWith(body, "invalid_json", decodeInvokeAnswer,
			func(a []byte) error { s.SetInvokeAnswer(segs[1], a); return nil })
	default:
		writeError(w, http.StatusNotFound, "not_found", "", "no control route for "+r.Method+" "+r.URL.Path)
		return ""
	}
	if r.Method != method {
		return method
	}
	if err := seed(); err != nil {
		writeErr(w, err)
		return ""
	}
	writeNoContent(w)
	return ""
}

// seedWith returns the seeding of a control route: body decoded with
// decode (a failure answers 400 with code), then given to set.
func seedWith[V any](body []byte, code string, decode func([]byte) (V, error), set func(V) error) func() error {
	return func() error {
		v, err := decode(body)
		if err != nil {
			return badRequest(code, "", "%v", err)
		}
		return set(v)
	}
}

// controlSegments splits an escaped control route such as
// "/flows/f1/e1/errors" into its unescaped segments; ok is false when a
// segment is empty or not a valid escape.
func controlSegments(route string) ([]string, bool) {
	segs := strings.Split(strings.TrimPrefix(route, "/"), "/")
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil || dec == "" {
			return nil, false
		}
		segs[i] = dec
	}
	return segs, true
}

// controlAddFlowErrors is AddFlowErrors answering the control API: 404
// when the flow does not exist, 400 for an error it refuses.
func (s *Server) controlAddFlowErrors(flowID, stepID string, errs [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.colls["flows"].get(flowID); !ok {
		return notFound("Flow", flowID)
	}
	k := stepKey{flowID, stepID}
	added, err := s.prepareFlowErrors(k, errs)
	if err != nil {
		return badRequest("invalid_flow_error", "", "%v", err)
	}
	s.commitFlowErrors(k, added)
	return nil
}
