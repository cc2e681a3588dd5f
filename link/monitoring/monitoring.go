// Package monitoring generates what watches a ClusterLink, as
// observability/generate does for a query: a ServiceMonitor that scrapes
// the link's pod, a PrometheusRule with its alerts, and a Grafana dashboard
// (also in a ConfigMap for Grafana's sidecar). It takes a Target (the
// link's series label, namespace, labels and Service selector) and gives
// typed objects; the functions are pure (golden-file tested), and the
// PromQL reads the series named in link/metrics.
package monitoring

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/velostream/velostream/link/metrics"
	"github.com/velostream/velostream/observability/generate"
)

// Target says which link the objects watch.
type Target struct {
	// Link is the value of the link label on its series (namespace/name).
	Link string
	// Name names the generated objects (a DNS label, e.g. "<link>-link").
	Name      string
	Namespace string
	// Labels are added to every object.
	Labels map[string]string
	// Selector picks the link's metrics Service.
	Selector map[string]string
	// Port is the Service port serving /metrics; "metrics" when empty.
	Port string
}

// Alert thresholds. They are deliberately loose: an alert should mean a
// person has to look.
const (
	// LagAlertSeconds: the target has not held everything the source held
	// for this long.
	LagAlertSeconds = 300
	alertFor        = "10m"
)

func (t Target) meta(name string) metav1.ObjectMeta {
	labels := map[string]string{"app.kubernetes.io/name": "velostream", "app.kubernetes.io/component": "link"}
	maps.Copy(labels, t.Labels)
	return metav1.ObjectMeta{Name: name, Namespace: t.Namespace, Labels: labels}
}

func (t Target) port() string {
	if t.Port == "" {
		return "metrics"
	}
	return t.Port
}

// sel is a series selector for the link.
func (t Target) sel(series string) string {
	return fmt.Sprintf("%s{link=%s}", series, strconv.Quote(t.Link))
}

// ServiceMonitor has Prometheus scrape the link's Service.
func ServiceMonitor(t Target) *monitoringv1.ServiceMonitor {
	return &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.ServiceMonitorsKind},
		ObjectMeta: t.meta(t.Name),
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector:  metav1.LabelSelector{MatchLabels: t.Selector},
			Endpoints: []monitoringv1.Endpoint{{Port: t.port(), Path: "/metrics", Interval: "15s"}},
		},
	}
}

// PrometheusRule alerts when the link cannot reach a cluster, falls
// behind, or keeps restarting its replication.
func PrometheusRule(t Target) *monitoringv1.PrometheusRule {
	dur := func(s string) *monitoringv1.Duration { d := monitoringv1.Duration(s); return &d }
	rules := []monitoringv1.Rule{
		{
			Alert:  "VeloLinkDisconnected",
			Expr:   intstr.FromString(fmt.Sprintf("min by (link, cluster) (%s) == 0", t.sel(metrics.Connected))),
			For:    dur("5m"),
			Labels: map[string]string{"severity": "critical"},
			Annotations: map[string]string{
				"summary":     "ClusterLink {{ $labels.link }} cannot reach its {{ $labels.cluster }} cluster",
				"description": "The link retries; records are not replicated meanwhile. See docs/clusterlink.md.",
			},
		},
		{
			Alert:  "VeloLinkLagging",
			Expr:   intstr.FromString(fmt.Sprintf("max by (link, topic) (%s) > %d", t.sel(metrics.LagSeconds), LagAlertSeconds)),
			For:    dur(alertFor),
			Labels: map[string]string{"severity": "warning"},
			Annotations: map[string]string{
				"summary":     "ClusterLink {{ $labels.link }}: topic {{ $labels.topic }} is {{ $value | humanizeDuration }} behind",
				"description": "The target has not held everything the source holds for this long: the recovery point of a failover.",
			},
		},
		{
			Alert:  "VeloLinkRestarting",
			Expr:   intstr.FromString(fmt.Sprintf("increase(%s[15m]) > 3", t.sel(metrics.Restarts))),
			Labels: map[string]string{"severity": "warning"},
			Annotations: map[string]string{
				"summary":     "ClusterLink {{ $labels.link }} restarted replication {{ $value }} times in 15 minutes",
				"description": "Writes to the target fail (record too large, authorization, transactions); the link's log says why.",
			},
		},
	}
	return &monitoringv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PrometheusRuleKind},
		ObjectMeta: t.meta(t.Name),
		Spec:       monitoringv1.PrometheusRuleSpec{Groups: []monitoringv1.RuleGroup{{Name: "velo-link-" + t.Name + ".alerts", Rules: rules}}},
	}
}

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + generate.DatasourceVariable + "}")}

func q(expr, legend string) cog.Builder[variants.Dataquery] {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend).Range()
}

func series(title, desc, unit string, span uint32, targets ...cog.Builder[variants.Dataquery]) cog.Builder[dashboard.Panel] {
	for i, tg := range targets {
		targets[i] = tg.(*prometheus.DataqueryBuilder).RefId(string(rune('A' + i)))
	}
	return timeseries.NewPanelBuilder().Title(title).Description(desc).Datasource(datasource).
		Span(span).Height(8).Unit(unit).Targets(targets)
}

