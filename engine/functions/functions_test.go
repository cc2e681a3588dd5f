package functions

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

type call struct {
	name    string
	args    []types.Value
	want    types.Value
	wantErr string
	// kindMayDiffer marks documented cases where the run-time kind is not
	// the static one (an exact POWER that does not fit falls back to DOUBLE).
	kindMayDiffer bool
	// anyOnly calls are only valid with arguments typed ANY (run-time
	// leniency the static check does not grant).
	anyOnly bool
}

func c(name string, want types.Value, args ...types.Value) call {
	return call{name: name, args: args, want: want}
}

func cerr(name, wantErr string, args ...types.Value) call {
	return call{name: name, args: args, wantErr: wantErr}
}

func typeOf(v types.Value) types.Type {
	return types.Type{Kind: v.K}
}

var fakeEnv = &Env{NowMillis: func() int64 { return 1709211909123 }}

func runCalls(t *testing.T, calls []call) {
	t.Helper()
	for _, tt := range calls {
		argTypes := make([]types.Type, len(tt.args))
		for k, a := range tt.args {
			argTypes[k] = typeOf(a)
		}
		what := tt.name + "(" + strings.Join(func() []string {
			var out []string
			for _, a := range tt.args {
				out = append(out, show(a))
			}
			return out
		}(), ", ") + ")"
		if tt.anyOnly {
			for k := range argTypes {
				argTypes[k] = types.Any
			}
		}
		fn, ret, err := Lookup(tt.name, argTypes)
		if err != nil {
			checkErr(t, what+" lookup", err, tt.wantErr)
			continue
		}
		got, err := fn.Eval(fakeEnv, tt.args)
		if !checkErr(t, what, err, tt.wantErr) {
			continue
		}
		if !same(got, tt.want) {
			t.Errorf("%s = %s, want %s", what, show(got), show(tt.want))
		}
		if got.K != types.KindNull && ret.Kind != types.KindAny && ret.Kind != types.KindNull && got.K != ret.Kind && !tt.kindMayDiffer && !got.Big() {
			t.Errorf("%s: static type %s but the value is %s", what, ret, got.K)
		}
		// The same call with every argument typed only at run time (ANY)
		// must give an equal value: the run-time checks and conversions
		// match the static ones.
		anyTypes := make([]types.Type, len(tt.args))
		for k := range anyTypes {
			anyTypes[k] = types.Any
		}
		fnAny, _, err := Lookup(tt.name, anyTypes)
		if err != nil {
			t.Errorf("%s with ANY arguments: lookup failed: %v", what, err)
			continue
		}
		gotAny, err := fnAny.Eval(fakeEnv, tt.args)
		if err != nil {
			t.Errorf("%s with ANY arguments: %v", what, err)
			continue
		}
		if eq, ok := Equal(gotAny, got); !(eq || !ok && gotAny.K == got.K) && !same(gotAny, got) {
			t.Errorf("%s with ANY arguments = %s, typed = %s", what, show(gotAny), show(got))
		}
	}
}

