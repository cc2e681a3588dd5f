package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/charts"
	"github.com/velostream/velostream/studio/server/live"
)

// Query modes.
const (
	ModeLive    = "live"    // read streams as they grow; stop when nobody watches
	ModeBounded = "bounded" // read what the topics hold now, then end
)

// QueryRequest starts a query.
type QueryRequest struct {
	SQL string `json:"sql"`
	// Mode is live (default) or bounded.
	Mode string `json:"mode,omitempty"`
	// Start is where a live query starts reading streams: latest (default)
	// or earliest.
	Start string `json:"start,omitempty"`
}

// StartedQuery is a started query.
type StartedQuery struct {
	ID      string        `json:"id"`
	Mode    string        `json:"mode"`
	Columns []live.Column `json:"columns"`
	Chart   charts.Chart  `json:"chart"`
	Query   *live.Query   `json:"-"`
}

func (r QueryRequest) mode() (catalog.Mode, bool, error) {
	switch r.Mode {
	case "", ModeLive:
	case ModeBounded:
		return catalog.Mode{Bounded: true}, false, nil
	default:
		return catalog.Mode{}, false, invalid("mode %q: want live or bounded", r.Mode)
	}
	switch r.Start {
	case "", "latest", "earliest":
	default:
		return catalog.Mode{}, false, invalid("start %q: want latest or earliest", r.Start)
	}
	return catalog.Mode{Start: r.Start}, true, nil
}

// StartQuery compiles and starts a query; its results are read from the
// returned query's subscribers.
func (s *Studio) StartQuery(ctx context.Context, req QueryRequest) (*StartedQuery, error) {
	mode, isLive, err := req.mode()
	if err != nil {
		return nil, err
	}
	q, err := s.compile(ctx, req.SQL, mode)
	if err != nil {
		return nil, err
	}
	chart := chartFor(q.Plan)
	lq, err := s.hub.Start(live.Spec{Query: q, SQL: req.SQL, Live: isLive, Meta: map[string]any{"chart": chart}})
	if err != nil {
		if errors.Is(err, live.ErrTooMany) {
			return nil, newError(http.StatusTooManyRequests, CodeTooManyQueries, err.Error(), nil, err)
		}
		return nil, newError(http.StatusInternalServerError, CodeInternal, err.Error(), nil, err)
	}
	m := ModeBounded
	if isLive {
		m = ModeLive
	}
	return &StartedQuery{ID: lq.ID(), Mode: m, Columns: lq.Columns(), Chart: chart, Query: lq}, nil
}

// Query returns a started query.
func (s *Studio) Query(id string) (*live.Query, error) {
	q, err := s.hub.Get(id)
	if err != nil {
		return nil, notFound("%v", err)
	}
	return q, nil
}

// Rows is a bounded read's result: rows as JSON objects keyed by column.
type Rows struct {
	Columns   []live.Column     `json:"columns"`
	Rows      []json.RawMessage `json:"rows"`
	Truncated bool              `json:"truncated"`
	// Reason says why reading stopped: end_of_input, limit (max rows),
	// or time_limit.
	Reason    string `json:"reason"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

// Collect runs sql in mode until it has maxRows rows, its input ends or
// timeout passes, and returns the rows. It is for agents and previews:
// small reads, no subscribers.
func (s *Studio) Collect(ctx context.Context, sql string, mode catalog.Mode, maxRows int, timeout time.Duration) (*Rows, error) {
	if maxRows <= 0 {
		return nil, invalid("max rows must be positive")
	}
	q, err := s.compile(ctx, sql, mode)
	if err != nil {
		return nil, err
	}
	out := &Rows{Rows: []json.RawMessage{}}
	for _, c := range q.Plan.Output {
		out.Columns = append(out.Columns, live.Column{Name: c.Name, Type: c.Type.String()})
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimeUp)
	defer cancel()
	rctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	schema := q.Plan.Output
	em := executor.FuncEmitter{F: func(row types.Row, _ int64) error {
		if len(out.Rows) >= maxRows {
			out.Truncated = true
			stop(errEnough)
			return nil
		}
		out.Rows = append(out.Rows, format.AppendJSON(nil, schema, row))
		if len(out.Rows) == maxRows {
			stop(errEnough)
		}
		return nil
	}}
	start := s.cfg.Now()
	_, err = q.Run(rctx, executor.Options{Emitter: em})
	out.ElapsedMS = s.cfg.Now().Sub(start).Milliseconds()
	switch cause := context.Cause(rctx); {
	case errors.Is(cause, errEnough):
		out.Reason = live.RowLimit
	case errors.Is(cause, errTimeUp):
		out.Reason = live.TimeLimit
	case err != nil && !errors.Is(err, context.Canceled):
		return nil, newError(http.StatusBadGateway, CodeUpstream, "the query failed: "+err.Error(), nil, err)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	default:
		out.Reason = live.EndOfInput
	}
	return out, nil
}

var (
	errEnough = errors.New("enough rows")
	errTimeUp = errors.New("time limit")
)
