package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NotebookKind is the kind name of Notebook.
const NotebookKind = "Notebook"

// NotebookSpec is the desired state of a Notebook: an ordered list of SQL
// cells, some of which are deployed as StreamingQueries.
type NotebookSpec struct {
	// Title is the notebook's display name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Title string `json:"title,omitempty"`

	// Cells are the notebook's cells, in display order. The item bound keeps
	// the O(n²) CEL rule that names are unique within the API server's cost
	// budget.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=128
	// +kubebuilder:validation:XValidation:rule="self.all(c, self.exists_one(d, d.name == c.name))",message="cell names must be unique"
	Cells []NotebookCell `json:"cells,omitempty"`

	// Defaults apply to every deployed cell.
	// +optional
	Defaults *NotebookDefaults `json:"defaults,omitempty"`
}

// NotebookCell is one SQL cell.
type NotebookCell struct {
	// Name identifies the cell; a deployed cell's StreamingQuery is named
	// after the notebook and this name, so it is a DNS-1123 label.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Prompt is the natural-language request the SQL was generated from.
	// +optional
	// +kubebuilder:validation:MaxLength=16384
	Prompt string `json:"prompt,omitempty"`

	// SQL is the cell's script.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=262144
	SQL string `json:"sql"`

	// Deploy runs the cell as a StreamingQuery owned by the notebook.
	// +optional
	Deploy bool `json:"deploy,omitempty"`

	// Assertions are the cell's test assertions, each an object with one key
	// naming the check, e.g. {"record_count": {"greater_than": 0}} or
	// {"no_nulls": ["symbol", "volume"]}. They are kept as free-form JSON so
	// the test harness can add checks without an API change; the harness
	// validates them.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Assertions []Assertion `json:"assertions,omitempty"`
}

// Assertion is one test assertion as free-form JSON (an object).
// +kubebuilder:validation:Type=object
// +kubebuilder:pruning:PreserveUnknownFields
type Assertion struct {
	apiextensionsv1.JSON `json:",inline"`
}

// NotebookDefaults are settings shared by a notebook's deployed cells.
type NotebookDefaults struct {
	// Kafka is the cluster the cells' Kafka sources and sinks use.
	// +optional
	Kafka *KafkaConnection `json:"kafka,omitempty"`

	// Image overrides the runner image.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image,omitempty"`

	// Monitoring turns the cells' monitoring objects on or off.
	// +optional
	Monitoring *MonitoringSpec `json:"monitoring,omitempty"`
}

// CellPhase is a one-word summary of a cell.
// +kubebuilder:validation:Enum=Draft;Pending;Running;Suspended;Failed
type CellPhase string

// The phases of a notebook cell. Draft cells are not deployed.
const (
	CellDraft     CellPhase = "Draft"
	CellPending   CellPhase = "Pending"
	CellRunning   CellPhase = "Running"
	CellSuspended CellPhase = "Suspended"
	CellFailed    CellPhase = "Failed"
)

// CellStatus is the observed state of one cell.
type CellStatus struct {
	// Name is the cell's name.
	// +required
	Name string `json:"name"`

	// Phase summarises the cell.
	// +optional
	Phase CellPhase `json:"phase,omitempty"`

	// QueryName is the StreamingQuery a deployed cell runs as.
	// +optional
	QueryName string `json:"queryName,omitempty"`

	// Message explains a Failed phase.
	// +optional
	Message string `json:"message,omitempty"`
}

// NotebookStatus is the observed state of a Notebook.
type NotebookStatus struct {
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

	// Cells are the states of the cells, by name.
	// +optional
	// +listType=map
	// +listMapKey=name
	Cells []CellStatus `json:"cells,omitempty"`
}

// Notebook is a Studio notebook: SQL cells with their prompts and test
// assertions; cells marked deploy run as StreamingQueries.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=nb,categories=velostream
// +kubebuilder:printcolumn:name="Title",type="string",JSONPath=".spec.title"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type Notebook struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec NotebookSpec `json:"spec"`

	// +optional
	Status NotebookStatus `json:"status,omitempty"`
}

// NotebookList is a list of Notebook.
// +kubebuilder:object:root=true
type NotebookList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Notebook `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Notebook{}, &NotebookList{})
}
