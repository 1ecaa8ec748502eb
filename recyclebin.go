package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
)

// RecycleBinService reads the recycle bin (/recycleBinTTL): the documents
// deleted in the last 30 days, which can be restored or deleted for good.
// resourceType is a collection's name, such as "flows", "imports" or
// "connections". Client.RecycleBin holds the real implementation.
type recycleBinService interface {
	// List returns the deleted documents of the options' ResourceType
	// (GET /recycleBinTTL/{resourceType}), or of every type with nil
	// options or an empty ResourceType (GET /recycleBinTTL). An answer of
	// 204 means none.
	List(ctx context.Context, opts *RecycleBinListOptions) ([]*DeletedDocument, error)
	// Get returns one deleted document (GET
	// /recycleBinTTL/{resourceType}/{id}).
	Get(ctx context.Context, resourceType, id string) (*DeletedDocument, error)
	// Restore brings a deleted document back (POST
	// /recycleBinTTL/{resourceType}/{id}); with cascade, the documents
	// deleted with it too (POST …/doCascadeRestore). It is a write: never
	// repeated once it may have reached the server (ErrUnknownOutcome).
	Restore(ctx context.Context, resourceType, id string, cascade bool) error
	// Purge deletes a document of the recycle bin for good (DELETE
	// /recycleBinTTL/{resourceType}/{id}); it cannot be restored after.
	// A 404 on a retry, after an attempt that may have deleted it, counts
	// as success.
	Purge(ctx context.Context, resourceType, id string) error
}

// RecycleBinListOptions narrows RecycleBinService.List. Every field is
// optional.
type RecycleBinListOptions struct {
	// ResourceType keeps the deleted documents of one type, a
	// collection's name such as "flows" or "imports".
	ResourceType string
}

// DeletedDocument is one document of the recycle bin: its model and the
// document as it was deleted. Members it does not type are kept.
type DeletedDocument struct {
	// Model is the kind of document, such as "Flow", "Import" or
	// "Connection".
	Model string `json:"model"`

	state docState
}

// Document returns the deleted document (the answer's doc member) as
// received, or nil when the answer has none.
func (d *DeletedDocument) Document() json.RawMessage {
	var raw json.RawMessage
	if ok, err := d.Extra("doc", &raw); !ok || err != nil {
		return nil
	}
	return raw
}

// docID returns the deleted document's id.
func (d *DeletedDocument) docID() string {
	var v struct {
		ID string `json:"_id"`
	}
	_ = json.Unmarshal(d.Document(), &v)
	return v.ID
}

type recycleBin struct{ c *Client }

var _ RecycleBinService = (*recycleBin)(nil)

// binPath validates the type and, when given, the id, and returns their
// path in the recycle bin.
func binPath(resourceType string, id ...string) (string, error) {
	p, err := idPath("/recycleBinTTL/", resourceType)
	for _, s := range id {
		if err == nil {
			p, err = idPath(p+"/", s)
		}
	}
	return p, err
}

func (s *recycleBin) List(ctx context.Context, opts *RecycleBinListOptions) ([]*DeletedDocument, error) {
	p := "/recycleBinTTL"
	if opts != nil && opts.ResourceType != "" {
		var err error
		if p, err = binPath(opts.ResourceType); err != nil {
			return nil, err
		}
	}
	return collect(flatten(pages[DeletedDocument](ctx, s.c, p, "")))
}

func (s *recycleBin) Get(ctx context.Context, resourceType, id string) (*DeletedDocument, error) {
	p, err := binPath(resourceType, id)
	if err != nil {
		return nil, err
	}
	return doDocument[DeletedDocument](ctx, s.c, request{method: http.MethodGet, path: p})
}

func (s *recycleBin) Restore(ctx context.Context, resourceType, id string, cascade bool) error {
	p, err := binPath(resourceType, id)
	if err != nil {
		return err
	}
	if cascade {
		p += "/doCascadeRestore"
	}
	return s.c.send(request{ctx: ctx, method: http.MethodPost, path: p, raw: []byte("{}"), once: true}, nil)
}

func (s *recycleBin) Purge(ctx context.Context, resourceType, id string) error {
	p, err := binPath(resourceType, id)
	if err != nil {
		return err
	}
	return deleteResource(ctx, s.c, p)
}
