package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The resource layer: one implementation of the calls every endpoint family
// shares (list, get, create, replace, patch, delete, read-modify-write,
// clone) over any model that keeps the members it does not type. A resource
// file holds its model, its interface and what is special about it; see
// docs/adding-a-resource.md.

//go:generate go run ./internal/cmd/genmodels

// model is what the resource layer needs of a document type. The methods
// are generated (models_gen.go) for every struct with a docState field.
type model[T any] interface {
	*T
	json.Unmarshaler
	docID() string
	// decodeAt decodes the object starting at data[i] and returns the
	// index after it.
	decodeAt(data []byte, i int) (int, error)
	doc() *docState
	codec() *objectCodec
}

// Documents is what every resource service shares: the calls on documents
// of type T. Its implementation gives each the same guarantees: ids are
// validated and escaped before anything is sent; Update refuses a partial
// document and one whose id is not the id given; a create or patch is
// never repeated once it may have reached the server (ErrUnknownOutcome);
// Modify is serialised per document within the client. A service whose
// API lacks some of the calls embeds only the parts it has.
type Documents[T any] interface {
	Getter[T]
	Creator[T]
	Replacer[T]
	Patcher
	Deleter
}

// Getter reads documents of type T: a part of Documents.
type Getter[T any] interface {
	// Get returns one document.
	Get(ctx context.Context, id string) (*T, error)
}

// Creator creates documents of type T: a part of Documents.
type Creator[T any] interface {
	// Create creates a document and returns it as stored; its id and
	// lastModified are not sent. It is never repeated once the request
	// may have reached the server: a failure after that point, or a 2xx
	// answer that cannot be read, matches ErrUnknownOutcome.
	Create(ctx context.Context, doc *T) (*T, error)
}

// Replacer replaces whole documents of type T (PUT): a part of Documents.
type Replacer[T any] interface {
	// Update replaces the document (PUT) and returns it as stored (read
	// back when the API answers without it). Members doc lacks are erased
	// on the server, so start from a document returned by Get; a partial
	// document (from a list with Include or Exclude), or one whose id is
	// not id, is refused before sending.
	Update(ctx context.Context, id string, doc *T) (*T, error)
	// Modify reads the document, applies fn and writes it back with PUT.
	// Within one Client, Modify calls on the same document run one at a
	// time, so no update made through that client is lost. Against other
	// writers it re-reads the document right before the PUT and starts
	// over if lastModified moved (fn may run more than once and must only
	// change the document it is given); after three conflicts the error
	// matches ErrConflict. A change by another process landing between
	// that re-read and the PUT is still overwritten: the API has no ETag.
	// An error from fn is returned as is, with nothing written. fn must
	// not call Modify on the same document.
	Modify(ctx context.Context, id string, fn func(*T) error) (*T, error)
}

// Patcher patches documents: a part of Documents.
type Patcher interface {
	// Patch applies JSON Patch operations; the API accepts only some
	// members per resource.
	Patch(ctx context.Context, id string, ops ...PatchOp) error
}

// Deleter deletes documents: a part of Documents.
type Deleter interface {
	// Delete deletes the document. A 404 on a retry, after an attempt that
	// may have deleted it (a transport failure or a 5xx other than 503),
	// counts as success.
	Delete(ctx context.Context, id string) error
}

// Lister is what every listable resource service shares: the whole list,
// or an iterator over it, narrowed by options of type O.
type Lister[T, O any] interface {
	// List returns every document the options select, following pages
	// until the last.
	List(ctx context.Context, opts *O) ([]*T, error)
	// All iterates over the documents the options select, fetching a page
	// only when the loop needs it and stopping when the loop breaks. An
	// error is yielded once, as the last element.
	All(ctx context.Context, opts *O) iter.Seq2[*T, error]
}

// modifiable is a model with a lastModified member, which Modify compares.
type modifiable[T any] interface {
	model[T]
	lastModified() time.Time
}

