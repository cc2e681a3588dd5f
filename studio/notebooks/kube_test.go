package notebooks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// startAPIServer runs a real API server (envtest) with the velostream CRDs.
// Missing binaries fail the test: a skipped test would let the Kubernetes
// store go untested.
func startAPIServer(t *testing.T) client.Client {
	t.Helper()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: export KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh | tail -1)")
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Error(err)
		}
	})
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestKubeStore(t *testing.T) {
	c := startAPIServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "studio"}}); err != nil {
		t.Fatal(err)
	}
	s := NewKubeStore(c, "studio")

	t.Run("crud and optimistic concurrency", func(t *testing.T) {
		created, err := s.Create(ctx, sample("trading"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, sample("trading")); !errors.Is(err, ErrExists) {
			t.Errorf("second create: %v", err)
		}
		got, err := s.Get(ctx, "trading")
		if err != nil || got.Version != created.Version || string(got.Notebook.Spec.Cells[0].Assertions[0].Raw) != `{"record_count":{"greater_than":0}}` {
			t.Fatalf("get %+v %v", got, err)
		}
		a := got.Notebook.DeepCopy()
		a.Spec.Title = "first writer"
		first, err := s.Update(ctx, a, got.Version)
		if err != nil {
			t.Fatal(err)
		}
		b := got.Notebook.DeepCopy()
		b.Spec.Title = "second writer"
		_, err = s.Update(ctx, b, got.Version)
		var ce *ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("stale update: %v", err)
		}
		if ce.Current.Notebook.Spec.Title != "first writer" || ce.Current.Version != first.Version || ce.Yours.Spec.Title != "second writer" {
			t.Errorf("conflict current %+v yours %+v", ce.Current.Notebook.Spec, ce.Yours.Spec)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 1 || list[0].Title != "first writer" || list[0].Source != "studio/trading" {
			t.Errorf("list %+v %v", list, err)
		}
		if err := s.Delete(ctx, "trading", got.Version); !errors.As(err, &ce) {
			t.Errorf("stale delete: %v", err)
		}
		if err := s.Delete(ctx, "trading", first.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "trading"); !errors.Is(err, ErrNotFound) {
			t.Errorf("get after delete: %v", err)
		}
		if _, err := s.Update(ctx, b, first.Version); !errors.As(err, &ce) || ce.Current != nil {
			t.Errorf("update after delete: %v", err)
		}
	})

	// A notebook file written by the file store is what `kubectl apply -f`
	// sends: the API server must accept it as it is, and the object read
	// back must be the same notebook.
	t.Run("file store output applies as is", func(t *testing.T) {
		fs := newStore(t)
		nb := sample("applied")
		nb.Spec.Cells = append(nb.Spec.Cells, v1alpha1.NotebookCell{Name: "fraud", SQL: "SELECT * FROM transactions WHERE fraud_score > 0.8", Deploy: true})
		if _, err := fs.Create(ctx, nb); err != nil {
			t.Fatal(err)
		}
		raw := mustRead(t, filepath.Join(fs.Dir(), "applied.yaml"))
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(raw, &u.Object); err != nil {
			t.Fatal(err)
		}
		u.SetNamespace("studio")
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("kubectl")); err != nil {
			t.Fatalf("apply:\n%s\n%v", raw, err)
		}
		got, err := s.Get(ctx, "applied")
		if err != nil {
			t.Fatal(err)
		}
		back, _ := Marshal(got.Notebook)
		want := strings.Replace(string(raw), "  name: applied\n", "  name: applied\n  namespace: studio\n", 1)
		if string(back) != want {
			t.Errorf("read back:\n%s\nwant:\n%s", back, want)
		}
	})

	t.Run("the API server's validation errors name their fields", func(t *testing.T) {
		// Everything the store sends passes Validate first, so send an
		// invalid object directly and map the server's answer.
		bad := s.object(sample("bad"))
		bad.Spec.Cells[0].Name = "Not_A_Label"
		err := apiError("bad", c.Create(ctx, bad))
		var ie *InvalidError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "spec.cells[0].name") {
			t.Errorf("got %v", err)
		}
		// And a missing namespace is an error, not a silent success.
		if _, err := NewKubeStore(c, "missing-ns").Create(ctx, sample("x")); err == nil {
			t.Error("create in a missing namespace succeeded")
		}
	})
}
