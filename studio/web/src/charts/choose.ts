// Which chart a cell shows, and which library draws it. The server picks a
// chart for a result schema (/charts/suggest; `@viz` in the SQL overrides
// it); the person may switch to another type, whose axes the server fills
// in the same way. This module decides between those, and keeps the choice
// when the server's answers arrive in any order.
import type { Chart, ChartType, Column } from '../api/types'

export type Renderer = 'recharts' | 'echarts' | 'stat' | 'none'

/**
 * rendererFor names the library that draws a chart type: Recharts for bars,
 * ECharts (canvas) for time series, maps and heatmaps, whose live redraws
 * Recharts' SVG could not keep within a frame.
 */
export function rendererFor(t: ChartType): Renderer {
  switch (t) {
    case 'bar':
      return 'recharts'
    case 'line':
    case 'geo':
    case 'heatmap':
      return 'echarts'
    case 'stat':
    case 'gauge':
      return 'stat'
    case 'table':
      return 'none'
  }
}

export interface ChartChoice {
  /** The server's suggestion for the result (undefined until it answers). */
  suggested?: Chart
  /** The type the person picked, if any. */
  picked?: ChartType
  /** The server's axes for each picked type, as they arrive. */
  forType: Partial<Record<ChartType, Chart>>
}

export const emptyChoice: ChartChoice = { forType: {} }

/**
 * shownChart is the chart to draw: the picked type once its axes are known,
 * else the suggestion, else a table. A chart whose columns are not in the
 * result (a stale answer for another query) is not drawn.
 */
export function shownChart(c: ChartChoice, columns: Column[]): Chart {
  const fallback: Chart = { type: 'table', reason: 'no chart suggested yet', override: false }
  let ch: Chart | undefined = c.suggested
  if (c.picked) {
    if (c.picked === 'table') ch = { type: 'table', reason: 'picked', override: true }
    else if (c.forType[c.picked]) ch = c.forType[c.picked]
  }
  if (!ch) return fallback
  if (!fits(ch, columns)) return { ...fallback, reason: 'the chart names columns this result does not have' }
  return ch
}

/** fits reports whether every column a chart names is in the result. */
export function fits(ch: Chart, columns: Column[]): boolean {
  const names = new Set(columns.map((c) => c.name))
  const used = [ch.x, ch.series, ch.value, ch.lat, ch.lon, ch.region, ...(ch.y ?? [])].filter((n): n is string => !!n)
  return used.every((n) => names.has(n))
}

/** needsAxes reports whether switching to t must ask the server for its axes first. */
export function needsAxes(c: ChartChoice, t: ChartType): boolean {
  return t !== 'table' && !c.forType[t] && c.suggested?.type !== t
}

/** pick records the person's choice; the suggestion counts as the axes of its own type. */
export function pick(c: ChartChoice, t: ChartType): ChartChoice {
  const forType = { ...c.forType }
  if (c.suggested && c.suggested.type === t && !forType[t]) forType[t] = c.suggested
  return { ...c, picked: t, forType }
}

/** axesArrived stores the server's chart for type t (ignored if it is of another type). */
export function axesArrived(c: ChartChoice, t: ChartType, ch: Chart): ChartChoice {
  if (ch.type !== t && ch.type !== 'table') return c
  return { ...c, forType: { ...c.forType, [t]: ch } }
}

/** vizOf reads the `@viz` annotation of a SQL text ("" when there is none). */
export function vizOf(sql: string): string {
  const m = /^\s*--\s*@viz\s*:\s*([A-Za-z_]+)/m.exec(sql)
  return m ? m[1].toLowerCase() : ''
}
