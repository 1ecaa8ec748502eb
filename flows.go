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

// Router is one router of a flow: it sends each record to one or more of
// its branches. Members it does not type (routeRecordsUsing, script, …)
// are kept.
type Router struct {
	// ID is the router's id within the flow (`id`).
	ID string `json:"id"`
	// Name is the router's display name.
	Name string `json:"name"`
	// RouteRecordsTo is "first_matching_branch" or
	// "all_matching_branches".
	RouteRecordsTo string `json:"routeRecordsTo"`
	// Branches are the router's branches, in order.
	Branches []RouterBranch `json:"branches"`
	// NextRouterID is the router the branches join into
	// (`nextRouterId`), if any.
	NextRouterID string `json:"nextRouterId"`

	state docState
}

// RouterBranch is one branch of a Router: an input filter and the page
// processors its records go through. Members it does not type
// (inputFilter, …) are kept.
type RouterBranch struct {
	// ID is the branch's id (`branchId`), where the flow gives one.
	ID string `json:"branchId"`
	// Name is the branch's display name.
	Name string `json:"name"`
	// PageProcessors are the branch's steps.
	PageProcessors []PageProcessor `json:"pageProcessors"`

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

// RunOptions is the body of a run request. A nil *RunOptions, or the
// zero RunOptions, runs the flow as scheduled (the body is {}).
type RunOptions struct {
	// StartDate and EndDate bound the records the flow's delta exports
	// take (sent as {"export": {"startDate", "endDate"}}): StartDate in
	// place of the last run's time. Zero sends nothing.
	StartDate, EndDate time.Time
	// ExportIDs runs only these page generators (`_exportIds`); empty
	// runs them all.
	ExportIDs []string
	// Body, when non-nil, is sent as the request body as it is (encoded
	// as JSON), for members the SDK does not type; it cannot be combined
	// with the fields above.
	Body any
}

// runBody is the JSON body of RunOptions.
type runBody struct {
	Export    *runWindow `json:"export,omitempty"`
	ExportIDs []string   `json:"_exportIds,omitempty"`
}

type runWindow struct {
	StartDate string `json:"startDate,omitempty"`
	EndDate   string `json:"endDate,omitempty"`
}

// body returns what a run sends.
func (o *RunOptions) body() (any, error) {
	if o == nil {
		return struct{}{}, nil
	}
	typed := !o.StartDate.IsZero() || !o.EndDate.IsZero() || len(o.ExportIDs) > 0
	switch {
	case o.Body != nil && typed:
		return nil, invalidArgf("RunOptions: Body cannot be combined with StartDate, EndDate or ExportIDs: put them in Body, or leave Body nil")
	case o.Body != nil:
		return o.Body, nil
	case !o.StartDate.IsZero() && !o.EndDate.IsZero() && o.EndDate.Before(o.StartDate):
		return nil, invalidArgf("RunOptions: EndDate %s is before StartDate %s", o.EndDate.Format(time.RFC3339), o.StartDate.Format(time.RFC3339))
	}
	for i, id := range o.ExportIDs {
		if id == "" {
			return nil, invalidArgf("RunOptions: ExportIDs[%d] is empty", i)
		}
	}
	b := runBody{ExportIDs: o.ExportIDs}
	if !o.StartDate.IsZero() || !o.EndDate.IsZero() {
		b.Export = &runWindow{StartDate: isoTime(o.StartDate), EndDate: isoTime(o.EndDate)}
	}
	return b, nil
}

// isoTime formats t as the API writes times (ISO 8601 with milliseconds,
// UTC); zero is "".
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func (s *flows) Run(ctx context.Context, id string, opts *RunOptions) (*RunResult, error) {
	p, err := s.docPath(id)
	if err != nil {
		return nil, err
	}
	body, err := opts.body()
	if err != nil {
		return nil, err
	}
	return startJob(ctx, s.c, request{method: http.MethodPost, path: p + "/run", body: body, guard: &maskGuard{"Run", "flow", id}}, true)
}
