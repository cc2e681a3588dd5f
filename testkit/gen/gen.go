// Package gen makes synthetic records from a schema (testkit/schema):
// deterministic for a seed, fast enough to feed the engine over a million
// records a second, and honouring every constraint (enums with weights,
// ranges and distributions, patterns, lengths, nulls, derived expressions,
// foreign keys, ordered event times with bounded out-of-orderness).
//
// Takes: a linked *schema.Schema and Options (seed, reference pools).
// Gives: a Generator that fills rows one at a time, a connectors.Source that
// serves them to the engine in batches with no decoding, and Pool, which
// collects a field's values for the schemas that reference it.
//
// Each field draws from its own random stream, seeded from the seed and the
// schema and field names, so adding a field does not change the values of
// the others, and a referenced field's values can be produced on their own.
package gen

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/schema"
)

// Options configure a generator.
type Options struct {
	Seed uint64
	// Now resolves relative timestamps ("-1h"); time.Now when zero.
	Now time.Time
	// Pools hold the values of referenced fields, keyed by PoolKey of the
	// referenced schema and field.
	Pools map[string][]types.Value
}

// PoolKey names a referenced field's pool.
func PoolKey(schemaName, field string) string {
	return strings.ToLower(schemaName) + "." + strings.ToLower(field)
}

// Generator makes the records of one schema in order.
type Generator struct {
	s       *schema.Schema
	cols    []column
	order   []int // fields in dependency order (derived after their inputs)
	scratch types.Row
	ctx     expr.Ctx
	next    int64
	// DerivedErrors counts derived values that failed to evaluate (overflow,
	// division by zero) and were left NULL; FirstDerivedError says why.
	DerivedErrors     int64
	FirstDerivedError error
}

type column struct {
	f       *schema.Field
	nullRng *rand.Rand
	nullP   float64
	gen     valueGen // nil for derived fields
	// derived
	randoms []randomCol
	target  types.Type
}

type randomCol struct {
	idx    int // scratch column
	rng    *rand.Rand
	lo, hi int64
	scale  uint8
	dec    bool
}

type valueGen interface {
	next(i int64) types.Value
}

// New builds the generator of s (which must be linked: schema.Link).
func New(s *schema.Schema, opts Options) (*Generator, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	g := &Generator{s: s, order: schema.DerivedOrder(s)}
	width := len(s.Fields)
	for _, f := range s.Fields {
		width += len(f.Randoms)
	}
	g.scratch = make(types.Row, width)
	extra := len(s.Fields)
	for _, f := range s.Fields {
		c := column{f: f, nullP: f.NullProbability}
		if f.Nullable && f.NullProbability > 0 {
			c.nullRng = stream(opts.Seed, s.Name, f.Name, "null")
		}
		rng := stream(opts.Seed, s.Name, f.Name, "value")
		if f.Derived != "" {
			if f.DerivedExp == nil {
				return nil, fmt.Errorf("field %q: derived expression is not bound (schema.Link first)", f.Name)
			}
			c.target = f.SQLType()
			for k, r := range f.Randoms {
				rc := randomCol{idx: extra, rng: stream(opts.Seed, s.Name, f.Name, "random"+strconv.Itoa(k)), lo: r.Lo.I, hi: r.Hi.I}
				if r.Lo.K == types.KindDecimal {
					rc.dec, rc.scale = true, r.Lo.Scale
				}
				c.randoms = append(c.randoms, rc)
				extra++
			}
		} else {
			vg, err := newValueGen(f, rng, opts)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			c.gen = vg
		}
		g.cols = append(g.cols, c)
	}
	return g, nil
}

// stream returns the random stream of one use of one field.
func stream(seed uint64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(strings.ToLower(p)))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Schema is the layout of the rows Next fills: every field in order.
func (g *Generator) Schema() types.Schema { return g.s.Row() }

// Index is the number of records made so far.
func (g *Generator) Index() int64 { return g.next }

// Next fills row (len(schema.Fields) values) with the next record.
func (g *Generator) Next(row types.Row) {
	i := g.next
	g.next++
	sc := g.scratch
	for _, fi := range g.order {
		c := &g.cols[fi]
		if c.nullRng != nil && c.nullRng.Float64() < c.nullP {
			sc[fi] = types.Value{}
			continue
		}
		if c.gen != nil {
			sc[fi] = c.gen.next(i)
			continue
		}
		for k := range c.randoms {
			r := &c.randoms[k]
			m := r.lo + r.rng.Int64N(r.hi-r.lo+1)
			if r.dec {
				sc[r.idx] = types.DecimalValue(m, r.scale)
			} else {
				sc[r.idx] = types.IntValue(m)
			}
		}
		g.ctx.Reset()
		v := c.f.DerivedExp.Eval(&g.ctx, sc)
		if g.ctx.Err == nil {
			var err error
			if v, err = functions.Cast(v, c.target); err != nil {
				g.derivedFailed(c.f, err)
				v = types.Value{}
			}
		} else {
			g.derivedFailed(c.f, g.ctx.Err)
			v = types.Value{}
		}
		sc[fi] = v
	}
	copy(row, sc[:len(g.s.Fields)])
}

