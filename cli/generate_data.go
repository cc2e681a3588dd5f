package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/file"
	_ "github.com/velostream/velostream/engine/connectors/kafka" // kafka_sink for --to kafka://
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit"
	"github.com/velostream/velostream/testkit/gen"
	"github.com/velostream/velostream/testkit/schema"
)

func init() { register(newGenerateDataCmd) }

type generateDataFlags struct {
	records int64
	format  string
	to      string
	seed    int64
	schemas []string
	key     string
}

func newGenerateDataCmd() *cobra.Command {
	var f generateDataFlags
	cmd := &cobra.Command{
		Use:   "generate-data SCHEMA.yaml",
		Short: "Write synthetic records from a schema file",
		Long: `generate-data writes --records records made from SCHEMA.yaml (the format
velo test uses; see docs/testing.md) as JSON lines or CSV, to standard output,
a file (--to file:PATH) or a Kafka topic (--to kafka://HOST:PORT/TOPIC). The
data is the same for the same --seed, and is exactly what velo test feeds a
query with that schema, seed and record count. Schemas the file references
(references: {schema: customers, field: id}) are given with --schema
NAME=FILE.yaml and generated first, so every key resolves.`,
		Example: `  velo generate-data trades.schema.yaml --records 1000 > trades.jsonl
  velo generate-data trades.schema.yaml --records 100000 --format csv --to file:trades.csv
  velo generate-data orders.schema.yaml --schema customers=customers.schema.yaml --records 5000 --to kafka://127.0.0.1:9092/orders --key order_id`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return generateData(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&f.records, "records", 1000, "number of records")
	fl.StringVar(&f.format, "format", "json", "json (JSON lines) or csv")
	fl.StringVar(&f.to, "to", "-", "where to write: - (standard output), file:PATH, or kafka://HOST:PORT/TOPIC")
	fl.Int64Var(&f.seed, "seed", testkit.DefaultSeed, "random seed")
	fl.StringArrayVar(&f.schemas, "schema", nil, "a referenced schema: NAME=FILE.yaml (repeatable)")
	fl.StringVar(&f.key, "key", "", "field whose value becomes each record's key (Kafka)")
	return cmd
}

func generateData(cmd *cobra.Command, path string, f generateDataFlags) error {
	if f.format != "json" && f.format != "csv" {
		return exitCode(2, fmt.Errorf("unknown --format %q (use json or csv)", f.format))
	}
	if f.records < 0 {
		return exitCode(2, fmt.Errorf("--records must not be negative"))
	}
	main, err := testkit.LoadSchema(strings.TrimSuffix(strings.TrimSuffix(baseName(path), ".yaml"), ".schema"), path)
	if err != nil {
		return renderProblems(cmd.ErrOrStderr(), err)
	}
	all := map[string]*schema.Schema{main.Name: main}
	for _, s := range f.schemas {
		name, p, ok := strings.Cut(s, "=")
		if !ok || name == "" || p == "" {
			return exitCode(2, fmt.Errorf("--schema %q: want NAME=FILE.yaml", s))
		}
		sc, err := testkit.LoadSchema(name, p)
		if err != nil {
			return renderProblems(cmd.ErrOrStderr(), err)
		}
		all[name] = sc
	}
	if probs := schema.Link(all); probs != nil {
		fmt.Fprint(cmd.ErrOrStderr(), probs.Render())
		return exitCode(2, errReported)
	}
	// Referenced schemas make their keys first, with as many records as
	// asked for (a dimension of the same size is the usual test).
	opts := gen.Options{Seed: uint64(f.seed), Pools: map[string][]types.Value{}}
	for _, n := range schema.GenerationOrder(all) {
		for _, fl := range all[n].Fields {
			r := fl.References
			if r == nil {
				continue
			}
			key := gen.PoolKey(r.Schema, r.Field)
			if _, ok := opts.Pools[key]; ok {
				continue
			}
			pool, err := gen.Pool(schema.Lookup(all, r.Schema), r.Field, f.records, opts)
			if err != nil {
				return exitCode(2, err)
			}
			opts.Pools[key] = pool
		}
	}
	g, err := gen.New(main, opts)
	if err != nil {
		return exitCode(2, err)
	}
	row := main.Row()
	keyIdx := -1
	if f.key != "" {
		if keyIdx = row.Index(f.key); keyIdx < 0 {
			return exitCode(2, fmt.Errorf("--key %q is not a field of %s (fields: %s)", f.key, path, strings.Join(row.Names(), ", ")))
		}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := connectors.Config{Name: main.Name, Schema: row, Props: map[string]string{"format": f.format}}
	var sink connectors.Sink
	if f.to == "-" || f.to == "" {
		sink, err = file.NewWriterSink(cmd.OutOrStdout(), cfg, file.WriterOptions{Format: f.format, Header: true})
	} else {
		props := binder.URIProps(f.to)
		switch props["type"] {
		case "kafka_source":
			props["type"] = "kafka_sink"
		case "file_source":
			props["type"] = "file_sink"
		default:
			return exitCode(2, fmt.Errorf("--to %q: use file:PATH or kafka://HOST:PORT/TOPIC", f.to))
		}
		for k, v := range props {
			cfg.Props[k] = v
		}
		cfg.Props["format"] = f.format
		sink, err = connectors.OpenSink(ctx, props["type"], cfg)
	}
	if err != nil {
		return exitCode(2, fmt.Errorf("--to %s: %w", f.to, err))
	}
	start := time.Now()
	n, err := writeRecords(ctx, sink, g, len(row), f, keyIdx, row)
	if err == nil {
		err = sink.Flush(ctx)
	}
	if cerr := sink.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return exitCode(1, fmt.Errorf("after %d records: %w", n, err))
	}
	if g.DerivedErrors > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "velo: %d derived values failed and were written as null; first: %v\n", g.DerivedErrors, g.FirstDerivedError)
	}
	if f.to != "-" && f.to != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "velo: wrote %d records to %s in %s\n", n, f.to, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// writeRecords encodes and writes n records in batches; buffers are reused
// once a Write returns (the sink copies or sends what it keeps).
func writeRecords(ctx context.Context, sink connectors.Sink, g *gen.Generator, width int, f generateDataFlags, keyIdx int, s types.Schema) (int64, error) {
	const batch = 1024
	vals := make(types.Row, width)
	recs := make([]connectors.OutRecord, 0, batch)
	var buf []byte
	var written int64
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		err := sink.Write(ctx, recs)
		written += int64(len(recs))
		recs, buf = recs[:0], buf[:0]
		return err
	}
	tsIdx := -1
	for i, c := range s {
		if c.Type.Kind == types.KindTimestamp {
			tsIdx = i
			break
		}
	}
	for i := int64(0); i < f.records; i++ {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		g.Next(vals)
		start := len(buf)
		if f.format == "csv" {
			buf = format.AppendCSV(buf, vals)
		} else {
			buf = format.AppendJSON(buf, s, vals)
		}
		rec := connectors.OutRecord{Value: buf[start:len(buf):len(buf)]}
		if tsIdx >= 0 && vals[tsIdx].K == types.KindTimestamp {
			rec.Time = vals[tsIdx].I
		}
		if keyIdx >= 0 && vals[keyIdx].K != types.KindNull {
			ks := len(buf)
			buf = append(buf, schema.Text(vals[keyIdx])...)
			rec.Key = buf[ks:len(buf):len(buf)]
		}
		recs = append(recs, rec)
		if len(recs) == batch {
			if err := flush(); err != nil {
				return written, err
			}
		}
	}
	return written, flush()
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
