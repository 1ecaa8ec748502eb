package integratorio

import (
	"context"
	"strings"
	"time"
)

// ConnectionsService manages connections (/connections): the credentials
// and endpoints flows use. Client.Connections holds the real
// implementation. Reads answer secrets masked ("******"): Create and
// Update refuse a document that carries the mask back (ErrMaskedSecret);
// change credentials with Patch.
type connectionsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	Documents[Connection]
	// Lister gives List and All, of one integration with IntegrationID.
	Lister[Connection, ResourceListOptions]
	// Ping tests the connection: POST /connections/{id}/ping, as
	// Celigo's current tools send it, and GET on the same path when the
	// server answers the POST 404 or 405 (the form the API's reference
	// documents; a ping changes nothing, so it is retried like a GET). It
	// returns nil when the connection works; an error matching
	// ErrConnectionFailed that carries the API's reason (a *PingError)
	// when it does not; any other error when the ping could not tell
	// (the token refused, no such connection, a server that pings by
	// neither method, an answer that is not a JSON object). A 2xx answer
	// holding errors, or a code other than 200, is a failure, not a
	// success; an empty 2xx answer is a success.
	Ping(ctx context.Context, id string) error
}

// Connection is an integrator.io connection. The per-type objects (http,
// netsuite, salesforce, …) and everything else it does not type are kept.
type Connection struct {
	// ID is the connection's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the display name (at most 100 characters).
	Name string `json:"name"`
	// Type is the kind of connection: "http", "netsuite", "salesforce",
	// "ftp", "rdbms", … Its settings are in the member of that name.
	Type string `json:"type"`
	// Offline reports a connection that failed and is not used; see
	// IsOffline, which reads the API's other form too.
	Offline bool `json:"offline"`
	// Sandbox marks a sandbox connection.
	Sandbox bool `json:"sandbox"`
	// IntegrationID is the integration it belongs to (`_integrationId`).
	IntegrationID string `json:"_integrationId"`
	// ConnectorID is the SmartConnector it belongs to (`_connectorId`).
	ConnectorID string `json:"_connectorId"`
	// DebugDate turns on debug logs until then (set it in the future).
	DebugDate time.Time `json:"debugDate"`
	// ExternalID is an id of the caller's choosing.
	ExternalID string `json:"externalId"`
	// LastModified is when the connection last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

// IsOffline reports whether the connection is offline: `offline: true`,
// or `status: "offline"` (the untyped member some answers carry
// instead). A nil connection is not.
func (c *Connection) IsOffline() bool {
	if c == nil {
		return false
	}
	var status string
	if ok, err := c.Extra("status", &status); ok && err == nil && strings.EqualFold(status, "offline") {
		return true
	}
	return c.Offline
}

type connections struct {
	scopedLister[Connection, *Connection]
}

var _ ConnectionsService = (*connections)(nil)
