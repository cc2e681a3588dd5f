package functions

import (
	"errors"
	"fmt"
	"math"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// divMinScale is the least scale of a decimal quotient: 1/3 gives 0.333333,
// not 0 (PostgreSQL's numeric division also keeps at least about six
// digits). The scale is max(as, bs, divMinScale), capped at decimal.MaxScale.
const divMinScale = 6

var (
	errTimestampRange = errors.New("timestamp out of range")
	errIntervalRange  = errors.New("interval out of range")
)

// Arith applies a binary arithmetic operator: + - * / % and || (OpConcat).
// NULL on either side gives NULL. See the package documentation for the
// numeric tower, division and time rules.
func Arith(op ast.BinaryOp, a, b types.Value) (types.Value, error) {
	if a.K == types.KindInt && b.K == types.KindInt {
		return arithInt(op, a.I, b.I)
	}
	if a.K == types.KindNull || b.K == types.KindNull {
		if op <= ast.OpConcat {
			return types.Value{}, nil
		}
		return types.Value{}, fmt.Errorf("operator %s is not arithmetic", op)
	}
	if op == ast.OpConcat {
		return concatValues(a, b), nil
	}
	if a.K.Numeric() && b.K.Numeric() {
		if a.K == types.KindFloat || b.K == types.KindFloat {
			return arithFloat(op, toFloat(a), toFloat(b))
		}
		return arithDec(op, a, b)
	}
	return arithTime(op, a, b)
}

func arithInt(op ast.BinaryOp, a, b int64) (types.Value, error) {
	var r int64
	ok := true
	switch op {
	case ast.OpAdd:
		r, ok = addInt(a, b)
	case ast.OpSub:
		r, ok = subInt(a, b)
	case ast.OpMul:
		r, ok = mulInt(a, b)
	case ast.OpDiv:
		if b == 0 {
			return types.Value{}, ErrDivisionByZero
		}
		if a == math.MinInt64 && b == -1 {
			ok = false
		} else {
			r = a / b // Go truncates toward zero, as PostgreSQL and Flink do
		}
	case ast.OpMod:
		if b == 0 {
			return types.Value{}, ErrDivisionByZero
		}
		if b != -1 { // MinInt64 % -1 is 0; Go's % would trap on some CPUs
			r = a % b
		}
	case ast.OpConcat:
		return concatValues(types.IntValue(a), types.IntValue(b)), nil
	default:
		return types.Value{}, fmt.Errorf("operator %s is not arithmetic", op)
	}
	if !ok {
		return bigArith(op, types.IntValue(a), types.IntValue(b))
	}
	return types.IntValue(r), nil
}

// divScale is the scale of a decimal quotient.
func divScale(as, bs uint8) uint8 {
	return min(max(as, bs, divMinScale), decimal.MaxScale)
}

func arithDec(op ast.BinaryOp, a, b types.Value) (types.Value, error) {
	if a.Big() || b.Big() {
		return bigArith(op, a, b)
	}
	am, as := decParts(a)
	bm, bs := decParts(b)
	var (
		m  int64
		s  uint8
		ok bool
	)
	switch op {
	case ast.OpAdd:
		m, s, ok = decimal.Add(am, as, bm, bs)
	case ast.OpSub:
		m, s, ok = decimal.Sub(am, as, bm, bs)
	case ast.OpMul:
		m, s, ok = decimal.Mul(am, as, bm, bs)
	case ast.OpDiv:
		if bm == 0 {
			return types.Value{}, ErrDivisionByZero
		}
		m, s, ok = decimal.Div(am, as, bm, bs, divScale(as, bs))
	case ast.OpMod:
		if bm == 0 {
			return types.Value{}, ErrDivisionByZero
		}
		s = max(as, bs)
		var x, y int64
		var okx, oky bool
		x, okx = decimal.Rescale(am, as, s)
		y, oky = decimal.Rescale(bm, bs, s)
		if ok = okx && oky; ok && y != -1 {
			m = x % y
		}
	}
	if !ok {
		return bigArith(op, a, b)
	}
	return types.DecimalValue(m, s), nil
}

// bigArith computes an INT or DECIMAL operation exactly with decimal.Big.
// Two INT operands keep integer semantics (/ truncates); the result is the
// int64 form when it fits and a promoted decimal otherwise.
func bigArith(op ast.BinaryOp, a, b types.Value) (types.Value, error) {
	x, err := toBig(a)
	if err != nil {
		return types.Value{}, err
	}
	y, err := toBig(b)
	if err != nil {
		return types.Value{}, err
	}
	ints := a.K == types.KindInt && b.K == types.KindInt
	z := new(decimal.Big)
	switch op {
	case ast.OpAdd:
		z.Add(x, y)
	case ast.OpSub:
		z.Sub(x, y)
	case ast.OpMul:
		z.Mul(x, y)
	case ast.OpDiv:
		if y.Sign() == 0 {
			return types.Value{}, ErrDivisionByZero
		}
		if ints {
			truncQuo(z, x, y)
		} else if _, err := z.Div(x, y, divScale(x.Scale(), y.Scale())); err != nil {
			return types.Value{}, err
		}
	case ast.OpMod:
		if y.Sign() == 0 {
			return types.Value{}, ErrDivisionByZero
		}
		// x - y*trunc(x/y): the remainder takes the dividend's sign.
		q := truncQuo(new(decimal.Big), x, y)
		z.Sub(x, q.Mul(q, y))
	default:
		return types.Value{}, fmt.Errorf("operator %s is not arithmetic", op)
	}
	v, err := fromBig(z, op.String())
	if err != nil {
		return types.Value{}, err
	}
	if ints && v.K == types.KindDecimal && !v.Big() && v.Scale == 0 {
		return types.IntValue(v.I), nil
	}
	return v, nil
}

// truncQuo sets z to x/y truncated toward zero, at scale 0. Big.Div rounds
// half away from zero, so a rounded-up quotient is stepped back by one.
func truncQuo(z, x, y *decimal.Big) *decimal.Big {
	z.Div(x, y, 0) //nolint:errcheck // callers checked y != 0
	// |z*y| > |x| means the rounding went away from zero.
	var p, ax, ap decimal.Big
	p.Mul(z, y)
	ax.Set(x)
	if ax.Sign() < 0 {
		ax.Neg(&ax)
	}
	ap.Set(&p)
	if ap.Sign() < 0 {
		ap.Neg(&ap)
	}
	if ap.Cmp(&ax) > 0 {
		if z.Sign() > 0 {
			z.AddInt64(-1, 0)
		} else {
			z.AddInt64(1, 0)
		}
	}
	return z
}

func arithFloat(op ast.BinaryOp, x, y float64) (types.Value, error) {
	var r float64
	switch op {
	case ast.OpAdd:
		r = x + y
	case ast.OpSub:
		r = x - y
	case ast.OpMul:
		r = x * y
	case ast.OpDiv:
		if y == 0 {
			return types.Value{}, ErrDivisionByZero
		}
		r = x / y
	case ast.OpMod:
		if y == 0 {
			return types.Value{}, ErrDivisionByZero
		}
		r = math.Mod(x, y)
	default:
		return types.Value{}, fmt.Errorf("operator %s is not arithmetic", op)
	}
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return types.Value{}, fmt.Errorf("DOUBLE overflow in %s", op)
	}
	return types.FloatValue(r), nil
}