func TestStringFunctions(t *testing.T) {
	big := strings.Repeat("a", 1<<20)
	runCalls(t, []call{
		c("UPPER", s("HÉLLO"), s("héllo")),
		c("upper", s("ABC"), s("ABC")),
		c("UPPER", null, null),
		c("LOWER", s("àb"), s("ÀB")),
		c("SUBSTRING", s("ello"), s("hello"), i(2)),
		c("SUBSTRING", s("ell"), s("hello"), i(2), i(3)),
		c("SUBSTRING", s("he"), s("hello"), i(0), i(3)),
		c("SUBSTRING", s("h"), s("hello"), i(-1), i(3)),
		c("SUBSTRING", s(""), s("hello"), i(-5), i(3)),
		c("SUBSTRING", s(""), s("hello"), i(10)),
		c("SUBSTRING", s("hello"), s("hello"), i(-3)),
		c("SUBSTRING", s("él"), s("héllo"), i(2), i(2)),
		c("SUBSTRING", s("日本"), s("日本語"), i(1), i(2)),
		c("SUBSTRING", s("hello"), s("hello"), i(1), i(math.MaxInt64)),
		c("SUBSTRING", s(""), s("hello"), i(math.MinInt64), i(math.MaxInt64)),
		{name: "SUBSTRING", args: []types.Value{s("abc"), f(2)}, want: s("bc"), anyOnly: true},
		{name: "SUBSTRING", args: []types.Value{s("abc"), d("2.0")}, want: s("bc"), anyOnly: true},
		c("SUBSTRING", null, s("abc"), null),
		cerr("SUBSTRING", "SUBSTRING length must not be negative, got -1", s("hello"), i(2), i(-1)),
		{name: "SUBSTRING", args: []types.Value{s("abc"), f(1.5)}, anyOnly: true,
			wantErr: "SUBSTRING expects a whole number for argument 2 (start), got 1.5"},
		c("SUBSTR", s("bc"), s("abc"), i(2)),
		c("CONCAT", s("a12.50true"), s("a"), null, i(1), d("2.50"), b(true)),
		c("CONCAT", s(""), null),
		c("CONCAT", s("x1970-01-01T00:00:00.000Z"), s("x"), tsm(0)),
		c("LENGTH", i(5), s("héllo")),
		c("LENGTH", i(0), s("")),
		c("CHAR_LENGTH", i(2), s("日本")),
		c("CHARACTER_LENGTH", i(3), s("abc")),
		c("LENGTH", null, null),
		c("TRIM", s("a b"), s("  a b  ")),
		c("TRIM", s("\ta"), s(" \ta ")),
		c("TRIM", s("a"), s("xxaxx"), s("x")),
		c("TRIM", s("a"), s("ééaé"), s("é")),
		c("LTRIM", s("a  "), s("  a  ")),
		c("RTRIM", s("  a"), s("  a  ")),
		c("RTRIM", s("a"), s("a.,.,"), s(",.")),
		c("REPLACE", s("a+b+c"), s("a-b-c"), s("-"), s("+")),
		c("REPLACE", s("abc"), s("abc"), s(""), s("x")),
		c("REPLACE", s(""), s("aaa"), s("a"), s("")),
		c("REPLACE", s("hällo"), s("hallo"), s("a"), s("ä")),
		cerr("REPLACE", "REPLACE result would reach 34603008 bytes, above the limit of 16777216 bytes", s(big), s("a"), s(strings.Repeat("b", 33))),
		c("LEFT", s("hé"), s("héllo"), i(2)),
		c("LEFT", s("hel"), s("hello"), i(-2)),
		c("LEFT", s("hello"), s("hello"), i(10)),
		c("LEFT", s(""), s("hello"), i(-10)),
		c("RIGHT", s("lo"), s("héllo"), i(2)),
		c("RIGHT", s("llo"), s("hello"), i(-2)),
		c("RIGHT", s(""), s("hello"), i(0)),
		c("RIGHT", s(""), s("hello"), i(-10)),
		c("RIGHT", s("hello"), s("hello"), i(10)),
		c("LPAD", s("005"), s("5"), i(3), s("0")),
		c("LPAD", s("ab"), s("abc"), i(2)),
		c("LPAD", s("xyxab"), s("ab"), i(5), s("xy")),
		c("LPAD", s("  ab"), s("ab"), i(4)),
		c("LPAD", s("üüé"), s("é"), i(3), s("ü")),
		c("LPAD", s("ab"), s("ab"), i(5), s("")),
		c("LPAD", s(""), s("ab"), i(-1)),
		cerr("LPAD", "LPAD length 2000000 exceeds the limit of 1048576 characters", s("ab"), i(2000000)),
		c("RPAD", s("abxyx"), s("ab"), i(5), s("xy")),
		c("RPAD", s("ab"), s("abc"), i(2)),
		c("RPAD", s("日本  "), s("日本"), i(4)),
		c("POSITION", i(4), s("lo"), s("héllo")),
		c("POSITION", i(0), s("z"), s("abc")),
		c("POSITION", i(1), s(""), s("abc")),
		c("STRPOS", i(4), s("héllo"), s("lo")),
		c("SPLIT_PART", s("b"), s("a,b,,c"), s(","), i(2)),
		c("SPLIT_PART", s(""), s("a,b,,c"), s(","), i(3)),
		c("SPLIT_PART", s("c"), s("a,b,,c"), s(","), i(4)),
		c("SPLIT_PART", s(""), s("a,b,,c"), s(","), i(5)),
		c("SPLIT_PART", s("c"), s("a,b,,c"), s(","), i(-1)),
		c("SPLIT_PART", s("a"), s("a,b,,c"), s(","), i(-4)),
		c("SPLIT_PART", s(""), s("a,b,,c"), s(","), i(-5)),
		c("SPLIT_PART", s("b"), s("a::b"), s("::"), i(2)),
		c("SPLIT_PART", s("abc"), s("abc"), s(""), i(1)),
		c("SPLIT_PART", s(""), s("abc"), s(""), i(2)),
		cerr("SPLIT_PART", "SPLIT_PART field position must not be zero", s("a,b"), s(","), i(0)),
		c("REGEXP_LIKE", b(true), s("abc123"), s("[0-9]+$")),
		c("REGEXP_LIKE", b(false), s("abc"), s("^b")),
		cerr("REGEXP_LIKE", "REGEXP_LIKE: invalid regular expression '('", s("abc"), s("(")),
		cerr("REGEXP_LIKE", "REGEXP_LIKE pattern of 5000 bytes exceeds the limit of 4096 bytes", s("abc"), s(strings.Repeat("a", 5000))),
		c("REGEXP_EXTRACT", s("42"), s("order-42-x"), s("[0-9]+")),
		c("REGEXP_EXTRACT", s("v"), s("k=v"), s(`(\w+)=(\w+)`), i(2)),
		c("REGEXP_EXTRACT", null, s("abc"), s("[0-9]")),
		c("REGEXP_EXTRACT", null, s("ac"), s("a(b)?c"), i(1)),
		cerr("REGEXP_EXTRACT", "REGEXP_EXTRACT group 2 does not exist: the pattern has 0", s("abc"), s("b"), i(2)),
		c("REGEXP_REPLACE", s("a#b#"), s("a1b22"), s("[0-9]+"), s("#")),
		c("REGEXP_REPLACE", s("smith, john"), s("john smith"), s(`(\w+) (\w+)`), s("$2, $1")),
		c("REGEXP_REPLACE", s("abc"), s("abc"), s("x"), s("y")),
		cerr("REGEXP_REPLACE", "REGEXP_REPLACE result would reach", s(big), s("a+"), s(strings.Repeat("$0", 20))),
	})
}

