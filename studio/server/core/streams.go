package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/studio/server/catalog"
)

// Streams lists the catalog's streams.
func (s *Studio) Streams(ctx context.Context) ([]catalog.Stream, error) {
	out, err := s.cfg.Catalog.Streams(ctx)
	if err != nil {
		return nil, newError(http.StatusBadGateway, CodeUpstream, err.Error(), nil, err)
	}
	if out == nil {
		out = []catalog.Stream{}
	}
	return out, nil
}

// Stream returns one stream with its schema (sampled from the topic's
// records when it is not declared).
func (s *Studio) Stream(ctx context.Context, name string) (*catalog.Stream, error) {
	st, ok, err := s.cfg.Catalog.Lookup(ctx, name)
	if err != nil {
		return nil, newError(http.StatusBadGateway, CodeUpstream, err.Error(), nil, err)
	}
	if !ok {
		return nil, notFound("no stream %q", name)
	}
	return st, nil
}

// Topics lists the Kafka cluster's topics.
func (s *Studio) Topics(ctx context.Context) ([]catalog.Topic, error) {
	out, err := s.cfg.Catalog.Topics(ctx)
	if errors.Is(err, catalog.ErrNoKafka) {
		return nil, newError(http.StatusNotFound, CodeNoKafka, err.Error(), nil, err)
	}
	if err != nil {
		return nil, newError(http.StatusBadGateway, CodeUpstream, err.Error(), nil, err)
	}
	return out, nil
}

// MaxPreview bounds the rows of a preview.
const MaxPreview = 500

// Preview returns up to n recent records of a stream: what arrives within
// a moment when the stream is live, else the first records it holds.
func (s *Studio) Preview(ctx context.Context, name string, n int) (*Rows, error) {
	if n <= 0 || n > MaxPreview {
		return nil, invalid("limit %d: want 1 to %d", n, MaxPreview)
	}
	st, err := s.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	sql := "SELECT * FROM " + quoteIdent(st.Name)
	if st.Kind == "table" || s.cfg.Catalog.Bootstrap() == "" {
		return s.Collect(ctx, sql, catalog.Mode{Bounded: true}, n, 5*time.Second)
	}
	rows, err := s.Collect(ctx, sql, catalog.Mode{Start: "latest"}, n, 2*time.Second)
	if err == nil && len(rows.Rows) > 0 {
		return rows, nil
	}
	// A quiet stream: show what it holds from the start.
	return s.Collect(ctx, sql, catalog.Mode{Bounded: true}, n, 5*time.Second)
}

// quoteIdent quotes a name that is not a bare word (a topic named
// orders-v2), the way the dialect quotes identifiers.
func quoteIdent(name string) string {
	bare := name != ""
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			bare = false
		}
	}
	if bare {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// assistantCatalog builds the NL->SQL generator's catalog from the Studio's
// streams: their columns and types, the demo's categorical values, and the
// synonyms and measures the assistant keeps for the demo streams.
func (s *Studio) assistantCatalog(ctx context.Context) (*assistant.Catalog, error) {
	streams, err := s.Streams(ctx)
	if err != nil {
		return nil, err
	}
	known := assistant.DemoCatalog()
	cat := &assistant.Catalog{}
	for _, st := range streams {
		if len(st.Columns) == 0 {
			continue // no schema: nothing to ask about
		}
		as := assistant.Stream{Name: st.Name, Kind: st.Kind, Description: st.Description, TimeColumn: st.TimeField}
		k := known.Stream(st.Name)
		if k != nil {
			as.Synonyms, as.Measures = k.Synonyms, k.Measures
		}
		for _, c := range st.Columns {
			ac := assistant.Column{Name: c.Name, Type: c.Type, Description: c.Description}
			if k != nil {
				for _, kc := range k.Columns {
					if strings.EqualFold(kc.Name, c.Name) {
						ac.Synonyms = kc.Synonyms
					}
				}
			}
			if _, isDemo := demo.Lookup(st.Name); isDemo && !st.Inferred {
				ac.Values = demo.Values(st.Name, c.Name)
			}
			as.Columns = append(as.Columns, ac)
		}
		cat.Streams = append(cat.Streams, as)
	}
	if len(cat.Streams) == 0 {
		return nil, newError(http.StatusUnprocessableEntity, CodeInvalidRequest, "there are no streams to ask about: start the Studio with --demo or --kafka", nil, nil)
	}
	if err := cat.Validate(); err != nil {
		return nil, newError(http.StatusInternalServerError, CodeInternal, fmt.Sprintf("stream catalog: %v", err), nil, err)
	}
	return cat, nil
}
