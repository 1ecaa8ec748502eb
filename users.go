package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// UsersService manages who has access to the account (/ashares): each User
// is an access record, not a person, and its ID is the record's, not the
// person's. There is no create: people are invited (Invite). Client.Users
// holds the real implementation.
type usersService interface {
	// Lister gives List and All; with IntegrationID, the users of one
	// integration (/integrations/{id}/ashares).
	Lister[User, ResourceListOptions]
	// Getter, Replacer and Deleter give Get, Update, Modify and Delete.
	Getter[User]
	Replacer[User]
	Deleter
	// Delete removes the person's access to the account (DELETE
	// /ashares/{id}). A 404 on a retry, after an attempt that may have
	// deleted it, counts as success.
	Delete(ctx context.Context, id string) error
	// Disable disables (true) or enables (false) the person's access. The
	// API's call (PUT /ashares/{id}/disable) toggles, so Disable reads the
	// record and sends the toggle only when its Disabled is not disabled;
	// it never sends it twice: a failure after the toggle may have reached
	// the server matches ErrUnknownOutcome (Get the record to learn its
	// state). Disable calls of one client on one record run one at a time.
	Disable(ctx context.Context, id string, disabled bool) error
	// Reinvite sends the invitation again (PUT /ashares/{id}/reinvite),
	// to a person who dismissed it.
	Reinvite(ctx context.Context, id string) error
	// Invite invites people to the account (POST /invite/multiple) and
	// returns one result per e-mail, in the order the API answers them:
	// invited, or already having access. It is a write: never repeated
	// once it may have reached the server (ErrUnknownOutcome). An
	// invitation without e-mails, or with an empty or malformed one, is
	// refused before sending.
	Invite(ctx context.Context, inv *Invitation) ([]InviteResult, error)
}

// AccessLevel is what a person may do in the account or in one
// integration.
type AccessLevel string

// The access levels the API documents.
const (
	// AccessAdministrator may do everything, including managing users.
	AccessAdministrator AccessLevel = "administrator"
	// AccessManage may create and change resources.
	AccessManage AccessLevel = "manage"
	// AccessMonitor may look and run, not change.
	AccessMonitor AccessLevel = "monitor"
)

// User is one person's access to the account (an "ashare"). Members it
// does not type are kept.
type User struct {
	// ID is the access record's id (`_id`), not the person's; read-only.
	ID string `json:"_id"`
	// AccessLevel is the account-wide access; empty when access is given
	// per integration (IntegrationAccessLevel).
	AccessLevel AccessLevel `json:"accessLevel"`
	// IntegrationAccessLevel is the access to single integrations.
	IntegrationAccessLevel []IntegrationAccess `json:"integrationAccessLevel"`
	// SharedWithUser is the person: e-mail and name; read-only.
	SharedWithUser *SharedUser `json:"sharedWithUser"`
	// Accepted reports whether the person accepted the invitation.
	Accepted bool `json:"accepted"`
	// Disabled reports access that is switched off; change it with
	// UsersService.Disable.
	Disabled bool `json:"disabled"`
	// LastModified is when the record last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when access was given; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

// IntegrationAccess is a person's access to one integration. Members it
// does not type are kept.
type IntegrationAccess struct {
	// IntegrationID is the integration (`_integrationId`).
	IntegrationID string `json:"_integrationId"`
	// AccessLevel is the access to it: AccessManage or AccessMonitor.
	AccessLevel AccessLevel `json:"accessLevel"`

	state docState
}

// SharedUser is the person an access record is for. Members it does not
// type are kept.
type SharedUser struct {
	// ID is the person's id (`_id`).
	ID string `json:"_id"`
	// Email is the person's e-mail address.
	Email string `json:"email"`
	// Name is the person's name.
	Name string `json:"name"`

	state docState
}

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

// The outcomes of an invitation, per e-mail.
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

type users struct {
	scopedLister[User, *User]
}

var _ UsersService = (*users)(nil)

func (s *users) Disable(ctx context.Context, id string, disabled bool) error {
	return s.setToggled(ctx, id, "disable", disabled, func(u *User) (bool, error) { return u.Disabled, nil })
}

func (s *users) Reinvite(ctx context.Context, id string) error {
	p, err := s.docPath(id)
	if err != nil {
		return err
	}
	return s.c.send(request{ctx: ctx, method: http.MethodPut, path: p + "/reinvite", raw: []byte("{}")}, nil)
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
