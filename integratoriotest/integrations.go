package integratoriotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/integratorio-go/integratorio"
)

// integrationRoutes registers /integrations: the six document endpoints
// and POST /integrations/{id}/clone.
func (s *Server) integrationRoutes() {
	s.crudRoutes(s.integrations, validateIntegration)
	s.handle(http.MethodPost, "/integrations/{id}/clone", s.cloneIntegration)
}

// validateIntegration checks the types of the members the API is known to
// type strictly.
func validateIntegration(doc map[string]any) error {
	for _, k := range []string{"name", "description", "readme", "version", "tag", "_connectorId", "_templateId"} {
		if v, ok := doc[k]; ok && v != nil {
			if _, isString := v.(string); !isString {
				return badRequest("invalid_field", k, "%s must be a string", k)
			}
		}
	}
	if v, ok := doc["mode"]; ok && v != nil {
		switch v {
		case "install", "settings", "uninstall":
		default:
			return badRequest("invalid_field", "mode", "mode must be install, settings or uninstall")
		}
	}
	if v, ok := doc["updateInProgress"]; ok && v != nil {
		if _, isBool := v.(bool); !isBool {
			return badRequest("invalid_field", "updateInProgress", "updateInProgress must be a boolean")
		}
	}
	if v, ok := doc["settings"]; ok && v != nil {
		if _, isObj := v.(map[string]any); !isObj {
			return badRequest("invalid_field", "settings", "settings must be an object")
		}
	}
	return nil
}

// stepLists are the members holding install or uninstall steps, whose
// _connectionId a clone maps.
var stepLists = []string{"install", "installSteps", "uninstallSteps"}

// cloneIntegration copies an integration under a new id and answers 201.
//
// The body may hold name (default "Clone - <name>"), tag, sandbox and
// connectionMap {"<old id>": "<new id>"}. The map is applied to every
// connection id in the copy: _connectionId of each install, installSteps
// and uninstallSteps entry, each of _registeredConnectionIds, and each
// string value of settings.commonresources. When the map is not empty, a
// connection the integration references (in the steps or
// _registeredConnectionIds) but the map does not name is
// 400 invalid_connectionMap. An empty map copies the ids unchanged.
func (s *Server) cloneIntegration(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := requestObject(r, true)
	if err != nil {
		writeErr(w, err)
		return
	}
	opts, err := parseCloneBody(body)
	if err != nil {
		writeErr(w, err)
		return
	}

	s.mu.Lock()
	src, ok := s.integrations.get(id)
	if !ok {
		s.mu.Unlock()
		notFound(s.integrations.model, id).write(w)
		return
	}
	var doc map[string]any
	err = decodeJSON(src, &doc)
	if err == nil {
		err = applyConnectionMap(doc, opts.connectionMap)
	}
	var out []byte
	if err == nil {
		name := opts.name
		if name == "" {
			orig, _ := doc["name"].(string)
			name = "Clone - " + orig
		}
		doc["name"] = name
		if opts.tag != nil {
			doc["tag"] = *opts.tag
		}
		if opts.sandbox != nil {
			doc["sandbox"] = *opts.sandbox
		}
		out, err = s.insert(s.integrations, doc)
	}
	s.mu.Unlock()
	if err != nil {
		writeErr(w, err)
		return
	}
	if s.opts.cloneResponse == CloneReturnsCreated {
		writeJSON(w, http.StatusCreated, []map[string]any{{
			"model": s.integrations.model,
			"_id":   doc["_id"],
			"name":  doc["name"],
		}})
		return
	}
	writeRaw(w, http.StatusCreated, out)
}

type cloneBody struct {
	name          string
	tag           *string
	sandbox       *bool
	connectionMap map[string]string
}

func parseCloneBody(m map[string]any) (*cloneBody, error) {
	var b cloneBody
	if v, ok := m["name"]; ok && v != nil {
		s, isString := v.(string)
		if !isString {
			return nil, badRequest("invalid_field", "name", "name must be a string")
		}
		b.name = s
	}
	if v, ok := m["tag"]; ok && v != nil {
		s, isString := v.(string)
		if !isString {
			return nil, badRequest("invalid_field", "tag", "tag must be a string")
		}
		b.tag = &s
	}
	if v, ok := m["sandbox"]; ok && v != nil {
		sb, isBool := v.(bool)
		if !isBool {
			return nil, badRequest("invalid_field", "sandbox", "sandbox must be a boolean")
		}
		b.sandbox = &sb
	}
	if v, ok := m["connectionMap"]; ok && v != nil {
		cm, isObj := v.(map[string]any)
		if !isObj {
			return nil, badRequest("invalid_connectionMap", "connectionMap", "connectionMap must be an object of connection ids")
		}
		b.connectionMap = make(map[string]string, len(cm))
		for from, to := range cm {
			s, isString := to.(string)
			if from == "" || !isString || s == "" {
				return nil, badRequest("invalid_connectionMap", "connectionMap", "connectionMap[%q] must be a non-empty connection id", from)
			}
			b.connectionMap[from] = s
		}
	}
	return &b, nil
}

