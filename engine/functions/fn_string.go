package functions

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/types"
)

// maxResultChars bounds the strings LPAD and RPAD build, and maxResultBytes
// those REPLACE and REGEXP_REPLACE build, so that one record cannot make the
// engine allocate gigabytes.
const (
	maxResultChars = 1 << 20
	maxResultBytes = 16 << 20
)

// maxRegexpLen bounds a regular expression's text. Go's regexp (RE2) runs in
// time linear in the input, so the cost of a match is bounded by the
// pattern size times the input size.
const maxRegexpLen = 4096

func init() {
	s1 := []param{{"s", aString}}
	register(&spec{name: "UPPER", params: s1, min: 1, fixed: types.String, strict: true,
		doc: "s in upper case (Unicode rules)", eval: evalUpper})
	register(&spec{name: "LOWER", params: s1, min: 1, fixed: types.String, strict: true,
		doc: "s in lower case (Unicode rules)", eval: evalLower})
	register(&spec{name: "SUBSTRING", params: []param{{"s", aString}, {"start", aInt}, {"length", aInt}}, min: 2,
		fixed: types.String, strict: true,
		doc:  "the characters of s from position start (1-based), length of them or to the end",
		eval: evalSubstring}, "SUBSTR")
	register(&spec{name: "CONCAT", params: []param{{"value", aAny}}, min: 1, variadic: true, fixed: types.String,
		doc: "the values as text, joined; NULLs are skipped", eval: evalConcat})
	register(&spec{name: "LENGTH", params: s1, min: 1, fixed: types.Int, strict: true,
		doc: "the number of characters (not bytes) in s", eval: evalLength}, "CHAR_LENGTH", "CHARACTER_LENGTH")
	trim := []param{{"s", aString}, {"characters", aString}}
	register(&spec{name: "TRIM", params: trim, min: 1, fixed: types.String, strict: true,
		doc: "s without leading and trailing spaces (or the given characters)", eval: evalTrim})
	register(&spec{name: "LTRIM", params: trim, min: 1, fixed: types.String, strict: true,
		doc: "s without leading spaces (or the given characters)", eval: evalTrim})
	register(&spec{name: "RTRIM", params: trim, min: 1, fixed: types.String, strict: true,
		doc: "s without trailing spaces (or the given characters)", eval: evalTrim})
	register(&spec{name: "REPLACE", params: []param{{"s", aString}, {"from", aString}, {"to", aString}}, min: 3,
		fixed: types.String, strict: true, doc: "s with every occurrence of from replaced by to", eval: evalReplace})
	sn := []param{{"s", aString}, {"n", aInt}}
	register(&spec{name: "LEFT", params: sn, min: 2, fixed: types.String, strict: true,
		doc: "the first n characters of s (all but the last -n when n is negative)", eval: evalLeftRight})
	register(&spec{name: "RIGHT", params: sn, min: 2, fixed: types.String, strict: true,
		doc: "the last n characters of s (all but the first -n when n is negative)", eval: evalLeftRight})
	pad := []param{{"s", aString}, {"length", aInt}, {"fill", aString}}
	register(&spec{name: "LPAD", params: pad, min: 2, fixed: types.String, strict: true,
		doc: "s padded on the left with fill (default a space) to length characters, or cut to length", eval: evalPad})
	register(&spec{name: "RPAD", params: pad, min: 2, fixed: types.String, strict: true,
		doc: "s padded on the right with fill (default a space) to length characters, or cut to length", eval: evalPad})
	register(&spec{name: "POSITION", params: []param{{"substring", aString}, {"s", aString}}, min: 2,
		fixed: types.Int, strict: true,
		doc:  "the character position (1-based) of the first substring in s, 0 if absent; POSITION(sub IN s)",
		eval: evalPosition})
	register(&spec{name: "STRPOS", params: []param{{"s", aString}, {"substring", aString}}, min: 2,
		fixed: types.Int, strict: true,
		doc:  "the character position (1-based) of the first substring in s, 0 if absent",
		eval: evalPosition})
	register(&spec{name: "SPLIT_PART", params: []param{{"s", aString}, {"delimiter", aString}, {"n", aInt}}, min: 3,
		fixed: types.String, strict: true,
		doc:  "the n-th field of s split on delimiter (negative n counts from the end); '' past the last",
		eval: evalSplitPart})
	register(&spec{name: "REGEXP_LIKE", params: []param{{"s", aString}, {"pattern", aString}}, min: 2,
		fixed: types.Bool, strict: true,
		doc:  "whether the RE2 regular expression matches anywhere in s",
		eval: evalRegexpLike})
	register(&spec{name: "REGEXP_EXTRACT", params: []param{{"s", aString}, {"pattern", aString}, {"group", aInt}}, min: 2,
		fixed: types.String, strict: true,
		doc:  "the first match of the regular expression in s (or its capture group), NULL when none",
		eval: evalRegexpExtract})
	register(&spec{name: "REGEXP_REPLACE", params: []param{{"s", aString}, {"pattern", aString}, {"replacement", aString}}, min: 3,
		fixed: types.String, strict: true,
		doc:  "s with every match of the regular expression replaced ($1 or ${name} insert groups)",
		eval: evalRegexpReplace})
}

