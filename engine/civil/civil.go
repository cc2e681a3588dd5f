// Package civil is the engine's one calendar: proleptic Gregorian dates as
// days since 1970-01-01 and back, and the RFC 3339 form with milliseconds in
// which timestamps are written everywhere (JSON and CSV output, CAST to
// STRING). The codecs and the SQL functions share it so the text of a
// timestamp cannot differ between them.
//
// Takes: day counts, dates, milliseconds since the epoch (UTC). Gives: the
// conversions, exact for every year an int64 can hold; no allocation.
package civil

import "strconv"

const msPerDay = 86_400_000

// DaysFromDate returns the days since 1970-01-01 of y-m-d (Howard Hinnant's
// algorithm).
func DaysFromDate(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// DateFromDays is the inverse of DaysFromDate.
func DateFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// IsLeap reports whether y is a leap year.
func IsLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// DaysInMonth is the number of days of month m (1-12) of year y.
func DaysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if IsLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// AppendTimestamp appends ms (since the epoch, UTC) as RFC 3339 with
// milliseconds: "2023-11-14T22:13:20.123Z". Years outside 0000-9999 have no
// RFC 3339 form and get ISO 8601's expanded one (a sign and at least four
// digits: "+10000-01-01T00:00:00.000Z"), which the engine's parsers read back.
func AppendTimestamp(dst []byte, ms int64) []byte {
	days := floorDiv(ms, msPerDay)
	rem := ms - days*msPerDay
	y, mo, d := DateFromDays(days)
	if y < 0 || y > 9999 {
		if y < 0 {
			dst = append(dst, '-')
			y = -y
		} else {
			dst = append(dst, '+')
		}
		for p := int64(1000); p > 1 && y < p; p /= 10 {
			dst = append(dst, '0')
		}
		dst = strconv.AppendInt(dst, y, 10)
	} else {
		dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	}
	h, r := rem/3_600_000, rem%3_600_000
	mi, r := r/60_000, r%60_000
	s, frac := r/1000, r%1000
	return append(dst, '-',
		byte('0'+mo/10), byte('0'+mo%10), '-',
		byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':',
		byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+s/10), byte('0'+s%10), '.',
		byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10), 'Z')
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
