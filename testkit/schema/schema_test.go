package schema

import (
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/diag"
)

const trades = `schema:
  name: trades
  description: trade events
fields:
  - name: symbol
    type: string
    constraints:
      enum: [AAPL, MSFT, GOOG]
      weights: [0.5, 0.3, 0.2]
  - name: price
    type: decimal
    precision: 10
    scale: 2
    constraints:
      min: 1.50
      max: 500
      distribution: normal
  - name: fill_price
    type: decimal
    precision: 12
    scale: 2
    constraints:
      derived: "price * random(0.95, 1.05)"
  - name: customer_id
    type: string
    constraints:
      references: {schema: customers, field: customer_id}
  - name: ts
    type: timestamp
    constraints:
      start: "2024-01-01T00:00:00Z"
      rate: 1000
      jitter: 500ms
  - name: note
    type: string
    constraints:
      nullable: true
      null_probability: 0.25
      min_length: 3
      max_length: 8
`

const customers = `schema:
  name: customers
fields:
  - name: customer_id
    type: string
    constraints:
      sequence: {start: 100, step: 100}
      format: "C-%d"
`

func TestParseAndLink(t *testing.T) {
	tr, errs := Parse("trades.schema.yaml", trades)
	if errs != nil {
		t.Fatal(diag.RenderAll("trades.schema.yaml", trades, errs))
	}
	cu, errs := Parse("customers.schema.yaml", customers)
	if errs != nil {
		t.Fatal(errs)
	}
	if probs := Link(map[string]*Schema{"trades": tr, "customers": cu}); probs != nil {
		t.Fatal(probs.Render())
	}
	price := tr.Field("price")
	if price.Min.I != 150 || price.Min.Scale != 2 || price.Max.I != 50000 {
		t.Fatalf("price bounds %+v %+v", price.Min, price.Max)
	}
	fp := tr.Field("fill_price")
	if fp.DerivedExp == nil || len(fp.Randoms) != 1 || fp.Randoms[0].Lo.I != 950000 || fp.Randoms[0].Lo.Scale != 6 {
		t.Fatalf("derived %+v", fp)
	}
	if ts := tr.Field("ts"); ts.JitterMs != 500 || ts.Rate != 1000 {
		t.Fatalf("ts %+v", ts)
	}
	if got := GenerationOrder(map[string]*Schema{"trades": tr, "customers": cu}); strings.Join(got, ",") != "customers,trades" {
		t.Fatalf("order %v", got)
	}
	// Format writes a file Parse reads back to the same text.
	text := Format(tr)
	again, errs := Parse("x", text)
	if errs != nil {
		t.Fatalf("%v\n%s", errs, text)
	}
	if Format(again) != text {
		t.Fatalf("round trip:\n%s\nvs\n%s", text, Format(again))
	}
}

// Every bad schema is reported at its line and column with a message a
// user can act on.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown constraint", "fields:\n  - name: a\n    type: integer\n    constraints:\n      maxx: 3\n",
			"f:5:7: constraints of a: unknown key \"maxx\""},
		{"unknown type", "fields:\n  - name: a\n    type: money\n", "f:3:11: field \"a\": unknown type \"money\""},
		{"weights count", "fields:\n  - name: a\n    type: string\n    constraints:\n      enum: [x, y]\n      weights: [1]\n",
			"f:6:16: field \"a\": 1 weights for 2 enum values: give one weight per value"},
		{"min above max", "fields:\n  - name: a\n    type: integer\n    constraints: {min: 5, max: 1}\n",
			"field \"a\": max (1) is below min (5)"},
		{"pattern group", "fields:\n  - name: a\n    type: string\n    constraints:\n      pattern: \"AB(C|D)\"\n",
			"f:5:19: field \"a\": pattern: \"(\" is not supported"},
		{"decimal scale", "fields:\n  - name: a\n    type: decimal\n    scale: 2\n    constraints: {min: 1.234}\n",
			"min \"1.234\": has more than 2 digits after the point"},
		{"bad distribution", "fields:\n  - name: a\n    type: integer\n    constraints: {distribution: gauss, min: 1, max: 2}\n",
			"field \"a\": unknown distribution \"gauss\""},
		{"normal on string", "fields:\n  - name: a\n    type: string\n    constraints: {distribution: normal}\n",
			"normal applies to integer, decimal and float fields"},
		{"pattern on int", "fields:\n  - name: a\n    type: integer\n    constraints: {pattern: \"[0-9]\"}\n",
			"pattern does not apply to a integer field (only string)"},
		{"two ways", "fields:\n  - name: a\n    type: string\n    constraints: {enum: [x], pattern: \"[a-z]\"}\n",
			"enum and pattern both given"},
		{"bad jitter", "fields:\n  - name: t\n    type: timestamp\n    constraints: {jitter: soon}\n",
			"jitter \"soon\": write a duration"},
		{"bad start", "fields:\n  - name: t\n    type: timestamp\n    constraints: {start: yesterday}\n",
			"time \"yesterday\": write RFC 3339"},
		{"duplicate field", "fields:\n  - name: a\n    type: string\n  - name: A\n    type: string\n", "f:4:11: field \"A\" is defined twice"},
		{"yaml syntax", "fields:\n  - name: a\n   type: string\n", "f:1:1: YAML: did not find expected '-' indicator"},
		{"no fields", "schema:\n  name: x\n", "schema file has no `fields:` list"},
		{"null probability", "fields:\n  - name: a\n    type: string\n    constraints: {null_probability: 2}\n", "null_probability must be between 0 and 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := Parse("f", c.src)
			if errs == nil {
				t.Fatal("no error")
			}
			got := ""
			for _, d := range errs {
				got += "f:" + d.Error() + "\n"
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("got\n%s\nwant %q", got, c.want)
			}
		})
	}
}