func TestMathFunctions(t *testing.T) {
	runCalls(t, []call{
		c("ABS", i(5), i(-5)),
		c("ABS", d("9223372036854775808"), i(math.MinInt64)),
		c("ABS", d("1.50"), d("-1.50")),
		c("ABS", d("9223372036854775809"), d("-9223372036854775809")),
		c("ABS", f(0), f(math.Copysign(0, -1))),
		c("ABS", f(2.5), f(-2.5)),
		c("ABS", null, null),
		c("ROUND", d("3"), d("2.5")),
		c("ROUND", d("-3"), d("-2.5")),
		c("ROUND", d("1.23"), d("1.2345"), i(2)),
		c("ROUND", d("1.24"), d("1.235"), i(2)),
		c("ROUND", d("1.5"), d("1.5"), i(3)),
		c("ROUND", d("12300"), d("12345.678"), i(-2)),
		c("ROUND", d("9223372036854775809"), d("9223372036854775808.5")),
		c("ROUND", d("9223372036854775808.5"), d("9223372036854775808.45"), i(1)),
		c("ROUND", d("9223372036854800000"), d("9223372036854775808.5"), i(-5)),
		c("ROUND", i(1300), i(1250), i(-2)),
		c("ROUND", i(-1300), i(-1250), i(-2)),
		c("ROUND", i(1234), i(1234), i(2)),
		c("ROUND", i(0), i(1234), i(-30)),
		c("ROUND", d("9223372036854775810"), i(math.MaxInt64), i(-1)),
		c("ROUND", f(2.68), f(2.675), i(2)),
		c("ROUND", f(-3), f(-2.5)),
		c("ROUND", f(1), f(0.5)),
		c("ROUND", f(1.01), f(1.005), i(2)),
		c("ROUND", f(1200), f(1234.5678), i(-2)),
		c("ROUND", f(10), f(9.995), i(2)),
		c("ROUND", f(1e300), f(1e300), i(2)),
		c("ROUND", f(0), f(0.0001), i(2)),
		c("ROUND", f(math.Copysign(0, -1)), f(-0.0001), i(2)),
		c("ROUND", f(1.2e-20), f(1.23456e-20), i(21)),
		c("ROUND", f(math.Inf(1)), f(math.Inf(1))),
		{name: "ROUND", args: []types.Value{d("1.45"), f(1)}, want: d("1.5"), anyOnly: true},
		cerr("ROUND", "ROUND expects a BIGINT value for argument 2 (digits), got STRING", f(1), s("a")),
		cerr("ROUND", "ROUND expects a numeric value for argument 1 (x), got STRING", s("1")),
		c("FLOOR", d("-2"), d("-1.5")),
		c("FLOOR", d("1"), d("1.5")),
		c("FLOOR", f(-2), f(-1.5)),
		c("FLOOR", i(3), i(3)),
		c("FLOOR", d("9223372036854775808"), d("9223372036854775808.5")),
		c("FLOOR", d("-9223372036854775809"), d("-9223372036854775808.5")),
		c("CEIL", d("-1"), d("-1.5")),
		c("CEIL", d("2"), d("1.2")),
		c("CEIL", d("9223372036854775809"), d("9223372036854775808.5")),
		c("CEILING", f(2), f(1.2)),
		c("POWER", i(1024), i(2), i(10)),
		c("POWER", i(1), i(7), i(0)),
		c("POWER", i(-27), i(-3), i(3)),
		c("POWER", d("2.25"), d("1.5"), i(2)),
		c("POWER", d("0.0000000001"), d("0.1"), i(10)),
		{name: "POWER", args: []types.Value{i(2), i(63)}, want: f(9223372036854775808), kindMayDiffer: true},
		{name: "POWER", args: []types.Value{i(2), i(-1)}, want: f(0.5), kindMayDiffer: true},
		{name: "POWER", args: []types.Value{d("0.01"), i(10)}, want: f(math.Pow(0.01, 10)), kindMayDiffer: true},
		c("POWER", f(math.Sqrt2), i(2), f(0.5)),
		c("POWER", f(8), f(2), d("3")),
		c("POW", i(27), i(3), i(3)),
		cerr("POWER", "zero raised to a negative power is undefined", i(0), i(-1)),
		cerr("POWER", "a negative number raised to a non-integer power yields a complex result", i(-8), f(1.0/3)),
		cerr("POWER", "POWER result is out of the DOUBLE range", i(10), f(400)),
		c("SQRT", f(4), i(16)),
		c("SQRT", f(1.5), d("2.25")),
		cerr("SQRT", "cannot take the square root of a negative number", i(-1)),
		c("LN", f(0), i(1)),
		cerr("LN", "cannot take the logarithm of zero", d("0.0")),
		cerr("LN", "cannot take the logarithm of a negative number", f(-1)),
		c("LOG10", f(3), i(1000)),
		cerr("LOG10", "cannot take the logarithm of zero", i(0)),
		c("EXP", f(1), i(0)),
		cerr("EXP", "EXP result is out of the DOUBLE range", i(1000)),
		c("MOD", i(-1), i(-7), i(3)),
		c("MOD", d("1.5"), d("5.5"), i(2)),
		cerr("MOD", "division by zero", i(1), i(0)),
		c("SIGN", i(-1), i(-3)),
		c("SIGN", dm(0, 0), d("0.00")),
		c("SIGN", dm(-1, 0), d("-9223372036854775809")),
		c("SIGN", f(1), f(2.5)),
		c("SIGN", f(math.NaN()), f(math.NaN())),
		c("GREATEST", d("2.5"), i(1), d("2.5"), null),
		c("GREATEST", dm(3, 0), i(3), d("2.5")),
		c("GREATEST", s("b"), s("a"), s("b")),
		c("GREATEST", null, null, null),
		c("LEAST", f(0.5), i(1), f(0.5)),
		c("LEAST", ts("2024-01-01"), ts("2024-02-01"), s("2024-01-01")),
		c("LEAST", i(-5), i(3), null, i(-5)),
		cerr("GREATEST", "GREATEST arguments have no common type: BIGINT and STRING", i(1), s("a")),
	})
}

