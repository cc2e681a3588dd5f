// From a live result's rows (newest first) to what a chart draws. Streaming
// aggregations re-emit a group's row whenever it changes, so every shape
// here keeps the newest value per key (category, time and series, region)
// rather than adding rows up: the chart shows the current answer.
import type { Chart, Column } from '../api/types'
import type { Row } from '../live/result'

/** num reads a result value as a number (decimals arrive as JSON numbers, some as strings). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '') return Number(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  return NaN
}

/** time reads a TIMESTAMP value (an RFC 3339 string) as milliseconds since the epoch. */
export function time(v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string') return Date.parse(v)
  return NaN
}

export function label(v: unknown): string {
  if (v === null || v === undefined) return '(null)'
  return typeof v === 'string' ? v : JSON.stringify(v)
}

function indexOf(columns: Column[], name: string | undefined): number {
  if (!name) return -1
  return columns.findIndex((c) => c.name === name)
}

/** The keys of the category and of x in chart data: no result column is named so. */
export const catKey = '\u0000key'
export const xKey = '\u0000x'

const isTimeType = (t: string) => /^TIMESTAMP/i.test(t)

export interface BarData {
  /** One entry per category: { [catKey]: category, <measure>: value, ... }, sorted by category. */
  data: Record<string, string | number>[]
  measures: string[]
}

/** barData keeps, per category, the newest row's measures; at most maxBars categories (the newest ones). */
export function barData(rows: Row[], columns: Column[], chart: Chart, maxBars = 50): BarData {
  const xi = indexOf(columns, chart.x)
  const measures = (chart.y ?? []).filter((y) => indexOf(columns, y) >= 0)
  const yi = measures.map((y) => indexOf(columns, y))
  const seen = new Map<string, Record<string, string | number>>()
  if (xi < 0 || !measures.length) return { data: [], measures }
  for (const r of rows) {
    const k = label(r.values[xi])
    if (seen.has(k)) continue
    const d: Record<string, string | number> = { [catKey]: k }
    yi.forEach((i, j) => {
      d[measures[j]] = num(r.values[i])
    })
    seen.set(k, d)
    if (seen.size >= maxBars) break
  }
  const data = [...seen.values()].sort((a, b) => String(a[catKey]).localeCompare(String(b[catKey]), undefined, { numeric: true }))
  return { data, measures }
}

export interface LineData {
  /** Points sorted by x: { [xKey]: x, <series>: value, ... }. */
  data: Record<string, number | string>[]
  series: string[]
  /** Whether x is a time (ms since the epoch) or a category. */
  xKind: 'time' | 'category'
}

/**
 * lineData draws one line per series value (chart.series) of the first
 * measure, or one line per measure; the newest row wins for each (x,
 * series). It keeps the newest maxPoints x values and maxSeries series.
 */
export function lineData(rows: Row[], columns: Column[], chart: Chart, maxPoints = 200, maxSeries = 10): LineData {
  const xi = indexOf(columns, chart.x)
  const si = indexOf(columns, chart.series)
  const measures = (chart.y ?? []).filter((y) => indexOf(columns, y) >= 0)
  if (xi < 0 || !measures.length) return { data: [], series: [], xKind: 'category' }
  const xKind: LineData['xKind'] = isTimeType(columns[xi].type) ? 'time' : 'category'
  const byX = new Map<string | number, Record<string, number | string>>()
  const series: string[] = []
  const seriesSet = new Set<string>()
  const want = si >= 0 ? [measures[0]] : measures
  const wantIdx = want.map((m) => indexOf(columns, m))
  for (const r of rows) {
    const x = xKind === 'time' ? time(r.values[xi]) : label(r.values[xi])
    if (typeof x === 'number' && Number.isNaN(x)) continue
    let point = byX.get(x)
    if (!point) {
      if (byX.size >= maxPoints) continue // older than the points kept
      point = { [xKey]: x }
      byX.set(x, point)
    }
    if (si >= 0) {
      const s = label(r.values[si])
      if (!seriesSet.has(s)) {
        if (seriesSet.size >= maxSeries) continue
        seriesSet.add(s)
        series.push(s)
      }
      if (!(s in point)) point[s] = num(r.values[wantIdx[0]])
    } else {
      want.forEach((m, j) => {
        if (!(m in point!)) point![m] = num(r.values[wantIdx[j]])
      })
    }
  }
  if (si < 0) series.push(...want)
  const data = [...byX.values()]
  if (xKind === 'time') data.sort((a, b) => (a[xKey] as number) - (b[xKey] as number))
  else data.reverse() // oldest category first, in the order they arrived
  series.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
  return { data, series, xKind }
}

