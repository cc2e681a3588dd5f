package functions

import (
	"testing"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/types"
)

var (
	sinkV   types.Value
	sinkI   int
	sinkB   bool
	sinkErr error
)

func benchArith(bm *testing.B, op ast.BinaryOp, a, b types.Value) {
	bm.ReportAllocs()
	for bm.Loop() {
		sinkV, sinkErr = Arith(op, a, b)
	}
}

func BenchmarkArith(bm *testing.B) {
	bm.Run("int_add", func(bm *testing.B) { benchArith(bm, ast.OpAdd, i(623), i(41)) })
	bm.Run("int_mul", func(bm *testing.B) { benchArith(bm, ast.OpMul, i(623), i(41)) })
	bm.Run("int_div", func(bm *testing.B) { benchArith(bm, ast.OpDiv, i(623), i(41)) })
	bm.Run("decimal_add_same_scale", func(bm *testing.B) { benchArith(bm, ast.OpAdd, d("623.41"), d("0.59")) })
	bm.Run("decimal_add_mixed_scale", func(bm *testing.B) { benchArith(bm, ast.OpAdd, d("623.41"), d("0.5")) })
	bm.Run("decimal_mul", func(bm *testing.B) { benchArith(bm, ast.OpMul, d("623.41"), i(100)) })
	bm.Run("decimal_div", func(bm *testing.B) { benchArith(bm, ast.OpDiv, d("623.41"), d("3.00")) })
	bm.Run("float_add", func(bm *testing.B) { benchArith(bm, ast.OpAdd, f(623.41), f(0.59)) })
	bm.Run("float_decimal_mul", func(bm *testing.B) { benchArith(bm, ast.OpMul, f(623.41), d("1.5")) })
	bm.Run("ts_plus_interval", func(bm *testing.B) { benchArith(bm, ast.OpAdd, tsm(1709211909123), iv(60000)) })
	bm.Run("int_overflow_promote", func(bm *testing.B) { benchArith(bm, ast.OpAdd, i(1<<62), i(1<<62)) })
}

func benchCompare(bm *testing.B, a, b types.Value) {
	bm.ReportAllocs()
	for bm.Loop() {
		sinkI, sinkB, sinkErr = Compare(a, b)
	}
}

func BenchmarkCompare(bm *testing.B) {
	bm.Run("int", func(bm *testing.B) { benchCompare(bm, i(623), i(624)) })
	bm.Run("decimal_same_scale", func(bm *testing.B) { benchCompare(bm, d("623.41"), d("623.42")) })
	bm.Run("int_decimal", func(bm *testing.B) { benchCompare(bm, i(623), d("623.00")) })
	bm.Run("decimal_float", func(bm *testing.B) { benchCompare(bm, d("623.41"), f(623.41)) })
	bm.Run("string", func(bm *testing.B) { benchCompare(bm, s("AAPL"), s("MSFT")) })
	bm.Run("timestamp", func(bm *testing.B) { benchCompare(bm, tsm(1), tsm(2)) })
	bm.Run("string_timestamp", func(bm *testing.B) { benchCompare(bm, s("2024-02-29T13:05:09.123Z"), tsm(2)) })
}

func benchFunc(bm *testing.B, name string, args ...types.Value) {
	argTypes := make([]types.Type, len(args))
	for k, a := range args {
		argTypes[k] = typeOf(a)
	}
	fn, _, err := Lookup(name, argTypes)
	if err != nil {
		bm.Fatal(err)
	}
	bm.ReportAllocs()
	for bm.Loop() {
		sinkV, sinkErr = fn.Eval(fakeEnv, args)
	}
	if sinkErr != nil {
		bm.Fatal(sinkErr)
	}
}