func TestConditionalFunctions(t *testing.T) {
	runCalls(t, []call{
		c("COALESCE", i(2), null, i(2), i(3)),
		c("COALESCE", null, null, null),
		c("COALESCE", dm(1, 0), null, i(1), d("2.5")),
		c("COALESCE", f(1), i(1), f(2.5)),
		c("COALESCE", ts("2024-01-01"), null, s("2024-01-01"), ts("2024-02-01")),
		cerr("COALESCE", "COALESCE arguments have no common type: BIGINT and STRING", i(1), s("a")),
		c("IFNULL", s("x"), null, s("x")),
		c("IFNULL", s("a"), s("a"), s("x")),
		c("NULLIF", null, i(1), i(1)),
		c("NULLIF", i(1), i(1), i(2)),
		c("NULLIF", null, i(1), d("1.0")),
		c("NULLIF", null, null, i(1)),
		c("NULLIF", i(1), i(1), null),
		c("NULLIF", s("a"), s("a"), s("b")),
		cerr("NULLIF", "NULLIF cannot compare STRING with BIGINT", s("a"), i(1)),
	})
}

func TestTimeFunctions(t *testing.T) {
	leap := ts("2024-02-29T13:05:09.123Z") // a Thursday
	runCalls(t, []call{
		c("NOW", tsm(1709211909123)),
		c("CURRENT_TIMESTAMP", tsm(1709211909123)),
		c("TO_TIMESTAMP", tsm(0), i(0)),
		c("TO_TIMESTAMP", tsm(-1), i(-1)),
		c("TO_TIMESTAMP", tsm(2), d("1.5")),
		c("TO_TIMESTAMP", tsm(2), f(1.5)),
		c("TO_TIMESTAMP", leap, s("2024-02-29T13:05:09.123Z")),
		c("TO_TIMESTAMP", leap, leap),
		c("TO_TIMESTAMP", ts("2024-02-29T13:05:00Z"), s("29/02/2024 13:05"), s("dd/MM/yyyy HH:mm")),
		c("TO_TIMESTAMP", ts("2024-02-29T12:05:00Z"), s("2024-02-29 13:05 +0100"), s("yyyy-MM-dd HH:mm Z")),
		c("TO_TIMESTAMP", null, null, s("yyyy")),
		cerr("TO_TIMESTAMP", "TO_TIMESTAMP cannot read 'garbage' as an ISO 8601 timestamp", s("garbage")),
		cerr("TO_TIMESTAMP", "TO_TIMESTAMP cannot parse '2024' with pattern 'yyyy-MM': expected '-' at offset 4", s("2024"), s("yyyy-MM")),
		cerr("TO_TIMESTAMP", "TO_TIMESTAMP with a pattern expects a STRING first argument, got BIGINT", i(1), s("yyyy")),
		cerr("TO_TIMESTAMP", "TO_TIMESTAMP expects epoch milliseconds, a STRING or a TIMESTAMP, got BOOLEAN", b(true)),
		cerr("TO_TIMESTAMP", "TO_TIMESTAMP: datetime pattern 'Q': unsupported letter 'Q' at offset 0", s("2024"), s("Q")),
		c("FROM_UNIXTIME", ts("2024-02-29T13:05:09Z"), i(1709211909)),
		c("FROM_UNIXTIME", tsm(1500), d("1.5")),
		c("FROM_UNIXTIME", tsm(-2), f(-0.0015)),
		cerr("FROM_UNIXTIME", "FROM_UNIXTIME: 9223372036854775807 seconds is out of the TIMESTAMP range", i(math.MaxInt64)),
		c("UNIX_TIMESTAMP", i(-1), ts("1969-12-31T23:59:59.500Z")),
		c("UNIX_TIMESTAMP", i(10), s("1970-01-01T00:00:10Z")),
		c("UNIX_TIMESTAMP", i(1709211909)),
		cerr("UNIX_TIMESTAMP", "UNIX_TIMESTAMP cannot read 'x' as an ISO 8601 timestamp (argument 1, ts)", s("x")),
		c("DATE_TRUNC", ts("2024-02-29T13:05:09Z"), s("second"), leap),
		c("DATE_TRUNC", ts("2024-02-29T13:05:00Z"), s("minute"), leap),
		c("DATE_TRUNC", ts("2024-02-29T13:00:00Z"), s("hour"), leap),
		c("DATE_TRUNC", ts("2024-02-29"), s("day"), leap),
		c("DATE_TRUNC", ts("2024-02-26"), s("week"), leap),
		c("DATE_TRUNC", ts("2024-02-01"), s("MONTH"), leap),
		c("DATE_TRUNC", ts("2024-01-01"), s("quarter"), leap),
		c("DATE_TRUNC", ts("2024-10-01"), s("quarter"), ts("2024-12-31T23:59:59.999Z")),
		c("DATE_TRUNC", ts("2024-01-01"), s("year"), leap),
		c("DATE_TRUNC", ts("1969-12-31"), s("day"), ts("1969-12-31T23:59:59.999Z")),
		c("DATE_TRUNC", ts("1969-12-29"), s("week"), ts("1970-01-01T12:00:00Z")),
		c("DATE_TRUNC", ts("1969-12-01"), s("month"), tsm(-1)),
		c("DATE_TRUNC", ts("2024-02-29T13:00:00Z"), s("hour"), s("2024-02-29T13:59:59Z")),
		cerr("DATE_TRUNC", "DATE_TRUNC unit 'fortnight' is not one of millisecond, second, minute, hour, day, week, month, quarter, year", s("fortnight"), leap),
		cerr("DATE_TRUNC", "DATE_TRUNC expects a TIMESTAMP value for argument 2 (ts), got BIGINT", s("day"), i(5)),
		c("DATE_FORMAT", s("2024-02-29 13:05:09.123"), leap, s("yyyy-MM-dd HH:mm:ss.SSS")),
		c("DATE_FORMAT", s("Thu 29 Feb"), leap, s("EEE d MMM")),
		c("DATE_FORMAT", s("1969-12-31"), tsm(-1), s("yyyy-MM-dd")),
		cerr("DATE_FORMAT", "DATE_FORMAT: datetime pattern '%Y': use Java-style letters", leap, s("%Y")),
	})
}

