package integratoriotest

import (
	"encoding/json"
	"fmt"

	"github.com/integratorio-go/integratorio"
)

// integrationFields are the members the API is known to type strictly.
var integrationFields = fieldTypes{
	"name": jsonString, "description": jsonString, "readme": jsonString, "version": jsonString,
	"tag": jsonString, "_connectorId": jsonString, "_templateId": jsonString,
	"updateInProgress": jsonBool, "settings": jsonObject,
}

func checkIntegration(doc map[string]any) error {
	return checkOneOf(doc, "mode", "", "install", "settings", "uninstall")
}

// completeIntegration gives each flowGroupings entry that lacks an _id
// (or has an empty one) an id of its own, as the API does for
// sub-documents; flows name their grouping by that id (_flowGroupingId).
// The caller holds s.mu.
func completeIntegration(s *Server, doc map[string]any) {
	groupings, _ := doc["flowGroupings"].([]any)
	for _, g := range groupings {
		if m, ok := g.(map[string]any); ok {
			if id, _ := m["_id"].(string); id == "" {
				m["_id"] = s.ids.next(s.now())
			}
		}
	}
}

// integrationConnections: the _connectionId of each install, installSteps
// and uninstallSteps entry and each of _registeredConnectionIds are the
// connections an integration references; each string value of
// settings.commonresources is mapped when the map names it.
var integrationConnections = connectionRefs{
	referenced: []string{"install[]._connectionId", "installSteps[]._connectionId", "uninstallSteps[]._connectionId", "_registeredConnectionIds[]"},
	loose:      []string{"settings.commonresources.*"},
}

// readyIntegrationClone applies a clone body's tag and sandbox. An empty
// connectionMap copies the connection ids unchanged.
func readyIntegrationClone(_ *Server, doc map[string]any, b *cloneBody) error {
	if b.tag != nil {
		doc["tag"] = *b.tag
	}
	if b.sandbox != nil {
		doc["sandbox"] = *b.sandbox
	}
	return nil
}

// AddIntegrationJSON stores integration documents as AddJSON("integrations",
// doc) does, and returns the id of the first.
func (s *Server) AddIntegrationJSON(doc []byte) (string, error) {
	return s.AddJSON("integrations", doc)
}

// AddIntegration stores in, encoded as the SDK would send it (with every
// member it holds, including ones the SDK does not type), and returns its
// id. Like AddIntegrationJSON, an empty ID gets a new one.
func (s *Server) AddIntegration(in *integratorio.Integration) (string, error) {
	if in == nil {
		return "", fmt.Errorf("integratoriotest: AddIntegration: nil *Integration")
	}
	return s.Add("integrations", in)
}

// IntegrationJSON returns the stored integration id as raw JSON, as
// DocumentJSON("integrations", id) does.
func (s *Server) IntegrationJSON(id string) (json.RawMessage, bool) {
	return s.DocumentJSON("integrations", id)
}

// IntegrationIDs returns the ids of the stored integrations in list order
// (the order they were added), as IDs("integrations") does.
func (s *Server) IntegrationIDs() []string { return s.IDs("integrations") }