// resource implements the shared calls for documents of type T under path
// (such as "/flows"). Services embed it, so its exported methods are theirs.
type resource[T any, P modifiable[T]] struct {
	c    *Client
	path string // collection path, relative to the API root
	kind string // the document's name in messages, such as "flow"
	// trimmed: list records always lack members (scripts' content), so
	// every listed document is Partial.
	trimmed bool
	// pathErr, when set, is returned by every call: the collection's path
	// holds an invalid id (the licenses of a connector id that is not one).
	pathErr error
}

func newResource[T any, P modifiable[T]](c *Client, path, kind string) *resource[T, P] {
	return &resource[T, P]{c: c, path: path, kind: kind}
}

// docPath validates id and returns the document's path.
func (r *resource[T, P]) docPath(id string) (string, error) {
	if r.pathErr != nil {
		return "", r.pathErr
	}
	return idPath(r.path+"/", id)
}

// Get returns one document.
func (r *resource[T, P]) Get(ctx context.Context, id string) (*T, error) {
	p, err := r.docPath(id)
	if err != nil {
		return nil, err
	}
	return doDocument[T, P](ctx, r.c, request{method: http.MethodGet, path: p})
}

// Create creates a document and returns it as stored. Its id and
// lastModified are not sent. Create is never repeated once the request may
// have reached the server: a failure after that point, or a 2xx answer
// that cannot be read, matches ErrUnknownOutcome.
func (r *resource[T, P]) Create(ctx context.Context, doc *T) (*T, error) {
	if r.pathErr != nil {
		return nil, r.pathErr
	}
	if doc == nil {
		return nil, invalidArgf("Create: nil *%s", r.typeName())
	}
	body, err := r.encode(doc, "_id", "lastModified")
	if err != nil {
		return nil, invalidArgf("Create: %v", err)
	}
	if err := checkMasked(ctx, r.c.tokenRedactor(), body, "Create", r.kind, ""); err != nil {
		return nil, r.c.redactError(err)
	}
	return doDocument[T, P](ctx, r.c, request{method: http.MethodPost, path: r.path, raw: body})
}

// Update replaces the document with doc (PUT) and returns it as stored.
// Members doc lacks are erased on the server, so start from a document
// returned by Get; a partial document, or one whose id is not id, is
// refused before anything is sent.
func (r *resource[T, P]) Update(ctx context.Context, id string, doc *T) (*T, error) {
	return r.update(ctx, id, doc, "Update")
}

// update is Update, op naming the call refused in a MaskedSecretError.
func (r *resource[T, P]) update(ctx context.Context, id string, doc *T, op string) (*T, error) {
	p, err := r.docPath(id)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, invalidArgf("Update: nil *%s", r.typeName())
	}
	if P(doc).doc().partial {
		return nil, invalidArgf("Update: the %s came from a list that leaves members out, which PUT would erase; Get it first", r.kind)
	}
	if other := P(doc).docID(); other != "" && other != id {
		return nil, r.c.redactError(invalidArgf("Update: the document is %s %q, not %q: writing it to %q would overwrite that %s with another's members; Get %q and change that document", r.kind, other, id, id, r.kind, id))
	}
	body, err := r.encode(doc)
	if err != nil {
		return nil, invalidArgf("Update: %v", err)
	}
	if err := checkMasked(ctx, r.c.tokenRedactor(), body, op, r.kind, id); err != nil {
		return nil, r.c.redactError(err)
	}
	var out *T
	err = r.c.send(request{ctx: ctx, method: http.MethodPut, path: p, raw: body}, func(resp *response) error {
		if resp.body == nil {
			return nil // answered without the document: read it back below
		}
		var derr error
		out, derr = decodeDocument[T, P](resp, http.MethodPut)
		return derr
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return r.Get(ctx, id)
	}
	return out, nil
}

