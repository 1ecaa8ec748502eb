package integratorio

import "time"

// IClientsService manages iClients (/iclients): the OAuth clients and
// other credentials connections borrow. The API answers their secrets
// masked ("******"), so a document read and written back whole is refused
// (ErrMaskedSecret): change members with Patch, or restore the secrets
// first. Client.IClients holds the real implementation.
type iClientsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	Documents[IClient]
	// Lister gives List and All.
	Lister[IClient, ListOptions]
}

// IClient is an integrator.io iClient. Its provider's object (oauth2 with
// clientId, clientSecret, scope, …) and every other member it does not
// type are kept.
type IClient struct {
	// ID is the iClient's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the display name.
	Name string `json:"name"`
	// Provider is the kind of client, such as "custom_oauth2".
	Provider string `json:"provider"`
	// LastModified is when the iClient last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

type iClients struct {
	plainLister[IClient, *IClient]
}

var _ IClientsService = (*iClients)(nil)
