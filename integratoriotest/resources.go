package integratoriotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// resourceSpec describes one resource the server serves. Everything the
// server does for a resource follows from its entry in resourceTable: a
// new resource needs an entry there and nothing else.
type resourceSpec struct {
	// name is the collection's name and path segment, e.g. "flows"; also
	// the resource's name for AddJSON, IDs and LoadDir's subfolders.
	name string
	// model names one document in messages and in clone answers, e.g.
	// "Flow".
	model string
	// fields are the members whose JSON type the API checks on create,
	// PUT and PATCH.
	fields fieldTypes
	// required are the members a create, a PUT and what a PATCH leaves
	// must hold, neither null nor "" (else 400 invalid_field naming it),
	// such as a connection's type.
	required []string
	// secrets are the JSON Pointers (through objects) of the members the
	// API answers masked: every answer holding a document (list, get, and
	// those of create, PUT and clone) has secretMask there in place of any
	// value but null, even an object, while the server keeps the value it
	// was given (DocumentJSON returns it). See answer, and
	// WithMaskKeepsSecret for a PUT carrying the mask back.
	secrets []string
	// listOmits are the members a list record leaves out, such as a
	// script's content: only a GET by id answers them.
	listOmits []string
	// check, when non-nil, validates what fields cannot say.
	check func(doc map[string]any) error
	// complete, when non-nil, fills in what the server adds to a valid
	// document it stores by create, PUT or PATCH (the _id of each
	// sub-document that lacks one). The caller holds s.mu.
	complete func(s *Server, doc map[string]any)
	// patchable, when non-nil, are the only JSON Pointers a PATCH may
	// change, or change below; "*" stands for any one token, such as an
	// array index. nil allows every member but the read-only ones.
	patchable []string
	// clone, when non-nil, serves POST /<name>/{id}/clone: it readies the
	// copy doc from the request body b. See cloneHandler.
	clone func(s *Server, doc map[string]any, b *cloneBody) error
	// connections are where a document holds connection ids, which a
	// clone's connectionMap rewrites.
	connections connectionRefs
	// byIntegration serves GET /integrations/{id}/<name>: the documents
	// whose _integrationId is id, or that inIntegration keeps.
	byIntegration bool
	// inIntegration, when non-nil, says which documents the list of one
	// integration holds, for a resource that names integrations otherwise
	// (users: their integrationAccessLevel).
	inIntegration func(doc map[string]any, integrationID string) bool
	// omit are the document endpoints the API lacks: "create", "patch",
	// "delete" (users have no create, environments no delete).
	omit []string
	// defaults are members a create sets when the body lacks them.
	defaults map[string]any
	// serverOwned are members only the server changes (by its own
	// endpoints, such as a user's disable): a PUT keeps the stored
	// values whatever the body holds.
	serverOwned []string
	// putNoContent: a PUT answers 204 without the document (users).
	putNoContent bool
	// parent, when set, nests the collection under a document of another
	// resource (licenses: /connectors/{id}/licenses); parentKey is the
	// member holding the parent's id. See nested.go.
	parent, parentKey string
	// state serves the state of each document, /<name>/{id}/state and
	// /<name>/{id}/state/{key}; see serveState.
	state bool
	// ownRoutes leaves out the six document endpoints: routes serves all
	// there is (jobs are read and canceled, never written).
	ownRoutes bool
	// routes, when non-nil, registers the resource's other endpoints.
	routes func(s *Server, c *collection)
	// onDelete, when non-nil, forgets what the server keeps beside the
	// deleted document id (a lookup cache's data). The caller holds s.mu.
	onDelete func(s *Server, id string)
}

