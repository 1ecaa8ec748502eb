package integratoriotest

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxStepErrors is how many errors of each kind (open, resolved) the
// server keeps per flow step, the newest, as the real service does.
const maxStepErrors = 20000

// stepKey names one step of a flow: an export or import of it.
type stepKey struct{ flow, step string }

// flowError is one stored error of a flow step.
type flowError struct {
	id       string    // errorId
	seq      uint64    // the order errors were added in
	at       time.Time // occurredAt, to the millisecond
	source   string
	retryKey string // retryDataKey
	doc      []byte
}

// stepErrors are the errors of one step, in the order they were added.
type stepErrors struct{ open, resolved []*flowError }

// flowErrorState holds the errors of every flow step. Its fields are
// guarded by Server.mu.
type flowErrorState struct {
	steps   map[stepKey]*stepErrors
	lastSeq uint64
}

// step returns the errors of a step, creating the entry when create.
func (st *flowErrorState) step(k stepKey, create bool) *stepErrors {
	e := st.steps[k]
	if e == nil && create {
		if st.steps == nil {
			st.steps = map[stepKey]*stepErrors{}
		}
		e = &stepErrors{}
		st.steps[k] = e
	}
	return e
}

// AddFlowErrors stores open errors of one step (an export or import id)
// of the stored flow flowID, as the platform would record them. Each of
// errs is a JSON object such as {"code":"...","message":"...",
// "source":"application","retryDataKey":"..."}, kept as given; a missing
// errorId gets a new one and a missing occurredAt is set to now. An
// errorId the step already has, or one given twice, is an error, and so is
// an occurredAt that is not an RFC 3339 time. Either every error is stored
// or, on an error, none. Only the newest 20,000 errors of a step are kept,
// as on the real service.
func (s *Server) AddFlowErrors(flowID, stepID string, errs ...[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.colls["flows"].get(flowID); !ok {
		return fmt.Errorf("integratoriotest: AddFlowErrors: no flow %s", flowID)
	}
	if stepID == "" {
		return fmt.Errorf("integratoriotest: AddFlowErrors: empty step id")
	}
	k := stepKey{flowID, stepID}
	added, err := s.prepareFlowErrors(k, errs)
	if err != nil {
		return fmt.Errorf("integratoriotest: AddFlowErrors: %w", err)
	}
	s.commitFlowErrors(k, added)
	return nil
}

// prepareFlowErrors decodes and completes errors to add to step k,
// storing nothing; see AddFlowErrors. The caller holds s.mu.
func (s *Server) prepareFlowErrors(k stepKey, errs [][]byte) ([]*flowError, error) {
	taken := map[string]bool{}
	if e := s.flowErrs.step(k, false); e != nil {
		for _, fe := range slices.Concat(e.open, e.resolved) {
			taken[fe.id] = true
		}
	}
	var added []*flowError
	for i, raw := range errs {
		fe, err := s.newFlowError(raw, taken)
		if err != nil {
			return nil, fmt.Errorf("error %d: %w", i, err)
		}
		added = append(added, fe)
	}
	return added, nil
}

// commitFlowErrors stores errors prepareFlowErrors made as open errors of
// step k. The caller holds s.mu.
func (s *Server) commitFlowErrors(k stepKey, added []*flowError) {
	e := s.flowErrs.step(k, true)
	e.open = keepNewest(append(e.open, added...))
}

// newFlowError decodes and completes one error to add; taken are the
// errorIds in use, to which it adds its own. The caller holds s.mu.
func (s *Server) newFlowError(raw []byte, taken map[string]bool) (*flowError, error) {
	var doc map[string]any
	if err := decodeJSON(raw, &doc); err != nil || doc == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	if _, ok := doc["errorId"]; !ok {
		id := s.ids.next(s.now())
		for taken[id] {
			id = s.ids.next(s.now())
		}
		doc["errorId"] = id
	}
	id, ok := doc["errorId"].(string)
	switch {
	case !ok || id == "":
		return nil, fmt.Errorf("errorId must be a non-empty string")
	case taken[id]:
		return nil, fmt.Errorf("errorId %s is taken", id)
	}
	if _, ok := doc["occurredAt"]; !ok {
		doc["occurredAt"] = formatTime(s.now())
	}
	at, ok := parseTimeMember(doc["occurredAt"])
	if !ok {
		return nil, fmt.Errorf("occurredAt must be an RFC 3339 time")
	}
	b, err := encodeJSON(doc)
	if err != nil {
		return nil, err
	}
	taken[id] = true
	s.flowErrs.lastSeq++
	source, _ := doc["source"].(string)
	key, _ := doc["retryDataKey"].(string)
	return &flowError{id: id, seq: s.flowErrs.lastSeq, at: at.UTC().Truncate(time.Millisecond), source: source, retryKey: key, doc: b}, nil
}

// FlowErrorsJSON returns copies of the errors of one step of a flow,
// newest first: those still open (listed by GET …/errors) and those
// resolved (GET …/resolved). A step without errors has none of either.
func (s *Server) FlowErrorsJSON(flowID, stepID string) (open, resolved []json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.flowErrs.step(stepKey{flowID, stepID}, false)
	if e == nil {
		return nil, nil
	}
	docs := func(list []*flowError) []json.RawMessage {
		var out []json.RawMessage
		for _, fe := range newestFirst(list) {
			out = append(out, slices.Clone(fe.doc))
		}
		return out
	}
	return docs(e.open), docs(e.resolved)
}

// newestFirst returns the errors sorted newest occurredAt first, then the
// last added first: the order of the lists.
func newestFirst(list []*flowError) []*flowError {
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b *flowError) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	return out
}

