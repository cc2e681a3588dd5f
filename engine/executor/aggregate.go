package executor

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"unsafe"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// group is the state of one group key within one window.
type group struct {
	keys types.Row
	bufs []agg.Buffer
}

// groupCache remembers the group of a string key by the string's pointer.
type groupCache struct {
	w *window
	p *byte
	n int
	g *group
}

// window is one time window's groups, in order of first appearance so that
// output order is deterministic for a given input.
type window struct {
	start, end int64
	// minOff holds, per source partition, the smallest offset of a record in this
	// window (tracked only for replayable sources): offsets are committed
	// below it until the window is emitted.
	minOff minOffsets
	groups map[string]*group // by encoded key
	str    map[string]*group // single string key: by the string itself
	order  []*group
}

func newWindow(start, end int64) *window {
	return &window{start: start, end: end, groups: map[string]*group{}, str: map[string]*group{}}
}

// aggOp groups records by key (within windows) and maintains aggregates.
//
// Windows are driven by the watermark only: a window [start, end) closes when
// the watermark reaches end; a record all of whose windows have closed is
// late. Tumbling and sliding windows are kept in a slice sorted by start
// (all have the same size, so also by end): closing pops from the front.
type aggOp struct {
	p     *plan.Aggregate
	ctx   expr.Ctx
	next  *outputOp
	rt    failer
	stats *Stats

	nkeys int
	// keyCols and argCols hold, for keys and aggregate arguments that are
	// plain columns, their index in the input row (-1 otherwise), so the hot
	// loop reads them without an expression call; plain tells whether every
	// key and argument is a column (nothing can fail: no error check).
	keyCols []int
	argCols [][]int
	plain   bool
	// vals holds each aggregate's argument for the current record (a
	// non-NULL marker for COUNT(*)); aggregates take at most one argument.
	vals    []types.Value
	keyVals types.Row
	argVals [][]types.Value
	keyBuf  []byte
	inter   types.Row
	out     types.Row
	pending []types.Row // ORDER BY: a closing window's rows before sorting

	cache [1024]groupCache

	wm       int64
	replayed int64     // windows ending at or before this were emitted before a restart
	track    bool      // track record offsets per window (replayable source)
	open     []*window // tumbling/sliding, sorted by start
	last     *window   // the window the previous record went to
	global   *window   // unwindowed aggregation

	sess     map[string]*sessionGroup // session windows by group key
	sessHeap sessionHeap
	sessSeq  int64
}

func newAggOp(p *plan.Aggregate, next *outputOp, rt failer, stats *Stats, env functions.Env) *aggOp {
	o := &aggOp{p: p, next: next, rt: rt, stats: stats, nkeys: len(p.Keys), wm: math.MinInt64, replayed: math.MinInt64}
	o.ctx.Env = env
	o.keyVals = make(types.Row, len(p.Keys))
	o.argVals = make([][]types.Value, len(p.Aggs))
	for i, a := range p.Aggs {
		o.argVals[i] = make([]types.Value, len(a.Args))
	}
	o.plain = true
	o.keyCols = make([]int, len(p.Keys))
	for i, k := range p.Keys {
		o.keyCols[i] = colIndex(k)
		o.plain = o.plain && o.keyCols[i] >= 0
	}
	o.argCols = make([][]int, len(p.Aggs))
	for i, a := range p.Aggs {
		o.argCols[i] = make([]int, len(a.Args))
		for j, x := range a.Args {
			o.argCols[i][j] = colIndex(x)
			o.plain = o.plain && o.argCols[i][j] >= 0
		}
	}
	o.vals = make([]types.Value, len(p.Aggs))
	for i, a := range p.Aggs {
		if len(a.Args) == 0 {
			o.vals[i] = types.BoolValue(true)
		}
	}
	o.inter = make(types.Row, p.IntermediateWidth())
	o.out = make(types.Row, len(p.Output))
	if p.Window == nil {
		o.global = newWindow(math.MinInt64, math.MaxInt64)
	}
	if p.Window != nil && p.Window.Kind == ast.Session {
		o.sess = map[string]*sessionGroup{}
	}
	return o
}