// resourceTable lists the resources the server serves, in the order
// LoadDir stores them and Resources names them.
var resourceTable = []resourceSpec{
	{
		name: "integrations", model: "Integration",
		fields: integrationFields, check: checkIntegration, complete: completeIntegration,
		clone: readyIntegrationClone, connections: integrationConnections,
		state: true,
	},
	{
		name: "connections", model: "Connection",
		fields: connectionFields, required: []string{"type"},
		secrets: []string{
			"/rest/bearerToken", "/http/auth/token/token", "/http/encrypted",
			"/http/auth/basic/password", "/http/auth/oauth/refreshToken",
			"/ftp/password", "/rdbms/password", "/mongodb/password", "/jdbc/password",
			"/s3/secretAccessKey", "/dynamodb/secretAccessKey", "/netsuite/password",
		},
		byIntegration: true, state: true, routes: (*Server).connectionRoutes,
	},
	{
		name: "exports", model: "Export",
		fields: exportFields, required: []string{"adaptorType"}, secrets: []string{"/webhook/key"},
		clone: copyAsIs, connections: ownConnection,
		byIntegration: true, state: true, routes: (*Server).exportRoutes,
	},
	{
		name: "imports", model: "Import",
		fields: importFields, required: []string{"adaptorType"},
		clone: copyAsIs, connections: ownConnection,
		byIntegration: true, state: true,
	},
	{
		name: "scripts", model: "Script",
		fields: scriptFields, required: []string{"name"}, listOmits: []string{"content"},
	},
	{
		name: "flows", model: "Flow",
		fields: flowFields, check: checkFlow, patchable: flowPatchable,
		clone: readyFlowClone, connections: flowConnections,
		byIntegration: true, state: true, routes: (*Server).flowRoutes,
	},
	{
		name: "jobs", model: "Job",
		ownRoutes: true, routes: (*Server).jobRoutes,
	},
	{
		name: "ashares", model: "User",
		fields: userFields, check: checkUser, omit: []string{"create", "patch"},
		serverOwned: []string{"sharedWithUser", "accepted", "disabled", "dismissed"}, putNoContent: true,
		byIntegration: true, inIntegration: userInIntegration, routes: (*Server).userRoutes,
	},
	{
		name: "iclients", model: "IClient",
		fields:  fieldTypes{"name": jsonString, "provider": jsonString, "oauth2": jsonObject},
		secrets: []string{"/oauth2/clientSecret"},
	},
	{
		name: "connectors", model: "Connector",
		fields:   fieldTypes{"name": jsonString, "description": jsonString, "_integrationId": jsonString, "published": jsonBool, "managed": jsonBool},
		required: []string{"name"},
	},
	{
		name: "licenses", model: "License",
		fields:   fieldTypes{"email": jsonString, "expires": jsonString, "_integrationId": jsonString, "opts": jsonObject},
		required: []string{"email"}, check: checkLicense, omit: []string{"patch"},
		parent: "connectors", parentKey: "_connectorId",
	},
	{
		name: "environments", model: "Environment",
		fields: fieldTypes{"name": jsonString, "enabled": jsonBool}, required: []string{"name"},
		omit: []string{"patch", "delete"}, defaults: map[string]any{"enabled": true},
		serverOwned: []string{"enabled"}, routes: (*Server).environmentRoutes,
	},
	{
		name: "tags", model: "Tag",
		fields: fieldTypes{"tag": jsonString}, required: []string{"tag"},
	},
	{
		name: "lookupcaches", model: "LookupCache",
		fields: lookupCacheFields, required: []string{"name"},
		routes: (*Server).lookupCacheRoutes, onDelete: (*Server).forgetCacheData,
	},
	{
		name: "audit", model: "AuditEntry",
		ownRoutes: true, routes: (*Server).auditRoutes,
	},
}

// validate checks a document about to be stored.
func (rs *resourceSpec) validate(doc map[string]any) error {
	if err := rs.fields.check(doc); err != nil {
		return err
	}
	for _, k := range rs.required {
		if v, ok := doc[k]; !ok || v == nil || v == "" {
			return badRequest("invalid_field", k, "%s is required", k)
		}
	}
	if rs.check != nil {
		return rs.check(doc)
	}
	return nil
}

// answer returns the stored document b as the API answers it: its secrets
// masked and, in a list (listed), without the members lists leave out. A
// resource with neither answers b as stored.
func (rs *resourceSpec) answer(b []byte, listed bool) ([]byte, error) {
	if len(rs.secrets) == 0 && (!listed || len(rs.listOmits) == 0) {
		return b, nil
	}
	var doc map[string]any
	if err := decodeJSON(b, &doc); err != nil {
		return nil, err
	}
	maskSecrets(doc, rs.secrets)
	if listed {
		for _, k := range rs.listOmits {
			delete(doc, k)
		}
	}
	return encodeJSON(doc)
}

