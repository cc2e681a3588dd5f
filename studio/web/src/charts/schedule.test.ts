import { describe, expect, it } from 'vitest'
import { ChartScheduler } from './schedule'

function harness(opts: { minInterval?: number; perFrame?: number } = {}) {
  let now = 0
  const frames: (() => void)[] = []
  const s = new ChartScheduler({ ...opts, now: () => now, frame: (j) => frames.push(j) })
  const frame = () => {
    const jobs = frames.splice(0)
    new Set(jobs).forEach((j) => j())
  }
  return { s, frame, advance: (ms: number) => (now += ms) }
}

describe('ChartScheduler', () => {
  it('draws at most perFrame charts a frame, the longest waiting first', () => {
    const { s, frame, advance } = harness({ perFrame: 1 })
    const drawn: string[] = []
    const a = {}
    const b = {}
    s.request(a, () => drawn.push('a1'))
    advance(1)
    s.request(b, () => drawn.push('b1'))
    frame()
    expect(drawn).toEqual(['a1'])
    frame()
    expect(drawn).toEqual(['a1', 'b1'])
    expect(s.pending).toBe(0)
  })

  it('redraws a chart no sooner than minInterval, with its newest data', () => {
    const { s, frame, advance } = harness({ minInterval: 200 })
    const drawn: string[] = []
    const a = {}
    s.request(a, () => drawn.push('1'))
    frame()
    s.request(a, () => drawn.push('2'))
    s.request(a, () => drawn.push('3'))
    advance(100)
    frame()
    expect(drawn).toEqual(['1'])
    advance(100)
    frame()
    expect(drawn).toEqual(['1', '3'])
  })

  it('forgets a chart that went away', () => {
    const { s, frame } = harness()
    const drawn: string[] = []
    const a = {}
    s.request(a, () => drawn.push('a'))
    s.forget(a)
    frame()
    expect(drawn).toEqual([])
  })
})
