package functions

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/velostream/velostream/engine/types"
)

// Env is what evaluation may read besides the arguments. It is injected so
// that tests and replays use a fake clock.
type Env struct {
	// NowMillis returns the processing time in milliseconds since the epoch
	// (NOW(), CURRENT_TIMESTAMP, UNIX_TIMESTAMP()).
	NowMillis func() int64
}

// ErrUnknownFunction is wrapped by Lookup's error for a name that is not a
// scalar function, so callers can try aggregates or report it themselves.
var ErrUnknownFunction = errors.New("unknown function")

// argClass is what a parameter accepts.
type argClass uint8

const (
	aAny       argClass = iota // any type
	aString                    // STRING
	aInt                       // BIGINT (at run time, an integral DECIMAL or DOUBLE too)
	aNumeric                   // BIGINT, DECIMAL or DOUBLE
	aTimestamp                 // TIMESTAMP, or a STRING read as ISO 8601
)

var classNames = [...]string{aAny: "ANY", aString: "STRING", aInt: "BIGINT", aNumeric: "NUMERIC", aTimestamp: "TIMESTAMP"}

// classNoun is the class with an article, for error messages ("UPPER
// expects a STRING argument", "ABS expects a numeric argument").
var classNoun = [...]string{aAny: "any", aString: "a STRING", aInt: "a BIGINT", aNumeric: "a numeric", aTimestamp: "a TIMESTAMP"}

func (c argClass) acceptsType(k types.Kind) bool {
	if k == types.KindNull || k == types.KindAny {
		return true
	}
	switch c {
	case aString:
		return k == types.KindString
	case aInt:
		return k == types.KindInt
	case aNumeric:
		return k.Numeric()
	case aTimestamp:
		return k == types.KindTimestamp || k == types.KindString
	}
	return true
}

// acceptsValue is the run-time check, for arguments whose static type was
// ANY. It is wider than acceptsType for BIGINT parameters: 2.0 read from
// JSON is a fine length.
func (c argClass) acceptsValue(k types.Kind) bool {
	if c == aInt {
		return k.Numeric() || k == types.KindNull
	}
	return c.acceptsType(k)
}

type param struct {
	name  string
	class argClass
}

// spec describes one scalar function.
type spec struct {
	name     string
	params   []param
	min      int  // required arguments; len(params) is the most unless variadic
	variadic bool // the last parameter repeats
	// result computes the static result type from the argument types (after
	// the class checks passed); nil means fixed.
	result    func(s *spec, args []types.Type) (types.Type, error)
	fixed     types.Type
	resultDoc string // for Signature when result is computed
	// strict functions return NULL when any argument is NULL, without
	// calling eval.
	strict   bool
	volatile bool // reads the clock: never constant-folded
	// coerce makes Eval convert the result to the static result kind
	// (COALESCE(int_col, 1.5) yields DECIMAL for both branches).
	coerce bool
	doc    string
	eval   func(f *Func, env *Env, args []types.Value) (types.Value, error)
}

// Func is a scalar function resolved for one call site: the argument types
// were checked and Result is the static result type. A Func caches compiled
// patterns (regular expressions, datetime patterns) of its call site; it is
// safe for concurrent use.
type Func struct {
	Name   string     // as called, upper case
	Result types.Type // static result type
	spec   *spec
	nargs  int
	cache  atomic.Pointer[compiledArg]
}

// compiledArg is the last pattern argument a Func compiled.
type compiledArg struct {
	src string
	re  *regexp.Regexp
	pat *dtPattern
}

// Volatile reports whether the call reads the clock, so its value must not be
// computed once at plan time (NOW(), UNIX_TIMESTAMP()).
func (f *Func) Volatile() bool {
	return f.spec.volatile && (f.nargs == 0 || f.spec.name != "UNIX_TIMESTAMP")
}

var (
	registry = map[string]*spec{}
	aliases  = map[string]string{} // alias -> canonical name
)

func register(s *spec, alias ...string) {
	if s.min < 0 || s.min > len(s.params) {
		panic("functions: bad arity for " + s.name) // a programming error, caught by any test
	}
	registry[s.name] = s
	for _, a := range alias {
		aliases[a] = s.name
	}
}

func find(name string) (*spec, string) {
	up := strings.ToUpper(name)
	if s, ok := registry[up]; ok {
		return s, up
	}
	if c, ok := aliases[up]; ok {
		return registry[c], up
	}
	return nil, up
}

// Lookup finds a scalar function by name (case-insensitive) and checks the
// static argument types, returning the result type or an error a user can
// act on ("UPPER expects a STRING argument, got BIGINT"; "ROUND takes 1 or 2
// arguments, got 3"). ANY and NULL arguments pass the static checks; their
// values are checked at run time.
func Lookup(name string, argTypes []types.Type) (*Func, types.Type, error) {
	s, up := find(name)
	if s == nil {
		if m := closest(up); m != "" {
			return nil, types.Type{}, fmt.Errorf("%w %s (did you mean %s?)", ErrUnknownFunction, up, m)
		}
		return nil, types.Type{}, fmt.Errorf("%w %s", ErrUnknownFunction, up)
	}
	if err := s.checkArity(up, len(argTypes)); err != nil {
		return nil, types.Type{}, err
	}
	for i, t := range argTypes {
		p := s.param(i)
		if !p.class.acceptsType(t.Kind) {
			return nil, types.Type{}, s.argError(up, i, t.String())
		}
	}
	ret := s.fixed
	if s.result != nil {
		var err error
		if ret, err = s.result(s, argTypes); err != nil {
			// Result rules word their errors to follow the name:
			// "COALESCE arguments have no common type: ...".
			return nil, types.Type{}, fmt.Errorf("%s %w", up, err)
		}
	}
	return &Func{Name: up, Result: ret, spec: s, nargs: len(argTypes)}, ret, nil
}

