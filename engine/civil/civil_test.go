package civil

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Day by day from 2000 BC to AD 2300, dates agree with the time package.
func TestDatesAgreeWithTime(t *testing.T) {
	start := time.Date(-2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for day := start.Unix() / 86400; day < 120000; day++ {
		tm := time.Unix(day*86400, 0).UTC()
		y, m, d := DateFromDays(day)
		if y != int64(tm.Year()) || m != int64(tm.Month()) || d != int64(tm.Day()) {
			t.Fatalf("DateFromDays(%d) = %d-%d-%d, time says %s", day, y, m, d, tm.Format("2006-01-02"))
		}
		if back := DaysFromDate(y, m, d); back != day {
			t.Fatalf("DaysFromDate(%d-%d-%d) = %d, want %d", y, m, d, back, day)
		}
		if DaysInMonth(y, m) != int64(time.Date(int(y), time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()) {
			t.Fatalf("DaysInMonth(%d, %d)", y, m)
		}
	}
}

// Timestamps in years 0000-9999 print exactly as time's RFC 3339 with
// milliseconds; others in the expanded form.
func TestAppendTimestamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lo, hi := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()
	for range 200000 {
		ms := lo + rng.Int64N(hi-lo)
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(AppendTimestamp(nil, ms)); got != want {
			t.Fatalf("AppendTimestamp(%d) = %s, want %s", ms, got, want)
		}
	}
	for _, c := range []struct {
		ms   int64
		want string
	}{
		{-1, "1969-12-31T23:59:59.999Z"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), "+10000-01-01T00:00:00.000Z"},
		{time.Date(-1, 3, 4, 5, 6, 7, 8e6, time.UTC).UnixMilli(), "-0001-03-04T05:06:07.008Z"},
	} {
		if got := string(AppendTimestamp(nil, c.ms)); got != c.want {
			t.Errorf("AppendTimestamp(%d) = %s, want %s", c.ms, got, c.want)
		}
	}
	// The extremes do not overflow or panic.
	_ = AppendTimestamp(nil, math.MinInt64)
	_ = AppendTimestamp(nil, math.MaxInt64)
}
