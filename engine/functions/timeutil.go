package functions

import (
	cal "github.com/velostream/velostream/engine/civil"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamps are int64 milliseconds since the Unix epoch, UTC. The calendar
// arithmetic below is the proleptic Gregorian calendar on whole days
// (Howard Hinnant's days_from_civil / civil_from_days), which is exact for
// negative epochs and every leap year and allocates nothing; the time
// package would give the same answers but costs more per record.

const (
	msPerSecond = 1000
	msPerMinute = 60 * msPerSecond
	msPerHour   = 60 * msPerMinute
	msPerDay    = 24 * msPerHour
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil is a broken-down UTC timestamp.
type civil struct {
	year, month, day     int64
	hour, minute, second int64
	milli                int64
	days                 int64 // days since the epoch
}

func toCivil(ms int64) civil {
	days := floorDiv(ms, msPerDay)
	rem := ms - days*msPerDay
	y, m, d := cal.DateFromDays(days)
	return civil{
		year: y, month: m, day: d,
		hour: rem / msPerHour, minute: rem / msPerMinute % 60, second: rem / msPerSecond % 60,
		milli: rem % msPerSecond, days: days,
	}
}

// weekday is 0 for Sunday .. 6 for Saturday (1970-01-01 was a Thursday).
func (c civil) weekday() int64 { return floorMod(c.days+4, 7) }

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// yearDay is 1..366.
func (c civil) yearDay() int64 { return c.days - cal.DaysFromDate(c.year, 1, 1) + 1 }

// isoWeek returns the ISO 8601 week number (weeks start on Monday; week 1
// holds the year's first Thursday).
func (c civil) isoWeek() int64 {
	wd := floorMod(c.weekday()+6, 7) // Monday 0 .. Sunday 6
	thursday := c.days - wd + 3
	ty, _, _ := cal.DateFromDays(thursday)
	return (thursday-cal.DaysFromDate(ty, 1, 1))/7 + 1
}

// fromCivil assembles milliseconds, reporting int64 overflow.
func fromCivil(y, mo, d, h, mi, s, ms int64) (int64, bool) {
	days := cal.DaysFromDate(y, mo, d)
	tod := h*msPerHour + mi*msPerMinute + s*msPerSecond + ms
	if t, ok := mulInt(days, msPerDay); ok {
		return addInt(t, tod)
	}
	if days < 0 {
		// The last day before math.MinInt64 starts below it, but its
		// later instants fit: add the time of day from the next midnight.
		if t, ok := mulInt(days+1, msPerDay); ok {
			return addInt(t, tod-msPerDay)
		}
	}
	return 0, false
}

func append2(dst []byte, v int64) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// appendPad appends v >= 0 zero-padded to at least width digits.
func appendPad(dst []byte, v int64, width int) []byte {
	var b [20]byte
	s := strconv.AppendInt(b[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func formatTimestamp(ms int64) string {
	var b [32]byte
	return string(cal.AppendTimestamp(b[:0], ms))
}

// parseTimestamp reads ISO 8601 / RFC 3339 text:
//
//	2024-02-29                       (midnight UTC)
//	2024-02-29T13:05                 (seconds optional)
//	2024-02-29 13:05:09.123456       (space or T; fraction of any length,
//	                                  truncated to milliseconds)
//	2024-02-29T13:05:09Z, +02:00, +0200, +02, -05:30 (zone; none means UTC)
//
// Surrounding spaces are ignored. Fields are range-checked (no February 30th,
// no hour 24).
func parseTimestamp(s string) (int64, bool) {
	p := scanner{s: strings.TrimSpace(s)}
	neg := false
	yearDigits := 4
	if p.peek() == '-' || p.peek() == '+' {
		neg = p.peek() == '-'
		p.i++
		yearDigits = -1 // expanded year: 4 to 9 digits
	}
	var y int64
	var ok bool
	if yearDigits == 4 {
		y, ok = p.digits(4, 4)
	} else {
		y, ok = p.digits(4, 9)
	}
	if !ok || !p.eat('-') {
		return 0, false
	}
	if neg {
		y = -y
	}
	mo, ok1 := p.digits(2, 2)
	ok2 := p.eat('-')
	d, ok3 := p.digits(2, 2)
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > cal.DaysInMonth(y, mo) {
		return 0, false
	}
	var h, mi, sec, ms, off int64
	if !p.done() {
		if c := p.peek(); c != 'T' && c != 't' && c != ' ' {
			return 0, false
		}
		p.i++
		h, ok1 = p.digits(2, 2)
		ok2 = p.eat(':')
		mi, ok3 = p.digits(2, 2)
		if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 {
			return 0, false
		}
		if p.eat(':') {
			if sec, ok = p.digits(2, 2); !ok || sec > 59 {
				return 0, false
			}
			if p.eat('.') || p.eat(',') {
				if ms, ok = p.fraction(); !ok {
					return 0, false
				}
			}
		}
		if !p.done() {
			p.eat(' ')
			if off, ok = p.zone(); !ok || !p.done() {
				return 0, false
			}
		}
	}
	t, ok := fromCivil(y, mo, d, h, mi, sec, ms)
	if !ok {
		return 0, false
	}
	return subOK(t, off)
}

func subOK(a, b int64) (int64, bool) { return subInt(a, b) }

// scanner is a cursor over ASCII-structured text (dates, zones, intervals).
type scanner struct {
	s string
	i int
}

func (p *scanner) done() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *scanner) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// digits reads between lo and hi ASCII digits (greedy).
func (p *scanner) digits(lo, hi int) (int64, bool) {
	var v int64
	n := 0
	for n < hi && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v = v*10 + int64(p.s[p.i]-'0')
		p.i++
		n++
	}
	return v, n >= lo
}

// fraction reads the digits of a fraction of a second and returns whole
// milliseconds (further digits are truncated; at least one digit).
func (p *scanner) fraction() (int64, bool) {
	var ms int64
	n := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if n < 3 {
			ms = ms*10 + int64(p.s[p.i]-'0')
		}
		p.i++
		n++
	}
	for k := n; k < 3; k++ {
		ms *= 10
	}
	return ms, n > 0
}

// zone reads Z or ±HH[[:]MM] and returns the offset in milliseconds.
func (p *scanner) zone() (int64, bool) {
	switch p.peek() {
	case 'Z', 'z':
		p.i++
		return 0, true
	case '+', '-':
	default:
		if strings.HasPrefix(p.s[p.i:], "UTC") {
			p.i += 3
			return 0, true
		}
		return 0, false
	}
	neg := p.peek() == '-'
	p.i++
	h, ok := p.digits(2, 2)
	if !ok || h > 18 {
		return 0, false
	}
	var m int64
	if p.eat(':') {
		if m, ok = p.digits(2, 2); !ok {
			return 0, false
		}
	} else if !p.done() {
		if m, ok = p.digits(2, 2); !ok {
			return 0, false
		}
	}
	if m > 59 {
		return 0, false
	}
	off := h*msPerHour + m*msPerMinute
	if neg {
		off = -off
	}
	return off, true
}

// appendInterval formats milliseconds as [-][N day[s] ]HH:MM:SS[.mmm], the
// shape PostgreSQL prints: 00:05:00, 1 day 02:00:00, -00:00:01.500.
func appendInterval(dst []byte, ms int64) []byte {
	u := absU(ms)
	if ms < 0 {
		dst = append(dst, '-')
	}
	days := u / msPerDay
	u %= msPerDay
	if days > 0 {
		dst = strconv.AppendUint(dst, days, 10)
		if days == 1 {
			dst = append(dst, " day "...)
		} else {
			dst = append(dst, " days "...)
		}
	}
	dst = append2(dst, int64(u/msPerHour))
	dst = append(dst, ':')
	dst = append2(dst, int64(u/msPerMinute%60))
	dst = append(dst, ':')
	dst = append2(dst, int64(u/msPerSecond%60))
	if f := u % msPerSecond; f != 0 {
		dst = append(dst, '.')
		dst = appendPad(dst, int64(f), 3)
	}
	return dst
}

// parseInterval reads what appendInterval prints, and Go duration text
// ("1h30m", "250ms", "-1.5s"), rounded to milliseconds.
func parseInterval(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if ms, ok := parseClockInterval(s); ok {
		return ms, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, false
	}
	return int64(math.Round(float64(d) / float64(time.Millisecond))), true
}

func parseClockInterval(s string) (int64, bool) {
	p := scanner{s: s}
	neg := p.eat('-')
	var days int64
	var ok bool
	start := p.i
	n, _ := p.digits(1, 12)
	if p.eat(' ') {
		rest := p.s[p.i:]
		switch {
		case strings.HasPrefix(rest, "days"):
			p.i += 4
		case strings.HasPrefix(rest, "day"):
			p.i += 3
		default:
			return 0, false
		}
		days = n
		if days > math.MaxInt64/msPerDay {
			return 0, false
		}
		if p.done() {
			return signMs(days*msPerDay, neg), true
		}
		if !p.eat(' ') {
			return 0, false
		}
	} else {
		p.i = start
	}
	h, ok1 := p.digits(2, 6)
	ok2 := p.eat(':')
	m, ok3 := p.digits(2, 2)
	ok4 := p.eat(':')
	sec, ok5 := p.digits(2, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || m > 59 || sec > 59 {
		return 0, false
	}
	var ms int64
	if p.eat('.') {
		if ms, ok = p.fraction(); !ok {
			return 0, false
		}
	}
	if !p.done() {
		return 0, false
	}
	total, ok := addInt(days*msPerDay, h*msPerHour+m*msPerMinute+sec*msPerSecond+ms)
	if !ok {
		return 0, false
	}
	return signMs(total, neg), true
}

func signMs(ms int64, neg bool) int64 {
	if neg {
		return -ms
	}
	return ms
}
