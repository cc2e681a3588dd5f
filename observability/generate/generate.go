// Package generate turns a query's observability Spec into the objects that
// watch it: a ServiceMonitor, Prometheus rules (as a PrometheusRule and as a
// plain rule file), a Grafana dashboard, and that dashboard in a ConfigMap
// for Grafana's sidecar. `velo generate` writes them to files; the operator
// calls the same functions and applies the objects.
//
// Takes: an *annotations.Spec and a Target (the query's name, namespace and
// labels). Gives: typed objects (prometheus-operator monitoring/v1, core/v1,
// the Grafana foundation SDK's dashboard) and their serialised files. The
// functions are pure: no clients, no I/O, the same input gives the same
// bytes (golden-file tested).
package generate

import (
	"fmt"
	"hash/fnv"
	"maps"
	"sort"

	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/observability/annotations"
)

// Label keys set on generated objects and expected on the query's Service.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelComponent = "app.kubernetes.io/component"
	LabelQuery     = "velostream.io/query"
)

// Target says which query the objects watch and how they are labelled.
type Target struct {
	// SQL, when set, is the query's text: Files then also writes the
	// StreamingQuery that deploys it.
	SQL string
	// Name is the query's name: a DNS-1123 label (observability.QueryName
	// makes one). It is the query label on the served series.
	Name string
	// Namespace of the objects; "" leaves it out (kubectl -n decides).
	Namespace string
	// Labels are added to every object (for example release: <helm release>
	// for a kube-prometheus-stack Prometheus that selects by it).
	Labels map[string]string
	// Selector picks the query's Service; default velostream.io/query: Name.
	Selector map[string]string
	// Port is the name of the Service port serving /metrics; default
	// "metrics".
	Port string
	// Interval is the scrape interval; default 15s.
	Interval string
}

// Validate reports a target the objects could not be applied with.
func (t Target) Validate() error {
	t = t.withDefaults()
	if t.Name == "" || observability.DNSLabel(t.Name) != t.Name {
		return fmt.Errorf("generate: query name %q is not a DNS-1123 label (lower case letters, digits and '-')", t.Name)
	}
	if d, err := model.ParseDuration(t.Interval); err != nil || d <= 0 {
		return fmt.Errorf("generate: scrape interval %q is not a Prometheus duration such as 15s or 1m", t.Interval)
	}
	return nil
}

func (t Target) withDefaults() Target {
	if t.Port == "" {
		t.Port = "metrics"
	}
	if t.Interval == "" {
		t.Interval = "15s"
	}
	if len(t.Selector) == 0 {
		t.Selector = map[string]string{LabelQuery: t.Name}
	}
	return t
}

// meta is the metadata of a generated object.
func (t Target) meta(name string) metav1.ObjectMeta {
	labels := map[string]string{LabelName: "velostream", LabelComponent: "query", LabelQuery: t.Name}
	maps.Copy(labels, t.Labels)
	return metav1.ObjectMeta{Name: name, Namespace: t.Namespace, Labels: labels}
}

// File is one generated file.
type File struct {
	Name string
	Data []byte
}

// Files renders every file `velo generate` writes, in a fixed order. The
// rule files are left out when the query has no metrics and no alerts
// (there is nothing to record or alert on); the ServiceMonitor and the
// dashboard always come, for the engine's own series.
func Files(spec *annotations.Spec, t Target) ([]File, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	var out []File
	add := func(name string, b []byte, err error) error {
		if err != nil {
			return err
		}
		out = append(out, File{Name: name, Data: b})
		return nil
	}
	if t.SQL != "" {
		q := StreamingQuery(t.SQL, t)
		sq, err := yamlOf(specOnly{TypeMeta: q.TypeMeta, ObjectMeta: q.ObjectMeta, Spec: q.Spec})
		if err := add("streamingquery.yaml", sq, err); err != nil {
			return nil, err
		}
	}
	sm, err := yamlOf(ServiceMonitor(t))
	if err := add("servicemonitor.yaml", sm, err); err != nil {
		return nil, err
	}
	if len(RuleGroups(spec, t)) > 0 {
		pr, err := yamlOf(PrometheusRule(spec, t))
		if err := add("prometheusrule.yaml", pr, err); err != nil {
			return nil, err
		}
		rf, err := RuleFile(spec, t)
		if err := add("prometheus-rules.yml", rf, err); err != nil {
			return nil, err
		}
	}
	dj, err := DashboardJSON(spec, t)
	if err := add("dashboard.json", dj, err); err != nil {
		return nil, err
	}
	cm, err := DashboardConfigMap(spec, t)
	if err != nil {
		return nil, err
	}
	cmy, err := yamlOf(cm)
	if err := add("dashboard-configmap.yaml", cmy, err); err != nil {
		return nil, err
	}
	return out, nil
}

// dashboardUID is "velo-<name>", shortened with a hash past Grafana's 40
// characters so two long names stay distinct.
func dashboardUID(name string) string {
	uid := "velo-" + name
	if len(uid) <= 40 {
		return uid
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s-%08x", uid[:31], h.Sum32())
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
