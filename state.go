package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// StateStore reads and writes JSON values by key: integration state that
// scripts and services keep between runs. Keys are validated like ids and
// escaped.
type StateStore interface {
	// Keys lists the keys (an answer of 204 means none).
	Keys(ctx context.Context) ([]string, error)
	// Get decodes the value of key into v and reports whether the key
	// exists (false, nil when it does not). A *[]byte or *json.RawMessage
	// is given the value's JSON as it is.
	Get(ctx context.Context, key string, v any) (bool, error)
	// Put stores v, encoded as JSON, under key. A []byte or
	// json.RawMessage is sent as it is (not as base64), so it must hold
	// one JSON value; one that does not is refused before sending. A
	// value holding a masked secret is refused (ErrMaskedSecret). The API
	// answers in plain text ("OK" or "Created"); any 2xx answer is
	// success.
	Put(ctx context.Context, key string, v any) error
	// Delete removes key.
	Delete(ctx context.Context, key string) error
	// DeleteAll removes every key of the store (DELETE /state, or
	// /{resourceType}/{id}/state for a scoped store).
	DeleteAll(ctx context.Context) error
}

// StateService is the account's global state (/state), and the state
// scoped to one resource. Client.State holds the real implementation.
type stateService interface {
	StateStore
	// Of returns the state scoped to one resource
	// (/{resourceType}/{id}/state), such as Of("imports", importID) or
	// Of("integrations", integrationID).
	Of(resourceType, id string) StateStore
}

// state implements StateService for the keys under prefix; err, when set,
// is returned by every call (an invalid scope).
type state struct {
	c      *Client
	prefix string
	err    error
}

var _ StateService = (*state)(nil)

func (s *state) Of(resourceType, id string) StateStore {
	p, err := idPath("/", resourceType)
	if err == nil {
		p, err = idPath(p+"/", id)
	}
	if err != nil {
		return &state{c: s.c, err: err}
	}
	return &state{c: s.c, prefix: p + "/state"}
}

func (s *state) keyPath(key string) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	p, err := idPath(s.prefix+"/", key)
	if err != nil {
		return "", fmt.Errorf("state key: %w", err)
	}
	return p, nil
}

func (s *state) Keys(ctx context.Context) ([]string, error) {
	if s.err != nil {
		return nil, s.err
	}
	var out struct {
		Keys []string `json:"keys"`
	}
	err := s.c.send(request{ctx: ctx, method: http.MethodGet, path: s.prefix}, func(r *response) error {
		if r.body == nil {
			return nil
		}
		if err := json.Unmarshal(r.body, &out); err != nil {
			return r.unexpected(http.MethodGet, "not {\"keys\": [...]}: %v", err)
		}
		return nil
	})
	return out.Keys, err
}

func (s *state) Get(ctx context.Context, key string, v any) (bool, error) {
	p, err := s.keyPath(key)
	if err != nil {
		return false, err
	}
	err = s.c.send(request{ctx: ctx, method: http.MethodGet, path: p}, func(r *response) error {
		if r.body == nil || v == nil {
			return nil
		}
		switch v := v.(type) {
		case *[]byte:
			*v = append([]byte(nil), r.body...)
			return nil
		case *json.RawMessage:
			*v = append(json.RawMessage(nil), r.body...)
			return nil
		}
		if err := json.Unmarshal(r.body, v); err != nil {
			return r.unexpected(http.MethodGet, "decoding the value into %T: %v", v, err)
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *state) Put(ctx context.Context, key string, v any) error {
	p, err := s.keyPath(key)
	if err != nil {
		return err
	}
	var b []byte
	switch raw := v.(type) {
	case []byte: // sent as it is, as every body the SDK sends
		b = raw
	case json.RawMessage:
		b = raw
	}
	if b != nil && !json.Valid(b) {
		return invalidArgf("state value for %q: the %T is sent as it is, and is not one JSON value", key, v)
	}
	if b == nil {
		if b, err = json.Marshal(v); err != nil {
			return invalidArgf("state value for %q cannot be encoded as JSON: %v", key, err)
		}
	}
	return s.c.send(request{ctx: ctx, method: http.MethodPut, path: p, raw: b, guard: &maskGuard{"Put", "state key", key}}, nil)
}

func (s *state) Delete(ctx context.Context, key string) error {
	p, err := s.keyPath(key)
	if err != nil {
		return err
	}
	return deleteResource(ctx, s.c, p)
}

func (s *state) DeleteAll(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	return s.c.send(request{ctx: ctx, method: http.MethodDelete, path: s.prefix}, nil)
}

// TokenInfo describes the client's API token (GET /tokenInfo). Members it
// does not type are kept.
type TokenInfo struct {
	// UserID is the account user the token belongs to (`_userId`).
	UserID string `json:"_userId"`
	// Scope is the token's scope; "*" for full access.
	Scope string `json:"scope"`

	state docState
}

func (t *TokenInfo) docID() string { return t.UserID }

// TokenInfo returns what the API knows of the client's token: a cheap
// check that the token and region are right.
func (c *Client) TokenInfo(ctx context.Context) (*TokenInfo, error) {
	return doDocument[TokenInfo](ctx, c, request{method: http.MethodGet, path: "/tokenInfo"})
}
