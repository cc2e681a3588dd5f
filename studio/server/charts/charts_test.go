package charts

import (
	"reflect"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/types"
)

func cs(spec string) []Column {
	var out []Column
	for _, f := range strings.Split(spec, ",") {
		name, typ, _ := strings.Cut(strings.TrimSpace(f), " ")
		out = append(out, Column{Name: name, Type: typ})
	}
	return out
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		name   string
		cols   string
		viz    string
		want   Chart
		reason string // substring of the reason
	}{
		{name: "volume by symbol is a bar chart (the brief's cell 1)",
			cols: "symbol STRING, volume BIGINT",
			want: Chart{Type: Bar, X: "symbol", Y: []string{"volume"}}, reason: "group key symbol with 1 measure"},
		{name: "two measures per key is still a bar chart",
			cols: "symbol STRING, volume BIGINT, avg_price DECIMAL(12,4)",
			want: Chart{Type: Bar, X: "symbol", Y: []string{"volume", "avg_price"}}},
		{name: "three measures per key is a table",
			cols: "symbol STRING, a BIGINT, b BIGINT, c DOUBLE",
			want: Chart{Type: Table}},
		{name: "window start with a value is a line",
			cols: "window_start TIMESTAMP, window_end TIMESTAMP, trades BIGINT",
			want: Chart{Type: Line, X: "window_start", Y: []string{"trades"}}},
		{name: "window end alone is the time axis",
			cols: "window_end TIMESTAMP, total DECIMAL(12,2)",
			want: Chart{Type: Line, X: "window_end", Y: []string{"total"}}},
		{name: "a key splits a line into series",
			cols: "symbol STRING, window_start TIMESTAMP, volume BIGINT",
			want: Chart{Type: Line, X: "window_start", Y: []string{"volume"}, Series: "symbol"}},
		{name: "fraud by region is a geo chart (the brief's example)",
			cols: "region STRING, fraud_count BIGINT, avg_amount DECIMAL(12,2)",
			want: Chart{Type: Geo, Region: "region", Value: "fraud_count"}, reason: "region column region"},
		{name: "latitude and longitude are points",
			cols: "txn_id STRING, lat DOUBLE, lon DOUBLE, amount DECIMAL(12,2)",
			want: Chart{Type: Geo, Lat: "lat", Lon: "lon", Value: "amount"}},
		{name: "spelt-out coordinates with a prefix",
			cols: "avg_latitude DOUBLE, avg_longitude DOUBLE",
			want: Chart{Type: Geo, Lat: "avg_latitude", Lon: "avg_longitude"}},
		{name: "geo beats line when coordinates are present",
			cols: "ts TIMESTAMP, lat DOUBLE, lon DOUBLE, fraud_score DOUBLE",
			want: Chart{Type: Geo, Lat: "lat", Lon: "lon", Value: "fraud_score"}},
		{name: "line beats region when there is a time column",
			cols: "region STRING, window_start TIMESTAMP, n BIGINT",
			want: Chart{Type: Line, X: "window_start", Y: []string{"n"}, Series: "region"}},
		{name: "one aggregate and no group is a stat",
			cols: "total_volume BIGINT",
			want: Chart{Type: Stat, Value: "total_volume"}, reason: "no group key"},
		{name: "one ratio is a gauge",
			cols: "avg_fraud_score DOUBLE",
			want: Chart{Type: Gauge, Value: "avg_fraud_score"}},
		{name: "a region column without a measure is a table",
			cols: "region STRING, merchant STRING",
			want: Chart{Type: Table}},
		{name: "raw events are a table",
			cols: "user_id STRING, session_id STRING, page STRING, referrer STRING, ts TIMESTAMP",
			want: Chart{Type: Table}},
		{name: "no columns is a table",
			cols: "", want: Chart{Type: Table}},
		{name: "@viz overrides the rules",
			cols: "symbol STRING, volume BIGINT", viz: "table",
			want: Chart{Type: Table, Override: true}},
		{name: "@viz line without a time column uses the key as x",
			cols: "symbol STRING, volume BIGINT", viz: "LINE",
			want: Chart{Type: Line, X: "symbol", Y: []string{"volume"}, Override: true}},
		{name: "@viz gauge takes the first measure",
			cols: "symbol STRING, volume BIGINT, n BIGINT", viz: "gauge",
			want: Chart{Type: Gauge, Value: "volume", Override: true}},
		{name: "@viz heatmap of keys over time",
			cols: "region STRING, window_start TIMESTAMP, n BIGINT", viz: "heatmap",
			want: Chart{Type: Heatmap, X: "window_start", Series: "region", Y: []string{"n"}, Override: true}},
		{name: "@viz geo without places falls back to a table with a warning",
			cols: "symbol STRING, volume BIGINT", viz: "geo",
			want: Chart{Type: Table, Override: true, Warning: "@viz geo needs latitude and longitude columns or a region column; showing a table"}},
		{name: "@viz bar without a measure falls back to a table",
			cols: "symbol STRING, venue STRING", viz: "bar",
			want: Chart{Type: Table, Override: true, Warning: "@viz bar needs a numeric column; showing a table"}},
		{name: "an unknown @viz keeps the rules' choice and says so",
			cols: "symbol STRING, volume BIGINT", viz: "pie",
			want: Chart{Type: Bar, X: "symbol", Y: []string{"volume"},
				Warning: `@viz "pie" is not a chart type (use line, bar, stat, gauge, geo, table, heatmap); picked bar`}},
		{name: "unknown types count as neither key nor measure",
			cols: "flag BOOLEAN, n BIGINT",
			want: Chart{Type: Stat, Value: "n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cols []Column
			if tt.cols != "" {
				cols = cs(tt.cols)
			}
			got := Suggest(cols, tt.viz, "")
			if !strings.Contains(got.Reason, tt.reason) || got.Reason == "" {
				t.Errorf("reason %q, want it to contain %q", got.Reason, tt.reason)
			}
			got.Reason = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Suggest(%s, %q)\n got %+v\nwant %+v", tt.cols, tt.viz, got, tt.want)
			}
		})
	}
}

// The window bounds a windowed query carries without selecting them do
// not turn volume by symbol into a time series.
func TestImplicitWindowColumnsAreIgnored(t *testing.T) {
	cols := cs("symbol STRING, volume BIGINT, window_start TIMESTAMP, window_end TIMESTAMP")
	cols[2].Implicit, cols[3].Implicit = true, true
	if got := Suggest(cols, "", ""); got.Type != Bar || got.X != "symbol" {
		t.Errorf("implicit bounds: %+v", got)
	}
	cols[2].Implicit = false
	if got := Suggest(cols, "", ""); got.Type != Line || got.X != "window_start" || got.Series != "symbol" {
		t.Errorf("selected window_start: %+v", got)
	}
}

func TestSuggestKeepsTheTitle(t *testing.T) {
	got := Suggest(cs("symbol STRING, volume BIGINT"), "bar", "Volume by symbol")
	if got.Title != "Volume by symbol" || got.Type != Bar {
		t.Errorf("got %+v", got)
	}
}

func TestFromSchemaSpellsEngineTypes(t *testing.T) {
	s := types.Schema{{Name: "p", Type: types.Type{Kind: types.KindDecimal, Precision: 12, Scale: 4}}, {Name: "ts", Type: types.Timestamp}}
	want := []Column{{Name: "p", Type: "DECIMAL(12,4)"}, {Name: "ts", Type: "TIMESTAMP"}}
	if got := FromSchema(s); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}
