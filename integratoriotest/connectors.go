package integratoriotest

import (
	"net/http"
	"slices"
)

// connectorRoutes registers the SmartConnector endpoints that work on the
// integrations installed from a connector. The server keeps no connector
// documents: a connector's install base is the integrations whose
// _connectorId is the connector's id.
func (s *Server) connectorRoutes() {
	s.handle(http.MethodGet, "/connectors/{id}/installBase", s.connectorInstallBase)
	s.handle(http.MethodPut, "/connectors/{id}/update", s.connectorUpdate)
}

// connectorInstallBase answers 200 with one entry per integration installed
// from the connector, in list order, or 204 when there is none. An entry
// holds _id, the install's own id (see installID), _integrationId, the
// integration's id, _connectorId, name, version and updateInProgress, as far
// as the integration has them. As on the real service, the two ids differ:
// code that pushes an update to _id instead of _integrationId fails here too.
func (s *Server) connectorInstallBase(w http.ResponseWriter, r *http.Request) {
	connID := r.PathValue("id")
	// Stored documents are replaced, never changed in place: copy the
	// slices under the lock and decode them after.
	s.mu.Lock()
	ids := slices.Clone(s.integrations.order)
	docs := make([][]byte, len(ids))
	for i, id := range ids {
		docs[i] = s.integrations.docs[id]
	}
	s.mu.Unlock()
	var out []map[string]any
	for i, id := range ids {
		var doc map[string]any
		if err := decodeJSON(docs[i], &doc); err != nil || doc["_connectorId"] != connID {
			continue
		}
		entry := map[string]any{"_id": installID(connID, id), "_integrationId": id, "_connectorId": connID}
		for _, k := range []string{"name", "version", "updateInProgress"} {
			if v, ok := doc[k]; ok {
				entry[k] = v
			}
		}
		out = append(out, entry)
	}
	if len(out) == 0 {
		writeNoContent(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// installID returns the id of the install of connector connID that holds
// integration integrationID: 24 hex digits derived from both ids, so that it
// is the same at every listing, on every server holding the integration,
// and (see derivedID) no integration's id.
func installID(connID, integrationID string) string {
	return derivedID("install", connID, integrationID)
}

// installOf returns the integration whose install (of any connector) has
// the id id. The caller holds s.mu.
func (s *Server) installOf(id string) (integrationID, connID string, ok bool) {
	for _, iid := range s.integrations.order {
		var doc struct {
			ConnectorID string `json:"_connectorId"`
		}
		if decodeJSON(s.integrations.docs[iid], &doc) != nil || doc.ConnectorID == "" {
			continue
		}
		if installID(doc.ConnectorID, iid) == id {
			return iid, doc.ConnectorID, true
		}
	}
	return "", "", false
}

// connectorUpdate pushes an update: body {"_integrationIds": ["..."]}. Each
// id must be an integration's, not an install's (else 400 invalid_ref), the
// integration must exist (else 404) and be installed from the connector
// (else 400 invalid_ref); all are then marked updateInProgress: true, with
// a new lastModified each. Answers 200 with {"_integrationIds": [...]}.
// Nothing changes unless every id is valid.
func (s *Server) connectorUpdate(w http.ResponseWriter, r *http.Request) {
	connID := r.PathValue("id")
	body, err := requestObject(r, false)
	if err != nil {
		writeErr(w, err)
		return
	}
	raw, ok := body["_integrationIds"].([]any)
	if !ok || len(raw) == 0 {
		badRequest("invalid_field", "_integrationIds", "_integrationIds must be a non-empty array of integration ids").write(w)
		return
	}
	ids := make([]string, len(raw))
	for i, v := range raw {
		id, ok := v.(string)
		if !ok || id == "" {
			badRequest("invalid_field", "_integrationIds", "_integrationIds[%d] must be an integration id", i).write(w)
			return
		}
		ids[i] = id
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		b, ok := s.integrations.get(id)
		if !ok {
			if iid, cid, isInstall := s.installOf(id); isInstall {
				badRequest("invalid_ref", "_integrationIds",
					"%s is the id of an install of connector %s, not of an integration: use the install's _integrationId, %s", id, cid, iid).write(w)
				return
			}
			notFound(s.integrations.model, id).write(w)
			return
		}
		var doc map[string]any
		if err := decodeJSON(b, &doc); err != nil {
			writeErr(w, err)
			return
		}
		if doc["_connectorId"] != connID {
			badRequest("invalid_ref", "_integrationIds", "integration %s is not installed from connector %s", id, connID).write(w)
			return
		}
	}
	for _, id := range ids {
		_, err := s.replace(s.integrations, id, func(doc map[string]any) (map[string]any, error) {
			doc["updateInProgress"] = true
			return doc, nil
		})
		if err != nil {
			writeErr(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"_integrationIds": ids})
}
