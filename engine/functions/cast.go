package functions

import (
	"errors"
	"fmt"
	cal "github.com/velostream/velostream/engine/civil"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/types"
)

// maxDecimalPrecision is the largest precision DECIMAL(p,s) accepts: the
// usual SQL limit (PostgreSQL's numeric allows more, Flink, Spark and
// BigQuery stop at 38). Precisions above 18 hold values as promoted decimals.
const maxDecimalPrecision = 38

// castable lists the kinds each kind can be cast to (besides itself and
// STRING, which every kind converts to and from).
var castable = [...][]types.Kind{
	types.KindBool:      {types.KindInt},
	types.KindInt:       {types.KindBool, types.KindFloat, types.KindDecimal, types.KindTimestamp, types.KindInterval},
	types.KindFloat:     {types.KindInt, types.KindDecimal, types.KindTimestamp, types.KindInterval},
	types.KindDecimal:   {types.KindInt, types.KindFloat, types.KindTimestamp, types.KindInterval},
	types.KindString:    {types.KindBool, types.KindInt, types.KindFloat, types.KindDecimal, types.KindTimestamp, types.KindInterval},
	types.KindTimestamp: {types.KindInt},
	types.KindInterval:  {types.KindInt},
}

// CastType checks statically that a value of type from can be cast to to,
// and that to is a valid target (DECIMAL(p,s) with 1 <= p <= 38, s <= p,
// s <= 18).
func CastType(from, to types.Type) error {
	if err := checkTarget(to); err != nil {
		return err
	}
	if castableKinds(from.Kind, to.Kind) {
		return nil
	}
	return fmt.Errorf("cannot cast %s to %s", from, to)
}

func castableKinds(from, to types.Kind) bool {
	if from == to || from == types.KindNull || from == types.KindAny || to == types.KindAny ||
		to == types.KindString {
		return true
	}
	if int(from) < len(castable) {
		for _, k := range castable[from] {
			if k == to {
				return true
			}
		}
	}
	return false
}

func checkTarget(to types.Type) error {
	switch to.Kind {
	case types.KindNull:
		return errors.New("cannot cast to NULL: name a type")
	case types.KindDecimal:
		if to.Precision == 0 {
			return nil
		}
		if to.Precision > maxDecimalPrecision {
			return fmt.Errorf("DECIMAL precision %d is above the maximum %d", to.Precision, maxDecimalPrecision)
		}
		if to.Scale > to.Precision {
			return fmt.Errorf("DECIMAL scale %d is larger than its precision %d", to.Scale, to.Precision)
		}
		if to.Scale > decimal.MaxScale {
			return fmt.Errorf("DECIMAL scale %d is above the maximum %d", to.Scale, decimal.MaxScale)
		}
	}
	return nil
}

// Cast converts v to type to. NULL casts to NULL; a cast to ANY returns v.
// A value that cannot be converted gives an error naming the value and the
// target type, e.g. "cannot cast 'abc' to DECIMAL(12,4)".
func Cast(v types.Value, to types.Type) (types.Value, error) {
	if v.K == types.KindNull || to.Kind == types.KindAny {
		return v, nil
	}
	if v.K == to.Kind && to.Kind != types.KindDecimal {
		return v, nil
	}
	if err := checkTarget(to); err != nil {
		return types.Value{}, err
	}
	var (
		r  types.Value
		ok bool
	)
	switch to.Kind {
	case types.KindBool:
		r, ok = castBool(v)
	case types.KindInt:
		r, ok = castInt(v)
	case types.KindFloat:
		r, ok = castFloat(v)
	case types.KindDecimal:
		return castDecimal(v, to)
	case types.KindString:
		return types.StringValue(textOf(v)), nil
	case types.KindTimestamp:
		r, ok = castTimestamp(v)
	case types.KindInterval:
		r, ok = castInterval(v)
	}
	if !ok {
		return types.Value{}, castError(v, to, "")
	}
	return r, nil
}

