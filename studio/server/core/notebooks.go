package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/studio/notebooks"
)

// Notebook is a notebook as the API shows it: the Notebook object's spec
// (its cells exactly as stored), its version, and its status in a cluster.
type Notebook struct {
	Name      string                     `json:"name"`
	Namespace string                     `json:"namespace,omitempty"`
	Version   string                     `json:"version,omitempty"`
	Title     string                     `json:"title"`
	Cells     []Cell                     `json:"cells"`
	Defaults  *v1alpha1.NotebookDefaults `json:"defaults,omitempty"`
	Status    *v1alpha1.NotebookStatus   `json:"status,omitempty"`
	Modified  time.Time                  `json:"modified,omitzero"`
}

// Cell is one notebook cell.
type Cell struct {
	Name   string `json:"name"`
	Prompt string `json:"prompt,omitempty"`
	SQL    string `json:"sql"`
	Deploy bool   `json:"deploy,omitempty"`
	// Assertions are objects with one key naming the check, e.g.
	// {"record_count": {"greater_than": 0}}.
	Assertions []json.RawMessage `json:"assertions,omitempty"`
}

// NotebookSummary is a notebook in a listing.
type NotebookSummary struct {
	Name     string    `json:"name"`
	Title    string    `json:"title"`
	Cells    int       `json:"cells"`
	Version  string    `json:"version,omitempty"`
	Modified time.Time `json:"modified,omitzero"`
	Source   string    `json:"source"`
	// Error says why a file could not be read as a notebook.
	Error string `json:"error,omitempty"`
}

// NotebookView converts a stored notebook for the API.
func NotebookView(n *notebooks.Notebook) Notebook {
	nb := n.Notebook
	out := Notebook{Name: nb.Name, Namespace: nb.Namespace, Version: n.Version, Title: nb.Spec.Title,
		Cells: make([]Cell, 0, len(nb.Spec.Cells)), Defaults: nb.Spec.Defaults, Modified: n.Modified}
	for _, c := range nb.Spec.Cells {
		cell := Cell{Name: c.Name, Prompt: c.Prompt, SQL: c.SQL, Deploy: c.Deploy}
		for _, a := range c.Assertions {
			cell.Assertions = append(cell.Assertions, json.RawMessage(a.Raw))
		}
		out.Cells = append(out.Cells, cell)
	}
	if st := nb.Status; len(st.Conditions) > 0 || len(st.Cells) > 0 {
		out.Status = &st
	}
	return out
}

// object is the Notebook object of an API notebook.
func (n Notebook) object() *v1alpha1.Notebook {
	nb := &v1alpha1.Notebook{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.NotebookKind},
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Namespace: n.Namespace},
		Spec:       v1alpha1.NotebookSpec{Title: n.Title, Defaults: n.Defaults},
	}
	for _, c := range n.Cells {
		nb.Spec.Cells = append(nb.Spec.Cells, c.object())
	}
	return nb
}

func (c Cell) object() v1alpha1.NotebookCell {
	out := v1alpha1.NotebookCell{Name: c.Name, Prompt: c.Prompt, SQL: c.SQL, Deploy: c.Deploy}
	for _, a := range c.Assertions {
		out.Assertions = append(out.Assertions, v1alpha1.Assertion{JSON: apiextensionsv1.JSON{Raw: append([]byte(nil), a...)}})
	}
	return out
}

// NewCellSQL is the SQL of a cell created without any: the CRD needs some,
// and a comment that says what to do is honest about it.
const NewCellSQL = "-- Write SQL here, or ask a question in English above.\n"

// ListNotebooks lists the notebooks.
func (s *Studio) ListNotebooks(ctx context.Context) ([]NotebookSummary, error) {
	list, err := s.cfg.Notebooks.List(ctx)
	if err != nil {
		return nil, storeError(err)
	}
	out := make([]NotebookSummary, 0, len(list))
	for _, l := range list {
		out = append(out, NotebookSummary{Name: l.Name, Title: l.Title, Cells: l.Cells, Version: l.Version, Modified: l.Modified, Source: l.Source, Error: l.Error})
	}
	return out, nil
}

// GetNotebook reads a notebook.
func (s *Studio) GetNotebook(ctx context.Context, name string) (*Notebook, error) {
	n, err := s.cfg.Notebooks.Get(ctx, name)
	if err != nil {
		return nil, storeError(err)
	}
	v := NotebookView(n)
	return &v, nil
}

// CreateNotebook creates a notebook; a missing name is made from the
// title, and cells without names are named cell-1, cell-2, ...
func (s *Studio) CreateNotebook(ctx context.Context, in Notebook) (*Notebook, error) {
	if in.Name == "" {
		if strings.TrimSpace(in.Title) == "" {
			return nil, invalid("give a name or a title")
		}
		in.Name = observability.DNSLabel(in.Title)
	}
	if in.Title == "" {
		in.Title = in.Name
	}
	nameCells(in.Cells)
	for i := range in.Cells {
		if in.Cells[i].SQL == "" {
			in.Cells[i].SQL = NewCellSQL
		}
	}
	n, err := s.cfg.Notebooks.Create(ctx, in.object())
	if err != nil {
		return nil, storeError(err)
	}
	v := NotebookView(n)
	return &v, nil
}

