package runner

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfigRoundTrip(t *testing.T) {
	want := &Config{
		Name:      "trades",
		Namespace: "prod",
		SQL:       "SELECT symbol FROM trades\nWHERE price > 0\n",
		Kafka: &Kafka{
			BootstrapServers: "k0:9092,k1:9092",
			TLS:              &TLS{Enabled: true, CAFile: "/ca/ca.crt", CertFile: "/c/tls.crt", KeyFile: "/k/tls.key"},
			SASL:             &SASL{Mechanism: "SCRAM-SHA-512", UsernameFile: "/u/username", PasswordFile: "/p/password"},
		},
		ConsumerGroup: "velo-prod-trades",
		Listen:        ":9090",
	}
	b, err := want.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseConfig(b)
	if err != nil {
		t.Fatalf("ParseConfig(Marshal()) = %v\n%s", err, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the config:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string // substrings of the error
	}{
		{"empty", "", []string{"empty runner config"}},
		{"unknown field names its line", "name: q\nsql: SELECT 1\nsqll: x\n", []string{"line 3", "sqll"}},
		{"missing name and sql", "listen: :1\n", []string{"name is required", "sql is required"}},
		{"blank sql", "name: q\nsql: '  '\n", []string{"sql is required"}},
		{"kafka without servers", "name: q\nsql: SELECT 1\nkafka: {}\n", []string{"kafka.bootstrapServers is required"}},
		{"cert without key", "name: q\nsql: SELECT 1\nkafka: {bootstrapServers: k:1, tls: {certFile: /c}}\n", []string{"certFile and kafka.tls.keyFile"}},
		{"bad mechanism", "name: q\nsql: SELECT 1\nkafka: {bootstrapServers: k:1, sasl: {mechanism: GSSAPI, usernameFile: /u, passwordFile: /p}}\n", []string{`mechanism "GSSAPI"`}},
		{"sasl without files", "name: q\nsql: SELECT 1\nkafka: {bootstrapServers: k:1, sasl: {mechanism: PLAIN}}\n", []string{"usernameFile and kafka.sasl.passwordFile are required"}},
		{"not yaml", "name: [\n", []string{"runner config", "line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.doc))
			if err == nil {
				t.Fatal("ParseConfig accepted a bad config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.yaml")
	if err := os.WriteFile(path, []byte("name: q\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "sql is required") {
		t.Fatalf("LoadConfig error = %v, want the path and the missing field", err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("LoadConfig of a missing file succeeded")
	}
}

func TestListenAddrDefault(t *testing.T) {
	if got := (&Config{}).ListenAddr(); got != DefaultListen {
		t.Errorf("ListenAddr() = %q, want %q", got, DefaultListen)
	}
	if got := (&Config{Listen: "127.0.0.1:1"}).ListenAddr(); got != "127.0.0.1:1" {
		t.Errorf("ListenAddr() = %q", got)
	}
}
