package functions

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// LikeMatcher is a compiled LIKE pattern. It is immutable and safe for
// concurrent use.
type LikeMatcher struct {
	kind   likeKind
	lit    string    // the literal for the exact, prefix, suffix and contains forms
	toks   []likeTok // the general form
	minLen int       // bytes any match needs at least (a fast reject)
}

type likeKind uint8

const (
	likeExact    likeKind = iota // abc
	likePrefix                   // abc%
	likeSuffix                   // %abc
	likeContains                 // %abc%
	likeAll                      // % (matches every string)
	likeGeneral
)

type likeTok struct {
	op  byte // 'l' literal, '_' one character, '%' any run
	lit string
}

var errLikeEscape = errors.New("LIKE pattern must not end with the escape character \\")

// CompileLike compiles a LIKE pattern: % matches any run of characters
// (including none), _ exactly one character (a UTF-8 code point, not a
// byte), and \ makes the next character literal (\%, \_, \\). Matching is
// case-sensitive and over the whole string. The general matcher runs in
// O(len(s) * len(pattern)) at worst; it never backtracks exponentially.
func CompileLike(pattern string) (*LikeMatcher, error) {
	var toks []likeTok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, likeTok{op: 'l', lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '\\':
			if i+1 == len(pattern) {
				return nil, errLikeEscape
			}
			i++
			_, w := utf8.DecodeRuneInString(pattern[i:])
			lit.WriteString(pattern[i : i+w])
			i += w - 1
		case '%':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].op != '%' {
				toks = append(toks, likeTok{op: '%'})
			}
		case '_':
			flush()
			toks = append(toks, likeTok{op: '_'})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	m := &LikeMatcher{kind: likeGeneral, toks: toks}
	for _, t := range toks {
		if t.op == 'l' {
			m.minLen += len(t.lit)
		} else if t.op == '_' {
			m.minLen++
		}
	}
	switch {
	case len(toks) == 0:
		m.kind = likeExact // the empty pattern matches only ''
	case len(toks) == 1 && toks[0].op == 'l':
		m.kind, m.lit = likeExact, toks[0].lit
	case len(toks) == 1 && toks[0].op == '%':
		m.kind = likeAll
	case len(toks) == 2 && toks[0].op == 'l' && toks[1].op == '%':
		m.kind, m.lit = likePrefix, toks[0].lit
	case len(toks) == 2 && toks[0].op == '%' && toks[1].op == 'l':
		m.kind, m.lit = likeSuffix, toks[1].lit
	case len(toks) == 3 && toks[0].op == '%' && toks[1].op == 'l' && toks[2].op == '%':
		m.kind, m.lit = likeContains, toks[1].lit
	}
	return m, nil
}

// Match reports whether s matches the whole pattern.
func (m *LikeMatcher) Match(s string) bool {
	switch m.kind {
	case likeExact:
		return s == m.lit
	case likePrefix:
		return strings.HasPrefix(s, m.lit)
	case likeSuffix:
		return strings.HasSuffix(s, m.lit)
	case likeContains:
		return strings.Contains(s, m.lit)
	case likeAll:
		return true
	}
	if len(s) < m.minLen {
		return false
	}
	return matchTokens(m.toks, s)
}

// matchTokens is the classic wildcard match with one remembered %: after a
// mismatch it resumes one character past where the last % started
// consuming. Later %s supersede earlier ones, which is what keeps it
// polynomial.
func matchTokens(toks []likeTok, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) || p < len(toks) {
		if p < len(toks) {
			switch t := toks[p]; t.op {
			case '%':
				starP, starI = p, i
				p++
				continue
			case '_':
				if i < len(s) {
					_, w := utf8.DecodeRuneInString(s[i:])
					i += w
					p++
					continue
				}
			default:
				if strings.HasPrefix(s[i:], t.lit) {
					i += len(t.lit)
					p++
					continue
				}
			}
		}
		if starP < 0 || starI >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starI:])
		starI += w
		p, i = starP+1, starI
	}
	return true
}
