// Package server is the Studio's HTTP server: the JSON API under /api/v1
// (documented by the OpenAPI 3 document it serves at /api/v1/openapi.json),
// live query results over WebSocket or server-sent events, the MCP server
// at /mcp, and the web UI's files at /.
//
// Takes: a *core.Studio (what the Studio does) and Options (the MCP
// handler, the UI files, limits). Gives: an http.Handler. Every error is
// the envelope {"error": {"code", "message", "details"}} with a stable code
// (core.Code*); request bodies are size-limited and decoded strictly
// (unknown fields are errors); a server on loopback refuses requests whose
// Host is not a loopback name, so a web page cannot reach it through DNS
// rebinding.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/webui"
)

// Options configure the server.
type Options struct {
	// MCP serves /mcp (the streamable HTTP transport); nil leaves it out.
	MCP http.Handler
	// UI serves the web UI; nil uses the embedded build (studio/webui).
	UI fs.FS
	// MaxBody bounds a request body (default 1 MiB; POST /test 8 MiB,
	// for schema files).
	MaxBody int64
	// LoopbackOnly refuses requests whose Host header is not localhost,
	// 127.0.0.1 or [::1] (set when listening on loopback).
	LoopbackOnly bool
	Logger       *slog.Logger
}

// Server is the Studio's HTTP handler.
type Server struct {
	studio *core.Studio
	opts   Options
	log    *slog.Logger
	mux    *http.ServeMux
	doc    []byte // the OpenAPI document, JSON
	ui     http.Handler
}

// New builds the server.
func New(s *core.Studio, opts Options) (*Server, error) {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &Server{studio: s, opts: opts, log: log, mux: http.NewServeMux()}
	for _, r := range srv.routes() {
		srv.mux.HandleFunc(r.Method+" "+r.Path, r.handler)
	}
	if opts.MCP != nil {
		srv.mux.Handle("/mcp", opts.MCP)
		srv.mux.Handle("/mcp/", opts.MCP)
	}
	doc, err := srv.openAPI()
	if err != nil {
		return nil, fmt.Errorf("studio: OpenAPI document: %w", err)
	}
	srv.doc = doc
	ui := opts.UI
	if ui == nil && webui.Built() {
		ui = webui.FS()
	}
	srv.ui = uiHandler(ui)
	return srv, nil
}

// ServeHTTP serves a request: host check, panic recovery, logging, then
// the API, MCP or the UI.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("studio: panic serving a request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if !rec.wrote {
				writeError(rec, &core.Error{Status: http.StatusInternalServerError, Code: core.CodeInternal, Message: "internal error"})
			}
		}
		s.log.Debug("studio request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	}()
	if s.opts.LoopbackOnly && !loopbackHost(r.Host) {
		writeError(rec, &core.Error{Status: http.StatusForbidden, Code: core.CodeNotAllowed,
			Message: fmt.Sprintf("host %q is not a loopback name: the Studio on loopback answers only localhost, 127.0.0.1 and [::1]", r.Host)})
		return
	}
	path := r.URL.Path
	switch {
	case path == "/mcp" || strings.HasPrefix(path, "/mcp/"):
		if s.opts.MCP == nil {
			writeError(rec, &core.Error{Status: http.StatusNotFound, Code: core.CodeNotFound, Message: "the MCP server is not enabled"})
			return
		}
		s.mux.ServeHTTP(rec, r)
	case strings.HasPrefix(path, "/api/"):
		s.serveAPI(rec, r)
	default:
		s.ui.ServeHTTP(rec, r)
	}
}

// serveAPI routes an API request, answering unknown paths and methods
// with the error envelope instead of the mux's plain text.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	probe := &probeWriter{header: http.Header{}}
	s.mux.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeError(w, &core.Error{Status: http.StatusMethodNotAllowed, Code: core.CodeMethodNotAllowed,
			Message: fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, probe.header.Get("Allow"))})
		return
	}
	writeError(w, &core.Error{Status: http.StatusNotFound, Code: core.CodeNotFound, Message: "no API route " + r.Method + " " + r.URL.Path})
}

// probeWriter records what the mux's fallback would answer.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(code int)        { p.status = code }

// statusWriter records the status for logs.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and Hijack (SSE and
// WebSocket need them).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ErrorEnvelope is the body of every error response.
type ErrorEnvelope struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what went wrong: Code is stable (clients switch on it),
// Message is for people, Details carries structured data (positioned SQL
// errors, both versions of a conflicting notebook).
type ErrorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// writeError writes err as the envelope; errors that are not *core.Error
// are internal.
func writeError(w http.ResponseWriter, err error) {
	var ce *core.Error
	if !errors.As(err, &ce) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			ce = &core.Error{Status: http.StatusRequestEntityTooLarge, Code: core.CodeTooLarge, Message: fmt.Sprintf("the request body is over %d bytes", mbe.Limit)}
		} else {
			ce = &core.Error{Status: http.StatusInternalServerError, Code: core.CodeInternal, Message: err.Error()}
		}
	}
	writeJSON(w, ce.Status, ErrorEnvelope{Error: ErrorBody{Code: ce.Code, Message: ce.Message, Details: ce.Details}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorEnvelope{Error: ErrorBody{Code: core.CodeInternal, Message: "encoding the response: " + err.Error()}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// decode reads a JSON body into v: the content type must be JSON, the
// body at most limit bytes, one value, and no field v does not have.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return &core.Error{Status: http.StatusUnsupportedMediaType, Code: core.CodeUnsupportedMedia,
			Message: fmt.Sprintf("Content-Type %q: send application/json", ct)}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return bodyError(err)
		}
		return &core.Error{Status: http.StatusBadRequest, Code: core.CodeInvalidRequest, Message: "the body holds more than one JSON value"}
	}
	return nil
}

// bodyError explains a JSON decoding failure with where it happened.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return &core.Error{Status: http.StatusBadRequest, Code: core.CodeInvalidRequest, Message: "the body is empty: send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &core.Error{Status: http.StatusBadRequest, Code: core.CodeInvalidRequest, Message: "the body is not valid JSON: it ends in the middle of a value"}
	case errors.As(err, &se):
		return &core.Error{Status: http.StatusBadRequest, Code: core.CodeInvalidRequest,
			Message: fmt.Sprintf("the body is not valid JSON at byte %d: %v", se.Offset, se), Details: map[string]any{"offset": se.Offset}}
	case errors.As(err, &te):
		return &core.Error{Status: http.StatusBadRequest, Code: core.CodeInvalidRequest,
			Message: fmt.Sprintf("field %q: a %s where a %s belongs (byte %d)", te.Field, te.Value, te.Type, te.Offset), Details: map[string]any{"field": te.Field, "offset": te.Offset}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &core.Error{Status: http.StatusBadRequest, Code: core.CodeInvalidRequest,
			Message: fmt.Sprintf("unknown field %q", field), Details: map[string]any{"field": field}}
	}
	return &core.Error{Status: http.StatusBadRequest, Code: core.CodeInvalidRequest, Message: "the body cannot be read: " + err.Error()}
}