// SaveNotebook replaces a notebook if it is still at in.Version.
func (s *Studio) SaveNotebook(ctx context.Context, name string, in Notebook) (*Notebook, error) {
	if in.Name != "" && in.Name != name {
		return nil, invalid("the body names notebook %q, the path %q (renaming is create + delete)", in.Name, name)
	}
	if in.Version == "" {
		return nil, invalid("version is required: the version the notebook was loaded at, so a change made meanwhile is not overwritten")
	}
	in.Name = name
	nameCells(in.Cells)
	n, err := s.cfg.Notebooks.Update(ctx, in.object(), in.Version)
	if err != nil {
		return nil, storeError(err)
	}
	v := NotebookView(n)
	return &v, nil
}

// DeleteNotebook deletes a notebook ("" version: whatever is stored).
func (s *Studio) DeleteNotebook(ctx context.Context, name, version string) error {
	if err := s.cfg.Notebooks.Delete(ctx, name, version); err != nil {
		return storeError(err)
	}
	return nil
}

// ExportNotebook returns the notebook as the YAML document kubectl applies.
func (s *Studio) ExportNotebook(ctx context.Context, name string) ([]byte, error) {
	n, err := s.cfg.Notebooks.Get(ctx, name)
	if err != nil {
		return nil, storeError(err)
	}
	b, err := notebooks.Marshal(n.Notebook)
	if err != nil {
		return nil, newError(500, CodeInternal, err.Error(), nil, err)
	}
	return b, nil
}

// CellPatch changes a cell; nil fields are left as they are.
type CellPatch struct {
	Name       *string            `json:"name,omitempty"`
	Prompt     *string            `json:"prompt,omitempty"`
	SQL        *string            `json:"sql,omitempty"`
	Deploy     *bool              `json:"deploy,omitempty"`
	Assertions *[]json.RawMessage `json:"assertions,omitempty"`
}

// editRetries is how often a cell edit without a version is retried when
// another write slips in between its read and its write.
const editRetries = 3

// editCells applies edit to the notebook's cells and saves. With a
// version, the notebook must still be at it; without one, the edit is
// made on whatever is stored (only the cell changes).
func (s *Studio) editCells(ctx context.Context, name, version string, edit func(cells []Cell) ([]Cell, error)) (*Notebook, error) {
	for attempt := 0; ; attempt++ {
		n, err := s.cfg.Notebooks.Get(ctx, name)
		if err != nil {
			return nil, storeError(err)
		}
		v := NotebookView(n)
		if version != "" && v.Version != version {
			return nil, storeError(&notebooks.ConflictError{Name: name, Current: n})
		}
		cells, err := edit(v.Cells)
		if err != nil {
			return nil, err
		}
		v.Cells = cells
		saved, err := s.cfg.Notebooks.Update(ctx, v.object(), n.Version)
		var ce *notebooks.ConflictError
		if errors.As(err, &ce) && version == "" && attempt < editRetries {
			continue
		}
		if err != nil {
			return nil, storeError(err)
		}
		out := NotebookView(saved)
		return &out, nil
	}
}

// AddCell inserts a cell at index (nil: at the end).
func (s *Studio) AddCell(ctx context.Context, name, version string, cell Cell, index *int) (*Notebook, error) {
	if cell.SQL == "" {
		cell.SQL = NewCellSQL
	}
	return s.editCells(ctx, name, version, func(cells []Cell) ([]Cell, error) {
		at := len(cells)
		if index != nil {
			if *index < 0 || *index > len(cells) {
				return nil, invalid("index %d: want 0 to %d", *index, len(cells))
			}
			at = *index
		}
		if cell.Name == "" {
			cell.Name = freeCellName(cells)
		}
		return slices.Insert(cells, at, cell), nil
	})
}

// UpdateCell changes one cell.
func (s *Studio) UpdateCell(ctx context.Context, name, cellName, version string, p CellPatch) (*Notebook, error) {
	return s.editCells(ctx, name, version, func(cells []Cell) ([]Cell, error) {
		i := slices.IndexFunc(cells, func(c Cell) bool { return c.Name == cellName })
		if i < 0 {
			return nil, notFound("notebook %s has no cell %q", name, cellName)
		}
		c := &cells[i]
		if p.Name != nil {
			c.Name = *p.Name
		}
		if p.Prompt != nil {
			c.Prompt = *p.Prompt
		}
		if p.SQL != nil {
			c.SQL = *p.SQL
		}
		if p.Deploy != nil {
			c.Deploy = *p.Deploy
		}
		if p.Assertions != nil {
			c.Assertions = *p.Assertions
		}
		return cells, nil
	})
}

// DeleteCell removes one cell.
func (s *Studio) DeleteCell(ctx context.Context, name, cellName, version string) (*Notebook, error) {
	return s.editCells(ctx, name, version, func(cells []Cell) ([]Cell, error) {
		i := slices.IndexFunc(cells, func(c Cell) bool { return c.Name == cellName })
		if i < 0 {
			return nil, notFound("notebook %s has no cell %q", name, cellName)
		}
		return slices.Delete(cells, i, i+1), nil
	})
}

func nameCells(cells []Cell) {
	for i := range cells {
		if cells[i].Name == "" {
			cells[i].Name = freeCellName(cells)
		}
	}
}

// freeCellName is the first cell-N no cell has.
func freeCellName(cells []Cell) string {
	for n := 1; ; n++ {
		name := fmt.Sprintf("cell-%d", n)
		if !slices.ContainsFunc(cells, func(c Cell) bool { return c.Name == name }) {
			return name
		}
	}
}
