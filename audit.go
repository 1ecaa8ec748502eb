package integratorio

import (
	"context"
	"iter"
	"net/url"
	"time"
)

// AuditService reads the account's audit log: who created, changed or
// deleted what, when. Client.Audit holds the real implementation.
type auditService interface {
	// List returns the entries the options select (GET /audit), following
	// pages until the last.
	List(ctx context.Context, opts *AuditListOptions) ([]*AuditEntry, error)
	// All iterates over the entries the options select, fetching a page
	// only when the loop needs it. An error is yielded once, as the last
	// element.
	All(ctx context.Context, opts *AuditListOptions) iter.Seq2[*AuditEntry, error]
	// Of returns the audit of one resource and of everything under it
	// (GET /{resourceType}/{id}/audit): for an integration, its flows,
	// exports, imports and connections too. resourceType is the
	// collection's name, such as "integrations" or "flows".
	Of(ctx context.Context, resourceType, id string) ([]*AuditEntry, error)
}

// AuditListOptions narrows the audit log. Every field is optional.
type AuditListOptions struct {
	// ResourceType keeps the entries of one kind of resource, such as
	// "flow" or "integration" (`resourceType`).
	ResourceType string
	// ResourceID keeps the entries of one resource (`_resourceId`).
	ResourceID string
	// UserID keeps the changes one user made (`_byUserId`).
	UserID string
	// Source keeps the changes made one way, such as "api" or "ui".
	Source string
	// Action keeps one kind of change, such as "create", "update" or
	// "delete".
	Action string
	// From and To keep the entries in a time range, From included, To
	// included; the zero time leaves that end open.
	From, To time.Time
}

// encode returns the query of the options.
func (o *AuditListOptions) encode() string {
	if o == nil {
		return ""
	}
	q := url.Values{}
	for k, v := range map[string]string{
		"resourceType": o.ResourceType, "_resourceId": o.ResourceID, "_byUserId": o.UserID,
		"source": o.Source, "action": o.Action,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for k, t := range map[string]time.Time{"from": o.From, "to": o.To} {
		if !t.IsZero() {
			q.Set(k, t.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
	}
	return q.Encode()
}

// AuditEntry is one change in the audit log. Members it does not type
// (the changed field's old and new values, …) are kept.
type AuditEntry struct {
	// ID is the entry's id (`_id`).
	ID string `json:"_id"`
	// ResourceType is the kind of resource changed, such as "flow".
	ResourceType string `json:"resourceType"`
	// ResourceID is the resource changed (`_resourceId`).
	ResourceID string `json:"_resourceId"`
	// UserID is the user who made the change (`_byUserId`).
	UserID string `json:"_byUserId"`
	// Source is how the change was made, such as "api" or "ui".
	Source string `json:"source"`
	// Action is the kind of change: "create", "update", "delete", …
	Action string `json:"action"`
	// Time is when the change was made.
	Time time.Time `json:"time"`

	state docState
}

type audit struct{ c *Client }

var _ AuditService = (*audit)(nil)

func (s *audit) List(ctx context.Context, opts *AuditListOptions) ([]*AuditEntry, error) {
	return collect(s.All(ctx, opts))
}

func (s *audit) All(ctx context.Context, opts *AuditListOptions) iter.Seq2[*AuditEntry, error] {
	return flatten(pages[AuditEntry](ctx, s.c, "/audit", opts.encode()))
}

func (s *audit) Of(ctx context.Context, resourceType, id string) ([]*AuditEntry, error) {
	p, err := idPath("/", resourceType)
	if err == nil {
		p, err = idPath(p+"/", id)
	}
	if err != nil {
		return nil, err
	}
	return collect(flatten(pages[AuditEntry](ctx, s.c, p+"/audit", "")))
}
