package integratorio

import (
	"cmp"
	"strconv"
)

// The types of a FlowStep, as the API writes them.
const (
	stepExport = "export"
	stepImport = "import"
)

// FlowStep is one step of a flow, in the order it runs: an export or an
// import, wherever the flow holds it. Its ID is what the error calls
// (FlowsService.Errors, ResolveErrors, RetryErrors, …) take as stepID.
type FlowStep struct {
	// ID is the step's export or import id.
	ID string
	// Type is "export" (a source, or a lookup among the page
	// processors) or "import".
	Type string
	// Generator is true for a source of the flow: a page generator, or a
	// legacy flow's top-level export.
	Generator bool
	// Router and Branch name the router and the branch of a step inside
	// a router's branch: each by its name, or its id when it has none, or
	// else its position ("router 1", "branch 2", counted from 1). Both
	// are empty for other steps.
	Router, Branch string
}

// Steps returns every step of the flow, in order: its page generators,
// then its page processors, or, on a flow with routers, the page
// processors of each branch of each router (routers and branches in the
// flow's order). A legacy flow's top-level export and import (the
// untyped members "_exportId" and "_importId") come first, the export as
// a generator. A place in the flow is one step even when two places name
// the same id; a place without an id is left out. A nil flow has none.
func (f *Flow) Steps() []FlowStep {
	if f == nil {
		return nil
	}
	var steps []FlowStep
	var legacyExport, legacyImport string
	if ok, err := f.Extra("_exportId", &legacyExport); ok && err == nil && legacyExport != "" {
		steps = append(steps, FlowStep{ID: legacyExport, Type: stepExport, Generator: true})
	}
	if ok, err := f.Extra("_importId", &legacyImport); ok && err == nil && legacyImport != "" {
		steps = append(steps, FlowStep{ID: legacyImport, Type: stepImport})
	}
	for _, g := range f.PageGenerators {
		if g.ExportID != "" {
			steps = append(steps, FlowStep{ID: g.ExportID, Type: stepExport, Generator: true})
		}
	}
	steps = appendProcessors(steps, f.PageProcessors, "", "")
	for i, r := range f.Routers {
		router := cmp.Or(r.Name, r.ID, "router "+strconv.Itoa(i+1))
		for j, b := range r.Branches {
			branch := cmp.Or(b.Name, b.ID, "branch "+strconv.Itoa(j+1))
			steps = appendProcessors(steps, b.PageProcessors, router, branch)
		}
	}
	return steps
}

// appendProcessors appends a step for each page processor that names an
// export or import.
func appendProcessors(steps []FlowStep, pps []PageProcessor, router, branch string) []FlowStep {
	for _, p := range pps {
		switch {
		case p.Type == stepImport && p.ImportID != "", p.Type == "" && p.ImportID != "" && p.ExportID == "":
			steps = append(steps, FlowStep{ID: p.ImportID, Type: stepImport, Router: router, Branch: branch})
		case p.ExportID != "" && p.Type != stepImport:
			steps = append(steps, FlowStep{ID: p.ExportID, Type: stepExport, Router: router, Branch: branch})
		}
	}
	return steps
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
