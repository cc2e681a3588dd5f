// Charts cost far more to draw than the rows they show: a live chart
// redraws at most every minInterval, and the page redraws at most perFrame
// charts in one animation frame, the one waiting longest first. However
// many cells run, a frame holds at most one chart's work, so typing and
// scrolling stay smooth; the table under each chart still updates every
// frame.
import { useEffect, useRef, useState } from 'react'
import { onNextFrame } from '../live/frame'

export class ChartScheduler {
  private waiting = new Map<object, { since: number; apply: () => void }>()
  private last = new Map<object, number>()
  private readonly minInterval: number
  private readonly perFrame: number
  private readonly now: () => number
  private readonly frame: (job: () => void) => void

  constructor(opts: { minInterval?: number; perFrame?: number; now?: () => number; frame?: (job: () => void) => void } = {}) {
    this.minInterval = opts.minInterval ?? 200
    this.perFrame = opts.perFrame ?? 1
    this.now = opts.now ?? (() => performance.now())
    this.frame = opts.frame ?? onNextFrame
  }

  /** request asks for chart's next redraw; a newer request replaces one still waiting. */
  request(chart: object, apply: () => void): void {
    const w = this.waiting.get(chart)
    this.waiting.set(chart, { since: w?.since ?? this.now(), apply })
    this.frame(this.tick)
  }

  /** forget drops a chart that went away. */
  forget(chart: object): void {
    this.waiting.delete(chart)
    this.last.delete(chart)
  }

  /** tick redraws up to perFrame charts that are due, oldest request first. */
  tick = (): void => {
    const now = this.now()
    const due = [...this.waiting.entries()]
      .filter(([c]) => now - (this.last.get(c) ?? -Infinity) >= this.minInterval)
      .sort((a, b) => a[1].since - b[1].since)
      .slice(0, this.perFrame)
    for (const [c, w] of due) {
      this.waiting.delete(c)
      this.last.set(c, now)
      w.apply()
    }
    if (this.waiting.size) this.frame(this.tick)
  }

  get pending(): number {
    return this.waiting.size
  }
}

export const chartScheduler = new ChartScheduler()

/** tableScheduler paces the result tables: cheaper than charts, and unreadable faster than ten times a second. */
export const tableScheduler = new ChartScheduler({ minInterval: 100, perFrame: 2 })

/** useScheduled returns value as the chart should draw it: the latest, as often as the scheduler lets it. */
export function useScheduled<T>(value: T, scheduler: ChartScheduler = chartScheduler): T {
  const [shown, setShown] = useState(value)
  const token = useRef({})
  useEffect(() => {
    if (value !== shown) scheduler.request(token.current, () => setShown(value))
  }, [value, shown, scheduler])
  useEffect(() => {
    const t = token.current
    return () => scheduler.forget(t)
  }, [scheduler])
  return shown
}
