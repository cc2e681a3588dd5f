package monitoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"sigs.k8s.io/yaml"

	"github.com/velostream/velostream/link/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var target = Target{
	Link: "payments/dr", Name: "dr-link", Namespace: "payments",
	Labels:   map[string]string{"app.kubernetes.io/managed-by": "velostream-operator"},
	Selector: map[string]string{"velostream.io/clusterlink": "dr"},
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./link/monitoring -update and review the diff\n%s", name, got)
	}
}

func TestGolden(t *testing.T) {
	cm, err := DashboardConfigMap(target, "dr-link-dashboard")
	if err != nil {
		t.Fatal(err)
	}
	for name, obj := range map[string]any{
		"servicemonitor.yaml":      ServiceMonitor(target),
		"prometheusrule.yaml":      PrometheusRule(target),
		"dashboard-configmap.yaml": cm,
	} {
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name, b)
	}
}

// TestDashboardRoundTripsThroughTheSDK: strict unmarshal (unknown fields
// fail), Validate, and nothing lost through the SDK's types.
func TestDashboardRoundTripsThroughTheSDK(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	d, err := Dashboard(target)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var strict dashboard.Dashboard
	if err := strict.UnmarshalJSONStrict(b); err != nil {
		var be cog.BuildErrors
		if !errors.As(err, &be) || len(be) > 0 {
			t.Fatalf("strict unmarshal: %v", err)
		}
	}
	var back dashboard.Dashboard
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	again, _ := json.Marshal(back)
	if !bytes.Equal(again, b) {
		t.Error("the dashboard changed through the SDK's types")
	}
	if len(*d.Uid) > 40 {
		t.Errorf("uid %q is longer than Grafana's 40 characters", *d.Uid)
	}
}

// TestQueriesReadTheLinkSeries: every series a panel or rule reads is one
// the link serves (a renamed metric would leave a blank panel).
func TestQueriesReadTheLinkSeries(t *testing.T) {
	served := []string{metrics.RecordsReplicated, metrics.BytesReplicated, metrics.RecordsFiltered, metrics.FilterErrors,
		metrics.LagRecords, metrics.LagSeconds, metrics.GroupOffsetsSync, metrics.GroupLastSync, metrics.Connected,
		metrics.TopicsMirrored, metrics.Restarts}
	d, _ := Dashboard(target)
	b, _ := json.Marshal(d)
	r, _ := yaml.Marshal(PrometheusRule(target))
	text := string(b) + string(r)
	for _, s := range served {
		if !strings.Contains(text, s) {
			t.Errorf("%s is not shown or alerted on", s)
		}
	}
	for _, word := range strings.FieldsFunc(text, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z') }) {
		if strings.HasPrefix(word, "velo_link_") && !contains(served, word) {
			t.Errorf("%s is read but the link does not serve it", word)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRulesPassPromtool: the alert rules pass `promtool check rules`.
func TestRulesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: run `make test` (it installs Debian's prometheus package)")
	}
	b, err := yaml.Marshal(map[string]any{"groups": PrometheusRule(target).Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS: 3 rules found") {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}
