package offline

import (
	"strings"
	"unicode"

	"github.com/velostream/velostream/assistant"
)

// token is one word, number, quoted string or operator of a question.
type token struct {
	text string // as written (quotes removed for strings)
	norm string // lower-cased and stemmed, for matching
	kind tokKind
	num  string // a number's digits, without $ and thousands separators
}

type tokKind int

const (
	tWord tokKind = iota
	tNum
	tString
	tOp // > < >= <= = <> !=
	tComma
)

// tokenize splits a question. Hyphens, slashes and underscores separate
// words ("5-minute", "/checkout", "fraud_score"); an apostrophe inside a
// word is dropped with a possessive 's ("what's" is "what").
func tokenize(q string) []token {
	var out []token
	rs := []rune(q)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case (r == '\'' || r == '"' || r == '“' || r == '‘') && (i == 0 || !isWordRune(rs[i-1])):
			closeQ := map[rune]rune{'\'': '\'', '"': '"', '“': '”', '‘': '’'}[r]
			j := i + 1
			for j < len(rs) && rs[j] != closeQ {
				j++
			}
			if j >= len(rs) { // no closing quote: read it as a word boundary
				i++
				continue
			}
			s := string(rs[i+1 : j])
			out = append(out, token{text: s, norm: strings.ToLower(s), kind: tString})
			i = j + 1
		case unicode.IsDigit(r) || (r == '$' || r == '.') && i+1 < len(rs) && unicode.IsDigit(rs[i+1]):
			j := i
			if rs[j] == '$' {
				j++
			}
			var digits strings.Builder
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.' && j+1 < len(rs) && unicode.IsDigit(rs[j+1]) || rs[j] == ',' && j+3 < len(rs)+1 && threeDigits(rs, j+1)) {
				if rs[j] != ',' {
					digits.WriteRune(rs[j])
				}
				j++
			}
			d := digits.String()
			if strings.HasPrefix(d, ".") {
				d = "0" + d
			}
			out = append(out, token{text: string(rs[i:j]), norm: d, kind: tNum, num: d})
			i = j
		case strings.ContainsRune("<>=!", r):
			j := i + 1
			if j < len(rs) && strings.ContainsRune("<>=", rs[j]) {
				j++
			}
			op := string(rs[i:j])
			if op == "!" {
				i = j
				continue
			}
			out = append(out, token{text: op, norm: op, kind: tOp})
			i = j
		case r == ',':
			out = append(out, token{text: ",", norm: ",", kind: tComma})
			i++
		case isWordRune(r):
			j := i
			for j < len(rs) && (isWordRune(rs[j]) || rs[j] == '\'' && j+1 < len(rs) && unicode.IsLetter(rs[j+1])) {
				j++
			}
			w := string(rs[i:j])
			if k := strings.IndexRune(w, '\''); k >= 0 {
				w = strings.TrimSuffix(w[:k]+strings.ReplaceAll(w[k:], "'", ""), "s")
				if w == "" {
					w = string(rs[i:j])
				}
			}
			out = append(out, token{text: w, norm: stem(w), kind: tWord})
			i = j
		default: // punctuation that carries no meaning here: ? . ! ; : ( ) - / _
			i++
		}
	}
	return out
}

func threeDigits(rs []rune, i int) bool {
	if i+3 > len(rs) {
		return false
	}
	for k := i; k < i+3; k++ {
		if !unicode.IsDigit(rs[k]) {
			return false
		}
	}
	return i+3 == len(rs) || !unicode.IsDigit(rs[i+3])
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// stem lower-cases a word and strips a plural ending, so that "trades"
// meets "trade", "prices" meets "price" and "currencies" meets "currency".
// It is applied to the catalog's words and the question's alike, so it
// need only be consistent, not linguistically right.
func stem(w string) string {
	w = strings.ToLower(w)
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return w
	case len(w) > 3 && strings.HasSuffix(w, "s"):
		return w[:len(w)-1]
	}
	return w
}

// words splits a catalog phrase ("fraud_score", "trade price", "/checkout")
// into stemmed words the way questions are split.
func words(phrase string) []string {
	var out []string
	for _, t := range tokenize(phrase) {
		if t.kind != tString {
			out = append(out, t.norm)
		}
	}
	return out
}

// sense is one meaning of a phrase.
type sense struct {
	kind    senseKind
	stream  string
	column  string
	measure *assistant.Measure
	value   string // the catalog's spelling of a value
	fn      string // aggregate function
	op      string // comparison operator
	ms      int64  // a time unit's length, or a window adverb's size
	user    bool   // from the user's synonyms
}

type senseKind int

