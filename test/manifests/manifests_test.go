// Package manifests checks what users install: the kustomize bases under
// config/ and the Helm chart under charts/velostream. It renders them with
// the real tools (kubectl kustomize, helm from bin/), validates every object
// offline with kubeconform against JSON schemas generated here from our CRDs
// (and prometheus-operator's, for the optional ServiceMonitor), decodes the
// built-in kinds strictly with client-go's types, and checks that the
// chart's copies of the CRDs and RBAC rules match config/, that the samples'
// SQL compiles as the operator will compile it, and that every pod is
// hardened.
package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
)

// kubeVersion is the cluster version charts are rendered for: the one
// envtest runs (hack/tools.versions).
const kubeVersion = "1.37.2"

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// tool finds a binary the Makefile builds into bin/ (or kubectl on PATH).
// A missing tool fails the test: skipping would let CI pass unchecked.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p := filepath.Join(root(t), "bin", name); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("%s not found in bin/ or on PATH: run `make test-manifests` (it builds helm and kubeconform with hack/tools.sh)", name)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = root(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// rendering is one way users install the operator.
type rendering struct {
	name string
	yaml []byte
}

func renderings(t *testing.T) []rendering {
	t.Helper()
	kubectl := tool(t, "kubectl")
	helm := tool(t, "helm")
	helmTemplate := func(args ...string) []byte {
		base := []string{"template", "rel", "charts/velostream", "--namespace", "velostream-system", "--kube-version", kubeVersion, "--include-crds"}
		return run(t, helm, append(base, args...)...)
	}
	return []rendering{
		{"kustomize config/default", run(t, kubectl, "kustomize", "config/default")},
		{"kustomize config/samples", run(t, kubectl, "kustomize", "config/samples")},
		{"helm defaults", helmTemplate()},
		{"helm one namespace, ServiceMonitor", helmTemplate("--set", "operator.watchNamespace=team-a", "--set", "monitoring.serviceMonitor.enabled=true",
			"--set", "monitoring.serviceMonitor.labels.release=kps")},
		{"helm no leader election, own service account", helmTemplate("--set", "operator.leaderElection=false",
			"--set", "serviceAccount.create=false", "--set", "serviceAccount.name=existing", "--set", "runner.image=registry.example/velo:runner")},
		{"helm with the Studio", helmTemplate("--set", "studio.enabled=true")},
	}
}

func TestHelmLint(t *testing.T) {
	out := run(t, tool(t, "helm"), "lint", "--strict", "charts/velostream", "--kube-version", kubeVersion)
	if !bytes.Contains(out, []byte("0 chart(s) failed")) {
		t.Fatalf("helm lint:\n%s", out)
	}
}

// TestKubeconform validates every rendered object: custom kinds against
// schemas generated from their CRDs (unknown fields rejected), built-in
// kinds by a strict decode into client-go's types, since no built-in
// schemas can be downloaded here.
func TestKubeconform(t *testing.T) {
	kubeconform := tool(t, "kubeconform")
	schemas := t.TempDir()
	crdDirs := []string{
		filepath.Join(root(t), "config", "crd", "bases"),
		filepath.Join(root(t), "controllers", "testdata", "crds", "monitoring"),
	}
	for _, dir := range crdDirs {
		writeSchemas(t, dir, schemas)
	}
	for _, r := range renderings(t) {
		t.Run(r.name, func(t *testing.T) {
			results := kubeconformRun(t, kubeconform, schemas, r.yaml)
			docs := documents(t, r.yaml)
			if len(docs) == 0 {
				t.Fatal("nothing rendered")
			}
			custom := 0
			for _, u := range docs {
				gvk := u.GroupVersionKind()
				if isBuiltIn(gvk.Group) {
					strictDecode(t, u)
					continue
				}
				custom++
				st := results[u.GetKind()+"/"+u.GetName()]
				if st != "statusValid" {
					t.Errorf("%s %s: kubeconform says %q: only objects of our CRDs and prometheus-operator's are expected, and they must validate", gvk, u.GetName(), st)
				}
			}
			for k, st := range results {
				if st == "statusInvalid" || st == "statusError" {
					t.Errorf("%s: %s", k, st)
				}
			}
			t.Logf("%d objects, %d validated against CRD schemas", len(docs), custom)
		})
	}
}

