package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/velostream/velostream/studio/server/core"
)

// ownPkg marks the Studio's own packages: their JSON never holds null
// where a list belongs. Types of other packages (the test report, the
// assistant's answer, the Kubernetes API) may, and their lists and maps
// are documented as nullable.
const ownPkg = "github.com/velostream/velostream/studio/"

// openAPI builds the OpenAPI 3 document of the route table: the request
// and response schemas are generated from the Go types the handlers
// encode, so the document cannot drift from what is sent.
func (s *Server) openAPI() ([]byte, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "Velostream Studio API",
			Version: core.Version,
			Description: "The Studio's API: SQL validation and completion, live query results, streams, NL->SQL, tests, notebooks and deploy. " +
				"Every error is {\"error\": {\"code\", \"message\", \"details\"}} with a stable code.",
		},
		Servers:    openapi3.Servers{{URL: "/"}},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}},
	}
	schemaOf := func(v any) (*openapi3.SchemaRef, error) {
		// A generator per value: one generator's cache hands out refs to
		// components it has already emptied, and loses them.
		gen := openapi3gen.NewGenerator(
			openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true}),
			openapi3gen.CreateTypeNameGenerator(typeName),
			openapi3gen.SchemaCustomizer(customize),
		)
		ref, err := gen.NewSchemaRefForValue(v, doc.Components.Schemas)
		if err != nil {
			return nil, fmt.Errorf("schema of %T: %w", v, err)
		}
		return ref, nil
	}
	errRef, err := schemaOf(ErrorEnvelope{})
	if err != nil {
		return nil, err
	}
	for _, r := range s.routes() {
		op := &openapi3.Operation{OperationID: r.ID, Summary: r.Summary, Tags: []string{r.Tag}, Responses: openapi3.NewResponses()}
		for _, name := range pathParams(r.Path) {
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: openapi3.NewPathParameter(name).WithSchema(openapi3.NewStringSchema())})
		}
		for _, q := range r.Query {
			p := openapi3.NewQueryParameter(q.Name).WithDescription(q.Description).WithRequired(q.Required)
			if q.Type == "integer" {
				p = p.WithSchema(openapi3.NewIntegerSchema())
			} else {
				p = p.WithSchema(openapi3.NewStringSchema())
			}
			op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: p})
		}
		if r.Request != nil {
			ref, err := schemaOf(r.Request)
			if err != nil {
				return nil, err
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(ref)}
		}
		for _, resp := range r.Responses {
			desc := resp.Description
			if desc == "" {
				desc = http.StatusText(resp.Status)
			}
			out := openapi3.NewResponse().WithDescription(desc)
			if resp.Body != nil {
				ct := resp.ContentType
				if ct == "" {
					ct = "application/json"
				}
				var ref *openapi3.SchemaRef
				if str, isText := resp.Body.(string); isText && str == "" {
					ref = openapi3.NewStringSchema().NewRef()
				} else if ref, err = schemaOf(resp.Body); err != nil {
					return nil, err
				}
				out.Content = openapi3.NewContentWithSchemaRef(ref, []string{ct})
			}
			op.Responses.Set(strconv.Itoa(resp.Status), &openapi3.ResponseRef{Value: out})
		}
		op.Responses.Set("default", &openapi3.ResponseRef{Value: openapi3.NewResponse().
			WithDescription("an error: the envelope with a stable code").WithJSONSchemaRef(errRef)})
		doc.AddOperation(r.Path, r.Method, op)
	}
	if mcp := s.opts.MCP; mcp != nil {
		doc.Paths.Set("/mcp", &openapi3.PathItem{
			Description: "The MCP server (Model Context Protocol, streamable HTTP transport): JSON-RPC, not this API's JSON; see docs/studio.md.",
		})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	// Validate the document as a client reads it: loading resolves the
	// component references the generator leaves unresolved.
	loader := openapi3.NewLoader()
	loaded, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("the generated document does not load: %w", err)
	}
	if err := loaded.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the generated document is invalid: %w", err)
	}
	return b, nil
}

var paramRe = regexp.MustCompile(`\{([a-z]+)\}`)

func pathParams(p string) []string {
	var out []string
	for _, m := range paramRe.FindAllStringSubmatch(p, -1) {
		out = append(out, m[1])
	}
	return out
}

// typeName names a component after its package and type (live.Column and
// catalog.Column are different columns). Types that write their own JSON
// (metav1.Time, apiextensions JSON) or have no fields are inlined (""):
// their Go fields say nothing about their JSON.
func typeName(t reflect.Type) string {
	if customJSON(t) || !hasJSONFields(t) {
		return ""
	}
	return path.Base(t.PkgPath()) + "." + t.Name()
}

var marshaler = reflect.TypeFor[json.Marshaler]()

func customJSON(t reflect.Type) bool {
	return t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler)
}

func hasJSONFields(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if _, tagged := f.Tag.Lookup("json"); tagged && f.IsExported() {
			return true
		}
		if f.Anonymous && hasJSONFields(f.Type) {
			return true
		}
	}
	return false
}

// customize marks the fields encoding/json always writes (no omitempty or
// omitzero) as required, and the lists and maps of other packages' types
// as nullable (encoding/json writes a nil one as null).
func customize(_ string, t reflect.Type, _ reflect.StructTag, schema *openapi3.Schema) error {
	if t.Kind() == reflect.Struct && customJSON(t) {
		// Its JSON is its own business: time types are strings, others
		// anything.
		*schema = openapi3.Schema{}
		if t.Name() == "Time" || t.Name() == "MicroTime" {
			schema.Type, schema.Format = &openapi3.Types{"string"}, "date-time"
		}
		return nil
	}
	if t.Kind() != reflect.Struct || schema.Properties == nil {
		return nil
	}
	own := strings.HasPrefix(t.PkgPath(), ownPkg)
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, hasTag := f.Tag.Lookup("json")
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct {
				walk(f.Type) // embedded: its fields are the parent's
				continue
			}
			if !f.IsExported() || name == "-" || !hasTag {
				continue
			}
			if name == "" {
				name = f.Name
			}
			prop := schema.Properties[name]
			if prop == nil {
				continue
			}
			optional := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
			if !optional && !slices.Contains(schema.Required, name) {
				schema.Required = append(schema.Required, name)
			}
			k := f.Type.Kind()
			if !own && (k == reflect.Slice || k == reflect.Map) && prop.Value != nil && prop.Ref == "" {
				prop.Value.Nullable = true
			}
		}
	}
	walk(t)
	return nil
}