func castError(v types.Value, to types.Type, why string) error {
	if why != "" {
		return fmt.Errorf("cannot cast %s to %s: %s", describe(v), to, why)
	}
	return fmt.Errorf("cannot cast %s to %s", describe(v), to)
}

// describe renders a value for an error message: strings quoted, long text
// shortened (the whole record goes to the dead-letter output anyway).
func describe(v types.Value) string {
	if v.K == types.KindString {
		return quoteValue(v.S)
	}
	if v.K == types.KindNull {
		return "NULL"
	}
	return textOf(v)
}

func quoteValue(s string) string {
	const limit = 64
	short := false
	if utf8.RuneCountInString(s) > limit {
		n := 0
		for i := range s {
			if n == limit {
				s = s[:i]
				break
			}
			n++
		}
		short = true
	}
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if short {
		q += "..."
	}
	return q
}

// parseBool reads SQL boolean text (PostgreSQL's spellings, any case,
// surrounding spaces ignored).
func parseBool(s string) (bool, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 5 {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "on", "1":
		return true, true
	case "false", "f", "no", "n", "off", "0":
		return false, true
	}
	return false, false
}

func castBool(v types.Value) (types.Value, bool) {
	switch v.K {
	case types.KindInt:
		return types.BoolValue(v.I != 0), true
	case types.KindString:
		b, ok := parseBool(v.S)
		return types.BoolValue(b), ok
	}
	return types.Value{}, false
}

func castInt(v types.Value) (types.Value, bool) {
	switch v.K {
	case types.KindBool, types.KindTimestamp, types.KindInterval:
		return types.IntValue(v.I), true
	case types.KindFloat:
		i, ok := floatToInt(v.Float())
		return types.IntValue(i), ok
	case types.KindDecimal:
		i, ok := decimalToInt(v)
		return types.IntValue(i), ok
	case types.KindString:
		i, err := strconv.ParseInt(strings.TrimSpace(v.S), 10, 64)
		return types.IntValue(i), err == nil
	}
	return types.Value{}, false
}

// floatToInt rounds half away from zero and range-checks.
func floatToInt(f float64) (int64, bool) {
	r := math.Round(f)
	if math.IsNaN(r) || r >= 1<<63 || r < -(1<<63) {
		return 0, false
	}
	return int64(r), true
}

// decimalToInt rounds half away from zero and range-checks.
func decimalToInt(v types.Value) (int64, bool) {
	if v.Big() {
		x, err := toBig(v)
		if err != nil {
			return 0, false
		}
		m, _, ok := x.Rescale(x, 0).Int64()
		return m, ok
	}
	m, _, ok := decimal.Round(v.I, v.Scale, 0)
	return m, ok
}

func castFloat(v types.Value) (types.Value, bool) {
	switch v.K {
	case types.KindInt, types.KindDecimal:
		return types.FloatValue(toFloat(v)), true
	case types.KindString:
		f, ok := parseFloat(v.S)
		return types.FloatValue(f), ok
	}
	return types.Value{}, false
}

// parseFloat reads decimal or exponent notation and NaN / Infinity (any
// case). Go's extras (hex floats, digit underscores) are not SQL and are
// refused; so is a value beyond the DOUBLE range.
func parseFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "xX_pP") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// castDecimal converts to DECIMAL, or DECIMAL(p,s): rounded half away from
// zero to s digits, then checked against p.
func castDecimal(v types.Value, to types.Type) (types.Value, error) {
	var d types.Value
	switch v.K {
	case types.KindDecimal:
		d = v
	case types.KindInt:
		d = types.DecimalValue(v.I, 0)
	case types.KindFloat:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return types.Value{}, castError(v, to, "")
		}
		if to.Precision > 0 {
			if m, ok := decimal.FromFloat64(f, to.Scale); ok {
				d = types.DecimalValue(m, to.Scale)
				break
			}
		}
		// The shortest decimal that reads back as f: what the user wrote.
		var buf [32]byte
		var ok bool
		if d, ok = parseDecimalText(string(strconv.AppendFloat(buf[:0], f, 'e', -1, 64))); !ok {
			return types.Value{}, castError(v, to, "")
		}
	case types.KindString:
		var ok bool
		if d, ok = parseDecimalText(strings.TrimSpace(v.S)); !ok {
			return types.Value{}, castError(v, to, "")
		}
	default:
		return types.Value{}, castError(v, to, "")
	}
	if to.Precision == 0 {
		return d, nil
	}
	r, err := fitDecimal(d, to)
	if err != nil {
		return types.Value{}, castError(v, to, err.Error())
	}
	return r, nil
}

