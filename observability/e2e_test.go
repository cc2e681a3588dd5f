//go:build linux

package observability_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/velostream/velostream/test/kafkatest"
)

// waitLimit bounds every wait on a process or on Prometheus: long enough
// for a loaded 2-core machine, short enough that a hang fails the test.
const waitLimit = 90 * time.Second

// proc is a process a test started; t.Cleanup ends it (SIGTERM, then
// SIGKILL), and the kernel kills it if the test binary dies first.
type proc struct {
	cmd    *exec.Cmd
	stderr *kafkatest.LockedBuffer
	done   chan struct{}
	err    error
}

// start runs name with args; stderr is collected and also passed to
// onStderrLine, line by line.
func start(t *testing.T, stdin io.Reader, onStderrLine func(string), name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), stderr: &kafkatest.LockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdin = stdin
	p.cmd.Stdout = io.Discard
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	p.cmd.Stderr = io.MultiWriter(p.stderr, pw)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if onStderrLine != nil {
				onStderrLine(sc.Text())
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		p.err = p.cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				p.cmd.Process.Kill()
				<-p.done
			}
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(name), p.stderr)
		}
	})
	return p
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// sample is one series of a Prometheus instant query.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func promQuery(base, q string) ([]sample, error) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []sample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", q, body.Error)
	}
	return body.Data.Result, nil
}

// waitFor polls Prometheus until q returns exactly one series with value
// want, and returns that series' labels.
func waitFor(t *testing.T, base, q, want string, alive <-chan struct{}) map[string]string {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	var last []sample
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-alive:
			t.Fatalf("velo exited while waiting for %s = %s", q, want)
		default:
		}
		last, lastErr = promQuery(base, q)
		if lastErr == nil && len(last) == 1 && last[0].Value[1] == want {
			return last[0].Metric
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("Prometheus never returned %s = %s within %v; last: %+v %v", q, want, waitLimit, last, lastErr)
	return nil
}

const scrapedQuery = `-- Shares and prices per symbol, served while the query runs.
-- @metric: shares
-- @metric_labels: symbol
-- @metric_field: quantity
-- @metric: last_price
-- @metric_type: gauge
-- @metric_field: price
-- @metric_labels: symbol
SELECT symbol, price, quantity FROM trades;
`

// A real Prometheus server scrapes `velo run --metrics-addr` while velo
// reads trades from standard input, fed in two parts; the test asks
// Prometheus' HTTP API for the annotated metrics after each part.
func TestPrometheusScrapesVeloRun(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus not found: run `make test` (it installs Debian's prometheus package) or hack/install-apt.sh promtool=prometheus")
	}
	velo := kafkatest.BuildVelo(t)
	dir := t.TempDir()
	sqlFile := filepath.Join(dir, "scraped_trades.sql")
	if err := os.WriteFile(sqlFile, []byte(scrapedQuery), 0o644); err != nil {
		t.Fatal(err)
	}

	stdin, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	urlCh := make(chan string, 1)
	v := start(t, stdin, func(line string) {
		if u, ok := strings.CutPrefix(line, "velo: serving metrics at "); ok {
			urlCh <- u
		}
	}, velo, "run", sqlFile, "--source", "trades=-", "--metrics-addr", "127.0.0.1:0")
	var metricsURL string
	select {
	case metricsURL = <-urlCh:
	case <-v.done:
		t.Fatalf("velo exited before serving metrics: %v", v.err)
	case <-time.After(waitLimit):
		t.Fatal("velo printed no metrics address")
	}
	target := strings.TrimSuffix(strings.TrimPrefix(metricsURL, "http://"), "/metrics")

	promAddr := freePort(t)
	cfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(cfg, []byte(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
- job_name: velo
  static_configs:
  - targets: ['`+target+`']
`), 0o644)
	prom := start(t, nil, nil, promBin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	base := "http://" + promAddr
	ready := false
	for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline) && !ready; {
		select {
		case <-prom.done:
			t.Fatalf("prometheus exited: %v", prom.err)
		default:
		}
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			ready = resp.StatusCode == 200
			resp.Body.Close()
		}
		if !ready {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatal("prometheus not ready")
	}

	write := func(lines ...string) {
		for _, l := range lines {
			if _, err := io.WriteString(feed, l+"\n"); err != nil {
				t.Fatalf("feed velo: %v", err)
			}
		}
	}
	write(`{"symbol":"AAPL","price":190.5,"quantity":100}`,
		`{"symbol":"MSFT","price":410.25,"quantity":30}`,
		`{"symbol":"AAPL","price":191,"quantity":200}`)
	labels := waitFor(t, base, `velo_shares_total{symbol="AAPL"}`, "300", v.done)
	want := map[string]string{"__name__": "velo_shares_total", "job": "velo", "instance": target, "query": "scraped-trades", "symbol": "AAPL"}
	if fmt.Sprint(labels) != fmt.Sprint(want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	waitFor(t, base, `velo_last_price{symbol="MSFT"}`, "410.25", v.done)

	// The query is still running: more input moves the same series.
	write(`{"symbol":"AAPL","price":189.75,"quantity":50}`, `{"symbol":"MSFT","price":411,"quantity":70}`)
	waitFor(t, base, `velo_shares_total{symbol="AAPL"}`, "350", v.done)
	waitFor(t, base, `velo_shares_total{symbol="MSFT"}`, "100", v.done)
	waitFor(t, base, `velo_last_price{symbol="AAPL"}`, "189.75", v.done)
	waitFor(t, base, `velo_query_records_read_total{query="scraped-trades"}`, "5", v.done)
	waitFor(t, base, `velo_query_records_emitted_total{query="scraped-trades"}`, "5", v.done)

	// End of input: velo finishes cleanly.
	feed.Close()
	select {
	case <-v.done:
		if v.err != nil {
			t.Fatalf("velo run: %v", v.err)
		}
	case <-time.After(waitLimit):
		t.Fatal("velo did not exit after its input ended")
	}
}

// `velo generate` writes the golden files the generate package pins, and
// refuses bad annotations with positioned errors.
func TestVeloGenerate(t *testing.T) {
	velo := kafkatest.BuildVelo(t)
	out := t.TempDir()
	cmd := exec.Command(velo, "generate", filepath.Join("testdata", "trade_volume.sql"), "--out", out,
		"--namespace", "trading", "--label", "release=kube-prometheus-stack")
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("velo generate: %v\n%s", err, stderrOf(err))
	}
	golden := filepath.Join("testdata", "golden", "trade_volume")
	entries, err := os.ReadDir(golden)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(stdout), "\n"); n != len(entries) {
		t.Errorf("velo generate listed %d files, golden has %d:\n%s", n, len(entries), stdout)
	}
	for _, e := range entries {
		want, _ := os.ReadFile(filepath.Join(golden, e.Name()))
		got, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Errorf("%s not written: %v", e.Name(), err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s", e.Name(), filepath.Join(golden, e.Name()))
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.sql")
	os.WriteFile(bad, []byte("-- @metric: price_now\n-- @metric_type: gauge\nSELECT symbol, price FROM 'file:trades.jsonl';\n"), 0o644)
	cmd = exec.Command(velo, "generate", bad, "--out", filepath.Join(t.TempDir(), "none"))
	_, err = cmd.Output()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("velo generate on bad annotations: %v", err)
	}
	msg := string(ee.Stderr)
	if !strings.Contains(msg, bad+`:1:13: gauge "price_now" needs @metric_field: the column it sets`) || !strings.Contains(msg, "^^^^^^^^^") {
		t.Errorf("stderr:\n%s", msg)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
