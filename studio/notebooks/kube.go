package notebooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// KubeStore keeps notebooks as Notebook objects in one namespace of a
// cluster. A notebook's version is its resourceVersion, so the API server
// itself refuses an update based on a stale read (optimistic concurrency),
// and the store turns that refusal into a *ConflictError with both versions.
type KubeStore struct {
	c         client.Client
	namespace string
}

// NewKubeStore keeps notebooks in namespace through c, whose scheme must
// know velostream.io/v1alpha1.
func NewKubeStore(c client.Client, namespace string) *KubeStore {
	return &KubeStore{c: c, namespace: namespace}
}

// Describe says where the notebooks are.
func (s *KubeStore) Describe() string { return "Notebook objects in namespace " + s.namespace }

// Namespace is the namespace the store works in.
func (s *KubeStore) Namespace() string { return s.namespace }

func stored(nb *v1alpha1.Notebook) *Notebook {
	return &Notebook{Notebook: nb, Version: nb.ResourceVersion, Modified: nb.CreationTimestamp.Time}
}

// List returns the namespace's notebooks.
func (s *KubeStore) List(ctx context.Context) ([]Summary, error) {
	var l v1alpha1.NotebookList
	if err := s.c.List(ctx, &l, client.InNamespace(s.namespace)); err != nil {
		return nil, fmt.Errorf("listing notebooks in %s: %w", s.namespace, err)
	}
	out := make([]Summary, 0, len(l.Items))
	for _, nb := range l.Items {
		out = append(out, Summary{Name: nb.Name, Title: nb.Spec.Title, Cells: len(nb.Spec.Cells),
			Version: nb.ResourceVersion, Modified: nb.CreationTimestamp.Time, Source: nb.Namespace + "/" + nb.Name})
	}
	slices.SortFunc(out, func(a, b Summary) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Get reads one notebook.
func (s *KubeStore) Get(ctx context.Context, name string) (*Notebook, error) {
	var nb v1alpha1.Notebook
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, &nb); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		return nil, fmt.Errorf("notebook %q: %w", name, err)
	}
	return stored(&nb), nil
}

// Create creates the Notebook object.
func (s *KubeStore) Create(ctx context.Context, nb *v1alpha1.Notebook) (*Notebook, error) {
	if err := Validate(nb); err != nil {
		return nil, err
	}
	obj := s.object(nb)
	if err := s.c.Create(ctx, obj); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("%q: %w", nb.Name, ErrExists)
		}
		return nil, apiError(nb.Name, err)
	}
	return stored(obj), nil
}

// Update replaces the notebook's spec if the object is still at version.
func (s *KubeStore) Update(ctx context.Context, nb *v1alpha1.Notebook, ver string) (*Notebook, error) {
	if err := Validate(nb); err != nil {
		return nil, err
	}
	var cur v1alpha1.Notebook
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: nb.Name}, &cur); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &ConflictError{Name: nb.Name, Yours: nb}
		}
		return nil, fmt.Errorf("notebook %q: %w", nb.Name, err)
	}
	// The caller's spec, labels and annotations over the stored object; the
	// resourceVersion is the one the caller loaded, so the API server
	// refuses the update if anyone wrote in between.
	obj := cur.DeepCopy()
	obj.Spec = nb.Spec
	obj.Labels, obj.Annotations = nb.Labels, nb.Annotations
	obj.ResourceVersion = ver
	if err := s.c.Update(ctx, obj); err != nil {
		if apierrors.IsConflict(err) {
			return nil, s.conflict(ctx, nb)
		}
		return nil, apiError(nb.Name, err)
	}
	return stored(obj), nil
}

func (s *KubeStore) conflict(ctx context.Context, yours *v1alpha1.Notebook) error {
	ce := &ConflictError{Name: yours.Name, Yours: yours}
	var now v1alpha1.Notebook
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: yours.Name}, &now); err == nil {
		ce.Current = stored(&now)
	}
	return ce
}

// Delete deletes the object if it is still at ver ("" for any).
func (s *KubeStore) Delete(ctx context.Context, name, ver string) error {
	obj := &v1alpha1.Notebook{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: name}}
	var opts []client.DeleteOption
	if ver != "" {
		opts = append(opts, client.Preconditions{ResourceVersion: &ver})
	}
	if err := s.c.Delete(ctx, obj, opts...); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return fmt.Errorf("%q: %w", name, ErrNotFound)
		case apierrors.IsConflict(err):
			var ce *ConflictError
			if errors.As(s.conflict(ctx, obj), &ce) {
				ce.Yours = nil
				return ce
			}
		}
		return fmt.Errorf("notebook %q: %w", name, err)
	}
	return nil
}

func (s *KubeStore) object(nb *v1alpha1.Notebook) *v1alpha1.Notebook {
	obj := &v1alpha1.Notebook{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.NotebookKind},
		ObjectMeta: metav1.ObjectMeta{Name: nb.Name, Namespace: s.namespace, Labels: nb.Labels, Annotations: nb.Annotations},
		Spec:       *nb.Spec.DeepCopy(),
	}
	return obj
}

// apiError keeps the API server's validation message (it names the field)
// as an InvalidError; other errors are wrapped as they are.
func apiError(name string, err error) error {
	if apierrors.IsInvalid(err) {
		var se *apierrors.StatusError
		if errors.As(err, &se) && se.ErrStatus.Details != nil {
			var p []string
			for _, c := range se.ErrStatus.Details.Causes {
				p = append(p, strings.TrimSpace(c.Field+": "+c.Message))
			}
			if len(p) > 0 {
				return &InvalidError{Name: name, Problems: p}
			}
		}
		return &InvalidError{Name: name, Problems: []string{err.Error()}}
	}
	return fmt.Errorf("notebook %q: %w", name, err)
}