func (o *aggOp) push(r *rec) error {
	if o.plain {
		for i, c := range o.keyCols {
			o.keyVals[i] = r.row[c]
		}
		for i, cols := range o.argCols {
			if len(cols) > 0 {
				o.vals[i] = r.row[cols[0]]
			}
		}
	} else {
		o.ctx.Reset()
		for i, k := range o.p.Keys {
			if c := o.keyCols[i]; c >= 0 {
				o.keyVals[i] = r.row[c]
			} else {
				o.keyVals[i] = k.Eval(&o.ctx, r.row)
			}
		}
		for i, a := range o.p.Aggs {
			for j, x := range a.Args {
				if c := o.argCols[i][j]; c >= 0 {
					o.argVals[i][j] = r.row[c]
				} else {
					o.argVals[i][j] = x.Eval(&o.ctx, r.row)
				}
			}
		}
		if o.ctx.Err != nil {
			o.rt.fail(r, "eval", o.ctx.Err)
			return nil
		}
		for i := range o.argVals {
			if len(o.argVals[i]) > 0 {
				o.vals[i] = o.argVals[i][0]
			}
		}
	}
	if !o.strKey() {
		o.keyBuf = encodeKey(o.keyBuf[:0], o.keyVals)
	}

	if o.global != nil {
		if o.track {
			o.global.noteOffset(r)
		}
		g := o.groupIn(o.global)
		if err := o.update(g, r); err != nil {
			return err
		}
		if o.p.Emit == ast.EmitChanges {
			return o.emitGroup(o.global, g, r.t)
		}
		return nil
	}
	w := o.p.Window
	switch w.Kind {
	case ast.Tumbling:
		win := o.last
		if win == nil || r.t < win.start || r.t >= win.end {
			// Not the previous record's window: compute which (a division,
			// skipped for the common run of records in one window).
			start := floorDiv(r.t, w.Size) * w.Size
			end := start + w.Size
			if end <= o.wm {
				o.lateOrReplayed(r, end)
				return nil
			}
			win = o.windowAt(start, end)
		}
		if o.track {
			win.noteOffset(r)
		}
		g := o.groupIn(win)
		if err := o.update(g, r); err != nil {
			return err
		}
		if o.p.Emit == ast.EmitChanges {
			return o.emitGroup(win, g, r.t)
		}
		return nil
	case ast.Sliding:
		// The windows holding t start at the multiples of advance in (t-size, t].
		last := floorDiv(r.t, w.Advance) * w.Advance
		first := last - w.Size + w.Advance
		accepted := false
		for start := first; start <= last; start += w.Advance {
			end := start + w.Size
			if end <= o.wm {
				continue
			}
			accepted = true
			win := o.windowAt(start, end)
			if o.track {
				win.noteOffset(r)
			}
			g := o.groupIn(win)
			if err := o.update(g, r); err != nil {
				return err
			}
			if o.p.Emit == ast.EmitChanges {
				if err := o.emitGroup(win, g, r.t); err != nil {
					return err
				}
			}
		}
		if !accepted {
			o.lateOrReplayed(r, last+w.Size)
		}
		return nil
	default:
		return o.pushSession(r)
	}
}

// update feeds the record's argument values to the group's buffers.
func (o *aggOp) update(g *group, r *rec) error {
	for i, b := range g.bufs {
		if err := b.Update(o.vals[i]); err != nil {
			o.rt.fail(r, "aggregate", err)
			return nil
		}
	}
	return nil
}

// windowAt finds or opens the window [start, end).
func (o *aggOp) windowAt(start, end int64) *window {
	if o.last != nil && o.last.start == start {
		return o.last
	}
	i := sort.Search(len(o.open), func(i int) bool { return o.open[i].start >= start })
	if i < len(o.open) && o.open[i].start == start {
		o.last = o.open[i]
		return o.last
	}
	w := newWindow(start, end)
	o.open = append(o.open, nil)
	copy(o.open[i+1:], o.open[i:])
	o.open[i] = w
	o.last = w
	return w
}

// strKey reports whether the current key is a single string, looked up by
// the string itself (no encoding, the common GROUP BY symbol case).
func (o *aggOp) strKey() bool {
	return o.nkeys == 1 && o.keyVals[0].K == types.KindString
}

