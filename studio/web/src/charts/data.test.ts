import { describe, expect, it } from 'vitest'
import type { Chart, Column } from '../api/types'
import type { Row } from '../live/result'
import { barData, catKey, geoPoints, geoRegions, heatmapData, lineData, num, statData, time, xKey } from './data'

/** rows builds newest-first rows from oldest-first values. */
const rows = (...values: unknown[][]): Row[] => values.map((v, i) => ({ seq: i, values: v })).reverse()

const barCols: Column[] = [
  { name: 'symbol', type: 'STRING' },
  { name: 'volume', type: 'BIGINT' },
  { name: 'avg_price', type: 'DECIMAL(12,4)' },
]
const bar: Chart = { type: 'bar', x: 'symbol', y: ['volume', 'avg_price'], reason: '', override: false }

describe('barData', () => {
  it('keeps the newest value per category, sorted by category', () => {
    const d = barData(rows(['TSLA', 5, 1.5], ['AAPL', 10, 2], ['TSLA', 7, 1.75], ['AAPL', 12, '2.25']), barCols, bar)
    expect(d.measures).toEqual(['volume', 'avg_price'])
    expect(d.data).toEqual([
      { [catKey]: 'AAPL', volume: 12, avg_price: 2.25 },
      { [catKey]: 'TSLA', volume: 7, avg_price: 1.75 },
    ])
  })
  it('caps the categories, keeping the newest', () => {
    const d = barData(rows(['a', 1, 0], ['b', 2, 0], ['c', 3, 0]), barCols, bar, 2)
    expect(d.data.map((x) => x[catKey])).toEqual(['b', 'c'])
  })
  it('draws nothing for a chart whose columns are missing', () => {
    expect(barData(rows(['a', 1, 0]), barCols, { ...bar, x: 'nope' }).data).toEqual([])
    expect(barData(rows(['a', 1, 0]), barCols, { ...bar, y: ['nope'] }).measures).toEqual([])
  })
  it('labels NULL categories', () => {
    expect(barData(rows([null, 1, 0]), barCols, bar).data[0][catKey]).toBe('(null)')
  })
})

const lineCols: Column[] = [
  { name: 'window_start', type: 'TIMESTAMP' },
  { name: 'symbol', type: 'STRING' },
  { name: 'volume', type: 'BIGINT' },
  { name: 'trades', type: 'BIGINT' },
]
const t = (m: number) => `2026-01-01T10:0${m}:00Z`

describe('lineData', () => {
  it('draws one line per series value of the first measure, newest value per (x, series)', () => {
    const ch: Chart = { type: 'line', x: 'window_start', y: ['volume', 'trades'], series: 'symbol', reason: '', override: false }
    const d = lineData(rows([t(1), 'B', 1, 0], [t(0), 'A', 2, 0], [t(1), 'A', 3, 0], [t(1), 'A', 4, 0]), lineCols, ch)
    expect(d.xKind).toBe('time')
    expect(d.series).toEqual(['A', 'B'])
    expect(d.data).toEqual([
      { [xKey]: Date.parse(t(0)), A: 2 },
      { [xKey]: Date.parse(t(1)), A: 4, B: 1 },
    ])
  })
  it('without a series, draws each measure', () => {
    const ch: Chart = { type: 'line', x: 'window_start', y: ['volume', 'trades'], reason: '', override: false }
    const d = lineData(rows([t(0), 'A', 2, 20], [t(1), 'A', 3, 30]), lineCols, ch)
    expect(d.series).toEqual(['trades', 'volume'])
    expect(d.data[1]).toEqual({ [xKey]: Date.parse(t(1)), volume: 3, trades: 30 })
  })
  it('keeps the newest points and the first series only', () => {
    const ch: Chart = { type: 'line', x: 'window_start', y: ['volume'], series: 'symbol', reason: '', override: false }
    const d = lineData(rows([t(0), 'A', 1, 0], [t(1), 'B', 1, 0], [t(2), 'C', 1, 0], [t(3), 'C', 2, 0]), lineCols, ch, 2, 1)
    expect(d.data.map((p) => p[xKey])).toEqual([Date.parse(t(2)), Date.parse(t(3))])
    expect(d.series).toEqual(['C'])
  })
  it('uses a category axis for text x values, in arrival order', () => {
    const ch: Chart = { type: 'line', x: 'symbol', y: ['volume'], reason: '', override: true }
    const d = lineData(rows([t(0), 'B', 1, 0], [t(0), 'A', 2, 0]), lineCols, ch)
    expect(d.xKind).toBe('category')
    expect(d.data.map((p) => p[xKey])).toEqual(['B', 'A'])
  })
  it('skips rows whose time does not parse', () => {
    const ch: Chart = { type: 'line', x: 'window_start', y: ['volume'], reason: '', override: false }
    expect(lineData(rows(['not a time', 'A', 1, 0]), lineCols, ch).data).toEqual([])
  })
})

