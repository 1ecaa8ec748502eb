package integratoriotest

import (
	"net/http"
	"strings"
)

// userFields are the typed members of an access record (/ashares).
var userFields = fieldTypes{
	"accessLevel": jsonString, "integrationAccessLevel": jsonArray, "sharedWithUser": jsonObject,
	"accepted": jsonBool, "disabled": jsonBool, "dismissed": jsonBool,
}

// accessLevels are the account-wide access levels; an integration's access
// is one of the last two.
var accessLevels = []string{"administrator", "manage", "monitor"}

// checkUser refuses an access level the API does not know, account-wide
// or per integration.
func checkUser(doc map[string]any) error {
	if err := checkOneOf(doc, "accessLevel", "", accessLevels...); err != nil {
		return err
	}
	levels, _ := doc["integrationAccessLevel"].([]any)
	for _, v := range levels {
		m, ok := v.(map[string]any)
		if !ok {
			return badRequest("invalid_field", "integrationAccessLevel", "integrationAccessLevel must hold objects")
		}
		if id, _ := m["_integrationId"].(string); id == "" {
			return badRequest("invalid_field", "_integrationId", "integrationAccessLevel[]._integrationId is required")
		}
		if err := checkOneOf(m, "accessLevel", "integrationAccessLevel[].", accessLevels[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// userInIntegration keeps, in the users of one integration, the access
// records that name it in integrationAccessLevel and those with
// account-wide access, which reaches every integration.
func userInIntegration(doc map[string]any, integrationID string) bool {
	if level, _ := doc["accessLevel"].(string); level != "" {
		return true
	}
	levels, _ := doc["integrationAccessLevel"].([]any)
	for _, v := range levels {
		if m, ok := v.(map[string]any); ok && m["_integrationId"] == integrationID {
			return true
		}
	}
	return false
}

// userRoutes registers the endpoints of access records beyond the
// document ones: disable (a toggle, refused for an invitation not yet
// accepted), reinvite, and POST /invite/multiple.
func (s *Server) userRoutes(c *collection) {
	s.handle(http.MethodPut, "/ashares/{id}/disable", s.actionHandler(c, toggle("disabled", false, func(doc map[string]any) error {
		if accepted, _ := doc["accepted"].(bool); !accepted {
			return badRequest("invalid_request", "accepted", "only a user who accepted the invitation can be disabled or enabled")
		}
		return nil
	})))
	s.handle(http.MethodPut, "/ashares/{id}/reinvite", s.actionHandler(c, reinvite))
	s.handle(http.MethodPost, "/invite/multiple", s.inviteUsers(c))
}

// reinvite sends an invitation again: the record must not be accepted
// (else 400); it is pending afterwards (dismissed false).
func reinvite(doc map[string]any) error {
	if accepted, _ := doc["accepted"].(bool); accepted {
		return badRequest("invalid_request", "accepted", "the user already accepted the invitation")
	}
	doc["dismissed"] = false
	return nil
}

// inviteUsers serves POST /invite/multiple {emails, accessLevel,
// integrationAccessLevel, …}: the body is checked as a whole (400), then
// each e-mail is answered on its own, in order: {statusCode: 201, doc:
// the new access record, not yet accepted} or, when an access record of
// that e-mail exists (compared without case), {statusCode: 400, doc: the
// error envelope, code already_has_access}. Answers 200 with the list.
func (s *Server) inviteUsers(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		body, err := requestObject(r, false)
		if err != nil {
			return err
		}
		emails, err := inviteEmails(body["emails"])
		if err != nil {
			return err
		}
		delete(body, "emails")
		if err := checkUser(body); err != nil {
			return err
		}
		levels, _ := body["integrationAccessLevel"].([]any)
		if level, _ := body["accessLevel"].(string); level == "" && len(levels) == 0 {
			return badRequest("invalid_field", "accessLevel", "give accessLevel or integrationAccessLevel")
		}
		out, err := s.invite(c, body, emails, levels)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// invite stores an access record for each e-mail that has none and
// returns the answer of each; see inviteUsers.
func (s *Server) invite(c *collection, body map[string]any, emails []string, levels []any) ([]map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range levels {
		id := v.(map[string]any)["_integrationId"].(string)
		if _, ok := s.integrations.get(id); !ok {
			return nil, badRequest("invalid_ref", "_integrationId", "integration %s does not exist", id)
		}
	}
	out := make([]map[string]any, len(emails))
	for i, email := range emails {
		if s.hasAccess(c, email) {
			out[i] = map[string]any{"statusCode": http.StatusBadRequest, "doc": map[string]any{"errors": []map[string]any{{
				"code": "already_has_access", "field": "email", "message": email + " already has access to this account",
			}}}}
			continue
		}
		doc := map[string]any{
			"accepted": false, "disabled": false,
			"sharedWithUser": map[string]any{"_id": derivedID("person", strings.ToLower(email)), "email": email, "name": ""},
		}
		for _, k := range []string{"accessLevel", "integrationAccessLevel", "accountMFARequired", "accountSSORequired"} {
			if v, ok := body[k]; ok {
				doc[k] = v
			}
		}
		b, err := s.insert(c, doc)
		if err != nil {
			return nil, err
		}
		var stored map[string]any
		if err := decodeJSON(b, &stored); err != nil {
			return nil, err
		}
		out[i] = map[string]any{"statusCode": http.StatusCreated, "doc": stored}
	}
	return out, nil
}

// inviteEmails reads the e-mails of an invitation: a non-empty array of
// addresses.
func inviteEmails(v any) ([]string, error) {
	list, _ := v.([]any)
	if len(list) == 0 {
		return nil, badRequest("invalid_field", "emails", "emails must be a non-empty array of e-mail addresses")
	}
	out := make([]string, len(list))
	for i, e := range list {
		email, _ := e.(string)
		if local, domain, ok := strings.Cut(email, "@"); !ok || local == "" || domain == "" {
			return nil, badRequest("invalid_field", "emails", "emails[%d] is not an e-mail address", i)
		}
		out[i] = email
	}
	return out, nil
}

// hasAccess reports whether an access record of email exists. The caller
// holds s.mu.
func (s *Server) hasAccess(c *collection, email string) bool {
	for _, id := range c.order {
		var doc struct {
			SharedWithUser struct {
				Email string `json:"email"`
			} `json:"sharedWithUser"`
		}
		if decodeJSON(c.docs[id], &doc) == nil && strings.EqualFold(doc.SharedWithUser.Email, email) {
			return true
		}
	}
	return false
}
