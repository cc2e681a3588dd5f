package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/engine"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/observability"
	"github.com/velostream/velostream/observability/annotations"
	"github.com/velostream/velostream/observability/generate"
)

func init() { register(newGenerateCmd) }

type generateFlags struct {
	out       string
	name      string
	namespace string
	labels    []string
	port      string
	interval  string
}

func newGenerateCmd() *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate FILE.sql --out DIR",
		Short: "Write the Kubernetes objects of a query: StreamingQuery, ServiceMonitor, Prometheus rules, Grafana dashboard",
		Long: `generate reads a query's @metric, @alert and @viz annotations and writes:

  streamingquery.yaml       the velostream.io/v1alpha1 StreamingQuery that deploys
                            the query through the operator (its SQL as written)
  servicemonitor.yaml       a monitoring.coreos.com/v1 ServiceMonitor scraping the
                            query's Service (selected by velostream.io/query: NAME)
  prometheusrule.yaml       a PrometheusRule: recording rules (counter rates,
                            histogram means and quantiles) and an alert per @alert
  prometheus-rules.yml      the same rules as a plain Prometheus rule file
  dashboard.json            a Grafana dashboard: engine health and a panel per metric
  dashboard-configmap.yaml  that dashboard in a ConfigMap labelled
                            grafana_dashboard: "1" (Grafana's sidecar picks it up)

The rule files are left out when the query has no @metric.

Every series of a query carries query=NAME. NAME defaults to the stream a
CREATE STREAM ... AS SELECT writes, else the file's base name, as a
Kubernetes name; ` + "`velo run --metrics-addr`" + ` uses the same default, so the
rules and the dashboard match what it serves. The SQL and its annotations
are checked first; errors print like ` + "`velo validate`" + `'s and nothing is written.`,
		Example: `  velo generate examples/trades_per_minute.sql --out deploy/
  velo generate q.sql --out out/ --name trades --namespace trading --label release=kube-prometheus-stack`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGenerate(cmd, args[0], f)
		},
	}
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "directory to write the files to (created if missing)")
	cmd.Flags().StringVar(&f.name, "name", "", "query name (a DNS-1123 label); default from the SQL or the file name")
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace of the Kubernetes objects (default: none, kubectl -n decides)")
	cmd.Flags().StringArrayVar(&f.labels, "label", nil, "add a label KEY=VALUE to every object (repeatable)")
	cmd.Flags().StringVar(&f.port, "port", "metrics", "name of the Service port that serves /metrics")
	cmd.Flags().StringVar(&f.interval, "interval", "15s", "scrape interval")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runGenerate(cmd *cobra.Command, file string, f generateFlags) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return exitCode(2, err)
	}
	src := string(b)
	q, errs := engine.Check(src)
	if len(errs) == 0 {
		var spec *annotations.Spec
		spec, errs = annotations.FromQuery(q)
		if len(errs) == 0 {
			return writeGenerated(cmd, file, src, q, spec, f)
		}
	}
	fmt.Fprint(cmd.ErrOrStderr(), diag.RenderAll(file, src, errs))
	return exitCode(1, errReported)
}

func writeGenerated(cmd *cobra.Command, file, src string, q *plan.Query, spec *annotations.Spec, f generateFlags) error {
	name := f.name
	if name == "" {
		name = observability.QueryName(q, file)
	} else if observability.DNSLabel(name) != name {
		return exitCode(2, fmt.Errorf("--name %q is not a Kubernetes name (lower case letters, digits and '-'); e.g. %q", name, observability.DNSLabel(name)))
	}
	labels := map[string]string{}
	for _, l := range f.labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return exitCode(2, fmt.Errorf("--label %q: want KEY=VALUE", l))
		}
		labels[k] = v
	}
	files, err := generate.Files(spec, generate.Target{SQL: src, Name: name, Namespace: f.namespace, Labels: labels, Port: f.port, Interval: f.interval})
	if err != nil {
		return exitCode(1, err)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return exitCode(1, err)
	}
	for _, gf := range files {
		path := filepath.Join(f.out, gf.Name)
		if err := os.WriteFile(path, gf.Data, 0o644); err != nil {
			return exitCode(1, err)
		}
		fmt.Fprintln(cmd.OutOrStdout(), path)
	}
	if len(spec.Metrics) == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "velo: %s has no @metric annotations: no rule files; the dashboard shows the engine's series only\n", file)
	}
	return nil
}
