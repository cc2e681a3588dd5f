package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/testkit/analyze"
	"github.com/velostream/velostream/testkit/report"
)

// NLRequest is a question about the streams.
type NLRequest struct {
	Question string `json:"question"`
	// Streams restricts the answer to these streams.
	Streams []string `json:"streams,omitempty"`
	// Live asks for an answer to watch as it runs (a notebook cell): a
	// windowed query then emits changes rather than waiting for each
	// window to close.
	Live bool `json:"live,omitempty"`
}

// NLToSQL answers a question with SQL that validates against the Studio's
// streams, or with a refusal saying what was not understood.
func (s *Studio) NLToSQL(ctx context.Context, req NLRequest) (*assistant.Result, error) {
	if strings.TrimSpace(req.Question) == "" {
		return nil, invalid("question is empty")
	}
	if s.cfg.Assistant == nil {
		return nil, newError(http.StatusNotImplemented, CodeProviderFailed, "no NL->SQL provider is configured", nil, nil)
	}
	cat, err := s.assistantCatalog(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := cat.Only(req.Streams); err != nil {
		return nil, invalid("%v", err)
	}
	res, err := s.cfg.Assistant.Generate(ctx, assistant.Request{Question: req.Question, Catalog: cat, Streams: req.Streams, Live: req.Live})
	if err != nil {
		return nil, newError(http.StatusBadGateway, CodeProviderFailed, fmt.Sprintf("%s: %v", s.cfg.Assistant.Name(), err), nil, err)
	}
	return res, nil
}

// AnalyzeRequest is a failed test to explain: its SQL and either the test
// report (as POST /test returned it) or findings.
type AnalyzeRequest struct {
	SQL      string              `json:"sql"`
	Report   *report.Report      `json:"report,omitempty"`
	Findings []assistant.Finding `json:"findings,omitempty"`
}

// Analysis is the explanation of a failure.
type Analysis struct {
	Explanation string `json:"explanation"`
	// Provider wrote it: a model's name, or "offline" for the rule-based
	// findings put into words.
	Provider string              `json:"provider"`
	Findings []assistant.Finding `json:"findings"`
}

// Analyze explains a failed test in plain language.
func (s *Studio) Analyze(ctx context.Context, req AnalyzeRequest) (*Analysis, error) {
	if strings.TrimSpace(req.SQL) == "" {
		return nil, invalid("sql is empty")
	}
	findings := req.Findings
	if req.Report != nil {
		findings = append(findings, reportFindings(req.Report)...)
	}
	if len(findings) == 0 {
		return nil, invalid("nothing to analyze: give the failed test's report or findings")
	}
	if s.cfg.Assistant == nil {
		return nil, newError(http.StatusNotImplemented, CodeProviderFailed, "no AI provider is configured", nil, nil)
	}
	text, provider, err := s.cfg.Assistant.Explain(ctx, req.SQL, findings)
	if err != nil {
		return nil, newError(http.StatusBadGateway, CodeProviderFailed, fmt.Sprintf("%s: %v", s.cfg.Assistant.Name(), err), nil, err)
	}
	return &Analysis{Explanation: text, Provider: provider, Findings: findings}, nil
}

// reportFindings turns a test report's failures and rule-based findings
// into the assistant's findings.
func reportFindings(r *report.Report) []assistant.Finding {
	var out []assistant.Finding
	for _, a := range r.Assertions {
		if a.Passed {
			continue
		}
		f := assistant.Finding{Kind: "assertion", Summary: a.Type + ": " + a.Summary}
		if a.Expected != "" {
			f.Evidence = append(f.Evidence, "expected: "+a.Expected)
		}
		if a.Actual != "" {
			f.Evidence = append(f.Evidence, "actual: "+a.Actual)
		}
		for _, row := range a.Rows {
			f.Evidence = append(f.Evidence, "row: "+string(row))
		}
		out = append(out, f)
	}
	for _, f := range r.Findings {
		out = append(out, assistant.Finding{Kind: f.Kind, Summary: f.Title, Evidence: f.Details, Suggestion: f.Fix})
	}
	return out
}

// explainer lets the test harness ask the Studio's assistant (velo test
// --ai's contract).
type explainer struct{ g assistant.Generator }

func (e explainer) Name() string { return e.g.Name() }

func (e explainer) Explain(ctx context.Context, req analyze.Request) (string, error) {
	r := &report.Report{Findings: req.Findings}
	for _, a := range req.Failures {
		a.Passed = false
		r.Assertions = append(r.Assertions, a)
	}
	text, _, err := e.g.Explain(ctx, req.SQL, reportFindings(r))
	if err != nil {
		return "", err
	}
	if text == "" {
		return "", errors.New("the provider gave no explanation")
	}
	return text, nil
}