func BenchmarkFunctions(bm *testing.B) {
	at := tsm(1709211909123)
	bm.Run("ABS_decimal", func(bm *testing.B) { benchFunc(bm, "ABS", d("-623.41")) })
	bm.Run("ROUND_decimal", func(bm *testing.B) { benchFunc(bm, "ROUND", d("623.4567"), i(2)) })
	bm.Run("ROUND_float", func(bm *testing.B) { benchFunc(bm, "ROUND", f(623.4567), i(2)) })
	bm.Run("POWER_int", func(bm *testing.B) { benchFunc(bm, "POWER", i(3), i(13)) })
	bm.Run("COALESCE", func(bm *testing.B) { benchFunc(bm, "COALESCE", null, i(1), d("2.5")) })
	bm.Run("GREATEST", func(bm *testing.B) { benchFunc(bm, "GREATEST", i(1), d("2.5"), f(0.5)) })
	bm.Run("LENGTH_utf8", func(bm *testing.B) { benchFunc(bm, "LENGTH", s("héllo wörld")) })
	bm.Run("SUBSTRING", func(bm *testing.B) { benchFunc(bm, "SUBSTRING", s("héllo wörld"), i(2), i(5)) })
	bm.Run("UPPER_unchanged", func(bm *testing.B) { benchFunc(bm, "UPPER", s("AAPL")) })
	bm.Run("UPPER", func(bm *testing.B) { benchFunc(bm, "UPPER", s("aapl")) })
	bm.Run("CONCAT", func(bm *testing.B) { benchFunc(bm, "CONCAT", s("AAPL"), s(":"), d("623.41")) })
	bm.Run("EXTRACT_HOUR", func(bm *testing.B) {
		bm.ReportAllocs()
		for bm.Loop() {
			sinkV, sinkErr = Extract("HOUR", at)
		}
	})
	bm.Run("DATE_TRUNC_minute", func(bm *testing.B) { benchFunc(bm, "DATE_TRUNC", s("minute"), at) })
	bm.Run("DATE_TRUNC_month", func(bm *testing.B) { benchFunc(bm, "DATE_TRUNC", s("month"), at) })
	bm.Run("DATE_FORMAT", func(bm *testing.B) { benchFunc(bm, "DATE_FORMAT", at, s("yyyy-MM-dd HH:mm:ss")) })
	bm.Run("TO_TIMESTAMP_iso", func(bm *testing.B) { benchFunc(bm, "TO_TIMESTAMP", s("2024-02-29T13:05:09.123Z")) })
	bm.Run("TO_TIMESTAMP_pattern", func(bm *testing.B) {
		benchFunc(bm, "TO_TIMESTAMP", s("2024-02-29 13:05:09"), s("yyyy-MM-dd HH:mm:ss"))
	})
	bm.Run("REGEXP_LIKE", func(bm *testing.B) { benchFunc(bm, "REGEXP_LIKE", s("order-12345"), s("^order-[0-9]+$")) })
}

func BenchmarkCast(bm *testing.B) {
	cases := []struct {
		name string
		v    types.Value
		to   types.Type
	}{
		{"string_to_decimal", s("623.41"), types.Decimal},
		{"string_to_decimal_10_2", s("623.415"), decT(10, 2)},
		{"string_to_int", s("62341"), types.Int},
		{"string_to_float", s("623.41"), types.Float},
		{"string_to_timestamp", s("2024-02-29T13:05:09.123Z"), types.Timestamp},
		{"int_to_decimal_10_2", i(623), decT(10, 2)},
		{"float_to_decimal_10_2", f(623.41), decT(10, 2)},
		{"decimal_to_float", d("623.41"), types.Float},
		{"decimal_to_string", d("623.41"), types.String},
		{"timestamp_to_string", tsm(1709211909123), types.String},
	}
	for _, c := range cases {
		bm.Run(c.name, func(bm *testing.B) {
			bm.ReportAllocs()
			for bm.Loop() {
				sinkV, sinkErr = Cast(c.v, c.to)
			}
		})
	}
}

func BenchmarkLike(bm *testing.B) {
	for _, c := range []struct{ name, pattern, s string }{
		{"prefix", "AAP%", "AAPL"},
		{"contains", "%error%", "2024-02-29 request failed with error 503"},
		{"general", "%re_uest%error%", "2024-02-29 request failed with error 503"},
	} {
		m, err := CompileLike(c.pattern)
		if err != nil {
			bm.Fatal(err)
		}
		bm.Run(c.name, func(bm *testing.B) {
			bm.ReportAllocs()
			for bm.Loop() {
				sinkB = m.Match(c.s)
			}
		})
	}
}
