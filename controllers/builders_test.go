package controllers

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/runner"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const goldenSQL = `-- @metric: trade_volume
-- @metric_labels: symbol
-- @metric_field: volume
-- @alert: volume > 1000000
-- @alert_severity: critical
SELECT symbol, SUM(quantity) AS volume
FROM trades
GROUP BY symbol
WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades');
`

func goldenQuery(name string) *v1alpha1.StreamingQuery {
	return &v1alpha1.StreamingQuery{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "analytics", Generation: 3},
		Spec:       v1alpha1.StreamingQuerySpec{SQL: goldenSQL, Replicas: ptr.To[int32](2)},
	}
}

func secretRef(name, key string) *corev1.SecretKeySelector {
	return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
}

// builderCases are the inputs whose children are pinned in golden files.
func builderCases() map[string]QueryInputs {
	minimal := goldenQuery("trades")

	secured := goldenQuery("secured")
	secured.Spec.Kafka = &v1alpha1.KafkaConnection{
		BootstrapServers: "kafka-0.kafka:9093,kafka-1.kafka:9093",
		TLS: &v1alpha1.TLSConfig{
			Enabled:       true,
			CASecretRef:   secretRef("kafka-ca", "ca.crt"),
			CertSecretRef: secretRef("kafka-client", "tls.crt"),
			KeySecretRef:  secretRef("kafka-client", "tls.key"),
		},
		SASL: &v1alpha1.SASLConfig{
			Mechanism:         v1alpha1.SASLScramSHA512,
			UsernameSecretRef: secretRef("kafka-user", "username"),
			PasswordSecretRef: secretRef("kafka-user", "password"),
		},
	}
	secured.Spec.Env = []corev1.EnvVar{{Name: "GOMAXPROCS", Value: "2"}}
	secured.Spec.Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi")},
	}
	secured.Spec.Image = "registry.example/velo:custom"
	secured.Spec.RestartNonce = "2024-06-01"

	suspended := goldenQuery("paused")
	suspended.Spec.Suspend = true

	return map[string]QueryInputs{
		"minimal":   {Query: minimal, SQL: goldenSQL, Image: "velostream/velo:test"},
		"secured":   {Query: secured, SQL: goldenSQL, Image: "registry.example/velo:custom", SecretVersions: map[string]string{"kafka-ca": "10", "kafka-client": "11", "kafka-user": "12"}},
		"suspended": {Query: suspended, SQL: goldenSQL, Image: "velostream/velo:test"},
	}
}

// TestBuildersGolden pins every child a query makes. Run with -update to
// rewrite the files after a deliberate change, and review the diff.
func TestBuildersGolden(t *testing.T) {
	for name, in := range builderCases() {
		t.Run(name, func(t *testing.T) {
			cm, err := MakeQueryConfigMap(in)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			for _, obj := range []any{cm, MakeDeployment(in, InputHash(in, cm)), MakeService(in.Query)} {
				b, err := yaml.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				out.WriteString("---\n")
				out.Write(b)
			}
			golden(t, filepath.Join("testdata", "golden", name+".yaml"), out.Bytes())
		})
	}
}

// TestMonitoringGolden pins the monitoring children: the observability
// generators' objects, named, labelled and selecting as the operator needs.
func TestMonitoringGolden(t *testing.T) {
	in := builderCases()["minimal"]
	checked, errs := CheckSQL(in.SQL)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	dash, err := MakeDashboardConfigMap(in.Query, checked.Spec)
	if err != nil {
		t.Fatal(err)
	}
	rule := MakePrometheusRule(in.Query, checked.Spec)
	if rule == nil {
		t.Fatal("an @alert makes no PrometheusRule")
	}
	var out bytes.Buffer
	for _, obj := range []any{MakeServiceMonitor(in.Query), rule} {
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	golden(t, filepath.Join("testdata", "golden", "monitoring.yaml"), out.Bytes())

	// The ServiceMonitor selects the Service the operator makes, on its
	// metrics port, and carries the label the operator's cache watches.
	svc := MakeService(in.Query)
	sm := MakeServiceMonitor(in.Query)
	for k, v := range sm.Spec.Selector.MatchLabels {
		if svc.Labels[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s, which the Service does not have", k, v)
		}
	}
	if sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name {
		t.Errorf("ServiceMonitor port %q, Service port %q", sm.Spec.Endpoints[0].Port, svc.Spec.Ports[0].Name)
	}
	for _, labels := range []map[string]string{sm.Labels, rule.Labels, dash.Labels} {
		if labels[LabelManagedBy] != ManagedBy {
			t.Errorf("labels %v lack %s", labels, LabelManagedBy)
		}
	}
	if dash.Labels["grafana_dashboard"] != "1" || dash.Name != "trades-dashboard" || len(dash.Data) != 1 {
		t.Errorf("dashboard ConfigMap %s: labels %v, %d keys", dash.Name, dash.Labels, len(dash.Data))
	}

	// No annotations: no rules to write, so no PrometheusRule.
	plain, errs := CheckSQL("SELECT symbol FROM trades WITH ('trades.type' = 'kafka_source', 'trades.topic' = 't');")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if MakePrometheusRule(in.Query, plain.Spec) != nil {
		t.Error("a query without @alert or @metric gets an empty PrometheusRule")
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./controllers -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the builders make now; if the change is deliberate, rerun with -update.\n--- got\n%s", path, got)
	}
}

// The ConfigMap's runner configuration is what `velo runner` parses: the
// two sides of the contract must agree.
func TestQueryConfigMapParsesAsRunnerConfig(t *testing.T) {
	in := builderCases()["secured"]
	cm, err := MakeQueryConfigMap(in)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := runner.ParseConfig([]byte(cm.Data[runner.ConfigKey]))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SQL != goldenSQL || cfg.Name != "secured" || cfg.Namespace != "analytics" {
		t.Errorf("config = %+v", cfg)
	}
	if cfg.ConsumerGroup != "velo-analytics-secured" {
		t.Errorf("consumer group = %q", cfg.ConsumerGroup)
	}
	// Every credential file the config names is mounted by the Deployment.
	dep := MakeDeployment(in, "h")
	mounted := map[string]bool{}
	for _, m := range dep.Spec.Template.Spec.Containers[0].VolumeMounts {
		mounted[m.MountPath] = true
	}
	for _, f := range []string{cfg.Kafka.TLS.CAFile, cfg.Kafka.TLS.CertFile, cfg.Kafka.TLS.KeyFile, cfg.Kafka.SASL.UsernameFile, cfg.Kafka.SASL.PasswordFile} {
		if !mounted[filepath.Dir(f)] {
			t.Errorf("%s is not in a mounted folder", f)
		}
	}
}

func TestDeploymentIsHardened(t *testing.T) {
	for name, in := range builderCases() {
		t.Run(name, func(t *testing.T) {
			pod := MakeDeployment(in, "h").Spec.Template.Spec
			psc := pod.SecurityContext
			if !*psc.RunAsNonRoot || *psc.RunAsUser == 0 || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("pod security context = %+v", psc)
			}
			if *pod.AutomountServiceAccountToken {
				t.Error("runner pods mount a service account token they do not need")
			}
			if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 10 {
				t.Error("no grace period for the runner to flush")
			}
			c := pod.Containers[0]
			sc := c.SecurityContext
			if *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				t.Errorf("container security context = %+v", sc)
			}
			if c.LivenessProbe.HTTPGet.Path != runner.HealthPath || c.ReadinessProbe.HTTPGet.Path != runner.ReadyPath {
				t.Error("probes do not point at the runner's /healthz and /readyz")
			}
			if len(c.Resources.Requests) == 0 || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("resources = %+v", c.Resources)
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					t.Errorf("a secret is copied into the environment: %s", e.Name)
				}
			}
		})
	}
}

func TestInputHashRollsOnEveryPodInput(t *testing.T) {
	base := builderCases()["secured"]
	hash := func(in QueryInputs) string {
		cm, err := MakeQueryConfigMap(in)
		if err != nil {
			t.Fatal(err)
		}
		return InputHash(in, cm)
	}
	h0 := hash(base)
	if hash(base) != h0 {
		t.Fatal("InputHash is not deterministic")
	}
	tests := []struct {
		name   string
		change func(in *QueryInputs)
	}{
		{"sql", func(in *QueryInputs) { in.SQL += " " }},
		{"restart nonce", func(in *QueryInputs) { in.Query.Spec.RestartNonce = "again" }},
		{"secret version", func(in *QueryInputs) {
			in.SecretVersions = map[string]string{"kafka-ca": "99", "kafka-client": "11", "kafka-user": "12"}
		}},
		{"bootstrap servers", func(in *QueryInputs) { in.Query.Spec.Kafka.BootstrapServers = "other:9092" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			in.Query = base.Query.DeepCopy()
			tt.change(&in)
			if hash(in) == h0 {
				t.Errorf("changing the %s does not change the input hash", tt.name)
			}
		})
	}
	// Replicas are not a pod input: scaling must not restart pods.
	in := base
	in.Query = base.Query.DeepCopy()
	in.Query.Spec.Replicas = ptr.To[int32](7)
	if hash(in) != h0 {
		t.Error("scaling changes the input hash and would restart every pod")
	}
}

func TestChildNames(t *testing.T) {
	long := strings.Repeat("a", 60) + "-" + strings.Repeat("b", 200)
	tests := []struct {
		name string
		got  string
		max  int
	}{
		{"short deployment", deploymentName("trades"), maxSubdomain},
		{"short service", serviceName("trades"), maxLabel},
		{"long service", serviceName(long), maxLabel},
		{"long configmap", configMapName(long), maxSubdomain},
		{"long dashboard", dashboardName(long), maxSubdomain},
		{"long cell", cellQueryName(long, "cell"), maxSubdomain},
		{"long label", labelValue(long), maxLabel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.got) > tt.max {
				t.Errorf("%q is %d characters, over %d", tt.got, len(tt.got), tt.max)
			}
			var errs []string
			if tt.max == maxLabel {
				errs = validation.IsDNS1123Label(tt.got)
			} else {
				errs = validation.IsDNS1123Subdomain(tt.got)
			}
			if len(errs) > 0 {
				t.Errorf("%q: %v", tt.got, errs)
			}
		})
	}
	if serviceName("trades") != "trades" || configMapName("trades") != "trades-query" {
		t.Error("short names must be readable, not hashed")
	}
	if serviceName(long) == serviceName(long+"x") {
		t.Error("two long names that share a prefix collide")
	}
	if serviceName(long) != serviceName(long) {
		t.Error("names are not deterministic")
	}
}

func TestMakeCellQuery(t *testing.T) {
	nb := &v1alpha1.Notebook{
		ObjectMeta: metav1.ObjectMeta{Name: "trading", Namespace: "analytics"},
		Spec: v1alpha1.NotebookSpec{Defaults: &v1alpha1.NotebookDefaults{
			Kafka:      &v1alpha1.KafkaConnection{BootstrapServers: "k:9092"},
			Image:      "velo:nb",
			Monitoring: &v1alpha1.MonitoringSpec{ServiceMonitor: ptr.To(true)},
		}},
	}
	cell := &v1alpha1.NotebookCell{Name: "volume", SQL: "SELECT 1", Deploy: true}
	q := MakeCellQuery(nb, cell)
	if q.Name != "trading-volume" || q.Namespace != "analytics" {
		t.Errorf("name = %s/%s", q.Namespace, q.Name)
	}
	if q.Labels[LabelNotebook] != "trading" || q.Labels[LabelCell] != "volume" {
		t.Errorf("labels = %v", q.Labels)
	}
	if q.Spec.SQL != "SELECT 1" || q.Spec.Image != "velo:nb" || q.Spec.Kafka.BootstrapServers != "k:9092" {
		t.Errorf("spec = %+v", q.Spec)
	}
	if !*q.Spec.Monitoring.ServiceMonitor || *q.Spec.Monitoring.Dashboard {
		t.Errorf("monitoring = %+v: defaults carried over, own dashboard off", q.Spec.Monitoring)
	}
	// The defaults are copied, not shared: editing the query's copy must
	// not edit the notebook.
	q.Spec.Kafka.BootstrapServers = "changed"
	if nb.Spec.Defaults.Kafka.BootstrapServers != "k:9092" {
		t.Error("MakeCellQuery shares the notebook's Kafka defaults")
	}
	if nb.Spec.Defaults.Monitoring.Dashboard != nil {
		t.Error("MakeCellQuery changed the notebook's monitoring defaults")
	}
}
