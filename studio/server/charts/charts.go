// Package charts picks the chart that fits a query's result: the Studio
// draws live results with it, and `@viz` in the SQL overrides the choice.
//
// Takes: the result schema (column names and engine types) and the `@viz`
// value, if any. Gives: a Chart naming the chart type and which columns go
// on which axis, with the reason it was picked. Pure: no I/O, no state.
//
// The rules, first match wins:
//
//	latitude and longitude columns            -> geo (points)
//	a time column and a numeric value          -> line (x: time; a string key splits series)
//	a region column and a numeric value        -> geo (regions)
//	a string group key, one or two measures    -> bar
//	one numeric value and no group key         -> stat, or gauge for a ratio or score
//	anything else                              -> table
//
// Geo comes before bar so that "fraud by region" is drawn on a map, as the
// product brief shows it.
package charts

import (
	"fmt"
	"slices"
	"strings"

	"github.com/velostream/velostream/engine/types"
)

// Chart types.
const (
	Line    = "line"
	Bar     = "bar"
	Stat    = "stat"
	Gauge   = "gauge"
	Geo     = "geo"
	Table   = "table"
	Heatmap = "heatmap"
)

// Types lists the chart types a `@viz` annotation may name.
var Types = []string{Line, Bar, Stat, Gauge, Geo, Table, Heatmap}

// Column is one result column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // engine type name: STRING, BIGINT, DECIMAL(12,4), DOUBLE, TIMESTAMP, ...
	// Implicit marks a column the query did not select: the window bounds
	// (window_start, window_end) every windowed result carries. They do
	// not make a chart a time series: volume by symbol in a 5-minute window
	// is a bar chart, as the product brief draws it; select window_start to
	// get a line over time.
	Implicit bool `json:"implicit,omitempty"`
}

// FromSchema turns an engine schema into Columns.
func FromSchema(s types.Schema) []Column {
	out := make([]Column, len(s))
	for i, c := range s {
		out[i] = Column{Name: c.Name, Type: c.Type.String()}
	}
	return out
}

// Chart is a chart choice. Fields that do not apply to the type are empty.
type Chart struct {
	Type string `json:"type"`
	// X is the horizontal axis: the time column of a line, the category of
	// a bar chart.
	X string `json:"x,omitempty"`
	// Y are the measures drawn (line, bar, heatmap).
	Y []string `json:"y,omitempty"`
	// Series splits a line chart into one line per value of this column.
	Series string `json:"series,omitempty"`
	// Value is the single measure of a stat, gauge or geo chart.
	Value string `json:"value,omitempty"`
	// Lat and Lon place points on a geo chart; Region names areas instead.
	Lat    string `json:"lat,omitempty"`
	Lon    string `json:"lon,omitempty"`
	Region string `json:"region,omitempty"`
	// Title is the `@viz_title`, if any.
	Title string `json:"title,omitempty"`
	// Reason says why this chart was picked, for the UI to show.
	Reason string `json:"reason"`
	// Override is true when `@viz` chose the type.
	Override bool `json:"override"`
	// Warning reports a `@viz` that could not be honoured.
	Warning string `json:"warning,omitempty"`
}

// kind classifies a column for the rules.
type kind int

const (
	other kind = iota
	numeric
	text
	timeKind
)

func classify(t string) kind {
	base := strings.ToUpper(strings.TrimSpace(t))
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = base[:i]
	}
	k, ok := types.ParseTypeName(base)
	if !ok {
		return other
	}
	switch {
	case k.Numeric():
		return numeric
	case k == types.KindString:
		return text
	case k == types.KindTimestamp:
		return timeKind
	}
	return other
}

type cols struct {
	all                []Column
	nums, texts, times []string
	lat, lon, region   string
	preferredTime      string
}

func analyse(in []Column) cols {
	c := cols{all: in}
	for _, col := range in {
		if col.Implicit {
			continue
		}
		name := strings.ToLower(col.Name)
		switch classify(col.Type) {
		case numeric:
			switch {
			case c.lat == "" && isName(name, "lat", "latitude"):
				c.lat = col.Name
			case c.lon == "" && isName(name, "lon", "lng", "long", "longitude"):
				c.lon = col.Name
			default:
				c.nums = append(c.nums, col.Name)
			}
		case text:
			if c.region == "" && isName(name, "region", "country", "state") {
				c.region = col.Name
			}
			c.texts = append(c.texts, col.Name)
		case timeKind:
			c.times = append(c.times, col.Name)
			// A window's start is where its bar or point belongs.
			if c.preferredTime == "" && (name == "window_start" || name == "ts" || name == "time") {
				c.preferredTime = col.Name
			}
		}
	}
	if c.preferredTime == "" && len(c.times) > 0 {
		c.preferredTime = c.times[0]
	}
	return c
}

