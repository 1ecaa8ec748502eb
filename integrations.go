package integratorio

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/google/go-querystring/query"
)

// IntegrationsService manages integrations (/integrations). It is an
// interface so that users can fake it in their own tests; Client.Integrations
// holds the real implementation.
type integrationsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	Documents[Integration]
	// Lister gives List and All.
	Lister[Integration, ListOptions]
	// Clone copies the integration and returns the copy in Document. When
	// the API answers with the list of created resources, Clone reads the
	// new integration; if that fails, it returns the *Cloned (with Created
	// filled and no Document) together with an error matching
	// ErrUnknownOutcome. Clone is not retried once the request may have
	// reached the server.
	Clone(ctx context.Context, id string, opts *CloneOptions) (*Cloned[Integration], error)
	// ManagedUpdate runs a SmartConnector managed update on one
	// integration, in the order that never locks a user out:
	//
	//  1. read the integration;
	//  2. unless updateInProgress is already true (as it is after a push),
	//     write it true, so the user cannot edit while the update runs;
	//  3. run fn on the document (change settings, install steps, ...);
	//  4. write the changes together with the new version and
	//     updateInProgress false, in one PUT: the version and the unlock
	//     are never written before the changes.
	//
	// version must be a semantic version, MAJOR.MINOR.PATCH with an
	// optional pre-release and no leading "v", greater than the
	// integration's current version (1.0.1-rc.1 is lower than 1.0.1);
	// with AllowSameVersion an equal one is accepted too. A malformed
	// version matches ErrInvalidArgument, before any request; an
	// integration at or above it matches ErrVersionNotNewer, after the
	// read. Either way nothing is written: an install that a push locked
	// stays locked until Unlock or a later update.
	//
	// If the lock, fn or the final write fails (or fn panics),
	// ManagedUpdate makes a best-effort write that sets updateInProgress
	// false without changing the version, and returns a
	// *ManagedUpdateError wrapping both causes. That unlock runs on a
	// context of its own, so a cancelled ctx or a deadline reached
	// mid-update does not leave the integration locked (WithUnlockTimeout
	// bounds it).
	// Every write keeps the members the SDK does not type.
	ManagedUpdate(ctx context.Context, id, version string, fn func(*Integration) error, opts ...ManagedUpdateOption) (*Integration, error)
	// Unlock sets updateInProgress back to false, keeping the version and
	// every other member, and returns the integration. It writes nothing
	// when the integration is not locked. Use it to release an install
	// that a push locked but that will not be updated (ManagedUpdate
	// refuses a version that is not newer without writing anything).
	//
	// The unlock is always sendable: when the document holds a mask-like
	// string ("******"), which the masked-secret guard keeps from being
	// written back whole (ErrMaskedSecret), Unlock sends only
	// updateInProgress, as a PATCH replacing /updateInProgress with false.
	// ManagedUpdate and Rollout unlock the same way.
	Unlock(ctx context.Context, id string) (*Integration, error)
	// RegisterConnections registers connections with the integration
	// (PUT /integrations/{id}/connections/register, a JSON array of ids),
	// so that they are listed under it. An export's or import's
	// _connectionId is what binds it to a connection; registration only
	// lists.
	RegisterConnections(ctx context.Context, id string, connectionIDs ...string) error
	// DeregisterConnection removes a connection from the integration's
	// registered ones (DELETE
	// /integrations/{id}/connections/{connectionID}/register).
	DeregisterConnection(ctx context.Context, id, connectionID string) error
	// Revisions lists the integration's revisions (GET
	// /integrations/{id}/revisions).
	Revisions(ctx context.Context, id string) ([]*Revision, error)
	// Revision returns one revision of the integration.
	Revision(ctx context.Context, id, revisionID string) (*Revision, error)
	// CreateSnapshot records a snapshot revision of the integration (POST
	// /integrations/{id}/revisions/create with {"description"}) and
	// returns it. It is a write: never repeated once it may have reached
	// the server; a lost answer matches ErrUnknownOutcome (list Revisions
	// to see whether it was made). The API refuses snapshots of an
	// integration cloned through the API (it is not linked to a source).
	CreateSnapshot(ctx context.Context, id, description string) (*Revision, error)
	// RevisionDiff returns what a pending revision would change (GET
	// /integrations/{id}/revisions/{revisionID}/diff), as the API answers
	// it: its shape is not documented.
	RevisionDiff(ctx context.Context, id, revisionID string) (json.RawMessage, error)
	// DownloadTemplate returns the integration as a template zip: it asks
	// for the zip (GET /integrations/{id}/template, answered with a signed
	// URL) and fetches the signed URL without the bearer token, only over
	// https (or from the client's own API host). Close the reader.
	DownloadTemplate(ctx context.Context, id string) (io.ReadCloser, error)
	// PreviewTemplate uploads a template zip and returns what installing
	// it would create (GET /integrations/template/preview), as the API
	// answers it; nothing is installed. The zip is uploaded as
	// InstallTemplate uploads it.
	PreviewTemplate(ctx context.Context, zip io.Reader) (json.RawMessage, error)
	// InstallTemplate installs a template zip as a new integration: it
	// asks for an upload slot (GET /s3SignedURL), PUTs the zip to its
	// signed URL without the bearer token, then installs it (POST
	// /integrations/template with the upload's runKey and connectionMap,
	// which maps the zip's connection ids to connections of this
	// account). The install is a write: never repeated once it may have
	// reached the server; a lost answer matches ErrUnknownOutcome. When
	// the API answers with the list of created resources, the new
	// integration is read by id, as for Clone.
	InstallTemplate(ctx context.Context, zip io.Reader, connectionMap map[string]string) (*Cloned[Integration], error)
}