const (
	sStream senseKind = iota
	sColumn
	sMeasure
	sValue
	sAgg      // average, total, max ...
	sCountQ   // how many, number of, count
	sDistinct // distinct, unique, different
	sGroup    // by, per, for each, broken down by
	sEvery    // every, each
	sUnit     // minute, hours, s
	sAdverb   // hourly, daily: a tumbling window
	sWinWord  // window, bucket, interval
	sTumbling
	sSliding // rolling, sliding, moving, trailing
	sLast    // last, past, previous
	sGap     // gap, inactivity, timeout
	sCmp     // over, above, more than, >=
	sIs      // is, equals, =
	sNot     // not, other than, except
	sBetween
	sAnd
	sTop
	sBottom
	sSort // sorted by, ordered by, ranked by
	sDesc
	sAsc
	sChanges // real time, live
	sWith    // with, having, whose, where, that have
	sIn      // in, on, from, at, for
	sFiller  // words that carry no meaning in a question
	sMost    // most, highest (in "with the highest"), least
	sLeast
	sOr          // only in value lists: AAPL or MSFT
	sUnsupported // words of what the offline parser cannot build: ratios, arithmetic, comparisons over time
)

// lexicon maps stemmed phrases to their senses.
type lexicon struct {
	phrases map[string][]sense
	maxLen  int
}

func (l *lexicon) add(phrase []string, s sense) {
	if len(phrase) == 0 {
		return
	}
	k := strings.Join(phrase, " ")
	for _, have := range l.phrases[k] {
		if have.kind == s.kind && have.stream == s.stream && have.column == s.column && have.measure == s.measure && have.value == s.value && have.fn == s.fn && have.op == s.op && have.ms == s.ms {
			return
		}
	}
	l.phrases[k] = append(l.phrases[k], s)
	l.maxLen = max(l.maxLen, len(phrase))
}

func (l *lexicon) addWords(s sense, phrases ...string) {
	for _, p := range phrases {
		l.add(words(p), s)
	}
}

// builtin are the words of questions that are not in any catalog.
var builtin = []struct {
	s       sense
	phrases []string
}{
	{sense{kind: sAgg, fn: "AVG"}, []string{"average", "avg", "mean", "typical"}},
	{sense{kind: sAgg, fn: "SUM"}, []string{"total", "sum", "sum of", "sum total"}},
	{sense{kind: sAgg, fn: "MAX"}, []string{"max", "maximum", "highest", "largest", "biggest", "peak"}},
	{sense{kind: sAgg, fn: "MIN"}, []string{"min", "minimum", "lowest", "smallest"}},
	{sense{kind: sAgg, fn: "MEDIAN"}, []string{"median"}},
	{sense{kind: sAgg, fn: "STDDEV"}, []string{"standard deviation", "stddev", "std dev", "volatility"}},
	{sense{kind: sAgg, fn: "FIRST_VALUE"}, []string{"first", "earliest", "opening"}},
	{sense{kind: sAgg, fn: "LAST_VALUE"}, []string{"latest", "most recent", "closing"}},
	{sense{kind: sCountQ}, []string{"how many", "number of", "count of", "count", "counts", "no of"}},
	{sense{kind: sDistinct}, []string{"distinct", "unique", "different"}},
	{sense{kind: sGroup}, []string{"by", "per", "for each", "for every", "broken down by", "grouped by", "group by", "split by", "breakdown by", "across", "for all"}},
	{sense{kind: sEvery}, []string{"every", "each"}},
	{sense{kind: sUnit, ms: 1}, []string{"millisecond", "ms"}},
	{sense{kind: sUnit, ms: 1000}, []string{"second", "sec", "s"}},
	{sense{kind: sUnit, ms: 60_000}, []string{"minute", "min", "m"}},
	{sense{kind: sUnit, ms: 3_600_000}, []string{"hour", "hr", "h"}},
	{sense{kind: sUnit, ms: 86_400_000}, []string{"day", "d"}},
	{sense{kind: sAdverb, ms: 1000}, []string{"per second", "each second", "every second", "secondly"}},
	{sense{kind: sAdverb, ms: 60_000}, []string{"minutely", "minute by minute"}},
	{sense{kind: sAdverb, ms: 3_600_000}, []string{"hourly"}},
	{sense{kind: sAdverb, ms: 86_400_000}, []string{"daily"}},
	{sense{kind: sWinWord}, []string{"window", "bucket", "interval", "bin", "period", "time window", "time bucket"}},
	{sense{kind: sTumbling}, []string{"tumbling", "tumbling window", "fixed window"}},
	{sense{kind: sSliding}, []string{"sliding", "rolling", "moving", "trailing", "hopping", "sliding window", "rolling window"}},
	{sense{kind: sLast}, []string{"last", "past", "previous", "preceding"}},
	{sense{kind: sGap}, []string{"gap", "inactivity", "idle", "timeout", "inactivity gap", "session gap", "gap of inactivity"}},
	{sense{kind: sCmp, op: ">"}, []string{"over", "above", "more than", "greater than", "larger than", "higher than", "bigger than", "exceeding", "exceed", "exceeds", "in excess of", ">"}},
	{sense{kind: sCmp, op: ">="}, []string{"at least", "no less than", "not less than", "or more", ">=", "=>"}},
	{sense{kind: sCmp, op: "<"}, []string{"under", "below", "less than", "lower than", "smaller than", "fewer than", "cheaper than", "<"}},
	{sense{kind: sCmp, op: "<="}, []string{"at most", "no more than", "not more than", "up to", "or less", "<=", "=<"}},
	{sense{kind: sIs}, []string{"is", "equal to", "equals", "equal", "=", "=="}},
	{sense{kind: sOr}, []string{"or"}},
	{sense{kind: sNot}, []string{"not", "other than", "except", "excluding", "isnt", "is not", "non", "<>", "!="}},
	{sense{kind: sBetween}, []string{"between"}},
	{sense{kind: sAnd}, []string{"and", ",", "&", "as well as", "plus"}},
	{sense{kind: sTop}, []string{"top"}},
	{sense{kind: sBottom}, []string{"bottom"}},
	{sense{kind: sSort}, []string{"sorted by", "ordered by", "ranked by", "sort by", "order by", "rank by", "ranked on", "sorted on"}},
	{sense{kind: sDesc}, []string{"descending", "desc", "highest first", "largest first", "biggest first", "in descending order"}},
	{sense{kind: sAsc}, []string{"ascending", "asc", "lowest first", "smallest first", "in ascending order"}},
	{sense{kind: sChanges}, []string{"real time", "realtime", "live", "continuously", "as it happen", "as they happen", "updating live", "running", "so far"}},
	{sense{kind: sWith}, []string{"with", "having", "whose", "where", "that have", "that has", "which have", "which has", "with a", "with an"}},
	{sense{kind: sIn}, []string{"in", "on", "from", "at", "for", "during", "within", "via", "through"}},
	{sense{kind: sMost}, []string{"most", "the most", "the highest", "the largest", "the biggest"}},
	{sense{kind: sLeast}, []string{"least", "fewest", "the least", "the fewest", "the lowest", "the smallest"}},
	{sense{kind: sUnsupported}, []string{"ratio", "rate", "share of", "percentage", "percent", "proportion", "fraction",
		"weighted", "range", "minus", "divided by", "times", "multiplied by", "difference", "change", "growth", "increase",
		"decrease", "trend", "compared to", "versus", "vs", "join", "joined", "correlation", "per cent", "spike", "anomaly", "anomalies"}},
	{sense{kind: sFiller}, []string{
		"show", "me", "give", "list", "display", "get", "find", "return", "fetch", "compute", "calculate", "what", "whats",
		"which", "are", "was", "were", "be", "the", "a", "an", "please", "i", "we", "want", "to", "see", "can", "you",
		"could", "would", "like", "tell", "about", "all", "there", "do", "does", "did", "have", "has", "had", "it", "its",
		"that", "those", "these", "them", "their", "current", "currently", "now", "record", "row", "event", "data",
		"entry", "stream", "table", "overall", "traded", "made", "happening", "occurring", "recorded", "seen", "placed",
		"executed", "how", "much", "so", "up", "happened", "visited", "viewed", "clicked", "updated", "refreshed", "advancing", "recomputed", "arriving", "coming", "came",
		"shown", "broken", "down", "let", "us", "know", "done", "keep", "track", "of", "just", "only", "too", "also", "then", "respectively",
	}},
}

