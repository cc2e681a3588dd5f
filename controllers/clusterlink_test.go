package controllers

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/metrics"
)

func goldenLink(name string) *v1alpha1.ClusterLink {
	return &v1alpha1.ClusterLink{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "payments", Generation: 2},
		Spec: v1alpha1.ClusterLinkSpec{
			Source:         v1alpha1.LinkConnection{BootstrapServers: "kafka-east:9092"},
			Target:         v1alpha1.LinkConnection{BootstrapServers: "kafka-west:9092"},
			Topics:         v1alpha1.TopicSelector{Include: []string{"orders", `payments\..*`}, Exclude: []string{`payments\.tmp`}},
			TopicPrefix:    "east.",
			ConsumerGroups: &v1alpha1.GroupSelector{Include: []string{"billing-.*"}},
			SyncInterval:   &metav1.Duration{Duration: 10 * time.Second},
			Filter:         "region = 'west'",
			Replicas:       ptr.To[int32](1),
		},
	}
}

func linkCases() map[string]LinkInputs {
	secured := goldenLink("secured")
	secured.Spec.Source.TLS = &v1alpha1.LinkTLSConfig{TLSConfig: v1alpha1.TLSConfig{Enabled: true, CASecretRef: secretRef("east-ca", "ca.crt")}}
	secured.Spec.Target.TLS = &v1alpha1.LinkTLSConfig{TLSConfig: v1alpha1.TLSConfig{
		Enabled: true, CASecretRef: secretRef("west-ca", "ca.crt"),
		CertSecretRef: secretRef("west-client", "tls.crt"), KeySecretRef: secretRef("west-client", "tls.key"),
	}}
	secured.Spec.Target.SASL = &v1alpha1.LinkSASLConfig{SASLConfig: v1alpha1.SASLConfig{
		Mechanism: v1alpha1.SASLScramSHA512, UsernameSecretRef: secretRef("west-user", "username"), PasswordSecretRef: secretRef("west-user", "password"),
	}}
	secured.Spec.ExactlyOnce = true
	secured.Spec.Image = "registry.example/velo:custom"
	suspended := goldenLink("paused")
	suspended.Spec.Suspend = true
	return map[string]LinkInputs{
		"clusterlink-minimal":   {Link: goldenLink("dr"), Image: "velostream/velo:test"},
		"clusterlink-secured":   {Link: secured, Image: "registry.example/velo:custom", SecretVersions: map[string]string{"east-ca": "1", "west-ca": "2", "west-client": "3", "west-user": "4"}},
		"clusterlink-suspended": {Link: suspended, Image: "velostream/velo:test"},
	}
}

