package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/observability/annotations"
	"github.com/velostream/velostream/observability/metrics"
)

// DefaultShutdownTimeout bounds how long a stopping runner waits for the
// query to flush its sinks. It is below the pod's default
// terminationGracePeriodSeconds (30 s) so the runner exits on its own
// before the kubelet kills it.
const DefaultShutdownTimeout = 25 * time.Second

// Options are what the process around a runner supplies.
type Options struct {
	// Logger receives the runner's own log lines; slog.Default when nil.
	Logger *slog.Logger
	// Stderr receives the engine's bad-record reports; os.Stderr when nil.
	Stderr io.Writer
	// ReadFile reads credential files; os.ReadFile when nil.
	ReadFile func(string) ([]byte, error)
	// Listener, when set, serves the HTTP endpoints instead of listening on
	// Config.Listen (tests pass a loopback listener).
	Listener net.Listener
	// ShutdownTimeout bounds the flush on stop; DefaultShutdownTimeout when 0.
	ShutdownTimeout time.Duration
}

// state is where the query is in its life; /readyz reports it.
type state int

const (
	stateStarting state = iota
	stateRunning
	stateCompleted
	stateFailed
	stateStopping
)

func (s state) String() string {
	return [...]string{"starting", "running", "completed", "failed", "stopping"}[s]
}

// CompileError is returned when the configuration's SQL does not compile;
// Rendered holds every error with its line and a caret.
type CompileError struct {
	Errs     diag.List
	Rendered string
}

func (e *CompileError) Error() string { return "the query does not compile:\n" + e.Rendered }

// Compile compiles the configuration's SQL with the Kafka connection and
// consumer group as defaults of its Kafka sources and sinks. It compiles
// twice: once to learn which sources and sink are Kafka, then with the
// defaults bound, because the engine takes overrides by source name.
func Compile(cfg *Config, readFile func(string) ([]byte, error)) (*engine.Query, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	q, errs := engine.Compile(cfg.SQL, engine.Options{})
	if len(errs) > 0 {
		return nil, &CompileError{Errs: errs, Rendered: diag.RenderAll(cfg.Name, cfg.SQL, errs)}
	}
	defaults, err := KafkaProperties(cfg.Kafka, readFile)
	if err != nil {
		return nil, err
	}
	srcs, sink := Defaults(q.Plan.Sources, q.Plan.Sink, defaults, cfg.ConsumerGroup)
	if srcs == nil && sink == nil {
		return q, nil
	}
	q, errs = engine.Compile(cfg.SQL, engine.Options{Sources: srcs, Sink: sink})
	if len(errs) > 0 {
		return nil, &CompileError{Errs: errs, Rendered: diag.RenderAll(cfg.Name, cfg.SQL, errs)}
	}
	return q, nil
}

// Run compiles and runs the configuration's query and serves its HTTP
// endpoints until ctx is cancelled. A query over bounded inputs (files)
// completes; the runner then keeps serving its final metrics until stopped,
// so a Deployment does not restart it and process the input again. A query
// that fails makes Run return the error, so the pod restarts and the failure
// shows in its status.
func Run(ctx context.Context, cfg *Config, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("query", cfg.Name, "namespace", cfg.Namespace)
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	shutdown := opts.ShutdownTimeout
	if shutdown <= 0 {
		shutdown = DefaultShutdownTimeout
	}

	q, err := Compile(cfg, opts.ReadFile)
	if err != nil {
		return err
	}

	ln := opts.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", cfg.ListenAddr())
		if err != nil {
			return fmt.Errorf("runner: listen for metrics and probes: %w", err)
		}
	}
	spec, errs := annotations.FromQuery(q.Plan)
	if len(errs) > 0 {
		ln.Close()
		return &CompileError{Errs: errs, Rendered: diag.RenderAll(cfg.Name, cfg.SQL, errs)}
	}
	// The query label is the DNS label of the query's name: the operator
	// gives the generators the same name, so its rules and dashboards
	// select these series.
	m, err := metrics.New(spec, metrics.Options{Query: observability.DNSLabel(cfg.Name), Logger: log})
	if err != nil {
		ln.Close()
		return fmt.Errorf("runner: metrics: %w", err)
	}
	// The sink is opened on a context a stop does not cancel, so the final
	// flush after the query stops can still write.
	runOpts, err := m.Instrument(context.WithoutCancel(ctx), q.Plan, executor.Options{Stderr: stderr})
	if err != nil {
		ln.Close()
		return fmt.Errorf("runner: %w", err)
	}
	stats := m.Stats()
	st := &status{}
	srv := &http.Server{
		Handler:           newMux(st, m.Handler()),
		ReadHeaderTimeout: 5 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("serving metrics and probes", "addr", ln.Addr().String())

	// The query runs on a context of its own so that a stop first marks
	// the runner not ready (the Service stops sending scrapes to it) and
	// then cancels the query, which flushes its sinks before returning.
	qctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan error, 1)
	st.set(stateRunning, "")
	start := time.Now()
	go func() {
		_, err := q.Run(qctx, runOpts)
		if cerr := runOpts.Emitter.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close the sink: %w", cerr)
		}
		done <- err
	}()

	var runErr error
	select {
	case err := <-done:
		runErr = finished(log, st, err, stats, start)
		if runErr == nil {
			// Completed: keep serving until stopped.
			select {
			case <-ctx.Done():
			case err := <-serveErr:
				return fmt.Errorf("runner: metrics server: %w", err)
			}
		}
	case <-ctx.Done():
		st.set(stateStopping, "")
		log.Info("stopping: flushing the query's sinks", "timeout", shutdown)
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				runErr = fmt.Errorf("runner: query failed while stopping: %w", err)
			}
			log.Info("stopped", "summary", stats.Summary(time.Since(start)))
		case <-time.After(shutdown):
			runErr = fmt.Errorf("runner: the query did not stop within %s", shutdown)
		}
	case err := <-serveErr:
		cancel()
		<-done
		return fmt.Errorf("runner: metrics server: %w", err)
	}

	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("metrics server did not shut down cleanly", "err", err)
	}
	return runErr
}

// finished records how the query ended and returns the error Run returns.
func finished(log *slog.Logger, st *status, err error, stats *executor.Stats, start time.Time) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		st.set(stateFailed, err.Error())
		log.Error("query failed", "err", err)
		return fmt.Errorf("runner: query failed: %w", err)
	}
	st.set(stateCompleted, "")
	log.Info("query completed: its inputs ended", "summary", stats.Summary(time.Since(start)))
	return nil
}

// status is the runner's state, read by the probe handlers.
type status struct {
	mu     sync.Mutex
	state  state
	reason string
}

func (s *status) set(st state, reason string) {
	s.mu.Lock()
	s.state, s.reason = st, reason
	s.mu.Unlock()
}

func (s *status) get() (state, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, s.reason
}

// newMux serves the probes and metrics. Liveness only says the process
// serves HTTP: a failed query ends the process instead, so restarting it is
// the kubelet's call on the exit code, not on a probe. Readiness is true
// while the query runs or has completed, false while starting and stopping.
func newMux(st *status, metrics http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET "+MetricsPath, metrics)
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		s, reason := st.get()
		switch s {
		case stateRunning, stateCompleted:
			fmt.Fprintf(w, "%s\n", s)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			if reason != "" {
				fmt.Fprintf(w, "%s: %s\n", s, reason)
			} else {
				fmt.Fprintf(w, "%s\n", s)
			}
		}
	})
	return mux
}
