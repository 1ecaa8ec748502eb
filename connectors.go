package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
)

// ConnectorsService manages the SmartConnectors you publish (/connectors):
// their install base and managed updates. It is an interface so users can
// fake it; Client.Connectors holds the real implementation.
type ConnectorsService interface {
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
	// in batches, then runs ManagedUpdate with fn on each install,
	// Concurrency at a time, paced by the client's rate limit. Installs
	// the install base shows at or above version are neither pushed nor
	// written, so running the same rollout again resumes it.
	//
	// No install is left locked by the rollout: one whose update failed
	// is unlocked (by ManagedUpdate, then once more), and when the rollout
	// stops early (ctx ends, a 401 or 403, StopAfterFailures) every install
	// it pushed but did not update is unlocked before Rollout returns, on
	// a context of its own bounded by UnlockTimeout. What could not be
	// unlocked is in the report's LeftLocked.
	//
	// The report is never nil and holds one result per install, in order.
	// The error is nil when every install ended updated or already
	// current; otherwise it says how many failed or did not start, and
	// errors.As reaches the first failure's *ManagedUpdateError. A
	// malformed version is refused before any request.
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

type connectors struct{ c *Client }

var _ ConnectorsService = (*connectors)(nil)

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