// arithTime handles TIMESTAMP and INTERVAL arithmetic, and reports every
// other pair as an operator error.
func arithTime(op ast.BinaryOp, a, b types.Value) (types.Value, error) {
	ak, bk := a.K, b.K
	switch {
	case ak == types.KindTimestamp && bk == types.KindInterval && (op == ast.OpAdd || op == ast.OpSub):
		r, ok := addOrSub(op, a.I, b.I)
		if !ok {
			return types.Value{}, errTimestampRange
		}
		return types.TimestampValue(r), nil
	case ak == types.KindInterval && bk == types.KindTimestamp && op == ast.OpAdd:
		r, ok := addInt(a.I, b.I)
		if !ok {
			return types.Value{}, errTimestampRange
		}
		return types.TimestampValue(r), nil
	case ak == types.KindTimestamp && bk == types.KindTimestamp && op == ast.OpSub:
		r, ok := subInt(a.I, b.I)
		if !ok {
			return types.Value{}, errIntervalRange
		}
		return types.IntervalValue(r), nil
	case ak == types.KindInterval && bk == types.KindInterval && (op == ast.OpAdd || op == ast.OpSub):
		r, ok := addOrSub(op, a.I, b.I)
		if !ok {
			return types.Value{}, errIntervalRange
		}
		return types.IntervalValue(r), nil
	case ak == types.KindInterval && bk.Numeric() && (op == ast.OpMul || op == ast.OpDiv):
		return scaleInterval(op, a.I, b)
	case ak.Numeric() && bk == types.KindInterval && op == ast.OpMul:
		return scaleInterval(op, b.I, a)
	}
	return types.Value{}, operatorError(op, ak.String(), bk.String())
}

