package controllers

import (
	"context"
	"encoding/json"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/observability/annotations"
	"github.com/velostream/velostream/observability/generate"
)

// MonitoringTarget tells the observability generators which query they
// watch: the series carry query=<DNS label of the query's name> (the runner
// serves them under the same name), the ServiceMonitor selects the query's
// metrics Service, and every object carries the operator's labels (the
// operator's cache only sees objects labelled as its own).
func MonitoringTarget(q *v1alpha1.StreamingQuery) generate.Target {
	return generate.Target{
		Name:      observability.DNSLabel(q.Name),
		Namespace: q.Namespace,
		Labels:    runnerLabels(q.Name),
		Selector:  selectorLabels(q.Name),
		Port:      metricsPortName,
	}
}

// MakeServiceMonitor has Prometheus scrape the query's Service.
func MakeServiceMonitor(q *v1alpha1.StreamingQuery) *monitoringv1.ServiceMonitor {
	sm := generate.ServiceMonitor(MonitoringTarget(q))
	sm.Name = monitorName(q.Name)
	return sm
}

// MakePrometheusRule holds the recording and alerting rules of the query's
// annotations; nil when they ask for none.
func MakePrometheusRule(q *v1alpha1.StreamingQuery, spec *annotations.Spec) *monitoringv1.PrometheusRule {
	pr := generate.PrometheusRule(spec, MonitoringTarget(q))
	if len(pr.Spec.Groups) == 0 {
		return nil
	}
	pr.Name = monitorName(q.Name)
	return pr
}

// MakeDashboardConfigMap is the query's Grafana dashboard for the sidecar.
func MakeDashboardConfigMap(q *v1alpha1.StreamingQuery, spec *annotations.Spec) (*corev1.ConfigMap, error) {
	cm, err := generate.DashboardConfigMap(spec, MonitoringTarget(q))
	if err != nil {
		return nil, err
	}
	cm.Name = dashboardName(q.Name)
	return cm, nil
}

// reconcileMonitoring applies the monitoring children the query wants and
// the cluster serves, and deletes the ones it no longer wants.
func (r *StreamingQueryReconciler) reconcileMonitoring(ctx context.Context, p *pass, q *v1alpha1.StreamingQuery, checked *CheckedSQL, want monitoringWanted) error {
	key := func(obj client.Object) client.Object {
		obj.SetNamespace(q.Namespace)
		obj.SetName(monitorName(q.Name))
		return obj
	}
	if r.monitoring.ServiceMonitor {
		if want.serviceMonitor {
			if _, err := p.apply(ctx, q, MakeServiceMonitor(q)); err != nil {
				return err
			}
		} else if err := r.apply.deleteIfExists(ctx, key(&monitoringv1.ServiceMonitor{})); err != nil {
			return err
		}
	}
	if r.monitoring.PrometheusRule {
		var pr *monitoringv1.PrometheusRule
		if want.prometheusRule {
			pr = MakePrometheusRule(q, checked.Spec)
		}
		if pr != nil {
			if _, err := p.apply(ctx, q, pr); err != nil {
				return err
			}
		} else if err := r.apply.deleteIfExists(ctx, key(&monitoringv1.PrometheusRule{})); err != nil {
			return err
		}
	}
	if want.dashboard {
		cm, err := MakeDashboardConfigMap(q, checked.Spec)
		if err != nil {
			return err
		}
		_, err = p.apply(ctx, q, cm)
		return err
	}
	return r.apply.deleteIfExists(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: q.Namespace, Name: dashboardName(q.Name)}})
}

// reconcileDashboard applies the notebook's dashboard, joining the panels
// of every deployed cell whose SQL compiles, or deletes it when monitoring
// is off or no cell is deployed.
func (r *NotebookReconciler) reconcileDashboard(ctx context.Context, nb *v1alpha1.Notebook) error {
	var mon *v1alpha1.MonitoringSpec
	if nb.Spec.Defaults != nil {
		mon = nb.Spec.Defaults.Monitoring
	}
	want, _ := resolveMonitoring(mon, r.monitoring)
	var cm *corev1.ConfigMap
	if want.dashboard {
		var err error
		cm, err = MakeNotebookDashboard(nb)
		if err != nil {
			return err
		}
	}
	if cm == nil {
		k := notebookDashboardKey(nb)
		return r.apply.deleteIfExists(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: k.Namespace, Name: k.Name}})
	}
	_, err := r.apply.apply(ctx, nb, cm)
	return err
}

// MakeNotebookDashboard joins the dashboards the observability generator
// makes for each deployed cell into one ConfigMap for Grafana's sidecar:
// each cell's rows keep their panels, titled with the cell's name, stacked
// in cell order. Cells whose SQL does not compile are left out (their
// StreamingQuery reports the errors). It returns nil when no cell has a
// dashboard.
func MakeNotebookDashboard(nb *v1alpha1.Notebook) (*corev1.ConfigMap, error) {
	var joined *joinedDashboard
	for i := range nb.Spec.Cells {
		cell := &nb.Spec.Cells[i]
		if !cell.Deploy {
			continue
		}
		checked, errs := CheckSQL(cell.SQL)
		if len(errs) > 0 {
			continue
		}
		q := MakeCellQuery(nb, cell)
		d, err := generate.Dashboard(checked.Spec, MonitoringTarget(q))
		if err != nil {
			return nil, fmt.Errorf("dashboard of cell %s: %w", cell.Name, err)
		}
		if joined == nil {
			joined = newJoinedDashboard(nb, d)
		}
		joined.add(cell.Name, d)
	}
	if joined == nil {
		return nil, nil
	}
	b, err := json.MarshalIndent(joined.d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("notebook dashboard: %w", err)
	}
	k := notebookDashboardKey(nb)
	labels := map[string]string{
		LabelName:                        "velostream",
		LabelComponent:                   "notebook-dashboard",
		LabelManagedBy:                   ManagedBy,
		LabelNotebook:                    labelValue(nb.Name),
		generate.DashboardConfigMapLabel: "1",
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: k.Namespace, Name: k.Name, Labels: labels},
		Data:       map[string]string{labelValue(nb.Name) + ".json": string(b)},
	}, nil
}
