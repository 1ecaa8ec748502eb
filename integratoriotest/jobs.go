package integratoriotest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/integratorio-go/integratorio"
)

// RunScript says how the jobs the server starts for a flow go: its runs
// (POST /flows/{id}/run) and the retries of its errors (POST
// /flows/{id}/{step}/retry). Such a job is created queued and moves one
// step each time it is read by id (GET /jobs/{id}): to running, then to
// Status with the counts below, so a client polling with Jobs.Wait sees
// it finish on its second read, without any wall-clock timing. The zero
// RunScript, the default, completes with no records.
type RunScript struct {
	// Status is the status the job ends in: integratorio.JobCompleted
	// (also when empty), integratorio.JobFailed or
	// integratorio.JobCanceled.
	Status integratorio.JobStatus `json:"status,omitempty"`
	// NumSuccess, NumError and NumIgnore are the finished job's record
	// counts (numSuccess, numError, numIgnore). A completed job may have
	// errors, as on the real service.
	NumSuccess int `json:"numSuccess,omitempty"`
	NumError   int `json:"numError,omitempty"`
	NumIgnore  int `json:"numIgnore,omitempty"`
	// Stall keeps the job running: it never finishes on its own, only
	// when canceled (PUT /jobs/{id}/cancel). Status and the counts are
	// then not used.
	Stall bool `json:"stall,omitempty"`
}

// checkRunScript returns script with its Status defaulted, or an error
// when ScriptRuns would refuse it.
func checkRunScript(script RunScript) (RunScript, error) {
	switch script.Status {
	case "":
		script.Status = integratorio.JobCompleted
	case integratorio.JobCompleted, integratorio.JobFailed, integratorio.JobCanceled:
	default:
		return script, fmt.Errorf("status %q is not completed, failed or canceled", script.Status)
	}
	if script.NumSuccess < 0 || script.NumError < 0 || script.NumIgnore < 0 {
		return script, fmt.Errorf("negative record count")
	}
	return script, nil
}

// ScriptRuns sets how the jobs started for flow flowID from now on go;
// jobs already started keep the script they started with.
// ScriptRuns(flowID, RunScript{}) restores the default. The flow need not
// exist yet.
//
// ScriptRuns panics on a Status other than those RunScript names or a
// negative count, like regexp.MustCompile: it is meant for tests.
func (s *Server) ScriptRuns(flowID string, script RunScript) {
	script, err := checkRunScript(script)
	if err != nil {
		panic("integratoriotest: ScriptRuns: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runs.scripts == nil {
		s.runs.scripts = map[string]RunScript{}
	}
	s.runs.scripts[flowID] = script
}

// runState is what the server keeps about the jobs it started. Its fields
// are guarded by Server.mu.
type runState struct {
	scripts map[string]RunScript // by flow id
	plans   map[string]*jobPlan  // by job id, until the job is done
}

// jobPlan is the future of a job the server started.
type jobPlan struct {
	script RunScript
	retry  *retryTarget // for a retry job: the errors it clears
}

// startJob creates a queued job of type typ for the flow flowID, stored in
// flows, and returns its id; an unknown flow is 404. The job runs by the
// flow's RunScript. The caller holds s.mu.
func (s *Server) startJob(flows *collection, flowID, typ string, retry *retryTarget) (string, error) {
	b, ok := flows.get(flowID)
	if !ok {
		return "", notFound(flows.model, flowID)
	}
	var flow struct {
		IntegrationID string `json:"_integrationId"`
	}
	_ = decodeJSON(b, &flow)
	doc := map[string]any{
		"type": typ, "_flowId": flowID, "status": string(integratorio.JobQueued),
		"numError": 0, "numSuccess": 0, "numIgnore": 0, "numPagesGenerated": 0, "numPagesProcessed": 0,
	}
	if flow.IntegrationID != "" {
		doc["_integrationId"] = flow.IntegrationID
	}
	if _, err := s.insert(s.colls["jobs"], doc); err != nil {
		return "", err
	}
	id := doc["_id"].(string)
	script, ok := s.runs.scripts[flowID]
	if !ok {
		script.Status = integratorio.JobCompleted
	}
	if s.runs.plans == nil {
		s.runs.plans = map[string]*jobPlan{}
	}
	s.runs.plans[id] = &jobPlan{script: script, retry: retry}
	return id, nil
}

// answerJob starts a job as startJob does and answers 201 {"_jobId": id}.
func (s *Server) answerJob(w http.ResponseWriter, flows *collection, flowID, typ string, retry *retryTarget) error {
	s.mu.Lock()
	id, err := s.startJob(flows, flowID, typ, retry)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"_jobId": id})
	return nil
}