// The schemas must catch mistakes, or the check above proves nothing.
func TestKubeconformRejectsBadObjects(t *testing.T) {
	kubeconform := tool(t, "kubeconform")
	schemas := t.TempDir()
	writeSchemas(t, filepath.Join(root(t), "config", "crd", "bases"), schemas)
	tests := []struct{ name, doc string }{
		{"unknown field", "apiVersion: velostream.io/v1alpha1\nkind: StreamingQuery\nmetadata: {name: q}\nspec: {sql: SELECT 1, replica: 2}\n"},
		{"wrong type", "apiVersion: velostream.io/v1alpha1\nkind: StreamingQuery\nmetadata: {name: q}\nspec: {sql: SELECT 1, replicas: two}\n"},
		{"bad enum", "apiVersion: velostream.io/v1alpha1\nkind: StreamingQuery\nmetadata: {name: q}\nspec: {sql: SELECT 1, kafka: {bootstrapServers: k, sasl: {mechanism: GSSAPI}}}\n"},
		{"bad cell name", "apiVersion: velostream.io/v1alpha1\nkind: Notebook\nmetadata: {name: nb}\nspec: {cells: [{name: Not_DNS, sql: SELECT 1}]}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := kubeconformRun(t, kubeconform, schemas, []byte(tt.doc))
			for k, st := range results {
				if st != "statusInvalid" {
					t.Errorf("%s: %s, want statusInvalid", k, st)
				}
			}
			if len(results) != 1 {
				t.Errorf("results = %v", results)
			}
		})
	}
}

// kubeconformRun validates a stream and returns each object's status by
// kind/name.
func kubeconformRun(t *testing.T, kubeconform, schemas string, stream []byte) map[string]string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(in, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kubeconform, "-strict", "-ignore-missing-schemas", "-output", "json", "-verbose",
		"-schema-location", filepath.Join(schemas, "{{ .Group }}", "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"), in)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("kubeconform: %v", err)
	}
	var report struct {
		Resources []struct {
			Kind, Name, Status, Msg string
		}
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("kubeconform output: %v\n%s", err, out)
	}
	results := map[string]string{}
	for _, r := range report.Resources {
		results[r.Kind+"/"+r.Name] = r.Status
		if r.Status == "statusInvalid" || r.Status == "statusError" {
			t.Logf("kubeconform: %s/%s: %s", r.Kind, r.Name, r.Msg)
		}
	}
	return results
}