// Patch applies JSON Patch operations to the document. The API accepts
// only some members per resource.
func (r *resource[T, P]) Patch(ctx context.Context, id string, ops ...PatchOp) error {
	p, err := r.docPath(id)
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
	if err := checkMaskedOps(ctx, r.c.tokenRedactor(), ops, r.kind, id); err != nil {
		return r.c.redactError(err)
	}
	return r.c.send(request{ctx: ctx, method: http.MethodPatch, path: p, body: ops}, nil)
}

// Delete deletes the document. A 404 on a retry, after an attempt that may
// have deleted it, counts as success.
func (r *resource[T, P]) Delete(ctx context.Context, id string) error {
	p, err := r.docPath(id)
	if err != nil {
		return err
	}
	return deleteResource(ctx, r.c, p)
}

// maxModifyAttempts bounds how often Modify starts over after a conflict.
const maxModifyAttempts = 3

// Modify reads the document, applies fn, and writes it back with PUT.
// Within one Client, Modify calls on the same document run one at a time,
// so no update made through that client is lost. Against other writers it
// guards the way the web app does, since the API has no ETag: right before
// the PUT it reads the document again and starts over with the fresh copy
// if lastModified moved (so fn may run more than once and must only change
// the document it is given); after three conflicts the error matches
// ErrConflict. A change by another process landing between that re-read
// and the PUT is still overwritten. An error from fn is returned as is,
// with nothing written. fn must not call Modify on the same document.
func (r *resource[T, P]) Modify(ctx context.Context, id string, fn func(*T) error) (*T, error) {
	p, err := r.docPath(id)
	if err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalidArgf("Modify: nil function")
	}
	unlock, err := r.c.locks.lock(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("integratorio: Modify %s: waiting for this client's other update of it: %w", p, err)
	}
	defer unlock()
	for range maxModifyAttempts {
		doc, err := r.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		seen := P(doc).lastModified()
		if err := fn(doc); err != nil {
			return nil, err
		}
		now, err := r.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if !P(now).lastModified().Equal(seen) {
			continue
		}
		return r.update(ctx, id, doc, "Modify")
	}
	return nil, fmt.Errorf("%w: %s %s: changed by someone else %d times while being modified", ErrConflict, r.kind, id, maxModifyAttempts)
}

// list iterates over the documents at path (the collection, or a sub-list
// such as /integrations/{id}/flows) with the query of opts and extra.
func (r *resource[T, P]) list(ctx context.Context, path string, opts *ListOptions, extra url.Values) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if r.pathErr != nil {
			yield(nil, r.pathErr)
			return
		}
		q, partial, err := opts.encode()
		if err != nil {
			yield(nil, err)
			return
		}
		if len(extra) > 0 {
			if q != "" {
				q += "&"
			}
			q += extra.Encode()
		}
		partial = partial || r.trimmed
		for doc, err := range flatten(pages[T, P](ctx, r.c, path, q)) {
			if err == nil {
				P(doc).doc().partial = partial
			}
			if !yield(doc, err) {
				return
			}
		}
	}
}

// subPath returns the path of the list of this resource under one
// integration (/integrations/{id}/flows), or the collection when
// integrationID is empty.
func (r *resource[T, P]) subPath(integrationID string) (string, error) {
	if integrationID == "" {
		return r.path, nil
	}
	p, err := idPath("/integrations/", integrationID)
	if err != nil {
		return "", fmt.Errorf("IntegrationID: %w", err)
	}
	return p + r.path, nil
}

// scoped lists the documents, of one integration when integrationID is
// set.
func (r *resource[T, P]) scoped(ctx context.Context, opts *ListOptions, integrationID string) iter.Seq2[*T, error] {
	p, err := r.subPath(integrationID)
	if err != nil {
		return errSeq[T](err)
	}
	return r.list(ctx, p, opts, nil)
}

// ResourceListOptions narrows a list of a resource that belongs to
// integrations (flows, connections, exports, imports).
type ResourceListOptions struct {
	ListOptions
	// IntegrationID lists the documents of one integration
	// (/integrations/{id}/<resource>).
	IntegrationID string `url:"-"`
}

