package integratoriotest

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/integratorio-go/integratorio"
)

// What an operations tool reads: the error summary of a flow, and the
// latest, current and related jobs. Each is served from the same stored
// errors (flowerrors.go) and jobs (jobs.go) as the lists.

// operationRoutes registers the summary and job views.
func (s *Server) operationRoutes(flows, jobs *collection) {
	s.handle(http.MethodGet, "/flows/{id}/errors", s.errorSummary(flows))
	s.handle(http.MethodGet, "/flows/{id}/jobs/latest", s.latestJobs(flows, jobs, "_flowId"))
	s.handle(http.MethodGet, "/integrations/{id}/jobs/latest", s.latestJobs(s.integrations, jobs, "_integrationId"))
	s.handle(http.MethodPost, "/jobs/current", s.currentJobs(jobs))
	s.handle(http.MethodGet, "/jobs/{id}/family", s.jobFamily(jobs))
}

// errorSummary answers GET /flows/{id}/errors: {"flowErrors": [...]}, one
// entry per step with open errors, by step id: {"_expOrImpId",
// "numError" (the open errors of the step), "lastErrorAt" (the newest
// one's occurredAt)}. A flow without errors answers an empty list; an
// unknown flow is 404.
func (s *Server) errorSummary(flows *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		flowID := r.PathValue("id")
		s.mu.Lock()
		_, ok := flows.get(flowID)
		type count struct {
			n    int
			last time.Time
		}
		steps := map[string]count{}
		for k, e := range s.flowErrs.steps {
			if k.flow != flowID || len(e.open) == 0 {
				continue
			}
			c := count{n: len(e.open)}
			for _, fe := range e.open {
				if fe.at.After(c.last) {
					c.last = fe.at
				}
			}
			steps[k.step] = c
		}
		s.mu.Unlock()
		if !ok {
			return notFound(flows.model, flowID)
		}
		out := []map[string]any{}
		for _, step := range slices.Sorted(maps.Keys(steps)) {
			c := steps[step]
			out = append(out, map[string]any{"_expOrImpId": step, "numError": c.n, "lastErrorAt": formatTime(c.last)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"flowErrors": out})
		return nil
	})
}

// storedJob is a job document with what the views sort and filter by.
type storedJob struct {
	doc  []byte
	m    map[string]any
	at   time.Time // createdAt, to the millisecond
	seq  uint64
	id   string
	kind string // type
}

// jobsWhere returns the stored jobs keep accepts, newest createdAt first
// (jobs created in the same millisecond: the last added first). The
// caller holds s.mu.
func jobsWhere(c *collection, keep func(*storedJob) bool) []*storedJob {
	var out []*storedJob
	for _, id := range c.order {
		j := &storedJob{doc: c.docs[id], seq: c.seq[id], id: id}
		if decodeJSON(j.doc, &j.m) != nil {
			continue
		}
		at, _ := parseTimeMember(j.m["createdAt"])
		j.at = at.UTC().Truncate(time.Millisecond)
		j.kind, _ = j.m["type"].(string)
		if keep(j) {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b *storedJob) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	return out
}

// latestJobs answers GET /{flows|integrations}/{id}/jobs/latest: a JSON
// array holding the newest flow job (type "flow") of each flow whose
// member is the id (one flow, or each flow of the integration), newest
// first; an empty array when there is none. An unknown flow or
// integration is 404.
func (s *Server) latestJobs(owners, jobs *collection, member string) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		s.mu.Lock()
		_, ok := owners.get(id)
		seen := map[any]bool{}
		list := jobsWhere(jobs, func(j *storedJob) bool { return j.kind == "flow" && j.m[member] == id })
		s.mu.Unlock()
		if !ok {
			return notFound(owners.model, id)
		}
		out := []json.RawMessage{}
		for _, j := range list {
			if !seen[j.m["_flowId"]] {
				seen[j.m["_flowId"]] = true
				out = append(out, j.doc)
			}
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// currentJobs answers POST /jobs/current, a read: the parent jobs (those
// without _flowJobId) not finished yet, newest first, as {"jobs": [...],
// "nextPageURL": "..."} pages of the server's page size; the next page is
// the same POST to nextPageURL. The body, optional, narrows them:
// {"_integrationIds": [...], "_flowIds": [...], "status": [...]}, each
// left out or empty selecting all; without "status" the jobs queued or
// running are current.
func (s *Server) currentJobs(jobs *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		body, err := requestObject(r, true)
		var integrations, flowIDs, statuses []string
		if err == nil {
			integrations, err = stringList(body, "_integrationIds")
		}
		if err == nil {
			flowIDs, err = stringList(body, "_flowIds")
		}
		if err == nil {
			statuses, err = stringList(body, "status")
		}
		if err != nil {
			return err
		}
		if len(statuses) == 0 {
			statuses = []string{string(integratorio.JobQueued), string(integratorio.JobRunning)}
		}
		var cursor *flowError
		q := r.URL.Query()
		if v := q.Get("after"); v != "" {
			if cursor, err = parseErrorCursor(v); err != nil {
				return err
			}
		}
		in := func(list []string, v any) bool {
			s, _ := v.(string)
			return len(list) == 0 || slices.Contains(list, s)
		}
		s.mu.Lock()
		list := jobsWhere(jobs, func(j *storedJob) bool {
			_, child := j.m["_flowJobId"]
			return !child && in(statuses, j.m["status"]) && in(integrations, j.m["_integrationId"]) && in(flowIDs, j.m["_flowId"]) &&
				(cursor == nil || j.at.Before(cursor.at) || j.at.Equal(cursor.at) && j.seq < cursor.seq)
		})
		s.mu.Unlock()
		var page [][]byte
		for _, j := range list[:min(len(list), s.opts.pageSize)] {
			page = append(page, j.doc)
		}
		next := ""
		if len(list) > s.opts.pageSize {
			last := list[s.opts.pageSize-1]
			q.Set("after", errorCursor(&flowError{at: last.at, seq: last.seq}))
			next = r.URL.EscapedPath() + "?" + q.Encode()
		}
		writeItems(w, "jobs", page, next)
		return nil
	})
}

// jobFamily answers GET /jobs/{id}/family: a JSON array of the flow job
// (the job named, or its parent when the job named has a _flowJobId)
// followed by its children, the jobs whose _flowJobId it is, oldest
// first. An unknown job is 404.
func (s *Server) jobFamily(jobs *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		b, ok := jobs.get(id)
		if !ok {
			return notFound(jobs.model, id)
		}
		var j struct {
			Parent string `json:"_flowJobId"`
		}
		if decodeJSON(b, &j) == nil && j.Parent != "" {
			if pb, ok := jobs.get(j.Parent); ok {
				id, b = j.Parent, pb
			}
		}
		children := jobsWhere(jobs, func(c *storedJob) bool { return c.m["_flowJobId"] == id })
		slices.Reverse(children)
		out := []json.RawMessage{b}
		for _, c := range children {
			out = append(out, c.doc)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// boolParam reads a query value "true" or "false"; ok is false when the
// key is absent.
func boolParam(v string) (value, ok bool, err error) {
	if v == "" {
		return false, false, nil
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil, err
}
