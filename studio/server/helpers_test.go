package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/velostream/velostream/assistant/offline"
	"github.com/velostream/velostream/broker"
	"github.com/velostream/velostream/demo"
	"github.com/velostream/velostream/studio/notebooks"
	"github.com/velostream/velostream/studio/server/catalog"
	"github.com/velostream/velostream/studio/server/core"
	"github.com/velostream/velostream/studio/server/live"
)

type envOpts struct {
	// demo starts the embedded broker and the demo feeder.
	demo bool
	// catalogOnly declares the demo streams without a broker (SQL binds
	// and validates; nothing runs against Kafka).
	catalogOnly bool
	kube        client.Client
	namespace   string
	limits      live.Limits
	mcp         http.Handler
	loopback    bool
	// rates overrides the demo feeder's records per second.
	rates map[string]int
}

// env is a Studio on a real listener (127.0.0.1) with a temporary
// notebook directory; every response it sees is checked against the
// served OpenAPI document.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	studio *core.Studio
	dir    string
	data   string // a directory of data files the Studio may read
	router routers.Router
	broker *broker.Broker
	feeder *demo.Feeder
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), data: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cc := catalog.Config{}
	if o.demo {
		b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		e.broker = b
		rates := o.rates
		if rates == nil {
			rates = map[string]int{demo.Trades: 200, demo.Transactions: 100, demo.Clicks: 50}
		}
		f, err := demo.Feed(ctx, demo.FeedConfig{Bootstrap: b.Addr(), Seed: 1, Rates: rates})
		if err != nil {
			b.Close()
			t.Fatal(err)
		}
		e.feeder = f
		cc = catalog.Config{Streams: demo.Catalog(), Bootstrap: b.Addr()}
	} else if o.catalogOnly {
		cc = catalog.Config{Streams: demo.Catalog()}
	}
	store, err := notebooks.NewFileStore(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	e.studio, err = core.New(core.Config{
		Catalog: catalog.New(cc), Notebooks: store, Assistant: offline.New(), Kube: o.kube, Namespace: o.namespace,
		Limits: o.limits, FileRoots: []string{e.data},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(e.studio, Options{MCP: o.mcp, LoopbackOnly: o.loopback})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(s)
	t.Cleanup(func() {
		e.srv.Close()
		e.studio.Close()
		if e.feeder != nil {
			e.feeder.Close()
		}
		if e.broker != nil {
			e.broker.Close()
		}
	})
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(s.doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatal(err)
	}
	e.router, err = gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// with returns the env reporting to t (a subtest).
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// writeData writes a data file the Studio may read and returns its path.
func (e *env) writeData(name, content string) string {
	p := filepath.Join(e.data, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// do sends a request (body: nil, a string sent as it is, or a value sent
// as JSON) and returns the status and body. The response is validated
// against the OpenAPI document.
func (e *env) do(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.validate(req, resp, raw)
	return resp.StatusCode, raw
}

// validate checks a response against the document: its status is one the
// operation documents (or the default error), and a JSON body matches the
// schema.
func (e *env) validate(req *http.Request, resp *http.Response, raw []byte) {
	e.t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return
	}
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		// Unknown routes answer with the error envelope.
		var env ErrorEnvelope
		if json.Unmarshal(raw, &env) != nil || env.Error.Code == "" {
			e.t.Errorf("%s %s (no route in the document): body is not the error envelope: %s", req.Method, req.URL.Path, raw)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		opts.ExcludeResponseBody = true
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	in.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.t.Errorf("%s %s -> %d does not match the OpenAPI document: %v\nbody: %.2000s", req.Method, req.URL.Path, resp.StatusCode, err, raw)
	}
}

// call sends a request, requires status want and decodes the body into out.
func (e *env) call(method, path string, body any, want int, out any) {
	e.t.Helper()
	status, raw := e.do(method, path, body)
	if status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
}

// apiError sends a request that must fail with status and code.
func (e *env) apiError(method, path string, body any, status int, code string) ErrorBody {
	e.t.Helper()
	var env ErrorEnvelope
	e.call(method, path, body, status, &env)
	if env.Error.Code != code || env.Error.Message == "" {
		e.t.Fatalf("%s %s: error %+v, want code %q", method, path, env.Error, code)
	}
	return env.Error
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
