package integratorio

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The steps of Celigo's published flow samples: a flow of page
// processors, a flow with a router, and a legacy flow.
func TestFlowStepsOfCeligosSamples(t *testing.T) {
	t.Parallel()
	read := func(name string) *Flow {
		var f Flow
		require.NoError(t, json.Unmarshal(fixture(t, "flows/"+name), &f))
		return &f
	}

	// Orchestrated: two page generators and eleven page processors, all
	// naming the same id; one step per place, in order.
	steps := read("get-orchestrated.json").Steps()
	const id = "55ea776bb751843c37b7ac6ab0"
	want := []FlowStep{{ID: id, Type: "export", Generator: true}, {ID: id, Type: "export", Generator: true}}
	for range 9 {
		want = append(want, FlowStep{ID: id, Type: "export"})
	}
	want = append(want, FlowStep{ID: id, Type: "import"}, FlowStep{ID: id, Type: "import"})
	assert.Equal(t, want, steps)

	// A router with two named branches, each a lookup and an import.
	assert.Equal(t, []FlowStep{
		{ID: "<export_id>", Type: "export", Generator: true},
		{ID: "<export_id>", Type: "export", Router: "Route Accounts by Owner", Branch: "C Libre Salesforce Account"},
		{ID: "<import_id>", Type: "import", Router: "Route Accounts by Owner", Branch: "C Libre Salesforce Account"},
		{ID: "<export_id>", Type: "export", Router: "Route Accounts by Owner", Branch: "L Catre Salesforce Account"},
		{ID: "<import_id>", Type: "import", Router: "Route Accounts by Owner", Branch: "L Catre Salesforce Account"},
	}, read("leyvarj-flows-sample.json").Steps())

	// Legacy: top-level _exportId and _importId.
	assert.Equal(t, []FlowStep{
		{ID: "55ea776bb751843c37b7ac6ab0", Type: "export", Generator: true},
		{ID: "55ea78c546cf5825294aca0b", Type: "import"},
	}, read("get-simple.json").Steps())
}

func TestFlowStepsOfRoutersWithoutNamesAndOfOddSteps(t *testing.T) {
	t.Parallel()
	var f Flow
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"f","pageGenerators":[{"_exportId":"g1"},{}],
		"routers":[
			{"id":"r1","branches":[{"branchId":"b1","pageProcessors":[{"type":"import","_importId":"i1"}]},{"name":"second","pageProcessors":[]}],"nextRouterId":"r2"},
			{"id":"r2","name":"Join","branches":[{"pageProcessors":[{"_importId":"i2"},{"type":"export"},{"type":"export","_exportId":"x1"}]}]},
			{"branches":[{"pageProcessors":[{"type":"import","_importId":"i3"}]}]}]}`), &f))
	assert.Equal(t, []FlowStep{
		{ID: "g1", Type: "export", Generator: true},
		{ID: "i1", Type: "import", Router: "r1", Branch: "b1"},
		{ID: "i2", Type: "import", Router: "Join", Branch: "branch 1"},
		{ID: "x1", Type: "export", Router: "Join", Branch: "branch 1"},
		{ID: "i3", Type: "import", Router: "router 3", Branch: "branch 1"},
	}, f.Steps())
	require.Len(t, f.Routers, 3)
	assert.Equal(t, "r2", f.Routers[0].NextRouterID)

	// Routers are written back as received, members they do not type too.
	out, err := json.Marshal(&f)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"nextRouterId":"r2"`)
	assert.Nil(t, (*Flow)(nil).Steps())
	assert.Empty(t, (&Flow{}).Steps())
}

// Hostile shapes: null entries, routers without branches, branches
// without page processors, ids of the wrong type. None panics; a place
// with an id is a step, in order, even when the id is named elsewhere.
func TestFlowStepsOfHostileShapes(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string][]FlowStep{
		`{"pageProcessors":[null,{"type":"import","_importId":"i1"}]}`:              {{ID: "i1", Type: "import"}},
		`{"routers":[null,{},{"branches":[null,{},{"pageProcessors":null}]}]}`:      nil,
		`{"pageGenerators":[null,{"_exportId":""}],"_exportId":5,"_importId":null}`: nil,
		`{"_exportId":"e","_importId":"i","pageGenerators":[{"_exportId":"e"}],"pageProcessors":[{"type":"import","_importId":"i"}]}`: {
			{ID: "e", Type: "export", Generator: true}, {ID: "i", Type: "import"},
			{ID: "e", Type: "export", Generator: true}, {ID: "i", Type: "import"}},
		`{"routers":[{"id":"r","branches":[{"name":"b","pageProcessors":[{"type":"import","_exportId":"x","_importId":"i"},{"type":"export","_importId":"y"}]}]}]}`: {
			{ID: "i", Type: "import", Router: "r", Branch: "b"}},
	} {
		var f Flow
		require.NoError(t, json.Unmarshal([]byte(doc), &f), doc)
		steps := f.Steps()
		if want == nil {
			assert.Empty(t, steps, doc)
			continue
		}
		assert.Equal(t, want, steps, doc)
	}
}
