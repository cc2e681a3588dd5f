package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/runner"
)

// Runner pod constants. The UID is distroless' "nonroot" user, which the
// image (Dockerfile) also runs as.
const (
	runnerContainer = "runner"
	metricsPortName = "metrics"
	metricsPort     = 9090
	runnerUID       = 65532
	gracePeriod     = 30
	queryVolume     = "query"
	tmpVolume       = "tmp"
	// Not under runner.ConfigDir: a mount nested in the ConfigMap
	// volume would have the kubelet write into that volume.
	kafkaSecretsDir   = "/var/run/secrets/velostream/kafka"
	defaultCPURequest = "100m"
	defaultMemRequest = "128Mi"
	defaultMemLimit   = "512Mi"
)

// QueryInputs are everything a StreamingQuery's children are made from.
// The make* functions are pure: the same inputs give the same objects, so
// they are tested against golden files and a reconcile that changes
// nothing applies nothing new.
type QueryInputs struct {
	Query *v1alpha1.StreamingQuery
	// SQL is the script, resolved from spec.sql or spec.sqlFrom.
	SQL string
	// Image is the runner image: spec.image or the operator's default.
	Image string
	// SecretVersions maps each Secret the pods mount to its
	// resourceVersion ("" when it does not exist yet), so that changing a
	// credential rolls the pods, which read credentials at start.
	SecretVersions map[string]string
}

// MakeRunnerConfig is the runner.Config a query's pods run. Credentials
// appear as the paths where MakeDeployment mounts them.
func MakeRunnerConfig(in QueryInputs) runner.Config {
	q := in.Query
	c := runner.Config{
		Name:          q.Name,
		Namespace:     q.Namespace,
		SQL:           in.SQL,
		ConsumerGroup: consumerGroup(q.Namespace, q.Name),
		Listen:        fmt.Sprintf(":%d", metricsPort),
	}
	if k := q.Spec.Kafka; k != nil {
		c.Kafka = &runner.Kafka{BootstrapServers: k.BootstrapServers}
		if t := k.TLS; t != nil {
			c.Kafka.TLS = &runner.TLS{Enabled: t.Enabled, InsecureSkipVerify: t.InsecureSkipVerify}
			if t.CASecretRef != nil {
				c.Kafka.TLS.CAFile = secretFile(mountTLSCA)
			}
			if t.CertSecretRef != nil {
				c.Kafka.TLS.CertFile = secretFile(mountTLSCert)
			}
			if t.KeySecretRef != nil {
				c.Kafka.TLS.KeyFile = secretFile(mountTLSKey)
			}
		}
		if s := k.SASL; s != nil {
			c.Kafka.SASL = &runner.SASL{
				Mechanism:    string(s.Mechanism),
				UsernameFile: secretFile(mountSASLUser),
				PasswordFile: secretFile(mountSASLPass),
			}
		}
	}
	return c
}

// secretMount is one Secret key mounted as one file.
type secretMount struct {
	volume string // volume name, also the folder under kafkaSecretsDir
	file   string
}

var (
	mountTLSCA    = secretMount{"kafka-tls-ca", "ca.crt"}
	mountTLSCert  = secretMount{"kafka-tls-cert", "tls.crt"}
	mountTLSKey   = secretMount{"kafka-tls-key", "tls.key"}
	mountSASLUser = secretMount{"kafka-sasl-username", "username"}
	mountSASLPass = secretMount{"kafka-sasl-password", "password"}
)

func secretFile(m secretMount) string { return path.Join(kafkaSecretsDir, m.volume, m.file) }

