package v1alpha1_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
)

// One API server for the package: starting one takes seconds, and every
// spec works in its own generated names so specs do not interfere.
var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
)

func TestCRDs(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "velostream.io/v1alpha1 CRDs against a real API server")
}

var _ = BeforeSuite(func() {
	// Missing binaries must fail the run, not skip it: a skipped suite would
	// let CI pass with the CRDs never having met an API server.
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	Expect(assets).NotTo(BeEmpty(),
		"KUBEBUILDER_ASSETS is not set: run `make envtest` and export KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh | tail -1), or run `make test-api`")
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		Expect(filepath.Join(assets, bin)).To(BeAnExistingFile(),
			"KUBEBUILDER_ASSETS=%s has no %s: run `make envtest`", assets, bin)
	}

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "starting envtest from %s", assets)
	DeferCleanup(func() {
		Expect(testEnv.Stop()).To(Succeed())
	})

	// A request timeout makes a wedged API server fail the spec instead of
	// hanging the run.
	cfg.Timeout = 30 * time.Second
	scheme := runtime.NewScheme()
	Expect(v1alpha1.AddToScheme(scheme)).To(Succeed())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	Expect(testEnv.CRDs).To(HaveLen(3), "one CRD per kind from config/crd/bases")
})