func TestNowNeedsAClock(t *testing.T) {
	for _, name := range []string{"NOW", "UNIX_TIMESTAMP"} {
		fn, _, err := Lookup(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range []*Env{nil, {}} {
			if _, err := fn.Eval(env, nil); err == nil || !strings.Contains(err.Error(), "no processing-time clock") {
				t.Errorf("%s without a clock: err = %v", name, err)
			}
		}
	}
}

func TestLookupErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []types.Type
		wantErr string
	}{
		{"UPPER", []types.Type{types.Int}, "UPPER expects a STRING argument, got BIGINT"},
		{"upper", []types.Type{types.Int}, "UPPER expects a STRING argument, got BIGINT"},
		{"ROUND", []types.Type{types.Float, types.Int, types.Int}, "ROUND takes 1 or 2 arguments, got 3"},
		{"ROUND", nil, "ROUND takes 1 or 2 arguments, got 0"},
		{"UPPER", []types.Type{types.String, types.String}, "UPPER takes 1 argument, got 2"},
		{"CONCAT", nil, "CONCAT takes at least 1 argument, got 0"},
		{"NOW", []types.Type{types.Int}, "NOW takes no arguments, got 1"},
		{"SPLIT_PART", []types.Type{types.String, types.String}, "SPLIT_PART takes 3 arguments, got 2"},
		{"UNIX_TIMESTAMP", []types.Type{types.Timestamp, types.Int}, "UNIX_TIMESTAMP takes 0 or 1 arguments, got 2"},
		{"SUBSTRING", []types.Type{types.String, types.String}, "SUBSTRING expects a BIGINT value for argument 2 (start), got STRING"},
		{"SUBSTR", []types.Type{types.Int, types.Int}, "SUBSTR expects a STRING value for argument 1 (s), got BIGINT"},
		{"SUBSTRING", []types.Type{types.String, types.Decimal}, "SUBSTRING expects a BIGINT value for argument 2 (start), got DECIMAL"},
		{"ABS", []types.Type{types.String}, "ABS expects a numeric argument, got STRING"},
		{"SQRT", []types.Type{types.Timestamp}, "SQRT expects a numeric argument, got TIMESTAMP"},
		{"POWER", []types.Type{types.Int, types.Bool}, "POWER expects a numeric value for argument 2 (y), got BOOLEAN"},
		{"DATE_TRUNC", []types.Type{types.String, types.Int}, "DATE_TRUNC expects a TIMESTAMP value for argument 2 (ts), got BIGINT"},
		{"DATE_FORMAT", []types.Type{types.Timestamp, types.Int}, "DATE_FORMAT expects a STRING value for argument 2 (pattern), got BIGINT"},
		{"LENGTH", []types.Type{{Kind: types.KindDecimal, Precision: 10, Scale: 2}}, "LENGTH expects a STRING argument, got DECIMAL(10,2)"},
		{"COALESCE", []types.Type{types.Int, types.Bool}, "COALESCE arguments have no common type: BIGINT and BOOLEAN"},
		{"GREATEST", []types.Type{types.Timestamp, types.Interval}, "GREATEST arguments have no common type: TIMESTAMP and INTERVAL"},
		{"NULLIF", []types.Type{types.Bool, types.String}, "NULLIF cannot compare BOOLEAN with STRING"},
		{"TO_TIMESTAMP", []types.Type{types.Int, types.String}, "TO_TIMESTAMP with a pattern expects a STRING first argument, got BIGINT"},
		{"TO_TIMESTAMP", []types.Type{types.Interval}, "TO_TIMESTAMP expects epoch milliseconds, a STRING or a TIMESTAMP, got INTERVAL"},
		{"UPPR", []types.Type{types.String}, "unknown function UPPR (did you mean UPPER?)"},
		{"substrng", nil, "unknown function SUBSTRNG (did you mean SUBSTRING?)"},
		{"COALESCE2", nil, "unknown function COALESCE2 (did you mean COALESCE?)"},
		{"FROBNICATE", nil, "unknown function FROBNICATE"},
	}
	for _, tt := range tests {
		_, _, err := Lookup(tt.name, tt.args)
		checkErr(t, tt.name, err, tt.wantErr)
		if err != nil && strings.HasPrefix(tt.wantErr, "unknown function") && !errors.Is(err, ErrUnknownFunction) {
			t.Errorf("%s: error %v does not wrap ErrUnknownFunction", tt.name, err)
		}
	}
	if _, _, err := Lookup("FROBNICATE", nil); err.Error() != "unknown function FROBNICATE" {
		t.Errorf("unknown function without a close name: %q", err)
	}
}

