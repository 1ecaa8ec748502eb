package integratorio

import (
	"context"
	"fmt"
	"time"
)

// EnvironmentsService manages the environments of the account
// (/environments), such as production and sandbox. The API deletes none.
// Client.Environments holds the real implementation.
type environmentsService interface {
	// Lister gives List and All.
	Lister[Environment, ListOptions]
	// Getter, Creator and Replacer give Get, Create, Update and Modify.
	Getter[Environment]
	Creator[Environment]
	Replacer[Environment]
	// SetEnabled enables (true) or disables (false) the environment. The
	// API's call (PUT /environments/{id}/enable) toggles, so SetEnabled
	// reads the environment and sends the toggle only when its Enabled is
	// not enabled; it never sends it twice: a failure after the toggle may
	// have reached the server matches ErrUnknownOutcome (Get the
	// environment to learn its state). An environment whose answer does
	// not hold enabled as a boolean is not toggled (ErrUnexpectedResponse).
	SetEnabled(ctx context.Context, id string, enabled bool) error
}

// Environment is an environment of the account. Members it does not type
// are kept.
type Environment struct {
	// ID is the environment's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the display name.
	Name string `json:"name"`
	// Enabled reports whether the environment is in use; change it with
	// EnvironmentsService.SetEnabled.
	Enabled bool `json:"enabled"`
	// LastModified is when the environment last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

type environments struct {
	plainLister[Environment, *Environment]
}

var _ EnvironmentsService = (*environments)(nil)

func (s *environments) SetEnabled(ctx context.Context, id string, enabled bool) error {
	return s.setToggled(ctx, id, "enable", enabled, func(e *Environment) (bool, error) {
		if !environmentCodec.received(&e.state, "enabled") {
			return false, s.c.redactError(fmt.Errorf("%w: environment %s does not say whether it is enabled (no boolean enabled member); not toggling it blind", ErrUnexpectedResponse, id))
		}
		return e.Enabled, nil
	})
}
