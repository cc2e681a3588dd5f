// Package notebooks keeps the Studio's notebooks. A notebook is a Notebook
// object of the velostream.io/v1alpha1 API (api/v1alpha1), so a notebook
// saved by the Studio can be applied with kubectl as is, and one from Git
// opens in the Studio.
//
// Takes: notebooks to save, and the version each was loaded at. Gives: a
// Store with two implementations: FileStore (YAML files in a directory,
// written atomically, for `velo studio` on a laptop) and KubeStore
// (Notebook objects through the Kubernetes API, for the Studio in a
// cluster). Both refuse to overwrite a notebook that changed since it was
// loaded, with a *ConflictError holding both versions.
package notebooks

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// Notebook is a stored notebook with the version it was read at: a hash of
// the file, or the object's resourceVersion. Saving it back requires that
// version to still be current.
type Notebook struct {
	Notebook *v1alpha1.Notebook
	Version  string
	// Modified is when it was last written (the file's modification time,
	// or the object's creation time in a cluster where updates carry no
	// time); zero when unknown.
	Modified time.Time
}

// Summary is a notebook in a listing. A file that cannot be read as a
// Notebook is listed with Error set rather than left out.
type Summary struct {
	Name     string
	Title    string
	Cells    int
	Version  string
	Modified time.Time
	// Source is where the notebook lives: a file path or namespace/name.
	Source string
	Error  string
}

// Store keeps notebooks.
type Store interface {
	List(ctx context.Context) ([]Summary, error)
	// Get returns ErrNotFound for an unknown name.
	Get(ctx context.Context, name string) (*Notebook, error)
	// Create returns ErrExists when the name is taken.
	Create(ctx context.Context, nb *v1alpha1.Notebook) (*Notebook, error)
	// Update saves nb over the notebook of the same name if it is still at
	// version; otherwise it returns a *ConflictError and changes nothing.
	Update(ctx context.Context, nb *v1alpha1.Notebook, version string) (*Notebook, error)
	// Delete removes the notebook if it is still at version ("" deletes
	// whatever is there).
	Delete(ctx context.Context, name, version string) error
	// Describe says where notebooks are kept, for logs and the UI.
	Describe() string
}

// Errors the stores return (wrapped with the notebook's name).
var (
	ErrNotFound = errors.New("notebook not found")
	ErrExists   = errors.New("notebook already exists")
)

// ConflictError says that a notebook changed since it was loaded. Nothing
// was overwritten: Current is what is stored now, Yours is what the caller
// tried to save (also kept in SavedAs when the store could keep a copy).
type ConflictError struct {
	Name    string
	Current *Notebook // nil when the notebook was deleted meanwhile
	Yours   *v1alpha1.Notebook
	// SavedAs is where the store kept Yours (a file next to the notebook)
	// so that it survives even if the caller goes away; "" when not kept.
	SavedAs string
}

func (e *ConflictError) Error() string {
	if e.Current == nil {
		return fmt.Sprintf("notebook %q was deleted since it was loaded", e.Name)
	}
	return fmt.Sprintf("notebook %q changed since it was loaded (now at version %s)", e.Name, e.Current.Version)
}

// InvalidError lists what makes a notebook unfit to store: every problem,
// each naming the field (as the API server would).
type InvalidError struct {
	Name     string
	Problems []string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("notebook %q is invalid: %s", e.Name, strings.Join(e.Problems, "; "))
}

// cellName is the CRD's pattern for cell names (a DNS-1123 label).
var cellName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Limits of the Notebook CRD (api/v1alpha1/notebook_types.go): a notebook
// that passes Validate is accepted by the API server.
const (
	maxTitle      = 256
	maxCells      = 128
	maxCellName   = 63
	maxPrompt     = 16384
	maxSQL        = 262144
	maxAssertions = 64
)

