package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-querystring/query"
)

// IntegrationsService manages integrations (/integrations). It is an
// interface so that users can fake it in their own tests; Client.Integrations
// holds the real implementation.
type IntegrationsService interface {
	// List returns every integration, following pages until the last.
	List(ctx context.Context, opts *ListOptions) ([]*Integration, error)
	// All iterates over the integrations, fetching a page only when the
	// loop needs it and stopping when the loop breaks. An error is yielded
	// once, as the last element.
	All(ctx context.Context, opts *ListOptions) iter.Seq2[*Integration, error]
	// Get returns one integration.
	Get(ctx context.Context, id string) (*Integration, error)
	// Create creates an integration and returns it as stored. The document's
	// id and lastModified are not sent. Create is not retried once the
	// request may have reached the server: a failure after that point, or
	// a 2xx answer that cannot be read, matches ErrUnknownOutcome.
	Create(ctx context.Context, in *Integration) (*Integration, error)
	// Update replaces the integration with in (PUT) and returns it as
	// stored. Members in left out are erased on the server, so start from a
	// document returned by Get; a partial document (from a list with
	// Include or Exclude) is refused.
	Update(ctx context.Context, id string, in *Integration) (*Integration, error)
	// Patch applies JSON Patch operations to the integration.
	Patch(ctx context.Context, id string, ops ...PatchOp) error
	// Delete deletes the integration. A 404 on a retry, after an attempt
	// that may have deleted it (a transport failure or a 5xx other than
	// 503), counts as success.
	Delete(ctx context.Context, id string) error
	// Clone copies the integration and returns the copy. When the API
	// answers with the list of created resources, Clone reads the new
	// integration; if that fails, it returns the CloneResult (with Created
	// filled) together with an error matching ErrUnknownOutcome. Clone is
	// not retried once the request may have reached the server.
	Clone(ctx context.Context, id string, opts *CloneOptions) (*CloneResult, error)
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
	// with AllowSameVersion an equal one is accepted too. Otherwise the
	// error matches ErrInvalidArgument and nothing is written: an install
	// that a push locked stays locked until Unlock or a later update.
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
	Unlock(ctx context.Context, id string) (*Integration, error)
	// Modify reads the integration, applies fn to it, and writes it back
	// with PUT, guarding against concurrent changes the way the
	// integrator.io web app does, since the API has no ETag: immediately
	// before the PUT it reads the integration again, and if lastModified
	// has moved it starts over with the fresh document (so fn may run more
	// than once and must only change the document it is given). After a
	// few conflicts the error matches ErrConflict. An error from fn is
	// returned as is, with nothing written.
	//
	// The check narrows the window for a lost update but cannot close it:
	// a change landing between the re-read and the PUT is still
	// overwritten.
	Modify(ctx context.Context, id string, fn func(*Integration) error) (*Integration, error)
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
}

