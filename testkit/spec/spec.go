// Package spec reads a test spec (query.test.yaml next to query.sql): how
// much data to generate, with which seed, from which schema files, and what
// to assert.
//
// Takes: the spec's YAML text. Gives: a *Spec, or positioned diagnostics.
package spec

import (
	"path/filepath"
	"strings"

	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/testkit/assert"
	"github.com/velostream/velostream/testkit/internal/yamlx"
)

// Spec is a parsed test spec.
type Spec struct {
	File string
	Src  string
	// Records per source (0: not given).
	Records int64
	Seed    uint64
	HasSeed bool
	// Schemas maps a source name to its schema file, relative to the spec.
	Schemas map[string]SchemaRef
	// Sources holds per-source settings.
	Sources    map[string]Source
	Assertions []*assert.Assertion
}

// SchemaRef is a schema file named in the spec.
type SchemaRef struct {
	Path string // resolved against the spec's directory
	Pos  token.Pos
}

// Source is per-source settings.
type Source struct {
	Records int64
	Schema  string
}

// PathFor returns the spec path conventionally paired with a query file:
// query.sql -> query.test.yaml.
func PathFor(sqlPath string) string {
	return strings.TrimSuffix(sqlPath, filepath.Ext(sqlPath)) + ".test.yaml"
}

// Parse reads a spec. Relative schema paths resolve against file's directory.
func Parse(file, src string) (*Spec, diag.List) {
	d := yamlx.Parse(file, src)
	if d.Errs != nil {
		return nil, d.Errs
	}
	s := &Spec{File: file, Src: src, Schemas: map[string]SchemaRef{}, Sources: map[string]Source{}}
	if d.Root == nil {
		return s, nil
	}
	dir := filepath.Dir(file)
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	for _, p := range d.Map(d.Root, "test spec", "name", "description", "query", "records", "seed", "schemas", "sources", "assertions") {
		switch p.Key {
		case "records":
			if n, ok := d.Int(p.Value, "records"); ok {
				if n < 0 {
					d.Errorf(p.Value, "records must not be negative")
				}
				s.Records = n
			}
		case "seed":
			if n, ok := d.Int(p.Value, "seed"); ok {
				s.Seed, s.HasSeed = uint64(n), true
			}
		case "schemas":
			for _, q := range d.Map(p.Value, "schemas") {
				if path, ok := d.Str(q.Value, "schema file"); ok {
					s.Schemas[q.Key] = SchemaRef{Path: resolve(path), Pos: d.Pos(q.Value)}
				}
			}
		case "sources":
			for _, q := range d.Map(p.Value, "sources") {
				var src Source
				for _, r := range d.Map(q.Value, "source "+q.Key, "records", "schema") {
					switch r.Key {
					case "records":
						if n, ok := d.Int(r.Value, "records"); ok {
							if n < 0 {
								d.Errorf(r.Value, "records must not be negative")
							}
							src.Records = n
						}
					case "schema":
						if path, ok := d.Str(r.Value, "schema"); ok {
							src.Schema = path
							s.Schemas[q.Key] = SchemaRef{Path: resolve(path), Pos: d.Pos(r.Value)}
						}
					}
				}
				s.Sources[q.Key] = src
			}
		case "assertions":
			for _, n := range d.List(p.Value, "assertions") {
				if a := assert.FromYAML(d, n); a != nil {
					s.Assertions = append(s.Assertions, a)
				}
			}
		}
	}
	d.Errs.Sort()
	if len(d.Errs) > 0 {
		return nil, d.Errs
	}
	return s, nil
}
