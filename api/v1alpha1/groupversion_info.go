// Package v1alpha1 holds the velostream.io/v1alpha1 API: the StreamingQuery,
// Notebook and ClusterLink custom resources and the types they share.
//
// It takes nothing from the engine: the types only describe desired state and
// observed status, and their validation lives in the generated OpenAPI schema
// and CEL rules (config/crd/bases) so the API server refuses bad objects
// before any controller sees them. It gives AddToScheme to register the kinds.
//
// +kubebuilder:object:generate=true
// +groupName=velostream.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "velostream.io", Version: "v1alpha1"}

	// SchemeBuilder collects the kinds that each *_types.go file registers.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this group version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
