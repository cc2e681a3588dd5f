import { describe, expect, it } from 'vitest'
import type { StreamMessage } from '../api/types'
import { flushFrame } from './frame'
import { LiveResult } from './result'

const schema: StreamMessage = {
  type: 'schema',
  query_id: 'q-1',
  live: true,
  columns: [
    { name: 'symbol', type: 'STRING' },
    { name: 'volume', type: 'BIGINT' },
  ],
  meta: { chart: { type: 'bar', x: 'symbol', y: ['volume'], reason: 'r', override: false } },
}
const rows = (first: number, count: number, snapshot = false): StreamMessage => ({
  type: 'rows',
  first,
  count,
  total: first + count,
  snapshot,
  rows: Array.from({ length: count }, (_, i) => [`S${first + i}`, first + i]),
})

function follow(capacity?: number) {
  const r = new LiveResult('q-1', capacity)
  let renders = 0
  r.subscribe(() => renders++)
  return { r, renders: () => renders }
}

describe('LiveResult', () => {
  it('tells its views once per frame however many batches arrive', () => {
    const { r, renders } = follow()
    r.apply(schema)
    for (let i = 0; i < 10; i++) r.apply(rows(i * 5, 5))
    r.apply({ type: 'metrics', state: 'running', records_per_sec: 1000, rows_per_sec: 50, dropped: 0 })
    expect(renders()).toBe(0)
    expect(r.getSnapshot().rows).toHaveLength(0) // nothing shown before the frame
    flushFrame()
    expect(renders()).toBe(1)
    const s = r.getSnapshot()
    expect(s.state).toBe('running')
    expect(s.total).toBe(50)
    expect(s.recordsPerSec).toBe(1000)
    expect(s.chart?.type).toBe('bar')
    expect(s.rows[0]).toEqual({ seq: 49, values: ['S49', 49] }) // newest first
    expect(s.rows[49].seq).toBe(0)
    flushFrame()
    expect(renders()).toBe(1) // nothing new: no render
  })

  it('keeps only the newest rows', () => {
    const { r } = follow(8)
    r.apply(schema)
    r.apply(rows(0, 5))
    r.apply(rows(5, 5))
    flushFrame()
    const s = r.getSnapshot()
    expect(s.rows.map((x) => x.seq)).toEqual([9, 8, 7, 6, 5, 4, 3, 2])
    expect(s.total).toBe(10)
  })

  it('replaces what it shows with a snapshot, and ignores repeated rows', () => {
    const { r } = follow()
    r.apply(schema)
    r.apply(rows(0, 3))
    r.apply(rows(100, 2, true)) // resumed after a pause: the buffer now
    r.apply(rows(101, 3)) // overlaps the snapshot by one row
    flushFrame()
    expect(r.getSnapshot().rows.map((x) => x.seq)).toEqual([103, 102, 101, 100])
  })

  it.each([
    [{ type: 'complete', reason: 'end_of_input' }, 'complete'],
    [{ type: 'complete', reason: 'cancelled' }, 'stopped'],
    [{ type: 'error', error: { code: 'internal', message: 'boom' } }, 'error'],
    [{ type: 'state', state: 'paused' }, 'paused'],
  ] as [StreamMessage, string][])('%j ends in state %s', (m, want) => {
    const { r } = follow()
    r.apply(schema)
    r.apply({ type: 'metrics', state: 'running', records_per_sec: 5, rows_per_sec: 5, dropped: 0 })
    r.apply(m)
    flushFrame()
    expect(r.getSnapshot().state).toBe(want)
  })

  it('resumes to running, and a broken connection after the end is no failure', () => {
    const { r } = follow()
    r.apply(schema)
    r.apply({ type: 'state', state: 'paused' })
    r.apply({ type: 'state', state: 'running' })
    flushFrame()
    expect(r.getSnapshot().state).toBe('running')
    r.apply({ type: 'complete', reason: 'limit' })
    r.fail({ code: 'disconnected', message: 'closed' })
    flushFrame()
    expect(r.getSnapshot().state).toBe('complete')
    expect(r.getSnapshot().error).toBeUndefined()
    expect(r.ended).toBe(true)
  })

  it('reports a broken connection while running', () => {
    const { r } = follow()
    r.apply(schema)
    r.fail({ code: 'disconnected', message: 'closed' })
    flushFrame()
    expect(r.getSnapshot().state).toBe('error')
    expect(r.getSnapshot().error?.message).toBe('closed')
  })
})
