package generate

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/planner"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/observability/annotations"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cases are the .sql files under observability/testdata.
var cases = []string{"trade_volume", "every_viz", "plain"}

func testdata(parts ...string) string {
	return filepath.Join(append([]string{"..", "testdata"}, parts...)...)
}

// specOf compiles a testdata query (its sources are declared, so no data is
// read) and resolves its annotations.
func specOf(t testing.TB, name string) (*annotations.Spec, Target) {
	t.Helper()
	file := testdata(name + ".sql")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	script, errs := parser.Parse(src)
	if len(errs) == 0 {
		var q = planner.Plan
		bound, berrs := binder.Bind(script, binder.Options{})
		errs = berrs
		if len(errs) == 0 {
			plan := q(bound)
			spec, aerrs := annotations.FromQuery(plan)
			if len(aerrs) == 0 {
				return spec, Target{SQL: src, Name: observability.QueryName(plan, file), Namespace: "trading", Labels: map[string]string{"release": "kube-prometheus-stack"}}
			}
			errs = aerrs
		}
	}
	t.Fatalf("%s:\n%s", file, diag.RenderAll(file, src, errs))
	return nil, Target{}
}

func TestGoldenFiles(t *testing.T) {
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			spec, target := specOf(t, c)
			files, err := Files(spec, target)
			if err != nil {
				t.Fatal(err)
			}
			dir := testdata("golden", c)
			if *update {
				os.RemoveAll(dir)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
				path := filepath.Join(dir, f.Name)
				if *update {
					if err := os.WriteFile(path, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./observability/generate -update to create it)", err)
				}
				if !bytes.Equal(f.Data, want) {
					t.Errorf("%s differs from the golden file (go test ./observability/generate -update rewrites it); got:\n%s", path, f.Data)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(files) {
				t.Errorf("golden dir has %d files, generated %v", len(entries), names)
			}
		})
	}
}

// Generating twice gives the same bytes (maps are sorted, no clocks).
func TestFilesAreDeterministic(t *testing.T) {
	spec, target := specOf(t, "trade_volume")
	a, err := Files(spec, target)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		b, _ := Files(spec, target)
		for j := range a {
			if !bytes.Equal(a[j].Data, b[j].Data) {
				t.Fatalf("%s differs between runs", a[j].Name)
			}
		}
	}
}

// The dashboard JSON goes through the foundation SDK's strict unmarshal
// (unknown fields fail) and its Validate, and keeps its panels and
// queries on the way.
func TestDashboardRoundTripsThroughTheSDK(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			spec, target := specOf(t, c)
			b, err := DashboardJSON(spec, target)
			if err != nil {
				t.Fatal(err)
			}
			// Strict unmarshal rejects unknown fields and wrong types
			// anywhere in the tree. In SDK v0.0.22 it also drops every
			// panel it read well (PanelOrRowPanel treats the empty error
			// list of a good panel as a failure), so the tree that is
			// checked and validated comes from the plain unmarshal.
			var strict dashboard.Dashboard
			if err := strictErr(strict.UnmarshalJSONStrict(b)); err != nil {
				t.Fatalf("strict unmarshal: %v", err)
			}
			var d dashboard.Dashboard
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			if err := d.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			// Nothing is lost on the way: marshalling the typed dashboard
			// gives back the same JSON.
			again, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(append(again, '\n'), b) {
				t.Errorf("dashboard JSON changed through the SDK types:\n%s", again)
			}
			if d.Title == nil || *d.Title != "Velostream: "+target.Name || d.Uid == nil || *d.Uid != "velo-"+target.Name {
				t.Errorf("title %v uid %v", d.Title, d.Uid)
			}
			if len(d.Templating.List) != 1 || d.Templating.List[0].Name != DatasourceVariable || d.Templating.List[0].Type != "datasource" {
				t.Errorf("variables: %+v", d.Templating.List)
			}
			var rows, panels int
			kinds := map[string]int{}
			for i, p := range d.Panels {
				if p.RowPanel != nil {
					rows++
					if p.RowPanel.Id != uint32(i+1) {
						t.Errorf("row %d has id %d", i, p.RowPanel.Id)
					}
					continue
				}
				if p.Panel.Id == nil || *p.Panel.Id != uint32(i+1) {
					t.Errorf("panel %d has id %v", i, p.Panel.Id)
				}
				panels++
				kinds[p.Panel.Type]++
				if len(p.Panel.Targets) == 0 {
					t.Errorf("panel %v has no query", p.Panel.Title)
				}
				if p.Panel.Datasource == nil || *p.Panel.Datasource.Uid != "${datasource}" {
					t.Errorf("panel %v does not use the datasource variable", p.Panel.Title)
				}
			}
			wantRows := 1
			if len(spec.Metrics) > 0 {
				wantRows = 2
			}
			if rows != wantRows || panels != 6+len(spec.Metrics) {
				t.Errorf("%d rows and %d panels, want %d and %d", rows, panels, wantRows, 6+len(spec.Metrics))
			}
			if c == "every_viz" {
				want := map[string]int{"timeseries": 6 + 3, "table": 1, "heatmap": 1, "geomap": 1, "gauge": 1}
				for k, n := range want {
					if kinds[k] != n {
						t.Errorf("%d %s panels, want %d (all: %v)", kinds[k], k, n, kinds)
					}
				}
			}
		})
	}
}

