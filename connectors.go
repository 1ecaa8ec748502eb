package integratorio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// ConnectorsService manages the SmartConnectors you publish (/connectors):
// the connectors, their licenses, their install base and managed updates.
// It is an interface so users can fake it; Client.Connectors holds the
// real implementation.
type connectorsService interface {
	// Lister gives List and All.
	Lister[Connector, ListOptions]
	// Getter, Creator, Replacer and Deleter give Get, Create, Update,
	// Modify and Delete.
	Getter[Connector]
	Creator[Connector]
	Replacer[Connector]
	Deleter
	// Licenses manages the licenses of one connector
	// (/connectors/{id}/licenses). An invalid connector id makes every
	// call of the returned service fail with ErrInvalidArgument, before
	// sending.
	Licenses(connectorID string) LicensesService
	// InstallBase lists the installs of the connector
	// (GET /connectors/{id}/installBase).
	InstallBase(ctx context.Context, connectorID string) ([]*Install, error)
	// PushUpdate pushes a managed update to the given integrations
	// (PUT /connectors/{id}/update with {"_integrationIds": [...]}). The
	// platform sets updateInProgress true on each; run
	// IntegrationsService.ManagedUpdate on each afterwards to apply the
	// update and unlock it.
	PushUpdate(ctx context.Context, connectorID string, integrationIDs ...string) error
	// Rollout runs a managed update of the connector to version across its
	// install base (or RolloutOptions.IntegrationIDs): it pushes the update
	// in small batches just ahead of the work, and runs ManagedUpdate with
	// fn on each install, Concurrency at a time, paced by the client's
	// rate limit. Installs the install base shows at or above version are
	// neither pushed nor written, so running the same rollout again
	// resumes it. With RolloutOptions.DryRun it only reads the install
	// base and reports what it would do.
	//
	// No install is left locked by a rollout that returns: one whose
	// update failed is unlocked (by ManagedUpdate, then once more), and
	// when the rollout stops early (ctx ends, a 401 or 403,
	// StopAfterFailures) every install it pushed but did not update is
	// unlocked before Rollout returns, on a context of its own bounded by
	// UnlockTimeout; a push in flight then runs to its end first. What
	// could not be unlocked is in the report's LeftLocked. A process
	// killed outright unlocks nothing: at any moment at most
	// 2 × Concurrency installs are pushed or being updated, the most a
	// kill can leave locked (a re-run unlocks them). An fn that panics or
	// calls runtime.Goexit fails its install only; an OnResult that does
	// stops the rollout.
	//
	// The report is never nil and holds one result per install, in order,
	// each with Total. The error is nil when every install ended updated
	// or already current and none is left locked (and for a dry run);
	// otherwise it says how many failed, were cancelled, did not start or
	// are left locked, and errors.As reaches the first failure's
	// *ManagedUpdateError. A malformed version, a negative option or a
	// malformed IntegrationIDs entry is refused before any request.
	Rollout(ctx context.Context, connectorID, version string, fn func(*Integration) error, opts *RolloutOptions) (*RolloutReport, error)
}

// Install is one install of a SmartConnector, as listed by InstallBase.
// Members it does not type are kept, as for Integration.
type Install struct {
	// ID is the install's id (`_id`).
	ID string `json:"_id"`
	// IntegrationID is the integration the install created in the user's
	// account (`_integrationId`).
	IntegrationID string `json:"_integrationId"`
	// Name is the integration's or account's name.
	Name string `json:"name"`
	// Email is the installing user's email.
	Email string `json:"email"`
	// Version is the installed version.
	Version string `json:"version"`
	// UpdateInProgress reports a pushed update not yet finished.
	UpdateInProgress bool `json:"updateInProgress"`
	// Sandbox marks a sandbox install.
	Sandbox bool `json:"sandbox"`

	state docState
}

// docID identifies an install: its own id, or its integration's.
func (in *Install) docID() string {
	if in.ID != "" {
		return in.ID
	}
	return in.IntegrationID
}

// Connector is a SmartConnector you publish. Members it does not type
// (its installer and update functions, applications, …) are kept.
type Connector struct {
	// ID is the connector's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the connector's name in the marketplace.
	Name string `json:"name"`
	// Description is shown in the marketplace.
	Description string `json:"description"`
	// IntegrationID is the integration the connector is built from
	// (`_integrationId`).
	IntegrationID string `json:"_integrationId"`
	// Published reports whether the marketplace lists it.
	Published bool `json:"published"`
	// Managed reports a connector whose installs take managed updates.
	Managed bool `json:"managed"`
	// LastModified is when the connector last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

// LicensesService manages the licenses of one connector
// (/connectors/{id}/licenses): who may install it, until when.
type licensesService interface {
	// Lister gives List and All.
	Lister[License, ListOptions]
	// Getter, Creator, Replacer and Deleter give Get, Create, Update,
	// Modify and Delete.
	Getter[License]
	Creator[License]
	Replacer[License]
	Deleter
	// Create creates a license and returns it as stored; Email must name
	// an integrator.io user (else 400 invalid_user). It is never repeated
	// once the request may have reached the server: a failure after that
	// point, or a 2xx answer that cannot be read, matches
	// ErrUnknownOutcome.
	Create(ctx context.Context, lic *License) (*License, error)
}

// License lets one user install a connector. Members it does not type
// (opts, …) are kept.
type License struct {
	// ID is the license's id (`_id`); read-only.
	ID string `json:"_id"`
	// Email is the user the license is for.
	Email string `json:"email"`
	// Expires is when the license ends; zero for never.
	Expires time.Time `json:"expires"`
	// IntegrationID is the integration installed with the license
	// (`_integrationId`).
	IntegrationID string `json:"_integrationId"`
	// ConnectorID is the connector (`_connectorId`); read-only.
	ConnectorID string `json:"_connectorId"`
	// LastModified is when the license last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

type connectors struct {
	plainLister[Connector, *Connector]
}

var _ ConnectorsService = (*connectors)(nil)

type licenses struct {
	plainLister[License, *License]
}

var _ LicensesService = (*licenses)(nil)

func (s *connectors) Licenses(connectorID string) LicensesService {
	p, err := idPath("/connectors/", connectorID)
	r := newResource[License](s.c, p+"/licenses", "license")
	if err != nil {
		r.pathErr = fmt.Errorf("Licenses: connector %w", err)
	}
	return &licenses{plainLister[License, *License]{r}}
}

func (s *connectors) InstallBase(ctx context.Context, connectorID string) ([]*Install, error) {
	p, err := idPath("/connectors/", connectorID)
	if err != nil {
		return nil, err
	}
	var out []*Install
	for page, err := range pages[Install](ctx, s.c, p+"/installBase", "") {
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}

func (s *connectors) PushUpdate(ctx context.Context, connectorID string, integrationIDs ...string) error {
	p, err := idPath("/connectors/", connectorID)
	if err != nil {
		return err
	}
	if len(integrationIDs) == 0 {
		return invalidArgf("PushUpdate: no integration ids")
	}
	for _, id := range integrationIDs {
		if err := validateID(id); err != nil {
			return err
		}
	}
	body, err := json.Marshal(struct {
		IDs []string `json:"_integrationIds"`
	}{integrationIDs})
	if err != nil {
		return invalidArgf("PushUpdate: %v", err)
	}
	return s.c.send(request{ctx: ctx, method: http.MethodPut, path: p + "/update", raw: body}, nil)
}