// TestLinkBuildersGolden pins every child a ClusterLink makes. Run with
// -update after a deliberate change and review the diff.
func TestLinkBuildersGolden(t *testing.T) {
	for name, in := range linkCases() {
		t.Run(name, func(t *testing.T) {
			cm, err := MakeLinkConfigMap(in)
			if err != nil {
				t.Fatal(err)
			}
			dash, err := MakeLinkDashboardConfigMap(in.Link)
			if err != nil {
				t.Fatal(err)
			}
			objs := []any{cm, MakeLinkDeployment(in, LinkInputHash(in, cm)), MakeLinkService(in.Link)}
			if name == "clusterlink-minimal" {
				// The dashboard JSON is pinned by link/monitoring.
				dash.Data = map[string]string{"dr-link.json": "(link/monitoring)"}
				objs = append(objs, MakeLinkServiceMonitor(in.Link), MakeLinkPrometheusRule(in.Link), dash)
			}
			var out bytes.Buffer
			for _, obj := range objs {
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

// TestLinkConfigIsWhatVeloLinkRuns: the ConfigMap's YAML parses as `velo
// link -f` parses a file, with the Secrets at the paths the Deployment
// mounts them and the same selection, filter and options as the object.
func TestLinkConfigIsWhatVeloLinkRuns(t *testing.T) {
	in := linkCases()["clusterlink-secured"]
	cm, err := MakeLinkConfigMap(in)
	if err != nil {
		t.Fatal(err)
	}
	l, err := config.Parse([]byte(cm.Data[LinkConfigKey]), config.Local)
	if err != nil {
		t.Fatalf("velo link refuses the operator's config: %v\n%s", err, cm.Data[LinkConfigKey])
	}
	if l.ID() != "payments/secured" || !l.ExactlyOnce || l.Prefix != "east." || l.Filter != "region = 'west'" || !l.Topics.Match("payments.eu") || l.Topics.Match("payments.tmp") {
		t.Fatalf("link %+v", l)
	}
	dep := MakeLinkDeployment(in, "h")
	mounted := map[string]bool{}
	for _, m := range dep.Spec.Template.Spec.Containers[0].VolumeMounts {
		mounted[m.MountPath] = true
	}
	for _, f := range []string{l.Source.TLS.CAFile, l.Target.TLS.CAFile, l.Target.TLS.CertFile, l.Target.TLS.KeyFile, l.Target.SASL.UsernameFile, l.Target.SASL.PasswordFile} {
		if f == "" || !mounted[filepath.Dir(f)] {
			t.Errorf("credential file %q is not in a mounted folder", f)
		}
	}
	if strings.Contains(cm.Data[LinkConfigKey], "SecretRef") || strings.Contains(cm.Data[LinkConfigKey], "status") {
		t.Errorf("the link's YAML keeps Secret references or a status:\n%s", cm.Data[LinkConfigKey])
	}
	if args := strings.Join(dep.Spec.Template.Spec.Containers[0].Args, " "); args != "link -f /etc/velo/link.yaml --listen :9090" {
		t.Errorf("args %q", args)
	}
	if got := dep.Spec.Strategy.Type; got != "Recreate" {
		t.Errorf("strategy %s: two link pods must never overlap", got)
	}
}

func TestLinkInputHashRollsOnCredentialChange(t *testing.T) {
	in := linkCases()["clusterlink-secured"]
	cm, _ := MakeLinkConfigMap(in)
	before := LinkInputHash(in, cm)
	in.SecretVersions = map[string]string{"east-ca": "1", "west-ca": "2", "west-client": "3", "west-user": "5"}
	if LinkInputHash(in, cm) == before {
		t.Fatal("a changed Secret does not change the pod's input hash")
	}
}

func TestLinkNames(t *testing.T) {
	long := strings.Repeat("a", 70)
	for _, n := range []string{linkServiceName(long), labelValue(long)} {
		if len(n) > maxLabel {
			t.Errorf("%q is longer than a DNS label", n)
		}
	}
	if linkDeploymentName("dr") == deploymentName("dr") || linkServiceName("dr") == serviceName("dr") {
		t.Error("a link's children collide with a query's of the same name")
	}
}

func TestValidateLink(t *testing.T) {
	tests := []struct {
		name string
		edit func(*v1alpha1.ClusterLink)
		want string
	}{
		{name: "valid", edit: func(*v1alpha1.ClusterLink) {}},
		{name: "bad regex", edit: func(l *v1alpha1.ClusterLink) { l.Spec.Topics.Include = []string{"orders", "payments.("} },
			want: `spec.topics.include[1]: "payments.(" is not a regular expression (RE2): missing closing )`},
		{name: "same cluster written differently", edit: func(l *v1alpha1.ClusterLink) {
			l.Spec.Target.BootstrapServers = "Kafka-East:9092, kafka-west:9092"
		}, want: "spec.target.bootstrapServers: names broker kafka-east:9092, which spec.source.bootstrapServers names too"},
		{name: "file in a cluster", edit: func(l *v1alpha1.ClusterLink) {
			l.Spec.Source.TLS = &v1alpha1.LinkTLSConfig{CAFile: "/etc/ca.pem"}
		}, want: "spec.source.tls.caFile: is for velo link outside Kubernetes"},
		{name: "filter that does not compile", edit: func(l *v1alpha1.ClusterLink) { l.Spec.Filter = "region = " },
			want: "spec.filter: 1:10:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := goldenLink("dr")
			tt.edit(l)
			got := validateLink(l)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("validateLink = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestComputeLinkStatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	at := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	healthy := &metrics.Status{
		Connected: map[string]bool{"source": true, "target": true}, MirroredTopics: 2,
		Topics: []metrics.TopicStatus{{Name: "orders", LagRecords: 12, LagSeconds: 1.25, LastReplicated: at}, {Name: "payments"}},
	}
	failedOver := &metrics.Status{
		Connected: map[string]bool{"source": false, "target": true}, FailedOver: true, FailedOverAt: at,
		FailoverOffsets: map[string]map[string]map[int32]int64{"billing-1": {"east.orders": {0: 5, 2: 9}}},
		FailoverSkipped: map[string]string{"billing-2": "active_on_target"},
	}
	running := deployment(1, 1, 1, 1, 1)
	tests := []struct {
		name      string
		obs       linkObservation
		wantConds []cond
		check     func(t *testing.T, st v1alpha1.ClusterLinkStatus)
	}{
		{
			name:      "invalid spec",
			obs:       linkObservation{generation: 3, invalid: "spec.topics.include[0]: bad"},
			wantConds: []cond{{"Ready", "False", "InvalidSpec"}, {"Stalled", "True", "InvalidSpec"}},
			check: func(t *testing.T, st v1alpha1.ClusterLinkStatus) {
				if st.ObservedGeneration != 3 {
					t.Errorf("observedGeneration %d", st.ObservedGeneration)
				}
			},
		},
		{
			name:      "rolling out",
			obs:       linkObservation{generation: 1, desired: 1, deployment: deployment(1, 1, 1, 1, 0)},
			wantConds: []cond{{"Ready", "False", "Progressing"}, {"Reconciling", "True", "Progressing"}},
		},
		{
			name:      "metrics unreadable",
			obs:       linkObservation{generation: 1, desired: 1, deployment: running, endpoint: "http://dr-link.p.svc:9090/metrics", scrapeErr: errors.New("connection refused")},
			wantConds: []cond{{"Ready", "False", "StatusUnknown"}},
		},
		{
			name:      "replicating",
			obs:       linkObservation{generation: 1, desired: 1, deployment: running, prefix: "east.", scraped: healthy},
			wantConds: []cond{{"Ready", "True", "Succeeded"}},
			check: func(t *testing.T, st v1alpha1.ClusterLinkStatus) {
				if st.MirroredTopics != 2 || st.MaxLagRecords != 12 || len(st.Topics) != 2 {
					t.Fatalf("status %+v", st)
				}
				o := st.Topics[0]
				if o.TargetName != "east.orders" || o.LagMillis != 1250 || o.LastReplicated == nil || !o.LastReplicated.Time.Equal(at) {
					t.Errorf("orders %+v", o)
				}
			},
		},
		{
			name:      "target unreachable",
			obs:       linkObservation{generation: 1, desired: 1, deployment: running, scraped: &metrics.Status{Connected: map[string]bool{"source": true, "target": false}}},
			wantConds: []cond{{"Ready", "False", "Disconnected"}},
		},
		{
			name:      "failing over",
			obs:       linkObservation{generation: 2, desired: 1, deployment: running, failover: true, scraped: healthy},
			wantConds: []cond{{"Ready", "False", "FailingOver"}, {"Reconciling", "True", "FailingOver"}},
		},
		{
			name:      "failed over",
			obs:       linkObservation{generation: 2, desired: 1, deployment: running, failover: true, scraped: failedOver},
			wantConds: []cond{{"Ready", "True", "FailedOver"}},
			check: func(t *testing.T, st v1alpha1.ClusterLinkStatus) {
				f := st.Failover
				if f == nil || len(f.Groups) != 2 || !f.CompletedAt.Time.Equal(at) {
					t.Fatalf("failover %+v", f)
				}
				if g := f.Groups[0]; g.Name != "billing-1" || len(g.Topics) != 1 || g.Topics[0].Topic != "east.orders" ||
					len(g.Topics[0].Offsets) != 3 || g.Topics[0].Offsets[0] != 5 || g.Topics[0].Offsets[1] != -1 || g.Topics[0].Offsets[2] != 9 {
					t.Errorf("billing-1 %+v", g)
				}
				if g := f.Groups[1]; g.Name != "billing-2" || !strings.Contains(g.Message, "consumers on the target") {
					t.Errorf("billing-2 %+v", g)
				}
			},
		},
		{
			name:      "failed over by velo link failover, spec.failover false",
			obs:       linkObservation{generation: 2, desired: 1, deployment: running, scraped: failedOver, name: "dr", deploymentName: "dr-link"},
			wantConds: []cond{{"Ready", "False", "FailedOver"}},
			check: func(t *testing.T, st v1alpha1.ClusterLinkStatus) {
				if msg := st.Conditions[0].Message; !strings.Contains(msg, "kubectl exec deploy/dr-link -- /velo link failover dr -f /etc/velo/link.yaml --cancel") {
					t.Errorf("message %q does not say how to cancel", msg)
				}
				if st.Failover == nil {
					t.Error("the report is missing")
				}
			},
		},
		{
			name:      "suspended",
			obs:       linkObservation{generation: 4, suspended: true},
			wantConds: []cond{{"Ready", "False", "Suspended"}},
		},
		{
			name:      "scaled to zero",
			obs:       linkObservation{generation: 1, desired: 0, deployment: deployment(1, 1, 0, 0, 0)},
			wantConds: []cond{{"Ready", "True", "ScaledToZero"}},
		},
		{
			name:      "apply failed",
			obs:       linkObservation{generation: 5, applyErr: errors.New("apply Deployment dr-link: forbidden")},
			wantConds: []cond{{"Ready", "False", "ReconciliationFailed"}, {"Reconciling", "True", "ReconciliationFailed"}},
			check: func(t *testing.T, st v1alpha1.ClusterLinkStatus) {
				if st.ObservedGeneration == 5 {
					t.Error("observedGeneration moved although applying failed")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := computeLinkStatus(v1alpha1.ClusterLinkStatus{}, tt.obs, now)
			got := conds(st.Conditions)
			if len(got) != len(tt.wantConds) {
				t.Fatalf("conditions %v; want %v", got, tt.wantConds)
			}
			for i := range got {
				if got[i] != tt.wantConds[i] {
					t.Fatalf("conditions %v; want %v", got, tt.wantConds)
				}
			}
			if tt.check != nil {
				tt.check(t, st)
			}
		})
	}
}

// TestLinkStatusKeepsLastReadFigures: when the metrics cannot be read, the
// figures last read stay (they were read, not guessed) and Ready says the
// status is unknown.
func TestLinkStatusKeepsLastReadFigures(t *testing.T) {
	now := metav1.NewTime(time.Now())
	running := deployment(1, 1, 1, 1, 1)
	st := computeLinkStatus(v1alpha1.ClusterLinkStatus{}, linkObservation{desired: 1, deployment: running, scraped: &metrics.Status{
		Connected: map[string]bool{"source": true, "target": true}, MirroredTopics: 1, Topics: []metrics.TopicStatus{{Name: "t", LagRecords: 3}},
	}}, now)
	st = computeLinkStatus(st, linkObservation{desired: 1, deployment: running, scrapeErr: errors.New("timeout")}, now)
	if st.MaxLagRecords != 3 || st.MirroredTopics != 1 || conds(st.Conditions)[0] != (cond{"Ready", "False", "StatusUnknown"}) {
		t.Fatalf("status %+v", st)
	}
}
