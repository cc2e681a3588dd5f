package functions

import (
	"fmt"

	"github.com/velostream/velostream/engine/types"
)

func init() {
	register(&spec{name: "COALESCE", params: []param{{"value", aAny}}, min: 1, variadic: true, result: commonType,
		resultDoc: "common type", coerce: true,
		doc: "the first value that is not NULL", eval: evalCoalesce})
	register(&spec{name: "IFNULL", params: []param{{"value", aAny}, {"fallback", aAny}}, min: 2, result: commonType,
		resultDoc: "common type", coerce: true,
		doc: "value, or fallback when value is NULL", eval: evalCoalesce})
	register(&spec{name: "NULLIF", params: []param{{"value", aAny}, {"other", aAny}}, min: 2, result: nullifType,
		resultDoc: "type of value",
		doc:       "NULL when value = other, else value", eval: evalNullif})
}

func evalCoalesce(_ *Func, _ *Env, a []types.Value) (types.Value, error) {
	for _, v := range a {
		if v.K != types.KindNull {
			return v, nil
		}
	}
	return types.Value{}, nil
}

func nullifType(_ *spec, args []types.Type) (types.Type, error) {
	if err := comparableTypes(args[0], args[1]); err != nil {
		return types.Type{}, err
	}
	return argType(0)(nil, args)
}

// comparableTypes is Compare's rule on static types.
func comparableTypes(a, b types.Type) error {
	ak, bk := a.Kind, b.Kind
	switch {
	case ak == types.KindNull || bk == types.KindNull || ak == types.KindAny || bk == types.KindAny,
		ak == bk,
		ak.Numeric() && bk.Numeric(),
		ak == types.KindString && bk == types.KindTimestamp,
		ak == types.KindTimestamp && bk == types.KindString:
		return nil
	}
	return fmt.Errorf("cannot compare %s with %s", a, b)
}

// ComparableTypes reports statically whether values of types a and b can be
// compared (=, <, IN, NULLIF, GREATEST), with Compare's error otherwise.
func ComparableTypes(a, b types.Type) error { return comparableTypes(a, b) }

func evalNullif(f *Func, _ *Env, a []types.Value) (types.Value, error) {
	v, o := a[0], a[1]
	if v.K == types.KindNull || o.K == types.KindNull {
		return v, nil
	}
	c, _, err := Compare(v, o)
	if err != nil {
		return types.Value{}, fmt.Errorf("%s: %w", f.Name, err)
	}
	if c == 0 {
		return types.Value{}, nil
	}
	return v, nil
}
