package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// Condition types, following kstatus: Ready is the summary, Reconciling says
// work is in flight, Stalled says progress needs a change from the user.
// Each type's reasons are declared next to it.
const (
	// ReadyCondition is True when the object's children are up to date and
	// serving what the spec asks for.
	ReadyCondition = "Ready"

	// SucceededReason: the last reconciliation applied the spec.
	SucceededReason = "Succeeded"
	// SuspendedReason: spec.suspend is true, so nothing runs and nothing is
	// reconciled beyond scaling to zero.
	SuspendedReason = "Suspended"
	// ReconciliationFailedReason: applying the children failed; the message
	// carries the API error and the controller retries with backoff.
	ReconciliationFailedReason = "ReconciliationFailed"
	// ScaledToZeroReason: spec.replicas is 0, so no runner runs; the
	// query's consumer group offsets are kept.
	ScaledToZeroReason = "ScaledToZero"
	// CellsNotReadyReason: a Notebook has deployed cells whose
	// StreamingQueries are not Ready; status.cells says which and why.
	CellsNotReadyReason = "CellsNotReady"
)

const (
	// ReconcilingCondition is True while the controller is converging the
	// children towards a new generation of the spec (kstatus "InProgress").
	ReconcilingCondition = "Reconciling"

	// ProgressingReason: children were changed and are not ready yet.
	ProgressingReason = "Progressing"
)

const (
	// StalledCondition is True when retrying cannot help: the spec itself
	// must change (kstatus "Failed").
	StalledCondition = "Stalled"

	// InvalidSQLReason: the SQL does not parse or bind; status.sqlErrors
	// lists every error with its position.
	InvalidSQLReason = "InvalidSQL"
	// SQLSourceNotFoundReason: spec.sqlFrom names a ConfigMap or key that
	// does not exist.
	SQLSourceNotFoundReason = "SQLSourceNotFound"
	// RolloutStalledReason: the runners' Deployment exceeded its progress
	// deadline (a wrong image, a crash loop, no room to schedule); the
	// message carries the Deployment's own explanation.
	RolloutStalledReason = "RolloutStalled"
	// MonitoringAPIMissingReason: spec.monitoring forces a ServiceMonitor or
	// PrometheusRule on, but the cluster does not serve that API.
	MonitoringAPIMissingReason = "MonitoringAPIMissing"
)

// KafkaConnection says how to reach a Kafka cluster. Credentials are always
// references to Secrets in the object's namespace, never inline values, so
// they never appear in the object, its history or GitOps repositories.
type KafkaConnection struct {
	// BootstrapServers is a comma-separated list of host:port pairs.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	BootstrapServers string `json:"bootstrapServers"`

	// TLS configures encryption and, optionally, client certificates.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`

	// SASL configures authentication with a username and password.
	// +optional
	SASL *SASLConfig `json:"sasl,omitempty"`
}

// TLSConfig configures TLS towards the brokers.
// +kubebuilder:validation:XValidation:rule="has(self.certSecretRef) == has(self.keySecretRef)",message="certSecretRef and keySecretRef must be set together"
type TLSConfig struct {
	// Enabled turns TLS on. With no CA reference the system roots are used.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// CASecretRef selects a PEM bundle of CA certificates to trust.
	// +optional
	CASecretRef *corev1.SecretKeySelector `json:"caSecretRef,omitempty"`

	// CertSecretRef selects a PEM client certificate for mutual TLS.
	// +optional
	CertSecretRef *corev1.SecretKeySelector `json:"certSecretRef,omitempty"`

	// KeySecretRef selects the PEM private key of CertSecretRef.
	// +optional
	KeySecretRef *corev1.SecretKeySelector `json:"keySecretRef,omitempty"`

	// InsecureSkipVerify disables server certificate verification. For test
	// clusters only.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// SASLMechanism names a SASL mechanism Kafka supports.
// +kubebuilder:validation:Enum=PLAIN;SCRAM-SHA-256;SCRAM-SHA-512
type SASLMechanism string

// The SASL mechanisms a KafkaConnection can use.
const (
	SASLPlain       SASLMechanism = "PLAIN"
	SASLScramSHA256 SASLMechanism = "SCRAM-SHA-256"
	SASLScramSHA512 SASLMechanism = "SCRAM-SHA-512"
)

// SASLConfig configures SASL authentication. Both references are required:
// a mechanism without credentials can only fail at connect time, so the API
// server refuses it up front.
type SASLConfig struct {
	// Mechanism is the SASL mechanism.
	// +required
	Mechanism SASLMechanism `json:"mechanism"`

	// UsernameSecretRef selects the username.
	// +required
	UsernameSecretRef *corev1.SecretKeySelector `json:"usernameSecretRef"`

	// PasswordSecretRef selects the password.
	// +required
	PasswordSecretRef *corev1.SecretKeySelector `json:"passwordSecretRef"`
}

// MonitoringSpec turns the monitoring objects made for a workload on or off.
// Each field left unset means "auto": on when its CRD (ServiceMonitor,
// PrometheusRule) or convention (a Grafana dashboard ConfigMap sidecar) is
// present in the cluster, off otherwise. True forces it on (reconciliation
// reports an error if the CRD is missing); false turns it off.
type MonitoringSpec struct {
	// ServiceMonitor makes a prometheus-operator ServiceMonitor.
	// +optional
	ServiceMonitor *bool `json:"serviceMonitor,omitempty"`

	// PrometheusRule makes a prometheus-operator PrometheusRule with alerts.
	// +optional
	PrometheusRule *bool `json:"prometheusRule,omitempty"`

	// Dashboard makes a Grafana dashboard ConfigMap.
	// +optional
	Dashboard *bool `json:"dashboard,omitempty"`
}
