package notebooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// FileStore keeps notebooks as YAML files in one directory: a new notebook
// NAME is written to NAME.yaml; any *.yaml or *.yml file holding a Notebook
// is read, whatever its file name (a notebook from Git keeps its file).
//
// Writes are atomic (a temporary file in the same directory, synced, then
// renamed over the old one), so a crash leaves the old or the new notebook
// and never half of one. A notebook's version is the SHA-256 of its file:
// an edit made on disk (an editor, git pull) since the caller loaded it is
// detected, and the caller's copy is then kept in a conflict file next to
// it instead of overwriting the edit.
type FileStore struct {
	dir string
	// mu serialises writes so that two requests cannot both pass the
	// version check and then both write.
	mu sync.Mutex
	// now stamps conflict files; tests inject it.
	now func() time.Time
}

// NewFileStore keeps notebooks in dir, creating it if needed.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("notebooks: %w", err)
	}
	return &FileStore{dir: dir, now: time.Now}, nil
}

// Describe says where the notebooks are.
func (s *FileStore) Describe() string { return "directory " + s.dir }

// Dir is the directory the store keeps notebooks in.
func (s *FileStore) Dir() string { return s.dir }

func version(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// entry is one notebook file as read.
type entry struct {
	path string
	raw  []byte
	nb   *v1alpha1.Notebook
	err  error
	mod  time.Time
}

// scan reads every notebook file of the directory, sorted by path.
func (s *FileStore) scan() ([]entry, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("notebooks: %w", err)
	}
	var out []entry
	for _, de := range des {
		name := de.Name()
		ext := strings.ToLower(filepath.Ext(name))
		// Hidden files are ours (temporary and conflict files) or an
		// editor's; neither is a notebook.
		if de.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		e := entry{path: filepath.Join(s.dir, name)}
		if info, err := de.Info(); err == nil {
			e.mod = info.ModTime()
		}
		e.raw, e.err = os.ReadFile(e.path)
		if e.err == nil {
			e.nb, e.err = Unmarshal(e.raw)
		}
		out = append(out, e)
	}
	return out, nil
}

// find returns the file holding the notebook called name.
func (s *FileStore) find(name string) (*entry, error) {
	es, err := s.scan()
	if err != nil {
		return nil, err
	}
	// A file named after the notebook wins over another file that claims
	// the same name (a copy someone made).
	var found *entry
	for i := range es {
		e := &es[i]
		if e.nb == nil || e.nb.Name != name {
			continue
		}
		if found == nil || filepath.Base(e.path) == name+".yaml" {
			found = e
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	return found, nil
}

// List returns every notebook file, the unreadable ones with their error.
func (s *FileStore) List(context.Context) ([]Summary, error) {
	es, err := s.scan()
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(es))
	for _, e := range es {
		sum := Summary{Source: e.path, Modified: e.mod}
		if e.err != nil {
			sum.Name = strings.TrimSuffix(filepath.Base(e.path), filepath.Ext(e.path))
			sum.Error = fmt.Sprintf("%s: %v", filepath.Base(e.path), e.err)
			out = append(out, sum)
			continue
		}
		sum.Name, sum.Title, sum.Cells, sum.Version = e.nb.Name, e.nb.Spec.Title, len(e.nb.Spec.Cells), version(e.raw)
		out = append(out, sum)
	}
	slices.SortFunc(out, func(a, b Summary) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Get reads the notebook called name.
func (s *FileStore) Get(_ context.Context, name string) (*Notebook, error) {
	e, err := s.find(name)
	if err != nil {
		return nil, err
	}
	return &Notebook{Notebook: e.nb, Version: version(e.raw), Modified: e.mod}, nil
}

// Create writes a new notebook to NAME.yaml.
func (s *FileStore) Create(_ context.Context, nb *v1alpha1.Notebook) (*Notebook, error) {
	if err := Validate(nb); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.find(nb.Name); err == nil {
		return nil, fmt.Errorf("%q: %w", nb.Name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	path := filepath.Join(s.dir, nb.Name+".yaml")
	if _, err := os.Stat(path); err == nil {
		// The file exists but holds something else (another notebook's
		// name, or a document that is not a notebook): do not clobber it.
		return nil, fmt.Errorf("%q: %w (the file %s holds another document)", nb.Name, ErrExists, path)
	}
	return s.write(path, nb)
}

// Update saves nb over the notebook's file if the file is still at version.
func (s *FileStore) Update(_ context.Context, nb *v1alpha1.Notebook, ver string) (*Notebook, error) {
	if err := Validate(nb); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.find(nb.Name)
	if errors.Is(err, ErrNotFound) {
		return nil, s.conflict(nb, nil, filepath.Join(s.dir, nb.Name+".yaml"))
	}
	if err != nil {
		return nil, err
	}
	if cur := version(e.raw); cur != ver {
		return nil, s.conflict(nb, &Notebook{Notebook: e.nb, Version: cur, Modified: e.mod}, e.path)
	}
	return s.write(e.path, nb)
}

// conflict keeps the caller's notebook in a hidden file next to path, so
// that it outlives the request, and reports both versions.
func (s *FileStore) conflict(yours *v1alpha1.Notebook, current *Notebook, path string) error {
	ce := &ConflictError{Name: yours.Name, Current: current, Yours: yours}
	b, err := Marshal(yours)
	if err == nil {
		keep := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.conflict-%s.yaml", yours.Name, s.now().UTC().Format("20060102T150405.000")))
		if err := writeAtomic(keep, b); err == nil {
			ce.SavedAs = keep
		}
	}
	return ce
}

// Delete removes the notebook's file if it is still at ver ("" for any).
func (s *FileStore) Delete(_ context.Context, name, ver string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.find(name)
	if err != nil {
		return err
	}
	if cur := version(e.raw); ver != "" && cur != ver {
		return &ConflictError{Name: name, Current: &Notebook{Notebook: e.nb, Version: cur, Modified: e.mod}}
	}
	if err := os.Remove(e.path); err != nil {
		return fmt.Errorf("notebook %q: %w", name, err)
	}
	return nil
}

func (s *FileStore) write(path string, nb *v1alpha1.Notebook) (*Notebook, error) {
	b, err := Marshal(nb)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(path, b); err != nil {
		return nil, fmt.Errorf("notebook %q: %w", nb.Name, err)
	}
	// Read back what is stored: the caller gets the notebook as the next
	// Get will see it (defaults dropped by Marshal, the new version).
	stored, err := Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("notebook %q: reading back: %w", nb.Name, err)
	}
	mod := time.Time{}
	if info, err := os.Stat(path); err == nil {
		mod = info.ModTime()
	}
	return &Notebook{Notebook: stored, Version: version(b), Modified: mod}, nil
}

// writeAtomic replaces path with b: a temporary file in the same directory
// (so the rename does not cross file systems), synced before the rename and
// the directory synced after it, so that the new content survives a crash.
func writeAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, derr := os.Open(dir)
	if derr != nil {
		return nil // renamed; syncing the directory is best effort
	}
	defer d.Close()
	if serr := d.Sync(); serr != nil && !errors.Is(serr, fs.ErrInvalid) {
		return serr
	}
	return nil
}
