package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigKey is the key of the runner configuration in the ConfigMap the
// operator makes for each StreamingQuery, and ConfigPath is where runner pods
// mount it. Both sides import them so they cannot drift apart.
const (
	ConfigKey  = "query.yaml"
	ConfigDir  = "/etc/velo"
	ConfigPath = ConfigDir + "/" + ConfigKey
)

// HTTP paths a runner serves; the operator points probes and scrapes at them.
const (
	MetricsPath = "/metrics"
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
)

// DefaultListen is the address of /metrics, /healthz and /readyz when the
// configuration names none.
const DefaultListen = ":9090"

// Config is one runner's job: the SQL to run and how to reach Kafka. The
// operator writes it (controllers.MakeQueryConfigMap) and `velo runner
// --config FILE` reads it; it holds file paths to credentials, never the
// credentials themselves, so the ConfigMap can be read by anyone allowed to
// read the query.
type Config struct {
	// Name identifies the query in logs and metrics (the StreamingQuery's
	// name).
	Name string `yaml:"name"`
	// Namespace is the StreamingQuery's namespace, for logs and metrics.
	Namespace string `yaml:"namespace,omitempty"`
	// SQL is the script to run.
	SQL string `yaml:"sql"`
	// Kafka, when set, supplies default connection properties to every Kafka
	// source and sink of the script (see KafkaProperties).
	Kafka *Kafka `yaml:"kafka,omitempty"`
	// ConsumerGroup is the default group.id of the script's Kafka sources,
	// so that all replicas of a query share the partitions of its topics.
	ConsumerGroup string `yaml:"consumerGroup,omitempty"`
	// Listen is the HTTP address of /metrics, /healthz and /readyz.
	Listen string `yaml:"listen,omitempty"`
}

// Kafka is a Kafka connection with credentials given as files (mounted
// Secret keys in a pod).
type Kafka struct {
	BootstrapServers string `yaml:"bootstrapServers"`
	TLS              *TLS   `yaml:"tls,omitempty"`
	SASL             *SASL  `yaml:"sasl,omitempty"`
}

// TLS configures encryption towards the brokers.
type TLS struct {
	Enabled            bool   `yaml:"enabled,omitempty"`
	CAFile             string `yaml:"caFile,omitempty"`
	CertFile           string `yaml:"certFile,omitempty"`
	KeyFile            string `yaml:"keyFile,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecureSkipVerify,omitempty"`
}

// SASL configures authentication; the username and password are read from
// files when the runner starts.
type SASL struct {
	Mechanism    string `yaml:"mechanism"`
	UsernameFile string `yaml:"usernameFile"`
	PasswordFile string `yaml:"passwordFile"`
}

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runner config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a configuration and validates it. Unknown fields are
// errors (with their line) so a misspelt key is not silently ignored.
func ParseConfig(b []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty runner config: want at least name and sql")
		}
		return nil, fmt.Errorf("runner config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the fields every runner needs, naming each problem.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Name) == "" {
		errs = append(errs, errors.New("runner config: name is required"))
	}
	if strings.TrimSpace(c.SQL) == "" {
		errs = append(errs, errors.New("runner config: sql is required"))
	}
	if k := c.Kafka; k != nil {
		if strings.TrimSpace(k.BootstrapServers) == "" {
			errs = append(errs, errors.New("runner config: kafka.bootstrapServers is required when kafka is set"))
		}
		if t := k.TLS; t != nil && (t.CertFile == "") != (t.KeyFile == "") {
			errs = append(errs, errors.New("runner config: kafka.tls.certFile and kafka.tls.keyFile must be set together"))
		}
		if s := k.SASL; s != nil {
			switch s.Mechanism {
			case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
			default:
				errs = append(errs, fmt.Errorf("runner config: kafka.sasl.mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism))
			}
			if s.UsernameFile == "" || s.PasswordFile == "" {
				errs = append(errs, errors.New("runner config: kafka.sasl.usernameFile and kafka.sasl.passwordFile are required"))
			}
		}
	}
	return errors.Join(errs...)
}

// Marshal renders the configuration as YAML; ParseConfig reads it back.
func (c *Config) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("runner config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("runner config: %w", err)
	}
	return buf.Bytes(), nil
}

// ListenAddr is Listen or DefaultListen.
func (c *Config) ListenAddr() string {
	if c.Listen == "" {
		return DefaultListen
	}
	return c.Listen
}
