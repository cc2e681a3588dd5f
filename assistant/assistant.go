// Package assistant turns questions about streams into validated streaming
// SQL, and test failures into plain-language explanations, for the Studio,
// the MCP server and `velo test --ai`.
//
// Takes: a question and a Catalog (streams and tables with typed columns,
// synonyms, measures), optionally a stream filter; or a query and the
// rule-based Findings of a failed test.
// Gives: a Result, either SQL that the engine has parsed and bound against
// the catalog (with an explanation, the interpretation, a confidence and the
// provider's name) or a Refusal saying what was and was not understood; and
// explanation text labelled with its provider.
//
// Three providers implement Generator: the model-backed ones (packages
// assistant/anthropic and assistant/openai, wrapped by NewModelGenerator,
// which validates every answer and makes one repair round trip) and the
// offline semantic parser (assistant/offline). assistant/providers picks one
// from configuration (environment variables or a Config).
//
// The Studio server's calls:
//
//	gen, err := providers.New(providers.FromEnv(os.Getenv)) // once, at start
//	res, err := gen.Generate(ctx, assistant.Request{Question: q, Catalog: cat, Streams: filter})
//	// err: the provider could not be reached (HTTP 502); otherwise
//	// res.Refusal != nil: nothing offered (HTTP 200 with the refusal), or
//	// res.SQL: validated SQL with Explanation, Interpretation, Confidence, Provider.
//	text, provider, err := gen.Explain(ctx, sql, findings) // POST /analyze
//
// A Generator is safe for concurrent use.
package assistant

import (
	"context"
	"errors"
	"strings"
)

// Generator turns questions into validated SQL and findings into text.
type Generator interface {
	// Name is the provider: "anthropic", "openai" or "offline".
	Name() string
	// Generate answers req with SQL that validates against req.Catalog, or
	// with a refusal. An error means the provider failed (network, quota,
	// a malformed reply twice), never that the answer was bad: a bad answer
	// is a refusal.
	Generate(ctx context.Context, req Request) (*Result, error)
	// Explain renders the rule-based findings of a failed test of query in
	// plain language. provider names who wrote the text; the offline
	// provider's text is the findings themselves, labelled as such.
	Explain(ctx context.Context, query string, findings []Finding) (text, provider string, err error)
}

// Request is one question.
type Request struct {
	Question string   `json:"question"`
	Catalog  *Catalog `json:"catalog"`
	// Streams, when set, restricts the answer to these streams.
	Streams []string `json:"streams,omitempty"`
	// Live says the answer will be watched as it runs (a notebook cell):
	// a windowed answer then emits every change instead of waiting for
	// each window to close, unless the question ranks (which needs FINAL).
	Live bool `json:"live,omitempty"`
}

// LiveNote is added to a model's question for a live answer.
const LiveNote = "(This answer is watched live: give a windowed query EMIT CHANGES unless it ranks with ORDER BY.)"

// Result is a generator's answer: SQL, or a refusal.
type Result struct {
	SQL            string          `json:"sql,omitempty"`
	Explanation    string          `json:"explanation,omitempty"`
	Interpretation *Interpretation `json:"interpretation,omitempty"`
	// Confidence is in [0, 1]; see each provider for how it is computed.
	Confidence float64  `json:"confidence"`
	Provider   string   `json:"provider"`
	Refusal    *Refusal `json:"refusal,omitempty"`
	// Attempts is how many answers a model gave (2 after a repair).
	Attempts int `json:"attempts,omitempty"`
}

// Refusal says why no SQL is offered.
type Refusal struct {
	// Understood lists what the generator did link ("average -> AVG").
	Understood []string `json:"understood,omitempty"`
	// NotUnderstood lists the words it could not place.
	NotUnderstood []string `json:"not_understood,omitempty"`
	Reason        string   `json:"reason"`
	// SQL and Errors are the last rejected model answer and why the engine
	// rejected it, for a user who wants to fix it by hand.
	SQL    string      `json:"sql,omitempty"`
	Errors []ErrorJSON `json:"errors,omitempty"`
}

// ErrorJSON is a positioned validation error, as diag.JSON without the file.
type ErrorJSON struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	EndLine int    `json:"end_line"`
	EndCol  int    `json:"end_col"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Interpretation is a structured, human-readable account of what a query
// computes. For the offline parser it also says which words meant what.
type Interpretation struct {
	Source   string   `json:"source"`
	Measures []string `json:"measures,omitempty"` // "AVG(price) as avg_price"
	GroupBy  []string `json:"group_by,omitempty"`
	Filters  []string `json:"filters,omitempty"` // "price > 100"
	Having   string   `json:"having,omitempty"`
	Window   string   `json:"window,omitempty"` // "tumbling 1 minute on ts"
	OrderBy  []string `json:"order_by,omitempty"`
	Limit    int64    `json:"limit,omitempty"`
	Emit     string   `json:"emit"` // "changes" or "final"
	// Links are the offline parser's word links: "trades -> stream trades".
	Links []string `json:"links,omitempty"`
	// Assumptions are choices made where the question was silent.
	Assumptions []string `json:"assumptions,omitempty"`
	// Summary is the whole account as one or two sentences.
	Summary string `json:"summary"`
}

// Finding is one rule-based diagnosis of a failed test (the test harness's
// failure analysis: join coverage, a WHERE that removed every row, a
// window that never closed, nulls in output, a failed assertion).
type Finding struct {
	Kind       string   `json:"kind"`
	Summary    string   `json:"summary"`
	Evidence   []string `json:"evidence,omitempty"`
	Suggestion string   `json:"suggestion,omitempty"`
}

// ErrNoQuestion is returned for an empty question.
var ErrNoQuestion = errors.New("assistant: empty question")

// ErrNoCatalog is returned when a request carries no catalog.
var ErrNoCatalog = errors.New("assistant: request has no catalog")

// Prepare checks a request and applies its stream filter: the catalog the
// generator must answer from.
func (r Request) Prepare() (*Catalog, error) {
	if r.Catalog == nil {
		return nil, ErrNoCatalog
	}
	if strings.TrimSpace(r.Question) == "" {
		return nil, ErrNoQuestion
	}
	return r.Catalog.Only(r.Streams)
}
