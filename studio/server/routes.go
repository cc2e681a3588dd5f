package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/charts"
	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/server/deploy"
	"github.com/velostream/velostream/studio/server/live"
	"github.com/velostream/velostream/testkit/report"
)

// route is one API operation: its handler and what the OpenAPI document
// says about it. The document is built from this table, so a route cannot
// be served without being documented.
type route struct {
	Method, Path string
	ID, Summary  string
	Tag          string
	Request      any // the JSON body's type; nil for none
	Query        []param
	Responses    []response
	handler      http.HandlerFunc
}

type param struct {
	Name, Description string
	Type              string // "string" or "integer"
	Required          bool
}

type response struct {
	Status      int
	Body        any    // JSON body type; nil for none
	ContentType string // default application/json
	Description string
}

func okJSON(body any) []response { return []response{{Status: http.StatusOK, Body: body}} }

func createdJSON(body any) []response { return []response{{Status: http.StatusCreated, Body: body}} }

// Bodies of the API that are not core types.
type (
	// SQLBody is {"sql": "..."}.
	SQLBody struct {
		SQL string `json:"sql"`
	}
	// QueryCreated answers POST /queries.
	QueryCreated struct {
		ID      string        `json:"id"`
		Mode    string        `json:"mode"`
		Columns []live.Column `json:"columns"`
		Chart   charts.Chart  `json:"chart"`
		// Stream is the path of the results stream (WebSocket, or SSE
		// with Accept: text/event-stream).
		Stream string `json:"stream"`
	}
	// QueryList answers GET /queries.
	QueryList struct {
		Queries []live.Info `json:"queries"`
	}
	// QueryRows answers GET /queries/{id}/rows: the buffered rows, each
	// an array in column order.
	QueryRows struct {
		Columns []live.Column `json:"columns"`
		Rows    []any         `json:"rows"`
		State   string        `json:"state"`
	}
	// StreamList answers GET /streams.
	StreamList struct {
		Streams []catalog.Stream `json:"streams"`
	}
	// TopicList answers GET /topics.
	TopicList struct {
		Topics []catalog.Topic `json:"topics"`
	}
	// NotebookList answers GET /notebooks.
	NotebookList struct {
		Notebooks []core.NotebookSummary `json:"notebooks"`
	}
	// NewCell is the body of POST /notebooks/{name}/cells.
	NewCell struct {
		Cell core.Cell `json:"cell"`
		// Index is where the cell goes (default: at the end).
		Index *int `json:"index,omitempty"`
		// Version, when set, must be the notebook's current version.
		Version string `json:"version,omitempty"`
	}
	// CellChange is the body of PATCH /notebooks/{name}/cells/{cell}.
	CellChange struct {
		Version string `json:"version,omitempty"`
		core.CellPatch
	}
)

