// Command image builds the velo container image without a Docker engine:
// a static linux binary plus the few files distroless/static provides (CA
// certificates, a passwd entry for the nonroot user, /tmp), written as an
// image tarball with OCI media types that `docker load`, `podman load` and
// `crane push` accept. It is what the Dockerfile builds, for machines that
// only have Go.
//
//	go run ./hack/image -out dist/velo-image.tar -tag velostream/velo:dev
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonroot is distroless' unprivileged user; runner pods run as it too
// (controllers.runnerUID).
const nonroot = 65532

// Options say what to build.
type Options struct {
	// Module is the repository root (where go.mod is).
	Module string
	// Out is the tarball to write.
	Out string
	// Tag names the image inside the tarball.
	Tag string
	// Version is stamped into the image's labels.
	Version string
	// Arch is the GOARCH of the binary and the image.
	Arch string
	// CACerts is the CA bundle copied into the image.
	CACerts string
}

func main() {
	var o Options
	flag.StringVar(&o.Out, "out", "dist/velo-image.tar", "image tarball to write")
	flag.StringVar(&o.Tag, "tag", "velostream/velo:dev", "image name and tag inside the tarball")
	flag.StringVar(&o.Version, "version", "dev", "version label")
	flag.StringVar(&o.Arch, "arch", runtime.GOARCH, "target architecture (GOARCH)")
	flag.StringVar(&o.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to put in the image")
	flag.Parse()
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	o.Module = wd
	if err := Build(o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Println(o.Out)
}

// Build compiles velo and writes the image tarball.
func Build(o Options) error {
	if o.Arch == "" {
		o.Arch = runtime.GOARCH
	}
	tmp, err := os.MkdirTemp("", "velo-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "velo")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", bin, "./cmd/velo")
	cmd.Dir = o.Module
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.Arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/velo: %w\n%s", err, out)
	}
	velo, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	certs, err := os.ReadFile(o.CACerts)
	if err != nil {
		return fmt.Errorf("CA certificates (install Debian's ca-certificates or pass -ca-certs): %w", err)
	}
	img, err := Image(velo, certs, o.Version, o.Arch)
	if err != nil {
		return err
	}
	tag, err := name.NewTag(o.Tag)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", o.Tag, err)
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return err
	}
	return tarball.WriteToFile(o.Out, tag, img)
}

// Image assembles the image from the velo binary and a CA bundle.
func Image(velo, caCerts []byte, version, arch string) (v1.Image, error) {
	layer, err := rootfs(velo, caCerts)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
		History: v1.History{CreatedBy: "hack/image: velo, CA certificates, passwd, /tmp", Created: v1.Time{Time: epoch}}})
	if err != nil {
		return nil, err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS = "linux"
	cfg.Architecture = arch
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", nonroot, nonroot),
		Entrypoint: []string{"/velo"},
		WorkingDir: "/",
		Env:        []string{"PATH=/", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "velo",
			"org.opencontainers.image.description": "Velostream: streaming SQL engine, runner and Kubernetes operator",
			"org.opencontainers.image.source":      "https://github.com/velostream/velostream",
			"org.opencontainers.image.version":     version,
		},
	}
	return mutate.ConfigFile(img, cfg)
}

// epoch makes builds reproducible: the same binary gives the same digest.
var epoch = time.Unix(0, 0).UTC()

// rootfs is the image's only layer. Files belong to root and are not
// writable by the nonroot user the image runs as.
func rootfs(velo, caCerts []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: epoch})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonroot, nonroot)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonroot)
	steps := []error{
		dir("etc/", 0o755),
		file("etc/passwd", 0o644, []byte(passwd)),
		file("etc/group", 0o644, []byte(group)),
		dir("etc/ssl/", 0o755),
		dir("etc/ssl/certs/", 0o755),
		file("etc/ssl/certs/ca-certificates.crt", 0o644, caCerts),
		dir("home/", 0o755),
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "home/nonroot/", Mode: 0o700, Uid: nonroot, Gid: nonroot, ModTime: epoch}),
		dir("tmp/", 0o1777),
		file("velo", 0o755, velo),
	}
	if err := errors.Join(steps...); err != nil {
		return nil, fmt.Errorf("image layer: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