func (g *Generator) derivedFailed(f *schema.Field, err error) {
	g.DerivedErrors++
	if g.FirstDerivedError == nil {
		g.FirstDerivedError = fmt.Errorf("record %d: derived field %q: %w", g.next, f.Name, err)
	}
}

// Pool generates n records of s and returns the distinct values of field,
// in the order first seen: the keys a referencing schema draws from.
func Pool(s *schema.Schema, field string, n int64, opts Options) ([]types.Value, error) {
	g, err := New(s, opts)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, f := range s.Fields {
		if strings.EqualFold(f.Name, field) {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("schema %s has no field %q", s.Name, field)
	}
	row := make(types.Row, len(s.Fields))
	seen := map[types.Value]bool{}
	var out []types.Value
	for k := int64(0); k < n; k++ {
		g.Next(row)
		v := row[idx]
		if v.K == types.KindNull || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, nil
}

func newValueGen(f *schema.Field, rng *rand.Rand, opts Options) (valueGen, error) {
	if f.References != nil {
		pool := opts.Pools[PoolKey(f.References.Schema, f.References.Field)]
		if len(pool) == 0 {
			return nil, fmt.Errorf("references %s.%s, which generated no values", f.References.Schema, f.References.Field)
		}
		return &pickGen{vals: pool, pick: newPicker(rng, len(pool), nil, f)}, nil
	}
	if f.Enum != nil {
		return &pickGen{vals: f.Enum, pick: newPicker(rng, len(f.Enum), f.Weights, f)}, nil
	}
	if f.Sequence != nil {
		if f.Type == schema.String {
			return newFormatSeq(f), nil
		}
		return &intSeqGen{start: f.Sequence.Start, step: f.Sequence.Step}, nil
	}
	switch f.Type {
	case schema.Integer:
		lo, hi := bounds(f, 0, 1000)
		return &intGen{num: newNum(f, rng, lo, hi)}, nil
	case schema.Decimal:
		lo, hi := bounds(f, 0, 1000)
		return &decGen{num: newNum(f, rng, lo, hi), scale: uint8(f.Scale), prec: f.Precision}, nil
	case schema.Float:
		lo, hi := bounds(f, 0, 1000)
		return &floatGen{num: newNum(f, rng, lo, hi)}, nil
	case schema.Boolean:
		p := 0.5
		if f.Probability != nil {
			p = *f.Probability
		}
		return &boolGen{rng: rng, p: p}, nil
	case schema.Timestamp:
		start, err := schema.ResolveTime(f.Start, opts.Now)
		if err != nil {
			return nil, err
		}
		if f.End != "" {
			end, err := schema.ResolveTime(f.End, opts.Now)
			if err != nil {
				return nil, err
			}
			if end < start {
				return nil, fmt.Errorf("end %s is before start %s", f.End, f.Start)
			}
			return &tsRangeGen{rng: rng, start: start, end: end}, nil
		}
		return &tsGen{rng: rng, start: start, perRecord: 1000 / f.Rate, jitter: f.JitterMs}, nil
	}
	if f.Pattern != nil {
		return newPatternGen(f.Pattern, rng), nil
	}
	lo, hi := 5, 12
	if f.MinLength > 0 || f.MaxLength > 0 {
		lo, hi = f.MinLength, f.MaxLength
		if hi == 0 {
			hi = max(lo, 12)
		}
	}
	return &textGen{rng: rng, lo: lo, hi: hi, buf: make([]byte, hi)}, nil
}

// bounds returns min and max as floats, with defaults for missing ends.
func bounds(f *schema.Field, dlo, dhi float64) (float64, float64) {
	lo, hi := dlo, dhi
	switch {
	case f.Min != nil && f.Max != nil:
		lo, hi = schema.Float64(*f.Min), schema.Float64(*f.Max)
	case f.Min != nil:
		lo = schema.Float64(*f.Min)
		hi = lo + (dhi - dlo)
	case f.Max != nil:
		hi = schema.Float64(*f.Max)
		lo = hi - (dhi - dlo)
	case f.Mean != nil && f.Stddev != nil:
		lo, hi = *f.Mean-6**f.Stddev, *f.Mean+6**f.Stddev
	}
	return lo, hi
}

// num draws numbers in [lo, hi] from a distribution.
type num struct {
	rng    *rand.Rand
	dist   string
	lo, hi float64
	// normal: mean, sd; log_normal: mu, sigma in log space of x-lo+1
	mean, sd float64
	zipf     *rand.Zipf
}

func newNum(f *schema.Field, rng *rand.Rand, lo, hi float64) *num {
	n := &num{rng: rng, dist: f.Distribution, lo: lo, hi: hi}
	switch f.Distribution {
	case schema.Normal:
		n.mean, n.sd = (lo+hi)/2, (hi-lo)/6
		if f.Mean != nil {
			n.mean = *f.Mean
		}
		if f.Stddev != nil {
			n.sd = *f.Stddev
		}
	case schema.LogNormal:
		// Shift so the range starts at 1, then place the log-space mean at
		// the log of the geometric middle and 3 sigma at the ends: most
		// values are small, a few large, as prices and volumes are.
		top := math.Log(hi - lo + 1)
		n.mean, n.sd = top/2, top/6
		if n.sd == 0 {
			n.sd = 1e-9
		}
	case schema.Zipf:
		n.zipf = rand.NewZipf(rng, f.Exponent, 1, uint64(math.Max(0, hi-lo)))
	}
	return n
}

// float returns a continuous draw.
func (n *num) float() float64 {
	switch n.dist {
	case schema.Normal:
		for range 16 {
			x := n.mean + n.sd*n.rng.NormFloat64()
			if x >= n.lo && x <= n.hi {
				return x
			}
		}
		return math.Min(n.hi, math.Max(n.lo, n.mean))
	case schema.LogNormal:
		for range 16 {
			x := n.lo - 1 + math.Exp(n.mean+n.sd*n.rng.NormFloat64())
			if x >= n.lo && x <= n.hi {
				return x
			}
		}
		return n.lo
	case schema.Zipf:
		return n.lo + float64(n.zipf.Uint64())
	}
	return n.lo + n.rng.Float64()*(n.hi-n.lo)
}

type intGen struct{ num *num }

func (g *intGen) next(int64) types.Value {
	n := g.num
	if n.dist == schema.Uniform {
		lo, hi := int64(math.Ceil(n.lo)), int64(math.Floor(n.hi))
		if span := hi - lo + 1; span > 0 {
			return types.IntValue(lo + n.rng.Int64N(span))
		}
		// The range spans more than int64 holds: draw over uint64.
		return types.IntValue(lo + int64(n.rng.Uint64()%uint64(hi-lo+1)))
	}
	if n.dist == schema.Zipf {
		return types.IntValue(int64(n.lo) + int64(n.zipf.Uint64()))
	}
	return types.IntValue(int64(math.Round(n.float())))
}

type decGen struct {
	num   *num
	scale uint8
	prec  int
	lo    int64
	span  int64
	init  bool
}

func (g *decGen) next(int64) types.Value {
	n := g.num
	if n.dist == schema.Uniform {
		if !g.init {
			lo, _ := decimal.FromFloat64(n.lo, g.scale)
			hi, _ := decimal.FromFloat64(n.hi, g.scale)
			g.lo, g.span, g.init = lo, hi-lo+1, true
		}
		if g.span <= 0 { // wider than int64: no exact uniform draw
			m, _ := decimal.FromFloat64(n.lo+n.rng.Float64()*(n.hi-n.lo), g.scale)
			return types.DecimalValue(m, g.scale)
		}
		return types.DecimalValue(g.lo+n.rng.Int64N(g.span), g.scale)
	}
	m, _ := decimal.FromFloat64(n.float(), g.scale)
	return types.DecimalValue(m, g.scale)
}

type floatGen struct{ num *num }

func (g *floatGen) next(int64) types.Value { return types.FloatValue(g.num.float()) }

type boolGen struct {
	rng *rand.Rand
	p   float64
}

func (g *boolGen) next(int64) types.Value { return types.BoolValue(g.rng.Float64() < g.p) }

type tsGen struct {
	rng       *rand.Rand
	start     int64
	perRecord float64
	jitter    int64
}

// next places record i at start + i/rate, moved back by up to jitter ms:
// a record is never more than jitter behind the largest time before it.
func (g *tsGen) next(i int64) types.Value {
	t := g.start + int64(float64(i)*g.perRecord)
	if g.jitter > 0 {
		t -= g.rng.Int64N(g.jitter + 1)
	}
	return types.TimestampValue(t)
}

type tsRangeGen struct {
	rng        *rand.Rand
	start, end int64
}

func (g *tsRangeGen) next(int64) types.Value {
	return types.TimestampValue(g.start + g.rng.Int64N(g.end-g.start+1))
}

type intSeqGen struct{ start, step int64 }

func (g *intSeqGen) next(i int64) types.Value { return types.IntValue(g.start + i*g.step) }

// formatSeq renders a sequence with a printf-style "%d" or "%0Nd" verb,
// without fmt (it is on the hot path).
type formatSeq struct {
	start, step    int64
	prefix, suffix string
	width          int
	zero           bool
	buf            []byte
}

func newFormatSeq(f *schema.Field) *formatSeq {
	g := &formatSeq{start: f.Sequence.Start, step: f.Sequence.Step}
	i := strings.IndexByte(f.Format, '%')
	j := strings.IndexByte(f.Format[i:], 'd') + i
	g.prefix, g.suffix = f.Format[:i], f.Format[j+1:]
	spec := f.Format[i+1 : j]
	if strings.HasPrefix(spec, "0") {
		g.zero = true
	}
	g.width, _ = strconv.Atoi(spec)
	return g
}

func (g *formatSeq) next(i int64) types.Value {
	v := g.start + i*g.step
	b := append(g.buf[:0], g.prefix...)
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], v, 10)
	for k := len(d); k < g.width; k++ {
		if g.zero {
			b = append(b, '0')
		} else {
			b = append(b, ' ')
		}
	}
	b = append(b, d...)
	b = append(b, g.suffix...)
	g.buf = b
	return types.StringValue(string(b))
}

