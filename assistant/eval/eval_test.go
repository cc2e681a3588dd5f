package eval

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/assistant/offline"
)

// The targets of issue 8 for the offline generator on the evaluation set.
const (
	minPrecision = 0.95
	minCoverage  = 0.70
	minQuestions = 60
)

func load(t *testing.T) ([]Case, *Data) {
	t.Helper()
	cases, err := Load(filepath.Join("..", "testdata", "eval.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := GenerateData(filepath.Join("..", "testdata", "schemas"))
	if err != nil {
		t.Fatal(err)
	}
	return cases, data
}

// Every reference query validates, runs, and returns rows: a reference
// with an empty result would make any answer with an empty result "right".
func TestReferences(t *testing.T) {
	cases, data := load(t)
	if len(cases) < minQuestions {
		t.Fatalf("%d questions, want at least %d", len(cases), minQuestions)
	}
	cat := assistant.DemoCatalog()
	for _, c := range cases {
		rows, err := data.Run(context.Background(), c.SQL, cat)
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		if len(rows) == 0 {
			t.Errorf("%s: the reference returns no rows on the generated data", c.ID)
		}
	}
}

// The offline generator meets its targets; `make test` guards them.
func TestOfflineTargets(t *testing.T) {
	cases, data := load(t)
	r, err := Evaluate(context.Background(), offline.New(), cases, assistant.DemoCatalog(), data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("offline: %d questions, coverage %.1f%%, precision %.1f%%", r.Total(), 100*r.Coverage(), 100*r.Precision())
	if r.Precision() < minPrecision || r.Coverage() < minCoverage {
		for _, o := range r.Outcomes {
			if o.Answered && !o.Matched {
				t.Logf("wrong: %s: %s -> %s %s", o.ID, o.Question, o.SQL, o.Err)
			}
		}
		t.Fatalf("offline precision %.1f%% (target %.0f%%), coverage %.1f%% (target %.0f%%)", 100*r.Precision(), 100*minPrecision, 100*r.Coverage(), 100*minCoverage)
	}
}

// The comparison is by value: column names and order do not matter, row
// multiplicity and values do.
func TestResultComparison(t *testing.T) {
	_, data := load(t)
	cat := assistant.DemoCatalog()
	run := func(sql string) []Row {
		rows, err := data.Run(context.Background(), sql, cat)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	equal := Equal
	base := run("SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1m)")
	if !equal(base, run("SELECT AVG(price) AS avg, symbol AS s FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)")) {
		t.Error("renamed and reordered columns compare unequal")
	}
	if !equal(base, run("SELECT symbol, AVG(CAST(price AS DOUBLE)) AS p FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1m)")) {
		t.Error("AVG as DOUBLE and as DECIMAL compare unequal")
	}
	if equal(base, run("SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 2m)")) {
		t.Error("different windows compare equal")
	}
	if equal(base, run("SELECT symbol, MAX(price) AS p FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1m)")) {
		t.Error("different aggregates compare equal")
	}
}
