package parser

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/token"
)

// unitMillis maps every accepted spelling of a time unit (lower case) to its
// length in milliseconds. Single letters are accepted inside duration
// strings ('5m') and DURATION tokens, not as words after INTERVAL '5'.
var unitMillis = map[string]int64{
	"ms": 1, "msec": 1, "msecs": 1, "millis": 1, "millisecond": 1, "milliseconds": 1,
	"s": 1000, "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000,
	"m": 60_000, "min": 60_000, "mins": 60_000, "minute": 60_000, "minutes": 60_000,
	"h": 3_600_000, "hr": 3_600_000, "hrs": 3_600_000, "hour": 3_600_000, "hours": 3_600_000,
	"d": 86_400_000, "day": 86_400_000, "days": 86_400_000,
	"w": 604_800_000, "week": 604_800_000, "weeks": 604_800_000,
}

var unitNames = []string{"MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "ms", "s", "m", "h", "d"}

// unitWord returns the length of the unit word at the current token (as in
// INTERVAL '5' MINUTE), or 0 when it is not one.
func (p *parser) unitWord() int64 {
	t := p.tok()
	if t.Kind != token.IDENT || len(t.Raw) < 2 {
		return 0
	}
	return unitMillis[strings.ToLower(t.Raw)]
}

// looksLikeDuration reports whether a duration starts at the current token.
func (p *parser) looksLikeDuration() bool {
	switch p.tok().Kind {
	case token.INTERVAL, token.STRING, token.DURATION, token.INT, token.DECIMAL, token.FLOAT:
		return true
	case token.MINUS, token.PLUS:
		switch p.peek(1).Kind {
		case token.INT, token.DECIMAL, token.DURATION, token.STRING:
			return true
		}
	}
	return false
}

// parseDuration parses a length of time written in any of the dialect's
// spellings: INTERVAL '5' MINUTE, INTERVAL '5 minutes', INTERVAL 5 MINUTE,
// '1 minute', '30 seconds', '5m', 5m, 5 MINUTES. It always consumes at least
// one token. When positive is set (window sizes, join bounds), zero and
// negative lengths are errors. It returns nil after a syntax error.
func (p *parser) parseDuration(positive bool) *ast.Duration {
	first := p.i
	start := p.tok().Pos
	millis, ok := p.durationValue()
	if p.i == first {
		p.next()
	}
	if !ok {
		return nil
	}
	d := &ast.Duration{Millis: millis, Text: p.textFrom(first), Start: start, Stop: p.prevEnd()}
	if positive && millis <= 0 {
		p.report(d.Start, d.Stop, "", fmt.Sprintf("expected a positive duration, found %s", d.Text))
	}
	return d
}

// textFrom joins the raw text of the tokens from index first to the current
// one with single spaces: the duration as written, without comments.
func (p *parser) textFrom(first int) string {
	if p.i-first == 1 {
		return p.toks[first].Raw
	}
	var b strings.Builder
	for j := first; j < p.i; j++ {
		if j > first {
			b.WriteByte(' ')
		}
		b.WriteString(p.toks[j].Raw)
	}
	return b.String()
}

func (p *parser) durationValue() (int64, bool) {
	sign := int64(1)
	if p.at(token.MINUS) || p.at(token.PLUS) {
		if p.at(token.MINUS) {
			sign = -1
		}
		p.next()
	}
	t := p.tok()
	switch t.Kind {
	case token.INTERVAL:
		if sign < 0 {
			p.report(t.Pos, t.End, "", "expected a positive duration, found a negative INTERVAL")
		}
		p.next()
		if p.at(token.MINUS) {
			sign = -1
			p.next()
		}
		v := p.tok()
		switch v.Kind {
		case token.STRING:
			p.next()
			if unit := p.unitWord(); unit != 0 {
				p.next()
				return p.scaled(v, strings.TrimSpace(v.Val), unit, sign)
			}
			return p.durationString(v, sign)
		case token.INT, token.DECIMAL:
			p.next()
			unit := p.unitWord()
			if unit == 0 {
				p.errorExpectedHint("time unit (MILLISECOND, SECOND, MINUTE, HOUR or DAY)", fmt.Sprintf("write INTERVAL '%s' SECOND, INTERVAL '%s' MINUTE, ...", v.Raw, v.Raw))
				return 0, false
			}
			p.next()
			return p.scaled(v, v.Raw, unit, sign)
		case token.DURATION:
			p.next()
			return p.durationString(v, sign)
		}
		p.errorExpectedHint("interval value", "write INTERVAL '5' MINUTE or INTERVAL '5 minutes'")
		return 0, false
	case token.DURATION:
		p.next()
		return p.durationString(t, sign)
	case token.STRING:
		p.next()
		return p.durationString(t, sign)
	case token.INT, token.DECIMAL:
		p.next()
		if unit := p.unitWord(); unit != 0 {
			p.next()
			return p.scaled(t, t.Raw, unit, sign)
		}
		p.report(t.Pos, t.End, fmt.Sprintf("add a unit: %ss, %sm or INTERVAL '%s' SECOND", t.Raw, t.Raw, t.Raw),
			fmt.Sprintf("expected duration, found %s", describe(t)))
		return 0, false
	}
	p.errorExpectedHint("duration", "write INTERVAL '5' MINUTE, '5 minutes' or 5m")
	return 0, false
}

// scaled computes number * unit exactly, reporting overflow and fractions of
// a millisecond at the number's token.
func (p *parser) scaled(t *token.Token, num string, unit, sign int64) (int64, bool) {
	v, msg := scale(num, unit)
	if msg != "" {
		p.report(t.Pos, t.End, "", fmt.Sprintf("invalid duration %s: %s", describe(t), msg))
		return 0, false
	}
	return sign * v, true
}

func scale(num string, unit int64) (int64, string) {
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > math.MaxInt64/unit {
			return 0, "too long"
		}
		return n * unit, ""
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok || strings.ContainsAny(num, "eE/") || num == "" {
		return 0, fmt.Sprintf("%q is not a number", num)
	}
	r.Mul(r, new(big.Rat).SetInt64(unit))
	if !r.IsInt() {
		return 0, "not a whole number of milliseconds"
	}
	if !r.Num().IsInt64() {
		return 0, "too long"
	}
	return r.Num().Int64(), ""
}

func (p *parser) durationString(t *token.Token, sign int64) (int64, bool) {
	v, msg, hint := ParseDurationText(t.Val)
	if msg != "" {
		p.report(t.Pos, t.End, hint, fmt.Sprintf("invalid duration %s: %s", describe(t), msg))
		return 0, false
	}
	return sign * v, true
}

// ParseDurationText parses the text of a duration string such as
// '5 minutes', '30s', '1h30m' or '1.5 hours' into milliseconds. On failure
// it returns a message and possibly a hint.
func ParseDurationText(s string) (millis int64, msg, hint string) {
	s = strings.TrimSpace(s)
	sign := int64(1)
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		if s[0] == '-' {
			sign = -1
		}
		s = strings.TrimSpace(s[1:])
	}
	if s == "" {
		return 0, "empty duration", "write e.g. '5 minutes' or '30s'"
	}
	var total int64
	for s != "" {
		i := 0
		for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
			i++
		}
		num := s[:i]
		if num == "" {
			return 0, fmt.Sprintf("expected a number, found %q", s), ""
		}
		s = strings.TrimLeft(s[i:], " \t")
		j := 0
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		word := strings.ToLower(s[:j])
		if word == "" {
			return 0, fmt.Sprintf("missing unit after %s", num), fmt.Sprintf("write '%s seconds' or '%ss'", num, num)
		}
		unit, ok := unitMillis[word]
		if !ok {
			h := ""
			if sg := diag.Suggest(word, unitNames); sg != "" {
				h = fmt.Sprintf("did you mean %s?", strings.ToLower(sg))
			}
			return 0, fmt.Sprintf("unknown unit %q", s[:j]), h
		}
		v, msg := scale(num, unit)
		if msg != "" {
			return 0, msg, ""
		}
		if total > math.MaxInt64-v {
			return 0, "too long", ""
		}
		total += v
		s = strings.TrimLeft(s[j:], " \t,")
	}
	return sign * total, "", ""
}