describe('statData', () => {
  const cols: Column[] = [{ name: 'fraud_rate', type: 'DOUBLE' }]
  const ch: Chart = { type: 'gauge', value: 'fraud_rate', reason: '', override: false }
  it('is the newest value and the one before', () => {
    expect(statData(rows([0.1], [0.2]), cols, ch)).toEqual({ name: 'fraud_rate', value: 0.2, previous: 0.1 })
    expect(statData(rows([0.3]), cols, ch)).toEqual({ name: 'fraud_rate', value: 0.3, previous: undefined })
    expect(statData([], cols, ch)).toBeUndefined()
  })
})

describe('geo', () => {
  const cols: Column[] = [
    { name: 'lat', type: 'DOUBLE' },
    { name: 'lon', type: 'DOUBLE' },
    { name: 'region', type: 'STRING' },
    { name: 'amount', type: 'DECIMAL(12,2)' },
  ]
  it('places the newest points, skipping rows without a position', () => {
    const ch: Chart = { type: 'geo', lat: 'lat', lon: 'lon', value: 'amount', reason: '', override: false }
    const pts = geoPoints(rows([40.7, -74, 'east', 10], [null, -74, 'east', 5], [37.7, -122.4, 'west', 20]), cols, ch)
    expect(pts).toEqual([
      { lat: 37.7, lon: -122.4, value: 20 },
      { lat: 40.7, lon: -74, value: 10 },
    ])
  })
  it('keeps the newest value per region', () => {
    const ch: Chart = { type: 'geo', region: 'region', value: 'amount', reason: '', override: false }
    const m = geoRegions(rows([0, 0, 'east', 1], [0, 0, 'west', 2], [0, 0, 'east', 3]), cols, ch)
    expect([...m]).toEqual([
      ['east', 3],
      ['west', 2],
    ])
  })
})

describe('heatmapData', () => {
  it('lays the measure out over time and the series', () => {
    const ch: Chart = { type: 'heatmap', x: 'window_start', y: ['volume'], series: 'symbol', reason: '', override: true }
    const h = heatmapData(rows([t(1), 'B', 1, 0], [t(0), 'A', 2, 0], [t(1), 'A', 3, 0], [t(1), 'A', 4, 0]), lineCols, ch)
    expect(h.xs).toEqual([Date.parse(t(0)), Date.parse(t(1))])
    expect(h.ys).toEqual(['A', 'B'])
    expect(h.cells.sort()).toEqual(
      [
        [0, 0, 2],
        [1, 0, 4],
        [1, 1, 1],
      ].sort(),
    )
  })
})

describe('values', () => {
  it.each([
    [3, 3],
    ['2.50', 2.5],
    ['', NaN],
    [null, NaN],
    [true, 1],
  ])('num(%j) = %j', (v, want) => {
    expect(num(v)).toBe(want)
  })
  it('reads RFC 3339 timestamps', () => {
    expect(time('2026-01-01T00:00:00.5Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 500))
    expect(time(undefined)).toBeNaN()
  })
})
