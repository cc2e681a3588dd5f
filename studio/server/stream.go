package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/server/live"
)

// writeTimeout bounds one WebSocket or SSE write: a client that stops
// reading is disconnected rather than holding a goroutine for ever (its
// subscription's queue is bounded in the meantime).
const writeTimeout = 10 * time.Second

// Control is a message a WebSocket client sends: {"type": "pause"},
// {"type": "resume"} or {"type": "cancel"}.
type Control struct {
	Type string `json:"type"`
}

// streamQuery serves a query's results: a WebSocket, or server-sent events
// for clients that ask for text/event-stream (they cannot pause: they stop
// reading, or DELETE the query to cancel it).
func (s *Server) streamQuery(w http.ResponseWriter, r *http.Request) {
	q, err := s.studio.Query(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		s.serveSSE(w, r, q)
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		writeError(w, badRequest("this is a WebSocket (Upgrade: websocket) or server-sent events (Accept: text/event-stream) endpoint"))
		return
	}
	// A page of another site must not read the results: the origin must
	// be this server's, or (on loopback) another loopback origin, so the
	// UI's dev server (Vite, proxying /api) works.
	var opts *websocket.AcceptOptions
	if s.opts.LoopbackOnly {
		opts = &websocket.AcceptOptions{OriginPatterns: []string{"localhost:*", "127.0.0.1:*", "[::1]:*"}}
	}
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		s.log.Debug("studio: websocket handshake failed", "error", err)
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(4096)
	sub := q.Subscribe()
	defer sub.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	replies := make(chan []byte, 4)
	go func() {
		defer cancel()
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			var m Control
			if err := json.Unmarshal(b, &m); err != nil {
				sendReply(replies, "invalid_request", fmt.Sprintf("a control message must be JSON like {\"type\": \"pause\"}: %v", err))
				continue
			}
			switch m.Type {
			case "pause":
				sub.Pause()
			case "resume":
				sub.Resume()
			case "cancel":
				q.Cancel()
			default:
				sendReply(replies, "invalid_request", fmt.Sprintf("unknown control %q: send pause, resume or cancel", m.Type))
			}
		}
	}()
	msgs := sub.C()
	for {
		var msg []byte
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				_ = c.Close(websocket.StatusNormalClosure, "query ended")
				return
			}
			msg = m
		case m := <-replies:
			msg = m
		}
		wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
		err := c.Write(wctx, websocket.MessageText, msg)
		wcancel()
		if err != nil {
			return
		}
	}
}

func sendReply(ch chan []byte, code, msg string) {
	b, _ := json.Marshal(map[string]any{"type": "error", "error": live.ErrorBody{Code: code, Message: msg}})
	select {
	case ch <- b:
	default: // a client flooding bad controls loses some replies
	}
}

// serveSSE streams the messages as server-sent events: the event name is
// the message's type.
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request, q *live.Query) {
	rc := http.NewResponseController(w)
	sub := q.Subscribe()
	defer sub.Close()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	for {
		select {
		case <-r.Context().Done():
			return
		case msg, ok := <-sub.C():
			if !ok {
				return
			}
			_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", messageType(msg), msg); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// messageType reads the "type" of a message the live package built (it
// always comes first).
func messageType(msg []byte) string {
	const prefix = `{"type":"`
	if len(msg) > len(prefix) && string(msg[:len(prefix)]) == prefix {
		if end := strings.IndexByte(string(msg[len(prefix):]), '"'); end > 0 {
			return string(msg[len(prefix) : len(prefix)+end])
		}
	}
	var m struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(msg, &m)
	return m.Type
}

func badRequest(msg string) error {
	return &core.Error{Status: http.StatusBadRequest, Code: core.CodeInvalidRequest, Message: msg}
}
