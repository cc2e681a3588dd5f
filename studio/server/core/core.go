// Package core is what the Studio does, whatever asks for it: the HTTP API
// (studio/server) and the MCP server (studio/mcp) both call it, so a
// browser and an agent get the same validation, the same results and the
// same deploy.
//
// Takes: a Config (the stream catalog, the notebook store, the NL->SQL
// generator, a Kubernetes client when there is a cluster, limits). Gives: a
// Studio with one method per capability (Validate, Complete, StartQuery,
// Streams, NLToSQL, Test, Deploy, ...), each returning plain values or an
// *Error with a stable code.
package core

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/live"
)

// Config is what a Studio is built from.
type Config struct {
	Catalog   *catalog.Catalog
	Notebooks notebooks.Store
	// Assistant answers NL->SQL questions and explains test failures.
	Assistant assistant.Generator
	// Kube is the cluster deploys go to; nil without one.
	Kube client.Client
	// Namespace is where deploys go by default.
	Namespace string
	// Kafka is the Kafka cluster deployed queries use, as the cluster
	// sees it (the demo broker on loopback is not reachable from pods).
	Kafka *v1alpha1.KafkaConnection
	// AllowDeploy lets agents (MCP deploy_query) apply; without it they
	// get dry runs only. The HTTP API's Deploy button is a person's
	// explicit action and needs only a cluster.
	AllowDeploy bool
	// Limits bound the queries the Studio runs.
	Limits live.Limits
	// FileRoots are the directories file sources may read; a query that
	// names a file elsewhere is refused. Empty means the working directory.
	FileRoots []string
	// NoFiles refuses every file source (a Studio in a pod has no user
	// files, and must not read its own, such as its service account token).
	NoFiles bool
	// MaxTestRecords bounds the records per source of a test run (default
	// 1,000,000) and MaxGenerateRecords those of generate-data (default 10,000).
	MaxTestRecords     int64
	MaxGenerateRecords int64
	Logger             *slog.Logger
	Now                func() time.Time
}

// Studio is the Studio's back end. It is safe for concurrent use.
type Studio struct {
	cfg   Config
	log   *slog.Logger
	hub   *live.Hub
	roots []string
}

// New builds a Studio.
func New(cfg Config) (*Studio, error) {
	if cfg.Catalog == nil {
		cfg.Catalog = catalog.New(catalog.Config{})
	}
	if cfg.Notebooks == nil {
		return nil, errors.New("studio: no notebook store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxTestRecords <= 0 {
		cfg.MaxTestRecords = 1_000_000
	}
	if cfg.MaxGenerateRecords <= 0 {
		cfg.MaxGenerateRecords = 10_000
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Studio{cfg: cfg, log: log, hub: live.NewHub(cfg.Limits, log)}
	roots := cfg.FileRoots
	if len(roots) == 0 && !cfg.NoFiles {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("studio: %w", err)
		}
		roots = []string{wd}
	}
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("studio: file root %s: %w", r, err)
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		s.roots = append(s.roots, abs)
	}
	return s, nil
}

// Close stops every running query.
func (s *Studio) Close() { s.hub.Close() }

// Hub is the Studio's query hub.
func (s *Studio) Hub() *live.Hub { return s.hub }

// Catalog is the Studio's stream catalog.
func (s *Studio) Catalog() *catalog.Catalog { return s.cfg.Catalog }

// Notebooks is the Studio's notebook store.
func (s *Studio) Notebooks() notebooks.Store { return s.cfg.Notebooks }

// Info describes the Studio for the UI: where notebooks live, what is
// configured.
type Info struct {
	Version     string `json:"version"`
	Notebooks   string `json:"notebooks"`
	Kafka       string `json:"kafka,omitempty"`
	Cluster     bool   `json:"cluster"`
	Namespace   string `json:"namespace,omitempty"`
	AllowDeploy bool   `json:"allow_deploy"`
	Assistant   string `json:"assistant,omitempty"`
	Limits      Limits `json:"limits"`
}

// Limits as the UI sees them.
type Limits struct {
	MaxRows       int64 `json:"max_rows"`
	MaxDurationMS int64 `json:"max_duration_ms"`
	MaxState      int64 `json:"max_state"`
	MaxQueries    int   `json:"max_queries"`
	BufferRows    int   `json:"buffer_rows"`
}

// Version is the Studio API version.
const Version = "v1"

// Info returns the Studio's configuration.
func (s *Studio) Info() Info {
	l := s.hub.Limits()
	in := Info{Version: Version, Notebooks: s.cfg.Notebooks.Describe(), Kafka: s.cfg.Catalog.Bootstrap(),
		Cluster: s.cfg.Kube != nil, AllowDeploy: s.cfg.AllowDeploy,
		Limits: Limits{MaxRows: l.MaxRows, MaxDurationMS: l.MaxDuration.Milliseconds(), MaxState: l.MaxState, MaxQueries: l.MaxQueries, BufferRows: l.BufferRows}}
	if s.cfg.Kube != nil {
		in.Namespace = s.cfg.Namespace
	}
	if s.cfg.Assistant != nil {
		in.Assistant = s.cfg.Assistant.Name()
	}
	return in
}

// Error codes. They are part of the API: clients switch on them.
const (
	CodeInvalidRequest   = "invalid_request"   // the body is malformed or a field is missing or wrong
	CodeInvalidSQL       = "invalid_sql"       // the SQL has errors (details.errors are positioned)
	CodeNotFound         = "not_found"         // no such notebook, cell, query or stream
	CodeConflict         = "conflict"          // the notebook changed since it was loaded (details: current, yours)
	CodeExists           = "already_exists"    // a notebook of that name exists
	CodeTooManyQueries   = "too_many_queries"  // the query limit is reached
	CodeNotAllowed       = "not_allowed"       // refused by policy (a file outside the roots, deploy without permission)
	CodeNoCluster        = "no_cluster"        // deploy without a Kubernetes cluster
	CodeNoKafka          = "no_kafka"          // topics without a Kafka cluster
	CodeProviderFailed   = "provider_failed"   // the AI provider could not be reached
	CodeUpstream         = "upstream_failed"   // Kafka or Kubernetes failed
	CodeTooLarge         = "payload_too_large" // the body is over the size limit
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeInternal         = "internal"
)

// Error is a failure with a stable code, an HTTP status and details.
type Error struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
	Err     error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

func newError(status int, code, msg string, details map[string]any, err error) *Error {
	return &Error{Status: status, Code: code, Message: msg, Details: details, Err: err}
}

func invalid(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf(format, args...), nil, nil)
}

func notFound(format string, args ...any) *Error {
	return newError(http.StatusNotFound, CodeNotFound, fmt.Sprintf(format, args...), nil, nil)
}
