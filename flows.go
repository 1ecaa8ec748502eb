package integratorio

import (
	"context"
	"io"
	"iter"
	"time"
)

// FlowsService manages flows (/flows): the pipelines that move data from
// exports to imports. Client.Flows holds the real implementation; it is an
// interface so that users can fake it.
type flowsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify;
	// Create and Patch are declared below for what is special to flows.
	Documents[Flow]
	// Create creates a flow and returns it as stored; its id and
	// lastModified are not sent. Create flows with Disabled true: an
	// enabled flow with a schedule runs at once. It is never repeated
	// once the request may have reached the server: a failure after that
	// point, or a 2xx answer that cannot be read, matches
	// ErrUnknownOutcome.
	Create(ctx context.Context, doc *Flow) (*Flow, error)
	// Patch applies JSON Patch operations to the flow. The API patches
	// only name, description, schedule, timezone, disabled and some page
	// generator members.
	Patch(ctx context.Context, id string, ops ...PatchOp) error
	// Lister gives List and All, of one integration with IntegrationID.
	Lister[Flow, ResourceListOptions]
	// Clone copies the flow into an integration; see FlowCloneOptions.
	Clone(ctx context.Context, id string, opts *FlowCloneOptions) (*Cloned[Flow], error)
	// Run starts the flow (POST /flows/{id}/run) and returns the job that
	// runs it; wait for it with JobsService.Wait. Run is never repeated
	// once it may have reached the server: a repeated run moves data twice.
	Run(ctx context.Context, id string, opts *RunOptions) (*RunResult, error)
	// Errors iterates over the open errors of one step of the flow (an
	// export or import id; see Flow.Steps), in the order the API lists
	// them, fetching a page (by the answer's nextPageURL) only when the
	// loop needs it.
	Errors(ctx context.Context, flowID, stepID string, opts *FlowErrorListOptions) iter.Seq2[*FlowError, error]
	// ErrorSummary returns the open error count of each step of the flow
	// that has errors (GET /flows/{id}/errors): one request for the whole
	// flow, so that only the steps with errors need listing. Should the
	// server page the answer (by a nextPageURL, as it pages an
	// integration's), every page is read: a summary is whole or an error.
	ErrorSummary(ctx context.Context, flowID string) ([]StepErrors, error)
	// ResolveErrors marks errors of a step resolved (PUT …/resolved with
	// {"errors": ids}).
	ResolveErrors(ctx context.Context, flowID, stepID string, ids ...ErrorID) error
	// RetryErrors retries the records of a step's errors, named by their
	// RetryDataKey (POST …/retry with {"retryDataKeys": keys}). Never
	// repeated once it may have reached the server. The answer's shape is
	// not documented: JobID is set when it names a job (as "_jobId"), and
	// the rest is kept.
	RetryErrors(ctx context.Context, flowID, stepID string, keys ...RetryDataKey) (*RunResult, error)
	// RetryErrorsByID retries the records of a step's errors named by
	// their ErrorID (POST …/retry with {"errorIds": ids}), as RetryErrors
	// does.
	RetryErrorsByID(ctx context.Context, flowID, stepID string, ids ...ErrorID) (*RunResult, error)
	// ResolvedErrors iterates over the resolved errors of one step (GET
	// …/resolved), page by page as Errors does.
	ResolvedErrors(ctx context.Context, flowID, stepID string, opts *FlowErrorListOptions) iter.Seq2[*FlowError, error]
	// DeleteResolvedErrors deletes resolved errors of a step (DELETE
	// …/resolved with {"errors": ids}).
	DeleteResolvedErrors(ctx context.Context, flowID, stepID string, ids ...ErrorID) error
	// ReplaceConnection makes the flow's steps use newConnectionID where
	// they used connectionID (PUT /flows/{id}/replaceConnection with
	// {"_connectionId", "_newConnectionId"}).
	ReplaceConnection(ctx context.Context, id, connectionID, newConnectionID string) error
	// DownloadTemplate returns the flow as a template zip, as
	// IntegrationsService.DownloadTemplate does for an integration.
	DownloadTemplate(ctx context.Context, id string) (io.ReadCloser, error)
}

// Flow is an integrator.io flow. Members it does not type (hooks,
// mappings, overrides, a legacy flow's _exportId and _importId, …) are
// kept, in nested objects too, as for Integration. Steps lists its
// exports and imports wherever they are.
type Flow struct {
	// ID is the flow's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the flow's display name.
	Name string `json:"name"`
	// Description is free text.
	Description string `json:"description"`
	// IntegrationID is the integration the flow belongs to
	// (`_integrationId`).
	IntegrationID string `json:"_integrationId"`
	// Disabled stops the flow from running on its schedule.
	Disabled bool `json:"disabled"`
	// Schedule is a six-field cron expression beginning with "?", such as
	// "? */5 * * * *".
	Schedule string `json:"schedule"`
	// Timezone is the schedule's IANA time zone.
	Timezone string `json:"timezone"`
	// PageGenerators are the flow's sources.
	PageGenerators []PageGenerator `json:"pageGenerators"`
	// PageProcessors are the steps each page goes through. A flow with
	// routers has none here: its steps are in the branches of Routers.
	// Steps lists every step, wherever it is.
	PageProcessors []PageProcessor `json:"pageProcessors"`
	// Routers route each record to branches of page processors (a flow
	// has PageProcessors or Routers, never both).
	Routers []Router `json:"routers"`
	// LastModified is when the flow last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when the flow was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

// FlowCloneOptions is the body of a flow clone.
type FlowCloneOptions struct {
	// IntegrationID is the integration the copy goes to (required).
	IntegrationID string `json:"_integrationId"`
	// Name of the copy; the server picks one when empty.
	Name string `json:"name,omitempty"`
	// ConnectionMap maps the connection ids the flow uses to those the
	// copy should use; the API refuses a clone of a flow that uses
	// connections without one (400 invalid_connectionMap).
	ConnectionMap map[string]string `json:"connectionMap,omitempty"`
	// EnvironmentID clones into another environment of the account
	// (`envId`, without the underscore the integration clone has).
	EnvironmentID string `json:"envId,omitempty"`
	// FlowGroupingID puts the copy in a flow group of the target
	// integration (`_flowGroupingId`, the `_id` of one of its
	// flowGroupings).
	FlowGroupingID string `json:"_flowGroupingId,omitempty"`
}

// flows implements FlowsService.
type flows struct {
	scopedLister[Flow, *Flow]
}

var _ FlowsService = (*flows)(nil)

func (s *flows) Clone(ctx context.Context, id string, opts *FlowCloneOptions) (*Cloned[Flow], error) {
	if opts == nil || opts.IntegrationID == "" {
		return nil, invalidArgf("Clone: FlowCloneOptions.IntegrationID names the integration the copy goes to, and is required")
	}
	if err := validateID(opts.IntegrationID); err != nil {
		return nil, err
	}
	for _, ref := range []string{opts.EnvironmentID, opts.FlowGroupingID} {
		if ref != "" {
			if err := validateID(ref); err != nil {
				return nil, err
			}
		}
	}
	if err := validConnectionMap(opts.ConnectionMap); err != nil {
		return nil, err
	}
	return s.cloned(ctx, id, opts, "Flow")
}
