package testkit

import (
	"context"
	"os"
	"testing"

	"github.com/velostream/velostream/testkit/schema"
	"github.com/velostream/velostream/testkit/spec"
)

// BenchmarkRun is velo test's work without process start: generate,
// run a windowed aggregation, check, analyse. records/s counts input.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int64{10000, 1000000} {
		b.Run(map[int64]string{10000: "10k", 1000000: "1M"}[n], func(b *testing.B) {
			trades, err := LoadSchema("trades", "../examples/test/trades.schema.yaml")
			if err != nil {
				b.Fatal(err)
			}
			customers, err := LoadSchema("customers", "../examples/test/customers.schema.yaml")
			if err != nil {
				b.Fatal(err)
			}
			sql, err := os.ReadFile("../examples/test/trades.sql")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				// 50 customers, as examples/test/trades.test.yaml says.
				sp := &spec.Spec{Sources: map[string]spec.Source{"customers": {Records: 50}}}
				t, err := Prepare(Options{File: "trades.sql", SQL: string(sql), Records: n, Spec: sp,
					Schemas: map[string]*schema.Schema{"trades": trades, "customers": customers}})
				if err != nil {
					b.Fatal(err)
				}
				rep, err := t.Run(context.Background())
				if err != nil || !rep.Passed {
					b.Fatalf("%v %+v", err, rep)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