// writeSchemas turns each CRD version's OpenAPI schema into the JSON
// schema file kubeconform looks up, the way kubeconform's
// openapi2jsonschema.py does: objects with properties refuse unknown ones
// (as the API server prunes them), at the root too.
func writeSchemas(t *testing.T, crdDir, out string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in %s: %v", crdDir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(b, crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, v := range crd.Spec.Versions {
			raw, err := json.Marshal(v.Schema.OpenAPIV3Schema)
			if err != nil {
				t.Fatal(err)
			}
			var schema map[string]any
			if err := json.Unmarshal(raw, &schema); err != nil {
				t.Fatal(err)
			}
			closeObjects(schema)
			dir := filepath.Join(out, crd.Spec.Group)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			js, err := json.MarshalIndent(schema, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s_%s.json", strings.ToLower(crd.Spec.Names.Kind), v.Name)
			if err := os.WriteFile(filepath.Join(dir, name), js, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// closeObjects sets additionalProperties: false on every object schema
// that lists its properties and keeps no unknown fields on purpose.
func closeObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		_, hasProps := v["properties"]
		_, hasAdditional := v["additionalProperties"]
		preserve, _ := v["x-kubernetes-preserve-unknown-fields"].(bool)
		if hasProps && !hasAdditional && !preserve {
			v["additionalProperties"] = false
		}
		for _, x := range v {
			closeObjects(x)
		}
	case []any:
		for _, x := range v {
			closeObjects(x)
		}
	}
}

func documents(t *testing.T, stream []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(stream), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("decode rendered YAML: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
}

func isBuiltIn(group string) bool {
	return group != v1alpha1.GroupVersion.Group && group != "monitoring.coreos.com"
}

var strictCodec = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme(), scheme(),
	kjson.SerializerOptions{Yaml: false, Strict: true})

func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// strictDecode decodes a built-in object into its client-go type, failing
// on unknown or duplicate fields and on kinds client-go does not know.
func strictDecode(t *testing.T, u *unstructured.Unstructured) runtime.Object {
	t.Helper()
	b, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := strictCodec.Decode(b, nil, nil)
	if err != nil {
		t.Errorf("%s %s: %v", u.GroupVersionKind(), u.GetName(), err)
	}
	return obj
}

// Every pod the chart and kustomize install (the operator's, the optional
// Studio's) runs hardened.
func TestOperatorPodsAreHardened(t *testing.T) {
	for _, r := range renderings(t) {
		for _, u := range documents(t, r.yaml) {
			if u.GetKind() != "Deployment" {
				continue
			}
			d := strictDecode(t, u).(*appsv1.Deployment)
			pod := d.Spec.Template.Spec
			if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
				pod.SecurityContext.SeccompProfile == nil || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: %s: pod security context %+v", r.name, d.Name, pod.SecurityContext)
			}
			for _, c := range pod.Containers {
				sc := c.SecurityContext
				if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
					sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
					sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
					t.Errorf("%s: %s/%s: container security context %+v", r.name, d.Name, c.Name, sc)
				}
				if c.LivenessProbe == nil || c.ReadinessProbe == nil || c.Resources.Limits.Memory().IsZero() {
					t.Errorf("%s: %s/%s: probes or memory limit missing", r.name, d.Name, c.Name)
				}
				if c.Args[0] != "operator" && c.Args[0] != "studio" {
					t.Errorf("%s: %s/%s: args %v", r.name, d.Name, c.Name, c.Args)
				}
			}
		}
	}
}