// groupIn finds or creates the group of the current key in w.
func (o *aggOp) groupIn(w *window) *group {
	if o.strKey() {
		k := o.keyVals[0].S
		// Decoders intern repeated strings, so the same symbol usually
		// arrives with the same backing pointer: a direct-mapped cache on
		// the pointer skips hashing the string. Equal pointer and length
		// mean equal contents (strings are immutable).
		p := unsafe.StringData(k)
		slot := &o.cache[(uint64(uintptr(unsafe.Pointer(p)))*0x9E3779B97F4A7C15)>>54] // Fibonacci hash: small strings share 16-byte blocks
		if slot.w == w && slot.p == p && slot.n == len(k) {
			return slot.g
		}
		g, ok := w.str[k]
		if !ok {
			g = o.newGroup()
			w.str[k] = g
			w.order = append(w.order, g)
		}
		*slot = groupCache{w: w, p: p, n: len(k), g: g}
		return g
	}
	if g, ok := w.groups[string(o.keyBuf)]; ok {
		return g
	}
	g := o.newGroup()
	w.groups[string(o.keyBuf)] = g
	w.order = append(w.order, g)
	return g
}

// colIndex returns the input column e reads when e is a plain column, else -1.
func colIndex(e expr.Expr) int {
	if c, ok := e.(*expr.Col); ok {
		return c.Idx
	}
	return -1
}

func (o *aggOp) newGroup() *group {
	g := &group{keys: append(types.Row(nil), o.keyVals...), bufs: make([]agg.Buffer, len(o.p.Aggs))}
	for i, a := range o.p.Aggs {
		g.bufs[i] = a.Func.NewBuffer()
	}
	o.stats.OpenWindows.Add(1)
	return g
}

// fill writes the intermediate row of g in a window [start, end).
func (o *aggOp) fill(g *group, start, end int64) {
	copy(o.inter, g.keys)
	for i, b := range g.bufs {
		o.inter[o.nkeys+i] = b.Result()
	}
	n := o.nkeys + len(g.bufs)
	if o.p.Window != nil {
		o.inter[n] = types.TimestampValue(start)
		o.inter[n+1] = types.TimestampValue(end)
	} else {
		o.inter[n], o.inter[n+1] = types.Value{}, types.Value{}
	}
}

// project evaluates HAVING and the output expressions over the intermediate
// row; ok is false when HAVING rejects it or evaluation failed.
func (o *aggOp) project() (bool, error) {
	o.ctx.Reset()
	if o.p.Having != nil {
		t, null := functions.Truthy(o.p.Having.Eval(&o.ctx, o.inter))
		if !t || null {
			return false, nil
		}
	}
	for i, e := range o.p.Output {
		o.out[i] = e.Eval(&o.ctx, o.inter)
	}
	if o.ctx.Err != nil {
		o.rt.fail(&rec{row: o.inter}, "output", o.ctx.Err)
		return false, nil
	}
	return true, nil
}

// emitGroup emits g's current row (EMIT CHANGES).
func (o *aggOp) emitGroup(w *window, g *group, t int64) error {
	o.fill(g, w.start, w.end)
	ok, err := o.project()
	if !ok || err != nil {
		return err
	}
	return o.next.emit(o.out, t)
}

// closeWindow emits a window's final rows (EMIT FINAL) and forgets it.
func (o *aggOp) closeWindow(w *window) error {
	o.stats.OpenWindows.Add(-int64(len(w.order)))
	if o.p.Emit != ast.EmitFinal {
		return nil
	}
	if len(o.p.OrderBy) == 0 {
		for _, g := range w.order {
			o.fill(g, w.start, w.end)
			ok, err := o.project()
			if err != nil {
				return err
			}
			if ok {
				if err := o.next.emit(o.out, w.end); err != nil {
					return err
				}
			}
		}
		return nil
	}
	o.pending = o.pending[:0]
	for _, g := range w.order {
		o.fill(g, w.start, w.end)
		if ok, _ := o.project(); ok {
			o.pending = append(o.pending, append(types.Row(nil), o.out...))
		}
	}
	o.sortPending()
	for _, row := range o.pending {
		if err := o.next.emit(row, w.end); err != nil {
			return err
		}
	}
	return nil
}

