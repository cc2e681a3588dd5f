package assert

import (
	"testing"

	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/testkit/internal/yamlx"
)

// FuzzParseAnnotation: any annotation text gives an assertion (that binds
// or reports errors) or a positioned error, never a panic.
func FuzzParseAnnotation(f *testing.F) {
	for _, s := range []string{"record_count > 0", "no_nulls a, b", "field_values volume > 0", "field_in_set s: A, B",
		"aggregate_check SUM(volume) > 0", "join_coverage left=a right=b key=k >= 80%", "ordering x desc", "error_rate < 1%", "between"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, d := ParseAnnotation(s, Origin{File: "q.sql", Pos: token.Pos{Line: 1, Col: 1}})
		if d != nil {
			if !d.Pos.IsValid() {
				t.Fatalf("error without a position: %v", d)
			}
			return
		}
		if a.Bind(out, nil) == nil {
			a.Check(good)
			a.Check(bad)
		}
	})
}

func FuzzFromYAML(f *testing.F) {
	for _, s := range []string{"- record_count: {greater_than: 0}", "- type: record_count\n  operator: between\n  min: 1\n  max: 2",
		"- field_values: {field: volume, value: x}", "- join_coverage: {min_match_rate: 80}", "- no_nulls: [a, b]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := yamlx.Parse("s.yaml", s)
		if d.Root == nil {
			return
		}
		for _, n := range d.List(d.Root, "assertions") {
			if a := FromYAML(d, n); a != nil && a.Bind(out, nil) == nil {
				a.Check(good)
			}
		}
	})
}
