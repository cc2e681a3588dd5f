package controllers

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// MonitoringAPIs says which prometheus-operator APIs the cluster serves.
// The operator discovers them once at start (DiscoverMonitoring): its
// watches are fixed when the manager starts, so installing
// prometheus-operator later needs an operator restart to be noticed.
type MonitoringAPIs struct {
	ServiceMonitor bool
	PrometheusRule bool
}

var (
	serviceMonitorGK = schema.GroupKind{Group: monitoringv1.SchemeGroupVersion.Group, Kind: monitoringv1.ServiceMonitorsKind}
	prometheusRuleGK = schema.GroupKind{Group: monitoringv1.SchemeGroupVersion.Group, Kind: monitoringv1.PrometheusRuleKind}
)

// DiscoverMonitoring asks the cluster (through a RESTMapper backed by
// discovery) whether it serves ServiceMonitor and PrometheusRule. A "no
// match" is an answer; any other error is returned.
func DiscoverMonitoring(mapper apimeta.RESTMapper) (MonitoringAPIs, error) {
	var m MonitoringAPIs
	for _, c := range []struct {
		gk     schema.GroupKind
		served *bool
	}{{serviceMonitorGK, &m.ServiceMonitor}, {prometheusRuleGK, &m.PrometheusRule}} {
		_, err := mapper.RESTMapping(c.gk, monitoringv1.Version)
		switch {
		case err == nil:
			*c.served = true
		case apimeta.IsNoMatchError(err):
		default:
			return m, fmt.Errorf("discover %s: %w", c.gk, err)
		}
	}
	return m, nil
}

// monitoringWanted is the resolved MonitoringSpec of one query.
type monitoringWanted struct {
	serviceMonitor, prometheusRule, dashboard bool
}

// resolveMonitoring applies the "unset means auto" rule of MonitoringSpec.
// The dashboard's convention is a Grafana sidecar that loads labelled
// ConfigMaps; it cannot be discovered through the API, so "auto" turns it
// on where the prometheus-operator APIs are served, as stacks such as
// kube-prometheus-stack ship Grafana with that sidecar. It returns a
// message when a forced-on API is missing.
func resolveMonitoring(spec *v1alpha1.MonitoringSpec, apis MonitoringAPIs) (monitoringWanted, string) {
	var s v1alpha1.MonitoringSpec
	if spec != nil {
		s = *spec
	}
	pick := func(v *bool, auto bool) bool {
		if v == nil {
			return auto
		}
		return *v
	}
	w := monitoringWanted{
		serviceMonitor: pick(s.ServiceMonitor, apis.ServiceMonitor),
		prometheusRule: pick(s.PrometheusRule, apis.PrometheusRule),
		dashboard:      pick(s.Dashboard, apis.ServiceMonitor),
	}
	var missing string
	switch {
	case w.serviceMonitor && !apis.ServiceMonitor:
		missing = "spec.monitoring.serviceMonitor is true but the cluster does not serve monitoring.coreos.com/v1 ServiceMonitor: install prometheus-operator's CRDs and restart the operator, or unset the field"
	case w.prometheusRule && !apis.PrometheusRule:
		missing = "spec.monitoring.prometheusRule is true but the cluster does not serve monitoring.coreos.com/v1 PrometheusRule: install prometheus-operator's CRDs and restart the operator, or unset the field"
	}
	w.serviceMonitor = w.serviceMonitor && apis.ServiceMonitor
	w.prometheusRule = w.prometheusRule && apis.PrometheusRule
	return w, missing
}
