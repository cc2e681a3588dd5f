package executor

import (
	"errors"
	"fmt"
	"math"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/types"
)

var errNoTime = errors.New("missing (null or absent)")

// eventTime reads a record's event time (ms since the epoch) from its time
// column, in the source's event.time.format: numbers are epoch milliseconds
// unless the format says seconds, strings are ISO 8601.
func eventTime(v types.Value, format string) (int64, error) {
	switch v.K {
	case types.KindTimestamp:
		return v.I, nil
	case types.KindInt:
		if format == "epoch_seconds" {
			if v.I > math.MaxInt64/1000 || v.I < math.MinInt64/1000 {
				return 0, fmt.Errorf("epoch seconds %d out of range", v.I)
			}
			return v.I * 1000, nil
		}
		return v.I, nil
	case types.KindDecimal:
		if v.Big() {
			return 0, fmt.Errorf("time value %s out of range", v.S)
		}
		m, s := v.I, v.Scale
		if format == "epoch_seconds" {
			// Milliseconds exactly: shift the point three places right.
			if s >= 3 {
				return floorScaled(m, s-3), nil
			}
			ms, ok := decimal.Rescale(m, s, 3)
			if !ok {
				return 0, fmt.Errorf("time value out of range")
			}
			return ms, nil
		}
		return floorScaled(m, s), nil
	case types.KindFloat:
		f := v.Float()
		if format == "epoch_seconds" {
			f *= 1000
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("time value %v is not a number", v.Float())
		}
		return int64(math.Floor(f)), nil
	case types.KindString:
		ts, err := functions.Cast(v, types.Timestamp)
		if err != nil {
			return 0, err
		}
		return ts.I, nil
	case types.KindNull:
		return 0, errNoTime
	}
	return 0, fmt.Errorf("a %s cannot be an event time", v.K)
}

// floorScaled returns the integer part (toward negative infinity) of m/10^s.
func floorScaled(m int64, s uint8) int64 {
	p := int64(1)
	for i := uint8(0); i < s; i++ {
		p *= 10
	}
	return floorDiv(m, p)
}