// fitDecimal rescales d to t.Scale and checks t.Precision.
func fitDecimal(d types.Value, t types.Type) (types.Value, error) {
	var digits int
	if !d.Big() {
		if m, ok := decimal.Rescale(d.I, d.Scale, t.Scale); ok {
			digits = countDigits(absU(m))
			if digits <= int(t.Precision) {
				return types.DecimalValue(m, t.Scale), nil
			}
			return types.Value{}, precisionError(digits, t)
		}
	}
	x, err := toBig(d)
	if err != nil {
		return types.Value{}, err
	}
	x.Rescale(x, t.Scale)
	text := x.String()
	digits = 0
	for i := 0; i < len(text); i++ {
		if text[i] >= '0' && text[i] <= '9' {
			digits++
		}
	}
	if x.Sign() == 0 {
		digits = 0
	}
	if digits > int(t.Precision) {
		return types.Value{}, precisionError(digits, t)
	}
	return fromBig(x, "CAST")
}

func precisionError(digits int, t types.Type) error {
	before := digits - int(t.Scale)
	return fmt.Errorf("it needs %d digits before the point and %s allows %d", before, t, int(t.Precision)-int(t.Scale))
}

func countDigits(u uint64) int {
	n := 1
	for u >= 10 {
		u /= 10
		n++
	}
	return n
}

