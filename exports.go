package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// ExportsService manages exports (/exports): the sources of flows, and
// lookups. Client.Exports holds the real implementation.
type exportsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	Documents[Export]
	// Lister gives List and All, of one integration with IntegrationID.
	Lister[Export, ResourceListOptions]
	// Clone copies the export; the API refuses one whose connection is
	// not mapped (400 invalid_connectionMap). Only Name and ConnectionMap
	// of the options apply. Never repeated once it may have reached the
	// server.
	Clone(ctx context.Context, id string, opts *CloneOptions) (*Cloned[Export], error)
	// Invoke runs the export once and returns what it answered (POST
	// /exports/{id}/invoke, whose answer the API does not document). body,
	// when non-nil, is sent as JSON ("data and settings"). It is a write:
	// never repeated once it may have reached the server.
	Invoke(ctx context.Context, id string, body any) (json.RawMessage, error)
	// ReplaceConnection makes it use newConnectionID (PUT
	// /exports/{id}/replaceConnection with {"_newConnectionId"}).
	ReplaceConnection(ctx context.Context, id, newConnectionID string) error
}

// Export is an integrator.io export. The adaptor's object (http,
// netsuite, …), hooks and everything else it does not type are kept.
type Export struct {
	// ID is the export's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the display name.
	Name string `json:"name"`
	// AdaptorType is the kind of export: "HTTPExport", "NetSuiteExport",
	// "WebhookExport", "SimpleExport", …
	AdaptorType string `json:"adaptorType"`
	// ConnectionID is the connection it reads through (`_connectionId`);
	// absent on webhook and simple exports.
	ConnectionID string `json:"_connectionId"`
	// APIIdentifier identifies the export in API calls; read-only.
	APIIdentifier string `json:"apiIdentifier"`
	// IsLookup marks an export used as a lookup by page processors.
	IsLookup bool `json:"isLookup"`
	// LastModified is when the export last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

type exports struct {
	scopedLister[Export, *Export]
}

var _ ExportsService = (*exports)(nil)

func (s *exports) Clone(ctx context.Context, id string, opts *CloneOptions) (*Cloned[Export], error) {
	body, err := resourceCloneBody(opts)
	if err != nil {
		return nil, err
	}
	return s.cloned(ctx, id, body, "Export")
}

func (s *exports) Invoke(ctx context.Context, id string, body any) (json.RawMessage, error) {
	p, err := s.docPath(id)
	if err != nil {
		return nil, err
	}
	return s.c.sendRaw(request{ctx: ctx, method: http.MethodPost, path: p + "/invoke", body: body, guard: &maskGuard{"Invoke", "export", id}}, false)
}

// resourceCloneBody is the body of an export or import clone: a name and
// a connection map.
func resourceCloneBody(opts *CloneOptions) (any, error) {
	if opts == nil {
		opts = &CloneOptions{}
	}
	if err := validConnectionMap(opts.ConnectionMap); err != nil {
		return nil, err
	}
	return struct {
		Name          string            `json:"name,omitempty"`
		ConnectionMap map[string]string `json:"connectionMap,omitempty"`
	}{opts.Name, opts.ConnectionMap}, nil
}
