package token

import "testing"

func TestLookup(t *testing.T) {
	tests := []struct {
		word     string
		kind     Kind
		reserved bool
	}{
		{"select", SELECT, true}, {"SeLeCt", SELECT, true}, {"FROM", FROM, true},
		{"window", WINDOW, true}, {"left", LEFT, true},
		{"rows", ROWS, false}, {"Session", SESSION, false}, {"key", KEY, false}, {"following", FOLLOWING, false},
		{"timestamp", IDENT, false}, {"price", IDENT, false}, {"a", IDENT, false}, {"preceding_x", IDENT, false},
	}
	for _, tt := range tests {
		k := Lookup(tt.word)
		if k != tt.kind || k.Reserved() != tt.reserved {
			t.Errorf("Lookup(%q) = %v (reserved %v), want %v (reserved %v)", tt.word, k, k.Reserved(), tt.kind, tt.reserved)
		}
		if tt.kind != IDENT && !k.IsKeyword() {
			t.Errorf("%v is not a keyword", k)
		}
	}
	for _, w := range Keywords() {
		if Lookup(w) == IDENT {
			t.Errorf("keyword %q does not look up", w)
		}
	}
}

func TestIsBareWord(t *testing.T) {
	for s, want := range map[string]bool{
		"price": true, "_ts": true, "t1": true, "café": true, "SELECT": true,
		"": false, "1a": false, "my col": false, `a"b`: false, "a-b": false, "\xff": false,
	} {
		if got := IsBareWord(s); got != want {
			t.Errorf("IsBareWord(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{EOF: "end of input", NE: "<>", DCOLON: "::", TUMBLING: "TUMBLING", IDENT: "identifier"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
