package integratoriotest

import (
	"net/http"
	"slices"
	"strings"
)

// flowFields are the typed members of a flow document.
var flowFields = fieldTypes{
	"name": jsonString, "description": jsonString, "_integrationId": jsonString,
	"_flowGroupingId": jsonString, "schedule": jsonString, "timezone": jsonString,
	"disabled": jsonBool, "skipRetries": jsonBool,
	"pageGenerators": jsonArray, "pageProcessors": jsonArray, "routers": jsonArray,
}

// flowPatchable are the members the API lets a PATCH of a flow change.
var flowPatchable = []string{
	"/name", "/description", "/schedule", "/timezone", "/disabled",
	"/pageGenerators/*/schedule", "/pageGenerators/*/skipRetries",
}

// flowConnections: the connections a flow uses are the _connectionId
// members of its steps (the fake does not follow a step's _exportId or
// _importId to the connection of that export or import). As
// on the real service, a clone of a flow that uses connections needs a
// connectionMap that maps each of them.
var flowConnections = connectionRefs{
	referenced: []string{
		"pageGenerators[]._connectionId", "pageProcessors[]._connectionId",
		"routers[].branches[].pageProcessors[]._connectionId",
	},
	mapRequired: true,
}

// checkFlow checks the steps: page generators and processors are
// objects, a processor's type is export or import, and a flow has page
// processors or routers, never both.
func checkFlow(doc map[string]any) error {
	for _, key := range []string{"pageGenerators", "pageProcessors", "routers"} {
		steps, _ := doc[key].([]any)
		for i, st := range steps {
			step, ok := st.(map[string]any)
			if !ok {
				return badRequest("invalid_field", key, "%s[%d] must be an object", key, i)
			}
			if key == "pageProcessors" {
				if err := checkOneOf(step, "type", "pageProcessors[].", "export", "import"); err != nil {
					return err
				}
			}
		}
	}
	pp, _ := doc["pageProcessors"].([]any)
	routers, _ := doc["routers"].([]any)
	if len(pp) > 0 && len(routers) > 0 {
		return badRequest("invalid_field", "routers", "a flow has pageProcessors or routers, not both")
	}
	return nil
}

// readyFlowClone readies a copy of a flow: the body's _integrationId,
// which must name a stored integration, is the copy's, and the copy is
// disabled, so that it does not run before it is looked at. As Celigo's
// clone schema says, the connections of the exports and imports its steps
// name must each be mapped by the connectionMap (else 400
// invalid_connectionMap); the copy still names the same exports and
// imports. The caller holds s.mu.
func readyFlowClone(s *Server, doc map[string]any, b *cloneBody) error {
	if b.integrationID == nil || *b.integrationID == "" {
		return badRequest("invalid_field", "_integrationId", "_integrationId is required: the integration the copy goes to")
	}
	if _, ok := s.integrations.get(*b.integrationID); !ok {
		return badRequest("invalid_ref", "_integrationId", "_integrationId %s names no integration", *b.integrationID)
	}
	if err := stepConnectionsMapped(s, doc, b.connectionMap); err != nil {
		return err
	}
	if doc["_integrationId"] != *b.integrationID {
		delete(doc, "_flowGroupingId") // a grouping of the other integration
	}
	doc["_integrationId"] = *b.integrationID
	doc["disabled"] = true
	return nil
}

// flowRoutes registers the flow endpoints beyond the document ones: runs
// and the errors of each step.
func (s *Server) flowRoutes(c *collection) {
	s.handle(http.MethodPost, "/flows/{id}/run", s.runFlow(c))
	s.flowErrorRoutes(c)
}

// runFlow starts a flow: POST /flows/{id}/run with an empty body or a
// JSON object creates a job of type "flow" (see startJob) and answers 201
// {"_jobId": "..."}; an unknown flow is 404. A disabled flow runs too.
// The body's members are checked, not acted on: "export", when present,
// is an object whose "startDate" and "endDate" are RFC 3339 times, and
// "_exportIds" an array of non-empty strings (else 400 invalid_field).
func (s *Server) runFlow(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		body, err := requestObject(r, true)
		if err == nil {
			_, err = stringList(body, "_exportIds")
		}
		if err == nil {
			err = checkRunWindow(body["export"])
		}
		if err != nil {
			return err
		}
		return s.answerJob(w, c, r.PathValue("id"), "flow", nil)
	})
}

// stepConnectionsMapped refuses, 400 invalid_connectionMap, a clone of
// the flow doc whose steps' exports and imports use connections that cmap
// does not map. The caller holds s.mu.
func stepConnectionsMapped(s *Server, doc map[string]any, cmap map[string]string) error {
	b, err := encodeJSON(doc)
	if err != nil {
		return err
	}
	var missing []string
	for _, st := range flowSteps(s, b) {
		if st.connection != "" && cmap[st.connection] == "" && !slices.Contains(missing, st.connection) {
			missing = append(missing, st.connection)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return badRequest("invalid_connectionMap", "connectionMap",
		"the flow's exports and imports use connection(s) %s, which connectionMap must map", strings.Join(missing, ", "))
}

// checkRunWindow checks a run body's "export" member.
func checkRunWindow(v any) error {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return badRequest("invalid_field", "export", "export must be an object")
	}
	for _, k := range []string{"startDate", "endDate"} {
		if t, ok := m[k]; ok {
			if _, ok := parseTimeMember(t); !ok {
				return badRequest("invalid_field", "export."+k, "export.%s must be an ISO 8601 time", k)
			}
		}
	}
	return nil
}
