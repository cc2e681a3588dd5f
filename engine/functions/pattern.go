package functions

import (
	"fmt"
	cal "github.com/velostream/velostream/engine/civil"
	"strings"
)

// A datetime pattern in Java's DateTimeFormatter / SimpleDateFormat style
// (what Flink's DATE_FORMAT and TO_TIMESTAMP take). Supported letters:
//
//	y   year (yy: two digits, 2000-2099 when parsing; yyyy: four)
//	M   month (M, MM: number; MMM: Jan; MMMM: January)
//	d   day of month         D  day of year
//	H   hour 0-23            h  hour 1-12 (with a)
//	m   minute               s  second
//	S   fraction of a second (SSS: milliseconds)
//	a   AM/PM marker
//	E   day name (EEE: Mon; EEEE: Monday)
//	Z   zone offset +0000    X  Z or +00 / +0000 (XX) / +00:00 (XXX)
//	x   +00 / +0000 / +00:00 (never Z)
//	'text'  literal text ('' is one quote)
//
// Other letters are errors, so a typo is not silently printed; any other
// character is literal. Timestamps are UTC, so formatting prints a zero
// offset; parsing applies the offset it reads.
type dtPattern struct {
	src  string
	toks []dtTok
}

type dtTok struct {
	letter byte // 0 for literal text
	count  int
	lit    string
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

var dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func compilePattern(p string) (*dtPattern, error) {
	if strings.Contains(p, "%") && !strings.Contains(p, "'") {
		return nil, fmt.Errorf("datetime pattern %s: use Java-style letters such as 'yyyy-MM-dd HH:mm:ss', not %% codes", quoteValue(p))
	}
	d := &dtPattern{src: p}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("datetime pattern %s: unclosed quote at offset %d", quoteValue(p), i)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			if j == i+1 {
				lit.WriteByte('\'') // '' outside quotes is one quote
			}
			d.toks = append(d.toks, dtTok{lit: lit.String()})
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if !strings.ContainsRune("yMdDHhmsSaEZXx", rune(c)) {
				return nil, fmt.Errorf("datetime pattern %s: unsupported letter %q at offset %d (quote literal text with '...')", quoteValue(p), c, i)
			}
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			d.toks = append(d.toks, dtTok{letter: c, count: j - i})
			i = j
		default:
			j := i
			for j < len(p) && p[j] != '\'' && !(p[j] >= 'a' && p[j] <= 'z' || p[j] >= 'A' && p[j] <= 'Z') {
				j++
			}
			d.toks = append(d.toks, dtTok{lit: p[i:j]})
			i = j
		}
	}
	return d, nil
}

// format appends ms (UTC) in the pattern.
func (d *dtPattern) format(dst []byte, ms int64) []byte {
	c := toCivil(ms)
	for _, t := range d.toks {
		switch t.letter {
		case 0:
			dst = append(dst, t.lit...)
		case 'y':
			if t.count == 2 {
				dst = appendPad(dst, floorMod(c.year, 100), 2)
			} else {
				dst = appendYearWidth(dst, c.year, t.count)
			}
		case 'M':
			switch {
			case t.count >= 4:
				dst = append(dst, monthNames[c.month-1]...)
			case t.count == 3:
				dst = append(dst, monthNames[c.month-1][:3]...)
			default:
				dst = appendPad(dst, c.month, t.count)
			}
		case 'd':
			dst = appendPad(dst, c.day, t.count)
		case 'D':
			dst = appendPad(dst, c.yearDay(), t.count)
		case 'H':
			dst = appendPad(dst, c.hour, t.count)
		case 'h':
			h := c.hour % 12
			if h == 0 {
				h = 12
			}
			dst = appendPad(dst, h, t.count)
		case 'm':
			dst = appendPad(dst, c.minute, t.count)
		case 's':
			dst = appendPad(dst, c.second, t.count)
		case 'S':
			var frac [3]byte
			frac[0], frac[1], frac[2] = byte('0'+c.milli/100), byte('0'+c.milli/10%10), byte('0'+c.milli%10)
			for k := 0; k < t.count; k++ {
				if k < 3 {
					dst = append(dst, frac[k])
				} else {
					dst = append(dst, '0')
				}
			}
		case 'a':
			if c.hour < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'E':
			name := dayNames[c.weekday()]
			if t.count <= 3 {
				name = name[:3]
			}
			dst = append(dst, name...)
		case 'Z':
			dst = append(dst, "+0000"...)
		case 'X':
			dst = append(dst, 'Z')
		case 'x':
			switch t.count {
			case 1:
				dst = append(dst, "+00"...)
			case 2:
				dst = append(dst, "+0000"...)
			default:
				dst = append(dst, "+00:00"...)
			}
		}
	}
	return dst
}

func appendYearWidth(dst []byte, y int64, width int) []byte {
	if y < 0 {
		return appendPad(append(dst, '-'), -y, width)
	}
	return appendPad(dst, y, width)
}

