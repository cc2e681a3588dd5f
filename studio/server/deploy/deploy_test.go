package deploy

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
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/demo"
)

// declare makes SQL self-contained the way the Studio's catalog does.
func declare(sql string) (string, int) {
	var pre []string
	for _, s := range demo.Catalog() {
		if strings.Contains(sql, "FROM "+s.Name) {
			pre = append(pre, s.DDL(s.Props("", "")))
		}
	}
	head := strings.Join(pre, "\n") + "\n"
	return head + sql, strings.Count(head, "\n")
}

const volumeSQL = `-- @metric: trade_volume
-- @metric_type: counter
-- @metric_labels: symbol
-- @metric_field: volume
-- @alert: trade_volume > 1000000
SELECT symbol, SUM(quantity) AS volume
FROM trades
GROUP BY symbol
WINDOW TUMBLING(INTERVAL '5' MINUTE)
EMIT CHANGES`

const fraudSQL = `-- @metric: fraud_count
-- @metric_type: gauge
-- @metric_labels: region
-- @metric_field: fraud_count
-- @metric: fraud_avg_amount
-- @metric_type: gauge
-- @metric_labels: region
-- @metric_field: avg_amount
SELECT region, COUNT(*) AS fraud_count, AVG(amount) AS avg_amount
FROM transactions
WHERE fraud_score > 0.8
GROUP BY region
WINDOW TUMBLING(INTERVAL '1' MINUTE)`

func trading() *v1alpha1.Notebook {
	return &v1alpha1.Notebook{
		ObjectMeta: metav1.ObjectMeta{Name: "trading-analytics"},
		Spec: v1alpha1.NotebookSpec{Title: "Trading Analytics", Cells: []v1alpha1.NotebookCell{
			{Name: "volume-by-symbol", SQL: volumeSQL},
			{Name: "fraud-by-region", SQL: fraudSQL},
			{Name: "raw-clicks", SQL: "SELECT * FROM clicks"},
		}},
	}
}

func kinds(p *Plan) []string {
	var out []string
	for _, o := range p.Objects {
		out = append(out, o.Role+" "+o.Kind+" "+o.Name)
	}
	return out
}

