// Package runner is what a runner pod runs: it takes a Config (the SQL and a
// Kafka connection with credentials as files, written by the operator into
// the query's ConfigMap), compiles the SQL with the engine, runs it, and
// serves /metrics, /healthz and /readyz until it is stopped.
//
// The runner knows nothing of Kubernetes: `velo runner --config FILE` works
// on a laptop as well as in a pod. Its contract with the operator is Config,
// ConfigKey/ConfigPath and the three HTTP paths.
package runner