// parse reads s in the pattern and returns epoch milliseconds. Numeric
// fields written with two or more letters take exactly that many digits
// (yyyy four, SSS three); one letter takes one or two digits (D up to three,
// y up to nine), as Java's lenient single-letter fields do.
func (d *dtPattern) parse(s string) (int64, error) {
	p := scanner{s: s}
	year, month, day, doy := int64(1970), int64(1), int64(1), int64(0)
	var hour, minute, second, milli, off int64
	pm, hasAmPm, h12 := false, false, false
	for _, t := range d.toks {
		if t.letter == 0 {
			if !strings.HasPrefix(p.s[p.i:], t.lit) {
				return 0, d.parseError(s, p.i, fmt.Sprintf("expected %s", quoteValue(t.lit)))
			}
			p.i += len(t.lit)
			continue
		}
		at := p.i
		var v int64
		var ok bool
		num := func(single int) (int64, bool) {
			if t.count == 1 {
				return p.digits(1, single)
			}
			return p.digits(t.count, t.count)
		}
		switch t.letter {
		case 'y':
			switch t.count {
			case 1:
				v, ok = p.digits(1, 9)
			case 2:
				v, ok = p.digits(2, 2)
				v += 2000
			default:
				v, ok = p.digits(t.count, t.count)
			}
			year = v
		case 'M':
			if t.count >= 3 {
				v, ok = p.name(monthNames[:], t.count == 3)
				v++
			} else {
				v, ok = num(2)
			}
			month = v
		case 'd':
			v, ok = num(2)
			day = v
		case 'D':
			v, ok = num(3)
			doy = v
		case 'H':
			v, ok = num(2)
			hour = v
		case 'h':
			v, ok = num(2)
			hour, h12 = v, true
		case 'm':
			v, ok = num(2)
			minute = v
		case 's':
			v, ok = num(2)
			second = v
		case 'S':
			start := p.i
			_, ok = p.digits(t.count, t.count)
			if ok {
				sub := scanner{s: s[start:p.i]}
				milli, _ = sub.fraction()
			}
		case 'a':
			rest := strings.ToUpper(p.s[p.i:min(len(p.s), p.i+2)])
			ok = rest == "AM" || rest == "PM"
			pm, hasAmPm = rest == "PM", true
			p.i += 2
		case 'E':
			_, ok = p.name(dayNames[:], t.count <= 3)
		case 'Z', 'X', 'x':
			off, ok = p.zone()
		}
		if !ok {
			return 0, d.parseError(s, at, fmt.Sprintf("expected %s", letterMeaning(t)))
		}
	}
	if !p.done() {
		return 0, d.parseError(s, p.i, "unexpected trailing text")
	}
	if h12 || hasAmPm {
		if hour < 1 || hour > 12 {
			return 0, d.parseError(s, 0, fmt.Sprintf("hour %d is out of range 1-12", hour))
		}
		hour %= 12
		if pm {
			hour += 12
		}
	}
	if doy > 0 {
		days := int64(365)
		if cal.IsLeap(year) {
			days = 366
		}
		if doy > days {
			return 0, d.parseError(s, 0, fmt.Sprintf("day of year %d is out of range", doy))
		}
		y, m, dd := cal.DateFromDays(cal.DaysFromDate(year, 1, 1) + doy - 1)
		year, month, day = y, m, dd
	}
	switch {
	case month < 1 || month > 12:
		return 0, d.parseError(s, 0, fmt.Sprintf("month %d is out of range", month))
	case day < 1 || day > cal.DaysInMonth(year, month):
		return 0, d.parseError(s, 0, fmt.Sprintf("day %d is out of range for %04d-%02d", day, year, month))
	case hour > 23 || minute > 59 || second > 59:
		return 0, d.parseError(s, 0, fmt.Sprintf("time %02d:%02d:%02d is out of range", hour, minute, second))
	}
	ms, ok := fromCivil(year, month, day, hour, minute, second, milli)
	if ok {
		ms, ok = subInt(ms, off)
	}
	if !ok {
		return 0, errTimestampRange
	}
	return ms, nil
}

func (d *dtPattern) parseError(s string, at int, why string) error {
	return fmt.Errorf("cannot parse %s with pattern %s: %s at offset %d", quoteValue(s), quoteValue(d.src), why, at)
}

func letterMeaning(t dtTok) string {
	switch t.letter {
	case 'y':
		return "a year"
	case 'M':
		return "a month"
	case 'd':
		return "a day of month"
	case 'D':
		return "a day of year"
	case 'H', 'h':
		return "an hour"
	case 'm':
		return "minutes"
	case 's':
		return "seconds"
	case 'S':
		return fmt.Sprintf("%d digits of a fraction of a second", t.count)
	case 'a':
		return "AM or PM"
	case 'E':
		return "a day name"
	}
	return "a zone offset such as Z or +02:00"
}

// name reads one of names (case-insensitive), in full or as its first three
// letters when short.
func (p *scanner) name(names []string, short bool) (int64, bool) {
	rest := p.s[p.i:]
	for i, n := range names {
		if short {
			n = n[:3]
		}
		if len(rest) >= len(n) && strings.EqualFold(rest[:len(n)], n) {
			p.i += len(n)
			return int64(i), true
		}
	}
	return 0, false
}
