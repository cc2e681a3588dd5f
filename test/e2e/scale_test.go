package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/test/kafkatest"
)

// scaleQueries is the scale target: 1,000 StreamingQueries
// reconciled within 60 s by an operator under 100 MB
// ($VELO_SCALE_QUERIES runs another size).
var scaleQueries = envInt("VELO_SCALE_QUERIES", 1000)

const scaleSQL = `-- @metric: big_trades
-- @metric_labels: symbol
-- @alert: big_trades > 100
SELECT symbol, price
FROM trades
WHERE quantity > 1000
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades');
`

// BenchmarkOperatorScale runs `velo operator` as a process against an
// envtest API server that serves the prometheus-operator APIs (so every
// query gets all six children), creates 1,000 StreamingQueries and
// measures the time until every one has a status for its generation, the
// operator's API requests per query (from its own client metrics), and
// its peak resident memory. Run it with
//
//	KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh | tail -1) \
//	  go test -run '^$' -bench OperatorScale -benchtime 1x ./test/e2e/
//
// (make bench-operator). envtest has no kubelet: "reconciled" means the
// children were applied and the status written, not that pods run.
func BenchmarkOperatorScale(b *testing.B) {
	if b.N > 1 {
		b.Skip("one run is the measurement: use -benchtime 1x")
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		b.Fatal("KUBEBUILDER_ASSETS is not set: run `make bench-operator`")
	}
	velo := kafkatest.BuildVelo(b)
	env := &envtest.Environment{
		CRDDirectoryPaths: []string{
			filepath.Join("..", "..", "config", "crd", "bases"),
			filepath.Join("..", "..", "controllers", "testdata", "crds", "monitoring"),
		},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Stop() })
	scheme, err := controllers.NewScheme()
	if err != nil {
		b.Fatal(err)
	}
	if err := rbacv1.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	// The test's own client may go as fast as the API server allows.
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = 2000, 2000
	c, err := client.New(fast, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	kubeconfig := operatorKubeconfig(b, env, c)

	metricsAddr := freeLoopbackAddr(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, velo, "operator", "--kubeconfig", kubeconfig,
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0",
		"--runner-image", "velostream/velo:bench", "--log-format", "json")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logs := &kafkatest.LockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	metricsURL := "http://" + metricsAddr + "/metrics"
	waitUntil(b, "the operator serves metrics", 60*time.Second, func() bool {
		code, _ := get(metricsURL)
		return code == http.StatusOK
	})
	before := requestsByMethod(b, metricsURL)

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "scale"}}
	if err := c.Create(ctx, ns); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(scaleQueries); i = next.Add(1) {
				q := &v1alpha1.StreamingQuery{
					ObjectMeta: metav1.ObjectMeta{Namespace: "scale", Name: fmt.Sprintf("q-%04d", i)},
					Spec:       v1alpha1.StreamingQuerySpec{SQL: scaleSQL},
				}
				if err := c.Create(ctx, q); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	created := time.Since(start)

	reconciled := 0
	b.Cleanup(func() {
		if b.Failed() {
			out := logs.String()
			if len(out) > 8000 {
				out = out[len(out)-8000:]
			}
			b.Logf("%d of %d reconciled; the operator's last logs:\n%s", reconciled, scaleQueries, out)
		}
	})
	waitUntil(b, "every query reconciled", 5*time.Minute, func() bool {
		var list v1alpha1.StreamingQueryList
		if err := c.List(ctx, &list, client.InNamespace("scale")); err != nil {
			return false
		}
		reconciled = 0
		for _, q := range list.Items {
			if q.Status.ObservedGeneration == q.Generation && q.Status.Phase != "" {
				reconciled++
			}
		}
		return reconciled == scaleQueries
	})
	elapsed := time.Since(start)

	// Everything the operator made is there: a Deployment per query, and
	// two ConfigMaps (runner configuration, dashboard).
	var deps appsv1.DeploymentList
	var cms corev1.ConfigMapList
	if err := c.List(ctx, &deps, client.InNamespace("scale")); err != nil {
		b.Fatal(err)
	}
	if err := c.List(ctx, &cms, client.InNamespace("scale")); err != nil {
		b.Fatal(err)
	}
	if len(deps.Items) != scaleQueries || len(cms.Items) < 2*scaleQueries {
		b.Fatalf("%d Deployments and %d ConfigMaps for %d queries", len(deps.Items), len(cms.Items), scaleQueries)
	}

	after := requestsByMethod(b, metricsURL)
	total, writes := 0.0, 0.0
	for m, n := range after {
		d := n - before[m]
		total += d
		if m != "GET" {
			writes += d
		}
	}
	hwm, rss, anon := procMemory(b, cmd.Process.Pid)
	b.ReportMetric(elapsed.Seconds(), "s-to-reconcile-all")
	b.ReportMetric(created.Seconds(), "s-to-create-all")
	b.ReportMetric(total/float64(scaleQueries), "requests/query")
	b.ReportMetric(writes/float64(scaleQueries), "writes/query")
	b.ReportMetric(hwm/1024, "peak-RSS-MB")
	b.ReportMetric(rss/1024, "RSS-MB")
	b.ReportMetric(anon/1024, "RSS-anon-MB")
	b.Logf("%d queries reconciled in %s (created in %s); operator requests %v; peak RSS %.0f MB",
		scaleQueries, elapsed.Round(time.Millisecond), created.Round(time.Millisecond), diff(after, before), hwm/1024)
}

// operatorKubeconfig makes a user bound to the operator's generated
// ClusterRole and writes a kubeconfig for it.
func operatorKubeconfig(b testing.TB, env *envtest.Environment, c client.Client) string {
	b.Helper()
	user, err := env.AddUser(envtest.User{Name: "velostream-operator"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "role.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(raw, role); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Create(ctx, role); err != nil {
		b.Fatal(err)
	}
	if err := c.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "velostream-operator"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "velostream-operator"}},
	}); err != nil {
		b.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

func freeLoopbackAddr(b testing.TB) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// requestsByMethod sums the operator's rest_client_requests_total by HTTP
// method.
func requestsByMethod(b *testing.B, url string) map[string]float64 {
	b.Helper()
	_, body := get(url)
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "rest_client_requests_total{") {
			continue
		}
		labels, value, ok := strings.Cut(line[len("rest_client_requests_total{"):], "} ")
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(labels, ",") {
			if m, ok := strings.CutPrefix(l, `method="`); ok {
				out[strings.TrimSuffix(m, `"`)] += n
			}
		}
	}
	if len(out) == 0 {
		b.Fatalf("no rest_client_requests_total in the operator's metrics")
	}
	return out
}

func diff(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for m, n := range after {
		if d := n - before[m]; d > 0 {
			out[m] = d
		}
	}
	return out
}

// procMemory reads a process's peak and current resident set, and the
// anonymous part of the current one (the heap and stacks; the rest is the
// binary's pages), in kB.
func procMemory(b *testing.B, pid int) (hwm, rss, anon float64) {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmHWM:":
			hwm = v
		case "VmRSS:":
			rss = v
		case "RssAnon:":
			anon = v
		}
	}
	return hwm, rss, anon
}

func waitUntil(tb testing.TB, what string, timeout time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// envInt reads a size from the environment, for trying the benchmark at
// other scales.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