// Validate checks nb against the Notebook CRD's rules, so that a notebook
// the Studio saves to a file can later be applied to a cluster.
func Validate(nb *v1alpha1.Notebook) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	for _, msg := range validation.IsDNS1123Subdomain(nb.Name) {
		add("metadata.name %q: %s", nb.Name, msg)
	}
	if nb.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(nb.Namespace) {
			add("metadata.namespace %q: %s", nb.Namespace, msg)
		}
	}
	if n := len(nb.Spec.Title); n > maxTitle {
		add("spec.title: %d characters, at most %d", n, maxTitle)
	}
	if n := len(nb.Spec.Cells); n > maxCells {
		add("spec.cells: %d cells, at most %d", n, maxCells)
	}
	seen := map[string]bool{}
	for i, c := range nb.Spec.Cells {
		at := fmt.Sprintf("spec.cells[%d]", i)
		switch {
		case c.Name == "":
			add("%s.name: required", at)
		case len(c.Name) > maxCellName || !cellName.MatchString(c.Name):
			add("%s.name %q: lower case letters, digits and '-', starting and ending with a letter or digit, at most %d characters", at, c.Name, maxCellName)
		case seen[c.Name]:
			add("%s.name %q: cell names must be unique", at, c.Name)
		}
		seen[c.Name] = true
		if c.SQL == "" {
			add("%s.sql: required (the cell %q has no SQL)", at, c.Name)
		}
		if n := len(c.SQL); n > maxSQL {
			add("%s.sql: %d bytes, at most %d", at, n, maxSQL)
		}
		if n := len(c.Prompt); n > maxPrompt {
			add("%s.prompt: %d bytes, at most %d", at, n, maxPrompt)
		}
		if n := len(c.Assertions); n > maxAssertions {
			add("%s.assertions: %d, at most %d", at, n, maxAssertions)
		}
		for j, a := range c.Assertions {
			if len(a.Raw) == 0 || a.Raw[0] != '{' {
				add("%s.assertions[%d]: must be an object such as {\"record_count\": {\"greater_than\": 0}}", at, j)
			}
		}
	}
	if len(p) > 0 {
		return &InvalidError{Name: nb.Name, Problems: p}
	}
	return nil
}

// Marshal renders nb as the YAML document kubectl applies: apiVersion,
// kind, metadata (name, namespace, labels and annotations only) and spec.
// Status and server-set metadata are left out: they belong to a cluster.
func Marshal(nb *v1alpha1.Notebook) ([]byte, error) {
	out := clean(nb)
	b, err := yaml.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("notebook %s: %w", nb.Name, err)
	}
	return b, nil
}

// document is the stored shape of a Notebook (no status, no server fields).
type document struct {
	APIVersion string                `json:"apiVersion"`
	Kind       string                `json:"kind"`
	Metadata   documentMeta          `json:"metadata"`
	Spec       v1alpha1.NotebookSpec `json:"spec"`
}

type documentMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func clean(nb *v1alpha1.Notebook) document {
	return document{
		APIVersion: v1alpha1.GroupVersion.String(),
		Kind:       v1alpha1.NotebookKind,
		Metadata: documentMeta{Name: nb.Name, Namespace: nb.Namespace,
			Labels: nb.Labels, Annotations: withoutLastApplied(nb.Annotations)},
		Spec: nb.Spec,
	}
}

// withoutLastApplied drops kubectl's copy of the whole object, which would
// otherwise be written into every file.
func withoutLastApplied(a map[string]string) map[string]string {
	const key = "kubectl.kubernetes.io/last-applied-configuration"
	if _, ok := a[key]; !ok {
		return a
	}
	out := make(map[string]string, len(a))
	for k, v := range a {
		if k != key {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Unmarshal reads one Notebook YAML (or JSON) document. It refuses other
// kinds and versions, and fields the schema does not know (a typo such as
// `sqll:` must not vanish on the next save).
func Unmarshal(b []byte) (*v1alpha1.Notebook, error) {
	var nb v1alpha1.Notebook
	if err := yaml.UnmarshalStrict(b, &nb); err != nil {
		return nil, fmt.Errorf("not a Notebook document: %w", err)
	}
	if nb.Kind != v1alpha1.NotebookKind || nb.APIVersion != v1alpha1.GroupVersion.String() {
		return nil, fmt.Errorf("a %s %s, not a %s %s", orNone(nb.APIVersion), orNone(nb.Kind), v1alpha1.GroupVersion, v1alpha1.NotebookKind)
	}
	return &nb, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
