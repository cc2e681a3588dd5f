package functions

import (
	"errors"
	"fmt"
	"math"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

var errNoClock = errors.New("no processing-time clock was given to the evaluator")

func init() {
	register(&spec{name: "NOW", fixed: types.Timestamp, volatile: true,
		doc: "the processing time (the engine's clock), in UTC", eval: evalNow}, "CURRENT_TIMESTAMP")
	register(&spec{name: "TO_TIMESTAMP", params: []param{{"x", aAny}, {"pattern", aString}}, min: 1,
		result: toTimestampType, resultDoc: "TIMESTAMP", strict: true,
		doc:  "a number of epoch milliseconds, ISO 8601 text, or text in a Java-style pattern ('yyyy-MM-dd HH:mm:ss') as a TIMESTAMP",
		eval: evalToTimestamp})
	register(&spec{name: "FROM_UNIXTIME", params: []param{{"seconds", aNumeric}}, min: 1, fixed: types.Timestamp,
		strict: true, doc: "the TIMESTAMP that many seconds (fractions kept to the millisecond) after 1970-01-01 UTC",
		eval: evalFromUnixtime})
	register(&spec{name: "UNIX_TIMESTAMP", params: []param{{"ts", aTimestamp}}, min: 0, fixed: types.Int,
		strict: true, volatile: true,
		doc:  "whole seconds since 1970-01-01 UTC of ts (rounded down), or of now without an argument",
		eval: evalUnixTimestamp})
	register(&spec{name: "DATE_TRUNC", params: []param{{"unit", aString}, {"ts", aTimestamp}}, min: 2,
		fixed: types.Timestamp, strict: true,
		doc:  "ts truncated (UTC) to the start of its millisecond, second, minute, hour, day, week (Monday), month, quarter or year",
		eval: evalDateTrunc})
	register(&spec{name: "DATE_FORMAT", params: []param{{"ts", aTimestamp}, {"pattern", aString}}, min: 2,
		fixed: types.String, strict: true,
		doc:  "ts (UTC) as text in a Java-style pattern such as 'yyyy-MM-dd HH:mm:ss.SSS'",
		eval: evalDateFormat})
}

func evalNow(f *Func, env *Env, _ []types.Value) (types.Value, error) {
	if env == nil || env.NowMillis == nil {
		return types.Value{}, fmt.Errorf("%s: %w", f.Name, errNoClock)
	}
	return types.TimestampValue(env.NowMillis()), nil
}

func toTimestampType(_ *spec, args []types.Type) (types.Type, error) {
	x := args[0].Kind
	switch {
	case len(args) == 2 && x != types.KindString && x != types.KindNull && x != types.KindAny:
		return types.Type{}, fmt.Errorf("with a pattern expects a STRING first argument, got %s", args[0])
	case x == types.KindBool || x == types.KindInterval:
		return types.Type{}, fmt.Errorf("expects epoch milliseconds, a STRING or a TIMESTAMP, got %s", args[0])
	}
	return types.Timestamp, nil
}

// tsArg reads a TIMESTAMP argument; a string is read as ISO 8601.
func tsArg(f *Func, i int, v types.Value) (int64, error) {
	if v.K == types.KindTimestamp {
		return v.I, nil
	}
	if ms, ok := parseTimestamp(v.S); ok {
		return ms, nil
	}
	return 0, fmt.Errorf("%s cannot read %s as an ISO 8601 timestamp (argument %d, %s)", f.Name, quoteValue(v.S), i+1, f.spec.param(i).name)
}

// patternArg compiles a datetime pattern argument, reusing the call site's
// last one.
func (f *Func) patternArg(src string) (*dtPattern, error) {
	if c := f.cache.Load(); c != nil && c.pat != nil && c.src == src {
		return c.pat, nil
	}
	p, err := compilePattern(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	f.cache.Store(&compiledArg{src: src, pat: p})
	return p, nil
}

func evalToTimestamp(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	v := a[0]
	if len(a) == 2 {
		if v.K != types.KindString {
			return types.Value{}, fmt.Errorf("%s with a pattern expects a STRING first argument, got %s", f.Name, v.K)
		}
		p, err := f.patternArg(a[1].S)
		if err != nil {
			return types.Value{}, err
		}
		ms, err := p.parse(v.S)
		if err != nil {
			return types.Value{}, fmt.Errorf("%s %w", f.Name, err)
		}
		return types.TimestampValue(ms), nil
	}
	switch v.K {
	case types.KindTimestamp:
		return v, nil
	case types.KindString:
		if ms, ok := parseTimestamp(v.S); ok {
			return types.TimestampValue(ms), nil
		}
		return types.Value{}, fmt.Errorf("%s cannot read %s as an ISO 8601 timestamp (give a pattern as the second argument, e.g. 'dd/MM/yyyy HH:mm')", f.Name, quoteValue(v.S))
	case types.KindInt, types.KindDecimal, types.KindFloat:
		r, ok := castTimestamp(v)
		if !ok {
			return types.Value{}, fmt.Errorf("%s: %s milliseconds is out of the TIMESTAMP range", f.Name, describe(v))
		}
		return r, nil
	}
	return types.Value{}, fmt.Errorf("%s expects epoch milliseconds, a STRING or a TIMESTAMP, got %s", f.Name, v.K)
}

func evalFromUnixtime(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	v := a[0]
	switch {
	case v.K == types.KindInt:
		if ms, ok := mulInt(v.I, msPerSecond); ok {
			return types.TimestampValue(ms), nil
		}
	case v.K == types.KindFloat:
		if r := math.Round(v.Float() * msPerSecond); r >= -(1<<63) && r < 1<<63 {
			return types.TimestampValue(int64(r)), nil
		}
	case !v.Big():
		if m, s, ok := decimal.Mul(v.I, v.Scale, msPerSecond, 0); ok {
			if ms, _, ok := decimal.Round(m, s, 0); ok {
				return types.TimestampValue(ms), nil
			}
		}
	}
	return types.Value{}, fmt.Errorf("%s: %s seconds is out of the TIMESTAMP range", f.Name, describe(v))
}

func evalUnixTimestamp(f *Func, env *Env, a []types.Value) (types.Value, error) {
	var ms int64
	if len(a) == 0 {
		if env == nil || env.NowMillis == nil {
			return types.Value{}, fmt.Errorf("%s: %w", f.Name, errNoClock)
		}
		ms = env.NowMillis()
	} else {
		var err error
		if ms, err = tsArg(f, 0, a[0]); err != nil {
			return types.Value{}, err
		}
	}
	return types.IntValue(floorDiv(ms, msPerSecond)), nil
}

func evalDateTrunc(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	ms, err := tsArg(f, 1, a[1])
	if err != nil {
		return types.Value{}, err
	}
	r, err := dateTrunc(a[0].S, ms)
	if err != nil {
		return types.Value{}, err
	}
	return types.TimestampValue(r), nil
}

func evalDateFormat(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	ms, err := tsArg(f, 0, a[0])
	if err != nil {
		return types.Value{}, err
	}
	p, err := f.patternArg(a[1].S)
	if err != nil {
		return types.Value{}, err
	}
	var buf [64]byte
	return types.StringValue(string(p.format(buf[:0], ms))), nil
}