// keepNewest drops the oldest errors beyond maxStepErrors.
func keepNewest(list []*flowError) []*flowError {
	if len(list) <= maxStepErrors {
		return list
	}
	keep := map[*flowError]bool{}
	for _, fe := range newestFirst(list)[:maxStepErrors] {
		keep[fe] = true
	}
	return slices.DeleteFunc(list, func(fe *flowError) bool { return !keep[fe] })
}

// flowErrorRoutes registers the error endpoints of each flow step. A step
// "state" is the flow's state (see orState): a step's id never is.
func (s *Server) flowErrorRoutes(flows *collection) {
	open := func(e *stepErrors) []*flowError { return e.open }
	resolved := func(e *stepErrors) []*flowError { return e.resolved }
	s.handle(http.MethodGet, "/flows/{id}/{step}/errors", s.orState(flows, s.listStepErrors(flows, "errors", open)))
	s.handle(http.MethodGet, "/flows/{id}/{step}/resolved", s.orState(flows, s.listStepErrors(flows, "resolved", resolved)))
	s.handle(http.MethodPut, "/flows/{id}/{step}/resolved", s.orState(flows, s.resolveErrors(flows)))
	s.handle(http.MethodDelete, "/flows/{id}/{step}/resolved", s.orState(flows, s.resolveErrors(flows)))
	s.handle(http.MethodPost, "/flows/{id}/{step}/retry", s.orState(flows, s.retryErrors(flows)))
}

// listStepErrors answers a page of one step's errors, newest first, as
// {"<items>": [...], "nextPageURL": "..."}: up to the server's page size
// (WithPageSize), with nextPageURL, a relative URL holding an opaque
// after cursor, while more follow (errors resolved between pages shift
// nothing). Filters: occurredAt_gte and occurredAt_lte (inclusive, to the
// millisecond) and source. An unknown flow is 404; a step without errors
// answers an empty list.
func (s *Server) listStepErrors(flows *collection, items string, list func(*stepErrors) []*flowError) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		occurred, err := parseTimeRange(q, "occurredAt", "invalid_query_params")
		if err != nil {
			return err
		}
		var cursor *flowError
		if v := q.Get("after"); v != "" {
			if cursor, err = parseErrorCursor(v); err != nil {
				return err
			}
		}
		source := q.Get("source")

		flowID := r.PathValue("id")
		s.mu.Lock()
		_, ok := flows.get(flowID)
		var all []*flowError
		if e := s.flowErrs.step(stepKey{flowID, r.PathValue("step")}, false); e != nil {
			all = newestFirst(list(e))
		}
		s.mu.Unlock()
		if !ok {
			return notFound(flows.model, flowID)
		}
		var page [][]byte
		var last *flowError
		more := false
		for _, fe := range all {
			switch {
			case cursor != nil && !fe.at.Before(cursor.at) && (!fe.at.Equal(cursor.at) || fe.seq >= cursor.seq),
				!occurred.contains(fe.at),
				source != "" && fe.source != source:
				continue
			}
			if len(page) == s.opts.pageSize {
				more = true
				break
			}
			page = append(page, fe.doc)
			last = fe
		}
		next := ""
		if more {
			q.Set("after", errorCursor(last))
			next = r.URL.EscapedPath() + "?" + q.Encode()
		}
		writeItems(w, items, page, next)
		return nil
	})
}

// errorCursor encodes the position after fe in a list of errors.
func errorCursor(fe *flowError) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(fe.at.UnixMilli(), 10) + "." + strconv.FormatUint(fe.seq, 10)))
}

// parseErrorCursor decodes an errorCursor into the position it names.
func parseErrorCursor(v string) (*flowError, error) {
	bad := badRequest("invalid_query_params", "after", "after must be a cursor from a nextPageURL")
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, bad
	}
	ms, seq, _ := strings.Cut(string(b), ".")
	at, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseUint(seq, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, bad
	}
	return &flowError{at: time.UnixMilli(at).UTC(), seq: n}, nil
}

