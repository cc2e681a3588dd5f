// LiveResult holds what one running query has shown so far: its columns,
// its newest rows (bounded), the rates and how it ended. Messages from the
// result stream are applied as they arrive; views are told at most once per
// animation frame (see frame.ts), so a cell receiving a thousand rows a
// second costs React one render a frame, not one per batch.
import type { Chart, Column, ErrorBody, StreamMessage } from '../api/types'
import { onNextFrame } from './frame'

export interface Row {
  /** The row's sequence number in the query's output (0 = first emitted). */
  seq: number
  values: unknown[]
}

export type RunState = 'starting' | 'running' | 'paused' | 'complete' | 'error' | 'stopped'

/** Snapshot is an immutable view of a LiveResult for rendering. */
export interface Snapshot {
  queryId: string
  live: boolean
  columns: Column[]
  /** Newest first. */
  rows: Row[]
  /** Rows the query emitted in all (not only those kept). */
  total: number
  /** Rows this client did not receive (slow connection or paused). */
  dropped: number
  recordsPerSec: number
  rowsPerSec: number
  latencyP99?: number
  state: RunState
  reason?: string
  error?: ErrorBody
  chart?: Chart
  /** Changes whenever anything above does. */
  version: number
}

/** How many rows a cell keeps by default: enough to scroll, bounded in memory. */
export const defaultCapacity = 2000

export class LiveResult {
  private snap: Snapshot
  private buf: Row[] = [] // oldest first; trimmed to capacity
  private listeners = new Set<() => void>()
  private readonly capacity: number
  private readonly notifyJob = () => this.publish()

  constructor(queryId: string, capacity = defaultCapacity) {
    this.capacity = capacity
    this.snap = {
      queryId,
      live: true,
      columns: [],
      rows: [],
      total: 0,
      dropped: 0,
      recordsPerSec: 0,
      rowsPerSec: 0,
      state: 'starting',
      version: 0,
    }
  }

  subscribe = (fn: () => void) => {
    this.listeners.add(fn)
    return () => {
      this.listeners.delete(fn)
    }
  }

  getSnapshot = (): Snapshot => this.snap

  /** pending holds field changes until the frame publishes them. */
  private pending: Partial<Snapshot> = {}
  private rowsChanged = false

  private set(p: Partial<Snapshot>) {
    Object.assign(this.pending, p)
    onNextFrame(this.notifyJob)
  }

  private publish() {
    const p = this.pending
    this.pending = {}
    const next: Snapshot = { ...this.snap, ...p, version: this.snap.version + 1 }
    if (this.rowsChanged) {
      this.rowsChanged = false
      next.rows = this.buf.slice().reverse()
    }
    this.snap = next
    for (const l of this.listeners) l()
  }

  /** apply takes one message of the query's result stream. */
  apply(m: StreamMessage): void {
    switch (m.type) {
      case 'schema':
        this.set({ queryId: m.query_id, live: m.live, columns: m.columns, chart: m.meta?.chart ?? this.current('chart'), state: this.runningState() })
        return
      case 'rows': {
        const rows = m.rows.map((values, i) => ({ seq: m.first + i, values }))
        if (m.snapshot) {
          this.buf = rows
        } else {
          // A batch that starts before what we hold repeats rows (a
          // reconnect): keep only the new ones.
          const last = this.buf.length ? this.buf[this.buf.length - 1].seq : -1
          for (const r of rows) if (r.seq > last) this.buf.push(r)
        }
        if (this.buf.length > this.capacity) this.buf = this.buf.slice(this.buf.length - this.capacity)
        this.rowsChanged = true
        this.set({ total: Math.max(m.total, this.current('total')), state: this.runningState() })
        return
      }
      case 'metrics':
        this.set({
          recordsPerSec: m.records_per_sec,
          rowsPerSec: m.rows_per_sec,
          dropped: m.dropped,
          latencyP99: m.latency_ms?.p99,
        })
        return
      case 'state':
        this.set({ state: m.state === 'paused' ? 'paused' : 'running' })
        return
      case 'complete':
        this.set({ state: m.reason === 'cancelled' ? 'stopped' : 'complete', reason: m.reason, recordsPerSec: 0, rowsPerSec: 0 })
        return
      case 'error':
        this.set({ state: 'error', error: m.error, recordsPerSec: 0, rowsPerSec: 0 })
        return
    }
  }

  /** fail marks the run failed for a reason outside the stream (the connection broke). */
  fail(error: ErrorBody): void {
    const st = this.current('state')
    if (st === 'complete' || st === 'stopped' || st === 'error') return
    this.set({ state: 'error', error, recordsPerSec: 0, rowsPerSec: 0 })
  }

  /** stopped marks the run stopped by the person. */
  stopped(): void {
    const st = this.current('state')
    if (st === 'complete' || st === 'error') return
    this.set({ state: 'stopped', recordsPerSec: 0, rowsPerSec: 0 })
  }

  setChart(chart: Chart | undefined): void {
    this.set({ chart })
  }

  /** current reads a field including changes not yet published. */
  private current<K extends keyof Snapshot>(k: K): Snapshot[K] {
    return (k in this.pending ? this.pending[k] : this.snap[k]) as Snapshot[K]
  }

  private runningState(): RunState {
    const st = this.current('state')
    return st === 'starting' ? 'running' : st
  }

  get ended(): boolean {
    const st = this.current('state')
    return st === 'complete' || st === 'error' || st === 'stopped'
  }
}