// The YAML objects read back into their Go types, with the labels and
// selectors the operator relies on.
func TestKubernetesObjectsReadBack(t *testing.T) {
	spec, target := specOf(t, "trade_volume")
	files, err := Files(spec, target)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]byte{}
	for _, f := range files {
		byName[f.Name] = f.Data
	}
	var sm monitoringv1.ServiceMonitor
	if err := yaml.UnmarshalStrict(byName["servicemonitor.yaml"], &sm); err != nil {
		t.Fatal(err)
	}
	if sm.Kind != "ServiceMonitor" || sm.APIVersion != "monitoring.coreos.com/v1" || sm.Namespace != "trading" ||
		sm.Spec.Selector.MatchLabels[LabelQuery] != "trade-volume" || sm.Spec.Endpoints[0].Port != "metrics" || sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("service monitor: %+v", sm)
	}
	var pr monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict(byName["prometheusrule.yaml"], &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Kind != "PrometheusRule" || len(pr.Spec.Groups) != 2 || len(pr.Spec.Groups[1].Rules) != 3 {
		t.Errorf("prometheus rule: %+v", pr)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(byName["dashboard-configmap.yaml"], &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Labels[DashboardConfigMapLabel] != "1" || cm.Data["trade-volume.json"] != string(byName["dashboard.json"]) {
		t.Errorf("config map labels %v keys %d", cm.Labels, len(cm.Data))
	}
}

func TestAlertPromQL(t *testing.T) {
	spec, target := specOf(t, "trade_volume")
	groups := RuleGroups(spec, target)
	got := map[string]string{}
	for _, r := range groups[1].Rules {
		got[r.Alert] = r.Expr.String()
	}
	want := map[string]string{
		"HighTradeVolume": `sum by (query, symbol) (increase(velo_trade_volume_total{query="trade-volume"}[5m])) > 1000000`,
		"AvgPriceAlert":   `max by (query, symbol) (velo_avg_price{query="trade-volume"}) < 1`,
		"TradeSizeAlert":  `histogram_quantile(0.99, sum by (query, le) (rate(velo_trade_size_bucket{query="trade-volume"}[10m]))) > 5000`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], v)
		}
	}
}

func TestBareCounterRangeFollowsTheWindow(t *testing.T) {
	m := &annotations.Metric{Name: "n", Labels: []string{"k"}}
	ref := &annotations.Ref{Metric: m}
	tests := []struct {
		window string
		want   string
	}{
		{"0s", `sum by (query, k) (increase(velo_n_total{query="q"}[5m]))`},
		{"1m", `(sum by (query, k) (rate(velo_n_total{query="q"}[5m])) * 60)`},
		{"1h", `sum by (query, k) (increase(velo_n_total{query="q"}[1h]))`},
	}
	for _, tt := range tests {
		w, _ := timeParse(tt.window)
		if got := (promql{query: "q", window: w}).ref(ref); got != tt.want {
			t.Errorf("window %s: %s, want %s", tt.window, got, tt.want)
		}
	}
}

func TestLongNamesGetDistinctUIDs(t *testing.T) {
	a := dashboardUID(strings.Repeat("a", 50) + "-one")
	b := dashboardUID(strings.Repeat("a", 50) + "-two")
	if len(a) > 40 || len(b) > 40 || a == b {
		t.Errorf("%q %q", a, b)
	}
}

// strictErr undoes a quirk of the SDK: UnmarshalJSONStrict returns its
// (empty) cog.BuildErrors slice as a non-nil error when all is well.
func strictErr(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

func timeParse(s string) (time.Duration, error) { return time.ParseDuration(s) }

func TestTargetValidate(t *testing.T) {
	tests := []struct {
		t    Target
		want string
	}{
		{Target{Name: "trades"}, ""},
		{Target{Name: "trades", Interval: "1m30s", Port: "http"}, ""},
		{Target{}, `query name "" is not a DNS-1123 label`},
		{Target{Name: "Trades_1"}, `query name "Trades_1" is not a DNS-1123 label`},
		{Target{Name: "trades", Interval: "15 seconds"}, `scrape interval "15 seconds" is not a Prometheus duration`},
	}
	for _, tt := range tests {
		err := tt.t.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: %v, want %q", tt.t, err, tt.want)
		}
		if _, ferr := Files(&annotations.Spec{}, tt.t); (ferr == nil) != (tt.want == "") {
			t.Errorf("Files(%+v) error %v", tt.t, ferr)
		}
	}
}
