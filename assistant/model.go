package assistant

import (
	"context"
	"fmt"
	"strings"
)

// Model is a language model behind a provider's wire format. The providers
// (assistant/anthropic, assistant/openai) implement it; NewModelGenerator
// adds validation and repair on top.
type Model interface {
	// Name is the provider name reported in results.
	Name() string
	// Draft asks for SQL through the ToolName tool. turns is the
	// conversation so far: the question, then for a repair the rejected
	// draft and the engine's feedback on it.
	Draft(ctx context.Context, system string, turns []Turn) (Draft, error)
	// Complete asks for plain text (explanations).
	Complete(ctx context.Context, system, user string) (string, error)
}

// Turn is one message of a drafting conversation: exactly one field is set.
type Turn struct {
	Question string // the user's question
	Draft    *Draft // the model's answer
	Feedback string // why the engine rejected the previous draft
}

// Draft is what a model answered through the tool.
type Draft struct {
	SQL         string
	Explanation string
	// CallID is the provider's id of the tool call, which its reply to
	// the feedback must name.
	CallID string
}

// Confidence of a model answer: the engine accepted it at once, or only
// after a repair. A model's own certainty is not available over these
// APIs, so this says how much checking it took, nothing more.
const (
	ConfidenceFirstTry    = 0.8
	ConfidenceAfterRepair = 0.6
)

// NewModelGenerator makes a Generator of a model: every answer is parsed and
// bound against the catalog; an answer that fails gets one repair round
// trip with the positioned errors; only SQL that validates is offered.
func NewModelGenerator(m Model) Generator { return &modelGenerator{m: m} }

type modelGenerator struct{ m Model }

func (g *modelGenerator) Name() string { return g.m.Name() }

func (g *modelGenerator) Generate(ctx context.Context, req Request) (*Result, error) {
	cat, err := req.Prepare()
	if err != nil {
		return nil, err
	}
	system := SystemPrompt(cat)
	q := strings.TrimSpace(req.Question)
	if req.Live {
		q += "\n" + LiveNote
	}
	turns := []Turn{{Question: q}}
	const maxAttempts = 2 // the answer and one repair
	for attempt := 1; ; attempt++ {
		d, err := g.m.Draft(ctx, system, turns)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.m.Name(), err)
		}
		sql := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(d.SQL), ";"))
		if sql == "" {
			return &Result{Provider: g.m.Name(), Attempts: attempt, Refusal: &Refusal{
				Reason: "the model did not write a query: " + orDefault(d.Explanation, "it gave no reason"),
			}}, nil
		}
		checked, errs := Validate(sql, cat)
		if len(errs) == 0 {
			conf := ConfidenceFirstTry
			if attempt > 1 {
				conf = ConfidenceAfterRepair
			}
			return &Result{
				SQL: sql, Explanation: d.Explanation, Interpretation: Describe(checked.Select),
				Confidence: conf, Provider: g.m.Name(), Attempts: attempt,
			}, nil
		}
		if attempt == maxAttempts {
			return &Result{Provider: g.m.Name(), Attempts: attempt, Refusal: &Refusal{
				Reason: fmt.Sprintf("the model's SQL did not validate after %d attempts: %s", attempt, errs[0].Msg),
				SQL:    sql, Errors: ErrorsJSON(errs),
			}}, nil
		}
		d.SQL = sql
		turns = append(turns, Turn{Draft: &d}, Turn{Feedback: RepairPrompt(sql, Feedback(sql, errs))})
	}
}

func (g *modelGenerator) Explain(ctx context.Context, query string, findings []Finding) (string, string, error) {
	if len(findings) == 0 {
		return OfflineExplanation(nil), "offline", nil
	}
	text, err := g.m.Complete(ctx, ExplainSystem(), ExplainPrompt(query, findings))
	if err != nil {
		return "", g.m.Name(), fmt.Errorf("%s: %w", g.m.Name(), err)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return "", g.m.Name(), fmt.Errorf("%s: empty explanation", g.m.Name())
	}
	return text, g.m.Name(), nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return strings.TrimSpace(s)
}

// SlidingAdvance is the advance the conventions give a sliding window of
// size ms: a tenth of it, rounded down to a round step that divides it
// (the last hour advances every 5 minutes, the last 10 minutes every minute).
func SlidingAdvance(size int64) int64 {
	steps := []int64{3_600_000, 1_800_000, 900_000, 600_000, 300_000, 60_000, 30_000, 10_000, 5000, 1000}
	for _, s := range steps {
		if s*10 <= size && size%s == 0 {
			return s
		}
	}
	return size // a window under 10 s slides by its size: tumbling
}
