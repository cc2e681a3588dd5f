// Package e2e holds tests that cross process boundaries between the
// operator's pieces: the runner configuration a controller builds is run by
// `velo runner` as a real process, with the arguments the runner pod gets.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/runner"
	"github.com/velostream/velostream/test/kafkatest"
)

// The Kafka connectors are not built yet, so the contract runs over files,
// as the operator issue allows; the Kafka connection's mapping to connector
// properties is tested as a pure function in package runner.
func TestRunnerRunsWhatTheControllerBuilds(t *testing.T) {
	velo := kafkatest.BuildVelo(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "trades.jsonl")
	out := filepath.Join(dir, "out.jsonl")
	var data strings.Builder
	for i := range 500 {
		fmt.Fprintf(&data, `{"symbol":"S%d","price":%d.25,"quantity":%d,"ts":%d}`+"\n", i%4, 10+i%9, 1+i%3, 1700000000000+int64(i)*250)
	}
	if err := os.WriteFile(in, []byte(data.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sql := fmt.Sprintf(`-- @metric: trades_seen
-- @metric_labels: symbol
CREATE STREAM priced AS
SELECT symbol, price
FROM trades
WHERE price > 0
WITH ('trades.type' = 'file_source', 'trades.path' = '%s',
      'priced.type' = 'file_sink', 'priced.path' = '%s');
`, in, out)
	q := &v1alpha1.StreamingQuery{
		ObjectMeta: metav1.ObjectMeta{Name: "contract", Namespace: "e2e"},
		Spec:       v1alpha1.StreamingQuerySpec{SQL: sql},
	}
	if _, errs := controllers.CheckSQL(sql); len(errs) > 0 {
		t.Fatalf("the controller would reject the query: %v", errs)
	}
	inputs := controllers.QueryInputs{Query: q, SQL: sql, Image: "velostream/velo:test"}
	cm, err := controllers.MakeQueryConfigMap(inputs)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, runner.ConfigKey)
	if err := os.WriteFile(cfgPath, []byte(cm.Data[runner.ConfigKey]), 0o644); err != nil {
		t.Fatal(err)
	}

	// The pod's own arguments, with the mounted path mapped to the file
	// here, and the listen address moved to loopback.
	dep := controllers.MakeDeployment(inputs, controllers.InputHash(inputs, cm))
	var args []string
	for _, a := range dep.Spec.Template.Spec.Containers[0].Args {
		args = append(args, strings.ReplaceAll(a, runner.ConfigPath, cfgPath))
	}
	args = append(args, "--listen", "127.0.0.1:0")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, velo, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr := &lineBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false // set once exited has been received
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	addr := stderr.waitFor(t, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`), exited)
	base := "http://" + addr
	eventually(t, "/readyz answers 200", func() bool {
		code, _ := get(base + runner.ReadyPath)
		return code == http.StatusOK
	})
	eventually(t, "/metrics counts every record", func() bool {
		_, body := get(base + runner.MetricsPath)
		return strings.Contains(body, `velo_query_records_read_total{query="contract"} 500`) &&
			strings.Contains(body, `velo_trades_seen_total{query="contract",symbol="S0"} 125`)
	})
	if code, _ := get(base + runner.HealthPath); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}

	// The kubelet stops a pod with SIGTERM: the runner exits 0 within the
	// shutdown budget the Deployment gives it.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("velo runner exited with %v after SIGTERM\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("velo runner did not stop within 30 s of SIGTERM\n%s", stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 500 {
		t.Errorf("the sink holds %d rows, want 500", n)
	}
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// lineBuffer collects a process's standard error while tests read it.
type lineBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor returns the first submatch of re in the output, failing if the
// process exits first.
func (b *lineBuffer) waitFor(t *testing.T, re *regexp.Regexp, exited chan error) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		sc := bufio.NewScanner(strings.NewReader(b.String()))
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				return m[1]
			}
		}
		select {
		case err := <-exited:
			// Put it back for the cleanup, which waits on it.
			exited <- err
			t.Fatalf("velo runner exited (%v) before serving:\n%s", err, b.String())
		case <-deadline:
			t.Fatalf("velo runner never logged its address:\n%s", b.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
