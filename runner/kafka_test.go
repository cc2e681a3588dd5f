package runner

import (
	"errors"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/kafka"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/plan"
)

// files is an in-memory ReadFile: the secret files a pod would mount.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if v, ok := m[p]; ok {
			return []byte(v), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
}

func TestKafkaProperties(t *testing.T) {
	secrets := files(map[string]string{"/u": "alice\n", "/p": "s3cret\r\n"})
	tests := []struct {
		name string
		in   *Kafka
		want map[string]string
	}{
		{"none", nil, nil},
		{"plaintext", &Kafka{BootstrapServers: " k0:9092,k1:9092 "}, map[string]string{
			PropBootstrapServers: "k0:9092,k1:9092", PropSecurityProtocol: "PLAINTEXT",
		}},
		{"tls with system roots", &Kafka{BootstrapServers: "k:9093", TLS: &TLS{Enabled: true}}, map[string]string{
			PropBootstrapServers: "k:9093", PropSecurityProtocol: "SSL",
		}},
		{"a CA implies TLS", &Kafka{BootstrapServers: "k:9093", TLS: &TLS{CAFile: "/ca"}}, map[string]string{
			PropBootstrapServers: "k:9093", PropSecurityProtocol: "SSL", PropSSLCALocation: "/ca",
		}},
		{"tls block left off", &Kafka{BootstrapServers: "k:9092", TLS: &TLS{}}, map[string]string{
			PropBootstrapServers: "k:9092", PropSecurityProtocol: "PLAINTEXT",
		}},
		{"mutual tls, no verify", &Kafka{BootstrapServers: "k:9093", TLS: &TLS{Enabled: true, CAFile: "/ca", CertFile: "/c", KeyFile: "/k", InsecureSkipVerify: true}}, map[string]string{
			PropBootstrapServers: "k:9093", PropSecurityProtocol: "SSL", PropSSLCALocation: "/ca",
			PropSSLCertLocation: "/c", PropSSLKeyLocation: "/k", PropSSLVerify: "true",
		}},
		{"sasl over plaintext, secrets trimmed", &Kafka{BootstrapServers: "k:9092", SASL: &SASL{Mechanism: "PLAIN", UsernameFile: "/u", PasswordFile: "/p"}}, map[string]string{
			PropBootstrapServers: "k:9092", PropSecurityProtocol: "SASL_PLAINTEXT",
			PropSASLMechanism: "PLAIN", PropSASLUsername: "alice", PropSASLPassword: "s3cret",
		}},
		{"sasl over tls", &Kafka{BootstrapServers: "k:9093", TLS: &TLS{Enabled: true}, SASL: &SASL{Mechanism: "SCRAM-SHA-512", UsernameFile: "/u", PasswordFile: "/p"}}, map[string]string{
			PropBootstrapServers: "k:9093", PropSecurityProtocol: "SASL_SSL",
			PropSASLMechanism: "SCRAM-SHA-512", PropSASLUsername: "alice", PropSASLPassword: "s3cret",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KafkaProperties(tt.in, secrets)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("KafkaProperties =\n %v\nwant\n %v", got, tt.want)
			}
		})
	}
}

func TestKafkaPropertiesSecretErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"username missing", map[string]string{"/p": "x"}, []string{"kafka.sasl.usernameFile", "/u"}},
		{"password empty", map[string]string{"/u": "alice", "/p": "\n"}, []string{"kafka.sasl.passwordFile", "/p is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Kafka{BootstrapServers: "k:1", SASL: &SASL{Mechanism: "PLAIN", UsernameFile: "/u", PasswordFile: "/p"}}
			_, err := KafkaProperties(k, files(tt.files))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks a secret: %q", err)
			}
		})
	}
	k := &Kafka{BootstrapServers: "k:1", SASL: &SASL{Mechanism: "PLAIN", UsernameFile: "/u", PasswordFile: "/p"}}
	if _, err := KafkaProperties(k, files(nil)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file should wrap fs.ErrNotExist, got %v", err)
	}
}

