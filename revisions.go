package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Revision is one revision of an integration (integration lifecycle
// management): a snapshot, or a pull, merge or revert made in the web
// app. Members it does not type are kept.
type Revision struct {
	// ID is the revision's id (`_id`).
	ID string `json:"_id"`
	// Type is the kind of revision: "snapshot", "pull", "revert", …
	Type string `json:"type"`
	// Status is where the revision stands: "completed", "inprogress",
	// "failed", …
	Status string `json:"status"`
	// Description is the text given when it was made.
	Description string `json:"description"`
	// CreatedAt is when it was made.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

// revisionsPath validates an integration id and returns its revisions'
// path.
func (s *integrations) revisionsPath(id string) (string, error) {
	p, err := s.docPath(id)
	if err != nil {
		return "", err
	}
	return p + "/revisions", nil
}

// revisionPath validates both ids and returns the revision's path.
func (s *integrations) revisionPath(id, revisionID string) (string, error) {
	p, err := s.revisionsPath(id)
	if err != nil {
		return "", err
	}
	return idPath(p+"/", revisionID)
}

func (s *integrations) Revisions(ctx context.Context, id string) ([]*Revision, error) {
	p, err := s.revisionsPath(id)
	if err != nil {
		return nil, err
	}
	return collect(flatten(pages[Revision](ctx, s.c, p, "")))
}

func (s *integrations) Revision(ctx context.Context, id, revisionID string) (*Revision, error) {
	p, err := s.revisionPath(id, revisionID)
	if err != nil {
		return nil, err
	}
	return doDocument[Revision](ctx, s.c, request{method: http.MethodGet, path: p})
}

func (s *integrations) CreateSnapshot(ctx context.Context, id, description string) (*Revision, error) {
	p, err := s.revisionsPath(id)
	if err != nil {
		return nil, err
	}
	body := struct {
		Description string `json:"description"`
	}{description}
	return doDocument[Revision](ctx, s.c, request{method: http.MethodPost, path: p + "/create", body: body})
}

func (s *integrations) RevisionDiff(ctx context.Context, id, revisionID string) (json.RawMessage, error) {
	p, err := s.revisionPath(id, revisionID)
	if err != nil {
		return nil, err
	}
	return s.c.sendRaw(request{ctx: ctx, method: http.MethodGet, path: p + "/diff"}, true)
}
