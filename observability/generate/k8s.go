package generate

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/observability/annotations"
)

// StreamingQuery is the object that deploys the query through the operator:
// its SQL as written, with the target's name, namespace and labels. Kafka
// connection, replicas and monitoring are left to their defaults for the
// user (or a kustomize overlay) to set.
func StreamingQuery(sql string, t Target) *v1alpha1.StreamingQuery {
	t = t.withDefaults()
	return &v1alpha1.StreamingQuery{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.StreamingQueryKind},
		ObjectMeta: t.meta(t.Name),
		Spec:       v1alpha1.StreamingQuerySpec{SQL: sql},
	}
}

// specOnly leaves an object's (empty) status out of its YAML.
type specOnly struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              any `json:"spec"`
}

// ServiceMonitor has Prometheus scrape /metrics on the named port of the
// query's Service (selected by t.Selector in the object's namespace).
func ServiceMonitor(t Target) *monitoringv1.ServiceMonitor {
	t = t.withDefaults()
	return &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.ServiceMonitorsKind},
		ObjectMeta: t.meta(t.Name),
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: t.Selector},
			Endpoints: []monitoringv1.Endpoint{{
				Port:     t.Port,
				Path:     "/metrics",
				Interval: monitoringv1.Duration(t.Interval),
			}},
		},
	}
}

// DashboardConfigMapLabel is the label Grafana's dashboard sidecar (as set
// up by kube-prometheus-stack) watches for.
const DashboardConfigMapLabel = "grafana_dashboard"

// DashboardConfigMap holds the dashboard JSON in a ConfigMap labelled
// grafana_dashboard: "1", under the key <name>.json.
func DashboardConfigMap(spec *annotations.Spec, t Target) (*corev1.ConfigMap, error) {
	b, err := DashboardJSON(spec, t)
	if err != nil {
		return nil, err
	}
	meta := t.meta(t.Name + "-dashboard")
	meta.Labels[DashboardConfigMapLabel] = "1"
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
		Data:       map[string]string{t.Name + ".json": string(b)},
	}, nil
}

// yamlOf serialises a Kubernetes object the way kubectl reads it (through
// its JSON tags, keys sorted).
func yamlOf(obj any) ([]byte, error) {
	b, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("generate: %T to YAML: %w", obj, err)
	}
	return b, nil
}
