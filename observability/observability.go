// Package observability holds what the live metrics and the generators must
// agree on: the names of the engine's own series and the name a query goes
// by in them. Its subpackages do the work:
//
//	annotations  @metric/@alert/@viz comments + output schema -> typed Spec
//	metrics      Spec + running query -> Prometheus registry served at /metrics
//	generate     Spec + query name -> ServiceMonitor, rules, Grafana dashboard
package observability

import (
	"path/filepath"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/plan"
)

// The engine's series, served for every query with the label query=<name>.
const (
	RecordsRead         = "velo_query_records_read_total"
	RecordsEmitted      = "velo_query_records_emitted_total"
	RecordsFiltered     = "velo_query_records_filtered_total"
	RecordsLate         = "velo_query_records_late_total"
	RecordsDeadLettered = "velo_query_records_dead_lettered_total"
	RecordsBad          = "velo_query_records_bad_total"
	OpenWindows         = "velo_query_open_windows"
	// StateRows is the rows joins, tables and window functions hold
	// (label kind: join, table, over).
	StateRows       = "velo_query_state_rows"
	RecordsReplayed = "velo_query_records_replayed_total"
	// ConnectionRetries counts failed attempts to reach a source's cluster
	// (label source); it grows while a broker is down.
	ConnectionRetries = "velo_query_connection_retries_total"
	WatermarkLag      = "velo_query_watermark_lag_seconds"
	ProcessingLatency = "velo_query_processing_latency_seconds"
	ConsumerLag       = "velo_query_consumer_lag"
	// SeriesDropped counts metric updates dropped because they would have
	// created a series past the metric's cap (label metric).
	SeriesDropped = "velo_metric_series_dropped_total"
	// RowsSkipped counts output rows a metric could not use (labels metric
	// and reason: null_field, not_numeric, negative, not_finite,
	// condition_error).
	RowsSkipped = "velo_metric_rows_skipped_total"
)

// QueryName is the name a query goes by in its series, rules, dashboard
// and Kubernetes objects when none is given: the stream a CREATE STREAM ...
// AS SELECT writes, else the .sql file's base name, made a DNS-1123 label
// (lower case letters, digits and '-', at most 63 characters).
func QueryName(q *plan.Query, file string) string {
	name := ""
	if cs, ok := q.Stmt.(*ast.CreateAsStmt); ok && cs.Name != nil {
		name = cs.Name.Name()
	}
	if name == "" && file != "" && !strings.HasPrefix(file, "<") {
		name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	return DNSLabel(name)
}

// DNSLabel turns s into a DNS-1123 label ("query" when nothing is left).
func DNSLabel(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > 63 {
		out = strings.TrimRight(out[:63], "-")
	}
	if out == "" {
		return "query"
	}
	return out
}
