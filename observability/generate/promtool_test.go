package generate

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

// promtool returns the path of Debian's promtool. A missing tool fails the
// test: `make test` installs it.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found: run `make test` (it installs Debian's prometheus package) or hack/install-apt.sh promtool=prometheus")
	}
	return p
}

func runPromtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Every generated rule file, and the groups of every PrometheusRule, pass
// `promtool check rules` (PromQL syntax, templates, names, durations).
func TestRulesPassPromtoolCheck(t *testing.T) {
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			spec, target := specOf(t, c)
			if len(RuleGroups(spec, target)) == 0 {
				// plain.sql has no metrics: Files leaves the rule files out
				// (TestGoldenFiles pins that), so there is nothing to check.
				return
			}
			dir := t.TempDir()
			rf, err := RuleFile(spec, target)
			if err != nil {
				t.Fatal(err)
			}
			// The PrometheusRule's groups, read back from its YAML, as a
			// rule file of their own.
			pr, err := yamlOf(PrometheusRule(spec, target))
			if err != nil {
				t.Fatal(err)
			}
			var obj monitoringv1.PrometheusRule
			if err := yaml.UnmarshalStrict(pr, &obj); err != nil {
				t.Fatal(err)
			}
			fromCR, err := yaml.Marshal(ruleFile{Groups: obj.Spec.Groups})
			if err != nil {
				t.Fatal(err)
			}
			for name, b := range map[string][]byte{"prometheus-rules.yml": rf, "from-prometheusrule.yml": fromCR} {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
				out := runPromtool(t, dir, "check", "rules", name)
				n := 0
				for _, g := range RuleGroups(spec, target) {
					n += len(g.Rules)
				}
				if want := fmt.Sprintf("SUCCESS: %d rules found", n); !strings.Contains(out, want) {
					t.Errorf("%s: promtool says %q, want %q", name, out, want)
				}
			}
		})
	}
}

// The generated alerts and recording rules evaluated by `promtool test
// rules` on synthetic series: HighTradeVolume fires for the symbol whose
// 5-minute volume passes 1,000,000 once it has held for 5 minutes, not for
// the quiet one and not before; the gauge alert fires at once; the
// recording rule gives the per-second rate.
func TestGeneratedAlertsFireInPromtool(t *testing.T) {
	spec, target := specOf(t, "trade_volume")
	dir := t.TempDir()
	rf, err := RuleFile(spec, target)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus-rules.yml"), rf, 0o644); err != nil {
		t.Fatal(err)
	}
	q := target.Name
	test := `rule_files: [prometheus-rules.yml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  # AAPL trades 600,000 shares a minute (3,000,000 per 5-minute window),
  # MSFT 6,000 (30,000 per window).
  - series: 'velo_trade_volume_total{query="` + q + `",symbol="AAPL",job="velo",instance="runner-0"}'
    values: '0+600000x30'
  - series: 'velo_trade_volume_total{query="` + q + `",symbol="MSFT",job="velo",instance="runner-0"}'
    values: '0+6000x30'
  - series: 'velo_avg_price{query="` + q + `",symbol="PENNY",job="velo",instance="runner-0"}'
    values: '0.5x30'
  - series: 'velo_avg_price{query="` + q + `",symbol="AAPL",job="velo",instance="runner-0"}'
    values: '190x30'
  alert_rule_test:
  # At 5m the condition has held for 0m: pending, not firing.
  - eval_time: 5m
    alertname: HighTradeVolume
    exp_alerts: []
  - eval_time: 15m
    alertname: HighTradeVolume
    exp_alerts:
    - exp_labels:
        severity: critical
        query: ` + q + `
        symbol: AAPL
      exp_annotations:
        summary: AAPL traded 3M shares in 5 minutes
        description: 'Velostream query ` + q + `: @alert volume > 1000000'
  - eval_time: 2m
    alertname: AvgPriceAlert
    exp_alerts:
    - exp_labels:
        severity: warning
        query: ` + q + `
        symbol: PENNY
      exp_annotations:
        summary: '` + q + `: avg_price < 1 for symbol=PENNY (value 500m)'
        description: 'Velostream query ` + q + `: @alert avg_price < 1'
  promql_expr_test:
  - expr: query_symbol:velo_trade_volume:rate5m
    eval_time: 10m
    exp_samples:
    - labels: 'query_symbol:velo_trade_volume:rate5m{query="` + q + `",symbol="AAPL"}'
      value: 10000
    - labels: 'query_symbol:velo_trade_volume:rate5m{query="` + q + `",symbol="MSFT"}'
      value: 100
`
	if err := os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runPromtool(t, dir, "test", "rules", "test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules:\n%s", out)
	}
}