// scopedLister is a resource listed with ResourceListOptions; embedding it
// gives a service List and All as well as the resource's calls.
type scopedLister[T any, P modifiable[T]] struct{ *resource[T, P] }

func (l scopedLister[T, P]) List(ctx context.Context, opts *ResourceListOptions) ([]*T, error) {
	return collect(l.All(ctx, opts))
}

func (l scopedLister[T, P]) All(ctx context.Context, opts *ResourceListOptions) iter.Seq2[*T, error] {
	if opts == nil {
		return l.scoped(ctx, nil, "")
	}
	return l.scoped(ctx, &opts.ListOptions, opts.IntegrationID)
}

// plainLister is a resource listed with ListOptions only.
type plainLister[T any, P modifiable[T]] struct{ *resource[T, P] }

func (l plainLister[T, P]) List(ctx context.Context, opts *ListOptions) ([]*T, error) {
	return collect(l.All(ctx, opts))
}

func (l plainLister[T, P]) All(ctx context.Context, opts *ListOptions) iter.Seq2[*T, error] {
	return l.list(ctx, l.path, opts, nil)
}

// Cloned is what a clone of a flow, export or import, or a template
// install, produced.
type Cloned[T any] struct {
	// Document is the new document; always set on success.
	Document *T
	// Created lists what the clone created, when the API answered with
	// that list rather than the document.
	Created []ClonedResource
}

// cloned clones id and wraps the outcome; see clone.
func (r *resource[T, P]) cloned(ctx context.Context, id string, body any, model string) (*Cloned[T], error) {
	return wrapCloned(r.clone(ctx, id, body, model))
}

// wrapCloned wraps what created returned: nil when nothing is known to
// have been created.
func wrapCloned[T any](doc *T, created []ClonedResource, err error) (*Cloned[T], error) {
	if doc == nil && created == nil {
		return nil, err
	}
	return &Cloned[T]{Document: doc, Created: created}, err
}

// collect gathers an iterator's documents.
func collect[T any](seq iter.Seq2[*T, error]) ([]*T, error) {
	var out []*T
	for doc, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
	return out, nil
}

// clone posts body to the document's /clone endpoint; see created.
func (r *resource[T, P]) clone(ctx context.Context, id string, body any, model string) (*T, []ClonedResource, error) {
	p, err := r.docPath(id)
	if err != nil {
		return nil, nil, err
	}
	return r.created(ctx, request{method: http.MethodPost, path: p + "/clone", body: body}, model)
}

// created sends a write that makes new resources (a clone, a template
// install). The API answers with the new document, or with the list of
// what it created, in which case the document of the model named model
// is read by id. When that read fails, the created list comes back with
// an error matching ErrUnknownOutcome. The write is never repeated once
// it may have reached the server.
func (r *resource[T, P]) created(ctx context.Context, req request, model string) (*T, []ClonedResource, error) {
	req.ctx = ctx
	var doc *T
	var created []ClonedResource
	err := r.c.send(req, func(resp *response) error {
		switch {
		case resp.body == nil:
			return resp.unexpected(req.method, "empty body")
		case resp.body[0] == '[':
			if err := json.Unmarshal(resp.body, &created); err != nil {
				return resp.unexpected(req.method, "decoding the created resources: %v", err)
			}
			return nil
		}
		var derr error
		doc, derr = decodeDocument[T, P](resp, req.method)
		return derr
	})
	if err != nil || doc != nil {
		return doc, nil, err
	}
	newID := ""
	for _, cr := range created {
		if strings.EqualFold(cr.Model, model) && cr.ID != "" {
			newID = cr.ID
			break
		}
	}
	if newID == "" {
		return nil, created, fmt.Errorf("%w: %w: %s %s: the created resources name no %s", ErrUnknownOutcome, ErrUnexpectedResponse, req.method, req.path, r.kind)
	}
	doc, err = r.Get(ctx, newID)
	if err != nil {
		return nil, created, r.c.redactError(fmt.Errorf("integratorio: %s %s created %s %s, but reading it failed: %w: %w", req.method, req.path, r.kind, newID, ErrUnknownOutcome, err))
	}
	return doc, created, nil
}

