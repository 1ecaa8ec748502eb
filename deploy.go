package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
)

// The calls a deploy uses beyond the documents: connection registration,
// swapping a connection, and what depends on a resource.

func (s *integrations) RegisterConnections(ctx context.Context, id string, connectionIDs ...string) error {
	p, err := s.docPath(id)
	if err != nil {
		return err
	}
	if len(connectionIDs) == 0 {
		return invalidArgf("RegisterConnections: no connection ids")
	}
	for _, cid := range connectionIDs {
		if err := validateID(cid); err != nil {
			return err
		}
	}
	return s.c.send(request{ctx: ctx, method: http.MethodPut, path: p + "/connections/register", body: connectionIDs}, nil)
}

func (s *integrations) DeregisterConnection(ctx context.Context, id, connectionID string) error {
	p, err := s.docPath(id)
	if err == nil {
		p, err = idPath(p+"/connections/", connectionID)
	}
	if err != nil {
		return err
	}
	return deleteResource(ctx, s.c, p+"/register")
}

func (s *flows) ReplaceConnection(ctx context.Context, id, connectionID, newConnectionID string) error {
	return s.replaceConnection(ctx, id, connectionID, newConnectionID, true)
}

func (s *exports) ReplaceConnection(ctx context.Context, id, newConnectionID string) error {
	return s.replaceConnection(ctx, id, "", newConnectionID, false)
}

func (s *imports) ReplaceConnection(ctx context.Context, id, newConnectionID string) error {
	return s.replaceConnection(ctx, id, "", newConnectionID, false)
}

// Dependency is one resource that uses another, as Client.Dependencies
// lists it.
type Dependency struct {
	// ID is the dependent resource's id (`id`; `_id` is read too).
	ID string `json:"id"`
	// Name is its name.
	Name string `json:"name"`
	// Paths are where in it the other resource is named, such as
	// "pageGenerators[0]._exportId".
	Paths []string `json:"paths"`
	// AccessLevel is the caller's access to it, when the API says.
	AccessLevel string `json:"accessLevel,omitempty"`
}

// UnmarshalJSON reads a dependency, taking its id from `id` or `_id`.
func (d *Dependency) UnmarshalJSON(b []byte) error {
	type plain Dependency
	var v struct {
		plain
		UnderscoreID string `json:"_id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*d = Dependency(v.plain)
	if d.ID == "" {
		d.ID = v.UnderscoreID
	}
	return nil
}

// Dependencies lists the resources that use the resource id of
// resourceType (a collection name such as "connections", "exports" or
// "scripts"), by the type of each (GET /{resourceType}/{id}/dependencies).
// An empty map means nothing uses it: it is safe to delete.
func (c *Client) Dependencies(ctx context.Context, resourceType, id string) (map[string][]Dependency, error) {
	p, err := idPath("/", resourceType)
	if err == nil {
		p, err = idPath(p+"/", id)
	}
	if err != nil {
		return nil, err
	}
	out := map[string][]Dependency{}
	err = c.send(request{ctx: ctx, method: http.MethodGet, path: p + "/dependencies"}, func(r *response) error {
		if r.body == nil {
			return nil
		}
		var all map[string][]Dependency
		if err := json.Unmarshal(r.body, &all); err != nil {
			return r.unexpected(http.MethodGet, "want an object of dependencies by type: %v", err)
		}
		for k, v := range all {
			if len(v) > 0 {
				out[k] = v
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