// kafkaSecretMounts pairs each Secret reference of a connection with where
// it is mounted, in a fixed order.
func kafkaSecretMounts(k *v1alpha1.KafkaConnection) []struct {
	m   secretMount
	ref *corev1.SecretKeySelector
} {
	type pair = struct {
		m   secretMount
		ref *corev1.SecretKeySelector
	}
	var out []pair
	if k == nil {
		return out
	}
	if t := k.TLS; t != nil {
		for _, p := range []pair{{mountTLSCA, t.CASecretRef}, {mountTLSCert, t.CertSecretRef}, {mountTLSKey, t.KeySecretRef}} {
			if p.ref != nil {
				out = append(out, p)
			}
		}
	}
	if s := k.SASL; s != nil {
		for _, p := range []pair{{mountSASLUser, s.UsernameSecretRef}, {mountSASLPass, s.PasswordSecretRef}} {
			if p.ref != nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// referencedSecrets are the names of the Secrets a connection mounts,
// sorted and without duplicates.
func referencedSecrets(k *v1alpha1.KafkaConnection) []string {
	var names []string
	for _, p := range kafkaSecretMounts(k) {
		names = append(names, p.ref.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// MakeQueryConfigMap holds the runner configuration, mounted at
// runner.ConfigPath.
func MakeQueryConfigMap(in QueryInputs) (*corev1.ConfigMap, error) {
	cfg := MakeRunnerConfig(in)
	b, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	q := in.Query
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      configMapName(q.Name),
			Namespace: q.Namespace,
			Labels:    runnerLabels(q.Name),
		},
		Data: map[string]string{runner.ConfigKey: string(b)},
	}, nil
}

// InputHash hashes what a runner pod reads when it starts and that is not
// part of its pod template: the configuration, the restart nonce and the
// versions of the mounted Secrets.
func InputHash(in QueryInputs, cm *corev1.ConfigMap) string {
	h := sha256.New()
	fmt.Fprintf(h, "config\x00%s\x00", cm.Data[runner.ConfigKey])
	fmt.Fprintf(h, "nonce\x00%s\x00", in.Query.Spec.RestartNonce)
	for _, name := range referencedSecrets(in.Query.Spec.Kafka) {
		fmt.Fprintf(h, "secret\x00%s\x00%s\x00", name, in.SecretVersions[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// desiredReplicas is spec.replicas, or zero while suspended.
func desiredReplicas(q *v1alpha1.StreamingQuery) int32 {
	if q.Spec.Suspend {
		return 0
	}
	if q.Spec.Replicas == nil {
		return 1
	}
	return *q.Spec.Replicas
}

// defaultResources apply when spec.resources is empty: a request small
// enough to schedule anywhere and a memory limit so a runaway query is
// killed rather than starving its node.
func defaultResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse(defaultCPURequest),
			corev1.ResourceMemory: resource.MustParse(defaultMemRequest),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceMemory: resource.MustParse(defaultMemLimit),
		},
	}
}

// MakeDeployment runs the query's runner pods: `velo runner --config`,
// hardened (non-root, read-only root filesystem, no privilege escalation,
// no capabilities, RuntimeDefault seccomp, no service account token), with
// probes on the runner's /healthz and /readyz, and Kafka credentials
// mounted from their Secrets as files, never copied into the environment.
func MakeDeployment(in QueryInputs, inputHash string) *appsv1.Deployment {
	q := in.Query
	resources := q.Spec.Resources
	if len(resources.Requests) == 0 && len(resources.Limits) == 0 && len(resources.Claims) == 0 {
		resources = defaultResources()
	}

	volumes := []corev1.Volume{
		{Name: queryVolume, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: configMapName(q.Name)},
			DefaultMode:          ptr.To[int32](0o444),
		}}},
		// The root filesystem is read-only; the engine and Go runtime get
		// a small scratch folder.
		{Name: tmpVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			SizeLimit: ptr.To(resource.MustParse("64Mi")),
		}}},
	}
	mounts := []corev1.VolumeMount{
		{Name: queryVolume, MountPath: runner.ConfigDir, ReadOnly: true},
		{Name: tmpVolume, MountPath: "/tmp"},
	}
	for _, p := range kafkaSecretMounts(q.Spec.Kafka) {
		volumes = append(volumes, corev1.Volume{Name: p.m.volume, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: p.ref.Name,
			Items:      []corev1.KeyToPath{{Key: p.ref.Key, Path: p.m.file}},
			// Readable by the runner's group only; fsGroup makes the
			// kubelet give the files that group.
			DefaultMode: ptr.To[int32](0o440),
			Optional:    p.ref.Optional,
		}}})
		mounts = append(mounts, corev1.VolumeMount{Name: p.m.volume, MountPath: path.Join(kafkaSecretsDir, p.m.volume), ReadOnly: true})
	}

	probe := func(path string, period, failures int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: path, Port: intstr.FromString(metricsPortName),
			}},
			PeriodSeconds:    period,
			TimeoutSeconds:   2,
			FailureThreshold: failures,
		}
	}

	labels := runnerLabels(q.Name)
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      deploymentName(q.Name),
			Namespace: q.Namespace,
			Labels:    labels,
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(desiredReplicas(q)),
			Selector: &metav1.LabelSelector{MatchLabels: selectorLabels(q.Name)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      labels,
					Annotations: map[string]string{AnnotationInputHash: inputHash},
				},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken:  ptr.To(false),
					EnableServiceLinks:            ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To[int64](gracePeriod),
					SecurityContext:               hardenedPod(),
					Containers: []corev1.Container{{
						Name:  runnerContainer,
						Image: in.Image,
						// The runner flushes within the grace period, leaving
						// the kubelet a margin before it kills the pod.
						Args: []string{"runner", "--config", runner.ConfigPath,
							fmt.Sprintf("--shutdown-timeout=%ds", gracePeriod-5)},
						Ports: []corev1.ContainerPort{{
							Name: metricsPortName, ContainerPort: metricsPort, Protocol: corev1.ProtocolTCP,
						}},
						Env:                      q.Spec.Env,
						Resources:                resources,
						VolumeMounts:             mounts,
						LivenessProbe:            probe(runner.HealthPath, 10, 3),
						ReadinessProbe:           probe(runner.ReadyPath, 5, 2),
						SecurityContext:          hardenedContainer(),
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
					}},
					Volumes: volumes,
				},
			},
		},
	}
}

// MakeService exposes the runners' metrics port for scraping. It is
// headless: Prometheus scrapes each runner pod through the endpoints, so a
// virtual IP would serve nobody, and a thousand queries would otherwise
// take a thousand addresses from the cluster's service range.
func MakeService(q *v1alpha1.StreamingQuery) *corev1.Service {
	return &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      serviceName(q.Name),
			Namespace: q.Namespace,
			Labels:    runnerLabels(q.Name),
		},
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  selectorLabels(q.Name),
			Ports: []corev1.ServicePort{{
				Name:       metricsPortName,
				Port:       metricsPort,
				TargetPort: intstr.FromString(metricsPortName),
				Protocol:   corev1.ProtocolTCP,
			}},
		},
	}
}

// MetricsEndpoint is the in-cluster URL of a query's metrics.
func MetricsEndpoint(q *v1alpha1.StreamingQuery) string {
	return fmt.Sprintf("http://%s.%s.svc:%d%s", serviceName(q.Name), q.Namespace, metricsPort, runner.MetricsPath)
}

// hardenedPod and hardenedContainer are the security posture of every pod
// the operator makes (runners and links): non-root with a fixed UID, the
// runtime's default seccomp profile, no privilege escalation, a read-only
// root filesystem and no capabilities.
func hardenedPod() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To[int64](runnerUID),
		RunAsGroup:     ptr.To[int64](runnerUID),
		FSGroup:        ptr.To[int64](runnerUID),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func hardenedContainer() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		RunAsNonRoot:             ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}
