package functions

import (
	cal "github.com/velostream/velostream/engine/civil"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/velostream/velostream/engine/types"
)

// TestCivilMatchesTimePackage checks the calendar arithmetic against Go's
// time package for every day from 2000 BC to 2300 AD (negative epochs and
// every kind of leap year included) and for random instants.
func TestCivilMatchesTimePackage(t *testing.T) {
	for day := int64(-1_450_000); day <= 120_000; day++ {
		tm := time.Unix(day*86400, 0).UTC()
		y, m, d := cal.DateFromDays(day)
		if y != int64(tm.Year()) || m != int64(tm.Month()) || d != int64(tm.Day()) {
			t.Fatalf("cal.DateFromDays(%d) = %d-%d-%d, time says %s", day, y, m, d, tm.Format("2006-01-02"))
		}
		if back := cal.DaysFromDate(y, m, d); back != day {
			t.Fatalf("cal.DaysFromDate(%d-%d-%d) = %d, want %d", y, m, d, back, day)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		ms := r.Int64N(1<<45) - 1<<44 // about +-557 years around 1970
		tm := time.UnixMilli(ms).UTC()
		c := toCivil(ms)
		_, week := tm.ISOWeek()
		if c.year != int64(tm.Year()) || c.month != int64(tm.Month()) || c.day != int64(tm.Day()) ||
			c.hour != int64(tm.Hour()) || c.minute != int64(tm.Minute()) || c.second != int64(tm.Second()) ||
			c.milli != int64(tm.Nanosecond()/1e6) || c.weekday() != int64(tm.Weekday()) ||
			c.yearDay() != int64(tm.YearDay()) || c.isoWeek() != int64(week) {
			t.Fatalf("toCivil(%d) = %+v (dow %d doy %d week %d), time says %s (dow %d doy %d week %d)",
				ms, c, c.weekday(), c.yearDay(), c.isoWeek(), tm.Format(time.RFC3339Nano), tm.Weekday(), tm.YearDay(), week)
		}
		if got, want := formatTimestamp(ms), tm.Format("2006-01-02T15:04:05.000Z"); got != want && tm.Year() >= 0 && tm.Year() <= 9999 {
			t.Fatalf("formatTimestamp(%d) = %s, want %s", ms, got, want)
		}
		if back, ok := parseTimestamp(formatTimestamp(ms)); !ok || back != ms {
			t.Fatalf("parseTimestamp(formatTimestamp(%d) = %s) = %d, %v", ms, formatTimestamp(ms), back, ok)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC, "" for a parse failure
	}{
		{"2024-02-29", "2024-02-29T00:00:00.000Z"},
		{"2024-02-29T13:05", "2024-02-29T13:05:00.000Z"},
		{"2024-02-29 13:05:09", "2024-02-29T13:05:09.000Z"},
		{"2024-02-29t13:05:09z", "2024-02-29T13:05:09.000Z"},
		{"2024-02-29T13:05:09.1Z", "2024-02-29T13:05:09.100Z"},
		{"2024-02-29T13:05:09.123456789Z", "2024-02-29T13:05:09.123Z"},
		{"2024-02-29T13:05:09,5Z", "2024-02-29T13:05:09.500Z"},
		{"2024-02-29T01:00:00+02:00", "2024-02-28T23:00:00.000Z"},
		{"2024-02-29T01:00:00+0200", "2024-02-28T23:00:00.000Z"},
		{"2024-02-29T22:00:00-05", "2024-03-01T03:00:00.000Z"},
		{"2024-02-29T22:00:00 -05:30", "2024-03-01T03:30:00.000Z"},
		{"2024-02-29 22:00:00 UTC", "2024-02-29T22:00:00.000Z"},
		{"  1970-01-01T00:00:00Z  ", "1970-01-01T00:00:00.000Z"},
		{"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"},
		{"2000-02-29", "2000-02-29T00:00:00.000Z"}, // divisible by 400
		{"+12345-06-01T00:00:00Z", "+12345-06-01T00:00:00.000Z"},
		{"-0044-03-15T12:00:00Z", "-0044-03-15T12:00:00.000Z"},
		{"1900-02-29", ""}, // divisible by 100, not 400
		{"2023-02-29", ""},
		{"2024-04-31", ""},
		{"2024-13-01", ""},
		{"2024-00-10", ""},
		{"2024-01-01T24:00:00Z", ""},
		{"2024-01-01T23:60:00Z", ""},
		{"2024-01-01T23:59:60Z", ""},
		{"2024-01-01T23:59:59.Z", ""},
		{"2024-01-01T23:59:59+25:00", ""},
		{"2024-1-01", ""},
		{"24-01-01", ""},
		{"2024-01-01X", ""},
		{"2024-01-01T", ""},
		{"", ""},
		{"+999999999-01-01", ""}, // beyond int64 milliseconds
	}
	for _, tt := range tests {
		ms, ok := parseTimestamp(tt.in)
		switch {
		case tt.want == "" && ok:
			t.Errorf("parseTimestamp(%q) = %s, want failure", tt.in, formatTimestamp(ms))
		case tt.want != "" && !ok:
			t.Errorf("parseTimestamp(%q) failed, want %s", tt.in, tt.want)
		case ok && formatTimestamp(ms) != tt.want:
			t.Errorf("parseTimestamp(%q) = %s, want %s", tt.in, formatTimestamp(ms), tt.want)
		}
	}
}

func TestTimestampExtremesRoundTrip(t *testing.T) {
	for _, ms := range []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64} {
		text := formatTimestamp(ms)
		back, ok := parseTimestamp(text)
		if !ok || back != ms {
			t.Errorf("%d -> %s -> %d, %v", ms, text, back, ok)
		}
	}
}

func TestExtract(t *testing.T) {
	leap := ts("2024-02-29T13:05:09.123Z") // a Thursday
	neg := ts("1969-12-31T23:59:58.500Z")  // a Wednesday
	tests := []struct {
		field   string
		in      types.Value
		want    types.Value
		wantErr string
	}{
		{"YEAR", leap, i(2024), ""},
		{"year", leap, i(2024), ""},
		{"QUARTER", leap, i(1), ""},
		{"MONTH", leap, i(2), ""},
		{"DAY", leap, i(29), ""},
		{"HOUR", leap, i(13), ""},
		{"MINUTE", leap, i(5), ""},
		{"SECOND", leap, i(9), ""},
		{"MILLISECOND", leap, i(123), ""},
		{"DOW", leap, i(4), ""},
		{"DOY", leap, i(60), ""},
		{"DOY", ts("2024-12-31"), i(366), ""},
		{"DOY", ts("2023-12-31"), i(365), ""},
		{"WEEK", leap, i(9), ""},
		{"WEEK", ts("2021-01-03"), i(53), ""}, // ISO: belongs to 2020's week 53
		{"WEEK", ts("2024-12-30"), i(1), ""},  // ISO: 2025's week 1
		{"QUARTER", ts("2024-10-01"), i(4), ""},
		{"EPOCH", leap, dm(1709211909123, 3), ""},
		{"EPOCH", neg, dm(-1500, 3), ""},
		{"YEAR", neg, i(1969), ""},
		{"SECOND", neg, i(58), ""},
		{"MILLISECOND", neg, i(500), ""},
		{"DOW", neg, i(3), ""},
		{"DOW", ts("2024-03-03"), i(0), ""}, // Sunday
		{"YEAR", s("2024-02-29T13:05:09Z"), i(2024), ""},
		{"YEAR", null, null, ""},
		{"DAY", iv(90061005), i(1), ""},
		{"HOUR", iv(90061005), i(1), ""},
		{"MINUTE", iv(90061005), i(1), ""},
		{"SECOND", iv(90061005), i(1), ""},
		{"MILLISECOND", iv(90061005), i(5), ""},
		{"EPOCH", iv(90061005), dm(90061005, 3), ""},
		{"HOUR", iv(-5400000), i(-1), ""},
		{"MINUTE", iv(-5400000), i(-30), ""},
		{"YEAR", iv(1), null, "EXTRACT YEAR needs a TIMESTAMP, not an INTERVAL"},
		{"FORTNIGHT", leap, null, "EXTRACT field 'FORTNIGHT' is not one of YEAR, QUARTER"},
		{"FORTNIGHT", null, null, "EXTRACT field 'FORTNIGHT' is not one of"},
		{"YEAR", i(5), null, "EXTRACT expects a TIMESTAMP or INTERVAL, got BIGINT"},
		{"YEAR", s("soon"), null, "EXTRACT YEAR: 'soon' is not an ISO 8601 timestamp"},
	}
	for _, tt := range tests {
		got, err := Extract(tt.field, tt.in)
		what := "EXTRACT(" + tt.field + " FROM " + show(tt.in) + ")"
		if !checkErr(t, what, err, tt.wantErr) {
			continue
		}
		if !same(got, tt.want) {
			t.Errorf("%s = %s, want %s", what, show(got), show(tt.want))
		}
	}
}

func TestExtractType(t *testing.T) {
	tests := []struct {
		field   string
		in      types.Type
		want    types.Type
		wantErr string
	}{
		{"YEAR", types.Timestamp, types.Int, ""},
		{"epoch", types.Timestamp, types.Type{Kind: types.KindDecimal, Scale: 3}, ""},
		{"DAY", types.Interval, types.Int, ""},
		{"DOW", types.Any, types.Int, ""},
		{"YEAR", types.String, types.Int, ""},
		{"WEEK", types.Interval, types.Type{}, "EXTRACT WEEK needs a TIMESTAMP"},
		{"YEAR", types.Int, types.Type{}, "EXTRACT expects a TIMESTAMP or INTERVAL, got BIGINT"},
		{"CENTURY", types.Timestamp, types.Type{}, "EXTRACT field 'CENTURY' is not one of"},
	}
	for _, tt := range tests {
		got, err := ExtractType(tt.field, tt.in)
		if !checkErr(t, tt.field+" of "+tt.in.String(), err, tt.wantErr) {
			continue
		}
		if got != tt.want {
			t.Errorf("ExtractType(%s, %s) = %s, want %s", tt.field, tt.in, got, tt.want)
		}
	}
}

func TestPatterns(t *testing.T) {
	at := ts("2024-02-09T07:05:03.045Z").I // a Friday
	format := []struct{ pattern, want string }{
		{"yyyy-MM-dd HH:mm:ss", "2024-02-09 07:05:03"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSX", "2024-02-09T07:05:03.045Z"},
		{"yy/M/d H:m:s", "24/2/9 7:5:3"},
		{"dd MMM yyyy", "09 Feb 2024"},
		{"EEEE, MMMM d", "Friday, February 9"},
		{"EEE hh:mm a", "Fri 07:05 AM"},
		{"h a", "7 AM"},
		{"D", "40"},
		{"S SS SSSS", "0 04 0450"},
		{"'o''clock' HH", "o'clock 07"},
		{"HH''mm", "07'05"},
		{"Z xxx", "+0000 +00:00"},
	}
	for _, tt := range format {
		p, err := compilePattern(tt.pattern)
		if err != nil {
			t.Errorf("compilePattern(%q): %v", tt.pattern, err)
			continue
		}
		if got := string(p.format(nil, at)); got != tt.want {
			t.Errorf("format %q = %q, want %q", tt.pattern, got, tt.want)
		}
	}
	pm := ts("2024-02-09T19:00:00Z").I
	if p, _ := compilePattern("hh a"); string(p.format(nil, pm)) != "07 PM" {
		t.Errorf("hh a at 19:00 = %q", p.format(nil, pm))
	}
	if p, _ := compilePattern("hh a"); string(p.format(nil, ts("2024-02-09").I)) != "12 AM" {
		t.Errorf("hh a at midnight = %q", p.format(nil, ts("2024-02-09").I))
	}

	parse := []struct {
		pattern, in, want, wantErr string
	}{
		{"yyyy-MM-dd HH:mm:ss", "2024-02-29 13:05:09", "2024-02-29T13:05:09.000Z", ""},
		{"dd/MM/yyyy", "29/02/2024", "2024-02-29T00:00:00.000Z", ""},
		{"d/M/yy H:mm", "9/2/24 7:05", "2024-02-09T07:05:00.000Z", ""},
		{"yyyyMMddHHmmssSSS", "20240229130509123", "2024-02-29T13:05:09.123Z", ""},
		{"dd MMM yyyy", "09 feb 2024", "2024-02-09T00:00:00.000Z", ""},
		{"MMMM d, yyyy", "February 9, 2024", "2024-02-09T00:00:00.000Z", ""},
		{"EEE, dd MMM yyyy HH:mm:ss Z", "Fri, 09 Feb 2024 07:05:03 +0100", "2024-02-09T06:05:03.000Z", ""},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", "2024-02-09T07:05:03-02:30", "2024-02-09T09:35:03.000Z", ""},
		{"hh:mm a", "12:30 AM", "1970-01-01T00:30:00.000Z", ""},
		{"hh:mm a", "12:30 pm", "1970-01-01T12:30:00.000Z", ""},
		{"yyyy D", "2024 60", "2024-02-29T00:00:00.000Z", ""},
		{"HH:mm:ss.SSSSSS", "01:02:03.123456", "1970-01-01T01:02:03.123Z", ""},
		{"yyyy-MM-dd", "2023-02-29", "", "day 29 is out of range for 2023-02"},
		{"yyyy-MM-dd", "2024-13-01", "", "month 13 is out of range"},
		{"yyyy-MM-dd", "2024-02-2", "", "expected a day of month at offset 8"},
		{"yyyy-MM-dd", "2024/02/20", "", "expected '-' at offset 4"},
		{"yyyy-MM-dd", "2024-02-20 10:00", "", "unexpected trailing text at offset 10"},
		{"hh a", "13 PM", "", "hour 13 is out of range 1-12"},
		{"HH:mm", "24:00", "", "time 24:00:00 is out of range"},
		{"yyyy D", "2023 366", "", "day of year 366 is out of range"},
		{"a", "", "", "expected AM or PM"},
	}
	for _, tt := range parse {
		p, err := compilePattern(tt.pattern)
		if err != nil {
			t.Errorf("compilePattern(%q): %v", tt.pattern, err)
			continue
		}
		ms, err := p.parse(tt.in)
		if !checkErr(t, "parse "+tt.in+" with "+tt.pattern, err, tt.wantErr) {
			continue
		}
		if got := formatTimestamp(ms); got != tt.want {
			t.Errorf("parse %q with %q = %s, want %s", tt.in, tt.pattern, got, tt.want)
		}
	}

	bad := []struct{ pattern, wantErr string }{
		{"yyyy-MM-dd Q", "unsupported letter 'Q' at offset 11"},
		{"'unclosed", "unclosed quote at offset 0"},
		{"%Y-%m-%d", "use Java-style letters"},
	}
	for _, tt := range bad {
		_, err := compilePattern(tt.pattern)
		checkErr(t, "compilePattern "+tt.pattern, err, tt.wantErr)
	}
}