export interface StatData {
  value: number
  previous?: number
  /** The measure's name. */
  name: string
}

/** statData is the newest value of the measure, and the one before it (for the trend). */
export function statData(rows: Row[], columns: Column[], chart: Chart): StatData | undefined {
  const name = chart.value ?? chart.y?.[0]
  const vi = indexOf(columns, name)
  if (vi < 0 || !rows.length) return undefined
  return { name: name!, value: num(rows[0].values[vi]), previous: rows.length > 1 ? num(rows[1].values[vi]) : undefined }
}

export interface GeoPoint {
  lat: number
  lon: number
  value: number
}

/** geoPoints are the newest rows with a position (at most max). */
export function geoPoints(rows: Row[], columns: Column[], chart: Chart, max = 500): GeoPoint[] {
  const la = indexOf(columns, chart.lat)
  const lo = indexOf(columns, chart.lon)
  const vi = indexOf(columns, chart.value)
  if (la < 0 || lo < 0) return []
  const out: GeoPoint[] = []
  for (const r of rows) {
    const lat = num(r.values[la])
    const lon = num(r.values[lo])
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) continue
    out.push({ lat, lon, value: vi >= 0 ? num(r.values[vi]) : 1 })
    if (out.length >= max) break
  }
  return out
}

/** geoRegions is the newest value per region. */
export function geoRegions(rows: Row[], columns: Column[], chart: Chart): Map<string, number> {
  const ri = indexOf(columns, chart.region)
  const vi = indexOf(columns, chart.value)
  const out = new Map<string, number>()
  if (ri < 0 || vi < 0) return out
  for (const r of rows) {
    const k = label(r.values[ri])
    if (!out.has(k)) out.set(k, num(r.values[vi]))
  }
  return out
}

export interface HeatmapData {
  xs: (string | number)[]
  ys: string[]
  /** [xIndex, yIndex, value] */
  cells: [number, number, number][]
  xKind: 'time' | 'category'
}

/** heatmapData lays the first measure out over x (time or category) and the series column. */
export function heatmapData(rows: Row[], columns: Column[], chart: Chart, maxX = 60): HeatmapData {
  const xi = indexOf(columns, chart.x)
  const si = indexOf(columns, chart.series)
  const vi = indexOf(columns, chart.y?.[0] ?? chart.value)
  if (xi < 0 || vi < 0) return { xs: [], ys: [], cells: [], xKind: 'category' }
  const xKind: HeatmapData['xKind'] = isTimeType(columns[xi].type) ? 'time' : 'category'
  const latest = new Map<string, number>()
  const xsSet = new Set<string | number>()
  const ysSet = new Set<string>()
  for (const r of rows) {
    const x = xKind === 'time' ? time(r.values[xi]) : label(r.values[xi])
    const y = si >= 0 ? label(r.values[si]) : (chart.y?.[0] ?? '')
    if (!xsSet.has(x) && xsSet.size >= maxX) continue
    xsSet.add(x)
    ysSet.add(y)
    const k = `${x}\u0000${y}`
    if (!latest.has(k)) latest.set(k, num(r.values[vi]))
  }
  const xs = [...xsSet]
  if (xKind === 'time') (xs as number[]).sort((a, b) => a - b)
  else xs.reverse()
  const ys = [...ysSet].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
  const xPos = new Map(xs.map((x, i) => [x, i]))
  const yPos = new Map(ys.map((y, i) => [y, i]))
  const cells: [number, number, number][] = []
  for (const [k, v] of latest) {
    const [xs0, y] = k.split('\u0000')
    const x = xKind === 'time' ? Number(xs0) : xs0
    cells.push([xPos.get(x)!, yPos.get(y)!, v])
  }
  return { xs, ys, cells, xKind }
}