// jobRoutes registers /jobs: the list, one job, and cancel, and the
// views of operations.go (latest, current, family, and a flow's error
// summary). Jobs are created by runs and retries (or seeded), never by a
// POST.
func (s *Server) jobRoutes(c *collection) {
	s.handle(http.MethodGet, "/jobs", s.listJobs(c))
	s.handle(http.MethodGet, "/jobs/{id}", s.getJob(c))
	s.handle(http.MethodPut, "/jobs/{id}/cancel", s.cancelJob(c))
	s.operationRoutes(s.colls["flows"], c)
}

// getJob answers one job, 200, or 404. Reading a job is what moves it on
// (see RunScript): a job the server started goes from queued to running,
// and from running to its script's end; a canceling job, started or
// seeded, goes to canceled. The answer is the job after that step.
// Seeded jobs otherwise keep their status.
func (s *Server) getJob(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		b, err := s.advanceJob(c, r.PathValue("id"))
		s.mu.Unlock()
		if err == nil {
			writeRaw(w, http.StatusOK, b)
		}
		return err
	})
}

// advanceJob moves the job id one step and returns it. The caller holds
// s.mu.
func (s *Server) advanceJob(c *collection, id string) ([]byte, error) {
	b, ok := c.get(id)
	if !ok {
		return nil, notFound(c.model, id)
	}
	status := jobStatus(b)
	plan := s.runs.plans[id]
	var next integratorio.JobStatus
	switch {
	case status == integratorio.JobCanceling:
		next = integratorio.JobCanceled
	case plan == nil:
		return b, nil
	case status == integratorio.JobQueued:
		next = integratorio.JobRunning
	case status == integratorio.JobRunning && !plan.script.Stall:
		next = plan.script.Status
	default:
		return b, nil
	}
	now := formatTime(s.now())
	b, err := s.replace(c, id, func(doc map[string]any) (map[string]any, error) {
		doc["status"] = string(next)
		if next == integratorio.JobRunning {
			doc["startedAt"] = now
			return doc, nil
		}
		doc["endedAt"] = now
		if status == integratorio.JobRunning {
			sc := plan.script
			doc["numSuccess"], doc["numError"], doc["numIgnore"] = sc.NumSuccess, sc.NumError, sc.NumIgnore
			pages := 0
			if sc.NumSuccess+sc.NumError+sc.NumIgnore > 0 {
				pages = 1
			}
			doc["numPagesGenerated"], doc["numPagesProcessed"] = pages, pages
			doc["retriable"] = sc.NumError > 0
		}
		return doc, nil
	})
	if err != nil {
		return nil, err
	}
	if next != integratorio.JobRunning {
		if plan != nil && plan.retry != nil && next == integratorio.JobCompleted {
			s.clearRetried(plan.retry)
		}
		delete(s.runs.plans, id)
	}
	return b, nil
}

// jobStatus reads a stored job's status.
func jobStatus(doc []byte) integratorio.JobStatus {
	var j struct {
		Status integratorio.JobStatus `json:"status"`
	}
	_ = decodeJSON(doc, &j)
	return j.Status
}

// cancelJob asks for a job to be canceled: PUT /jobs/{id}/cancel answers
// 204. A queued, running or retrying job goes to canceling (and to
// canceled on its next read); a canceling or finished job is left as it
// is, so that a repeated cancel, or one that comes as the job ends, is no
// error. An unknown job is 404.
func (s *Server) cancelJob(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		b, ok := c.get(id)
		if !ok {
			return notFound(c.model, id)
		}
		switch jobStatus(b) {
		case integratorio.JobQueued, integratorio.JobRunning, integratorio.JobRetrying:
			_, err := s.replace(c, id, func(doc map[string]any) (map[string]any, error) {
				doc["status"] = string(integratorio.JobCanceling)
				return doc, nil
			})
			if err != nil {
				return err
			}
		}
		writeNoContent(w)
		return nil
	})
}

// jobPageSize is the most jobs one GET /jobs answers, as on the real
// service.
const jobPageSize = 1001