func (s *Server) routes() []route {
	const v1 = "/api/v1"
	versionParam := param{Name: "version", Type: "string", Description: "the version the notebook was loaded at; the request fails with 409 conflict if it changed"}
	return []route{
		{Method: "GET", Path: v1 + "/info", ID: "getInfo", Tag: "studio", Summary: "What this Studio is configured with", Responses: okJSON(core.Info{}), handler: s.info},
		{Method: "GET", Path: v1 + "/openapi.json", ID: "getOpenAPI", Tag: "studio", Summary: "This API's OpenAPI 3 document",
			Responses: []response{{Status: 200, Body: map[string]any{}, Description: "the document"}}, handler: s.openapiDoc},

		{Method: "POST", Path: v1 + "/validate", ID: "validate", Tag: "sql", Summary: "Parse and bind SQL; positioned errors as velo validate --format json",
			Request: SQLBody{}, Responses: okJSON(core.Validation{}), handler: s.validate},
		{Method: "POST", Path: v1 + "/completions", ID: "complete", Tag: "sql", Summary: "Keywords, functions, streams, columns and WITH keys at a cursor",
			Request: core.CompletionRequest{}, Responses: okJSON(core.Completions{}), handler: s.complete},
		{Method: "POST", Path: v1 + "/charts/suggest", ID: "suggestChart", Tag: "sql", Summary: "The chart for a result schema (@viz overrides)",
			Request: core.ChartRequest{}, Responses: okJSON(charts.Chart{}), handler: s.suggestChart},

		{Method: "POST", Path: v1 + "/queries", ID: "startQuery", Tag: "queries", Summary: "Start a live or bounded run of SQL; read its results from the stream",
			Request: core.QueryRequest{}, Responses: createdJSON(QueryCreated{}), handler: s.startQuery},
		{Method: "GET", Path: v1 + "/queries", ID: "listQueries", Tag: "queries", Summary: "Running and recently finished queries", Responses: okJSON(QueryList{}), handler: s.listQueries},
		{Method: "GET", Path: v1 + "/queries/{id}", ID: "getQuery", Tag: "queries", Summary: "A query's state and counters", Responses: okJSON(live.Info{}), handler: s.getQuery},
		{Method: "DELETE", Path: v1 + "/queries/{id}", ID: "cancelQuery", Tag: "queries", Summary: "Stop a query", Responses: okJSON(live.Info{}), handler: s.cancelQuery},
		{Method: "GET", Path: v1 + "/queries/{id}/rows", ID: "getQueryRows", Tag: "queries", Summary: "The query's buffered (newest) rows", Responses: okJSON(QueryRows{}), handler: s.queryRows},
		{Method: "GET", Path: v1 + "/queries/{id}/stream", ID: "streamQuery", Tag: "queries",
			Summary: "Results as they come: a WebSocket (messages schema, rows, metrics, state, complete, error; send pause, resume, cancel), or server-sent events with Accept: text/event-stream",
			Responses: []response{
				{Status: http.StatusSwitchingProtocols, Description: "WebSocket: one JSON message per frame"},
				{Status: http.StatusOK, ContentType: "text/event-stream", Body: "", Description: "server-sent events: event name = message type, data = the JSON message"},
			}, handler: s.streamQuery},

		{Method: "GET", Path: v1 + "/streams", ID: "listStreams", Tag: "streams", Summary: "Streams and tables to query", Responses: okJSON(StreamList{}), handler: s.listStreams},
		{Method: "GET", Path: v1 + "/streams/{name}", ID: "getStream", Tag: "streams", Summary: "A stream's schema (sampled from its data where not declared)", Responses: okJSON(catalog.Stream{}), handler: s.getStream},
		{Method: "GET", Path: v1 + "/streams/{name}/preview", ID: "previewStream", Tag: "streams", Summary: "Recent records of a stream",
			Query:     []param{{Name: "limit", Type: "integer", Description: "how many records (1-500, default 20)"}},
			Responses: okJSON(core.Rows{}), handler: s.previewStream},
		{Method: "GET", Path: v1 + "/topics", ID: "listTopics", Tag: "streams", Summary: "The Kafka cluster's topics (404 no_kafka without one)", Responses: okJSON(TopicList{}), handler: s.listTopics},

		{Method: "POST", Path: v1 + "/nl-to-sql", ID: "nlToSQL", Tag: "ai", Summary: "A question in English -> validated streaming SQL, or a refusal",
			Request: core.NLRequest{}, Responses: okJSON(assistant.Result{}), handler: s.nlToSQL},
		{Method: "POST", Path: v1 + "/analyze", ID: "analyze", Tag: "ai", Summary: "Explain a failed test in plain language",
			Request: core.AnalyzeRequest{}, Responses: okJSON(core.Analysis{}), handler: s.analyze},
		{Method: "POST", Path: v1 + "/test", ID: "test", Tag: "testing", Summary: "Run the test harness on a cell; its JSON report",
			Request: core.TestRequest{}, Responses: okJSON(report.Report{}), handler: s.test},
		{Method: "POST", Path: v1 + "/generate-data", ID: "generateData", Tag: "testing", Summary: "Synthetic records from a schema (a demo stream's by default)",
			Request: core.GenerateRequest{}, Responses: okJSON(core.GeneratedData{}), handler: s.generateData},

		{Method: "GET", Path: v1 + "/notebooks", ID: "listNotebooks", Tag: "notebooks", Summary: "Notebooks (files that cannot be read are listed with their error)", Responses: okJSON(NotebookList{}), handler: s.listNotebooks},
		{Method: "POST", Path: v1 + "/notebooks", ID: "createNotebook", Tag: "notebooks", Summary: "Create a notebook (name from the title when missing)",
			Request: core.Notebook{}, Responses: createdJSON(core.Notebook{}), handler: s.createNotebook},
		{Method: "GET", Path: v1 + "/notebooks/{name}", ID: "getNotebook", Tag: "notebooks", Summary: "A notebook with its version", Responses: okJSON(core.Notebook{}), handler: s.getNotebook},
		{Method: "PUT", Path: v1 + "/notebooks/{name}", ID: "saveNotebook", Tag: "notebooks", Summary: "Replace a notebook; version is required (409 conflict with both versions if it changed)",
			Request: core.Notebook{}, Responses: okJSON(core.Notebook{}), handler: s.saveNotebook},
		{Method: "DELETE", Path: v1 + "/notebooks/{name}", ID: "deleteNotebook", Tag: "notebooks", Summary: "Delete a notebook",
			Query: []param{versionParam}, Responses: []response{{Status: http.StatusNoContent, Description: "deleted"}}, handler: s.deleteNotebook},
		{Method: "GET", Path: v1 + "/notebooks/{name}/export", ID: "exportNotebook", Tag: "notebooks", Summary: "The notebook as the Notebook YAML kubectl applies",
			Responses: []response{{Status: 200, ContentType: "application/yaml", Body: "", Description: "a Notebook document"}}, handler: s.exportNotebook},
		{Method: "POST", Path: v1 + "/notebooks/{name}/cells", ID: "addCell", Tag: "notebooks", Summary: "Add a cell",
			Request: NewCell{}, Responses: createdJSON(core.Notebook{}), handler: s.addCell},
		{Method: "PATCH", Path: v1 + "/notebooks/{name}/cells/{cell}", ID: "updateCell", Tag: "notebooks", Summary: "Change a cell (fields left out stay)",
			Request: CellChange{}, Responses: okJSON(core.Notebook{}), handler: s.updateCell},
		{Method: "DELETE", Path: v1 + "/notebooks/{name}/cells/{cell}", ID: "deleteCell", Tag: "notebooks", Summary: "Remove a cell",
			Query: []param{versionParam}, Responses: okJSON(core.Notebook{}), handler: s.deleteCell},

		{Method: "POST", Path: v1 + "/deploy", ID: "deploy", Tag: "deploy", Summary: "Deploy cells or SQL: with dryRun the objects that would be applied (the deploy summary); without, server-side apply and what changed",
			Request: core.DeployRequest{}, Responses: okJSON(deploy.Plan{}), handler: s.deploy},
	}
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.studio.Info()) }

