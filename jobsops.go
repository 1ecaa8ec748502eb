package integratorio

import (
	"context"
	"iter"
	"net/http"
)

// LatestJobsOptions selects whose latest jobs Jobs.Latest returns: set
// exactly one of FlowID and IntegrationID.
type LatestJobsOptions struct {
	// FlowID asks for the latest job of one flow.
	FlowID string
	// IntegrationID asks for the latest job of each flow of one
	// integration.
	IntegrationID string
}

// CurrentJobsOptions narrows Jobs.Current; every list left empty selects
// everything.
type CurrentJobsOptions struct {
	// IntegrationIDs keeps the jobs of these integrations
	// (`_integrationIds`).
	IntegrationIDs []string `json:"_integrationIds,omitempty"`
	// FlowIDs keeps the jobs of these flows (`_flowIds`).
	FlowIDs []string `json:"_flowIds,omitempty"`
	// Statuses keeps the jobs in these states (`status`).
	Statuses []JobStatus `json:"status,omitempty"`
}

func (s *jobs) Latest(ctx context.Context, opts *LatestJobsOptions) ([]*Job, error) {
	var p string
	var err error
	switch {
	case opts == nil || (opts.FlowID == "") == (opts.IntegrationID == ""):
		return nil, invalidArgf("Latest: set one of LatestJobsOptions.FlowID and IntegrationID")
	case opts.FlowID != "":
		p, err = idPath("/flows/", opts.FlowID)
	default:
		p, err = idPath("/integrations/", opts.IntegrationID)
	}
	if err != nil {
		return nil, err
	}
	// Answered as a list, as {"jobs": [...]} pages (read to the end), or,
	// tolerated, as the one job.
	return collect(bodyPagedOr[Job](s.c, request{ctx: ctx, method: http.MethodGet, path: p + "/jobs/latest"}, "jobs", true))
}

func (s *jobs) Current(ctx context.Context, opts *CurrentJobsOptions) iter.Seq2[*Job, error] {
	body := opts
	if body == nil {
		body = &CurrentJobsOptions{}
	}
	for what, list := range map[string][]string{"IntegrationIDs": body.IntegrationIDs, "FlowIDs": body.FlowIDs} {
		if err := noEmpty("CurrentJobsOptions."+what, list); err != nil {
			return errSeq[Job](err)
		}
	}
	if err := noEmpty("CurrentJobsOptions.Statuses", body.Statuses); err != nil {
		return errSeq[Job](err)
	}
	return bodyPaged[Job](s.c, request{ctx: ctx, method: http.MethodPost, path: s.path + "/current", body: body, safe: true}, "jobs")
}

// noEmpty refuses an empty string in list.
func noEmpty[S ~string](what string, list []S) error {
	for i, v := range list {
		if v == "" {
			return invalidArgf("%s[%d] is empty", what, i)
		}
	}
	return nil
}

func (s *jobs) Family(ctx context.Context, id string) ([]*Job, error) {
	p, err := s.docPath(id)
	if err != nil {
		return nil, err
	}
	var out []*Job
	err = s.c.send(request{ctx: ctx, method: http.MethodGet, path: p + "/family"}, func(r *response) error {
		if r.body != nil && r.body[0] == '{' {
			// One job holding the others, tolerated: the job, then its
			// "children".
			head, err := decodeDocument[Job](r, http.MethodGet)
			if err != nil {
				return err
			}
			out = []*Job{head}
			var children []*Job
			if _, err := head.Extra("children", &children); err != nil {
				return r.unexpected(http.MethodGet, "children: %v", err)
			}
			for _, j := range children {
				if j != nil {
					out = append(out, j)
				}
			}
			return nil
		}
		out, err = decodeList[Job](r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
