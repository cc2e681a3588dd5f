package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterLinkKind is the kind name of ClusterLink.
const ClusterLinkKind = "ClusterLink"

// ClusterLinkSpec is the desired state of a ClusterLink: topics mirrored from
// one Kafka cluster to another, optionally with consumer group offsets.
// +kubebuilder:validation:XValidation:rule="self.source.bootstrapServers != self.target.bootstrapServers",message="source and target must be different clusters"
type ClusterLinkSpec struct {
	// Source is the cluster records are read from.
	// +required
	Source LinkConnection `json:"source"`

	// Target is the cluster records are written to. The link keeps its
	// state there: the replicated position and the offset mapping, in the
	// compacted topic __velo_link.[<namespace>.]<name>.
	// +required
	Target LinkConnection `json:"target"`

	// Topics selects the source topics to mirror.
	// +required
	Topics TopicSelector `json:"topics"`

	// TopicPrefix is prepended to each topic's name on the target (for
	// example "east." so two links into one cluster cannot collide).
	// +optional
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._-]*$`
	TopicPrefix string `json:"topicPrefix,omitempty"`

	// ConsumerGroups selects the consumer groups whose committed offsets are
	// translated and copied to the target, so consumers can fail over.
	// +optional
	ConsumerGroups *GroupSelector `json:"consumerGroups,omitempty"`

	// SyncInterval is how often topic lists, configurations and group offsets
	// are synchronised. Records themselves stream continuously.
	// +optional
	// +kubebuilder:default="10s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	SyncInterval *metav1.Duration `json:"syncInterval,omitempty"`

	// Filter is a SQL boolean expression over the fields of each record's
	// JSON value (for example "region = 'west' AND amount > 100"); only
	// records for which it is true are mirrored. A record whose value is
	// not a JSON object, or for which the expression fails, is not mirrored
	// and is counted in velo_link_filter_errors_total. Empty mirrors every
	// record.
	// +optional
	// +kubebuilder:validation:MaxLength=16384
	Filter string `json:"filter,omitempty"`

	// ExactlyOnce writes to the target in transactions that also commit the
	// replicated position, so no record is duplicated after a restart and
	// records of aborted source transactions are never written. Consumers
	// of the target must read with isolation.level=read_committed.
	// +optional
	ExactlyOnce bool `json:"exactlyOnce,omitempty"`

	// Failover stops replicating, makes a final sync of the consumer group
	// offsets and reports, in status.failover, the target offsets each
	// group's consumers resume at (see docs/clusterlink.md). It is the
	// operator's form of `velo link failover NAME`.
	// +optional
	Failover bool `json:"failover,omitempty"`

	// Replicas is the number of mirroring pods: 0 stops the link (it keeps
	// its position), 1 runs it. One pod replicates every partition.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1
	Replicas *int32 `json:"replicas,omitempty"`

	// Suspend stops mirroring and pauses reconciliation.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Image overrides the mirroring image the operator was configured with.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image,omitempty"`

	// Resources are the mirroring container's compute resources.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// Monitoring turns the link's monitoring objects (ServiceMonitor,
	// PrometheusRule with lag alerts, Grafana dashboard) on or off.
	// +optional
	Monitoring *MonitoringSpec `json:"monitoring,omitempty"`
}

// LinkConnection is a KafkaConnection whose credentials may also be local
// files, so that the same ClusterLink YAML runs with `velo link -f` on a
// machine outside Kubernetes. The operator refuses the file fields: in a
// cluster, credentials come from Secrets.
type LinkConnection struct {
	// BootstrapServers is a comma-separated list of host:port pairs.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	BootstrapServers string `json:"bootstrapServers"`

	// TLS configures encryption and, optionally, client certificates.
	// +optional
	TLS *LinkTLSConfig `json:"tls,omitempty"`

	// SASL configures authentication with a username and password.
	// +optional
	SASL *LinkSASLConfig `json:"sasl,omitempty"`
}

// LinkTLSConfig is TLSConfig with file substitutes for the Secret
// references.
type LinkTLSConfig struct {
	TLSConfig `json:",inline"`

	// CAFile is a PEM bundle of CA certificates to trust (velo link outside
	// Kubernetes only).
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	CAFile string `json:"caFile,omitempty"`

	// CertFile is a PEM client certificate (velo link outside Kubernetes
	// only).
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	CertFile string `json:"certFile,omitempty"`

	// KeyFile is the PEM private key of CertFile (velo link outside
	// Kubernetes only).
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	KeyFile string `json:"keyFile,omitempty"`
}

// LinkSASLConfig is SASLConfig with file substitutes for the Secret
// references.
type LinkSASLConfig struct {
	SASLConfig `json:",inline"`

	// UsernameFile holds the username (velo link outside Kubernetes only).
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	UsernameFile string `json:"usernameFile,omitempty"`

	// PasswordFile holds the password (velo link outside Kubernetes only).
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	PasswordFile string `json:"passwordFile,omitempty"`
}