func evalUpper(_ *Func, _ *Env, a []types.Value) (types.Value, error) {
	return types.StringValue(strings.ToUpper(a[0].S)), nil // no copy when nothing changes
}

func evalLower(_ *Func, _ *Env, a []types.Value) (types.Value, error) {
	return types.StringValue(strings.ToLower(a[0].S)), nil
}

// intArg reads a BIGINT argument; at run time an integral DECIMAL or DOUBLE
// (as JSON may carry) is accepted too.
func intArg(f *Func, i int, v types.Value) (int64, error) {
	switch v.K {
	case types.KindInt:
		return v.I, nil
	case types.KindFloat:
		x := v.Float()
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), nil
		}
	case types.KindDecimal:
		if i64, ok := decimalToInt(v); ok {
			if c := cmpNumeric(types.IntValue(i64), v); c == 0 {
				return i64, nil
			}
		}
	}
	return 0, fmt.Errorf("%s expects a whole number for argument %d (%s), got %s", f.Name, i+1, f.spec.param(i).name, describe(v))
}

// charOffset returns the byte offset of the n-th character (0-based) of s,
// or len(s) when s has at most n characters.
func charOffset(s string, n int64) int {
	if n <= 0 {
		return 0
	}
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// satAdd adds without overflowing (saturating), for positions.
func satAdd(a, b int64) int64 {
	if s, ok := addInt(a, b); ok {
		return s
	}
	if b > 0 {
		return math.MaxInt64
	}
	return math.MinInt64
}

// evalSubstring follows SQL: the characters at positions start ..
// start+length-1 that exist, so SUBSTRING('hello', 0, 3) is 'he' and a
// negative length is an error.
func evalSubstring(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	s := a[0].S
	start, err := intArg(f, 1, a[1])
	if err != nil {
		return types.Value{}, err
	}
	end := int64(math.MaxInt64) // exclusive character position (1-based)
	if len(a) > 2 {
		n, err := intArg(f, 2, a[2])
		if err != nil {
			return types.Value{}, err
		}
		if n < 0 {
			return types.Value{}, fmt.Errorf("%s length must not be negative, got %d", f.Name, n)
		}
		end = satAdd(start, n)
	}
	start = max(start, 1)
	if end <= start {
		return types.StringValue(""), nil
	}
	lo := charOffset(s, start-1)
	if end == math.MaxInt64 {
		return types.StringValue(s[lo:]), nil
	}
	hi := lo + charOffset(s[lo:], end-start)
	return types.StringValue(s[lo:hi]), nil
}

func evalConcat(_ *Func, _ *Env, a []types.Value) (types.Value, error) {
	n := 0
	for _, v := range a {
		if v.K == types.KindString {
			n += len(v.S)
		} else if v.K != types.KindNull {
			n += 24
		}
	}
	buf := make([]byte, 0, n)
	for _, v := range a {
		if v.K != types.KindNull {
			buf = appendText(buf, v)
		}
	}
	return types.StringValue(string(buf)), nil
}

func evalLength(_ *Func, _ *Env, a []types.Value) (types.Value, error) {
	return types.IntValue(int64(utf8.RuneCountInString(a[0].S))), nil
}

// evalTrim trims spaces by default (not tabs or newlines: SQL's TRIM removes
// the pad character), or any of the given characters.
func evalTrim(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	cut := " "
	if len(a) > 1 {
		cut = a[1].S
	}
	s := a[0].S
	switch f.spec.name {
	case "LTRIM":
		s = strings.TrimLeft(s, cut)
	case "RTRIM":
		s = strings.TrimRight(s, cut)
	default:
		s = strings.Trim(s, cut)
	}
	return types.StringValue(s), nil
}

func evalReplace(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	s, from, to := a[0].S, a[1].S, a[2].S
	if from == "" {
		return types.StringValue(s), nil
	}
	n := strings.Count(s, from)
	if n == 0 {
		return types.StringValue(s), nil
	}
	if size := int64(len(s)) + int64(n)*(int64(len(to))-int64(len(from))); size > maxResultBytes {
		return types.Value{}, resultTooLong(f.Name, size)
	}
	return types.StringValue(strings.ReplaceAll(s, from, to)), nil
}

func resultTooLong(name string, size int64) error {
	return fmt.Errorf("%s result would reach %d bytes, above the limit of %d bytes", name, size, maxResultBytes)
}

func evalLeftRight(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	s := a[0].S
	n, err := intArg(f, 1, a[1])
	if err != nil {
		return types.Value{}, err
	}
	left := f.spec.name == "LEFT"
	if n < 0 {
		// All but |n| characters from the other end.
		total := int64(utf8.RuneCountInString(s))
		n = max(total+n, 0) // total >= 0, so this cannot overflow
	}
	if left {
		return types.StringValue(s[:charOffset(s, n)]), nil
	}
	total := int64(utf8.RuneCountInString(s))
	if n >= total {
		return types.StringValue(s), nil
	}
	return types.StringValue(s[charOffset(s, total-n):]), nil
}

// evalPad follows PostgreSQL: a string longer than length is cut to its
// first length characters (on both sides), and an empty fill cannot pad.
func evalPad(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	s := a[0].S
	n, err := intArg(f, 1, a[1])
	if err != nil {
		return types.Value{}, err
	}
	fill := " "
	if len(a) > 2 {
		fill = a[2].S
	}
	if n <= 0 {
		return types.StringValue(""), nil
	}
	if n > maxResultChars {
		return types.Value{}, fmt.Errorf("%s length %d exceeds the limit of %d characters", f.Name, n, maxResultChars)
	}
	have := int64(utf8.RuneCountInString(s))
	if have >= n {
		return types.StringValue(s[:charOffset(s, n)]), nil
	}
	if fill == "" {
		return types.StringValue(s), nil
	}
	need := n - have
	var b strings.Builder
	b.Grow(len(s) + int(need)*utf8.UTFMax)
	if f.spec.name == "RPAD" {
		b.WriteString(s)
	}
	for need > 0 {
		for _, r := range fill {
			if need == 0 {
				break
			}
			b.WriteRune(r)
			need--
		}
	}
	if f.spec.name == "LPAD" {
		b.WriteString(s)
	}
	return types.StringValue(b.String()), nil
}

func evalPosition(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	sub, s := a[0].S, a[1].S
	if f.spec.name == "STRPOS" {
		sub, s = s, sub
	}
	i := strings.Index(s, sub)
	if i < 0 {
		return types.IntValue(0), nil
	}
	return types.IntValue(int64(utf8.RuneCountInString(s[:i])) + 1), nil
}

func evalSplitPart(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	s, delim := a[0].S, a[1].S
	n, err := intArg(f, 2, a[2])
	if err != nil {
		return types.Value{}, err
	}
	if n == 0 {
		return types.Value{}, fmt.Errorf("%s field position must not be zero", f.Name)
	}
	if delim == "" {
		// The whole string is the only field.
		if (n == 1 || n == -1) && s != "" {
			return types.StringValue(s), nil
		}
		return types.StringValue(""), nil
	}
	if n > 0 {
		for ; n > 1; n-- {
			i := strings.Index(s, delim)
			if i < 0 {
				return types.StringValue(""), nil
			}
			s = s[i+len(delim):]
		}
		if i := strings.Index(s, delim); i >= 0 {
			s = s[:i]
		}
		return types.StringValue(s), nil
	}
	for ; n < -1; n++ {
		i := strings.LastIndex(s, delim)
		if i < 0 {
			return types.StringValue(""), nil
		}
		s = s[:i]
	}
	if i := strings.LastIndex(s, delim); i >= 0 {
		s = s[i+len(delim):]
	}
	return types.StringValue(s), nil
}

// regexpArg compiles the pattern argument, reusing the call site's last
// compiled pattern (patterns are nearly always constants).
func (f *Func) regexpArg(src string) (*regexp.Regexp, error) {
	if c := f.cache.Load(); c != nil && c.re != nil && c.src == src {
		return c.re, nil
	}
	if len(src) > maxRegexpLen {
		return nil, fmt.Errorf("%s pattern of %d bytes exceeds the limit of %d bytes", f.Name, len(src), maxRegexpLen)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid regular expression %s: %w", f.Name, quoteValue(src), err)
	}
	f.cache.Store(&compiledArg{src: src, re: re})
	return re, nil
}

func evalRegexpLike(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	re, err := f.regexpArg(a[1].S)
	if err != nil {
		return types.Value{}, err
	}
	return types.BoolValue(re.MatchString(a[0].S)), nil
}

func evalRegexpExtract(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	re, err := f.regexpArg(a[1].S)
	if err != nil {
		return types.Value{}, err
	}
	group := int64(0)
	if len(a) > 2 {
		if group, err = intArg(f, 2, a[2]); err != nil {
			return types.Value{}, err
		}
		if group < 0 || group > int64(re.NumSubexp()) {
			return types.Value{}, fmt.Errorf("%s group %d does not exist: the pattern has %d", f.Name, group, re.NumSubexp())
		}
	}
	m := re.FindStringSubmatchIndex(a[0].S)
	if m == nil || m[2*group] < 0 {
		return types.Value{}, nil
	}
	return types.StringValue(a[0].S[m[2*group]:m[2*group+1]]), nil
}

func evalRegexpReplace(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	re, err := f.regexpArg(a[1].S)
	if err != nil {
		return types.Value{}, err
	}
	s, repl := a[0].S, a[2].S
	// Expand match by match so the size limit holds before memory is spent:
	// one expansion is at most the replacement plus, per $ in it, a group,
	// and a group lies inside its match.
	refs := int64(strings.Count(repl, "$"))
	var out []byte
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		if bound := int64(len(out)) + int64(m[0]-last) + int64(len(repl)) + refs*int64(m[1]-m[0]); bound > maxResultBytes {
			return types.Value{}, resultTooLong(f.Name, bound)
		}
		out = append(out, s[last:m[0]]...)
		out = re.ExpandString(out, repl, s, m)
		last = m[1]
		if int64(len(out)) > maxResultBytes {
			return types.Value{}, resultTooLong(f.Name, int64(len(out)))
		}
	}
	if out == nil {
		return types.StringValue(s), nil
	}
	out = append(out, s[last:]...)
	if int64(len(out)) > maxResultBytes {
		return types.Value{}, resultTooLong(f.Name, int64(len(out)))
	}
	return types.StringValue(string(out)), nil
}