// newLexicon builds the lexicon of a catalog: stream, column and measure
// names and synonyms, the user's synonyms, known values, and the builtin
// words.
func newLexicon(cat *assistant.Catalog) *lexicon {
	l := &lexicon{phrases: map[string][]sense{}}
	for _, b := range builtin {
		l.addWords(b.s, b.phrases...)
	}
	for i := range cat.Streams {
		s := &cat.Streams[i]
		l.addWords(sense{kind: sStream, stream: s.Name}, s.Name)
		l.addWords(sense{kind: sStream, stream: s.Name}, s.Synonyms...)
		for _, c := range s.Columns {
			cs := sense{kind: sColumn, stream: s.Name, column: c.Name}
			l.addWords(cs, c.Name)
			l.addWords(cs, c.Synonyms...)
			if strings.HasSuffix(c.Name, "_id") { // customer_id is also "customer id", "customers"
				l.addWords(cs, strings.TrimSuffix(c.Name, "_id"))
			}
			for _, v := range c.Values {
				l.addWords(sense{kind: sValue, stream: s.Name, column: c.Name, value: v}, v)
			}
		}
		for j := range s.Measures {
			m := &s.Measures[j]
			ms := sense{kind: sMeasure, stream: s.Name, measure: m}
			l.addWords(ms, m.Name)
			l.addWords(ms, m.Synonyms...)
		}
	}
	// User synonyms win: they replace whatever the phrase meant before.
	for _, syn := range cat.UserSynonyms {
		st, col, m, err := cat.ResolveTarget(syn.Target)
		if err != nil {
			continue // Catalog.Validate reports these
		}
		var s sense
		switch {
		case col != nil:
			s = sense{kind: sColumn, stream: st.Name, column: col.Name, user: true}
		case m != nil:
			s = sense{kind: sMeasure, stream: st.Name, measure: m, user: true}
		default:
			s = sense{kind: sStream, stream: st.Name, user: true}
		}
		k := strings.Join(words(syn.Phrase), " ")
		if k == "" {
			continue
		}
		var kept []sense
		for _, old := range l.phrases[k] {
			if old.user {
				kept = append(kept, old)
			}
		}
		l.phrases[k] = append(kept, s)
		l.maxLen = max(l.maxLen, len(words(syn.Phrase)))
	}
	return l
}