func TestLinkErrors(t *testing.T) {
	cases := []struct {
		name string
		srcs map[string]string
		want string
	}{
		{"missing schema", map[string]string{"t": "fields:\n  - name: c\n    type: string\n    constraints:\n      references: {schema: nope, field: id}\n"},
			"t.yaml:5:19: field \"c\" references schema \"nope\", which this test does not have"},
		{"missing field", map[string]string{
			"t": "fields:\n  - name: c\n    type: string\n    constraints:\n      references: {schema: u, field: idd}\n",
			"u": "fields:\n  - name: id\n    type: string\n"},
			"references u.idd, which is not a field of u"},
		{"type mismatch", map[string]string{
			"t": "fields:\n  - name: c\n    type: string\n    constraints:\n      references: {schema: u, field: id}\n",
			"u": "fields:\n  - name: id\n    type: integer\n"},
			"field \"c\" is string but u.id is integer"},
		{"derived unknown column", map[string]string{"t": "fields:\n  - name: a\n    type: integer\n  - name: b\n    type: integer\n    constraints:\n      derived: \"a + bb\"\n"},
			"t.yaml:7:21: unknown column \"bb\""},
		{"derived bad random", map[string]string{"t": "fields:\n  - name: a\n    type: integer\n  - name: b\n    type: integer\n    constraints:\n      derived: \"a * random(a, 2)\"\n"},
			"t.yaml:7:21: random takes number literals"},
		{"derived cycle", map[string]string{"t": "fields:\n  - name: a\n    type: integer\n    constraints: {derived: \"b + 1\"}\n  - name: b\n    type: integer\n    constraints: {derived: \"a + 1\"}\n"},
			"derived fields depend on each other in a cycle: a -> b -> a"},
		{"derived type", map[string]string{"t": "fields:\n  - name: a\n    type: boolean\n  - name: b\n    type: timestamp\n    constraints: {derived: \"a\"}\n"},
			"the expression is BOOLEAN, the field is timestamp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			all := map[string]*Schema{}
			for n, src := range c.srcs {
				s, errs := Parse(n+".yaml", src)
				if errs != nil {
					t.Fatal(errs)
				}
				s.Name = n
				all[n] = s
			}
			probs := Link(all)
			got := ""
			for _, p := range probs {
				got += p.File + ":" + p.Diag.Error() + "\n"
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("got\n%s\nwant %q", got, c.want)
			}
		})
	}
}

func TestPattern(t *testing.T) {
	cases := []struct {
		src      string
		min, max int
		err      string
	}{
		{"ORD-[A-Z]{3}-[0-9]{6}", 14, 14, ""},
		{`\d{2,4}x?`, 2, 5, ""},
		{"a+b*", 1, 16, ""},
		{"[^a]", 0, 0, "negated classes"},
		{"a{3", 0, 0, "unclosed '{'"},
		{"*a", 0, 0, "has nothing to repeat"},
		{"[z-a]", 0, 0, "bad range"},
	}
	for _, c := range cases {
		p, err := CompilePattern(c.src)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.src, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if p.MinLen() != c.min || p.MaxLen() != c.max {
			t.Errorf("%s: lengths %d..%d, want %d..%d", c.src, p.MinLen(), p.MaxLen(), c.min, c.max)
		}
	}
}
