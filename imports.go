package integratorio

import (
	"context"
	"time"
)

// ImportsService manages imports (/imports): the destinations of flows.
// AI agents and guardrails are stored as imports too (AdaptorType
// "AiAgentImport", "GuardrailImport"). Client.Imports holds the real
// implementation.
type importsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	Documents[Import]
	// Lister gives List and All, of one integration with IntegrationID.
	Lister[Import, ResourceListOptions]
	// Clone copies the import, as ExportsService.Clone does.
	Clone(ctx context.Context, id string, opts *CloneOptions) (*Cloned[Import], error)
	// ReplaceConnection makes it use newConnectionID (PUT
	// /imports/{id}/replaceConnection with {"_newConnectionId"}).
	ReplaceConnection(ctx context.Context, id, newConnectionID string) error
}

// Import is an integrator.io import. The adaptor's object, mappings, hooks
// and everything else it does not type are kept.
type Import struct {
	// ID is the import's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the display name.
	Name string `json:"name"`
	// AdaptorType is the kind of import: "HTTPImport",
	// "NetSuiteDistributedImport", "AiAgentImport", …
	AdaptorType string `json:"adaptorType"`
	// ConnectionID is the connection it writes through (`_connectionId`).
	ConnectionID string `json:"_connectionId"`
	// APIIdentifier identifies the import in API calls; read-only.
	APIIdentifier string `json:"apiIdentifier"`
	// LastModified is when the import last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

type imports struct {
	scopedLister[Import, *Import]
}

var _ ImportsService = (*imports)(nil)

func (s *imports) Clone(ctx context.Context, id string, opts *CloneOptions) (*Cloned[Import], error) {
	body, err := resourceCloneBody(opts)
	if err != nil {
		return nil, err
	}
	return s.cloned(ctx, id, body, "Import")
}