// isName reports whether name is one of words, or ends with _word.
func isName(name string, words ...string) bool {
	for _, w := range words {
		if name == w || strings.HasSuffix(name, "_"+w) {
			return true
		}
	}
	return false
}

// gaugeWords mark a measure with a natural range (a ratio, a score), which
// reads better as a gauge than as a bare number.
var gaugeWords = []string{"ratio", "rate", "pct", "percent", "percentage", "score", "utilization", "utilisation", "share"}

// Suggest picks the chart for a result with columns; viz is the `@viz`
// value ("" for none) and title the `@viz_title`.
func Suggest(columns []Column, viz, title string) Chart {
	c := analyse(columns)
	ch := auto(c)
	if v := strings.ToLower(strings.TrimSpace(viz)); v != "" {
		if !slices.Contains(Types, v) {
			ch.Warning = fmt.Sprintf("@viz %q is not a chart type (use %s); picked %s", viz, strings.Join(Types, ", "), ch.Type)
		} else {
			ch = override(c, v)
		}
	}
	ch.Title = title
	return ch
}

func auto(c cols) Chart {
	switch {
	case c.lat != "" && c.lon != "":
		return Chart{Type: Geo, Lat: c.lat, Lon: c.lon, Value: first(c.nums),
			Reason: fmt.Sprintf("latitude %s and longitude %s place points on a map", c.lat, c.lon)}
	case c.preferredTime != "" && len(c.nums) > 0:
		return Chart{Type: Line, X: c.preferredTime, Y: c.nums, Series: first(c.texts),
			Reason: fmt.Sprintf("time column %s with numeric %s", c.preferredTime, strings.Join(c.nums, ", "))}
	case c.region != "" && len(c.nums) > 0:
		return Chart{Type: Geo, Region: c.region, Value: c.nums[0],
			Reason: fmt.Sprintf("region column %s with numeric %s", c.region, c.nums[0])}
	case len(c.texts) > 0 && (len(c.nums) == 1 || len(c.nums) == 2):
		return Chart{Type: Bar, X: c.texts[0], Y: c.nums,
			Reason: fmt.Sprintf("group key %s with %s", c.texts[0], plural(len(c.nums), "measure"))}
	case len(c.texts) == 0 && len(c.times) == 0 && len(c.nums) == 1:
		t := Stat
		if isGaugeName(c.nums[0]) {
			t = Gauge
		}
		return Chart{Type: t, Value: c.nums[0],
			Reason: fmt.Sprintf("one value (%s) and no group key", c.nums[0])}
	}
	return Chart{Type: Table, Reason: "no chart fits these columns better than a table"}
}

func isGaugeName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range gaugeWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// override fills the axes of the chart type @viz asked for as well as the
// columns allow; a type the columns cannot feed falls back to a table with
// a warning rather than drawing nothing.
func override(c cols, t string) Chart {
	ch := Chart{Type: t, Override: true, Reason: "@viz: " + t}
	measures := c.nums
	switch t {
	case Line:
		ch.X = c.preferredTime
		if ch.X == "" {
			ch.X = first(c.texts)
		}
		ch.Y, ch.Series = measures, first(c.texts)
		if ch.X == c.preferredTime && ch.X != "" {
			break
		}
		ch.Series = ""
	case Bar, Heatmap:
		ch.X = first(c.texts)
		if ch.X == "" {
			ch.X = c.preferredTime
		}
		ch.Y = measures
		if t == Heatmap && c.preferredTime != "" && len(c.texts) > 0 {
			ch.X, ch.Series = c.preferredTime, c.texts[0]
		}
	case Stat, Gauge:
		ch.Value = first(measures)
	case Geo:
		ch.Lat, ch.Lon, ch.Region, ch.Value = c.lat, c.lon, c.region, first(measures)
		if (ch.Lat == "" || ch.Lon == "") && ch.Region == "" {
			ch.Lat, ch.Lon = "", ""
			return Chart{Type: Table, Override: true, Reason: "@viz: geo",
				Warning: "@viz geo needs latitude and longitude columns or a region column; showing a table"}
		}
	case Table:
	}
	if t != Table && t != Geo && len(measures) == 0 {
		return Chart{Type: Table, Override: true, Reason: "@viz: " + t,
			Warning: fmt.Sprintf("@viz %s needs a numeric column; showing a table", t)}
	}
	return ch
}

func first(s []string) string {
	if len(s) > 0 {
		return s[0]
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