func addOrSub(op ast.BinaryOp, a, b int64) (int64, bool) {
	if op == ast.OpAdd {
		return addInt(a, b)
	}
	return subInt(a, b)
}

// scaleInterval multiplies or divides an interval (ms) by a number; the
// result is rounded half away from zero to whole milliseconds.
func scaleInterval(op ast.BinaryOp, ms int64, n types.Value) (types.Value, error) {
	if op == ast.OpDiv && isZero(n) {
		return types.Value{}, ErrDivisionByZero
	}
	if n.K == types.KindFloat {
		f := n.Float()
		var r float64
		if op == ast.OpMul {
			r = float64(ms) * f
		} else {
			r = float64(ms) / f
		}
		r = math.Round(r)
		if math.IsNaN(r) || r >= 1<<63 || r < -(1<<63) {
			return types.Value{}, errIntervalRange
		}
		return types.IntervalValue(int64(r)), nil
	}
	var v types.Value
	var err error
	if n.K == types.KindInt && op == ast.OpDiv {
		// Exact division rounded to a millisecond, not truncated: an
		// interval is a quantity, not an integer.
		v, err = arithDec(op, types.DecimalValue(ms, 0), types.DecimalValue(n.I, 0))
	} else {
		v, err = Arith(op, types.IntValue(ms), n)
	}
	if err != nil {
		return types.Value{}, err
	}
	switch {
	case v.K == types.KindInt:
		return types.IntervalValue(v.I), nil
	case v.Big():
		return types.Value{}, errIntervalRange
	}
	m, _, ok := decimal.Round(v.I, v.Scale, 0)
	if !ok {
		return types.Value{}, errIntervalRange
	}
	return types.IntervalValue(m), nil
}

func operatorError(op ast.BinaryOp, a, b string) error {
	if op == ast.OpAdd && a == "STRING" && b == "STRING" {
		return fmt.Errorf("operator + cannot be applied to STRING and STRING (use || or CONCAT to join strings)")
	}
	return fmt.Errorf("operator %s cannot be applied to %s and %s", op, a, b)
}

// concatValues is ||: both sides as text (their CAST to STRING).
func concatValues(a, b types.Value) types.Value {
	if a.K == types.KindString && b.K == types.KindString {
		return types.StringValue(a.S + b.S)
	}
	buf := make([]byte, 0, 32)
	buf = appendText(buf, a)
	buf = appendText(buf, b)
	return types.StringValue(string(buf))
}

