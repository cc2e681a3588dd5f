package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StreamingQueryKind is the kind name of StreamingQuery.
const StreamingQueryKind = "StreamingQuery"

// StreamingQuerySpec is the desired state of a StreamingQuery: one SQL script
// run by a set of runner pods.
// +kubebuilder:validation:XValidation:rule="has(self.sql) != has(self.sqlFrom)",message="exactly one of sql and sqlFrom must be set"
type StreamingQuerySpec struct {
	// SQL is the script to run, inline.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1048576
	SQL string `json:"sql,omitempty"`

	// SQLFrom reads the script from elsewhere instead of SQL.
	// +optional
	SQLFrom *SQLSource `json:"sqlFrom,omitempty"`

	// Kafka is the cluster the script's Kafka sources and sinks use.
	// +optional
	Kafka *KafkaConnection `json:"kafka,omitempty"`

	// Replicas is the number of runner pods. Zero stops the query but keeps
	// its state (consumer group offsets).
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`

	// Suspend stops the query (scales its runners to zero) and pauses
	// reconciliation until it is false again.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// RestartNonce restarts the runner pods whenever it changes, without
	// changing anything else.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RestartNonce string `json:"restartNonce,omitempty"`

	// Image overrides the runner image the operator was configured with.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image,omitempty"`

	// Resources are the runner container's compute resources.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// Env adds environment variables to the runner container.
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`

	// Monitoring turns the query's monitoring objects on or off.
	// +optional
	Monitoring *MonitoringSpec `json:"monitoring,omitempty"`
}

// SQLSource names where to read a SQL script from.
type SQLSource struct {
	// ConfigMapKeyRef selects a key of a ConfigMap in the query's namespace.
	// +required
	ConfigMapKeyRef *corev1.ConfigMapKeySelector `json:"configMapKeyRef"`
}

// QueryPhase is a one-word summary of a StreamingQuery for humans; tools
// should read the conditions.
// +kubebuilder:validation:Enum=Pending;Running;Suspended;Failed
type QueryPhase string

// The phases of a StreamingQuery.
const (
	QueryPending   QueryPhase = "Pending"
	QueryRunning   QueryPhase = "Running"
	QuerySuspended QueryPhase = "Suspended"
	QueryFailed    QueryPhase = "Failed"
)

// SQLError is one error found in the query's SQL, at its 1-based position.
type SQLError struct {
	// Line is the 1-based line of the error; 0 when it has no position.
	// +kubebuilder:validation:Minimum=0
	Line int32 `json:"line"`

	// Column is the 1-based column (in characters) of the error.
	// +kubebuilder:validation:Minimum=0
	Column int32 `json:"column"`

	// Message says what was expected and what was found.
	Message string `json:"message"`
}

// StreamingQueryStatus is the observed state of a StreamingQuery.
type StreamingQueryStatus struct {
	// ObservedGeneration is the generation last reconciled successfully.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions hold Ready, Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// Phase summarises the conditions in one word.
	// +optional
	Phase QueryPhase `json:"phase,omitempty"`

	// ReadyReplicas is the number of runner pods that are ready.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// SQLErrors lists every error in the SQL when it does not compile.
	// +optional
	// +listType=atomic
	SQLErrors []SQLError `json:"sqlErrors,omitempty"`

	// MetricsEndpoint is the in-cluster URL of the runners' Prometheus
	// metrics.
	// +optional
	MetricsEndpoint string `json:"metricsEndpoint,omitempty"`
}

// StreamingQuery runs one streaming SQL script on Kubernetes.
//
// The SQL column shows the whole of spec.sql (with -o wide): a printer column
// is a plain JSONPath and cannot cut a string to its first line.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sq,categories=velostream
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Phase",type="string",JSONPath=".status.phase"
// +kubebuilder:printcolumn:name="Replicas",type="integer",JSONPath=".spec.replicas"
// +kubebuilder:printcolumn:name="Ready Replicas",type="integer",JSONPath=".status.readyReplicas",priority=1
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="SQL",type="string",JSONPath=".spec.sql",priority=1
type StreamingQuery struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec StreamingQuerySpec `json:"spec"`

	// +optional
	Status StreamingQueryStatus `json:"status,omitempty"`
}

// StreamingQueryList is a list of StreamingQuery.
// +kubebuilder:object:root=true
type StreamingQueryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []StreamingQuery `json:"items"`
}

func init() {
	SchemeBuilder.Register(&StreamingQuery{}, &StreamingQueryList{})
}