func (s *Server) openapiDoc(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.doc)
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	var b SQLBody
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, 200, s.studio.Validate(r.Context(), b.SQL))
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request) {
	var b core.CompletionRequest
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.Complete(r.Context(), b)
	respond(w, 200, v, err)
}

func (s *Server) suggestChart(w http.ResponseWriter, r *http.Request) {
	var b core.ChartRequest
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.SuggestChart(r.Context(), b)
	respond(w, 200, v, err)
}

// respond writes v, or err when it is not nil.
func respond(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, status, v)
}

func (s *Server) startQuery(w http.ResponseWriter, r *http.Request) {
	var b core.QueryRequest
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	// The query outlives this request: its context is its own.
	q, err := s.studio.StartQuery(r.Context(), b)
	if err != nil {
		writeError(w, err)
		return
	}
	stream := "/api/v1/queries/" + q.ID + "/stream"
	w.Header().Set("Location", "/api/v1/queries/"+q.ID)
	writeJSON(w, http.StatusCreated, QueryCreated{ID: q.ID, Mode: q.Mode, Columns: q.Columns, Chart: q.Chart, Stream: stream})
}

func (s *Server) listQueries(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, QueryList{Queries: s.studio.Hub().List()})
}

func (s *Server) getQuery(w http.ResponseWriter, r *http.Request) {
	q, err := s.studio.Query(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, 200, q.Info())
}

