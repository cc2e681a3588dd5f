package format

import (
	"github.com/velostream/velostream/engine/civil"
)

// maxYear bounds parsed years so that milliseconds stay inside int64
// (about 292 million years each side of 1970).
const maxYear = 290_000_000

const msPerDay = 86_400_000

// parseISO parses an RFC 3339 / ISO 8601 timestamp into epoch milliseconds:
// "2023-11-14", "2023-11-14T22:13", "2023-11-14T22:13:20", with a fraction
// of any length (truncated to milliseconds), a 'T', 't' or ' ' between date
// and time, and an optional zone "Z", "+02:00", "+0200" or "+02". A missing
// zone means UTC. Hand-written because time.Parse needs one layout per
// variant and costs several times more per value.
func parseISO(b []byte) (ms int64, msg string, off int) {
	i, ok := 0, false
	num := func(n int, what string) (int, bool) {
		v := 0
		for k := 0; k < n; k++ {
			if i >= len(b) || b[i]-'0' > 9 {
				if i >= len(b) {
					msg, off = "timestamp: expected "+what+", found end of text", i
				} else {
					msg, off = "timestamp: expected "+what+", found "+quoteByte(b[i]), i
				}
				return 0, false
			}
			v = v*10 + int(b[i]-'0')
			i++
		}
		return v, true
	}
	lit := func(c byte) bool {
		if i < len(b) && b[i] == c {
			i++
			return true
		}
		if i >= len(b) {
			msg, off = "timestamp: expected "+quoteByte(c)+", found end of text", i
		} else {
			msg, off = "timestamp: expected "+quoteByte(c)+", found "+quoteByte(b[i]), i
		}
		return false
	}
	var y int
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		// ISO 8601 expanded years ("+10000", "-0001"), as appendTimestamp
		// writes the years RFC 3339 cannot.
		neg := b[i] == '-'
		i++
		start := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			if y = y*10 + int(b[i]-'0'); y > maxYear {
				return 0, "timestamp: year out of range", start
			}
		}
		if i-start < 4 {
			return 0, "timestamp: expected at least 4 year digits after the sign", start
		}
		if neg {
			y = -y
		}
	} else if y, ok = num(4, "a 4-digit year"); !ok {
		return 0, msg, off
	}
	if !lit('-') {
		return 0, msg, off
	}
	monOff := i
	mo, ok := num(2, "a 2-digit month")
	if !ok || !lit('-') {
		return 0, msg, off
	}
	dayOff := i
	d, ok := num(2, "a 2-digit day")
	if !ok {
		return 0, msg, off
	}
	if mo < 1 || mo > 12 {
		return 0, "timestamp: month out of range", monOff
	}
	if d < 1 || int64(d) > civil.DaysInMonth(int64(y), int64(mo)) {
		return 0, "timestamp: day out of range", dayOff
	}
	ms = civil.DaysFromDate(int64(y), int64(mo), int64(d)) * msPerDay
	if i == len(b) {
		return ms, "", 0
	}
	if c := b[i]; c != 'T' && c != 't' && c != ' ' {
		return 0, "timestamp: expected 'T' or end of text after the date, found " + quoteByte(c), i
	}
	i++
	hOff := i
	h, ok := num(2, "a 2-digit hour")
	if !ok || !lit(':') {
		return 0, msg, off
	}
	mOff := i
	mi, ok := num(2, "2-digit minutes")
	if !ok {
		return 0, msg, off
	}
	sec, sOff := 0, i
	fracMs := 0
	if i < len(b) && b[i] == ':' {
		i++
		sOff = i
		if sec, ok = num(2, "2-digit seconds"); !ok {
			return 0, msg, off
		}
		if i < len(b) && (b[i] == '.' || b[i] == ',') {
			i++
			start := i
			for ; i < len(b) && b[i]-'0' <= 9; i++ {
				if k := i - start; k < 3 {
					fracMs = fracMs*10 + int(b[i]-'0')
				}
			}
			n := i - start
			if n == 0 {
				return 0, "timestamp: expected fraction digits", i
			}
			for ; n < 3; n++ {
				fracMs *= 10
			}
		}
	}
	switch {
	case h > 23:
		return 0, "timestamp: hour out of range", hOff
	case mi > 59:
		return 0, "timestamp: minutes out of range", mOff
	case sec > 59:
		return 0, "timestamp: seconds out of range", sOff
	}
	ms += int64(((h*60+mi)*60+sec)*1000 + fracMs)
	if i == len(b) {
		return ms, "", 0
	}
	switch c := b[i]; c {
	case 'Z', 'z':
		i++
	case '+', '-':
		i++
		zOff := i
		zh, ok := num(2, "a 2-digit zone hour")
		if !ok {
			return 0, msg, off
		}
		zm := 0
		if i < len(b) {
			if b[i] == ':' {
				i++
			}
			if zm, ok = num(2, "2-digit zone minutes"); !ok {
				return 0, msg, off
			}
		}
		if zh > 23 || zm > 59 {
			return 0, "timestamp: zone offset out of range", zOff
		}
		zoneMs := int64(zh*60+zm) * 60_000
		if c == '+' {
			ms -= zoneMs
		} else {
			ms += zoneMs
		}
	default:
		return 0, "timestamp: expected a zone ('Z' or +hh:mm) or end of text, found " + quoteByte(c), i
	}
	if i != len(b) {
		return 0, "timestamp: unexpected " + quoteByte(b[i]) + " after the zone", i
	}
	return ms, "", 0
}
