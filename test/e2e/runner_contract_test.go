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
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/velostream/velostream/api/v1alpha1"
	"github.com/velostream/velostream/controllers"
	"github.com/velostream/velostream/runner"
	"github.com/velostream/velostream/test/kafkatest"
)

// The runner contract over files: what a controller builds for a
// StreamingQuery is run by `velo runner` as a process.
func TestRunnerRunsWhatTheControllerBuilds(t *testing.T) {
	velo := kafkatest.BuildVelo(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "trades.jsonl")
	out := filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(contractTrades(), "\n")+"\n"), 0o644); err != nil {
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
	r := startRunner(t, velo, dir, v1alpha1.StreamingQuerySpec{SQL: sql})
	r.waitMetrics(t, `velo_query_records_read_total{query="contract"} 500`, `velo_trades_seen_total{query="contract",symbol="S0"} 125`)
	r.stop(t)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 500 {
		t.Errorf("the sink holds %d rows, want 500", n)
	}
}

// The runner contract over Kafka: the query names only topics; the
// StreamingQuery's spec.kafka gives the cluster (the embedded broker as a
// process), which the runner turns into the connector's properties and a
// consumer group. Input and output go through kcat.
func TestRunnerReadsAndWritesKafkaFromSpec(t *testing.T) {
	velo := kafkatest.BuildVelo(t)
	broker := kafkatest.StartBroker(t)
	kafkatest.Produce(t, broker.Addr(), "trades", contractTrades(), kafkatest.ProduceOpts{})
	sql := `-- @metric: trades_seen
-- @metric_labels: symbol
CREATE STREAM priced AS
SELECT symbol, price
FROM trades
WHERE price > 0
WITH ('trades.type' = 'kafka_source', 'trades.topic' = 'trades', 'trades.start' = 'earliest',
      'priced.type' = 'kafka_sink', 'priced.topic' = 'priced');
`
	r := startRunner(t, velo, t.TempDir(), v1alpha1.StreamingQuerySpec{SQL: sql,
		Kafka: &v1alpha1.KafkaConnection{BootstrapServers: broker.Addr()}})
	r.waitMetrics(t, `velo_query_records_read_total{query="contract"} 500`, `velo_trades_seen_total{query="contract",symbol="S0"} 125`)
	r.stop(t)
	if got := kafkatest.Consume(t, broker.Addr(), "priced", 500, 30*time.Second); len(got) != 500 {
		t.Fatalf("the output topic holds %d records, want 500", len(got))
	}
}

// contractTrades are 500 trades over four symbols.
func contractTrades() []string {
	var lines []string
	for i := range 500 {
		lines = append(lines, fmt.Sprintf(`{"symbol":"S%d","price":%d.25,"quantity":%d,"ts":%d}`, i%4, 10+i%9, 1+i%3, 1700000000000+int64(i)*250))
	}
	return lines
}

// runnerProc is `velo runner` started with a runner pod's own arguments.
type runnerProc struct {
	cmd     *exec.Cmd
	base    string
	stderr  *kafkatest.LockedBuffer
	exited  chan error
	stopped bool
}

// startRunner builds the ConfigMap and Deployment a controller makes for a
// StreamingQuery named "contract" and runs the pod's arguments as a process,
// with the mounted config path mapped to a file in dir and the listen
// address moved to loopback.
func startRunner(t *testing.T, velo, dir string, spec v1alpha1.StreamingQuerySpec) *runnerProc {
	t.Helper()
	q := &v1alpha1.StreamingQuery{ObjectMeta: metav1.ObjectMeta{Name: "contract", Namespace: "e2e"}, Spec: spec}
	if _, errs := controllers.CheckSQL(spec.SQL); len(errs) > 0 {
		t.Fatalf("the controller would reject the query: %v", errs)
	}
	inputs := controllers.QueryInputs{Query: q, SQL: spec.SQL, Image: "velostream/velo:test"}
	cm, err := controllers.MakeQueryConfigMap(inputs)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, runner.ConfigKey)
	if err := os.WriteFile(cfgPath, []byte(cm.Data[runner.ConfigKey]), 0o644); err != nil {
		t.Fatal(err)
	}
	dep := controllers.MakeDeployment(inputs, controllers.InputHash(inputs, cm))
	var args []string
	for _, a := range dep.Spec.Template.Spec.Containers[0].Args {
		args = append(args, strings.ReplaceAll(a, runner.ConfigPath, cfgPath))
	}
	args = append(args, "--listen", "127.0.0.1:0")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	r := &runnerProc{cmd: exec.CommandContext(ctx, velo, args...), stderr: &kafkatest.LockedBuffer{}, exited: make(chan error, 1)}
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if !r.stopped {
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	})
	r.base = "http://" + waitFor(t, r.stderr, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`), r.exited)
	eventually(t, "/readyz answers 200", func() bool {
		code, _ := get(r.base + runner.ReadyPath)
		return code == http.StatusOK
	})
	if code, _ := get(r.base + runner.HealthPath); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	return r
}

// waitMetrics waits until /metrics holds every line given.
func (r *runnerProc) waitMetrics(t *testing.T, lines ...string) {
	t.Helper()
	eventually(t, "/metrics shows "+strings.Join(lines, " and "), func() bool {
		_, body := get(r.base + runner.MetricsPath)
		for _, l := range lines {
			if !strings.Contains(body, l) {
				return false
			}
		}
		return true
	})
}

// stop sends SIGTERM, as the kubelet does, and requires exit 0 in time.
func (r *runnerProc) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.exited:
		r.stopped = true
		if err != nil {
			t.Fatalf("velo runner exited with %v after SIGTERM\n%s", err, r.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("velo runner did not stop within 30 s of SIGTERM\n%s", r.stderr.String())
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

// waitFor returns the first submatch of re in the output, failing if the
// process exits first.
func waitFor(t *testing.T, b *kafkatest.LockedBuffer, re *regexp.Regexp, exited chan error) string {
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
