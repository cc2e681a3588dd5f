package schema

import "testing"

// FuzzParse: any text gives a schema or positioned errors, never a panic;
// a schema that parses also links and formats back to text that parses.
func FuzzParse(f *testing.F) {
	f.Add(trades)
	f.Add(customers)
	f.Add("fields:\n  - name: a\n    type: integer\n    constraints: {min: -9223372036854775808, max: 9223372036854775807}\n")
	f.Add("fields:\n  - {name: a, type: string, constraints: {pattern: \"[A-Z]{2,3}\\\\d+x?\"}}\n")
	f.Add("fields: [{name: t, type: timestamp, constraints: {start: now-1h, jitter: 1s}}]")
	f.Fuzz(func(t *testing.T, src string) {
		s, errs := Parse("f.yaml", src)
		if errs != nil {
			for _, d := range errs {
				if !d.Pos.IsValid() {
					t.Fatalf("error without a position: %v", d)
				}
			}
			return
		}
		if s.Name == "" {
			s.Name = "s"
		}
		if Link(map[string]*Schema{s.Name: s}) == nil {
			if _, errs := Parse("g.yaml", Format(s)); errs != nil && s.Fields[0].Derived == "" {
				t.Fatalf("formatted schema does not parse: %v\n%s", errs, Format(s))
			}
		}
	})
}

func FuzzPattern(f *testing.F) {
	for _, p := range []string{"ORD-[A-Z]{3}-[0-9]{6}", `\d{2,4}x?`, "a+b*", "[a-", "{", `\`} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := CompilePattern(src)
		if err == nil && p.MinLen() > p.MaxLen() {
			t.Fatalf("%q: min %d > max %d", src, p.MinLen(), p.MaxLen())
		}
	})
}
