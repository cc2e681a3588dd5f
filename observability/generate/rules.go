package generate

import (
	"fmt"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/velostream/velostream/observability/annotations"
)

// RuleGroups returns the query's Prometheus rules: recording rules for the
// metrics where a precomputed series helps (a counter's rate, a histogram's
// mean and quantiles; a gauge is already its own value) and an alerting
// rule per @alert. Groups without rules are left out.
func RuleGroups(spec *annotations.Spec, t Target) []monitoringv1.RuleGroup {
	p := promql{query: t.Name, window: spec.Window}
	rng := dur(annotations.DefaultRange)
	var records []monitoringv1.Rule
	for _, m := range spec.Metrics {
		switch m.Type {
		case annotations.Counter:
			records = append(records, record(level(m)+":"+m.Base()+":rate"+rng,
				fmt.Sprintf("sum %s (rate(%s[%s]))", by(m), p.selector(m.Series()), rng)))
		case annotations.Histogram:
			records = append(records, record(level(m)+":"+m.Base()+":mean"+rng,
				fmt.Sprintf("sum %s (rate(%s[%s])) / sum %s (rate(%s[%s]))",
					by(m), p.selector(m.Series()+"_sum"), rng, by(m), p.selector(m.Series()+"_count"), rng)))
			for _, q := range []struct{ name, q string }{{"p50", "0.5"}, {"p99", "0.99"}} {
				records = append(records, record(level(m)+":"+m.Base()+":"+q.name+"_"+rng,
					fmt.Sprintf("histogram_quantile(%s, sum %s (rate(%s[%s])))", q.q, by(m, "le"), p.selector(m.Series()+"_bucket"), rng)))
			}
		}
	}
	var alerts []monitoringv1.Rule
	for _, a := range spec.Alerts {
		r := monitoringv1.Rule{
			Alert:  a.Name,
			Expr:   intstr.FromString(p.cond(a.Expr)),
			Labels: map[string]string{"severity": a.Severity},
			Annotations: map[string]string{
				"summary":     summary(a),
				"description": fmt.Sprintf("Velostream query %s: @alert %s", t.Name, a.Condition),
			},
		}
		if a.For > 0 {
			d := monitoringv1.Duration(dur(a.For))
			r.For = &d
		}
		alerts = append(alerts, r)
	}
	var groups []monitoringv1.RuleGroup
	if len(records) > 0 {
		groups = append(groups, monitoringv1.RuleGroup{Name: "velo-" + t.Name + ".rules", Rules: records})
	}
	if len(alerts) > 0 {
		groups = append(groups, monitoringv1.RuleGroup{Name: "velo-" + t.Name + ".alerts", Rules: alerts})
	}
	return groups
}

func record(name, expr string) monitoringv1.Rule {
	return monitoringv1.Rule{Record: name, Expr: intstr.FromString(expr)}
}

// summary is @alert_summary, or a sentence naming the query, the labels
// of the firing series and the value.
func summary(a *annotations.Alert) string {
	if a.Summary != "" {
		return a.Summary
	}
	var b strings.Builder
	b.WriteString("{{ $labels.query }}: " + a.Condition)
	labels := annotations.Labels(a.Expr)
	if len(labels) > 0 {
		b.WriteString(" for")
		for i, l := range labels {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s={{ $labels.%s }}", l, l)
		}
	}
	b.WriteString(" (value {{ $value | humanize }})")
	return b.String()
}

// PrometheusRule is the rules as a prometheus-operator PrometheusRule.
func PrometheusRule(spec *annotations.Spec, t Target) *monitoringv1.PrometheusRule {
	return &monitoringv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PrometheusRuleKind},
		ObjectMeta: t.meta(t.Name),
		Spec:       monitoringv1.PrometheusRuleSpec{Groups: RuleGroups(spec, t)},
	}
}

// ruleFile is Prometheus' rule file format (rule_files in prometheus.yml);
// its groups have the same fields as the PrometheusRule's.
type ruleFile struct {
	Groups []monitoringv1.RuleGroup `json:"groups"`
}

// RuleFile is the rules as a plain Prometheus rule file, for users without
// the operator.
func RuleFile(spec *annotations.Spec, t Target) ([]byte, error) {
	groups := RuleGroups(spec, t)
	if groups == nil {
		groups = []monitoringv1.RuleGroup{}
	}
	b, err := yaml.Marshal(ruleFile{Groups: groups})
	if err != nil {
		return nil, fmt.Errorf("generate: rule file: %w", err)
	}
	return b, nil
}
