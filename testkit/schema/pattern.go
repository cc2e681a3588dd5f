package schema

import (
	"fmt"
	"strconv"
)

// Pattern is a compiled string pattern: the regular-expression subset the
// generator can produce values for. Supported: literals, escapes (\d \w \s
// \. \- ...), character classes [A-Z0-9_] with ranges and negation-free
// members, '.', and the quantifiers {n}, {n,m}, ?, * and + (the unbounded
// ones are capped at MaxRepeat so values stay short).
type Pattern struct {
	Atoms []Atom
	Src   string
}

// Atom is one character set repeated Min..Max times.
type Atom struct {
	Set      []byte // the characters it may produce
	Min, Max int
}

// MaxRepeat caps * and + (and {n,}).
const MaxRepeat = 8

// PatternError is a pattern problem at a byte offset in the pattern.
type PatternError struct {
	Off int
	Msg string
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("pattern: %s (at character %d)", e.Msg, e.Off+1)
}

var (
	digits = bytesRange('0', '9')
	word   = append(append(append(bytesRange('a', 'z'), bytesRange('A', 'Z')...), digits...), '_')
	space  = []byte{' '}
	// printable ASCII for '.'
	anyChar = append(append([]byte(nil), word...), '-', '.', ' ')
)

func bytesRange(lo, hi byte) []byte {
	var out []byte
	for c := int(lo); c <= int(hi); c++ {
		out = append(out, byte(c))
	}
	return out
}

// CompilePattern compiles the regex subset. Anchors ^ and $ are accepted
// and ignored (a generated value is always the whole match).
func CompilePattern(src string) (*Pattern, error) {
	p := &Pattern{Src: src}
	i := 0
	for i < len(src) {
		c := src[i]
		var set []byte
		start := i
		switch c {
		case '^':
			if i != 0 {
				return nil, &PatternError{i, "'^' is only allowed at the start"}
			}
			i++
			continue
		case '$':
			if i != len(src)-1 {
				return nil, &PatternError{i, "'$' is only allowed at the end"}
			}
			i++
			continue
		case '[':
			j := i + 1
			if j < len(src) && src[j] == '^' {
				return nil, &PatternError{j, "negated classes [^...] are not supported: list the characters wanted"}
			}
			for j < len(src) && src[j] != ']' {
				lo := src[j]
				if lo == '\\' {
					if j+1 >= len(src) {
						return nil, &PatternError{j, "unfinished escape"}
					}
					es, ok := escapeSet(src[j+1])
					if !ok {
						return nil, &PatternError{j, fmt.Sprintf("unsupported escape \\%c", src[j+1])}
					}
					set = append(set, es...)
					j += 2
					continue
				}
				if j+2 < len(src) && src[j+1] == '-' && src[j+2] != ']' {
					hi := src[j+2]
					if hi < lo {
						return nil, &PatternError{j, fmt.Sprintf("bad range %c-%c", lo, hi)}
					}
					set = append(set, bytesRange(lo, hi)...)
					j += 3
					continue
				}
				set = append(set, lo)
				j++
			}
			if j >= len(src) {
				return nil, &PatternError{i, "unclosed '['"}
			}
			if len(set) == 0 {
				return nil, &PatternError{i, "empty character class"}
			}
			i = j + 1
		case '\\':
			if i+1 >= len(src) {
				return nil, &PatternError{i, "unfinished escape"}
			}
			es, ok := escapeSet(src[i+1])
			if !ok {
				return nil, &PatternError{i, fmt.Sprintf("unsupported escape \\%c", src[i+1])}
			}
			set = es
			i += 2
		case '.':
			set = anyChar
			i++
		case '(', ')', '|':
			return nil, &PatternError{i, fmt.Sprintf("%q is not supported (no groups or alternation): use a character class or an enum", string(c))}
		case '{', '}', '*', '+', '?':
			return nil, &PatternError{i, fmt.Sprintf("%q has nothing to repeat", string(c))}
		default:
			if c >= 0x80 {
				return nil, &PatternError{i, "only ASCII characters are supported"}
			}
			set = []byte{c}
			i++
		}
		_ = start
		a := Atom{Set: dedup(set), Min: 1, Max: 1}
		if i < len(src) {
			switch src[i] {
			case '?':
				a.Min, a.Max = 0, 1
				i++
			case '*':
				a.Min, a.Max = 0, MaxRepeat
				i++
			case '+':
				a.Min, a.Max = 1, MaxRepeat
				i++
			case '{':
				j := i + 1
				for j < len(src) && src[j] != '}' {
					j++
				}
				if j >= len(src) {
					return nil, &PatternError{i, "unclosed '{'"}
				}
				lo, hi, err := parseRepeat(src[i+1 : j])
				if err != nil {
					return nil, &PatternError{i, err.Error()}
				}
				a.Min, a.Max = lo, hi
				i = j + 1
			}
		}
		p.Atoms = append(p.Atoms, a)
	}
	return p, nil
}

func parseRepeat(s string) (int, int, error) {
	bad := fmt.Errorf("bad repeat {%s}: write {n} or {n,m}", s)
	lo, hi := s, s
	comma := false
	for k := 0; k < len(s); k++ {
		if s[k] == ',' {
			lo, hi, comma = s[:k], s[k+1:], true
			break
		}
	}
	n, err := strconv.Atoi(lo)
	if err != nil || n < 0 {
		return 0, 0, bad
	}
	if comma && hi == "" {
		return n, max(n, MaxRepeat), nil
	}
	m, err := strconv.Atoi(hi)
	if err != nil || m < n {
		return 0, 0, bad
	}
	if m > 1000 {
		return 0, 0, fmt.Errorf("repeat {%s} is above 1000", s)
	}
	return n, m, nil
}

func escapeSet(c byte) ([]byte, bool) {
	switch c {
	case 'd':
		return digits, true
	case 'w':
		return word, true
	case 's':
		return space, true
	case 'n', 't', 'r', 'D', 'W', 'S', 'b', 'B':
		return nil, false
	}
	if c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
		return nil, false
	}
	return []byte{c}, true
}

func dedup(set []byte) []byte {
	var seen [256]bool
	out := set[:0:0]
	for _, c := range set {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// MinLen and MaxLen are the shortest and longest values the pattern makes.
func (p *Pattern) MinLen() int {
	n := 0
	for _, a := range p.Atoms {
		n += a.Min
	}
	return n
}

func (p *Pattern) MaxLen() int {
	n := 0
	for _, a := range p.Atoms {
		n += a.Max
	}
	return n
}