// picker chooses an index in [0, n): uniformly, by weights, or by zipf rank.
type picker struct {
	rng  *rand.Rand
	n    int
	cum  []float64
	zipf *rand.Zipf
}

func newPicker(rng *rand.Rand, n int, weights []float64, f *schema.Field) *picker {
	p := &picker{rng: rng, n: n}
	if len(weights) == n && n > 0 {
		sum := 0.0
		p.cum = make([]float64, n)
		for i, w := range weights {
			sum += w
			p.cum[i] = sum
		}
		for i := range p.cum {
			p.cum[i] /= sum
		}
	} else if f.Distribution == schema.Zipf && n > 1 {
		p.zipf = rand.NewZipf(rng, f.Exponent, 1, uint64(n-1))
	}
	return p
}

func (p *picker) pick() int {
	switch {
	case p.cum != nil:
		// x in (0, 1]: the first index with cum >= x never has a zero
		// weight (its cum equals its predecessor's, or is 0 < x).
		x := 1 - p.rng.Float64()
		i := sort.SearchFloat64s(p.cum, x)
		if i >= p.n {
			i = p.n - 1
		}
		return i
	case p.zipf != nil:
		return int(p.zipf.Uint64())
	}
	return p.rng.IntN(p.n)
}

type pickGen struct {
	vals []types.Value
	pick *picker
}

