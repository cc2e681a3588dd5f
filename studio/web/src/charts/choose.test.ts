import { describe, expect, it } from 'vitest'
import type { Chart, ChartType, Column } from '../api/types'
import { axesArrived, emptyChoice, fits, needsAxes, pick, rendererFor, shownChart, vizOf } from './choose'

const cols: Column[] = [
  { name: 'symbol', type: 'STRING' },
  { name: 'window_start', type: 'TIMESTAMP' },
  { name: 'volume', type: 'BIGINT' },
]
const bar: Chart = { type: 'bar', x: 'symbol', y: ['volume'], reason: 'group key', override: false }
const line: Chart = { type: 'line', x: 'window_start', y: ['volume'], series: 'symbol', reason: '@viz: line', override: true }

describe('rendererFor', () => {
  it.each([
    ['line', 'echarts'],
    ['bar', 'recharts'],
    ['geo', 'echarts'],
    ['heatmap', 'echarts'],
    ['stat', 'stat'],
    ['gauge', 'stat'],
    ['table', 'none'],
  ] as [ChartType, string][])('%s is drawn by %s', (t, want) => {
    expect(rendererFor(t)).toBe(want)
  })
})

describe('shownChart', () => {
  it.each([
    ['nothing suggested yet: a table', emptyChoice, 'table'],
    ['the suggestion', { suggested: bar, forType: {} }, 'bar'],
    ['a pick waiting for its axes keeps the suggestion', pick({ suggested: bar, forType: {} }, 'line'), 'bar'],
    ['a pick with its axes', axesArrived(pick({ suggested: bar, forType: {} }, 'line'), 'line', line), 'line'],
    ['a table pick needs no axes', pick({ suggested: bar, forType: {} }, 'table'), 'table'],
    ['picking the suggested type again', pick({ suggested: bar, forType: {} }, 'bar'), 'bar'],
  ])('%s', (_name, choice, want) => {
    expect(shownChart(choice, cols).type).toBe(want)
  })

  it('does not draw a chart whose columns the result lacks', () => {
    const stale: Chart = { type: 'bar', x: 'region', y: ['total'], reason: '', override: false }
    const ch = shownChart({ suggested: stale, forType: {} }, cols)
    expect(ch.type).toBe('table')
    expect(fits(stale, cols)).toBe(false)
    expect(fits(bar, cols)).toBe(true)
  })
})

describe('switching', () => {
  it('asks the server for axes only when it has none for the type', () => {
    const c = { suggested: bar, forType: {} }
    expect(needsAxes(c, 'bar')).toBe(false)
    expect(needsAxes(c, 'table')).toBe(false)
    expect(needsAxes(c, 'line')).toBe(true)
    expect(needsAxes(axesArrived(c, 'line', line), 'line')).toBe(false)
  })

  it('ignores axes of another type (a late answer for an earlier pick)', () => {
    const c = pick({ suggested: bar, forType: {} }, 'geo')
    expect(axesArrived(c, 'geo', line)).toBe(c)
    // The server falls back to a table when the columns cannot feed the type.
    const table: Chart = { type: 'table', reason: '@viz: geo', override: true, warning: 'needs lat/lon' }
    const got = shownChart(axesArrived(c, 'geo', table), cols)
    expect(got.type).toBe('table')
    expect(got.warning).toBe('needs lat/lon')
  })
})

describe('vizOf', () => {
  it.each([
    ['-- @viz: line\nSELECT 1', 'line'],
    ['SELECT 1\n  --   @viz:Bar  ', 'bar'],
    ['-- @viz_title: x\nSELECT 1', ''],
    ['SELECT 1', ''],
  ])('%j -> %j', (sql, want) => {
    expect(vizOf(sql)).toBe(want)
  })
})
