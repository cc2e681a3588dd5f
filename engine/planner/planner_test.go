package planner

import (
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

var schemas = map[string]types.Schema{
	"trades":    {{Name: "customer_id", Type: types.String}, {Name: "amount", Type: types.Int}, {Name: "ts", Type: types.Int}},
	"customers": {{Name: "id", Type: types.String}, {Name: "tier", Type: types.String}},
	"payments":  {{Name: "customer_id", Type: types.String}, {Name: "paid", Type: types.Int}, {Name: "ts", Type: types.Int}},
}

func planOf(t *testing.T, sql string) string {
	t.Helper()
	script, errs := parser.Parse(sql)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	srcs := map[string]map[string]string{}
	for n := range schemas {
		srcs[n] = map[string]string{"type": "file_source", "path": n}
	}
	q, errs := binder.Bind(script, binder.Options{Sources: srcs, Resolve: func(s *plan.Source) (types.Schema, error) { return schemas[s.Name], nil }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// One line per node, names only: the shape is what the rules change.
	var lines []string
	var walk func(n plan.Node, depth int)
	walk = func(n plan.Node, depth int) {
		name := strings.Fields(n.Explain())[0]
		if f, ok := n.(*plan.Filter); ok {
			name += " " + f.Pred.String()
		}
		if s, ok := n.(*plan.Scan); ok {
			name += " " + s.Source.Name
		}
		lines = append(lines, strings.Repeat(" ", depth)+name)
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(Plan(q).Root, 0)
	return strings.Join(lines, "\n")
}

const decl = "CREATE TABLE customers WITH ('key.field' = 'id');\n"

func TestPushFiltersBelowJoins(t *testing.T) {
	cases := []struct{ name, sql, want string }{
		{"stream conjunct goes below, table conjunct stays", decl +
			"SELECT t.amount FROM trades t JOIN customers c ON t.customer_id = c.id WHERE t.amount > 10 AND c.tier = 'gold'",
			"Project\n Filter (tier = 'gold')\n  JOIN\n   Filter (amount > 10)\n    Scan trades\n   Scan customers"},
		{"the whole filter goes below", decl +
			"SELECT t.amount FROM trades t LEFT JOIN customers c ON t.customer_id = c.id WHERE t.amount > 10",
			"Project\n LEFT\n  Filter (amount > 10)\n   Scan trades\n  Scan customers"},
		{"not below a table on the left", decl +
			"SELECT t.amount FROM customers c JOIN trades t ON t.customer_id = c.id WHERE c.tier = 'gold'",
			"Project\n Filter (tier = 'gold')\n  JOIN\n   Scan customers\n   Scan trades"},
		{"not below the outer side of a full join",
			"SELECT t.amount FROM trades t FULL JOIN payments p ON t.customer_id = p.customer_id WITHIN 1m WHERE t.amount > 10",
			"Project\n Filter (amount > 10)\n  FULL\n   Scan trades\n   Scan payments"},
		{"a condition reading both sides stays",
			"SELECT t.amount FROM trades t JOIN payments p ON t.customer_id = p.customer_id WITHIN 1m WHERE t.amount > p.paid",
			"Project\n Filter (amount > paid)\n  JOIN\n   Scan trades\n   Scan payments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := planOf(t, c.sql); got != c.want {
				t.Fatalf("plan\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}