// sideState is what tests set beside the documents: how pings and
// invocations answer, and the state store. Its fields are guarded by
// Server.mu.
type sideState struct {
	pings   map[string]PingAnswer // by connection id; see connections.go
	invokes map[string][]byte     // by export id; see exports.go
	// state holds the values of each state scope by key; see state.go.
	state map[string]map[string][]byte
	// cacheData holds each lookup cache's entries by key; see
	// lookupcaches.go.
	cacheData map[string]map[string]json.RawMessage
	// revisions holds each integration's revisions, oldest first; see
	// revisions.go.
	revisions map[string][]*revision
	// files holds what the signed URLs serve, by key; uploads maps a
	// runKey to its file's key. See templates.go.
	files   map[string]*signedFile
	uploads map[string]string
	// standalone holds the integrations cloned through the API, which
	// are not linked to their source: snapshots of them are refused.
	standalone map[string]bool
	// bin holds the deleted documents, oldest first; see recyclebin.go.
	bin []binned
}

// sideOf returns what m holds for the stored document id of c, and
// whether it holds anything; an unknown document is 404.
func sideOf[V any](s *Server, c *collection, id string, m *map[string]V) (V, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v V
	if _, ok := c.get(id); !ok {
		return v, false, notFound(c.model, id)
	}
	v, ok := (*m)[id]
	return v, ok, nil
}

// setSide stores v for id in m, or forgets what m holds for id when
// clear.
func setSide[V any](s *Server, m *map[string]V, id string, v V, clear bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if clear {
		delete(*m, id)
		return
	}
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[id] = v
}

// initResources creates a collection for each resource of the table.
func (s *Server) initResources() {
	s.table = s.opts.resources
	if s.table == nil {
		s.table = resourceTable
	}
	s.colls = make(map[string]*collection, len(s.table))
	for _, rs := range s.table {
		s.colls[rs.name] = newCollection(rs.name, rs.model)
	}
	s.integrations = s.colls["integrations"]
	s.auditLog = s.colls["audit"]
}

// resourceRoutes registers the endpoints of every resource of the table.
func (s *Server) resourceRoutes() {
	for i := range s.table {
		rs := &s.table[i]
		c := s.colls[rs.name]
		if !rs.ownRoutes {
			s.crudRoutes(rs, c)
		}
		if rs.clone != nil {
			s.handle(http.MethodPost, "/"+rs.name+"/{id}/clone", s.cloneHandler(rs, c))
		}
		if rs.byIntegration {
			s.handle(http.MethodGet, "/integrations/{id}/"+rs.name, s.listHandler(rs, c, s.ofIntegration(rs.inIntegration)))
		}
		if rs.state {
			s.stateRoutes(c)
		}
		if !rs.ownRoutes && rs.parent == "" {
			s.handle(http.MethodGet, "/"+rs.name+"/{id}/audit", s.resourceAudit(c))
			s.handle(http.MethodGet, "/"+rs.name+"/{id}/dependencies", s.dependencies(c))
		}
		if rs.routes != nil {
			rs.routes(s, c)
		}
	}
}

// ofIntegration scopes a sub-list to the documents of the path's
// integration: those whose _integrationId is its id, or, when in is
// non-nil, those in keeps. An unknown integration is 404.
func (s *Server) ofIntegration(in func(doc map[string]any, integrationID string) bool) func(*http.Request) (func(doc []byte) bool, error) {
	return func(r *http.Request) (func(doc []byte) bool, error) {
		id := r.PathValue("id")
		s.mu.Lock()
		_, ok := s.integrations.get(id)
		s.mu.Unlock()
		if !ok {
			return nil, notFound(s.integrations.model, id)
		}
		if in != nil {
			return func(doc []byte) bool {
				var d map[string]any
				return json.Unmarshal(doc, &d) == nil && in(d, id)
			}, nil
		}
		return func(doc []byte) bool {
			var d struct {
				IntegrationID any `json:"_integrationId"`
			}
			return json.Unmarshal(doc, &d) == nil && d.IntegrationID == id
		}, nil
	}
}

// collection returns the collection named resource. The caller need not
// hold s.mu: the set of collections never changes.
func (s *Server) collection(resource string) (*collection, error) {
	if c, ok := s.colls[resource]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("unknown resource %q (the server stores %s)", resource, strings.Join(s.Resources(), ", "))
}

