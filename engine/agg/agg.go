// Package agg holds the engine's aggregate functions as buffers, in
// go-mysql-server's style: Lookup resolves a call (name, DISTINCT, argument
// types, constant parameters) to a *Func once at plan time; the executor asks
// the Func for one Buffer per group per window, feeds it each record's
// argument value with Update, and reads Result when the window closes.
//
// It takes types.Value arguments, dynamically typed (a JSON column may mix
// 623 and 623.41), and gives types.Value results. Exact numbers stay exact:
// SUM and AVG of ints and decimals use decimal.Sum (an int64 fast path that
// spills to a big decimal, never wrapping); any float in the input makes the
// result a float. NULLs are skipped as SQL says; COUNT(*) is fed a non-null
// value per row by its caller.
//
// Buffers are concrete types with no allocation per Update on the common
// paths (COUNT, SUM, AVG, MIN, MAX over numbers); Update returns an error
// (wrapping ErrIncomparable) for a value it cannot combine with what it holds,
// and never panics. A Buffer is not safe for concurrent use. Buffers keep
// the strings they are given (MIN, MAX, FIRST_VALUE, LAST_VALUE), relying on
// Go strings being immutable; only DISTINCT sets copy them, because a set
// lives long and a small substring would pin a whole decoded input buffer.
package agg

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// Buffer accumulates one aggregate for one group of one window.
type Buffer interface {
	// Update adds one argument value; NULLs are ignored per SQL (COUNT(*) is
	// fed a non-null Bool).
	Update(v types.Value) error
	// Result returns the aggregate of the values so far (NULL for an empty
	// group, except COUNT's 0). It does not reset the buffer.
	Result() types.Value
}

// Func is a resolved aggregate call: its name, result type and a constructor
// of buffers.
type Func struct {
	name     string
	distinct bool // as written
	dedup    bool // feed the buffer only first occurrences (false where DISTINCT changes nothing)
	result   types.Type
	newBuf   func() Buffer
}

// Name returns the aggregate's canonical (upper-case) name.
func (f *Func) Name() string { return f.name }

// Distinct reports whether the call was written with DISTINCT.
func (f *Func) Distinct() bool { return f.distinct }

// ResultType returns the static type of Result. Values are dynamically typed
// at run time, so a result may be wider than this type says: SUM over BIGINT
// is BIGINT but becomes an exact DECIMAL if it overflows int64, and a column
// of type ANY yields whatever its values give.
func (f *Func) ResultType() types.Type { return f.result }

// NewBuffer returns an empty buffer for one group.
func (f *Func) NewBuffer() Buffer {
	b := f.newBuf()
	if f.dedup {
		return newDistinct(b)
	}
	return b
}

var (
	// ErrUnknown is wrapped by Lookup for a name that is not an aggregate.
	ErrUnknown = errors.New("unknown aggregate function")
	// ErrArguments is wrapped by Lookup for a wrong number or type of
	// arguments or parameters.
	ErrArguments = errors.New("invalid aggregate arguments")
)

// spec describes one aggregate for Lookup.
type spec struct {
	// star: COUNT(*) (no argument) is allowed.
	star bool
	// params is the number of constant parameters (PERCENTILE_CONT's p).
	params int
	// distinct: DISTINCT is meaningful (or harmless) for this aggregate.
	distinct bool
	// accepts reports whether the argument's static type is allowed.
	accepts func(types.Kind) bool
	// build returns the result type and a buffer constructor.
	build func(arg types.Type, params []types.Value) (types.Type, func() Buffer, error)
}

func anyKind(types.Kind) bool { return true }

func numericOrAny(k types.Kind) bool {
	return numeric(k) || k == types.KindAny || k == types.KindNull
}

func orderable(k types.Kind) bool {
	return numericOrAny(k) || k == types.KindTimestamp || k == types.KindInterval
}

var registry = map[string]spec{
	"COUNT": {star: true, distinct: true, accepts: anyKind, build: func(types.Type, []types.Value) (types.Type, func() Buffer, error) {
		return types.Int, func() Buffer { return new(countBuffer) }, nil
	}},
	"SUM": {distinct: true, accepts: numericOrAny, build: func(arg types.Type, _ []types.Value) (types.Type, func() Buffer, error) {
		min := staticScale(arg)
		forceDec := arg.Kind == types.KindDecimal
		return sumType(arg), func() Buffer { return &sumBuffer{minScale: min, forceDec: forceDec} }, nil
	}},
	"AVG": {distinct: true, accepts: numericOrAny, build: func(arg types.Type, _ []types.Value) (types.Type, func() Buffer, error) {
		min := staticScale(arg)
		forceDec := arg.Kind == types.KindDecimal
		return avgType(arg), func() Buffer { return &avgBuffer{sumBuffer: sumBuffer{minScale: min, forceDec: forceDec}} }, nil
	}},
	"MIN": {distinct: true, accepts: anyKind, build: func(arg types.Type, _ []types.Value) (types.Type, func() Buffer, error) {
		return arg, func() Buffer { return &minMaxBuffer{name: "MIN", sign: -1} }, nil
	}},
	"MAX": {distinct: true, accepts: anyKind, build: func(arg types.Type, _ []types.Value) (types.Type, func() Buffer, error) {
		return arg, func() Buffer { return &minMaxBuffer{name: "MAX", sign: 1} }, nil
	}},
	"STDDEV_SAMP": varianceSpec("STDDEV_SAMP", true, true),
	"STDDEV":      varianceSpec("STDDEV", true, true),
	"STDDEV_POP":  varianceSpec("STDDEV_POP", false, true),
	"VAR_SAMP":    varianceSpec("VAR_SAMP", true, false),
	"VARIANCE":    varianceSpec("VARIANCE", true, false),
	"VAR_POP":     varianceSpec("VAR_POP", false, false),
	"FIRST_VALUE": {accepts: anyKind, build: func(arg types.Type, _ []types.Value) (types.Type, func() Buffer, error) {
		return arg, func() Buffer { return &firstBuffer{} }, nil
	}},
	"LAST_VALUE": {accepts: anyKind, build: func(arg types.Type, _ []types.Value) (types.Type, func() Buffer, error) {
		return arg, func() Buffer { return &lastBuffer{} }, nil
	}},
	"APPROX_COUNT_DISTINCT": {distinct: true, accepts: anyKind, build: func(types.Type, []types.Value) (types.Type, func() Buffer, error) {
		return types.Int, newHLL, nil
	}},
	"PERCENTILE_CONT": {params: 1, accepts: orderable, build: func(arg types.Type, params []types.Value) (types.Type, func() Buffer, error) {
		p, err := percentileParam(params[0])
		if err != nil {
			return types.Type{}, nil, err
		}
		return percentileType(arg), func() Buffer { return &percentileBuffer{name: "PERCENTILE_CONT", p: p} }, nil
	}},
	"MEDIAN": {accepts: orderable, build: func(arg types.Type, _ []types.Value) (types.Type, func() Buffer, error) {
		half := big.NewRat(1, 2)
		return percentileType(arg), func() Buffer { return &percentileBuffer{name: "MEDIAN", p: half} }, nil
	}},
}

