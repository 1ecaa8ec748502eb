package integratorio

import (
	"context"
	"net/http"
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
