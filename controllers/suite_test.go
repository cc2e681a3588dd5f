package controllers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/velostream/velostream/controllers"
)

// cluster is one API server with the operator running against it. The
// suite starts two: one that serves the prometheus-operator APIs and one
// that does not, so both sides of discovery are tested. Starting an API
// server takes seconds, so each is shared by every spec, and specs work in
// namespaces of their own.
type cluster struct {
	env    *envtest.Environment
	cfg    *rest.Config
	client client.Client
	writes *writeCounter
	clock  *clocktesting.FakePassiveClock
}

var (
	withMonitoring    *cluster
	withoutMonitoring *cluster
)

// runnerImage is the image the operator under test puts in runner pods.
const runnerImage = "velostream/velo:test"

// fakeNow is the injected clock's time: condition transition times must
// come from it, not from the machine's clock.
var fakeNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestOperator(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	RunSpecs(t, "Operator controllers against a real API server")
}

var _ = BeforeSuite(func() {
	// Missing binaries fail the run instead of skipping it: a skipped
	// suite would let CI pass with the controllers untested.
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	Expect(assets).NotTo(BeEmpty(),
		"KUBEBUILDER_ASSETS is not set: run `make test-operator`, or `make envtest` and export KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh | tail -1)")
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelWarn})))

	crds := filepath.Join("..", "config", "crd", "bases")
	monitoring := filepath.Join("testdata", "crds", "monitoring")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer GinkgoRecover()
		defer wg.Done()
		withMonitoring = startCluster(assets, crds, monitoring)
	}()
	go func() {
		defer GinkgoRecover()
		defer wg.Done()
		withoutMonitoring = startCluster(assets, crds)
	}()
	wg.Wait()
})

func startCluster(assets string, crdDirs ...string) *cluster {
	c := &cluster{
		env: &envtest.Environment{
			CRDDirectoryPaths:     crdDirs,
			ErrorIfCRDPathMissing: true,
			BinaryAssetsDirectory: assets,
		},
		writes: &writeCounter{perNS: map[string]int{}},
		clock:  clocktesting.NewFakePassiveClock(fakeNow),
	}
	cfg, err := c.env.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(c.env.Stop()).To(Succeed()) })
	cfg.Timeout = 30 * time.Second
	c.cfg = cfg

	scheme, err := controllers.NewScheme()
	Expect(err).NotTo(HaveOccurred())
	Expect(rbacv1.AddToScheme(scheme)).To(Succeed())
	c.client, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	// The operator runs as a user holding only the ClusterRole generated
	// from the controllers' RBAC markers (config/rbac/role.yaml), so every
	// spec also proves that role is enough. Its requests go through a
	// counter, so specs can assert how many writes it made.
	opUser, err := c.env.AddUser(envtest.User{Name: "velostream-operator"}, cfg)
	Expect(err).NotTo(HaveOccurred())
	bindGeneratedRole(c.client, "velostream-operator")
	opCfg := rest.CopyConfig(opUser.Config())
	opCfg.Timeout = 30 * time.Second
	opCfg.WrapTransport = c.writes.wrap
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := controllers.NewManager(ctx, opCfg, controllers.ManagerOptions{
		MetricsAddr:        "0",
		ProbeAddr:          "0",
		SkipNameValidation: true,
		Controllers: controllers.Options{
			RunnerImage: runnerImage,
			Clock:       c.clock,
			Logger:      slog.New(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelWarn})),
		},
	})
	Expect(err).NotTo(HaveOccurred())
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	DeferCleanup(func() {
		cancel()
		<-done
	})
	return c
}

// bindGeneratedRole installs config/rbac/role.yaml and binds it to user.
func bindGeneratedRole(c client.Client, user string) {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join("..", "config", "rbac", "role.yaml"))
	Expect(err).NotTo(HaveOccurred())
	role := &rbacv1.ClusterRole{}
	Expect(yaml.UnmarshalStrict(b, role)).To(Succeed())
	Expect(role.Rules).NotTo(BeEmpty())
	role.Name = "velostream-operator-test"
	Expect(c.Create(context.Background(), role)).To(Succeed())
	Expect(c.Create(context.Background(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "velostream-operator-test"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	})).To(Succeed())
}

// writeCounter counts the operator's write requests, by namespace.
type writeCounter struct {
	mu    sync.Mutex
	total int
	perNS map[string]int
	last  []string // the most recent writes, for failure messages
}

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		switch req.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			w.record(req)
		}
		return rt.RoundTrip(req)
	})
}

func (w *writeCounter) record(req *http.Request) {
	ns := ""
	if _, rest, ok := strings.Cut(req.URL.Path, "/namespaces/"); ok {
		ns, _, _ = strings.Cut(rest, "/")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.total++
	w.perNS[ns]++
	w.last = append(w.last, req.Method+" "+req.URL.Path)
	if len(w.last) > 20 {
		w.last = w.last[1:]
	}
}

// in returns the number of writes into a namespace so far.
func (w *writeCounter) in(ns string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.perNS[ns]
}

func (w *writeCounter) recent() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.last, "\n")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// newNamespace makes a namespace for one spec.
func (c *cluster) newNamespace() string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
	Expect(c.client.Create(context.Background(), ns)).To(Succeed())
	return ns.Name
}

func key(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func describe(obj any) string { return fmt.Sprintf("%+v", obj) }