func (s *spec) param(i int) param {
	if i >= len(s.params) {
		return s.params[len(s.params)-1]
	}
	return s.params[i]
}

func (s *spec) checkArity(name string, n int) error {
	max := len(s.params)
	if n >= s.min && (s.variadic || n <= max) {
		return nil
	}
	plural := func(k int) string {
		if k == 1 {
			return "argument"
		}
		return "arguments"
	}
	switch {
	case s.variadic:
		return fmt.Errorf("%s takes at least %d %s, got %d", name, s.min, plural(s.min), n)
	case max == 0:
		return fmt.Errorf("%s takes no arguments, got %d", name, n)
	case s.min == max:
		return fmt.Errorf("%s takes %d %s, got %d", name, max, plural(max), n)
	case s.min+1 == max:
		return fmt.Errorf("%s takes %d or %d arguments, got %d", name, s.min, max, n)
	}
	return fmt.Errorf("%s takes %d to %d arguments, got %d", name, s.min, max, n)
}

func (s *spec) argError(name string, i int, got string) error {
	p := s.param(i)
	if len(s.params) == 1 && !s.variadic {
		return fmt.Errorf("%s expects %s argument, got %s", name, classNoun[p.class], got)
	}
	return fmt.Errorf("%s expects %s value for argument %d (%s), got %s", name, classNoun[p.class], i+1, p.name, got)
}

// Eval applies the function. args must match the types given to Lookup
// (values of ANY-typed arguments are checked here). Numeric and other
// fixed-size results are computed without allocating.
func (f *Func) Eval(env *Env, args []types.Value) (types.Value, error) {
	s := f.spec
	if len(args) != f.nargs {
		if err := s.checkArity(f.Name, len(args)); err != nil {
			return types.Value{}, err
		}
	}
	for i := range args {
		k := args[i].K
		if k == types.KindNull {
			if s.strict {
				return types.Value{}, nil
			}
			continue
		}
		if c := s.param(i).class; c != aAny && !c.acceptsValue(k) {
			return types.Value{}, s.argError(f.Name, i, k.String())
		}
	}
	v, err := s.eval(f, env, args)
	if err != nil || !s.coerce || v.K == f.Result.Kind || v.K == types.KindNull {
		return v, err
	}
	switch f.Result.Kind {
	case types.KindAny, types.KindNull:
		return v, nil
	}
	return Cast(v, types.Type{Kind: f.Result.Kind})
}

// Names lists every scalar function name and alias, sorted.
func Names() []string {
	out := make([]string, 0, len(registry)+len(aliases))
	for n := range registry {
		out = append(out, n)
	}
	for a := range aliases {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Signature describes a function for documentation and completions, e.g.
// "SUBSTRING(s STRING, start BIGINT [, length BIGINT]) -> STRING". It is ""
// for an unknown name.
func Signature(name string) string {
	s, up := find(name)
	if s == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(up)
	b.WriteByte('(')
	for i, p := range s.params {
		opt := i >= s.min
		if opt {
			b.WriteString(" [")
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.name)
		b.WriteByte(' ')
		b.WriteString(classNames[p.class])
	}
	if s.variadic {
		b.WriteString(" [, ...]")
	}
	for i := s.min; i < len(s.params); i++ {
		b.WriteByte(']')
	}
	b.WriteString(") -> ")
	if s.result != nil {
		b.WriteString(s.resultDoc)
	} else {
		b.WriteString(s.fixed.String())
	}
	return strings.Replace(b.String(), "( [", "([", 1)
}

// Doc is a one-line description of a function, for documentation and
// completions ("" for an unknown name).
func Doc(name string) string {
	if s, _ := find(name); s != nil {
		return s.doc
	}
	return ""
}

// closest suggests a known name within edit distance 2 of up.
func closest(up string) string {
	best, bestD := "", 3
	for _, n := range Names() {
		if d := editDistance(up, n, bestD); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, or limit when it is at least
// limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// commonType is the type COALESCE, GREATEST and friends return: the widest
// numeric type, the shared kind, or TIMESTAMP for timestamps mixed with
// strings (read as ISO 8601). ANY makes the result ANY.
func commonType(_ *spec, args []types.Type) (types.Type, error) {
	var res types.Type // KindNull
	anyArg := false
	for _, t := range args {
		switch {
		case t.Kind == types.KindNull:
			continue
		case t.Kind == types.KindAny:
			anyArg = true
			continue
		case res.Kind == types.KindNull:
			res = t
		case res == t:
		case res.Kind.Numeric() && t.Kind.Numeric():
			res = types.Type{Kind: widerNumeric(res.Kind, t.Kind)}
		case res.Kind == t.Kind: // DECIMAL(p,s) with different p,s
			res = types.Type{Kind: res.Kind}
		case res.Kind == types.KindTimestamp && t.Kind == types.KindString,
			res.Kind == types.KindString && t.Kind == types.KindTimestamp:
			res = types.Timestamp
		default:
			return types.Type{}, fmt.Errorf("arguments have no common type: %s and %s", res, t)
		}
	}
	if anyArg {
		return types.Any, nil
	}
	return res, nil
}

// argType returns the i-th argument's type as the result.
func argType(i int) func(*spec, []types.Type) (types.Type, error) {
	return func(_ *spec, args []types.Type) (types.Type, error) {
		t := args[i]
		if t.Kind == types.KindDecimal {
			return types.Decimal, nil
		}
		return t, nil
	}
}