// applyConnectionMap rewrites the connection ids of doc through cmap; see
// cloneIntegration.
func applyConnectionMap(doc map[string]any, cmap map[string]string) error {
	if len(cmap) == 0 {
		return nil
	}
	var missing []string
	mapID := func(v any) any {
		id, ok := v.(string)
		if !ok || id == "" {
			return v
		}
		if to, ok := cmap[id]; ok {
			return to
		}
		if !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
		return v
	}
	for _, key := range stepLists {
		steps, _ := doc[key].([]any)
		for _, st := range steps {
			if step, ok := st.(map[string]any); ok {
				if v, ok := step["_connectionId"]; ok {
					step["_connectionId"] = mapID(v)
				}
			}
		}
	}
	if ids, ok := doc["_registeredConnectionIds"].([]any); ok {
		for i, v := range ids {
			ids[i] = mapID(v)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return badRequest("invalid_connectionMap", "connectionMap",
			"connectionMap does not map the referenced connection(s) %s", strings.Join(missing, ", "))
	}
	if settings, ok := doc["settings"].(map[string]any); ok {
		if common, ok := settings["commonresources"].(map[string]any); ok {
			for k, v := range common {
				if id, ok := v.(string); ok {
					if to, ok := cmap[id]; ok {
						common[k] = to
					}
				}
			}
		}
	}
	return nil
}

// AddIntegrationJSON stores an integration document given as a JSON object,
// keeping every member and value as given (the server holds members in
// sorted order, without insignificant white space), and returns its id. The document keeps its _id when it
// has one (an error if that id is taken); otherwise it gets a new 24-hex id.
// createdAt and lastModified are kept when present; a missing lastModified
// is set to now and a missing createdAt to lastModified. The server's write
// clock moves past any timestamp it is given,
// so later writes are always newer. doc may also be a JSON array of
// objects, stored all or none; the id returned is then the first one.
func (s *Server) AddIntegrationJSON(doc []byte) (string, error) {
	docs, err := decodeObjects(doc)
	if err != nil {
		return "", fmt.Errorf("integratoriotest: AddIntegrationJSON: %w", err)
	}
	if len(docs) == 0 {
		return "", fmt.Errorf("integratoriotest: AddIntegrationJSON: no documents")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, err := s.seed(s.integrations, docs)
	if err != nil {
		return "", fmt.Errorf("integratoriotest: AddIntegrationJSON: %w", err)
	}
	return ids[0], nil
}

// AddIntegration stores in, encoded as the SDK would send it (with every
// member it holds, including ones the SDK does not type), and returns its
// id. Like AddIntegrationJSON, an empty ID gets a new one.
func (s *Server) AddIntegration(in *integratorio.Integration) (string, error) {
	if in == nil {
		return "", fmt.Errorf("integratoriotest: AddIntegration: nil *Integration")
	}
	b, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("integratoriotest: AddIntegration: %w", err)
	}
	return s.AddIntegrationJSON(b)
}

// LoadDir stores the integrations of every *.json file in dir (not its
// subdirectories), in file name order. Each file holds one integration
// document or an array of them; documents are stored as AddIntegrationJSON
// does. Either every document is stored or, on an error, none. It returns
// the ids stored, in order. dir must be a directory.
func (s *Server) LoadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("integratoriotest: LoadDir: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	var docs []map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("integratoriotest: LoadDir: %w", err)
		}
		d, err := decodeObjects(b)
		if err != nil {
			return nil, fmt.Errorf("integratoriotest: LoadDir: %s: %w", f, err)
		}
		docs = append(docs, d...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, err := s.seed(s.integrations, docs)
	if err != nil {
		return nil, fmt.Errorf("integratoriotest: LoadDir %s: %w", dir, err)
	}
	return ids, nil
}

// IntegrationJSON returns the stored integration id as raw JSON, as the
// server holds it (members in sorted order), and whether it exists.
func (s *Server) IntegrationJSON(id string) (json.RawMessage, bool) {
	return s.rawDocument(s.integrations, id)
}

// IntegrationIDs returns the ids of the stored integrations in list order
// (the order they were added).
func (s *Server) IntegrationIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.integrations.ids()
}

// parseTimeMember reads a timestamp member.
func parseTimeMember(v any) (time.Time, bool) {
	str, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, str)
	return t, err == nil
}
