package explain

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/testkit/analyze"
	"github.com/velostream/velostream/testkit/report"
)

func TestNoModelMeansNoExplainer(t *testing.T) {
	for _, env := range []map[string]string{{}, {"VELO_AI_PROVIDER": "offline"}} {
		ex, err := FromEnv(func(k string) string { return env[k] })
		if err != nil || ex != nil {
			t.Fatalf("env %v: explainer %v, err %v", env, ex, err)
		}
	}
	if _, err := FromEnv(func(k string) string {
		return map[string]string{"VELO_AI_PROVIDER": "anthropic"}[k]
	}); err == nil {
		t.Fatal("a provider asked for but not configured must be an error")
	}
}

type recordGen struct {
	assistant.Generator
	query    string
	findings []assistant.Finding
}

func (g *recordGen) Explain(_ context.Context, q string, f []assistant.Finding) (string, string, error) {
	g.query, g.findings = q, f
	return "the keys never meet", "fake", nil
}

func TestAdapterSendsFailuresAndFindings(t *testing.T) {
	g := &recordGen{}
	a := Adapter{Gen: g, Label: "anthropic"}
	text, err := a.Explain(context.Background(), analyze.Request{
		SQL:      "SELECT 1 FROM t",
		Failures: []report.Assertion{{Type: "join_coverage", Summary: "0% match", Expected: "> 80%", Actual: "0%", Rows: []json.RawMessage{json.RawMessage(`{"k":"CUST001"}`)}}},
		Findings: []report.Finding{{Kind: "join_coverage", Title: "keys differ", Details: []string{"CUST001 vs C-100"}, Fix: "add references"}},
	})
	if err != nil || text != "the keys never meet" || a.Name() != "anthropic" {
		t.Fatalf("%q %v", text, err)
	}
	if g.query != "SELECT 1 FROM t" || len(g.findings) != 2 || !strings.Contains(strings.Join(g.findings[0].Evidence, " "), "expected > 80%, saw 0%") || g.findings[1].Suggestion != "add references" {
		t.Fatalf("findings %+v", g.findings)
	}
}
