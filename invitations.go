package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Invitation is the body of UsersService.Invite: the same access for
// every e-mail.
type Invitation struct {
	// Emails are the people to invite; at least one.
	Emails []string `json:"emails"`
	// AccessLevel is the account-wide access; leave it empty to give
	// access per integration only.
	AccessLevel AccessLevel `json:"accessLevel,omitempty"`
	// IntegrationAccessLevel gives access to single integrations.
	IntegrationAccessLevel []IntegrationAccess `json:"integrationAccessLevel,omitempty"`
	// MFARequired makes the people use multi-factor authentication
	// (`accountMFARequired`).
	MFARequired bool `json:"accountMFARequired,omitempty"`
	// SSORequired makes the people sign in through the account's single
	// sign-on (`accountSSORequired`).
	SSORequired bool `json:"accountSSORequired,omitempty"`
}

// InviteStatus is what an invitation did for one e-mail.
type InviteStatus string

const (
	// Invited: the person was invited (201).
	Invited InviteStatus = "invited"
	// AlreadyHasAccess: the person already has access, so nothing was
	// sent (400 in Celigo's API documentation, 409 in other Celigo
	// sources; either is taken).
	AlreadyHasAccess InviteStatus = "already has access"
	// InviteRefused: any other status; see InviteResult.Errors.
	InviteRefused InviteStatus = "refused"
)

// InviteResult is the outcome of an invitation for one e-mail.
type InviteResult struct {
	// Email is the e-mail, as the answer names it, or else the one at the
	// same place in the invitation.
	Email string
	// Status is what happened.
	Status InviteStatus
	// StatusCode is the status the API gave this e-mail.
	StatusCode int
	// User is the access record the answer holds, if any.
	User *User
	// Errors are the reasons the answer gives, if any.
	Errors []ErrorDetail
}

func (s *users) Invite(ctx context.Context, inv *Invitation) ([]InviteResult, error) {
	if err := inv.validate(); err != nil {
		return nil, err
	}
	var out []InviteResult
	err := s.c.send(request{ctx: ctx, method: http.MethodPost, path: "/invite/multiple", body: inv}, func(r *response) error {
		var entries []struct {
			StatusCode json.RawMessage `json:"statusCode"`
			Doc        json.RawMessage `json:"doc"`
		}
		if r.body == nil || r.body[0] != '[' || json.Unmarshal(r.body, &entries) != nil {
			return r.unexpected(http.MethodPost, "want a list of results per e-mail, got %s", r.excerpt())
		}
		out = make([]InviteResult, len(entries))
		for i, e := range entries {
			res := &out[i]
			code, err := strconv.Atoi(strings.Trim(string(e.StatusCode), `"`))
			if err != nil {
				return r.unexpected(http.MethodPost, "result %d has no numeric statusCode", i)
			}
			res.StatusCode = code
			res.Status = inviteStatus(code)
			res.User, res.Errors = inviteDoc(e.Doc)
			if res.User != nil && res.User.SharedWithUser != nil {
				res.Email = res.User.SharedWithUser.Email
			}
			if res.Email == "" && len(entries) == len(inv.Emails) {
				res.Email = inv.Emails[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// validate refuses an invitation the API cannot take.
func (inv *Invitation) validate() error {
	if inv == nil {
		return invalidArgf("Invite: nil *Invitation")
	}
	if len(inv.Emails) == 0 {
		return invalidArgf("Invite: no e-mails")
	}
	for _, e := range inv.Emails {
		local, domain, ok := strings.Cut(e, "@")
		if !ok || local == "" || domain == "" || strings.ContainsFunc(e, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return invalidArgf("Invite: %q is not an e-mail address", e)
		}
	}
	for i, a := range inv.IntegrationAccessLevel {
		if err := validateID(a.IntegrationID); err != nil {
			return invalidArgf("Invite: IntegrationAccessLevel[%d]: integration %v", i, err)
		}
	}
	return nil
}

// inviteStatus reads the status of one e-mail.
func inviteStatus(code int) InviteStatus {
	switch {
	case code >= 200 && code <= 299:
		return Invited
	case code == http.StatusBadRequest || code == http.StatusConflict:
		return AlreadyHasAccess
	}
	return InviteRefused
}

// inviteDoc reads the doc of one e-mail's result: an access record, or an
// error envelope, or neither.
func inviteDoc(doc json.RawMessage) (*User, []ErrorDetail) {
	if len(doc) == 0 || doc[0] != '{' {
		return nil, nil
	}
	var env struct {
		Errors []ErrorDetail `json:"errors"`
	}
	if json.Unmarshal(doc, &env) == nil && len(env.Errors) > 0 {
		return nil, env.Errors
	}
	var u User
	if u.UnmarshalJSON(doc) != nil || (u.ID == "" && u.SharedWithUser == nil) {
		return nil, nil
	}
	return &u, nil
}

// The outcomes of an invitation, per e-mail.
