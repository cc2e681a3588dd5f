package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/test/kafkatest"
)

// TestOperatorProcess runs `velo operator` the way its Deployment does
// (leader election, metrics, probes, the generated RBAC and the leader
// election Role from config/rbac) against a real API server, and checks
// that it serves its probes, takes the Lease, reconciles a query and stops
// cleanly on SIGTERM.
func TestOperatorProcess(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test-operator`")
	}
	velo := kafkatest.BuildVelo(t)
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme, err := controllers.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	for _, add := range []func(*runtime.Scheme) error{rbacv1.AddToScheme, coordinationv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const system = "velostream-system"
	for _, ns := range []string{system, "apps"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	kubeconfig := operatorKubeconfig(t, env, c)
	bindLeaderElectionRole(t, c, system)

	metricsAddr, probeAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	cmd := exec.Command(velo, "operator", "--kubeconfig", kubeconfig,
		"--leader-elect", "--leader-election-namespace", system,
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr,
		"--runner-image", "velostream/velo:e2e", "--log-format", "json")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logs := &kafkatest.LockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("operator logs:\n%s", logs.String())
		}
	})

	for _, path := range []string{"/healthz", "/readyz"} {
		eventually(t, "the operator's "+path, func() bool {
			code, _ := get("http://" + probeAddr + path)
			return code == http.StatusOK
		})
	}
	eventually(t, "the operator's metrics", func() bool {
		code, _ := get("http://" + metricsAddr + "/metrics")
		return code == http.StatusOK
	})
	eventually(t, "the leader election Lease", func() bool {
		lease := &coordinationv1.Lease{}
		err := c.Get(ctx, client.ObjectKey{Namespace: system, Name: controllers.LeaderElectionID}, lease)
		return err == nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != ""
	})

	q := &v1alpha1.StreamingQuery{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "e2e"},
		Spec:       v1alpha1.StreamingQuerySpec{SQL: scaleSQL},
	}
	if err := c.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the query's runners", func() bool {
		d := &appsv1.Deployment{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "apps", Name: "e2e"}, d); err != nil {
			return false
		}
		return d.Spec.Template.Spec.Containers[0].Image == "velostream/velo:e2e"
	})
	eventually(t, "the query's status", func() bool {
		got := &v1alpha1.StreamingQuery{}
		return c.Get(ctx, client.ObjectKeyFromObject(q), got) == nil && got.Status.Phase == v1alpha1.QueryPending
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("velo operator exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("velo operator did not stop within 30 s of SIGTERM")
	}
	// On a clean stop the Lease is released, so a new replica takes over
	// at once.
	lease := &coordinationv1.Lease{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: system, Name: controllers.LeaderElectionID}, lease); err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "" {
		t.Errorf("the Lease is still held by %q after a clean stop", *lease.Spec.HolderIdentity)
	}
}

// bindLeaderElectionRole installs config/rbac's leader election Role in ns
// for the operator's user.
func bindLeaderElectionRole(t *testing.T, c client.Client, ns string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "leader_election_role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{}
	if err := yaml.UnmarshalStrict(raw, role); err != nil {
		t.Fatal(err)
	}
	role.Namespace = ns
	ctx := context.Background()
	if err := c.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "velostream-leader-election"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "velostream-operator"}},
	}); err != nil {
		t.Fatal(err)
	}
}