func varianceSpec(name string, sample, sqrt bool) spec {
	return spec{distinct: true, accepts: numericOrAny, build: func(types.Type, []types.Value) (types.Type, func() Buffer, error) {
		return types.Float, func() Buffer { return &varianceBuffer{name: name, sample: sample, sqrt: sqrt} }, nil
	}}
}

// Names returns the aggregate names, sorted (for completions and
// did-you-mean suggestions).
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// IsAggregate reports whether name (any case) is an aggregate function.
func IsAggregate(name string) bool {
	_, ok := registry[strings.ToUpper(name)]
	return ok
}

// Lookup resolves an aggregate call. name is case-insensitive; argTypes are
// the static types of the arguments (empty for COUNT(*)); params are the
// constant parameters (PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x) has
// argTypes [type of x] and params [p]). Errors wrap ErrUnknown or
// ErrArguments and carry no position: the caller (the binder) knows where the
// call is written.
func Lookup(name string, distinct bool, argTypes []types.Type, params []types.Value) (*Func, error) {
	upper := strings.ToUpper(name)
	sp, ok := registry[upper]
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknown, name)
	}
	switch {
	case len(argTypes) == 0 && sp.star && !distinct:
		// COUNT(*)
	case len(argTypes) == 0 && sp.star:
		return nil, fmt.Errorf("%s(DISTINCT *) is not valid: name a column: %w", upper, ErrArguments)
	case len(argTypes) != 1:
		return nil, fmt.Errorf("%s takes one argument, got %d: %w", upper, len(argTypes), ErrArguments)
	}
	if len(params) != sp.params {
		if sp.params == 0 {
			return nil, fmt.Errorf("%s takes no parameters, got %d: %w", upper, len(params), ErrArguments)
		}
		return nil, fmt.Errorf("%s takes %d parameter(s), got %d: %w", upper, sp.params, len(params), ErrArguments)
	}
	if distinct && !sp.distinct {
		return nil, fmt.Errorf("%s does not take DISTINCT: %w", upper, ErrArguments)
	}
	var arg types.Type
	if len(argTypes) == 1 {
		arg = argTypes[0]
		if !sp.accepts(arg.Kind) {
			return nil, fmt.Errorf("%s does not take a %s argument: %w", upper, arg, ErrArguments)
		}
	}
	result, newBuf, err := sp.build(arg, params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", upper, err)
	}
	// DISTINCT changes nothing for these: skip the set.
	dedup := distinct && upper != "MIN" && upper != "MAX" && upper != "APPROX_COUNT_DISTINCT"
	return &Func{name: upper, distinct: distinct, dedup: dedup, result: result, newBuf: newBuf}, nil
}

// staticScale is the scale a static DECIMAL(p,s) type promises (0 otherwise).
func staticScale(t types.Type) uint8 {
	if t.Kind == types.KindDecimal {
		return t.Scale
	}
	return 0
}

func sumType(arg types.Type) types.Type {
	switch arg.Kind {
	case types.KindInt:
		return types.Int
	case types.KindDecimal:
		return types.Type{Kind: types.KindDecimal, Scale: arg.Scale}
	case types.KindFloat:
		return types.Float
	}
	return types.Any
}

// avgScale is AVG's result scale for an exact input of the given scale: four
// more digits than the input, at most 18 (MySQL's rule with its default
// div_precision_increment of 4): AVG of BIGINT has scale 4, of DECIMAL(12,4)
// scale 8.
func avgScale(inputScale uint8) uint8 { return min(inputScale+4, decimal.MaxScale) }

func avgType(arg types.Type) types.Type {
	switch arg.Kind {
	case types.KindInt, types.KindDecimal:
		return types.Type{Kind: types.KindDecimal, Scale: avgScale(staticScale(arg))}
	case types.KindFloat:
		return types.Float
	}
	return types.Any
}

func percentileType(arg types.Type) types.Type {
	switch arg.Kind {
	case types.KindInt, types.KindDecimal, types.KindFloat:
		return types.Float
	case types.KindTimestamp, types.KindInterval:
		return arg
	}
	return types.Any
}