// stringList reads the member key of a request body as a list of
// non-empty strings; a missing or null member is an empty list.
func stringList(m map[string]any, key string) ([]string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	out := make([]string, len(arr))
	for i, e := range arr {
		if out[i], _ = e.(string); out[i] == "" {
			ok = false
		}
	}
	if !ok {
		return nil, badRequest("invalid_field", key, "%s must be an array of non-empty strings", key)
	}
	return out, nil
}

// resolveErrors marks errors of a step resolved: PUT …/resolved with
// {"errors": ["<errorId>", ...]} (not empty) moves those open errors to
// the resolved list, adding resolvedAt, and answers 204. DELETE …/resolved
// with the same body deletes those resolved errors, and answers 204. Ids
// that name no error of the list are ignored; an unknown flow is 404.
func (s *Server) resolveErrors(flows *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		body, err := requestObject(r, false)
		var ids []string
		if err == nil {
			ids, err = stringList(body, "errors")
		}
		if err == nil && len(ids) == 0 {
			err = badRequest("invalid_field", "errors", "errors must list the errorIds to resolve")
		}
		if err != nil {
			return err
		}
		flowID := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := flows.get(flowID); !ok {
			return notFound(flows.model, flowID)
		}
		if e := s.flowErrs.step(stepKey{flowID, r.PathValue("step")}, false); e != nil && r.Method == http.MethodDelete {
			e.resolved = slices.DeleteFunc(e.resolved, func(fe *flowError) bool { return slices.Contains(ids, fe.id) })
		} else if e != nil {
			e.resolve(ids, formatTime(s.now()))
		}
		writeNoContent(w)
		return nil
	})
}

// resolve moves the open errors named by ids to the resolved list, with
// resolvedAt set to now.
func (e *stepErrors) resolve(ids []string, now string) {
	named := make(map[string]bool, len(ids))
	for _, id := range ids {
		named[id] = true
	}
	set := memberSetter("resolvedAt", now)
	e.open = slices.DeleteFunc(e.open, func(fe *flowError) bool {
		if !named[fe.id] {
			return false
		}
		fe.doc = set(fe.doc)
		e.resolved = append(e.resolved, fe)
		return true
	})
	e.resolved = keepNewest(e.resolved)
}

// memberSetter returns a function that sets the member key of a stored
// object to the string value: appended to the compact object when absent,
// else replaced (the object is then decoded and encoded again).
func memberSetter(key, value string) func(doc []byte) []byte {
	k, _ := encodeJSON(key)
	v, _ := encodeJSON(value)
	member := append(append(k, ':'), v...)
	return func(doc []byte) []byte {
		if !bytes.Contains(doc, k) && len(doc) >= 2 && doc[len(doc)-1] == '}' {
			out := make([]byte, 0, len(doc)+len(member)+1)
			out = append(out, doc[:len(doc)-1]...)
			if len(doc) > 2 {
				out = append(out, ',')
			}
			return append(append(out, member...), '}')
		}
		var m map[string]any
		if decodeJSON(doc, &m) != nil {
			return doc
		}
		m[key] = value
		if b, err := encodeJSON(m); err == nil {
			return b
		}
		return doc
	}
}

// retryTarget is what a retry job retries: the errors of one step named by
// their retryDataKey or errorId.
type retryTarget struct {
	step     stepKey
	keys     []string
	errorIDs []string
}

// retryErrors retries errors of a step: POST …/retry with
// {"retryDataKeys": [...]} (or {"errorIds": [...]}, which the service also
// takes; not both empty, else 400) starts a job of type "retry" for the
// flow, which moves as a run does (see RunScript), and answers 201
// {"_jobId": "..."}. When that job completes, the errors it retried leave
// the open list; a failed or canceled retry leaves them open. Keys that
// name no open error are ignored; an unknown flow is 404.
func (s *Server) retryErrors(flows *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		body, err := requestObject(r, false)
		t := &retryTarget{step: stepKey{r.PathValue("id"), r.PathValue("step")}}
		if err == nil {
			t.keys, err = stringList(body, "retryDataKeys")
		}
		if err == nil {
			t.errorIDs, err = stringList(body, "errorIds")
		}
		if err == nil && len(t.keys)+len(t.errorIDs) == 0 {
			err = badRequest("invalid_field", "retryDataKeys", "retryDataKeys must list the errors to retry")
		}
		if err != nil {
			return err
		}
		return s.answerJob(w, flows, t.step.flow, "retry", t)
	})
}

// clearRetried takes the errors a completed retry retried off the open
// list. The caller holds s.mu.
func (s *Server) clearRetried(t *retryTarget) {
	if e := s.flowErrs.step(t.step, false); e != nil {
		e.open = slices.DeleteFunc(e.open, func(fe *flowError) bool {
			return (fe.retryKey != "" && slices.Contains(t.keys, fe.retryKey)) || slices.Contains(t.errorIDs, fe.id)
		})
	}
}