// CloneResult is what a clone produced.
type CloneResult struct {
	// Integration is the new integration; always set on success.
	Integration *Integration
	// Created lists the resources the clone created, when the API answered
	// with that list rather than the document.
	Created []ClonedResource
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
type integrations struct{ c *Client }

var _ IntegrationsService = (*integrations)(nil)

func (s *integrations) List(ctx context.Context, opts *ListOptions) ([]*Integration, error) {
	var out []*Integration
	for in, err := range s.All(ctx, opts) {
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

func (s *integrations) All(ctx context.Context, opts *ListOptions) iter.Seq2[*Integration, error] {
	return func(yield func(*Integration, error) bool) {
		q, partial, err := opts.encode()
		if err != nil {
			yield(nil, err)
			return
		}
		for page, err := range pages[Integration](ctx, s.c, "/integrations", q) {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, in := range page {
				in.state.partial = partial
				if !yield(in, nil) {
					return
				}
			}
		}
	}
}

func (s *integrations) Get(ctx context.Context, id string) (*Integration, error) {
	p, err := idPath("/integrations/", id)
	if err != nil {
		return nil, err
	}
	return doDocument[Integration](ctx, s.c, request{method: http.MethodGet, path: p})
}

func (s *integrations) Create(ctx context.Context, in *Integration) (*Integration, error) {
	if in == nil {
		return nil, invalidArgf("Create: nil *Integration")
	}
	body, err := integrationCodec.encode(in, &in.state, "_id", "lastModified")
	if err != nil {
		return nil, invalidArgf("Create: %v", err)
	}
	return doDocument[Integration](ctx, s.c, request{method: http.MethodPost, path: "/integrations", raw: body})
}

func (s *integrations) Update(ctx context.Context, id string, in *Integration) (*Integration, error) {
	p, err := idPath("/integrations/", id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, invalidArgf("Update: nil *Integration")
	}
	if in.state.partial {
		return nil, invalidArgf("Update: the integration came from a list with Include or Exclude and lacks members that PUT would erase; Get it first")
	}
	if in.ID != "" && in.ID != id {
		return nil, s.c.redactError(invalidArgf("Update: the document is integration %q, not %q: writing it to %q would overwrite that integration with another's members; Get %q and change that document", in.ID, id, id, id))
	}
	body, err := integrationCodec.encode(in, &in.state)
	if err != nil {
		return nil, invalidArgf("Update: %v", err)
	}
	var out *Integration
	err = s.c.send(request{ctx: ctx, method: http.MethodPut, path: p, raw: body}, func(r *response) error {
		if r.body == nil {
			return nil // answered without the document: read it back below
		}
		var derr error
		out, derr = decodeDocument[Integration](r, http.MethodPut)
		return derr
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return s.Get(ctx, id)
	}
	return out, nil
}

func (s *integrations) Patch(ctx context.Context, id string, ops ...PatchOp) error {
	p, err := idPath("/integrations/", id)
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		return invalidArgf("Patch: no operations")
	}
	for i, op := range ops {
		if err := op.validate(i); err != nil {
			return err
		}
	}
	return s.c.send(request{ctx: ctx, method: http.MethodPatch, path: p, body: ops}, nil)
}

func (s *integrations) Delete(ctx context.Context, id string) error {
	p, err := idPath("/integrations/", id)
	if err != nil {
		return err
	}
	return deleteResource(ctx, s.c, p)
}

func (s *integrations) Clone(ctx context.Context, id string, opts *CloneOptions) (*CloneResult, error) {
	p, err := idPath("/integrations/", id)
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &CloneOptions{}
	}
	for from, to := range opts.ConnectionMap {
		if from == "" || to == "" {
			return nil, invalidArgf("Clone: ConnectionMap has an empty connection id (%q: %q)", from, to)
		}
	}
	res := &CloneResult{}
	err = s.c.send(request{ctx: ctx, method: http.MethodPost, path: p + "/clone", body: opts}, func(r *response) error {
		switch {
		case r.body == nil:
			return r.unexpected(http.MethodPost, "empty body")
		case r.body[0] == '[':
			if err := json.Unmarshal(r.body, &res.Created); err != nil {
				return r.unexpected(http.MethodPost, "decoding the created resources: %v", err)
			}
			return nil
		}
		in, err := decodeDocument[Integration](r, http.MethodPost)
		res.Integration = in
		return err
	})
	if err != nil {
		return nil, err
	}
	if res.Integration != nil {
		return res, nil
	}
	newID := ""
	for _, cr := range res.Created {
		if strings.EqualFold(cr.Model, "Integration") && cr.ID != "" {
			newID = cr.ID
			break
		}
	}
	if newID == "" {
		return res, fmt.Errorf("%w: %w: POST %s/clone: the created resources name no integration", ErrUnknownOutcome, ErrUnexpectedResponse, p)
	}
	in, err := s.Get(ctx, newID)
	if err != nil {
		return res, s.c.redactError(fmt.Errorf("integratorio: clone created integration %s, but reading it failed: %w: %w", newID, ErrUnknownOutcome, err))
	}
	res.Integration = in
	return res, nil
}

// ---- shared request helpers, used by every resource ----

// idPath validates an id and joins it, escaped, to prefix.
func idPath(prefix, id string) (string, error) {
	if err := validateID(id); err != nil {
		return "", err
	}
	return prefix + url.PathEscape(id), nil
}

const maxIDLength = 512

func validateID(id string) error {
	switch {
	case id == "":
		return invalidArgf("id must not be empty")
	case len(id) > maxIDLength:
		return invalidArgf("id is %d bytes long, more than %d", len(id), maxIDLength)
	case id == "." || id == "..":
		return invalidArgf("id %q is not a valid id", id)
	case strings.ContainsFunc(id, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r) || strings.ContainsRune("/?#%\\", r) ||
			r == utf8.RuneError || r == 0x200b || r == 0xfeff || unicode.Is(unicode.Cf, r)
	}):
		return invalidArgf("id %q contains whitespace, control characters or one of / ? # %% \\", id)
	}
	return nil
}

// document is a resource model with an id.
type document[T any] interface {
	*T
	json.Unmarshaler
	docID() string
	// decodeAt decodes the object starting at data[i] and returns the
	// index after it.
	decodeAt(data []byte, i int) (int, error)
}

func (in *Integration) docID() string { return in.ID }

// decodeDocument decodes a single document, refusing anything that is not
// one (null, an array, an object without an id).
func decodeDocument[T any, P document[T]](r *response, method string) (*T, error) {
	if r.body == nil {
		return nil, r.unexpected(method, "empty body")
	}
	if r.body[0] != '{' {
		return nil, r.unexpected(method, "body is not a JSON object: %s", r.excerpt())
	}
	var v T
	if err := P(&v).UnmarshalJSON(r.body); err != nil {
		return nil, r.unexpected(method, "%v", err)
	}
	if P(&v).docID() == "" {
		return nil, r.unexpected(method, "the document has no _id")
	}
	return &v, nil
}

// doDocument sends a request answered by one document.
func doDocument[T any, P document[T]](ctx context.Context, c *Client, r request) (*T, error) {
	r.ctx = ctx
	var out *T
	err := c.send(r, func(resp *response) error {
		var err error
		out, err = decodeDocument[T, P](resp, r.method)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deleteResource deletes the resource at path. A 404 after an earlier
// attempt that may have reached the server means that attempt deleted it.
func deleteResource(ctx context.Context, c *Client, path string) error {
	err := c.send(request{ctx: ctx, method: http.MethodDelete, path: path}, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound && apiErr.mayHaveActed {
		return nil
	}
	return err
}
