package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"slices"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/link"
	"github.com/velostream/velostream/link/monitoring"
)

// Link pod constants.
const (
	linkContainer = "link"
	// LinkConfigKey is the key of the link's YAML in its ConfigMap, and
	// LinkConfigPath where the pod mounts it.
	LinkConfigKey  = "link.yaml"
	linkConfigDir  = "/etc/velo"
	LinkConfigPath = linkConfigDir + "/" + LinkConfigKey
	linkConfigVol  = "link"
	// Not under linkConfigDir: a mount nested in the ConfigMap volume
	// would have the kubelet write into that volume.
	linkSecretsDir = "/var/run/secrets/velostream/link"
	// LinkAppName is LabelName on link objects.
	LinkAppName = "velostream-link"
	// LabelClusterLink selects a link's pod; it is part of the
	// Deployment's immutable selector.
	LabelClusterLink = "velostream.io/clusterlink"
)

// Names of a ClusterLink's children. The "-link" suffix keeps them apart
// from a StreamingQuery of the same name in the namespace.
func linkDeploymentName(link string) string { return childName(link, "-link", maxSubdomain) }
func linkConfigMapName(link string) string  { return childName(link, "-link-config", maxSubdomain) }
func linkServiceName(link string) string    { return childName(link, "-link", maxLabel) }
func linkMonitorName(link string) string    { return childName(link, "-link", maxSubdomain) }
func linkDashboardName(link string) string  { return childName(link, "-link-dashboard", maxSubdomain) }

func linkLabels(name string) map[string]string {
	return map[string]string{
		LabelName:        LinkAppName,
		LabelInstance:    labelValue(name),
		LabelComponent:   "link",
		LabelManagedBy:   ManagedBy,
		LabelClusterLink: labelValue(name),
	}
}

func linkSelector(name string) map[string]string {
	return map[string]string{LabelName: LinkAppName, LabelClusterLink: labelValue(name)}
}

// LinkInputs are everything a ClusterLink's children are made from; the
// make* functions are pure.
type LinkInputs struct {
	Link *v1alpha1.ClusterLink
	// Image runs `velo link`: spec.image or the operator's runner image
	// (the same velo binary).
	Image string
	// SecretVersions maps each Secret the pod mounts to its
	// resourceVersion ("" when missing), so a changed credential rolls the
	// pod, which reads credentials at start.
	SecretVersions map[string]string
}

// linkMount is one Secret key mounted as one file for one side.
type linkMount struct {
	volume string // also the folder under linkSecretsDir
	file   string
	ref    *corev1.SecretKeySelector
}

func (m linkMount) path() string { return path.Join(linkSecretsDir, m.volume, m.file) }

// linkMounts lists the Secret keys a connection mounts, in a fixed order,
// with volume names prefixed by the side.
func linkMounts(side string, c *v1alpha1.LinkConnection) []linkMount {
	var out []linkMount
	add := func(kind, file string, ref *corev1.SecretKeySelector) {
		if ref != nil {
			out = append(out, linkMount{volume: side + "-" + kind, file: file, ref: ref})
		}
	}
	if t := c.TLS; t != nil {
		add("tls-ca", "ca.crt", t.CASecretRef)
		add("tls-cert", "tls.crt", t.CertSecretRef)
		add("tls-key", "tls.key", t.KeySecretRef)
	}
	if s := c.SASL; s != nil {
		add("sasl-username", "username", s.UsernameSecretRef)
		add("sasl-password", "password", s.PasswordSecretRef)
	}
	return out
}

func allLinkMounts(l *v1alpha1.ClusterLink) []linkMount {
	return append(linkMounts("source", &l.Spec.Source), linkMounts("target", &l.Spec.Target)...)
}

