package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/velostream/velostream/link/config"
)

// selfSigned returns a server TLS config for 127.0.0.1 and its certificate
// as a PEM file (the CA the link trusts).
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "link test broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
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

func file(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSecurity: the link reaches clusters that require TLS, SASL (the
// connector's mechanisms through the adapter) or both, reading credentials
// from files (a trailing newline is ignored); wrong credentials fail.
func TestSecurity(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tls       bool
		mechanism string
		password  string
		wantErr   bool
	}{
		{name: "TLS", tls: true},
		{name: "PLAIN", mechanism: "PLAIN", password: "secret\n"},
		{name: "SCRAM-SHA-256", mechanism: "SCRAM-SHA-256", password: "secret"},
		{name: "SCRAM-SHA-512 over TLS", tls: true, mechanism: "SCRAM-SHA-512", password: "secret"},
		{name: "wrong password", mechanism: "SCRAM-SHA-256", password: "nope", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(2, "in")}
			var conn config.Connection
			if tc.tls {
				srv, ca := selfSigned(t)
				opts = append(opts, kfake.TLS(srv))
				conn.TLS = &config.TLS{CAFile: ca}
			}
			if tc.mechanism != "" {
				opts = append(opts, kfake.EnableSASL(), kfake.Superuser(tc.mechanism, "link", "secret"))
				conn.SASL = &config.SASL{Mechanism: tc.mechanism, UsernameFile: file(t, "user", "link\n"), PasswordFile: file(t, "pass", tc.password)}
			}
			c, err := kfake.NewCluster(opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conn.Brokers = c.ListenAddrs()
			cl, err := Dial("source", conn, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			topics, err := cl.Topics(ctx)
			if tc.wantErr {
				if err == nil {
					t.Fatal("listed topics with a wrong password")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if topics["in"].Partitions != 2 {
				t.Fatalf("topics %+v", topics)
			}
		})
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		conn config.Connection
		want string
	}{
		{name: "missing password file", conn: config.Connection{Brokers: []string{"127.0.0.1:1"}, SASL: &config.SASL{Mechanism: "PLAIN", UsernameFile: "/nonexistent/u", PasswordFile: "/nonexistent/p"}}, want: "sasl.usernameFile"},
		{name: "missing CA", conn: config.Connection{Brokers: []string{"127.0.0.1:1"}, TLS: &config.TLS{CAFile: "/nonexistent/ca.pem"}}, want: "tls.ca.file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Options("target", tc.conn, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Options error %v; want one naming %s", err, tc.want)
			}
		})
	}
}

func TestGroupActive(t *testing.T) {
	for _, tc := range []struct {
		g    Group
		want bool
	}{
		{Group{State: "Empty"}, false},
		{Group{State: "Dead"}, false},
		{Group{State: "Stable", Members: 2}, true},
		{Group{State: "PreparingRebalance"}, true},
		{Group{State: "Empty", Members: 1}, true},
	} {
		if got := tc.g.Active(); got != tc.want {
			t.Errorf("%+v.Active() = %v; want %v", tc.g, got, tc.want)
		}
	}
}
