// Package report is the result of a `velo test` run as a stable type, and
// its three renderings: text for people (the product brief's format), JSON
// for the Studio and tools, and JUnit XML for CI systems.
//
// Takes: a *Report filled by the harness (testkit). Gives: Text, JSON and
// JUnit renderings. The JSON form is a contract (docs/testing.md): fields are
// only ever added, and Version changes if one changes meaning.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Version is the JSON report's format version.
const Version = 1

// Report is one test run.
type Report struct {
	Version int    `json:"version"`
	Query   string `json:"query"` // the SQL file (or "<command line>")
	Spec    string `json:"spec,omitempty"`
	Passed  bool   `json:"passed"`
	Total   int    `json:"total"`
	Failed  int    `json:"failed"`
	// Defaults is true when no assertions were given and the default ones ran.
	Defaults    bool        `json:"defaults"`
	Assertions  []Assertion `json:"assertions"`
	Performance Performance `json:"performance"`
	Data        []Source    `json:"data"`
	Engine      Engine      `json:"engine"`
	// Findings are the rule-based failure analysis (always computed offline).
	Findings []Finding `json:"findings"`
	// AI is the AI explanation, when asked for (--ai).
	AI *AI `json:"ai,omitempty"`
}

// Assertion is one assertion's outcome.
type Assertion struct {
	Type    string `json:"type"`
	Passed  bool   `json:"passed"`
	Summary string `json:"summary"` // the line after "type: "
	// Expected and Actual are set on failure (and for comparisons).
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Rows are offending rows as JSON objects (at most 5).
	Rows    []json.RawMessage `json:"rows,omitempty"`
	Message string            `json:"message,omitempty"` // the user's message from the spec
	Default bool              `json:"default,omitempty"`
	// Where the assertion was written.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// Performance is how the run went.
type Performance struct {
	ExecutionMs   float64 `json:"execution_ms"`  // wall time of the run (generation and query)
	GenerationMs  float64 `json:"generation_ms"` // of which generating input
	RecordsPerSec float64 `json:"records_per_sec"`
	PeakHeapMB    float64 `json:"peak_heap_mb"`
}

// Source describes one source's generated data.
type Source struct {
	Name    string `json:"name"`
	Records int64  `json:"records"`
	Schema  string `json:"schema"` // the schema file, or "inferred"
	Seed    uint64 `json:"seed"`
	// DerivedErrors counts derived values that failed and were left NULL.
	DerivedErrors int64  `json:"derived_errors,omitempty"`
	DerivedError  string `json:"derived_error,omitempty"`
}

// Engine holds the engine's counters at the end of the run.
type Engine struct {
	Read         int64  `json:"read"`
	Emitted      int64  `json:"emitted"`
	Filtered     int64  `json:"filtered"`
	Late         int64  `json:"late"`
	Bad          int64  `json:"bad"`
	DeadLettered int64  `json:"dead_lettered"`
	Watermark    string `json:"watermark,omitempty"`      // RFC 3339, when one was set
	MaxEventTime string `json:"max_event_time,omitempty"` // RFC 3339
}

// Finding is one diagnosis of the failure analysis.
type Finding struct {
	Kind    string   `json:"kind"` // join_coverage, where_filter, window_never_closes, output_nulls, late_records, bad_records
	Title   string   `json:"title"`
	Details []string `json:"details,omitempty"`
	Fix     string   `json:"fix,omitempty"`
}

// AI is the outcome of asking an AI provider.
type AI struct {
	Configured  bool   `json:"configured"`
	Provider    string `json:"provider,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	Note        string `json:"note,omitempty"` // why there is no explanation
}

// JSON renders r indented, with a trailing newline.
func JSON(r *Report) []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}

// Text renders r like the product brief:
//
//	✅ Passed (3/3 assertions)
//	• record_count: 7 (expected: > 0)
//	• no_nulls: [symbol, volume]
//	• execution_time: 45ms (expected: < 1000ms)
//
// When any assertion fails, each line is marked ✓ or ✗ and a failure shows
// what was expected, what was seen, and offending rows; the analysis
// follows.
func Text(r *Report) string {
	var b strings.Builder
	if r.Passed {
		fmt.Fprintf(&b, "✅ Passed (%d/%d assertions)\n", r.Total, r.Total)
	} else {
		fmt.Fprintf(&b, "❌ Failed (%d/%d assertions)\n", r.Failed, r.Total)
	}
	if r.Defaults {
		b.WriteString("(no assertions given: ran the defaults; add -- @assert: lines or a .test.yaml spec)\n")
	}
	for _, a := range r.Assertions {
		mark := "•"
		if !r.Passed {
			mark = "✓"
			if !a.Passed {
				mark = "✗"
			}
		}
		fmt.Fprintf(&b, "%s %s: %s\n", mark, a.Type, a.Summary)
		if a.Passed {
			continue
		}
		if a.Message != "" {
			fmt.Fprintf(&b, "    message:  %s\n", a.Message)
		}
		if a.Expected != "" {
			fmt.Fprintf(&b, "    expected: %s\n", a.Expected)
		}
		if a.Actual != "" {
			fmt.Fprintf(&b, "    seen:     %s\n", a.Actual)
		}
		if len(a.Rows) > 0 {
			b.WriteString("    rows:\n")
			for _, row := range a.Rows {
				fmt.Fprintf(&b, "      %s\n", row)
			}
		}
	}
	b.WriteString("\nPerformance:\n")
	p := r.Performance
	fmt.Fprintf(&b, "  • Execution time: %s", ms(p.ExecutionMs))
	if p.GenerationMs > 0 {
		fmt.Fprintf(&b, " (%s generating data)", ms(p.GenerationMs))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  • Throughput: %s records/sec\n", thousands(int64(math.Round(p.RecordsPerSec))))
	fmt.Fprintf(&b, "  • Peak memory: %.1f MB heap\n", p.PeakHeapMB)
	if len(r.Findings) > 0 {
		b.WriteString("\nAnalysis:\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "  • %s\n", f.Title)
			for _, d := range f.Details {
				fmt.Fprintf(&b, "      %s\n", d)
			}
			if f.Fix != "" {
				fmt.Fprintf(&b, "      Suggested fix: %s\n", f.Fix)
			}
		}
	}
	if r.AI != nil {
		b.WriteString("\n🤖 AI Analysis:\n")
		switch {
		case r.AI.Explanation != "":
			for _, l := range strings.Split(strings.TrimRight(r.AI.Explanation, "\n"), "\n") {
				fmt.Fprintf(&b, "  %s\n", l)
			}
		default:
			fmt.Fprintf(&b, "  %s\n", r.AI.Note)
		}
	}
	return b.String()
}

func ms(x float64) string {
	if x < 10 {
		return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) + "ms"
	}
	return thousands(int64(math.Round(x))) + "ms"
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