func (o *aggOp) sortPending() {
	var c expr.Ctx
	sort.SliceStable(o.pending, func(i, j int) bool {
		for _, k := range o.p.OrderBy {
			a, b := k.Expr.Eval(&c, o.pending[i]), k.Expr.Eval(&c, o.pending[j])
			r := compareForSort(a, b)
			if r == 0 {
				continue
			}
			if k.Desc {
				return r > 0
			}
			return r < 0
		}
		return false
	})
}

// compareForSort orders values with NULLs first; incomparable values tie.
func compareForSort(a, b types.Value) int {
	switch {
	case a.K == types.KindNull && b.K == types.KindNull:
		return 0
	case a.K == types.KindNull:
		return -1
	case b.K == types.KindNull:
		return 1
	}
	c, ok, err := functions.Compare(a, b)
	if !ok || err != nil {
		return 0
	}
	return c
}

func (o *aggOp) advance(wm int64) error {
	if wm <= o.wm {
		return nil
	}
	o.wm = wm
	for len(o.open) > 0 && o.open[0].end <= wm {
		w := o.open[0]
		o.open[0] = nil
		o.open = o.open[1:]
		if o.last == w {
			o.last = nil
		}
		// Forget cached groups so a closed window's state can be freed.
		o.cache = [len(o.cache)]groupCache{}
		if err := o.closeWindow(w); err != nil {
			return err
		}
	}
	if o.sess != nil {
		return o.closeSessions(wm)
	}
	return nil
}

