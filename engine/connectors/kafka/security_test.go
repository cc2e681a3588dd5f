package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/segmentio/kafka-go"

	"github.com/velostream/velostream/engine/connectors"
)

// selfSigned returns a server TLS config for 127.0.0.1 and the path of its
// certificate as a PEM file (the CA a client trusts).
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "velostream test broker"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, ca
}

// TestSecurity: SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), TLS and both,
// against kfake configured to require them; wrong credentials fail with an
// error rather than retrying forever.
func TestSecurity(t *testing.T) {
	for _, tc := range []struct {
		protocol, mechanism string
	}{
		{"SSL", ""},
		{"SASL_PLAINTEXT", "PLAIN"},
		{"SASL_PLAINTEXT", "SCRAM-SHA-256"},
		{"SASL_PLAINTEXT", "SCRAM-SHA-512"},
		{"SASL_SSL", "SCRAM-SHA-512"},
	} {
		t.Run(tc.protocol+" "+tc.mechanism, func(t *testing.T) {
			opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(2, "in")}
			p := props("topic", "in", "security.protocol", tc.protocol)
			if strings.Contains(tc.protocol, "SSL") {
				srv, ca := selfSigned(t)
				opts = append(opts, kfake.TLS(srv))
				p["tls.ca.file"] = ca
			}
			if tc.mechanism != "" {
				opts = append(opts, kfake.EnableSASL(), kfake.Superuser(tc.mechanism, "velo", "s3cret"))
				p["sasl.mechanism"], p["sasl.username"], p["sasl.password"] = tc.mechanism, "velo", "s3cret"
			}
			c, err := kfake.NewCluster(opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			p["bootstrap.servers"] = c.ListenAddrs()[0]

			sink := openSink(t, p)
			var recs []connectors.OutRecord
			for i := range 10 {
				recs = append(recs, connectors.OutRecord{Key: []byte(fmt.Sprint(i % 2)), Value: []byte(fmt.Sprintf(`{"i":%d}`, i))})
			}
			if err := sink.Write(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			if err := sink.Flush(context.Background()); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			sp := props()
			for k, v := range p {
				sp[k] = v
			}
			sp["group.id"], sp["bounded"] = "g", "true"
			src := openSource(t, "in", schema("i", "INT"), sp, Options{})
			if out := readAll(t, src, -1); len(out) != 10 {
				t.Fatalf("read %d records, want 10", len(out))
			}
			if err := src.Commit(context.Background(), map[int32]int64{0: 0}, []byte("m")); err != nil {
				t.Fatalf("Commit: %v", err)
			}

			if tc.mechanism == "" {
				return
			}
			// kfake drops the connection on a failed SASL exchange where a
			// real broker answers SASL_AUTHENTICATION_FAILED (which fatal
			// stops on; see TestFatalErrors), so here the source can only
			// retry: it must say so, not wait in silence.
			sp["sasl.password"] = "wrong"
			var log testLog
			bad := openSource(t, "in", schema("i", "INT"), sp, log.opts())
			deadline := time.Now().Add(waitLimit)
			for bad.Reconnects() == 0 || !strings.Contains(log.String(), "failed; retrying") {
				if time.Now().After(deadline) {
					t.Fatalf("wrong password: %d failures counted, log:\n%s", bad.Reconnects(), log.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestFatalErrors: errors that retrying cannot fix stop the connector, even
// wrapped as kafka-go returns them; a broken connection is retried.
func TestFatalErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("kafka.(*Client).Metadata: %w", kafka.SASLAuthenticationFailed), true},
		{fmt.Errorf("join: %w", kafka.GroupAuthorizationFailed), true},
		{kafka.TopicAuthorizationFailed, true},
		{fmt.Errorf("kafka.(*Client).Metadata: %w", io.ErrUnexpectedEOF), false},
		{kafka.NotCoordinatorForGroup, false},
		{kafka.RebalanceInProgress, false},
	} {
		if got := fatal(tc.err); got != tc.want {
			t.Errorf("fatal(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