// jobIDFilters are the filters of GET /jobs that name what jobs ran; with
// createdAt_gte and createdAt_lte, a query needs one of them.
var jobIDFilters = []string{"_integrationId", "_flowId", "_exportId", "_importId", "_flowJobId", "_jobId", "_flowId_in"}

// jobListFilters are the filters of GET /jobs that take a list: the
// member is any of the comma-separated values (the key may also repeat).
var jobListFilters = map[string]string{"_flowId_in": "_flowId", "type_in": "type"}

// listJobs answers GET /jobs: at most 1001 jobs, newest createdAt first
// (jobs created in the same millisecond: the last added first), without a
// Link header; a client pages with createdAt_lte. Filters: _integrationId,
// _flowId, _exportId, _importId, _flowJobId, type and status (equal),
// _jobId (the job's _id), _flowId_in and type_in (any of a comma-separated
// list), retriable (true or false), createdAt_gte and createdAt_lte
// (inclusive, to the millisecond; ISO 8601, a plain date or epoch
// milliseconds). A query with no id filter and no createdAt bound is 400
// invalid_query, and so is one for child jobs (type export or import)
// without an id filter. include and exclude project the records; no jobs
// is 204.
func (s *Server) listJobs(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		f, err := parseJobQuery(r.URL.Query())
		if err != nil {
			return err
		}
		s.mu.Lock()
		hits := jobsWhere(c, func(j *storedJob) bool {
			_, ok := f.match(j.m)
			return ok
		})
		s.mu.Unlock()
		page := make([][]byte, 0, min(len(hits), jobPageSize))
		for _, h := range hits[:min(len(hits), jobPageSize)] {
			page = append(page, h.doc)
		}
		writePage(w, page, f.proj)
		return nil
	})
}

// jobQuery is a parsed GET /jobs query.
type jobQuery struct {
	equal     map[string]string
	anyOf     map[string][]string // member: the values it may have
	retriable *bool
	created   timeRange
	proj      *projection
}

func parseJobQuery(q url.Values) (*jobQuery, error) {
	proj, err := parseProjection(q)
	if err != nil {
		return nil, err
	}
	f := &jobQuery{equal: map[string]string{}, anyOf: map[string][]string{}, proj: proj}
	for _, k := range append(slices.Clone(jobIDFilters), "type", "type_in", "status") {
		member, list := jobListFilters[k]
		switch v := q.Get(k); {
		case v == "":
		case list:
			for _, v := range q[k] {
				f.anyOf[member] = append(f.anyOf[member], strings.Split(v, ",")...)
			}
		case k == "_jobId":
			f.equal["_id"] = v
		default:
			f.equal[k] = v
		}
	}
	if b, ok, err := boolParam(q.Get("retriable")); err != nil {
		return nil, badRequest("invalid_query", "retriable", "retriable must be true or false")
	} else if ok {
		f.retriable = &b
	}
	if f.created, err = parseTimeRange(q, "createdAt", "invalid_query"); err != nil {
		return nil, err
	}
	byID := slices.ContainsFunc(jobIDFilters, func(k string) bool { return q.Get(k) != "" })
	types := append([]string{f.equal["type"]}, f.anyOf["type"]...)
	child := slices.Contains(types, "export") || slices.Contains(types, "import")
	switch {
	case byID:
	case child:
		return nil, badRequest("invalid_query", "_flowJobId", "export and import jobs are child jobs: the query needs _flowJobId or one of _integrationId, _flowId, _exportId, _importId")
	case f.created.from == nil && f.created.to == nil:
		return nil, badRequest("invalid_query", "", "the query needs one of _integrationId, _flowId, _exportId, _importId, _flowJobId, createdAt_gte or createdAt_lte")
	}
	return f, nil
}

// match reports whether a job passes the filters, and its createdAt.
func (f *jobQuery) match(doc map[string]any) (time.Time, bool) {
	for k, v := range f.equal {
		if doc[k] != v {
			return time.Time{}, false
		}
	}
	for k, vs := range f.anyOf {
		if v, _ := doc[k].(string); !slices.Contains(vs, v) {
			return time.Time{}, false
		}
	}
	if f.retriable != nil {
		if b, _ := doc["retriable"].(bool); b != *f.retriable {
			return time.Time{}, false
		}
	}
	at, ok := parseTimeMember(doc["createdAt"])
	at = at.UTC().Truncate(time.Millisecond)
	if (f.created.from != nil || f.created.to != nil) && !ok {
		return time.Time{}, false
	}
	return at, f.created.contains(at)
}
