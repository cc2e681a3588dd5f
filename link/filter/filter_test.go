package filter

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		value  string
		want   bool
		err    string // a substring of Match's error; "" for none
	}{
		{name: "string equality", filter: "region = 'west'", value: `{"region":"west","amount":3}`, want: true},
		{name: "string inequality", filter: "region = 'west'", value: `{"region":"east"}`, want: false},
		{name: "missing field is NULL, not true", filter: "region = 'west'", value: `{"amount":3}`, want: false},
		{name: "integer comparison", filter: "amount > 100", value: `{"amount":101}`, want: true},
		{name: "decimal against integer", filter: "amount > 100", value: `{"amount":100.5}`, want: true},
		{name: "and of two fields", filter: "region = 'west' AND amount >= 10", value: `{"amount":10,"region":"west"}`, want: true},
		{name: "or, the second true", filter: "region = 'west' OR vip", value: `{"region":"east","vip":true}`, want: true},
		{name: "in list", filter: "country IN ('DE', 'FR')", value: `{"country":"FR"}`, want: true},
		{name: "like", filter: "sku LIKE 'A-%'", value: `{"sku":"A-17"}`, want: true},
		{name: "function of a field", filter: "UPPER(region) = 'WEST'", value: `{"region":"west"}`, want: true},
		{name: "is null", filter: "coupon IS NULL", value: `{"amount":1}`, want: true},
		{name: "nested values are skipped", filter: "region = 'west'", value: `{"meta":{"region":"east"},"region":"west"}`, want: true},
		{name: "not an object", filter: "region = 'west'", value: `west`, err: "not a JSON object"},
		{name: "tombstone", filter: "region = 'west'", value: "\x00nil", err: "tombstone"},
		{name: "a number is not a condition", filter: "amount + 1", value: `{"amount":5}`, err: "not true or false"},
		{name: "division by zero", filter: "amount / qty > 1", value: `{"amount":5,"qty":0}`, err: "filter failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile(tt.filter)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.filter, err)
			}
			var v []byte
			if tt.value != "\x00nil" {
				v = []byte(tt.value)
			}
			got, err := f.Match(v)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Match(%s) error = %v; want one containing %q", tt.value, err, tt.err)
				}
				if got {
					t.Fatalf("Match(%s) = true with an error; a record that cannot be judged is not replicated", tt.value)
				}
				return
			}
			if err != nil {
				t.Fatalf("Match(%s): %v", tt.value, err)
			}
			if got != tt.want {
				t.Fatalf("Match(%s) = %v; want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestCompileErrorsArePositioned(t *testing.T) {
	tests := []struct {
		filter string
		want   string
	}{
		{filter: "region = ", want: "1:10:"},
		{filter: "region = 'west' AND\n  NO_SUCH_FN(amount) > 1", want: "2:3:"},
		{filter: "UPPER(region)", want: "1:1: the filter is STRING"},
		{filter: "   ", want: "empty filter"},
		{filter: "SUM(amount) > 1", want: "1:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := Compile(tt.filter)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile(%q) error = %v; want one containing %q", tt.filter, err, tt.want)
			}
		})
	}
}

func TestCloneHasItsOwnBuffers(t *testing.T) {
	f, err := Compile("region = 'west'")
	if err != nil {
		t.Fatal(err)
	}
	c := f.Clone()
	if ok, _ := f.Match([]byte(`{"region":"west"}`)); !ok {
		t.Fatal("original does not match")
	}
	if ok, _ := c.Match([]byte(`{"region":"east"}`)); ok {
		t.Fatal("clone matches east")
	}
	if c.String() != f.String() {
		t.Fatalf("clone's text %q differs from %q", c.String(), f.String())
	}
}

func BenchmarkMatch(b *testing.B) {
	f, err := Compile("region = 'west' AND amount > 100")
	if err != nil {
		b.Fatal(err)
	}
	v := []byte(`{"order_id":"o-000123","region":"west","amount":250.75,"currency":"EUR","items":[1,2,3],"customer":"c-99"}`)
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := f.Match(v); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