// finish closes every open window in order: the end of a bounded input.
func (o *aggOp) finish() error {
	if err := o.advance(math.MaxInt64); err != nil {
		return err
	}
	if o.global != nil {
		o.stats.OpenWindows.Add(-int64(len(o.global.order)))
	}
	return nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// encodeKey appends a self-delimiting encoding of the key values, such that
// values equal under SQL grouping encode identically (1 and 1.0 group
// together, as they compare equal).
func encodeKey(dst []byte, vals types.Row) []byte {
	for _, v := range vals {
		switch v.K {
		case types.KindString:
			dst = append(dst, byte(types.KindString))
			dst = binary.AppendUvarint(dst, uint64(len(v.S)))
			dst = append(dst, v.S...)
		case types.KindDecimal:
			if v.Big() {
				dst = append(dst, byte(types.KindDecimal), 0xff)
				dst = binary.AppendUvarint(dst, uint64(len(v.S)))
				dst = append(dst, v.S...)
				continue
			}
			m, s := v.I, v.Scale
			for s > 0 && m%10 == 0 {
				m /= 10
				s--
			}
			if s == 0 {
				dst = append(dst, byte(types.KindInt))
				dst = binary.AppendVarint(dst, m)
				continue
			}
			dst = append(dst, byte(types.KindDecimal), s)
			dst = binary.AppendVarint(dst, m)
		case types.KindNull:
			dst = append(dst, byte(types.KindNull))
		default:
			dst = append(dst, byte(v.K))
			dst = binary.AppendVarint(dst, v.I)
		}
	}
	return dst
}

// Session windows.

// session is one session of one group key: [start, last+gap).
type session struct {
	start, last int64
	minOff      minOffsets
	g           *group
	sg          *sessionGroup
	seq         int64
	closed      bool
	version     int
}

type sessionGroup struct {
	key      string
	sessions []*session
}

type sessEntry struct {
	end     int64
	seq     int64
	s       *session
	version int
}

type sessionHeap []sessEntry

func (h sessionHeap) Len() int { return len(h) }
func (h sessionHeap) Less(i, j int) bool {
	if h[i].end != h[j].end {
		return h[i].end < h[j].end
	}
	return h[i].seq < h[j].seq
}
func (h sessionHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *sessionHeap) Push(x any)   { *h = append(*h, x.(sessEntry)) }
func (h *sessionHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (o *aggOp) pushSession(r *rec) error {
	gap := o.p.Window.Size
	if o.strKey() { // sessions are keyed by the encoded key
		o.keyBuf = encodeKey(o.keyBuf[:0], o.keyVals)
	}
	sg := o.sess[string(o.keyBuf)]
	var hits []*session
	if sg != nil {
		for _, s := range sg.sessions {
			if r.t > s.start-gap && r.t < s.last+gap {
				hits = append(hits, s)
			}
		}
	}
	var s *session
	switch len(hits) {
	case 0:
		if r.t+gap <= o.wm {
			o.lateOrReplayed(r, r.t+gap)
			return nil
		}
		if sg == nil {
			sg = &sessionGroup{key: string(o.keyBuf)}
			o.sess[sg.key] = sg
		}
		o.sessSeq++
		s = &session{start: r.t, last: r.t, g: o.newGroup(), sg: sg, seq: o.sessSeq}
		sg.sessions = append(sg.sessions, s)
	default:
		s = hits[0]
		for _, other := range hits[1:] {
			if err := mergeGroups(s.g, other.g); err != nil {
				o.rt.fail(r, "aggregate", err)
				return nil
			}
			s.start = min(s.start, other.start)
			s.last = max(s.last, other.last)
			s.minOff.merge(other.minOff)
			other.closed = true
			o.stats.OpenWindows.Add(-1)
			sg.remove(other)
		}
	}
	s.start = min(s.start, r.t)
	s.last = max(s.last, r.t)
	s.version++
	if o.track {
		s.minOff.note(r)
	}
	heap.Push(&o.sessHeap, sessEntry{end: s.last + gap, seq: s.seq, s: s, version: s.version})
	if err := o.update(s.g, r); err != nil {
		return err
	}
	if o.p.Emit == ast.EmitChanges {
		w := window{start: s.start, end: s.last + gap}
		return o.emitGroup(&w, s.g, r.t)
	}
	return nil
}

func (sg *sessionGroup) remove(s *session) {
	for i, x := range sg.sessions {
		if x == s {
			sg.sessions = append(sg.sessions[:i], sg.sessions[i+1:]...)
			return
		}
	}
}

// closeSessions closes sessions whose end the watermark has reached, in end order.
func (o *aggOp) closeSessions(wm int64) error {
	gap := o.p.Window.Size
	for o.sessHeap.Len() > 0 && o.sessHeap[0].end <= wm {
		e := heap.Pop(&o.sessHeap).(sessEntry)
		s := e.s
		if s.closed || e.version != s.version {
			continue
		}
		s.closed = true
		s.sg.remove(s)
		if len(s.sg.sessions) == 0 {
			delete(o.sess, s.sg.key)
		}
		w := &window{start: s.start, end: s.last + gap, order: []*group{s.g}}
		if err := o.closeWindow(w); err != nil {
			return err
		}
	}
	return nil
}

// mergeGroups folds b's aggregate state into a (session windows merge when a
// record bridges two sessions).
func mergeGroups(a, b *group) error {
	for i := range a.bufs {
		m, ok := a.bufs[i].(agg.Merger)
		if !ok {
			return fmt.Errorf("aggregate %T cannot merge sessions", a.bufs[i])
		}
		if err := m.Merge(b.bufs[i]); err != nil {
			return err
		}
	}
	return nil
}

// lateOrReplayed handles a record whose windows have all closed: after a
// restart, a record of a window emitted before the restart (its end is at or
// before the restored watermark) is a replay and is skipped; any other is late.
func (o *aggOp) lateOrReplayed(r *rec, lastEnd int64) {
	if lastEnd <= o.replayed {
		o.stats.Replayed.Add(1)
		return
	}
	o.rt.late(r)
}

// noteOffset lowers the window's smallest offsets to the record's.
func (w *window) noteOffset(r *rec) { w.minOff.note(r) }

// pendingOffsets lowers offsets to the first record still held in open state.
func (o *aggOp) pendingOffsets(src int, offsets map[int32]int64) {
	for _, w := range o.open {
		w.minOff.apply(src, offsets)
	}
	if o.global != nil {
		o.global.minOff.apply(src, offsets)
	}
	for _, sg := range o.sess {
		for _, s := range sg.sessions {
			s.minOff.apply(src, offsets)
		}
	}
}

// setReplayed tells the operator the watermark restored after a restart.
func (o *aggOp) setReplayed(wm int64) { o.replayed = max(o.replayed, wm) }

// setTracking turns on per-window offset tracking (replayable sources).
func (o *aggOp) setTracking() { o.track = true }