func TestLookupAcceptsAnyAndNull(t *testing.T) {
	for _, name := range Names() {
		s, _ := find(name)
		n := max(s.min, 1)
		if len(s.params) == 0 {
			n = 0
		}
		for _, k := range []types.Type{types.Any, types.Null} {
			args := make([]types.Type, n)
			for j := range args {
				args[j] = k
			}
			if _, _, err := Lookup(name, args); err != nil {
				t.Errorf("Lookup(%s, %d x %s): %v", name, n, k, err)
			}
		}
	}
}

func TestRuntimeArgumentChecks(t *testing.T) {
	tests := []struct {
		name    string
		args    []types.Value
		wantErr string
	}{
		{"UPPER", []types.Value{i(1)}, "UPPER expects a STRING argument, got BIGINT"},
		{"SUBSTRING", []types.Value{s("a"), s("1")}, "SUBSTRING expects a BIGINT value for argument 2 (start), got STRING"},
		{"ABS", []types.Value{s("1")}, "ABS expects a numeric argument, got STRING"},
		{"DATE_TRUNC", []types.Value{s("day"), b(true)}, "DATE_TRUNC expects a TIMESTAMP value for argument 2 (ts), got BOOLEAN"},
		{"GREATEST", []types.Value{i(1), s("a")}, "GREATEST: cannot compare STRING with BIGINT"},
		{"NULLIF", []types.Value{i(1), s("a")}, "NULLIF: cannot compare BIGINT with STRING"},
		{"EXP", []types.Value{tsm(1)}, "EXP expects a numeric argument, got TIMESTAMP"},
	}
	for _, tt := range tests {
		anyTypes := make([]types.Type, len(tt.args))
		for k := range anyTypes {
			anyTypes[k] = types.Any
		}
		fn, ret, err := Lookup(tt.name, anyTypes)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if _, err := fn.Eval(nil, tt.args); !checkErr(t, tt.name, err, tt.wantErr) {
			continue
		}
		t.Errorf("%s (ret %s): no error", tt.name, ret)
	}
	// Eval with a different number of arguments than Lookup saw.
	fn, _, _ := Lookup("UPPER", []types.Type{types.String})
	_, err := fn.Eval(nil, []types.Value{s("a"), s("b")})
	checkErr(t, "UPPER with 2 values", err, "UPPER takes 1 argument, got 2")
}

