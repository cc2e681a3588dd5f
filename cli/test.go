package cli

import (
	"errors"
	"fmt"
	"github.com/velostream/velostream/assistant/explain"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/testkit"
	"github.com/velostream/velostream/testkit/report"
	"github.com/velostream/velostream/testkit/schema"
	"github.com/velostream/velostream/testkit/spec"
)

func init() { register(newTestCmd) }

type testFlags struct {
	schemas     []string
	spec        string
	records     int64
	seed        int64
	output      string
	ai          bool
	printSchema bool
}

func newTestCmd() *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test FILE.sql",
		Short: "Test a query on synthetic data, with assertions and failure analysis",
		Long: `test runs FILE.sql on generated data and checks its output.

Each source's records come from a schema file (--schema NAME=FILE.yaml, or
schemas: in the spec); a source without one gets a schema inferred from how
the query uses it (see it with --print-schema, save it and refine it).
Assertions come from the spec (FILE.test.yaml next to FILE.sql, or --spec)
and from -- @assert: lines in the SQL; without any, the defaults run
(record_count > 0, no_nulls on the group keys, execution_time < 1000ms).
A failed test is explained from the data: join keys that never meet, a WHERE
that removes every row, windows that never close, NULLs in the output.

Exit status: 0 when every assertion passes, 1 when one fails, 2 for a usage,
SQL, spec or schema error. See docs/testing.md.`,
		Example: `  velo test examples/test/trades.sql --records 10000
  velo test query.sql --schema trades=trades.schema.yaml --seed 7 --output junit > report.xml
  velo test query.sql --print-schema > trades.schema.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.schemas, "schema", nil, "schema of a source: NAME=FILE.yaml (repeatable)")
	fl.StringVar(&f.spec, "spec", "", "test spec (default: FILE.test.yaml next to FILE.sql, if present)")
	fl.Int64Var(&f.records, "records", 0, "records per source (default: the spec's, else 10000)")
	fl.Int64Var(&f.seed, "seed", 0, "random seed (default: the spec's, else 42)")
	fl.StringVar(&f.output, "output", "text", "report format: text, json or junit")
	fl.BoolVar(&f.ai, "ai", false, "also ask the configured AI provider to explain a failure")
	fl.BoolVar(&f.printSchema, "print-schema", false, "print the schemas of the test's sources (inferred ones included) and exit")
	return cmd
}

// renderProblems prints input problems with carets and returns exit code 2.
func renderProblems(w io.Writer, err error) error {
	var te *testkit.Error
	if errors.As(err, &te) {
		fmt.Fprint(w, te.Problems.Render())
		return exitCode(2, errReported)
	}
	return exitCode(2, err)
}

func runTest(cmd *cobra.Command, file string, f testFlags) error {
	switch f.output {
	case "text", "json", "junit":
	default:
		return exitCode(2, fmt.Errorf("unknown --output %q (use text, json or junit)", f.output))
	}
	if f.records < 0 {
		return exitCode(2, fmt.Errorf("--records must not be negative"))
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return exitCode(2, err)
	}
	opts := testkit.Options{File: file, SQL: string(src), Records: f.records, AI: f.ai, Schemas: map[string]*schema.Schema{}}
	if f.ai {
		ex, err := explain.FromEnv(os.Getenv)
		if err != nil {
			return exitCode(2, fmt.Errorf("--ai: %w", err))
		}
		opts.Explainer = ex
	}
	if cmd.Flags().Changed("seed") {
		opts.Seed, opts.HasSeed = uint64(f.seed), true
	}
	for _, s := range f.schemas {
		name, path, ok := strings.Cut(s, "=")
		if !ok || name == "" || path == "" {
			return exitCode(2, fmt.Errorf("--schema %q: want NAME=FILE.yaml, e.g. trades=trades.schema.yaml", s))
		}
		sc, err := testkit.LoadSchema(name, path)
		if err != nil {
			return renderProblems(cmd.ErrOrStderr(), err)
		}
		opts.Schemas[name] = sc
	}
	specPath := f.spec
	if specPath == "" {
		if p := spec.PathFor(file); fileExists(p) {
			specPath = p
		}
	}
	if specPath != "" {
		sp, err := testkit.LoadSpec(specPath)
		if err != nil {
			return renderProblems(cmd.ErrOrStderr(), err)
		}
		opts.Spec = sp
	}
	t, err := testkit.Prepare(opts)
	if err != nil {
		return renderProblems(cmd.ErrOrStderr(), err)
	}
	if f.printSchema {
		printSchemas(cmd.OutOrStdout(), t)
		return nil
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var bar *progressBar
	if f.output == "text" && isTerminal(cmd.ErrOrStderr()) {
		bar = startProgress(cmd.ErrOrStderr(), t)
	}
	rep, err := t.Run(ctx)
	bar.stop()
	if err != nil {
		return exitCode(2, err)
	}
	out := cmd.OutOrStdout()
	switch f.output {
	case "json":
		_, err = out.Write(report.JSON(rep))
	case "junit":
		_, err = out.Write(report.JUnit(rep))
	default:
		_, err = io.WriteString(out, report.Text(rep))
	}
	if err != nil {
		return exitCode(2, err)
	}
	if !rep.Passed {
		return exitCode(1, errReported)
	}
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// printSchemas writes every source's schema as YAML documents, inferred
// ones first marked so the user knows to save and refine them.
func printSchemas(w io.Writer, t *testkit.Test) {
	names := make([]string, 0, len(t.Schemas))
	for n := range t.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		s := t.Schemas[n]
		if i > 0 {
			fmt.Fprintln(w, "---")
		}
		if s.Inferred {
			fmt.Fprintf(w, "# %s: inferred from the query; save as %s.schema.yaml, refine, and pass --schema %s=%s.schema.yaml\n", n, n, n, n)
		} else {
			fmt.Fprintf(w, "# %s: from %s\n", n, s.File)
		}
		fmt.Fprint(w, schema.Format(s))
	}
}

// progressBar redraws one line on a terminal while a long run goes on; it
// shows nothing for runs under a second.
type progressBar struct {
	w     io.Writer
	t     *testkit.Test
	done  chan struct{}
	wg    sync.WaitGroup
	drawn bool
}

func startProgress(w io.Writer, t *testkit.Test) *progressBar {
	b := &progressBar{w: w, t: t, done: make(chan struct{})}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		delay := time.NewTimer(time.Second)
		defer delay.Stop()
		select {
		case <-b.done:
			return
		case <-delay.C:
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			b.draw()
			select {
			case <-b.done:
				return
			case <-tick.C:
			}
		}
	}()
	return b
}

func (b *progressBar) draw() {
	total := b.t.TotalRecords()
	done := b.t.Progress.Load()
	if total <= 0 {
		return
	}
	const width = 30
	frac := float64(done) / float64(total)
	if frac > 1 {
		frac = 1
	}
	n := int(frac * width)
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %s/%s records", strings.Repeat("█", n), strings.Repeat("░", width-n), frac*100,
		group(done), group(total))
	b.drawn = true
}

func (b *progressBar) stop() {
	if b == nil {
		return
	}
	close(b.done)
	b.wg.Wait()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