// Negate is unary minus. INT's -(-2^63) promotes to a decimal like any
// other INT overflow.
func Negate(v types.Value) (types.Value, error) {
	switch v.K {
	case types.KindNull:
		return v, nil
	case types.KindInt:
		if v.I == math.MinInt64 {
			return bigArith(ast.OpSub, types.IntValue(0), v)
		}
		return types.IntValue(-v.I), nil
	case types.KindFloat:
		return types.FloatValue(-v.Float()), nil
	case types.KindDecimal:
		if v.Big() {
			x, err := toBig(v)
			if err != nil {
				return types.Value{}, err
			}
			return fromBig(x.Neg(x), "-")
		}
		if v.I == math.MinInt64 {
			return bigArith(ast.OpSub, types.DecimalValue(0, v.Scale), v)
		}
		return types.DecimalValue(-v.I, v.Scale), nil
	case types.KindInterval:
		if v.I == math.MinInt64 {
			return types.Value{}, errIntervalRange
		}
		return types.IntervalValue(-v.I), nil
	}
	return types.Value{}, fmt.Errorf("operator - cannot be applied to %s", v.K)
}

// ArithType is the static result type of a binary arithmetic operator (+ -
// * / % ||), or an error naming the operator and the operand types.
// DECIMAL results have no fixed precision (precision 0): the scale follows
// the operands at run time. ANY operands give ANY unless the other side can
// never take part in the operator.
func ArithType(op ast.BinaryOp, a, b types.Type) (types.Type, error) {
	if op > ast.OpConcat {
		return types.Type{}, fmt.Errorf("operator %s is not arithmetic", op)
	}
	if op == ast.OpConcat {
		return types.String, nil
	}
	ak, bk := a.Kind, b.Kind
	if !arithOperand(ak) || !arithOperand(bk) {
		return types.Type{}, operatorError(op, ak.String(), bk.String())
	}
	switch {
	case ak == types.KindNull && bk == types.KindNull:
		return types.Null, nil
	case ak == types.KindAny || bk == types.KindAny:
		return types.Any, nil
	case ak == types.KindNull:
		return nullArithType(op, b, false)
	case bk == types.KindNull:
		return nullArithType(op, a, true)
	case ak.Numeric() && bk.Numeric():
		k := widerNumeric(ak, bk)
		return types.Type{Kind: k}, nil
	}
	switch {
	case ak == types.KindTimestamp && bk == types.KindInterval && (op == ast.OpAdd || op == ast.OpSub),
		ak == types.KindInterval && bk == types.KindTimestamp && op == ast.OpAdd:
		return types.Timestamp, nil
	case ak == types.KindTimestamp && bk == types.KindTimestamp && op == ast.OpSub,
		ak == types.KindInterval && bk == types.KindInterval && (op == ast.OpAdd || op == ast.OpSub),
		ak == types.KindInterval && bk.Numeric() && (op == ast.OpMul || op == ast.OpDiv),
		ak.Numeric() && bk == types.KindInterval && op == ast.OpMul:
		return types.Interval, nil
	}
	return types.Type{}, operatorError(op, ak.String(), bk.String())
}

// arithOperand reports whether a kind can appear in some arithmetic.
func arithOperand(k types.Kind) bool {
	return k != types.KindBool && k != types.KindString
}

// nullArithType types `NULL op t` (or `t op NULL` when left): the result is
// what t would give with a value of a fitting kind in place of the NULL.
func nullArithType(op ast.BinaryOp, t types.Type, left bool) (types.Type, error) {
	switch {
	case t.Kind.Numeric():
		return types.Type{Kind: t.Kind}, nil
	case t.Kind == types.KindInterval:
		if op != ast.OpMod {
			return types.Interval, nil
		}
	case t.Kind == types.KindTimestamp:
		switch {
		case op == ast.OpSub && !left:
			return types.Interval, nil // NULL - ts: the NULL must be a timestamp
		case op == ast.OpAdd || op == ast.OpSub:
			// ts - NULL could be an interval or a timestamp operand; the
			// result is NULL either way, typed as the common case.
			return types.Timestamp, nil
		}
	}
	return types.Type{}, operatorError(op, t.Kind.String(), "NULL")
}