// linkSecrets are the names of the Secrets a link mounts, sorted, once.
func linkSecrets(l *v1alpha1.ClusterLink) []string {
	var names []string
	for _, m := range allLinkMounts(l) {
		names = append(names, m.ref.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// MakeLinkConfig is the ClusterLink `velo link -f` reads in the pod: the
// object's name, namespace and spec, with every Secret reference replaced
// by the file MakeLinkDeployment mounts it at, and the fields only the
// operator uses left out.
func MakeLinkConfig(l *v1alpha1.ClusterLink) *v1alpha1.ClusterLink {
	spec := l.Spec.DeepCopy()
	toFiles := func(side string, c *v1alpha1.LinkConnection) {
		ms := linkMounts(side, c)
		file := func(kind string) string {
			for _, m := range ms {
				if m.volume == side+"-"+kind {
					return m.path()
				}
			}
			return ""
		}
		if t := c.TLS; t != nil {
			t.CAFile, t.CertFile, t.KeyFile = file("tls-ca"), file("tls-cert"), file("tls-key")
			t.CASecretRef, t.CertSecretRef, t.KeySecretRef = nil, nil, nil
		}
		if s := c.SASL; s != nil {
			s.UsernameFile, s.PasswordFile = file("sasl-username"), file("sasl-password")
			s.UsernameSecretRef, s.PasswordSecretRef = nil, nil
		}
	}
	toFiles("source", &spec.Source)
	toFiles("target", &spec.Target)
	spec.Replicas, spec.Suspend, spec.Image = nil, false, ""
	spec.Resources = corev1.ResourceRequirements{}
	spec.Monitoring = nil
	return &v1alpha1.ClusterLink{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.ClusterLinkKind},
		ObjectMeta: metav1.ObjectMeta{Name: l.Name, Namespace: l.Namespace},
		Spec:       *spec,
	}
}

// LinkConfigYAML renders a link's configuration as `velo link -f` reads
// it: without the status and the empty fields typed structs write.
func LinkConfigYAML(l *v1alpha1.ClusterLink) ([]byte, error) {
	c := MakeLinkConfig(l)
	js, err := json.Marshal(c.Spec)
	if err != nil {
		return nil, fmt.Errorf("link config: %w", err)
	}
	var spec map[string]any
	if err := json.Unmarshal(js, &spec); err != nil {
		return nil, fmt.Errorf("link config: %w", err)
	}
	delete(spec, "resources")
	dropNulls(spec)
	meta := map[string]any{"name": c.Name}
	if c.Namespace != "" {
		meta["namespace"] = c.Namespace
	}
	b, err := yaml.Marshal(map[string]any{"apiVersion": c.APIVersion, "kind": c.Kind, "metadata": meta, "spec": spec})
	if err != nil {
		return nil, fmt.Errorf("link config: %w", err)
	}
	return b, nil
}

// MakeLinkConfigMap holds the link's YAML, mounted at LinkConfigPath.
func MakeLinkConfigMap(in LinkInputs) (*corev1.ConfigMap, error) {
	b, err := LinkConfigYAML(in.Link)
	if err != nil {
		return nil, err
	}
	l := in.Link
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: linkConfigMapName(l.Name), Namespace: l.Namespace, Labels: linkLabels(l.Name)},
		Data:       map[string]string{LinkConfigKey: string(b)},
	}, nil
}

