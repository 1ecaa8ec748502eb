package integratorio

import (
	"context"
	"io"
	"iter"
	"net/http"
	"time"
)

// FlowsService manages flows (/flows): the pipelines that move data from
// exports to imports. Client.Flows holds the real implementation; it is an
// interface so that users can fake it.
type FlowsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	// Create flows with Disabled true: an enabled flow with a schedule
	// runs at once. The API patches only name, description, schedule,
	// timezone, disabled and some page generator members.
	Documents[Flow]
	// Lister gives List and All, of one integration with IntegrationID.
	Lister[Flow, FlowListOptions]
	// Clone copies the flow into an integration; see FlowCloneOptions.
	Clone(ctx context.Context, id string, opts *FlowCloneOptions) (*Cloned[Flow], error)
	// Run starts the flow (POST /flows/{id}/run) and returns the job that
	// runs it; wait for it with JobsService.Wait. Run is never repeated
	// once it may have reached the server: a repeated run moves data twice.
	Run(ctx context.Context, id string, opts *RunOptions) (*RunResult, error)
	// Errors iterates over the open errors of one step of the flow (an
	// export or import id), in the order the API lists them, fetching a
	// page (by the answer's nextPageURL) only when the loop needs it.
	Errors(ctx context.Context, flowID, stepID string, opts *FlowErrorListOptions) iter.Seq2[*FlowError, error]
	// ResolveErrors marks errors of a step resolved (PUT …/resolved).
	ResolveErrors(ctx context.Context, flowID, stepID string, errorIDs ...string) error
	// RetryErrors retries the records of a step's errors, named by their
	// RetryDataKey (POST …/retry). Never repeated once it may have reached
	// the server. The answer's shape is not documented: JobID is set when
	// it names a job (as "_jobId"), and the rest is kept.
	RetryErrors(ctx context.Context, flowID, stepID string, retryDataKeys ...string) (*RunResult, error)
	// ReplaceConnection makes the flow's steps use newConnectionID where
	// they used connectionID (PUT /flows/{id}/replaceConnection with
	// {"_connectionId", "_newConnectionId"}).
	ReplaceConnection(ctx context.Context, id, connectionID, newConnectionID string) error
	// DownloadTemplate returns the flow as a template zip, as
	// IntegrationsService.DownloadTemplate does for an integration.
	DownloadTemplate(ctx context.Context, id string) (io.ReadCloser, error)
}

// Flow is an integrator.io flow. Members it does not type (routers, hooks,
// mappings, overrides, …) are kept, in nested objects too, as for
// Integration.
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
	// PageProcessors are the steps each page goes through (flows with
	// routers keep those in the untyped member "routers" instead).
	PageProcessors []PageProcessor `json:"pageProcessors"`
	// LastModified is when the flow last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when the flow was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

// PageGenerator is one source of a flow. Members it does not type are kept.
type PageGenerator struct {
	// ExportID is the export that generates the pages (`_exportId`).
	ExportID string `json:"_exportId"`
	// Schedule overrides the flow's schedule for this source.
	Schedule string `json:"schedule"`
	// SkipRetries turns off retries of this source's errors.
	SkipRetries bool `json:"skipRetries"`

	state docState
}

// PageProcessor is one step of a flow: a lookup export or an import.
// Members it does not type (responseMapping, hooks, …) are kept.
type PageProcessor struct {
	// Type is "export" or "import".
	Type string `json:"type"`
	// ExportID is the lookup export, for Type "export" (`_exportId`).
	ExportID string `json:"_exportId"`
	// ImportID is the import, for Type "import" (`_importId`).
	ImportID string `json:"_importId"`
	// ProceedOnFailure lets records that failed here go on to the next
	// step.
	ProceedOnFailure bool `json:"proceedOnFailure"`

	state docState
}

// FlowListOptions narrows a list of flows.
type FlowListOptions struct {
	ListOptions
	// IntegrationID lists the flows of one integration
	// (/integrations/{id}/flows).
	IntegrationID string `url:"-"`
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
	*resource[Flow, *Flow]
}

var _ FlowsService = (*flows)(nil)

func (s *flows) List(ctx context.Context, opts *FlowListOptions) ([]*Flow, error) {
	return collect(s.All(ctx, opts))
}

func (s *flows) All(ctx context.Context, opts *FlowListOptions) iter.Seq2[*Flow, error] {
	if opts == nil {
		return s.scoped(ctx, nil, "")
	}
	return s.scoped(ctx, &opts.ListOptions, opts.IntegrationID)
}

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

// RunOptions is the body of a run request. The API's names for a custom
// delta start date and for running only some exports are not confirmed
// (sources disagree), so they are not typed: set them, at your own risk,
// in Body. A nil *RunOptions runs the flow as scheduled.
type RunOptions struct {
	// Body, when non-nil, is sent as the request body as it is (encoded
	// as JSON); without it the body is {}.
	Body any
}

func (s *flows) Run(ctx context.Context, id string, opts *RunOptions) (*RunResult, error) {
	p, err := s.docPath(id)
	if err != nil {
		return nil, err
	}
	var body any = struct{}{}
	if opts != nil && opts.Body != nil {
		body = opts.Body
	}
	return startJob(ctx, s.c, request{method: http.MethodPost, path: p + "/run", body: body}, true)
}