// parseDecimalText reads an exact decimal: "623.41", "-0.5", "1e5",
// "1.5E-3", any number of digits. More than 18 digits after the point are
// rounded half away from zero to 18; a mantissa beyond int64 gives a
// promoted decimal.
func parseDecimalText(s string) (types.Value, bool) {
	m, sc, err := decimal.ParseString(s)
	if err == nil {
		return types.DecimalValue(m, sc), true
	}
	// Slow path: an exponent, too many digits or too large a scale.
	p := scanner{s: s}
	neg := p.eat('-')
	if !neg {
		p.eat('+')
	}
	var digits []byte
	frac := 0
	for !p.done() && p.peek() >= '0' && p.peek() <= '9' {
		digits = append(digits, p.peek())
		p.i++
	}
	if p.eat('.') {
		for !p.done() && p.peek() >= '0' && p.peek() <= '9' {
			digits = append(digits, p.peek())
			p.i++
			frac++
		}
	}
	if len(digits) == 0 {
		return types.Value{}, false
	}
	exp := int64(0)
	if p.eat('e') || p.eat('E') {
		eneg := p.eat('-')
		if !eneg {
			p.eat('+')
		}
		e, ok := p.digits(1, 6)
		if !ok {
			return types.Value{}, false
		}
		if eneg {
			e = -e
		}
		exp = e
	}
	if !p.done() {
		return types.Value{}, false
	}
	// value = digits * 10^(exp-frac): scale digits after the point.
	scale := int64(frac) - exp
	digits = trimLeadingZeros(digits)
	if len(digits) == 1 && digits[0] == '0' {
		return types.DecimalValue(0, uint8(min(max(scale, 0), decimal.MaxScale))), true
	}
	if scale < 0 {
		if int64(len(digits))-scale > maxBigDigits {
			return types.Value{}, false
		}
		for ; scale < 0; scale++ {
			digits = append(digits, '0')
		}
	}
	if scale > decimal.MaxScale {
		// Round half away from zero at the 18th digit after the point.
		drop := scale - decimal.MaxScale
		scale = decimal.MaxScale
		if drop > int64(len(digits)) {
			return types.DecimalValue(0, decimal.MaxScale), true
		}
		next := digits[int64(len(digits))-drop]
		digits = digits[:int64(len(digits))-drop]
		if next >= '5' {
			digits = incrementDigits(digits)
		}
		if len(digits) == 0 {
			digits = []byte{'0'}
		}
	}
	if len(digits) > maxBigDigits {
		return types.Value{}, false
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if int64(len(digits)) <= scale {
		b.WriteString("0.")
		for z := int64(len(digits)); z < scale; z++ {
			b.WriteByte('0')
		}
		b.Write(digits)
	} else {
		b.Write(digits[:int64(len(digits))-scale])
		if scale > 0 {
			b.WriteByte('.')
			b.Write(digits[int64(len(digits))-scale:])
		}
	}
	x, err := decimal.ParseBig(b.String())
	if err != nil {
		return types.Value{}, false
	}
	v, err := fromBig(x, "CAST")
	return v, err == nil
}

// incrementDigits adds one to a decimal digit string.
func incrementDigits(d []byte) []byte {
	for i := len(d) - 1; i >= 0; i-- {
		if d[i] < '9' {
			d[i]++
			return d
		}
		d[i] = '0'
	}
	return append([]byte{'1'}, d...)
}

func trimLeadingZeros(d []byte) []byte {
	for len(d) > 1 && d[0] == '0' {
		d = d[1:]
	}
	return d
}

func castTimestamp(v types.Value) (types.Value, bool) {
	switch v.K {
	case types.KindInt:
		return types.TimestampValue(v.I), true
	case types.KindFloat:
		i, ok := floatToInt(v.Float())
		return types.TimestampValue(i), ok
	case types.KindDecimal:
		i, ok := decimalToInt(v)
		return types.TimestampValue(i), ok
	case types.KindString:
		ms, ok := parseTimestamp(v.S)
		return types.TimestampValue(ms), ok
	}
	return types.Value{}, false
}

func castInterval(v types.Value) (types.Value, bool) {
	switch v.K {
	case types.KindInt:
		return types.IntervalValue(v.I), true
	case types.KindFloat:
		i, ok := floatToInt(v.Float())
		return types.IntervalValue(i), ok
	case types.KindDecimal:
		i, ok := decimalToInt(v)
		return types.IntervalValue(i), ok
	case types.KindString:
		ms, ok := parseInterval(v.S)
		return types.IntervalValue(ms), ok
	}
	return types.Value{}, false
}

// textOf is CAST(v AS STRING).
func textOf(v types.Value) string {
	if v.K == types.KindString {
		return v.S
	}
	var buf [48]byte
	return string(appendText(buf[:0], v))
}

// appendText appends the text form of v: what CAST(v AS STRING), CONCAT and
// || produce.
func appendText(dst []byte, v types.Value) []byte {
	switch v.K {
	case types.KindNull:
		return append(dst, "NULL"...)
	case types.KindBool:
		if v.I != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case types.KindInt:
		return strconv.AppendInt(dst, v.I, 10)
	case types.KindFloat:
		return appendFloat(dst, v.Float())
	case types.KindDecimal:
		if v.Big() {
			return append(dst, v.S...)
		}
		return decimal.Append(dst, v.I, v.Scale)
	case types.KindString:
		return append(dst, v.S...)
	case types.KindTimestamp:
		return cal.AppendTimestamp(dst, v.I)
	case types.KindInterval:
		return appendInterval(dst, v.I)
	}
	return append(dst, '?')
}

// appendFloat prints the shortest text that reads back as f, in plain
// notation for 1e-4 <= |f| < 1e15 and exponent notation outside (the
// thresholds PostgreSQL uses), with PostgreSQL's NaN and Infinity spellings.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-4 && a < 1e15) {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(dst, f, 'e', -1, 64)
}