func (g *pickGen) next(int64) types.Value { return g.vals[g.pick.pick()] }

type patternGen struct {
	p   *schema.Pattern
	rng *rand.Rand
	buf []byte
}

func newPatternGen(p *schema.Pattern, rng *rand.Rand) *patternGen {
	return &patternGen{p: p, rng: rng, buf: make([]byte, 0, p.MaxLen())}
}

func (g *patternGen) next(int64) types.Value {
	b := g.buf[:0]
	for k := range g.p.Atoms {
		a := &g.p.Atoms[k]
		n := a.Min
		if a.Max > a.Min {
			n += g.rng.IntN(a.Max - a.Min + 1)
		}
		for range n {
			if len(a.Set) == 1 {
				b = append(b, a.Set[0])
			} else {
				b = append(b, a.Set[g.rng.IntN(len(a.Set))])
			}
		}
	}
	g.buf = b
	return types.StringValue(string(b))
}

type textGen struct {
	rng    *rand.Rand
	lo, hi int
	buf    []byte
}

const letters = "abcdefghijklmnopqrstuvwxyz"

func (g *textGen) next(int64) types.Value {
	n := g.lo
	if g.hi > g.lo {
		n += g.rng.IntN(g.hi - g.lo + 1)
	}
	b := g.buf[:0]
	for range n {
		b = append(b, letters[g.rng.IntN(len(letters))])
	}
	g.buf = b
	return types.StringValue(string(b))
}