func single(title, desc, unit, expr string) cog.Builder[dashboard.Panel] {
	return stat.NewPanelBuilder().Title(title).Description(desc).Datasource(datasource).
		Span(6).Height(4).Unit(unit).
		Targets([]cog.Builder[variants.Dataquery]{prometheus.NewDataqueryBuilder().Expr(expr).Instant().RefId("A")})
}

// Dashboard is the link's Grafana dashboard: its state at a glance, then
// throughput, lag and group syncs per topic.
func Dashboard(t Target) (dashboard.Dashboard, error) {
	rate := func(s, by string) string {
		return fmt.Sprintf("sum by (%s) (rate(%s[$__rate_interval]))", by, t.sel(s))
	}
	b := dashboard.NewDashboardBuilder("Velostream link: "+t.Link).
		Uid(uid(t.Link)).
		Description("Generated by the Velostream operator for a ClusterLink (link/monitoring).").
		Tags([]string{"velostream", "clusterlink"}).
		Refresh("30s").
		Time("now-1h", "now").
		Editable().
		WithVariable(dashboard.NewDatasourceVariableBuilder(generate.DatasourceVariable).Label("Data source").Type("prometheus"))

	b.WithRow(dashboard.NewRowBuilder("Link"))
	b.WithPanel(single("Source connected", "1 when the link's last request to the source succeeded.", "short", fmt.Sprintf(`min(%s{link=%s,cluster="source"})`, metrics.Connected, strconv.Quote(t.Link))))
	b.WithPanel(single("Target connected", "1 when the link's last request to the target succeeded.", "short", fmt.Sprintf(`min(%s{link=%s,cluster="target"})`, metrics.Connected, strconv.Quote(t.Link))))
	b.WithPanel(single("Topics mirrored", "Source topics the link mirrors.", "short", fmt.Sprintf("max(%s)", t.sel(metrics.TopicsMirrored))))
	b.WithPanel(single("Largest lag", "Seconds since the target last held everything the source held, worst topic.", "s", fmt.Sprintf("max(%s)", t.sel(metrics.LagSeconds))))

	b.WithRow(dashboard.NewRowBuilder("Replication"))
	b.WithPanel(series("Records replicated", "Records written to the target per second, by source topic.", "cps", 12,
		q(rate(metrics.RecordsReplicated, "topic"), "{{topic}}")))
	b.WithPanel(series("Bytes replicated", "Key and value bytes written to the target per second, by source topic.", "Bps", 12,
		q(rate(metrics.BytesReplicated, "topic"), "{{topic}}")))
	b.WithPanel(series("Lag (records)", "Records on the source not yet on the target, by topic.", "short", 12,
		q(fmt.Sprintf("sum by (topic) (%s)", t.sel(metrics.LagRecords)), "{{topic}}")))
	b.WithPanel(series("Lag (seconds)", "Seconds since the target last held everything the source held, by topic (worst partition).", "s", 12,
		q(fmt.Sprintf("max by (topic) (%s)", t.sel(metrics.LagSeconds)), "{{topic}}")))
	b.WithPanel(series("Filter", "Records the filter dropped, and records it could not judge, per second.", "cps", 12,
		q(rate(metrics.RecordsFiltered, "topic"), "dropped {{topic}}"),
		q(rate(metrics.FilterErrors, "topic"), "not judged {{topic}}")))
	b.WithPanel(series("Restarts", "Replication restarts from the stored positions after a write failed.", "short", 12,
		q(fmt.Sprintf("increase(%s[$__rate_interval])", t.sel(metrics.Restarts)), "restarts")))

	b.WithRow(dashboard.NewRowBuilder("Consumer groups"))
	b.WithPanel(series("Group offsets synced", "Partition offsets translated and committed on the target, per second, by group.", "cps", 12,
		q(rate(metrics.GroupOffsetsSync, "group"), "{{group}}")))
	b.WithPanel(series("Since the last group sync", "Seconds since each group's offsets were last committed on the target.", "s", 12,
		q(fmt.Sprintf("time() - max by (group) (%s)", t.sel(metrics.GroupLastSync)), "{{group}}")))

	d, err := b.Build()
	if err != nil {
		return d, fmt.Errorf("link dashboard: %w", err)
	}
	for i, p := range d.Panels {
		id := uint32(i + 1)
		if p.RowPanel != nil {
			p.RowPanel.Id = id
		} else if p.Panel != nil {
			p.Panel.Id = &id
		}
	}
	return d, nil
}

// DashboardConfigMap holds the dashboard for Grafana's sidecar.
func DashboardConfigMap(t Target, name string) (*corev1.ConfigMap, error) {
	d, err := Dashboard(t)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("link dashboard JSON: %w", err)
	}
	meta := t.meta(name)
	meta.Labels[generate.DashboardConfigMapLabel] = "1"
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
		Data:       map[string]string{t.Name + ".json": string(b) + "\n"},
	}, nil
}

// uid is a stable dashboard uid within Grafana's 40 characters.
func uid(link string) string {
	u := "velo-link-" + strings.ReplaceAll(link, "/", "-")
	if len(u) <= 40 {
		return u
	}
	h := fnv.New32a()
	h.Write([]byte(link))
	return fmt.Sprintf("%s-%08x", u[:31], h.Sum32())
}
