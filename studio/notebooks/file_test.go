package notebooks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

func sample(name string) *v1alpha1.Notebook {
	return &v1alpha1.Notebook{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.NotebookKind},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.NotebookSpec{
			Title: "Trading Analytics",
			Cells: []v1alpha1.NotebookCell{{
				Name:       "volume",
				Prompt:     "Show me trading volume by symbol",
				SQL:        "SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol",
				Assertions: []v1alpha1.Assertion{{JSON: apiextensionsv1.JSON{Raw: []byte(`{"record_count":{"greater_than":0}}`)}}},
			}},
		},
	}
}

func newStore(t *testing.T) *FileStore {
	t.Helper()
	s, err := NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	return s
}

func TestFileStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	created, err := s.Create(ctx, sample("trading"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir(), "trading.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: velostream.io/v1alpha1
kind: Notebook
metadata:
  name: trading
spec:
  cells:
  - assertions:
    - record_count:
        greater_than: 0
    name: volume
    prompt: Show me trading volume by symbol
    sql: SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol
  title: Trading Analytics
`
	if string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
	got, err := s.Get(ctx, "trading")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != created.Version || got.Version == "" {
		t.Errorf("version %q after create, %q on read", created.Version, got.Version)
	}
	if got.Notebook.Spec.Cells[0].SQL != sample("").Spec.Cells[0].SQL {
		t.Errorf("cell %+v", got.Notebook.Spec.Cells[0])
	}
	nb := got.Notebook.DeepCopy()
	nb.Spec.Cells[0].SQL = "SELECT * FROM trades"
	updated, err := s.Update(ctx, nb, got.Version)
	if err != nil {
		t.Fatal(err)
	}
	if updated.Version == got.Version {
		t.Error("the version did not change with the content")
	}
	if _, err := s.Create(ctx, sample("trading")); !errors.Is(err, ErrExists) {
		t.Errorf("second create: %v", err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "trading" || list[0].Cells != 1 || list[0].Version != updated.Version {
		t.Errorf("list %+v %v", list, err)
	}
	if err := s.Delete(ctx, "trading", got.Version); err == nil {
		t.Error("delete at a stale version succeeded")
	}
	if err := s.Delete(ctx, "trading", updated.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "trading"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	assertNoTempFiles(t, s.Dir())
}

// An edit made on disk after the notebook was loaded must not be
// overwritten; both versions are kept and reported.
func TestFileStoreConflictKeepsBothVersions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	loaded, err := s.Create(ctx, sample("trading"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), "trading.yaml")
	onDisk := strings.Replace(string(mustRead(t, path)), "title: Trading Analytics", "title: Edited in vim", 1)
	if err := os.WriteFile(path, []byte(onDisk), 0o644); err != nil {
		t.Fatal(err)
	}
	mine := loaded.Notebook.DeepCopy()
	mine.Spec.Title = "Edited in Studio"
	_, err = s.Update(ctx, mine, loaded.Version)
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("update over an edit on disk: %v", err)
	}
	if string(mustRead(t, path)) != onDisk {
		t.Error("the edit on disk was overwritten")
	}
	if ce.Current == nil || ce.Current.Notebook.Spec.Title != "Edited in vim" || ce.Current.Version == loaded.Version {
		t.Errorf("current %+v", ce.Current)
	}
	if ce.Yours.Spec.Title != "Edited in Studio" {
		t.Errorf("yours %+v", ce.Yours)
	}
	kept, err := Unmarshal(mustRead(t, ce.SavedAs))
	if err != nil || kept.Spec.Title != "Edited in Studio" {
		t.Errorf("conflict copy %s: %v %+v", ce.SavedAs, err, kept)
	}
	// The conflict copy is hidden: it is not a second notebook of that name.
	list, _ := s.List(ctx)
	if len(list) != 1 {
		t.Errorf("list %+v", list)
	}
	// Saving against the current version works.
	if _, err := s.Update(ctx, mine, ce.Current.Version); err != nil {
		t.Errorf("update at the current version: %v", err)
	}
	// A notebook deleted on disk is a conflict too (nothing to overwrite,
	// and the caller's copy is kept).
	os.Remove(path)
	if _, err := s.Update(ctx, mine, ce.Current.Version); !errors.As(err, &ce) || ce.Current != nil || ce.SavedAs == "" {
		t.Errorf("update of a deleted notebook: %v", err)
	}
}

// A notebook from Git keeps its file name; files that are not notebooks are
// listed with their error instead of vanishing.
func TestFileStoreReadsForeignFiles(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	b, _ := Marshal(sample("from-git"))
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(s.Dir(), name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("analytics.yml", string(b))
	write("broken.yaml", "apiVersion: velostream.io/v1alpha1\nkind: Notebook\nmetadata: {name: broken}\nspec:\n  cells:\n  - name: a\n    sqll: SELECT 1\n")
	write("deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n")
	write("notes.txt", "not yaml")
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range list {
		got[l.Name] = l.Error
	}
	if len(got) != 3 || got["from-git"] != "" {
		t.Fatalf("list %+v", list)
	}
	if !strings.Contains(got["broken"], `unknown field "sqll"`) {
		t.Errorf("broken: %q", got["broken"])
	}
	if !strings.Contains(got["deployment"], "a apps/v1 Deployment, not a velostream.io/v1alpha1 Notebook") {
		t.Errorf("deployment: %q", got["deployment"])
	}
	nb, err := s.Get(ctx, "from-git")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, nb.Notebook, nb.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "from-git.yaml")); err == nil {
		t.Error("the update wrote a new file instead of the notebook's own")
	}
	// A new notebook whose file name is taken by another document is refused.
	if _, err := s.Create(ctx, sample("deployment")); !errors.Is(err, ErrExists) {
		t.Errorf("create over a foreign file: %v", err)
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name string
		edit func(*v1alpha1.Notebook)
		want string // "" for valid
	}{
		{"valid", func(*v1alpha1.Notebook) {}, ""},
		{"bad name", func(nb *v1alpha1.Notebook) { nb.Name = "Trading Analytics" }, `metadata.name "Trading Analytics"`},
		{"cell name pattern", func(nb *v1alpha1.Notebook) { nb.Spec.Cells[0].Name = "Cell_1" }, `spec.cells[0].name "Cell_1"`},
		{"cell name length", func(nb *v1alpha1.Notebook) { nb.Spec.Cells[0].Name = long }, "at most 63 characters"},
		{"duplicate cells", func(nb *v1alpha1.Notebook) {
			nb.Spec.Cells = append(nb.Spec.Cells, nb.Spec.Cells[0])
		}, `spec.cells[1].name "volume": cell names must be unique`},
		{"empty sql", func(nb *v1alpha1.Notebook) { nb.Spec.Cells[0].SQL = "" }, "spec.cells[0].sql: required"},
		{"missing cell name", func(nb *v1alpha1.Notebook) { nb.Spec.Cells[0].Name = "" }, "spec.cells[0].name: required"},
		{"long title", func(nb *v1alpha1.Notebook) { nb.Spec.Title = strings.Repeat("t", 257) }, "spec.title: 257 characters"},
		{"assertion not an object", func(nb *v1alpha1.Notebook) {
			nb.Spec.Cells[0].Assertions = []v1alpha1.Assertion{{JSON: apiextensionsv1.JSON{Raw: []byte(`[1]`)}}}
		}, "spec.cells[0].assertions[0]: must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := sample("trading")
			tt.edit(nb)
			err := Validate(nb)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ie *InvalidError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.Contains(de.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", de.Name())
		}
	}
}
