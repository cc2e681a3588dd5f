package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// startStudio runs `velo studio args...` until the test ends and returns
// its URL (read from the line it prints when ready).
func startStudio(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	root := NewRoot()
	root.SetArgs(append([]string{"studio", "--addr", "127.0.0.1:0", "--log-level", "error"}, args...))
	root.SetOut(pw)
	var stderr strings.Builder
	root.SetErr(&stderr)
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.Close()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("velo studio: %v\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("velo studio did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "velo studio listening on ")
	if !ok {
		t.Fatalf("ready line %q", line)
	}
	return url
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// velo studio --demo serves the API with the demo streams and the sample
// notebook, the MCP server at /mcp, and a page at /.
func TestStudioDemo(t *testing.T) {
	dir := t.TempDir()
	url := startStudio(t, "--demo", "--dir", dir)
	var nbs struct {
		Notebooks []struct{ Name, Title string }
	}
	getJSON(t, url+"/api/v1/notebooks", &nbs)
	if len(nbs.Notebooks) != 1 || nbs.Notebooks[0].Name != "trading-analytics" || nbs.Notebooks[0].Title != "Trading Analytics" {
		t.Fatalf("notebooks %+v", nbs)
	}
	if _, err := os.Stat(filepath.Join(dir, "trading-analytics.yaml")); err != nil {
		t.Error(err)
	}
	var streams struct{ Streams []struct{ Name string } }
	getJSON(t, url+"/api/v1/streams", &streams)
	if len(streams.Streams) != 4 {
		t.Errorf("streams %+v", streams)
	}
	var info struct {
		Kafka     string `json:"kafka"`
		Assistant string `json:"assistant"`
	}
	getJSON(t, url+"/api/v1/info", &info)
	if !strings.HasPrefix(info.Kafka, "127.0.0.1:") || info.Assistant == "" {
		t.Errorf("info %+v", info)
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("UI: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "v0"}, nil).Connect(ctx, &sdk.StreamableClientTransport{Endpoint: url + "/mcp", MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 8 {
		t.Fatalf("tools over /mcp: %v %d", err, len(tools.Tools))
	}
}

// The sample notebook is added once: a user's edit survives a restart.
func TestStudioDemoKeepsAnEditedSample(t *testing.T) {
	dir := t.TempDir()
	edited := "apiVersion: velostream.io/v1alpha1\nkind: Notebook\nmetadata:\n  name: trading-analytics\nspec:\n  title: Mine now\n  cells:\n  - name: a\n    sql: SELECT symbol FROM trades\n"
	os.WriteFile(filepath.Join(dir, "trading-analytics.yaml"), []byte(edited), 0o644)
	startStudio(t, "--demo", "--dir", dir)
	if b, _ := os.ReadFile(filepath.Join(dir, "trading-analytics.yaml")); string(b) != edited {
		t.Errorf("the edited sample was replaced:\n%s", b)
	}
}

func TestStudioFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"studio", "--demo", "--kafka", "127.0.0.1:1", "--addr", "127.0.0.1:0"},
		{"studio", "--notebooks", "cluster", "--addr", "127.0.0.1:0"},
		{"studio", "--notebooks", "somewhere", "--addr", "127.0.0.1:0"},
		{"studio", "--log-level", "loud", "--addr", "127.0.0.1:0"},
		{"studio", "--addr", "nope:nope"},
	} {
		_, errOut, code := run(t, "", args...)
		if code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
}

// velo mcp speaks MCP on stdin/stdout and writes nothing else to stdout.
func TestMCPOverStdio(t *testing.T) {
	// Anything written to the process's real stdout would corrupt the
	// protocol stream: catch it.
	realStdout := os.Stdout
	stray, strayW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout = strayW
	defer func() { os.Stdout = realStdout }()
	strayCh := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(stray); strayCh <- b }()

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	root := NewRoot()
	root.SetArgs([]string{"mcp", "--demo", "--dir", t.TempDir(), "--log-level", "debug"})
	root.SetIn(inR)
	root.SetOut(outW)
	var stderr strings.Builder
	root.SetErr(&stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); outW.Close() }()

	cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer ccancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "v0"}, nil).Connect(cctx, &sdk.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	res, err := cs.CallTool(cctx, &sdk.CallToolParams{Name: "list_streams", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("list_streams: %v %+v", err, res)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if !strings.Contains(string(raw), `"name":"customers"`) {
		t.Errorf("list_streams %s", raw)
	}
	cs.Close()
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("velo mcp: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("velo mcp did not stop when its client left")
	}
	os.Stdout = realStdout
	strayW.Close()
	if b := <-strayCh; len(b) > 0 {
		t.Errorf("velo mcp wrote to stdout outside the protocol: %q", b)
	}
	if !strings.Contains(stderr.String(), "studio ready") {
		t.Errorf("logs did not go to stderr: %q", stderr.String())
	}
}

// velo studio with a cluster (envtest): notebooks are Notebook objects,
// the sample is created there, and Deploy applies.
func TestStudioInACluster(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: export KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh | tail -1)")
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	user, err := env.AddUser(envtest.User{Name: "studio", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kubeconfig, kc, 0o600)

	url := startStudio(t, "--demo", "--kubeconfig", kubeconfig, "--notebooks", "cluster", "--namespace", "default")
	var info struct {
		Cluster   bool   `json:"cluster"`
		Namespace string `json:"namespace"`
		Notebooks string `json:"notebooks"`
	}
	getJSON(t, url+"/api/v1/info", &info)
	if !info.Cluster || info.Namespace != "default" || info.Notebooks != "Notebook objects in namespace default" {
		t.Fatalf("info %+v", info)
	}
	var nb struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Cells   []struct{ Name string }
	}
	getJSON(t, url+"/api/v1/notebooks/trading-analytics", &nb)
	if len(nb.Cells) != 5 || nb.Version == "" {
		t.Fatalf("sample notebook %+v", nb)
	}
	body := strings.NewReader(`{"notebook": "trading-analytics", "dryRun": false}`)
	resp, err := http.Post(url+"/api/v1/deploy", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var plan struct {
		Applied bool `json:"applied"`
		Summary struct{ Queries, Metrics, Alerts int }
		Objects []struct{ Kind, Action string }
	}
	json.NewDecoder(resp.Body).Decode(&plan)
	if resp.StatusCode != 200 || !plan.Applied || plan.Summary.Queries != 2 || plan.Summary.Metrics != 3 || plan.Summary.Alerts != 1 || plan.Objects[0].Action != "configured" {
		t.Errorf("deploy: %d %+v", resp.StatusCode, plan)
	}
}
