package runner

import (
	"fmt"
	"maps"
	"strings"

	"github.com/velostream/velostream/engine/plan"
)

// Kafka connector property names the runner fills in: exactly the keys the
// engine's Kafka connector reads (engine/connectors/kafka), so the same keys
// work in a script's WITH clause.
const (
	PropBootstrapServers = "bootstrap.servers"
	PropGroupID          = "group.id"
	PropSecurityProtocol = "security.protocol"
	PropSSLCALocation    = "tls.ca.file"
	PropSSLCertLocation  = "tls.cert.file"
	PropSSLKeyLocation   = "tls.key.file"
	PropSSLVerify        = "tls.insecure.skip.verify"
	PropSASLMechanism    = "sasl.mechanism"
	PropSASLUsername     = "sasl.username"
	PropSASLPassword     = "sasl.password"
)

// Connector types the defaults apply to (plan.Source.Type, plan.Sink.Type).
const (
	kafkaSource = "kafka_source"
	kafkaSink   = "kafka_sink"
)

// KafkaProperties turns a connection into the default properties of Kafka
// sources and sinks. Certificates stay files (the connector reads them);
// the SASL username and password are read with readFile now, so they live
// only in the runner's memory and never in its configuration or
// environment. A nil connection gives no properties.
func KafkaProperties(k *Kafka, readFile func(string) ([]byte, error)) (map[string]string, error) {
	if k == nil {
		return nil, nil
	}
	p := map[string]string{PropBootstrapServers: strings.TrimSpace(k.BootstrapServers)}
	tls := k.TLS != nil && (k.TLS.Enabled || k.TLS.CAFile != "" || k.TLS.CertFile != "")
	sasl := k.SASL != nil
	switch {
	case tls && sasl:
		p[PropSecurityProtocol] = "SASL_SSL"
	case tls:
		p[PropSecurityProtocol] = "SSL"
	case sasl:
		p[PropSecurityProtocol] = "SASL_PLAINTEXT"
	default:
		p[PropSecurityProtocol] = "PLAINTEXT"
	}
	if tls {
		setIf(p, PropSSLCALocation, k.TLS.CAFile)
		setIf(p, PropSSLCertLocation, k.TLS.CertFile)
		setIf(p, PropSSLKeyLocation, k.TLS.KeyFile)
		if k.TLS.InsecureSkipVerify {
			p[PropSSLVerify] = "true"
		}
	}
	if sasl {
		p[PropSASLMechanism] = k.SASL.Mechanism
		user, err := readSecret(readFile, k.SASL.UsernameFile, "kafka.sasl.usernameFile")
		if err != nil {
			return nil, err
		}
		pass, err := readSecret(readFile, k.SASL.PasswordFile, "kafka.sasl.passwordFile")
		if err != nil {
			return nil, err
		}
		p[PropSASLUsername] = user
		p[PropSASLPassword] = pass
	}
	return p, nil
}

func setIf(p map[string]string, k, v string) {
	if v != "" {
		p[k] = v
	}
}

// readSecret reads a mounted secret key. Secrets written with a trailing
// newline (`kubectl create secret --from-file` of an edited file) would
// otherwise fail authentication in a way that is hard to see.
func readSecret(readFile func(string) ([]byte, error), path, field string) (string, error) {
	b, err := readFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s: %s is empty", field, path)
	}
	return s, nil
}

// Defaults computes the engine.Options overrides that give every Kafka
// source and sink of a compiled plan the connection defaults and, for
// sources, the consumer group. A property the script sets itself wins: the
// defaults only fill what the SQL left out, so a script can still read one
// topic from another cluster. It returns nil maps when nothing applies.
func Defaults(sources []*plan.Source, sink *plan.Sink, defaults map[string]string, group string) (map[string]map[string]string, map[string]string) {
	var srcOut map[string]map[string]string
	for _, s := range sources {
		if s.Type != kafkaSource {
			continue
		}
		add := fill(s.Props, defaults)
		if group != "" && s.Props[PropGroupID] == "" {
			if add == nil {
				add = map[string]string{}
			}
			add[PropGroupID] = group
		}
		if add == nil {
			continue
		}
		if srcOut == nil {
			srcOut = map[string]map[string]string{}
		}
		// The same source may be read twice (a self-join); the
		// properties are the same for both.
		if prev, ok := srcOut[s.Name]; ok {
			maps.Copy(prev, add)
			continue
		}
		srcOut[s.Name] = add
	}
	var sinkOut map[string]string
	if sink != nil && sink.Type == kafkaSink {
		sinkOut = fill(sink.Props, defaults)
	}
	return srcOut, sinkOut
}

// fill returns the defaults whose keys props does not set, or nil.
func fill(props, defaults map[string]string) map[string]string {
	var out map[string]string
	for k, v := range defaults {
		if _, set := props[k]; set {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}