// ListOptions narrows what a list request returns. Records from a list with
// Include or Exclude lack members and are marked Partial.
type ListOptions struct {
	// Include lists the only members to return (dot paths allowed).
	Include []string `url:"include,comma,omitempty"`
	// Exclude lists members to leave out. Include and Exclude cannot both
	// be set.
	Exclude []string `url:"exclude,comma,omitempty"`
}

func (o *ListOptions) encode() (string, bool, error) {
	if o == nil {
		return "", false, nil
	}
	if len(o.Include) > 0 && len(o.Exclude) > 0 {
		return "", false, invalidArgf("ListOptions: Include and Exclude cannot both be set")
	}
	for _, f := range append(append([]string(nil), o.Include...), o.Exclude...) {
		if strings.TrimSpace(f) == "" || strings.ContainsAny(f, ",&#?") {
			return "", false, invalidArgf("ListOptions: field name %q is empty or contains , & # or ?", f)
		}
	}
	v, err := query.Values(o)
	if err != nil {
		return "", false, invalidArgf("ListOptions: %v", err)
	}
	return v.Encode(), len(o.Include)+len(o.Exclude) > 0, nil
}

// PatchOp is one JSON Patch (RFC 6902) operation. Op is "add", "remove",
// "replace" or "test"; Path is a JSON Pointer such as "/name".
type PatchOp struct {
	// Op is the operation: "add", "remove", "replace" or "test".
	Op string `json:"op"`
	// Path is the JSON Pointer the operation applies to, e.g. "/name".
	Path string `json:"path"`
	// Value is the value to add, replace with or test against; not sent
	// for "remove".
	Value any `json:"value,omitempty"`
}

// MarshalJSON encodes the operation; "remove" carries no value, the others
// always do (a nil Value is sent as null).
func (p PatchOp) MarshalJSON() ([]byte, error) {
	if p.Op == "remove" {
		return json.Marshal(struct {
			Op   string `json:"op"`
			Path string `json:"path"`
		}{p.Op, p.Path})
	}
	return json.Marshal(struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}{p.Op, p.Path, p.Value})
}

func (p PatchOp) validate(i int) error {
	switch p.Op {
	case "add", "remove", "replace", "test":
	default:
		return invalidArgf("patch operation %d: unsupported op %q (want add, remove, replace or test)", i, p.Op)
	}
	if !strings.HasPrefix(p.Path, "/") {
		return invalidArgf("patch operation %d: path %q must start with /", i, p.Path)
	}
	return nil
}

// CloneOptions is the body of a clone request.
type CloneOptions struct {
	// Name of the copy; the server picks one when empty.
	Name string `json:"name,omitempty"`
	// ConnectionMap maps connection ids of the original to the ids the
	// copy should use. The API refuses a clone whose referenced
	// connections are not mapped (400 invalid_connectionMap).
	ConnectionMap map[string]string `json:"connectionMap,omitempty"`
	// Tag labels the copy.
	Tag string `json:"tag,omitempty"`
	// Sandbox clones into the sandbox environment (deprecated by the API).
	Sandbox *bool `json:"sandbox,omitempty"`
	// EnvironmentID clones into another environment of the account
	// (`_envId`); integrations only.
	EnvironmentID string `json:"_envId,omitempty"`
}

// ClonedResource is one resource created by a clone.
type ClonedResource struct {
	// Model is the kind of resource: "Integration", "Flow", "Export", ...
	Model string `json:"model"`
	// ID is the new resource's id.
	ID string `json:"_id"`
	// Name is the new resource's name.
	Name string `json:"name"`
}

// integrations implements IntegrationsService.
type integrations struct {
	plainLister[Integration, *Integration]
}

var _ IntegrationsService = (*integrations)(nil)

// newIntegrations returns the implementation of IntegrationsService of c.
func newIntegrations(c *Client) *integrations {
	return &integrations{plainLister[Integration, *Integration]{newResource[Integration](c, "/integrations", "integration")}}
}

func (s *integrations) Clone(ctx context.Context, id string, opts *CloneOptions) (*Cloned[Integration], error) {
	if opts == nil {
		opts = &CloneOptions{}
	}
	if err := validConnectionMap(opts.ConnectionMap); err != nil {
		return nil, err
	}
	return s.cloned(ctx, id, opts, "Integration")
}

// validConnectionMap refuses a connection map with an empty id.
func validConnectionMap(m map[string]string) error {
	for from, to := range m {
		if from == "" || to == "" {
			return invalidArgf("ConnectionMap has an empty connection id (%q: %q)", from, to)
		}
	}
	return nil
}
