package assistant

import (
	"fmt"
	"strings"
)

// ToolName is the tool a model must answer through; its input schema is
// ToolSchema.
const ToolName = "emit_sql"

// ToolDescription tells the model what the tool is for.
const ToolDescription = "Emit the one Velostream SQL query that answers the question, and a short explanation of it. " +
	"If the question cannot be answered from the listed streams, emit an empty sql and say why in explanation."

// ToolSchema is the JSON schema of the tool's input: {sql, explanation}.
func ToolSchema() map[string]any {
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"sql":         map[string]any{"type": "string", "description": "one SELECT statement in the Velostream dialect, without a trailing semicolon"},
			"explanation": map[string]any{"type": "string", "description": "one or two sentences: what the query computes, for the user"},
		},
		"required":             []string{"sql", "explanation"},
		"additionalProperties": false,
	}
}

// dialectRules are what a model must know about the dialect that general
// SQL knowledge gets wrong. They follow docs/sql.md.
const dialectRules = `Dialect rules (Velostream streaming SQL):
- Exactly one SELECT over one stream or table of the catalog. Not supported: JOIN, subqueries, WITH/CTEs, UNION, SELECT DISTINCT, window functions (OVER), CREATE, a WITH (...) property clause.
- Clause order: SELECT ... FROM s [WHERE ...] [GROUP BY ...] [WINDOW ...] [HAVING ...] [ORDER BY ...] [LIMIT n] [EMIT CHANGES|EMIT FINAL].
- Windows take the event-time column first: WINDOW TUMBLING(ts, INTERVAL '1' MINUTE); WINDOW SLIDING(ts, INTERVAL '1' HOUR, INTERVAL '5' MINUTE) (size, then advance; the size must be a multiple of the advance); WINDOW SESSION(ts, INTERVAL '30' SECOND) (gap). A window adds the columns window_start and window_end to every row.
- Without a window, a grouped query emits an updated row after every record (EMIT CHANGES, a running result). With a window, the default is EMIT FINAL: one row per window and group when the window closes. EMIT FINAL without a window is an error.
- ORDER BY is allowed only in a windowed query with EMIT FINAL; it sorts each window's rows and names output columns (an alias, a column or a position). LIMIT n stops the whole query after n rows.
- Aggregates: COUNT(*), COUNT(x), COUNT(DISTINCT x), SUM, AVG, MIN, MAX, MEDIAN, STDDEV, VARIANCE, FIRST_VALUE, LAST_VALUE, APPROX_COUNT_DISTINCT, PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x). Every selected non-aggregate must be in GROUP BY. Conditions on aggregates go in HAVING, which may not use SELECT aliases.
- Strings in single quotes; comparisons are case-sensitive, so use the listed values exactly as written. Decimal columns are exact: compare them with plain numbers (price > 100.5).
- Conventions for time words: "per minute", "every 5 minutes", "hourly", "daily" mean a TUMBLING window of that size; "over the last 10 minutes", "in the last hour" mean a SLIDING window of that size, advancing by a tenth of it rounded down to 1 s, 5 s, 10 s, 30 s, 1 min, 5 min, 10 min, 15 min, 30 min or 1 h (one that divides the size) unless the question says how often (so the last hour advances every 5 minutes, the last 10 minutes every minute); "in real time" or "live" means EMIT CHANGES.`

// examples show the dialect on the demo streams.
const examples = `Examples:
Q: average price per symbol every minute
SQL: SELECT symbol, AVG(price) AS avg_price FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)
Q: number of transactions over 100 by region in the last hour
SQL: SELECT region, COUNT(*) AS transactions FROM transactions WHERE amount > 100 GROUP BY region WINDOW SLIDING(ts, INTERVAL '1' HOUR, INTERVAL '5' MINUTE)
Q: top 3 pages by clicks every 5 minutes
SQL: SELECT page, COUNT(*) AS clicks FROM clicks GROUP BY page WINDOW TUMBLING(ts, INTERVAL '5' MINUTE) ORDER BY clicks DESC LIMIT 3`

// SystemPrompt is the instruction a model gets: its task, the catalog, the
// dialect's rules and examples.
func SystemPrompt(cat *Catalog) string {
	var b strings.Builder
	b.WriteString("You translate questions about live data streams into one streaming SQL query in the Velostream dialect. ")
	b.WriteString("Answer only by calling the " + ToolName + " tool.\n\n")
	b.WriteString(CatalogText(cat))
	b.WriteString("\n")
	b.WriteString(dialectRules)
	b.WriteString("\n\n")
	b.WriteString(examples)
	b.WriteString("\n")
	return b.String()
}