func (s *Server) cancelQuery(w http.ResponseWriter, r *http.Request) {
	q, err := s.studio.Query(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	q.Cancel()
	_ = q.Wait(r.Context())
	writeJSON(w, 200, q.Info())
}

func (s *Server) queryRows(w http.ResponseWriter, r *http.Request) {
	q, err := s.studio.Query(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	rows := q.Rows()
	out := QueryRows{Columns: q.Columns(), Rows: make([]any, len(rows)), State: q.Info().State}
	for i, row := range rows {
		out.Rows[i] = json.RawMessage(row)
	}
	writeJSON(w, 200, out)
}

func (s *Server) listStreams(w http.ResponseWriter, r *http.Request) {
	st, err := s.studio.Streams(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, 200, StreamList{Streams: st})
}

func (s *Server) getStream(w http.ResponseWriter, r *http.Request) {
	v, err := s.studio.Stream(r.Context(), r.PathValue("name"))
	respond(w, 200, v, err)
}

func (s *Server) previewStream(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, &core.Error{Status: 400, Code: core.CodeInvalidRequest, Message: "limit " + strconv.Quote(v) + " is not a whole number"})
			return
		}
		limit = n
	}
	v, err := s.studio.Preview(r.Context(), r.PathValue("name"), limit)
	respond(w, 200, v, err)
}

func (s *Server) listTopics(w http.ResponseWriter, r *http.Request) {
	t, err := s.studio.Topics(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, 200, TopicList{Topics: t})
}

func (s *Server) nlToSQL(w http.ResponseWriter, r *http.Request) {
	var b core.NLRequest
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.NLToSQL(r.Context(), b)
	respond(w, 200, v, err)
}

func (s *Server) analyze(w http.ResponseWriter, r *http.Request) {
	var b core.AnalyzeRequest
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.Analyze(r.Context(), b)
	respond(w, 200, v, err)
}

func (s *Server) test(w http.ResponseWriter, r *http.Request) {
	var b core.TestRequest
	if err := decode(w, r, 8*s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.Test(r.Context(), b)
	respond(w, 200, v, err)
}

func (s *Server) generateData(w http.ResponseWriter, r *http.Request) {
	var b core.GenerateRequest
	if err := decode(w, r, 8*s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.GenerateData(r.Context(), b)
	respond(w, 200, v, err)
}

func (s *Server) listNotebooks(w http.ResponseWriter, r *http.Request) {
	l, err := s.studio.ListNotebooks(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, 200, NotebookList{Notebooks: l})
}

func (s *Server) createNotebook(w http.ResponseWriter, r *http.Request) {
	var b core.Notebook
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	nb, err := s.studio.CreateNotebook(r.Context(), b)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/notebooks/"+nb.Name)
	writeJSON(w, http.StatusCreated, nb)
}

func (s *Server) getNotebook(w http.ResponseWriter, r *http.Request) {
	v, err := s.studio.GetNotebook(r.Context(), r.PathValue("name"))
	respond(w, 200, v, err)
}

func (s *Server) saveNotebook(w http.ResponseWriter, r *http.Request) {
	var b core.Notebook
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.SaveNotebook(r.Context(), r.PathValue("name"), b)
	respond(w, 200, v, err)
}

func (s *Server) deleteNotebook(w http.ResponseWriter, r *http.Request) {
	if err := s.studio.DeleteNotebook(r.Context(), r.PathValue("name"), r.URL.Query().Get("version")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) exportNotebook(w http.ResponseWriter, r *http.Request) {
	b, err := s.studio.ExportNotebook(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Disposition", `attachment; filename="`+r.PathValue("name")+`.yaml"`)
	_, _ = w.Write(b)
}

func (s *Server) addCell(w http.ResponseWriter, r *http.Request) {
	var b NewCell
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.AddCell(r.Context(), r.PathValue("name"), b.Version, b.Cell, b.Index)
	respond(w, http.StatusCreated, v, err)
}

func (s *Server) updateCell(w http.ResponseWriter, r *http.Request) {
	var b CellChange
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.UpdateCell(r.Context(), r.PathValue("name"), r.PathValue("cell"), b.Version, b.CellPatch)
	respond(w, 200, v, err)
}

func (s *Server) deleteCell(w http.ResponseWriter, r *http.Request) {
	v, err := s.studio.DeleteCell(r.Context(), r.PathValue("name"), r.PathValue("cell"), r.URL.Query().Get("version"))
	respond(w, 200, v, err)
}

func (s *Server) deploy(w http.ResponseWriter, r *http.Request) {
	var b core.DeployRequest
	if err := decode(w, r, s.opts.MaxBody, &b); err != nil {
		writeError(w, err)
		return
	}
	v, err := s.studio.Deploy(r.Context(), b, false)
	respond(w, 200, v, err)
}
