package assert

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Op is a comparison operator.
type Op string

const (
	Eq      Op = "="
	Ne      Op = "!="
	Gt      Op = ">"
	Ge      Op = ">="
	Lt      Op = "<"
	Le      Op = "<="
	Between Op = "between"
)

// Comparison is "op A" or "between A and B" over a number.
type Comparison struct {
	Op   Op
	A, B float64
	Unit string // for rendering: "ms", "%", " MB", ""
}

// Check reports whether x satisfies the comparison.
func (c Comparison) Check(x float64) bool {
	switch c.Op {
	case Eq:
		return x == c.A
	case Ne:
		return x != c.A
	case Gt:
		return x > c.A
	case Ge:
		return x >= c.A
	case Lt:
		return x < c.A
	case Le:
		return x <= c.A
	case Between:
		return x >= c.A && x <= c.B
	}
	return false
}

// String renders the comparison as in messages: "> 0", "< 1000ms",
// "between 1 and 10".
func (c Comparison) String() string {
	if c.Op == Between {
		return fmt.Sprintf("between %s and %s", c.num(c.A), c.num(c.B))
	}
	return fmt.Sprintf("%s %s", c.Op, c.num(c.A))
}

func (c Comparison) num(x float64) string {
	if c.Unit == "%" {
		return fmtNum(x*100) + "%"
	}
	return fmtNum(x) + c.Unit
}

// fmtNum renders a number without a needless fraction, with thousands
// separators for large whole numbers.
func fmtNum(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return thousands(int64(x))
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= 4 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Thousands renders n with thousands separators (for reports).
func Thousands(n int64) string { return thousands(n) }

// opNames are the spec's spellings of operators.
var opNames = map[string]Op{
	"equals": Eq, "eq": Eq, "not_equals": Ne, "ne": Ne,
	"greater_than": Gt, "gt": Gt, "greater_than_or_equal": Ge, "gte": Ge, "ge": Ge,
	"less_than": Lt, "lt": Lt, "less_than_or_equal": Le, "lte": Le, "le": Le,
	"between": Between,
}

// ParseComparison reads "> 0", ">= 80%", "= 7", "between 1 and 10", "< 1s"
// or a bare number (equality). unit is what the assertion measures
// ("ms", "%", " MB" or ""); it decides which suffixes are accepted.
func ParseComparison(s, unit string) (Comparison, error) {
	s = strings.TrimSpace(s)
	c := Comparison{Unit: unit}
	low := strings.ToLower(s)
	if strings.HasPrefix(low, "between ") {
		rest := strings.TrimSpace(s[len("between "):])
		i := strings.Index(strings.ToLower(rest), " and ")
		if i < 0 {
			return c, fmt.Errorf("write between LOW and HIGH")
		}
		a, err := parseQuantity(rest[:i], unit)
		if err != nil {
			return c, err
		}
		b, err := parseQuantity(rest[i+5:], unit)
		if err != nil {
			return c, err
		}
		if a > b {
			return c, fmt.Errorf("between %s and %s: the low end is above the high end", strings.TrimSpace(rest[:i]), strings.TrimSpace(rest[i+5:]))
		}
		c.Op, c.A, c.B = Between, a, b
		return c, nil
	}
	for _, op := range []string{">=", "<=", "!=", "<>", "==", "=", ">", "<"} {
		if strings.HasPrefix(s, op) {
			switch op {
			case "<>":
				c.Op = Ne
			case "==":
				c.Op = Eq
			default:
				c.Op = Op(op)
			}
			a, err := parseQuantity(s[len(op):], unit)
			c.A = a
			return c, err
		}
	}
	a, err := parseQuantity(s, unit)
	if err != nil {
		return c, fmt.Errorf("expected a comparison such as \"> 0\", \"= 7\" or \"between 1 and 10\", found %q", s)
	}
	c.Op, c.A = Eq, a
	return c, nil
}

// parseQuantity reads a number with an optional unit suffix: 80% (a rate),
// 1s/500ms (a time in ms), 256MB/1GB (a size in MB), 100k/1M (counts).
func parseQuantity(s, unit string) (float64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	s = strings.ReplaceAll(s, "_", "")
	mult := 1.0
	low := strings.ToLower(s)
	switch {
	case unit == "%" && strings.HasSuffix(low, "%"):
		s, mult = s[:len(s)-1], 0.01
	case unit == "ms" && strings.HasSuffix(low, "ms"):
		s = s[:len(s)-2]
	case unit == "ms" && strings.HasSuffix(low, "s"):
		s, mult = s[:len(s)-1], 1000
	case unit == " MB" && strings.HasSuffix(low, "mb"):
		s = s[:len(s)-2]
	case unit == " MB" && strings.HasSuffix(low, "gb"):
		s, mult = s[:len(s)-2], 1024
	case unit == "" && strings.HasSuffix(low, "k"):
		s, mult = s[:len(s)-1], 1e3
	case unit == "" && strings.HasSuffix(s, "M"):
		s, mult = s[:len(s)-1], 1e6
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%q is not a number", strings.TrimSpace(s))
	}
	return x * mult, nil
}
