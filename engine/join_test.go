package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/memory"
	"github.com/velostream/velostream/engine/executor"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// compileWith compiles sql with every named source bound to an in-memory
// source of the given schema.
func compileWith(t testing.TB, sql string, schemas map[string]types.Schema) *Query {
	t.Helper()
	srcs := map[string]map[string]string{}
	for name := range schemas {
		srcs[name] = map[string]string{"type": "memory"}
	}
	q, errs := Compile(sql, Options{Sources: srcs, Resolve: func(s *plan.Source) (types.Schema, error) { return schemas[s.Name], nil }})
	if len(errs) > 0 {
		t.Fatalf("compile %q: %v", sql, errs)
	}
	return q
}

// rowOf lays values out in a source's read columns.
func rowOf(cols types.Schema, vals map[string]types.Value) types.Row {
	row := make(types.Row, len(cols))
	for i, c := range cols {
		row[i] = vals[c.Name]
	}
	return row
}

func sourceCols(q *Query, name string) types.Schema {
	for _, s := range q.Plan.Sources {
		if s.Name == name {
			return s.Columns
		}
	}
	return nil
}

// A join of two streams gives, on random inputs, exactly the pairs a
// nested loop over both inputs finds, and for outer sides exactly the rows
// that have no pair. Inputs are in event-time order per source (so no row
// is late); keys repeat and are sometimes NULL; batches are small so the
// merge by event time crosses many batch boundaries.
func TestIntervalJoinMatchesNestedLoop(t *testing.T) {
	schema := types.Schema{{Name: "k", Type: types.Int}, {Name: "id", Type: types.Int}, {Name: "ts", Type: types.Int}}
	schemas := map[string]types.Schema{"a": schema, "b": schema}
	kinds := []string{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL OUTER JOIN"}
	rng := rand.New(rand.NewPCG(7, 11))
	for iter := 0; iter < 400; iter++ {
		kind := kinds[iter%len(kinds)]
		// Small steps and bounds: equal times and rows exactly at an
		// interval's ends are common.
		lo := int64(rng.IntN(21)) - 10
		hi := lo + int64(rng.IntN(11))
		term := func(off int64) string {
			switch {
			case off > 0:
				return fmt.Sprintf("a.ts + INTERVAL '%d' SECOND", off)
			case off < 0:
				return fmt.Sprintf("a.ts - INTERVAL '%d' SECOND", -off)
			}
			return "a.ts"
		}
		cond := "b.ts BETWEEN " + term(lo) + " AND " + term(hi)
		if iter%5 == 0 { // the WITHIN form
			w := 1 + int64(rng.IntN(8))
			lo, hi = -w, w
			cond = ""
		}
		sql := "SELECT a.id AS aid, b.id AS bid FROM a " + kind + " b ON a.k = b.k"
		if cond != "" {
			sql += " AND " + cond
		} else {
			sql += fmt.Sprintf(" WITHIN INTERVAL '%d' SECOND", hi)
		}
		// The event times are BIGINT columns: named, so that a condition
		// without an INTERVAL (BETWEEN a.ts AND a.ts) is read as a time bound.
		sql += " WITH ('a.event.time.field' = 'ts', 'b.event.time.field' = 'ts')"
		q := compileWith(t, sql, schemas)
		type ev struct {
			k  types.Value
			id int64
			ts int64
		}
		gen := func(n int, firstID int64) []ev {
			out := make([]ev, n)
			ts := int64(rng.IntN(10)) * 1000
			for i := range out {
				ts += int64(rng.IntN(4)) * 1000
				k := types.IntValue(int64(rng.IntN(4)))
				if rng.IntN(10) == 0 {
					k = types.Value{}
				}
				out[i] = ev{k: k, id: firstID + int64(i), ts: ts}
			}
			return out
		}
		as, bs := gen(rng.IntN(30), 1), gen(rng.IntN(30), 1001)
		toRows := func(name string, evs []ev) []types.Row {
			cols := sourceCols(q, name)
			rows := make([]types.Row, len(evs))
			for i, e := range evs {
				rows[i] = rowOf(cols, map[string]types.Value{"k": e.k, "id": types.IntValue(e.id), "ts": types.IntValue(e.ts)})
			}
			return rows
		}
		srcs := map[string]connectors.Source{
			"a": memory.NewSource("a", sourceCols(q, "a"), toRows("a", as), 1+rng.IntN(4)),
			"b": memory.NewSource("b", sourceCols(q, "b"), toRows("b", bs), 1+rng.IntN(4)),
		}
		out := &executor.Collector{}
		stats, err := q.Run(context.Background(), executor.Options{Emitter: out, Sources: srcs})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range out.Rows {
			got = append(got, valText(r[0])+"-"+valText(r[1]))
		}
		// The nested loop.
		var want []string
		bMatched := make([]bool, len(bs))
		for _, a := range as {
			matched := false
			for j, b := range bs {
				d := (b.ts - a.ts) / 1000
				if a.k.K != types.KindNull && b.k.K != types.KindNull && a.k.I == b.k.I && d >= lo && d <= hi {
					want = append(want, fmt.Sprintf("%d-%d", a.id, b.id))
					matched, bMatched[j] = true, true
				}
			}
			if !matched && (kind == "LEFT JOIN" || kind == "FULL OUTER JOIN") {
				want = append(want, fmt.Sprintf("%d-NULL", a.id))
			}
		}
		for j, b := range bs {
			if !bMatched[j] && (kind == "RIGHT JOIN" || kind == "FULL OUTER JOIN") {
				want = append(want, fmt.Sprintf("NULL-%d", b.id))
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("iteration %d: %s\n a=%v\n b=%v\n got  %v\n want %v", iter, sql, as, bs, got, want)
		}
		if n := stats.JoinRows.Load(); n != 0 || stats.Late.Load() != 0 {
			t.Fatalf("iteration %d: %d rows still held, %d late at the end", iter, n, stats.Late.Load())
		}
	}
}

// scriptSource serves batches one at a time; before serving batch i it
// waits for gates[i] when that gate is set, and it reports each Read on
// reads. After its batches it ends, or (live) blocks until the run stops.
type scriptSource struct {
	schema  types.Schema
	batches [][]types.Row
	gates   []chan struct{}
	live    bool
	reads   chan int
	n       int
	line    int64
	recs    []connectors.Record
}

func (s *scriptSource) Schema() types.Schema { return s.schema }
func (s *scriptSource) Read(ctx context.Context) (connectors.Batch, error) {
	i := s.n
	s.n++
	if s.reads != nil {
		select {
		case s.reads <- i:
		case <-ctx.Done():
			return connectors.Batch{}, ctx.Err()
		}
	}
	if i >= len(s.batches) {
		if s.live {
			<-ctx.Done()
			return connectors.Batch{}, ctx.Err()
		}
		return connectors.Batch{}, connectors.ErrEndOfInput
	}
	if i < len(s.gates) && s.gates[i] != nil {
		select {
		case <-s.gates[i]:
		case <-ctx.Done():
			return connectors.Batch{}, ctx.Err()
		}
	}
	s.recs = s.recs[:0]
	for _, r := range s.batches[i] {
		s.line++
		s.recs = append(s.recs, connectors.Record{Row: r, Prov: connectors.Provenance{Line: s.line}})
	}
	return connectors.Batch{Records: s.recs}, nil
}
func (s *scriptSource) Ack(context.Context, []connectors.Provenance) error { return nil }
func (s *scriptSource) Close() error                                       { return nil }

// A live table is versioned by arrival: a stream row sees the table as it
// stands when the row is processed, including updates and deletes that
// arrived between stream rows. The sources are stepped so that each table
// batch is processed between two stream batches.
func TestTableUpdatesBetweenStreamRows(t *testing.T) {
	q := compileWith(t, `CREATE TABLE customers WITH ('key.field' = 'id');
		SELECT t.n, t.cust, c.tier FROM trades t LEFT JOIN customers c ON t.cust = c.id`,
		map[string]types.Schema{
			"trades":    {{Name: "n", Type: types.Int}, {Name: "cust", Type: types.String}},
			"customers": {{Name: "id", Type: types.String}, {Name: "tier", Type: types.String}},
		})
	tc, cc := sourceCols(q, "trades"), sourceCols(q, "customers")
	cust := func(id, tier string, deleted bool) types.Row {
		v := map[string]types.Value{"id": types.StringValue(id), "tier": types.StringValue(tier)}
		if deleted {
			v = map[string]types.Value{"id": types.StringValue(id), "_deleted": types.BoolValue(true)}
		}
		return rowOf(cc, v)
	}
	trade := func(n int64, id string) types.Row {
		return rowOf(tc, map[string]types.Value{"n": types.IntValue(n), "cust": types.StringValue(id)})
	}
	// g1, g2 let the table's updates out; s1, s2 the stream's next batches.
	g1, g2, s1, s2 := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	table := &scriptSource{schema: cc, live: true, reads: make(chan int, 16),
		// Batch 0 is the table at the start; the empty batch says it has
		// caught up, so the stream may start.
		batches: [][]types.Row{{cust("C1", "gold", false)}, {},
			{cust("C2", "silver", false), cust("C1", "", true)},
			{cust("C1", "platinum", false)}},
		gates: []chan struct{}{nil, nil, g1, g2}}
	stream := &scriptSource{schema: tc, reads: make(chan int, 16), gates: []chan struct{}{nil, s1, s2},
		batches: [][]types.Row{{trade(1, "C1"), trade(2, "C2")}, {trade(3, "C1"), trade(4, "C2")}, {trade(5, "C1")}}}
	waitRead := func(c chan int, want int) {
		for i := range c {
			if i == want {
				return
			}
		}
	}
	go func() {
		// The stream asking for batch i means batch i-1 was processed; the
		// table asking for batch j+1 means batch j was.
		waitRead(stream.reads, 1)
		close(g1)
		waitRead(table.reads, 3)
		close(s1)
		waitRead(stream.reads, 2)
		close(g2)
		waitRead(table.reads, 4)
		close(s2)
	}()
	out := &executor.Collector{}
	if _, err := q.Run(context.Background(), executor.Options{Emitter: out,
		Sources: map[string]connectors.Source{"trades": stream, "customers": table}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Rows {
		got = append(got, fmt.Sprintf("%d:%s:%s", r[0].I, r[1].S, valText(r[2])))
	}
	want := "1:C1:gold 2:C2:NULL 3:C1:NULL 4:C2:silver 5:C1:platinum"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

// A join's state stays bounded by its interval: doubling the input (over
// twice the event time) leaves the largest number of rows held unchanged.
func TestIntervalJoinStateIsBounded(t *testing.T) {
	peak := func(n int) int64 {
		q := compileWith(t, intervalJoinQuery, intervalJoinSchemas)
		var max int64
		stats := &executor.Stats{}
		em := executor.FuncEmitter{F: func(types.Row, int64) error {
			if v := stats.JoinRows.Load(); v > max {
				max = v
			}
			return nil
		}}
		if _, err := q.Run(context.Background(), executor.Options{Emitter: em, Sources: intervalJoinSources(q, n, 1000), Stats: stats}); err != nil {
			t.Fatal(err)
		}
		return max
	}
	// Orders 1 s apart: one hour holds 3,600 of them, far fewer than N.
	small, large := peak(20_000), peak(40_000)
	if small == 0 || large > small+small/10 {
		t.Fatalf("peak rows held: %d for N, %d for 2N", small, large)
	}
}

// Join syntax errors are reported where they are.
func TestJoinValidate(t *testing.T) {
	cases := []struct{ sql, want string }{
		{"SELECT a.x FROM a JOIN b", `1:25: expected ON`},
		{"SELECT a.x FROM a JOIN b WITHIN 5m", `1:26: expected ON, found "WITHIN"`},
		{"SELECT a.x FROM a CROSS JOIN b ON a.x = b.x", `CROSS JOIN is not supported`},
	}
	for _, c := range cases {
		errs := Validate(c.sql)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("Validate(%q) = %v, want %q", c.sql, errs, c.want)
		}
	}
}

// valText renders a test value: NULL, or its JSON text.
func valText(v types.Value) string {
	if v.K == types.KindNull {
		return "NULL"
	}
	return strings.Trim(string(format.AppendJSONValue(nil, v)), `"`)
}