// LinkInputHash hashes what the link's pod reads at start and that is not
// in its pod template: its configuration and the mounted Secrets' versions.
func LinkInputHash(in LinkInputs, cm *corev1.ConfigMap) string {
	h := sha256.New()
	fmt.Fprintf(h, "config\x00%s\x00", cm.Data[LinkConfigKey])
	for _, name := range linkSecrets(in.Link) {
		fmt.Fprintf(h, "secret\x00%s\x00%s\x00", name, in.SecretVersions[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// desiredLinkReplicas is 0 or 1: a link runs one pod, which replicates
// every partition, and none while suspended.
func desiredLinkReplicas(l *v1alpha1.ClusterLink) int32 {
	if l.Spec.Suspend || (l.Spec.Replicas != nil && *l.Spec.Replicas == 0) {
		return 0
	}
	return 1
}

// MakeLinkDeployment runs `velo link -f` in one pod, hardened as a runner
// is, with credentials mounted from Secrets as files. The Recreate strategy
// keeps two link pods from ever running at once (a rollout would otherwise
// overlap them and, at least once, replicate the overlap twice).
func MakeLinkDeployment(in LinkInputs, inputHash string) *appsv1.Deployment {
	l := in.Link
	resources := l.Spec.Resources
	if len(resources.Requests) == 0 && len(resources.Limits) == 0 && len(resources.Claims) == 0 {
		resources = defaultResources()
	}
	volumes := []corev1.Volume{
		{Name: linkConfigVol, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: linkConfigMapName(l.Name)},
			DefaultMode:          ptr.To[int32](0o444),
		}}},
		{Name: tmpVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			SizeLimit: ptr.To(resource.MustParse("64Mi")),
		}}},
	}
	mounts := []corev1.VolumeMount{
		{Name: linkConfigVol, MountPath: linkConfigDir, ReadOnly: true},
		{Name: tmpVolume, MountPath: "/tmp"},
	}
	for _, m := range allLinkMounts(l) {
		volumes = append(volumes, corev1.Volume{Name: m.volume, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName:  m.ref.Name,
			Items:       []corev1.KeyToPath{{Key: m.ref.Key, Path: m.file}},
			DefaultMode: ptr.To[int32](0o440),
			Optional:    m.ref.Optional,
		}}})
		mounts = append(mounts, corev1.VolumeMount{Name: m.volume, MountPath: path.Join(linkSecretsDir, m.volume), ReadOnly: true})
	}
	probe := func(p string, period, failures int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: p, Port: intstr.FromString(metricsPortName)}},
			PeriodSeconds:    period,
			TimeoutSeconds:   2,
			FailureThreshold: failures,
		}
	}
	// Reaching the clusters and loading the state can take a while after
	// a restart; the link only reports ready then.
	ready := probe(link.ReadyPath, 5, 2)
	labels := linkLabels(l.Name)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: linkDeploymentName(l.Name), Namespace: l.Namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(desiredLinkReplicas(l)),
			Selector: &metav1.LabelSelector{MatchLabels: linkSelector(l.Name)},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{AnnotationInputHash: inputHash}},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken:  ptr.To(false),
					EnableServiceLinks:            ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To[int64](gracePeriod),
					SecurityContext:               hardenedPod(),
					Containers: []corev1.Container{{
						Name:  linkContainer,
						Image: in.Image,
						Args:  []string{"link", "-f", LinkConfigPath, "--listen", fmt.Sprintf(":%d", metricsPort)},
						Ports: []corev1.ContainerPort{{
							Name: metricsPortName, ContainerPort: metricsPort, Protocol: corev1.ProtocolTCP,
						}},
						Resources:                resources,
						VolumeMounts:             mounts,
						LivenessProbe:            probe(link.HealthPath, 10, 3),
						ReadinessProbe:           ready,
						SecurityContext:          hardenedContainer(),
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
					}},
					Volumes: volumes,
				},
			},
		},
	}
}

// MakeLinkService exposes the link's metrics port; headless, as a query's.
func MakeLinkService(l *v1alpha1.ClusterLink) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: linkServiceName(l.Name), Namespace: l.Namespace, Labels: linkLabels(l.Name)},
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  linkSelector(l.Name),
			Ports: []corev1.ServicePort{{
				Name: metricsPortName, Port: metricsPort, TargetPort: intstr.FromString(metricsPortName), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}

// LinkMetricsEndpoint is the in-cluster URL of a link's metrics, which the
// controller reads the link's status from.
func LinkMetricsEndpoint(l *v1alpha1.ClusterLink) string {
	return fmt.Sprintf("http://%s.%s.svc:%d%s", linkServiceName(l.Name), l.Namespace, metricsPort, link.MetricsPath)
}

// linkID is the link label on its series (as config.Link.ID makes it).
func linkID(l *v1alpha1.ClusterLink) string {
	if l.Namespace == "" {
		return l.Name
	}
	return l.Namespace + "/" + l.Name
}

// LinkMonitoringTarget tells the link generators what they watch.
func LinkMonitoringTarget(l *v1alpha1.ClusterLink) monitoring.Target {
	return monitoring.Target{
		Link: linkID(l), Name: linkMonitorName(l.Name), Namespace: l.Namespace,
		Labels: linkLabels(l.Name), Selector: linkSelector(l.Name), Port: metricsPortName,
	}
}

// MakeLinkServiceMonitor, MakeLinkPrometheusRule and
// MakeLinkDashboardConfigMap are the link's monitoring children.
func MakeLinkServiceMonitor(l *v1alpha1.ClusterLink) *monitoringv1.ServiceMonitor {
	return monitoring.ServiceMonitor(LinkMonitoringTarget(l))
}

func MakeLinkPrometheusRule(l *v1alpha1.ClusterLink) *monitoringv1.PrometheusRule {
	return monitoring.PrometheusRule(LinkMonitoringTarget(l))
}

func MakeLinkDashboardConfigMap(l *v1alpha1.ClusterLink) (*corev1.ConfigMap, error) {
	return monitoring.DashboardConfigMap(LinkMonitoringTarget(l), linkDashboardName(l.Name))
}