// encode encodes a document, leaving out the members named in skip.
func (r *resource[T, P]) encode(doc *T, skip ...string) ([]byte, error) {
	return P(doc).codec().encode(doc, P(doc).doc(), skip...)
}

func (r *resource[T, P]) typeName() string {
	var zero T
	return fmt.Sprintf("%T", zero)[len("integratorio."):]
}

// ---- helpers shared by every resource ----

// idPath validates an id and joins it, escaped, to prefix.
func idPath(prefix, id string) (string, error) {
	if err := validateID(id); err != nil {
		return "", err
	}
	return prefix + url.PathEscape(id), nil
}

const maxIDLength = 512

// validateID refuses an id that cannot name a document in a path. The
// error never quotes the id: ids come from servers (an install base, a
// job's answer) that may echo the token, and this check has no client to
// redact it with. It names the offending character and where it is.
func validateID(id string) error {
	switch {
	case id == "":
		return invalidArgf("id must not be empty")
	case len(id) > maxIDLength:
		return invalidArgf("id is %d bytes long, more than %d", len(id), maxIDLength)
	case id == "." || id == "..":
		return invalidArgf("id %q is not a valid id", id)
	}
	for i, r := range id {
		if unicode.IsControl(r) || unicode.IsSpace(r) || strings.ContainsRune("/?#%\\", r) ||
			r == utf8.RuneError || r == 0x200b || r == 0xfeff || unicode.Is(unicode.Cf, r) {
			return invalidArgf("id (%d bytes) has %q (%U) at byte %d: an id must not contain whitespace, control or invisible characters, or one of / ? # %% \\", len(id), r, r, i)
		}
	}
	return nil
}

// decodeDocument decodes a single document, refusing anything that is not
// one (null, an array, an object without an id).
func decodeDocument[T any, P model[T]](r *response, method string) (*T, error) {
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
func doDocument[T any, P model[T]](ctx context.Context, c *Client, r request) (*T, error) {
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

// replaceConnection swaps the connection a flow, export or import uses
// (PUT /{type}/{id}/replaceConnection) for newID: the body is
// {"_newConnectionId"}, and with withOld (flows) also {"_connectionId"}
// naming the connection replaced. A PUT, retried where that is safe.
func (r *resource[T, P]) replaceConnection(ctx context.Context, id, oldID, newID string, withOld bool) error {
	p, err := r.docPath(id)
	if err != nil {
		return err
	}
	body := map[string]string{"_newConnectionId": newID}
	if err := validateID(newID); err != nil {
		return fmt.Errorf("ReplaceConnection: the new connection: %w", err)
	}
	if withOld {
		if err := validateID(oldID); err != nil {
			return fmt.Errorf("ReplaceConnection: the connection replaced: %w", err)
		}
		body["_connectionId"] = oldID
	}
	return r.c.send(request{ctx: ctx, method: http.MethodPut, path: p + "/replaceConnection", body: body}, nil)
}

// downloadTemplate asks for the document's template zip (GET
// /{type}/{id}/template, answered {"signedURL": ...}) and fetches the zip
// from the signed URL without the bearer token; see Client.signedGet.
func (r *resource[T, P]) downloadTemplate(ctx context.Context, id string) (io.ReadCloser, error) {
	p, err := r.docPath(id)
	if err != nil {
		return nil, err
	}
	var answer struct {
		SignedURL string `json:"signedURL"`
	}
	err = r.c.send(request{ctx: ctx, method: http.MethodGet, path: p + "/template"}, func(resp *response) error {
		if resp.body == nil || json.Unmarshal(resp.body, &answer) != nil || answer.SignedURL == "" {
			return resp.unexpected(http.MethodGet, "want {\"signedURL\": ...}, got %s", resp.excerpt())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r.c.signedGet(ctx, answer.SignedURL)
}
