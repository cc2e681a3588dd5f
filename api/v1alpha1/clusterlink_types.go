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
	Source KafkaConnection `json:"source"`

	// Target is the cluster records are written to.
	// +required
	Target KafkaConnection `json:"target"`

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

	// Filter is a SQL boolean expression over each record; only records for
	// which it is true are mirrored. Empty mirrors every record.
	// +optional
	// +kubebuilder:validation:MaxLength=16384
	Filter string `json:"filter,omitempty"`

	// ExactlyOnce writes to the target in transactions committed together
	// with the source offsets, so no record is duplicated after a restart.
	// +optional
	ExactlyOnce bool `json:"exactlyOnce,omitempty"`

	// Failover marks the link as a disaster-recovery link: group offsets are
	// kept translated so consumers can switch to the target at any time.
	// +optional
	Failover bool `json:"failover,omitempty"`

	// Replicas is the number of mirroring pods.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
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
}

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
