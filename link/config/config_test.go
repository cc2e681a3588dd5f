package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

const valid = `apiVersion: velostream.io/v1alpha1
kind: ClusterLink
metadata: {name: dr, namespace: payments}
spec:
  source: {bootstrapServers: "kafka-east.example.com:9092, kafka-east-2.example.com:9092"}
  target:
    bootstrapServers: kafka-west.example.com:9092
    tls: {enabled: true, caFile: /etc/velo/west-ca.pem}
    sasl: {mechanism: SCRAM-SHA-512, usernameFile: /etc/velo/user, passwordFile: /etc/velo/pass}
  topics: {include: ["orders", "payments\\..*"], exclude: ["payments\\.tmp"]}
  topicPrefix: "src."
  consumerGroups: {include: ["billing-.*"]}
  syncInterval: 2s
  filter: "region = 'west'"
  exactlyOnce: true
`

func TestParseValid(t *testing.T) {
	l, err := Parse([]byte(valid), Local)
	if err != nil {
		t.Fatal(err)
	}
	if l.ID() != "payments/dr" || l.StateTopic() != "__velo_link.payments.dr" {
		t.Fatalf("ID %q, state topic %q", l.ID(), l.StateTopic())
	}
	if got := strings.Join(l.Source.Brokers, ","); got != "kafka-east.example.com:9092,kafka-east-2.example.com:9092" {
		t.Fatalf("source brokers %q", got)
	}
	if l.Target.TLS == nil || l.Target.TLS.CAFile != "/etc/velo/west-ca.pem" || l.Target.SASL == nil || l.Target.SASL.PasswordFile != "/etc/velo/pass" {
		t.Fatalf("target credentials %+v %+v", l.Target.TLS, l.Target.SASL)
	}
	if l.SyncInterval != 2*time.Second || !l.ExactlyOnce || l.Filter != "region = 'west'" || l.TargetTopic("orders") != "src.orders" {
		t.Fatalf("link %+v", l)
	}
	for name, want := range map[string]bool{
		"orders": true, "orders-archive": false, "xorders": false,
		"payments.eu": true, "payments.tmp": false, "payments": false,
	} {
		if got := l.Topics.Match(name); got != want {
			t.Errorf("topics match %q = %v; want %v", name, got, want)
		}
	}
	for name, want := range map[string]bool{"billing-eu": true, "billing": false, "crm-billing-1": false} {
		if got := l.Groups.Match(name); got != want {
			t.Errorf("groups match %q = %v; want %v", name, got, want)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	l, err := Parse([]byte(`apiVersion: velostream.io/v1alpha1
kind: ClusterLink
metadata: {name: m}
spec:
  source: {bootstrapServers: "127.0.0.1:9092"}
  target: {bootstrapServers: "127.0.0.1:9093"}
  topics: {include: [a]}
`), Local)
	if err != nil {
		t.Fatal(err)
	}
	if l.SyncInterval != DefaultSyncInterval || l.StateTopic() != "__velo_link.m" || !l.Groups.Empty() || l.Groups.Match("any") {
		t.Fatalf("defaults: %+v", l)
	}
}

// TestParseErrors pins that each mistake is reported at its field's line
// and column with a message saying what is wrong.
func TestParseErrors(t *testing.T) {
	base := func(spec string) string {
		return "apiVersion: velostream.io/v1alpha1\nkind: ClusterLink\nmetadata: {name: dr}\nspec:\n" + spec
	}
	const clusters = "  source: {bootstrapServers: \"east:9092\"}\n  target: {bootstrapServers: \"west:9092\"}\n"
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "bad topic regex",
			yaml: base(clusters + "  topics:\n    include: [orders, \"payments\\\\.(\"]\n"),
			want: []string{"8:23: spec.topics.include[1]", "is not a regular expression", "missing closing )"},
		},
		{
			name: "bad group exclude regex",
			yaml: base(clusters + "  topics: {include: [a]}\n  consumerGroups: {include: [x], exclude: [\"*\"]}\n"),
			want: []string{"8:44: spec.consumerGroups.exclude[0]", "missing argument to repetition operator"},
		},
		{
			name: "same cluster written differently",
			yaml: base("  source: {bootstrapServers: \"Kafka-1:9092,kafka-2:9092\"}\n  target: {bootstrapServers: \"kafka-3:9092, kafka-1.:9092\"}\n  topics: {include: [a]}\n"),
			want: []string{"6:12: spec.target.bootstrapServers", "kafka-1:9092", "different clusters"},
		},
		{
			name: "unknown field",
			yaml: base(clusters + "  topics: {include: [a]}\n  topcPrefix: x\n"),
			want: []string{"8:3: spec.topcPrefix: unknown field"},
		},
		{
			name: "wrong type",
			yaml: base(clusters + "  topics: {include: [a]}\n  exactlyOnce: yes please\n"),
			want: []string{"8:3: spec.exactlyOnce: want true or false"},
		},
		{
			name: "filter that does not compile",
			yaml: base(clusters + "  topics: {include: [a]}\n  filter: \"region = \"\n"),
			want: []string{"8:3: spec.filter: 1:10:"},
		},
		{
			name: "secret reference outside Kubernetes",
			yaml: base(clusters[:len(clusters)-2] + ", sasl: {mechanism: PLAIN, usernameSecretRef: {name: s, key: u}, passwordSecretRef: {name: s, key: p}}}\n  topics: {include: [a]}\n"),
			want: []string{"spec.target.sasl.passwordSecretRef: velo link outside Kubernetes cannot read Secrets", "spec.target.sasl: velo link needs usernameFile and passwordFile"},
		},
		{
			name: "bad broker address",
			yaml: base("  source: {bootstrapServers: \"east\"}\n  target: {bootstrapServers: \"west:99999\"}\n  topics: {include: [a]}\n"),
			want: []string{"5:12: spec.source.bootstrapServers: \"east\": want host:port", "spec.target.bootstrapServers: \"west:99999\": port"},
		},
		{
			name: "prefix Kafka cannot name",
			yaml: base(clusters + "  topics: {include: [a]}\n  topicPrefix: \"src/\"\n"),
			want: []string{"8:3: spec.topicPrefix", "character '/'"},
		},
		{
			name: "sync interval too short",
			yaml: base(clusters + "  topics: {include: [a]}\n  syncInterval: 1ms\n"),
			want: []string{"8:3: spec.syncInterval: 1ms: at least 100ms"},
		},
		{
			name: "no topics",
			yaml: base(clusters + "  topics: {include: []}\n"),
			want: []string{"7:12: spec.topics.include: needs at least one"},
		},
		{
			name: "two replicas",
			yaml: base(clusters + "  topics: {include: [a]}\n  replicas: 2\n"),
			want: []string{"8:3: spec.replicas: 2"},
		},
		{
			name: "wrong kind",
			yaml: "apiVersion: velostream.io/v1alpha1\nkind: StreamingQuery\nmetadata: {name: x}\n",
			want: []string{"2:1: kind: \"StreamingQuery\": want ClusterLink"},
		},
		{
			name: "no name",
			yaml: "apiVersion: velostream.io/v1alpha1\nkind: ClusterLink\nspec:\n" + clusters + "  topics: {include: [a]}\n",
			want: []string{"metadata.name: is required"},
		},
		{
			name: "two documents",
			yaml: base(clusters+"  topics: {include: [a]}\n") + "---\nkind: Secret\n",
			want: []string{"8:1: a second YAML document"},
		},
		{
			name: "not YAML",
			yaml: "spec: [unclosed\n",
			want: []string{"not YAML"},
		},
		{
			name: "duplicate key",
			yaml: base(clusters + "  topics: {include: [a]}\n  filter: a\n  filter: b\n"),
			want: []string{"9:3: key \"filter\" appears twice"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), Local)
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tt.yaml)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateClusterMode(t *testing.T) {
	spec := v1alpha1.ClusterLinkSpec{
		Source: v1alpha1.LinkConnection{BootstrapServers: "east:9092", TLS: &v1alpha1.LinkTLSConfig{CAFile: "/tmp/ca.pem"}},
		Target: v1alpha1.LinkConnection{BootstrapServers: "west:9092", SASL: &v1alpha1.LinkSASLConfig{SASLConfig: v1alpha1.SASLConfig{
			Mechanism:         v1alpha1.SASLPlain,
			UsernameSecretRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "w"}, Key: "u"},
			PasswordSecretRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "w"}, Key: "p"},
		}}},
		Topics: v1alpha1.TopicSelector{Include: []string{"a"}},
	}
	errs := Validate(&spec, Cluster)
	if len(errs) != 1 || errs[0].Path != "spec.source.tls.caFile" || !strings.Contains(errs[0].Msg, "outside Kubernetes") {
		t.Fatalf("errors %v; want one about spec.source.tls.caFile", errs)
	}
	spec.Source.TLS = nil
	if errs := Validate(&spec, Cluster); len(errs) != 0 {
		t.Fatalf("valid cluster spec refused: %v", errs)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dr.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(valid, "syncInterval: 2s", "syncInterval: nope", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+": ") {
		t.Fatalf("Load error %v; want one starting with the file name", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("apiVersion: velostream.io/v1alpha1\nkind: ClusterLink\nspec: {topics: {include: ['(']}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Any input gives a Link or an error, never a panic.
		l, err := Parse(b, Local)
		if err == nil && l == nil {
			t.Fatal("no link and no error")
		}
	})
}
