package decimal

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

// literal is the grammar Parse accepts, written independently of the parser.
var literal = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)

// FuzzParse checks Parse against math/big: an accepted literal has the value
// big.Rat reads, and Append prints it back to the same pair; a literal
// rejected for overflow is read exactly by ParseBig; anything else outside
// the grammar is a syntax error for both parsers.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"623.4100", "-0.50", ".5", "+7", "1.", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "0.0000000000000000001", "1e5", "", "-", ".",
		"00001.10", "12345678901234567890.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, sc, err := ParseString(s)
		mb, sb, errb := Parse([]byte(s))
		if m != mb || sc != sb || (err == nil) != (errb == nil) {
			t.Fatalf("Parse and ParseString disagree on %q: (%d,%d,%v) vs (%d,%d,%v)", s, m, sc, err, mb, sb, errb)
		}
		inGrammar := literal.MatchString(s)
		switch {
		case err == nil:
			if !inGrammar {
				t.Fatalf("Parse accepted %q, outside the grammar", s)
			}
			want := ratFromLiteral(t, s)
			if ratOf(m, sc).Cmp(want) != 0 {
				t.Fatalf("Parse(%q) = %s@%d, big.Rat says %s", s, String(m, sc), sc, want.RatString())
			}
			printed := String(m, sc)
			m2, sc2, err := ParseString(printed)
			if err != nil || m2 != m || sc2 != sc {
				t.Fatalf("round trip %q -> %q -> (%d, %d, %v), want (%d, %d)", s, printed, m2, sc2, err, m, sc)
			}
		case errors.Is(err, ErrOverflow):
			if !inGrammar {
				t.Fatalf("Parse(%q) overflowed but the text is outside the grammar", s)
			}
			b, err := ParseBig(s)
			if err != nil {
				if errors.Is(err, ErrOverflow) { // scale > 255
					return
				}
				t.Fatalf("ParseBig(%q): %v", s, err)
			}
			if b.FitsInt64() {
				t.Fatalf("Parse(%q) overflowed but the value %s fits", s, b)
			}
			if b.Rat(new(big.Rat)).Cmp(ratFromLiteral(t, s)) != 0 {
				t.Fatalf("ParseBig(%q) = %s, big.Rat disagrees", s, b)
			}
		default:
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) err = %v, neither syntax nor overflow", s, err)
			}
			if inGrammar {
				t.Fatalf("Parse(%q) = syntax error for text in the grammar: %v", s, err)
			}
			if _, err := ParseBig(s); !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseBig(%q) err = %v, want a syntax error", s, err)
			}
		}
	})
}

// ratFromLiteral reads a literal of the grammar with big.Rat, after writing it
// in a form big.Rat accepts ("1." -> "1.0", "+x" -> "x").
func ratFromLiteral(t *testing.T, s string) *big.Rat {
	t.Helper()
	s = strings.TrimPrefix(s, "+")
	if strings.HasSuffix(s, ".") {
		s += "0"
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("big.Rat cannot read %q", s)
	}
	return r
}