func TestSignatureAndDoc(t *testing.T) {
	tests := map[string]string{
		"SUBSTRING":      "SUBSTRING(s STRING, start BIGINT [, length BIGINT]) -> STRING",
		"substr":         "SUBSTR(s STRING, start BIGINT [, length BIGINT]) -> STRING",
		"CONCAT":         "CONCAT(value ANY [, ...]) -> STRING",
		"NOW":            "NOW() -> TIMESTAMP",
		"UNIX_TIMESTAMP": "UNIX_TIMESTAMP([ts TIMESTAMP]) -> BIGINT",
		"ROUND":          "ROUND(x NUMERIC [, digits BIGINT]) -> type of x",
		"LPAD":           "LPAD(s STRING, length BIGINT [, fill STRING]) -> STRING",
		"COALESCE":       "COALESCE(value ANY [, ...]) -> common type",
		"DATE_TRUNC":     "DATE_TRUNC(unit STRING, ts TIMESTAMP) -> TIMESTAMP",
		"REGEXP_LIKE":    "REGEXP_LIKE(s STRING, pattern STRING) -> BOOLEAN",
		"nope":           "",
	}
	for name, want := range tests {
		if got := Signature(name); got != want {
			t.Errorf("Signature(%s) = %q, want %q", name, got, want)
		}
	}
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() is not sorted")
	}
	for _, want := range []string{"UPPER", "SUBSTR", "CEILING", "CURRENT_TIMESTAMP", "POW", "IFNULL", "DATE_FORMAT"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %s", want)
		}
	}
	for _, n := range names {
		if Signature(n) == "" || Doc(n) == "" {
			t.Errorf("%s has no signature or doc", n)
		}
	}
	if Doc("nope") != "" {
		t.Errorf("Doc of an unknown name is not empty")
	}
}

