package functions

import (
	"strings"
	"testing"
)

func TestLike(t *testing.T) {
	tests := []struct {
		pattern string
		s       string
		want    bool
	}{
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"%%", "x", true},
		{"a%", "abc", true},
		{"a%", "bac", false},
		{"%c", "abc", true},
		{"%b%", "abc", true},
		{"%x%", "abc", false},
		{"a_c", "abc", true},
		{"a_c", "ac", false},
		{"a_c", "abbc", false},
		{"_", "é", true},   // one character, two bytes
		{"__", "é", false}, // not two bytes
		{"h_llo", "héllo", true},
		{"%ö%", "Björk", true},
		{"_ö%", "Björk", false},
		{"__ö%", "Björk", true},
		{"%_", "", false},
		{"%_", "x", true},
		{"a%b%c", "aXXbYYc", true},
		{"a%b%c", "aXXcYYb", false},
		{"a%b%c", "abcabc", true},
		{"%a%a%a%b", strings.Repeat("a", 40), false},
		{"%aab", "aaab", true},
		{"ab%ba", "aba", false},
		{"ab%ba", "abba", true},
		{`100\%`, "100%", true},
		{`100\%`, "1000", false},
		{`a\_b`, "a_b", true},
		{`a\_b`, "axb", false},
		{`a\\b`, `a\b`, true},
		{`\é`, "é", true},
		{"A%", "abc", false}, // case-sensitive
		{"%", "\xff\xfe", true},
		{"_", "\xff", true}, // an invalid byte counts as one character
	}
	for _, tt := range tests {
		m, err := CompileLike(tt.pattern)
		if err != nil {
			t.Errorf("CompileLike(%q): %v", tt.pattern, err)
			continue
		}
		if got := m.Match(tt.s); got != tt.want {
			t.Errorf("%q LIKE %q = %v, want %v", tt.s, tt.pattern, got, tt.want)
		}
	}
}

func TestLikeTrailingEscape(t *testing.T) {
	if _, err := CompileLike(`abc\`); err == nil || !strings.Contains(err.Error(), "must not end with the escape character") {
		t.Errorf("CompileLike(`abc\\`): err = %v", err)
	}
}

// TestLikeAgainstReference compares the matcher with a plain recursive
// definition over every short string on a small alphabet.
func TestLikeAgainstReference(t *testing.T) {
	patterns := []string{"%a%b", "a_%", "_%_", "%ab%ba%", "a%%a", "_a_", "%é_", "b%", "%", "__%a"}
	alphabet := []string{"a", "b", "é"}
	var inputs []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 5)
	for _, p := range patterns {
		m, err := CompileLike(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			if got, want := m.Match(in), refLike([]rune(p), []rune(in)); got != want {
				t.Errorf("%q LIKE %q = %v, reference says %v", in, p, got, want)
			}
		}
	}
}

func refLike(p, s []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	switch p[0] {
	case '%':
		for k := 0; k <= len(s); k++ {
			if refLike(p[1:], s[k:]) {
				return true
			}
		}
		return false
	case '_':
		return len(s) > 0 && refLike(p[1:], s[1:])
	}
	return len(s) > 0 && s[0] == p[0] && refLike(p[1:], s[1:])
}
