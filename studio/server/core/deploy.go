package core

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server/deploy"
)

// DeployRequest deploys notebook cells, or one SQL text.
type DeployRequest struct {
	// Notebook and Cells: deploy these cells of the notebook (the cells
	// already marked deploy when Cells is empty).
	Notebook string   `json:"notebook,omitempty"`
	Cells    []string `json:"cells,omitempty"`
	// SQL and Name: deploy one query as the StreamingQuery Name (default:
	// the stream a CREATE STREAM ... AS names).
	SQL  string `json:"sql,omitempty"`
	Name string `json:"name,omitempty"`
	// Namespace defaults to the Studio's.
	Namespace string `json:"namespace,omitempty"`
	// DryRun returns what would be applied without applying it.
	DryRun bool `json:"dryRun"`
}

// Deploy plans a deploy and, unless it is a dry run, applies it. agent is
// true for MCP callers, who may apply only when the Studio allows it.
func (s *Studio) Deploy(ctx context.Context, req DeployRequest, agent bool) (*deploy.Plan, error) {
	if (req.Notebook == "") == (strings.TrimSpace(req.SQL) == "") {
		return nil, invalid("give either notebook (with cells) or sql (with name)")
	}
	ns := req.Namespace
	if ns == "" {
		ns = s.cfg.Namespace
	}
	materialize := func(sql string) (string, int) { return s.Materialize(ctx, sql) }
	var plan *deploy.Plan
	var err error
	if req.Notebook != "" {
		nb, gerr := s.cfg.Notebooks.Get(ctx, req.Notebook)
		if gerr != nil {
			return nil, storeError(gerr)
		}
		plan, err = deploy.NotebookPlan(nb.Notebook, req.Cells, ns, s.cfg.Kafka, materialize)
	} else {
		name := req.Name
		if name == "" {
			name = queryName(req.SQL)
		}
		if name == "" {
			return nil, invalid("name is required: the StreamingQuery's name (or write CREATE STREAM name AS SELECT ...)")
		}
		plan, err = deploy.QueryPlan(req.SQL, name, ns, s.cfg.Kafka, materialize)
	}
	if err != nil {
		return nil, deployError(err)
	}
	plan.DryRun = req.DryRun
	if req.DryRun {
		if s.cfg.Kube != nil {
			if err := plan.Diff(ctx, s.cfg.Kube); err != nil {
				return nil, newError(http.StatusBadGateway, CodeUpstream, err.Error(), nil, err)
			}
		}
		return plan, nil
	}
	if s.cfg.Kube == nil {
		return nil, newError(http.StatusConflict, CodeNoCluster,
			"no Kubernetes cluster is configured (start the Studio with --kubeconfig, or in a cluster): download the YAML and apply it with kubectl",
			map[string]any{"yaml": plan.YAML}, nil)
	}
	if agent && !s.cfg.AllowDeploy {
		return nil, newError(http.StatusForbidden, CodeNotAllowed, "deploying is not allowed for agents: the Studio was started without --allow-deploy (dry runs work)", nil, nil)
	}
	if err := plan.Apply(ctx, s.cfg.Kube); err != nil {
		return nil, newError(http.StatusBadGateway, CodeUpstream, err.Error(), nil, err)
	}
	return plan, nil
}

// queryName is the name a CREATE STREAM|TABLE name AS SELECT gives.
func queryName(sql string) string {
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		return ""
	}
	for _, st := range script.Statements {
		if c, ok := st.(*ast.CreateAsStmt); ok && c.Name != nil {
			return observability.DNSLabel(c.Name.Name())
		}
	}
	return ""
}

func deployError(err error) *Error {
	var ie *deploy.InvalidError
	var ne *notebooks.InvalidError
	switch {
	case errors.As(err, &ie):
		return newError(http.StatusUnprocessableEntity, CodeInvalidSQL, err.Error(), map[string]any{"cells": ie.Cells}, err)
	case errors.As(err, &ne):
		return newError(http.StatusUnprocessableEntity, CodeInvalidRequest, err.Error(), map[string]any{"problems": ne.Problems}, err)
	}
	return newError(http.StatusBadRequest, CodeInvalidRequest, err.Error(), nil, err)
}

// storeError maps a notebook store error to an API error.
func storeError(err error) *Error {
	var ce *notebooks.ConflictError
	var ie *notebooks.InvalidError
	switch {
	case errors.Is(err, notebooks.ErrNotFound):
		return newError(http.StatusNotFound, CodeNotFound, err.Error(), nil, err)
	case errors.Is(err, notebooks.ErrExists):
		return newError(http.StatusConflict, CodeExists, err.Error(), nil, err)
	case errors.As(err, &ce):
		details := map[string]any{}
		if ce.Current != nil {
			details["current"] = NotebookView(ce.Current)
		}
		if ce.Yours != nil {
			details["yours"] = NotebookView(&notebooks.Notebook{Notebook: ce.Yours})
		}
		if ce.SavedAs != "" {
			details["saved_as"] = ce.SavedAs
		}
		return newError(http.StatusConflict, CodeConflict, err.Error(), details, err)
	case errors.As(err, &ie):
		return newError(http.StatusUnprocessableEntity, CodeInvalidRequest, err.Error(), map[string]any{"problems": ie.Problems}, err)
	}
	return newError(http.StatusInternalServerError, CodeInternal, err.Error(), nil, err)
}