// CatalogText lists the catalog for a prompt: one line per stream, then its
// columns with their types, synonyms and known values.
func CatalogText(cat *Catalog) string {
	var b strings.Builder
	b.WriteString("Streams and tables:\n")
	for _, s := range cat.Streams {
		fmt.Fprintf(&b, "- %s (%s", s.Name, s.Kind)
		if tc := s.EventTime(); tc != "" {
			fmt.Fprintf(&b, "; event time %s", tc)
		}
		b.WriteString(")")
		if s.Description != "" {
			fmt.Fprintf(&b, ": %s", s.Description)
		}
		if syn := userPhrases(cat, s.Name); len(s.Synonyms)+len(syn) > 0 {
			fmt.Fprintf(&b, " [also called: %s]", strings.Join(append(append([]string{}, s.Synonyms...), syn...), ", "))
		}
		b.WriteString("\n")
		for _, c := range s.Columns {
			fmt.Fprintf(&b, "    %s %s", c.Name, c.Type)
			var notes []string
			if c.Description != "" {
				notes = append(notes, c.Description)
			}
			if syn := append(append([]string{}, c.Synonyms...), userPhrases(cat, s.Name+"."+c.Name)...); len(syn) > 0 {
				notes = append(notes, "also called: "+strings.Join(syn, ", "))
			}
			if len(c.Values) > 0 {
				notes = append(notes, "values: "+quoteAll(c.Values))
			}
			if len(notes) > 0 {
				fmt.Fprintf(&b, " -- %s", strings.Join(notes, "; "))
			}
			b.WriteString("\n")
		}
		for _, m := range s.Measures {
			fmt.Fprintf(&b, "    measure %s = %s", m.Name, m.Expr)
			if syn := append(append([]string{}, m.Synonyms...), userPhrases(cat, s.Name+"."+m.Name)...); len(syn) > 0 {
				fmt.Fprintf(&b, " -- also called: %s", strings.Join(syn, ", "))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func userPhrases(cat *Catalog, target string) []string {
	var out []string
	for _, s := range cat.UserSynonyms {
		if strings.EqualFold(s.Target, target) {
			out = append(out, s.Phrase)
		}
	}
	return out
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}

// RepairPrompt asks for a corrected answer after the engine rejected one.
func RepairPrompt(sql string, feedback string) string {
	return "The Velostream engine rejected that SQL:\n\n" + feedback +
		"\nCall " + ToolName + " again with corrected SQL that follows the dialect rules."
}

// explainSystem tells a model how to explain findings: only from the facts
// given, since a test report that invents a cause is worse than none.
const explainSystem = `You explain to a developer why a test of their streaming SQL query failed.
Use only the facts in the rule-based findings given to you: do not invent values, counts, columns or causes that are not there.
Write plain text: a one-sentence diagnosis, then short bullet points with the evidence, then "Suggested fix:" with the fix the findings point to. At most 150 words.`

// ExplainPrompt is the user message for an explanation.
func ExplainPrompt(query string, findings []Finding) string {
	var b strings.Builder
	b.WriteString("Query:\n")
	b.WriteString(query)
	b.WriteString("\n\nRule-based findings:\n")
	b.WriteString(FindingsText(findings))
	return b.String()
}

// ExplainSystem is the system prompt of an explanation.
func ExplainSystem() string { return explainSystem }

// FindingsText renders findings as bullet points: the text the offline
// provider returns and the facts a model is given.
func FindingsText(findings []Finding) string {
	var b strings.Builder
	for _, f := range findings {
		fmt.Fprintf(&b, "- [%s] %s\n", f.Kind, f.Summary)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "    - %s\n", e)
		}
		if f.Suggestion != "" {
			fmt.Fprintf(&b, "    Suggested fix: %s\n", f.Suggestion)
		}
	}
	return b.String()
}

// OfflineExplanation is the offline provider's explanation: the findings
// themselves, labelled as rule-based so nobody mistakes them for a model's.
func OfflineExplanation(findings []Finding) string {
	if len(findings) == 0 {
		return "Rule-based analysis (no AI provider configured): no findings to explain."
	}
	return "Rule-based analysis (no AI provider configured; these are the test harness's findings, not a model's):\n" + FindingsText(findings)
}