// Resources returns the names of the resources the server stores and
// serves, such as "integrations", "connections", "flows" and "jobs": the
// names AddJSON, DocumentJSON, IDs and LoadDir's subfolders take.
func (s *Server) Resources() []string {
	out := make([]string, len(s.table))
	for i, rs := range s.table {
		out[i] = rs.name
	}
	return out
}

// AddJSON stores documents of a resource (one of Resources, such as
// "flows" or "jobs") given as one JSON object or an array of objects, and
// returns the id of the first. Documents are stored as given, without the
// checks a create makes, so tests can seed any state (many jobs created in
// the same millisecond, a job already running): every member and value is
// kept (members in sorted order, without insignificant white space). A
// document keeps its _id when it has one (an error if that id is taken);
// otherwise it gets a new 24-hex id. createdAt and lastModified are kept
// when present; a missing lastModified is set to now and a missing
// createdAt to lastModified. The server's write clock moves past any
// timestamp it is given, so later writes are always newer. An array is
// stored all or none.
func (s *Server) AddJSON(resource string, doc []byte) (string, error) {
	ids, err := s.addJSON(resource, doc)
	if err != nil {
		return "", fmt.Errorf("integratoriotest: AddJSON %s: %w", resource, err)
	}
	return ids[0], nil
}

func (s *Server) addJSON(resource string, doc []byte) ([]string, error) {
	c, err := s.collection(resource)
	if err != nil {
		return nil, err
	}
	docs, err := decodeObjects(doc)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("no documents")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seed(seedBatch{c, docs})
}

// Add stores v, encoded with encoding/json, as AddJSON does. An SDK
// document such as *integratorio.Flow is encoded with every member it
// holds, including the ones the SDK does not type.
func (s *Server) Add(resource string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("integratoriotest: Add %s: %w", resource, err)
	}
	return s.AddJSON(resource, b)
}

// DocumentJSON returns a copy of the stored document id of a resource as
// raw JSON, as the server holds it (members in sorted order), and whether
// it exists. Secrets are not masked: it holds the values the server was
// given (or, after a PUT that sent the mask back, what WithMaskKeepsSecret
// says), where the API's answers hold "******".
func (s *Server) DocumentJSON(resource, id string) (json.RawMessage, bool) {
	c, err := s.collection(resource)
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := c.get(id)
	return slices.Clone(b), ok
}

// IDs returns the ids of the stored documents of a resource in list order
// (the order they were added); nil for a resource the server does not
// store.
func (s *Server) IDs(resource string) []string {
	c, err := s.collection(resource)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.ids()
}

// jsonType is the JSON type a member must have.
type jsonType int

const (
	jsonString jsonType = iota + 1
	jsonBool
	jsonObject
	jsonArray
)

func (t jsonType) String() string {
	return [...]string{jsonString: "a string", jsonBool: "a boolean", jsonObject: "an object", jsonArray: "an array"}[t]
}

func (t jsonType) holds(v any) bool {
	switch v.(type) {
	case string:
		return t == jsonString
	case bool:
		return t == jsonBool
	case map[string]any:
		return t == jsonObject
	case []any:
		return t == jsonArray
	}
	return false
}

// fieldTypes are the JSON types of a document's members, by name.
type fieldTypes map[string]jsonType

// check refuses a member of the wrong type, 400 invalid_field; null and
// missing members pass.
func (f fieldTypes) check(doc map[string]any) error {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same member is named every time
	for _, k := range keys {
		if v, ok := doc[k]; ok && v != nil && !f[k].holds(v) {
			return badRequest("invalid_field", k, "%s must be %s", k, f[k])
		}
	}
	return nil
}

// checkOneOf refuses a member of m that is present, not null and not one
// of values, 400 invalid_field; where names it in the message.
func checkOneOf(m map[string]any, key, where string, values ...string) error {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	if s, isString := v.(string); isString && slices.Contains(values, s) {
		return nil
	}
	return badRequest("invalid_field", key, "%s%s must be %s", where, key, orList(values))
}

// orList writes values as "a, b or c".
func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// completeDoc runs rs.complete, when set, on a document about to be
// stored. The caller holds s.mu.
func (rs *resourceSpec) completeDoc(s *Server, doc map[string]any) {
	if rs.complete != nil {
		rs.complete(s, doc)
	}
}