// Reasons of a ClusterLink's conditions, besides the shared ones.
const (
	// InvalidLinkSpecReason: the spec cannot run (a topic or group pattern
	// that is not a regular expression, a filter that does not compile,
	// source and target naming the same brokers, a credential file in a
	// cluster); the message says which field and why.
	InvalidLinkSpecReason = "InvalidSpec"
	// LinkStatusUnknownReason: the link's pod runs but its metrics endpoint
	// could not be read, so nothing is known of its replication.
	LinkStatusUnknownReason = "StatusUnknown"
	// LinkDisconnectedReason: the link cannot reach the source or the
	// target cluster; it retries.
	LinkDisconnectedReason = "Disconnected"
	// FailedOverReason: spec.failover is true and the final offset sync
	// is done; status.failover holds where consumers resume.
	FailedOverReason = "FailedOver"
	// FailingOverReason: spec.failover is true and the final offset sync
	// has not finished yet.
	FailingOverReason = "FailingOver"
)

// TopicSelector selects topics by RE2 regular expressions matched against
// the whole topic name; a plain name matches itself.
type TopicSelector struct {
	// Include selects the topics to mirror.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=1024
	Include []string `json:"include"`

	// Exclude removes topics from what Include selected.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=1024
	Exclude []string `json:"exclude,omitempty"`
}

// GroupSelector selects consumer groups by RE2 regular expressions matched
// against the whole group name.
type GroupSelector struct {
	// Include selects the groups; empty selects none.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=1024
	Include []string `json:"include,omitempty"`

	// Exclude removes groups from what Include selected.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=1024
	Exclude []string `json:"exclude,omitempty"`
}

// TopicLagStatus is the replication state of one mirrored topic.
type TopicLagStatus struct {
	// Name is the topic's name on the source.
	// +required
	Name string `json:"name"`

	// TargetName is the topic's name on the target (with the prefix).
	// +optional
	TargetName string `json:"targetName,omitempty"`

	// LagRecords is how many records the target is behind, summed over
	// partitions.
	// +optional
	LagRecords int64 `json:"lagRecords"`

	// LagMillis is the age, in milliseconds, of the oldest source record not
	// yet on the target; 0 when caught up.
	// +optional
	LagMillis int64 `json:"lagMillis"`

	// LastReplicated is when a record of this topic was last written to the
	// target.
	// +optional
	LastReplicated *metav1.Time `json:"lastReplicated,omitempty"`
}

// ClusterLinkStatus is the observed state of a ClusterLink.
type ClusterLinkStatus struct {
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

	// MirroredTopics is the number of topics being mirrored.
	// +optional
	MirroredTopics int32 `json:"mirroredTopics"`

	// Topics are the per-topic replication states, by source name.
	// +optional
	// +listType=map
	// +listMapKey=name
	Topics []TopicLagStatus `json:"topics,omitempty"`

	// MaxLagRecords is the largest LagRecords over Topics.
	// +optional
	MaxLagRecords int64 `json:"maxLagRecords"`

	// MetricsEndpoint is the in-cluster URL of the link's Prometheus
	// metrics, which the status is read from.
	// +optional
	MetricsEndpoint string `json:"metricsEndpoint,omitempty"`

	// Failover is the outcome of spec.failover: where each consumer group
	// resumes on the target.
	// +optional
	Failover *FailoverStatus `json:"failover,omitempty"`
}

// FailoverStatus reports a completed failover.
type FailoverStatus struct {
	// CompletedAt is when the final offset sync finished.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`

	// Groups are the consumer groups of spec.consumerGroups and the target
	// offsets their consumers resume at.
	// +optional
	// +listType=map
	// +listMapKey=name
	Groups []GroupFailoverStatus `json:"groups,omitempty"`
}

// GroupFailoverStatus is where one consumer group resumes on the target.
type GroupFailoverStatus struct {
	// Name is the group's name.
	// +required
	Name string `json:"name"`

	// Topics are the group's target topics and offsets.
	// +optional
	// +listType=atomic
	Topics []GroupTopicOffsets `json:"topics,omitempty"`

	// Message says why the group's offsets were not synced (for example
	// because the group already has members on the target).
	// +optional
	Message string `json:"message,omitempty"`
}

// GroupTopicOffsets are a group's committed offsets in one target topic.
type GroupTopicOffsets struct {
	// Topic is the topic's name on the target.
	// +required
	Topic string `json:"topic"`

	// Offsets are the committed offsets by partition number; -1 where the
	// group has none.
	// +optional
	// +listType=atomic
	Offsets []int64 `json:"offsets,omitempty"`
}

// ClusterLink mirrors topics, and optionally consumer group offsets, from a
// source Kafka cluster to a target one.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cl,categories=velostream
// +kubebuilder:printcolumn:name="Source",type="string",JSONPath=".spec.source.bootstrapServers"
// +kubebuilder:printcolumn:name="Target",type="string",JSONPath=".spec.target.bootstrapServers"
// +kubebuilder:printcolumn:name="Topics",type="integer",JSONPath=".status.mirroredTopics"
// +kubebuilder:printcolumn:name="Max Lag",type="integer",JSONPath=".status.maxLagRecords"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type ClusterLink struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ClusterLinkSpec `json:"spec"`

	// +optional
	Status ClusterLinkStatus `json:"status,omitempty"`
}

// ClusterLinkList is a list of ClusterLink.
// +kubebuilder:object:root=true
type ClusterLinkList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterLink `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ClusterLink{}, &ClusterLinkList{})
}