func TestNotebookPlanIsTheBriefsDeploySummary(t *testing.T) {
	p, err := NotebookPlan(trading(), []string{"volume-by-symbol", "fraud-by-region"}, "team-a", &v1alpha1.KafkaConnection{BootstrapServers: "kafka:9092"}, declare)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Summary
	if s.Queries != 2 || s.Metrics != 3 || s.Alerts != 1 || s.Dashboards != 1 || s.Title != "Trading Analytics" {
		t.Errorf("summary %+v", s)
	}
	want := []string{
		"applied Notebook trading-analytics",
		"operator StreamingQuery trading-analytics-volume-by-symbol",
		"operator ServiceMonitor trading-analytics-volume-by-symbol",
		"operator PrometheusRule trading-analytics-volume-by-symbol",
		"operator StreamingQuery trading-analytics-fraud-by-region",
		"operator ServiceMonitor trading-analytics-fraud-by-region",
		// gauges without alerts need no rules
		"operator ConfigMap trading-analytics-dashboard",
	}
	if got := kinds(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, o := range p.Objects {
		if o.Namespace != "team-a" {
			t.Errorf("%s %s in namespace %q", o.Kind, o.Name, o.Namespace)
		}
	}
	// The applied notebook carries the deploy flags, the self-contained
	// SQL and the Kafka cluster; the YAML is what kubectl would apply.
	for _, want := range []string{"kind: Notebook", "deploy: true", "CREATE STREAM trades (", "bootstrapServers: kafka:9092", "namespace: team-a"} {
		if !strings.Contains(p.YAML, want) {
			t.Errorf("YAML lacks %q:\n%s", want, p.YAML)
		}
	}
	if strings.Contains(p.YAML, "status:") || strings.Contains(p.YAML, "creationTimestamp") {
		t.Errorf("YAML carries server fields:\n%s", p.YAML)
	}
	if got := p.Summary.Cells[0].Alerts; len(got) != 1 {
		t.Errorf("alerts of cell 1: %v", got)
	}
}

func TestNotebookPlanErrors(t *testing.T) {
	tests := []struct {
		name  string
		cells []string
		edit  func(*v1alpha1.Notebook)
		want  string
	}{
		{"no cell to deploy", nil, func(*v1alpha1.Notebook) {}, ErrNothingToDeploy.Error()},
		{"unknown cell", []string{"nope"}, func(*v1alpha1.Notebook) {}, `has no cell "nope"`},
		{"bad SQL names the cell and the position", []string{"raw-clicks"}, func(nb *v1alpha1.Notebook) {
			nb.Spec.Cells[2].SQL = "SELECT pagee FROM clicks"
		}, `cell raw-clicks: 1:8: unknown column "pagee"`},
		{"cells already marked deploy are deployed", nil, func(nb *v1alpha1.Notebook) {
			nb.Spec.Cells[2].Deploy = true
			nb.Spec.Cells[2].SQL = "SELECT * FROM nowhere"
		}, "cell raw-clicks:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := trading()
			tt.edit(nb)
			_, err := NotebookPlan(nb, tt.cells, "default", nil, declare)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	var ie *InvalidError
	nb := trading()
	nb.Spec.Cells[0].SQL = "SELECT FROM"
	if _, err := NotebookPlan(nb, []string{"volume-by-symbol"}, "default", nil, declare); !errors.As(err, &ie) || ie.Cells[0].Errors[0].Line == 0 {
		t.Errorf("positioned errors: %v", err)
	}
}

func TestQueryPlan(t *testing.T) {
	p, err := QueryPlan(volumeSQL, "volume", "default", nil, declare)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"applied StreamingQuery volume", "operator ServiceMonitor volume", "operator PrometheusRule volume", "operator ConfigMap volume-dashboard"}
	if got := kinds(p); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("objects %v", got)
	}
	if p.Summary.Queries != 1 || p.Summary.Metrics != 1 || p.Summary.Alerts != 1 || p.Summary.Dashboards != 1 {
		t.Errorf("summary %+v", p.Summary)
	}
	if _, err := QueryPlan("SELECT 1", "Bad Name", "default", nil, nil); err == nil || !strings.Contains(err.Error(), `query name "Bad Name"`) {
		t.Errorf("bad name: %v", err)
	}
	// The operator compiles without the Studio's catalog: an unbound
	// source is refused here, not after the deploy.
	if _, err := QueryPlan("SELECT symbol FROM trades", "q", "default", nil, nil); err == nil || !strings.Contains(err.Error(), `source "trades" is not bound`) {
		t.Errorf("unbound source: %v", err)
	}
}

// Against a real API server: a dry run says what would be created, the
// apply creates the notebook, applying again changes nothing, an edit is
// configured; monitoring objects appear only where the cluster serves them.
func TestApplyAgainstAnAPIServer(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: export KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh | tail -1)")
	}
	root := filepath.Join("..", "..", "..")
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	scheme, err := controllers.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}); err != nil {
		t.Fatal(err)
	}

	plan := func() *Plan {
		t.Helper()
		p, err := NotebookPlan(trading(), []string{"volume-by-symbol", "fraud-by-region"}, "team-a", nil, declare)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	actions := func(p *Plan) string {
		var out []string
		for _, o := range p.Objects {
			out = append(out, o.Kind+"="+o.Action)
		}
		return strings.Join(out, " ")
	}

	// No prometheus-operator in this cluster: no ServiceMonitor or rules.
	p := plan()
	if err := p.Diff(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), "Notebook=create StreamingQuery=create StreamingQuery=create ConfigMap=create"; got != want {
		t.Errorf("dry run:\n got %s\nwant %s", got, want)
	}
	if err := p.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	if p.Objects[0].Action != "created" || !p.Applied {
		t.Errorf("apply: %s", actions(p))
	}
	var nb v1alpha1.Notebook
	if err := c.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "trading-analytics"}, &nb); err != nil {
		t.Fatal(err)
	}
	if !nb.Spec.Cells[0].Deploy || !nb.Spec.Cells[1].Deploy || nb.Spec.Cells[2].Deploy || !strings.HasPrefix(nb.Spec.Cells[0].SQL, "CREATE STREAM trades") {
		t.Errorf("stored cells %+v", nb.Spec.Cells)
	}
	if nb.ManagedFields[len(nb.ManagedFields)-1].Manager != FieldOwner {
		t.Errorf("field manager %+v", nb.ManagedFields)
	}

	// The same deploy again: nothing to change.
	p = plan()
	if err := p.Diff(ctx, c); err != nil {
		t.Fatal(err)
	}
	if p.Objects[0].Action != "unchanged" {
		t.Errorf("dry run of the same deploy: %s", actions(p))
	}
	if err := p.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	if p.Objects[0].Action != "unchanged" {
		t.Errorf("re-apply: %s", actions(p))
	}

	// With the monitoring CRDs installed, the plan shows them.
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{filepath.Join(root, "controllers", "testdata", "crds", "monitoring")}}); err != nil {
		t.Fatal(err)
	}
	nb2 := trading()
	nb2.Spec.Cells[0].SQL = strings.Replace(volumeSQL, "'5' MINUTE", "'1' MINUTE", 1)
	p, err = NotebookPlan(nb2, []string{"volume-by-symbol", "fraud-by-region"}, "team-a", nil, declare)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, want := actions(p), "Notebook=configured StreamingQuery=create ServiceMonitor=create PrometheusRule=create StreamingQuery=create ServiceMonitor=create ConfigMap=create"; got != want {
		t.Errorf("after the edit:\n got %s\nwant %s", got, want)
	}

	// One SQL text deploys as a StreamingQuery of its own.
	q, err := QueryPlan("SELECT * FROM clicks", "clicks-raw", "team-a", &v1alpha1.KafkaConnection{BootstrapServers: "kafka:9092"}, declare)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	var sq v1alpha1.StreamingQuery
	if err := c.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "clicks-raw"}, &sq); err != nil {
		t.Fatal(err)
	}
	if q.Objects[0].Action != "created" || sq.Spec.Kafka.BootstrapServers != "kafka:9092" || ptr.Deref(sq.Spec.Replicas, 0) != 1 {
		t.Errorf("query %s: %+v", actions(q), sq.Spec)
	}
}