// The chart can only read files inside itself, so it holds copies of the
// CRDs and of the generated RBAC rules; hack/sync-chart.sh refreshes them.
func TestChartCopiesMatchConfig(t *testing.T) {
	dir := root(t)
	bases, err := filepath.Glob(filepath.Join(dir, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(bases) == 0 {
		t.Fatal("no CRDs in config/crd/bases")
	}
	copies, _ := filepath.Glob(filepath.Join(dir, "charts", "velostream", "crds", "*.yaml"))
	if len(copies) != len(bases) {
		t.Errorf("the chart has %d CRDs, config/crd/bases %d: run hack/sync-chart.sh", len(copies), len(bases))
	}
	for _, f := range bases {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(dir, "charts", "velostream", "crds", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("charts/velostream/crds/%s differs from config/crd/bases: run hack/sync-chart.sh", filepath.Base(f))
		}
	}

	b, err := os.ReadFile(filepath.Join(dir, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(b, role); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(filepath.Join(dir, "charts", "velostream", "files", "manager-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules []rbacv1.PolicyRule
	if err := yaml.UnmarshalStrict(b, &rules); err != nil {
		t.Fatal(err)
	}
	if !equalJSON(t, rules, role.Rules) {
		t.Error("charts/velostream/files/manager-rules.yaml differs from config/rbac/role.yaml: run hack/sync-chart.sh")
	}

	// And the chart renders exactly those rules.
	for _, u := range documents(t, renderings(t)[2].yaml) {
		if u.GetKind() != "ClusterRole" {
			continue
		}
		cr := strictDecode(t, u).(*rbacv1.ClusterRole)
		if !equalJSON(t, cr.Rules, role.Rules) {
			t.Errorf("the chart's ClusterRole %s has other rules than config/rbac/role.yaml", cr.Name)
		}
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(x, y)
}

// The samples are what a new user applies first: their SQL must compile as
// the operator compiles it, and the notebook must be the brief's.
func TestSamplesCompile(t *testing.T) {
	out := run(t, tool(t, "kubectl"), "kustomize", "config/samples")
	kinds := map[string]int{}
	for _, u := range documents(t, out) {
		kinds[u.GetKind()]++
		b, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		switch u.GetKind() {
		case v1alpha1.StreamingQueryKind:
			q := &v1alpha1.StreamingQuery{}
			if err := json.Unmarshal(b, q); err != nil {
				t.Fatal(err)
			}
			if _, errs := controllers.CheckSQL(q.Spec.SQL); len(errs) > 0 {
				t.Errorf("StreamingQuery %s: %v", q.Name, errs)
			}
		case v1alpha1.NotebookKind:
			nb := &v1alpha1.Notebook{}
			if err := json.Unmarshal(b, nb); err != nil {
				t.Fatal(err)
			}
			deployed, metrics, alerts := 0, 0, 0
			for _, c := range nb.Spec.Cells {
				checked, errs := controllers.CheckSQL(c.SQL)
				if len(errs) > 0 {
					t.Errorf("Notebook %s cell %s: %v", nb.Name, c.Name, errs)
					continue
				}
				if c.Deploy {
					deployed++
					metrics += len(checked.Spec.Metrics)
					alerts += len(checked.Spec.Alerts)
				}
			}
			// The brief's deploy summary: 2 jobs, 3 @metrics, 1 @alert.
			if nb.Spec.Title != "Trading Analytics" || deployed != 2 || metrics != 3 || alerts != 1 {
				t.Errorf("notebook %q deploys %d cells with %d metrics and %d alerts, want the brief's 2, 3, 1", nb.Spec.Title, deployed, metrics, alerts)
			}
			if dash, err := controllers.MakeNotebookDashboard(nb); err != nil || dash == nil {
				t.Errorf("no dashboard for the notebook: %v", err)
			}
		}
	}
	if kinds[v1alpha1.StreamingQueryKind] != 1 || kinds[v1alpha1.NotebookKind] != 1 {
		t.Errorf("samples = %v, want one StreamingQuery and one Notebook", kinds)
	}
}

// An overlay that sets the image, following docs/operator.md (the images
// entry plus config/default's replacement, which must run after the
// overlay's images transformer), hands the same image to the runners.
func TestKustomizeImageReachesTheRunners(t *testing.T) {
	overlay := filepath.Join(root(t), "config", "default")
	b, err := os.ReadFile(filepath.Join(overlay, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, replacement, ok := strings.Cut(string(b), "\nreplacements:\n")
	if !ok {
		t.Fatal("config/default has no replacements block")
	}
	dir := t.TempDir()
	rel, err := filepath.Rel(dir, overlay)
	if err != nil {
		t.Fatal(err)
	}
	k := fmt.Sprintf("resources:\n- %s\nimages:\n- name: velostream/velo\n  newName: registry.example/velo\n  newTag: v9.9.9\nreplacements:\n%s", rel,
		strings.ReplaceAll(replacement, "name: controller-manager", "name: velostream-controller-manager"))
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{overlay, "velostream/velo:latest"},
		{dir, "registry.example/velo:v9.9.9"},
	} {
		out := run(t, tool(t, "kubectl"), "kustomize", tc.dir)
		found := false
		for _, u := range documents(t, out) {
			if u.GetKind() != "Deployment" {
				continue
			}
			d := strictDecode(t, u).(*appsv1.Deployment)
			c := d.Spec.Template.Spec.Containers[0]
			for _, e := range c.Env {
				if e.Name == "VELO_RUNNER_IMAGE" {
					found = true
					if e.Value != tc.want || c.Image != tc.want {
						t.Errorf("%s: image %q, VELO_RUNNER_IMAGE %q, want both %q", tc.dir, c.Image, e.Value, tc.want)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no VELO_RUNNER_IMAGE in the operator Deployment", tc.dir)
		}
	}
}