func TestVolatile(t *testing.T) {
	tests := []struct {
		name string
		args []types.Type
		want bool
	}{
		{"NOW", nil, true},
		{"current_timestamp", nil, true},
		{"UNIX_TIMESTAMP", nil, true},
		{"UNIX_TIMESTAMP", []types.Type{types.Timestamp}, false},
		{"UPPER", []types.Type{types.String}, false},
	}
	for _, tt := range tests {
		fn, _, err := Lookup(tt.name, tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if fn.Volatile() != tt.want {
			t.Errorf("%s(%d args).Volatile() = %v", tt.name, len(tt.args), !tt.want)
		}
	}
}

// TestPatternCacheConcurrent evaluates one call site from many goroutines
// with alternating patterns; with -race it checks the cache is safe, and
// without it that a cached pattern is never applied to another's text.
func TestPatternCacheConcurrent(t *testing.T) {
	fmtFn, _, _ := Lookup("DATE_FORMAT", []types.Type{types.Timestamp, types.String})
	reFn, _, _ := Lookup("REGEXP_EXTRACT", []types.Type{types.String, types.String})
	at := ts("2024-02-29T13:05:09Z")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 500 {
				pat, want := "yyyy", "2024"
				re, wantRe := "[a-z]+", "abc"
				if (g+k)%2 == 1 {
					pat, want = "HH:mm", "13:05"
					re, wantRe = "[0-9]+", "123"
				}
				v, err := fmtFn.Eval(nil, []types.Value{at, s(pat)})
				if err != nil || v.S != want {
					t.Errorf("DATE_FORMAT(%s) = %q, %v", pat, v.S, err)
					return
				}
				v, err = reFn.Eval(nil, []types.Value{s("abc123"), s(re)})
				if err != nil || v.S != wantRe {
					t.Errorf("REGEXP_EXTRACT(%s) = %q, %v", re, v.S, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestRoundFloatFastPath checks the arithmetic fast path of ROUND on DOUBLE
// against rounding strconv's shortest text, on random values and on the
// near-ties where the two could part (x.xx5 written in decimal).
func TestRoundFloatFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	check := func(x float64, d int) {
		if got, want := roundFloat(x, d), roundFloatText(x, d); got != want && !(got == 0 && want == 0) {
			t.Fatalf("roundFloat(%v, %d) = %v, text rounding gives %v", x, d, got, want)
		}
	}
	for range 300_000 {
		d := r.IntN(12)
		x := (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(14)))
		check(x, d)
		// A decimal tie at digit d: n + 0.5 units of 10^-d, read as a float.
		n := float64(r.Int64N(1_000_000))
		tie, _ := strconv.ParseFloat(strconv.FormatFloat(n, 'f', 0, 64)+"5e-"+strconv.Itoa(d+1), 64)
		check(tie, d)
		check(-tie, d)
	}
}
