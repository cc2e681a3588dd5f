package demo

import (
	"fmt"
	"strings"
)

// TestSchema is the schema file (the test harness's YAML format, see
// testkit/schema) that makes `velo test` data look like the demo's: the
// same categorical values and weights, plausible numeric ranges, and
// customer_id drawn from the customers table's keys so that joins match.
// ok is false for a name that is not a demo relation.
func TestSchema(name string) (yaml string, ok bool) {
	s, ok := Lookup(name)
	if !ok {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# The demo %s %q (generated from the demo package).\n", strings.ToLower(s.Kind.String()), s.Name)
	fmt.Fprintf(&b, "schema:\n  name: %s\n  description: %q\nfields:\n", s.Name, s.Description)
	for _, c := range s.Columns {
		fmt.Fprintf(&b, "  - name: %s\n", c.Name)
		switch t := c.Type; {
		case t.Kind.String() == "DECIMAL":
			fmt.Fprintf(&b, "    type: decimal\n    precision: %d\n    scale: %d\n", t.Precision, t.Scale)
		default:
			fmt.Fprintf(&b, "    type: %s\n", testType[t.Kind.String()])
		}
		if cons := constraints(s.Name, c.Name); cons != "" {
			fmt.Fprintf(&b, "    constraints: {%s}\n", cons)
		}
	}
	return b.String(), true
}

var testType = map[string]string{"STRING": "string", "BIGINT": "integer", "DOUBLE": "float", "TIMESTAMP": "timestamp", "BOOLEAN": "boolean"}

// constraints are the testkit constraints of one column, mirroring what
// Generator draws.
func constraints(stream, column string) string {
	switch stream + "." + column {
	case Trades + ".symbol":
		var w []string
		for i := range Symbols {
			w = append(w, fmt.Sprint(24/(i+1)))
		}
		return fmt.Sprintf("enum: [%s], weights: [%s]", strings.Join(Symbols, ", "), strings.Join(w, ", "))
	case Trades + ".price":
		return "min: 100, max: 950"
	case Trades + ".quantity":
		return "min: 1, max: 5000, distribution: log_normal"
	case Trades + ".venue":
		return weightedEnum(venues)
	case Transactions + ".currency":
		return weightedEnum(currencies)
	case Transactions + ".merchant", Transactions + ".region", Customers + ".region", Trades + ".side":
		return "enum: [" + strings.Join(Values(stream, column), ", ") + "]"
	case Customers + ".tier":
		return weightedEnum(tiers)
	case Clicks + ".page":
		return weightedEnum(pages)
	case Clicks + ".referrer":
		return weightedEnum(referrers)
	case Transactions + ".amount":
		return "min: 0.5, max: 25000, distribution: log_normal"
	case Transactions + ".fraud_score":
		return "min: 0, max: 1"
	case Transactions + ".lat":
		return "min: 25.7, max: 47.7"
	case Transactions + ".lon":
		return "min: -122.5, max: -71"
	case Transactions + ".txn_id":
		return `sequence: {start: 1}, format: "TXN-%08d"`
	case Trades + ".customer_id", Transactions + ".customer_id":
		return "references: {schema: customers, field: customer_id}"
	case Customers + ".customer_id":
		return `sequence: {start: 1001}, format: "C-%d"`
	case Customers + ".name":
		return `pattern: "[A-Z][a-z]{3,7} [A-Z][a-z]{4,9}"`
	case Clicks + ".user_id":
		return `pattern: "U-0[0-4][0-9][0-9]"`
	case Clicks + ".session_id":
		return `pattern: "S-0[0-9]{5}"`
	}
	if column == "ts" {
		if s, ok := Lookup(stream); ok {
			return fmt.Sprintf("rate: %d, jitter: %d", s.Rate, maxJitter.Milliseconds())
		}
	}
	return ""
}

func weightedEnum(ws weighted[string]) string {
	var vs, w []string
	for _, c := range ws {
		vs = append(vs, c.v)
		w = append(w, fmt.Sprint(c.w))
	}
	return fmt.Sprintf("enum: [%s], weights: [%s]", strings.Join(vs, ", "), strings.Join(w, ", "))
}
