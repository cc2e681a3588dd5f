// Package explain lets `velo test --ai` ask a model to explain a failed
// test: it adapts an assistant.Generator to the test harness's Explainer.
// Only a model provider is used; the offline generator has nothing to add to
// the rule-based findings the report already shows, so with no model
// configured there is no explainer at all.
package explain

import (
	"context"
	"fmt"
	"strings"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/assistant/providers"
	"github.com/velostream/velostream/testkit/analyze"
)

// FromEnv returns an explainer for the model configured in the environment
// (ANTHROPIC_API_KEY, VELO_OPENAI_BASE_URL, VELO_AI_PROVIDER), or nil when
// none is: the harness then says that no provider is configured.
func FromEnv(getenv func(string) string) (analyze.Explainer, error) {
	cfg := providers.FromEnv(getenv)
	if cfg.Provider == "offline" || (cfg.Provider == "" && strings.TrimSpace(cfg.Anthropic.APIKey) == "" && strings.TrimSpace(cfg.OpenAI.BaseURL) == "") {
		return nil, nil
	}
	gen, err := providers.New(cfg)
	if err != nil {
		return nil, err
	}
	return Adapter{Gen: gen, Label: cfg.Provider}, nil
}

// Adapter turns the harness's request into the assistant's findings.
type Adapter struct {
	Gen   assistant.Generator
	Label string
}

// Name names the provider in the report.
func (a Adapter) Name() string {
	if a.Label != "" {
		return a.Label
	}
	return "model"
}

// Explain sends the query, the failed assertions and the rule-based
// findings to the model.
func (a Adapter) Explain(ctx context.Context, req analyze.Request) (string, error) {
	var findings []assistant.Finding
	for _, f := range req.Failures {
		ev := []string{}
		if f.Expected != "" || f.Actual != "" {
			ev = append(ev, fmt.Sprintf("expected %s, saw %s", f.Expected, f.Actual))
		}
		for _, r := range f.Rows {
			ev = append(ev, "row "+string(r))
		}
		findings = append(findings, assistant.Finding{Kind: "assertion_failed", Summary: f.Type + ": " + f.Summary, Evidence: ev})
	}
	for _, f := range req.Findings {
		findings = append(findings, assistant.Finding{Kind: f.Kind, Summary: f.Title, Evidence: f.Details, Suggestion: f.Fix})
	}
	text, _, err := a.Gen.Explain(ctx, req.SQL, findings)
	return text, err
}