func TestDefaults(t *testing.T) {
	defaults := map[string]string{PropBootstrapServers: "k:9092", PropSecurityProtocol: "SSL"}
	tests := []struct {
		name     string
		sources  []*plan.Source
		sink     *plan.Sink
		group    string
		wantSrcs map[string]map[string]string
		wantSink map[string]string
	}{
		{
			name:    "file source and stdout sink are left alone",
			sources: []*plan.Source{{Name: "trades", Type: "file_source", Props: map[string]string{"path": "t.jsonl"}}},
			sink:    &plan.Sink{Name: "stdout", Type: "stdout", Props: map[string]string{}},
			group:   "g",
		},
		{
			name:     "kafka source gets connection and group",
			sources:  []*plan.Source{{Name: "trades", Type: "kafka_source", Props: map[string]string{"topic": "trades"}}},
			group:    "velo-ns-q",
			wantSrcs: map[string]map[string]string{"trades": {PropBootstrapServers: "k:9092", PropSecurityProtocol: "SSL", PropGroupID: "velo-ns-q"}},
		},
		{
			name: "the script's own properties win",
			sources: []*plan.Source{{Name: "other", Type: "kafka_source", Props: map[string]string{
				"topic": "x", PropBootstrapServers: "elsewhere:9092", PropGroupID: "mine",
			}}},
			group:    "velo-ns-q",
			wantSrcs: map[string]map[string]string{"other": {PropSecurityProtocol: "SSL"}},
		},
		{
			name: "a source with everything set needs nothing",
			sources: []*plan.Source{{Name: "t", Type: "kafka_source", Props: map[string]string{
				PropBootstrapServers: "a:1", PropSecurityProtocol: "PLAINTEXT", PropGroupID: "g",
			}}},
			group: "velo-ns-q",
		},
		{
			name:     "kafka sink gets the connection but no group",
			sink:     &plan.Sink{Name: "out", Type: "kafka_sink", Props: map[string]string{"topic": "out", PropSecurityProtocol: "PLAINTEXT"}},
			group:    "g",
			wantSink: map[string]string{PropBootstrapServers: "k:9092"},
		},
		{
			name: "a self-join reads one source twice",
			sources: []*plan.Source{
				{Name: "t", Type: "kafka_source", Props: map[string]string{}},
				{Name: "t", Type: "kafka_source", Props: map[string]string{}},
			},
			wantSrcs: map[string]map[string]string{"t": {PropBootstrapServers: "k:9092", PropSecurityProtocol: "SSL"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcs, sink := Defaults(tt.sources, tt.sink, defaults, tt.group)
			if !reflect.DeepEqual(srcs, tt.wantSrcs) {
				t.Errorf("sources = %v, want %v", srcs, tt.wantSrcs)
			}
			if !reflect.DeepEqual(sink, tt.wantSink) {
				t.Errorf("sink = %v, want %v", sink, tt.wantSink)
			}
		})
	}
}

// The properties the runner fills in are the ones the Kafka connector reads:
// the connector accepts them and turns them into TLS and SASL settings.
func TestKafkaPropertiesAreTheConnectorsKeys(t *testing.T) {
	files := map[string][]byte{"/u": []byte("alice\n"), "/p": []byte("s3cret")}
	read := func(p string) ([]byte, error) { return files[p], nil }
	props, err := KafkaProperties(&Kafka{BootstrapServers: "kafka:9093",
		TLS:  &TLS{Enabled: true, InsecureSkipVerify: true},
		SASL: &SASL{Mechanism: "SCRAM-SHA-512", UsernameFile: "/u", PasswordFile: "/p"}}, read)
	if err != nil {
		t.Fatal(err)
	}
	tc, mech, err := kafka.Security(connectors.Config{Name: "trades", Props: props})
	if err != nil {
		t.Fatalf("connector refused the runner's properties %v: %v", props, err)
	}
	if tc == nil || !tc.InsecureSkipVerify || mech == nil || mech.Name() != "SCRAM-SHA-512" {
		t.Fatalf("tls %+v, sasl %v", tc, mech)
	}
}
