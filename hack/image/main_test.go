package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestImageTarball builds the real image and checks it as a runtime
// would: the configuration runs a non-root user with velo as entrypoint,
// and the binary taken out of the layer runs.
func TestImageTarball(t *testing.T) {
	out := filepath.Join(t.TempDir(), "velo-image.tar")
	err := Build(Options{Module: filepath.Join("..", ".."), Out: out, Tag: "velostream/velo:test", Version: "test",
		CACerts: "/etc/ssl/certs/ca-certificates.crt"})
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("velostream/velo:test")
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" || strings.HasPrefix(cfg.Config.User, "0") || cfg.Config.User == "" {
		t.Errorf("user = %q, want the non-root 65532:65532", cfg.Config.User)
	}
	if len(cfg.Config.Entrypoint) != 1 || cfg.Config.Entrypoint[0] != "/velo" {
		t.Errorf("entrypoint = %v", cfg.Config.Entrypoint)
	}
	if cfg.OS != "linux" || cfg.Architecture == "" {
		t.Errorf("platform = %s/%s", cfg.OS, cfg.Architecture)
	}

	files := map[string]*tar.Header{}
	var velo []byte
	tr := tar.NewReader(mutate.Extract(img))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimSuffix(h.Name, "/")] = h
		if h.Name == "velo" {
			if velo, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, want := range []string{"velo", "etc/passwd", "etc/ssl/certs/ca-certificates.crt", "tmp"} {
		if files[want] == nil {
			t.Errorf("the image has no %s", want)
		}
	}
	if h := files["velo"]; h == nil || h.Mode&0o111 == 0 || h.Uid != 0 || h.Mode&0o022 != 0 {
		t.Errorf("velo header = %+v: want executable, owned by root, not writable by others", h)
	}
	if h := files["tmp"]; h == nil || h.Mode&0o1777 != 0o1777 {
		t.Errorf("/tmp header = %+v", h)
	}

	bin := filepath.Join(t.TempDir(), "velo")
	if err := os.WriteFile(bin, velo, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--help"}, {"runner", "--help"}, {"operator", "--help"}} {
		cmd := exec.Command(bin, args...)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Run(); err != nil {
			t.Fatalf("velo %v from the image: %v", args, err)
		}
		if !strings.Contains(stdout.String(), "velo") {
			t.Errorf("velo %v printed %q", args, stdout.String())
		}
	}
}

// The same inputs give the same image digest, so rebuilding an unchanged
// tree does not make a new image.
func TestImageIsReproducible(t *testing.T) {
	a, err := Image([]byte("binary"), []byte("certs"), "v1", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Image([]byte("binary"), []byte("certs"), "v1", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	// OCI media types, which registries and runtimes all accept.
	if mt, err := a.MediaType(); err != nil || mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type = %v, %v", mt, err)
	}
	m, err := a.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("manifest = %+v", m)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Errorf("digests differ: %s %s", da, db)
	}
	c, err := Image([]byte("binary2"), []byte("certs"), "v1", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	if dc, _ := c.Digest(); dc == da {
		t.Error("a different binary gives the same digest")
	}
}
