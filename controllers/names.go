package controllers

import (
	"crypto/sha256"
	"encoding/hex"
)

// Labels and annotations the operator puts on what it makes.
const (
	// LabelName, LabelInstance, LabelComponent and LabelManagedBy are the
	// recommended app.kubernetes.io labels.
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// LabelQuery selects a query's runner pods; it is part of the
	// Deployment's immutable selector, so its value never changes for a
	// given query name.
	LabelQuery = "velostream.io/streamingquery"
	// LabelNotebook marks the StreamingQueries and dashboard a Notebook owns,
	// so the notebook controller finds the ones it must delete.
	LabelNotebook = "velostream.io/notebook"
	// LabelCell names the notebook cell a StreamingQuery runs.
	LabelCell = "velostream.io/cell"

	// AnnotationInputHash, on the runner pod template, is a hash of every
	// input a pod reads at start (the query's configuration, the restart
	// nonce, the versions of mounted Secrets) so that changing any of them
	// rolls the pods.
	AnnotationInputHash = "velostream.io/input-hash"

	// ManagedBy is the value of LabelManagedBy and the operator's field
	// owner for server-side apply.
	ManagedBy = "velostream-operator"
	// RunnerAppName is LabelName on runner objects.
	RunnerAppName = "velostream-runner"
)

// Kubernetes name limits: most objects take a DNS-1123 subdomain, Services
// and label values a 63-character label.
const (
	maxSubdomain = 253
	maxLabel     = 63
)

// childName is base+suffix, shortened to fit max characters. A name that
// must be cut keeps a readable prefix and ends with a hash of the whole, so
// two long names that share a prefix still get different, stable names.
func childName(base, suffix string, max int) string {
	name := base + suffix
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	h := hex.EncodeToString(sum[:])[:8]
	keep := max - len(h) - 1
	prefix := name[:keep]
	// A DNS label may not end in '-' or '.' before the hash separator.
	for len(prefix) > 0 && (prefix[len(prefix)-1] == '-' || prefix[len(prefix)-1] == '.') {
		prefix = prefix[:len(prefix)-1]
	}
	return prefix + "-" + h
}

// Names of a StreamingQuery's children. Each is a function of the query's
// name alone, so a reconcile finds what an earlier one made without listing.
func deploymentName(query string) string { return childName(query, "", maxSubdomain) }
func configMapName(query string) string  { return childName(query, "-query", maxSubdomain) }
func serviceName(query string) string    { return childName(query, "", maxLabel) }
func monitorName(query string) string    { return childName(query, "", maxSubdomain) }
func dashboardName(owner string) string  { return childName(owner, "-dashboard", maxSubdomain) }

// labelValue fits a name into a label value.
func labelValue(name string) string { return childName(name, "", maxLabel) }

// cellQueryName is the StreamingQuery a notebook cell deploys as.
func cellQueryName(notebook, cell string) string {
	return childName(notebook, "-"+cell, maxSubdomain)
}

// consumerGroup is the Kafka consumer group all replicas of a query share.
func consumerGroup(namespace, query string) string {
	return "velo-" + namespace + "-" + query
}

// runnerLabels are the labels of every object made for a query; the
// selector is their stable subset.
func runnerLabels(query string) map[string]string {
	return map[string]string{
		LabelName:      RunnerAppName,
		LabelInstance:  labelValue(query),
		LabelComponent: "runner",
		LabelManagedBy: ManagedBy,
		LabelQuery:     labelValue(query),
	}
}

func selectorLabels(query string) map[string]string {
	return map[string]string{
		LabelName:  RunnerAppName,
		LabelQuery: labelValue(query),
	}
}
