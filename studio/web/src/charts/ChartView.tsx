// The chart of a live result. Loaded lazily with the first run: the
// notebook list never pays for Recharts, and ECharts (time series, maps and
// heatmaps) loads only when such a chart is shown. Components stay mounted while rows
// arrive: only their data changes, with animations off, so a chart updating
// every frame does not flicker or restart.
import { lazy, memo, Suspense, useMemo } from 'react'
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { Chart, Column } from '../api/types'
import type { Row } from '../live/result'
import { useTheme } from '../theme'
import { rendererFor } from './choose'
import { barData, catKey, statData } from './data'
import { palette } from './palette'
import { useScheduled } from './schedule'

const EChart = lazy(() => import('./EChart'))


export interface ChartViewProps {
  chart: Chart
  columns: Column[]
  rows: Row[]
  height?: number
}

const fmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 })
const fmtNum = (v: unknown) => (typeof v === 'number' ? fmt.format(v) : String(v))

// Recharts recomputes a series whenever its dataKey changes identity, so
// accessors are made once per name and reused on every render.
const accessors = new Map<string, (d: Record<string, unknown>) => number>()
function valueOf(name: string) {
  let f = accessors.get(name)
  if (!f) {
    if (accessors.size > 1000) accessors.clear() // names come from data: keep the cache bounded
    f = (d) => d[name] as number
    accessors.set(name, f)
  }
  return f
}
const categoryOf = (d: Record<string, unknown>) => d[catKey] as string

function ChartViewImpl({ chart, columns, rows: latest, height = 260 }: ChartViewProps) {
  // The chart draws as often as the page's chart budget allows (see schedule.ts).
  const rows = useScheduled(latest)
  const theme = useTheme()
  const axis = theme === 'dark' ? '#94a3b8' : '#475569'
  const grid = theme === 'dark' ? '#334155' : '#e2e8f0'
  const tooltipStyle = theme === 'dark' ? { backgroundColor: '#0f172a', borderColor: '#334155', color: '#e2e8f0' } : undefined
  const r = rendererFor(chart.type)
  const title = chart.title || describe(chart)

  let body: React.ReactNode = null
  if (r === 'echarts') {
    body = (
      <Suspense fallback={<p className="muted p-3 text-sm">Loading the map…</p>}>
        <EChart chart={chart} columns={columns} rows={rows} height={height} />
      </Suspense>
    )
  } else if (chart.type === 'bar') {
    body = <Bars chart={chart} columns={columns} rows={rows} height={height} axis={axis} grid={grid} tooltipStyle={tooltipStyle} />
  } else if (r === 'stat') {
    body = <Stat chart={chart} columns={columns} rows={rows} />
  }
  return (
    <figure className="m-0" data-chart-type={chart.type} aria-label={`${chart.type} chart: ${title}`}>
      <figcaption className="muted mb-1 text-xs">{title}</figcaption>
      {body}
    </figure>
  )
}

export default memo(ChartViewImpl)

function describe(ch: Chart): string {
  switch (ch.type) {
    case 'bar':
      return `${(ch.y ?? []).join(', ')} by ${ch.x}`
    case 'line':
      return `${(ch.series ? ch.y?.slice(0, 1) : ch.y)?.join(', ')} over ${ch.x}${ch.series ? ` per ${ch.series}` : ''}`
    case 'stat':
    case 'gauge':
      return ch.value ?? ''
    case 'geo':
      return `${ch.value ?? 'rows'} by ${ch.region ?? 'position'}`
    case 'heatmap':
      return `${ch.y?.[0] ?? ''} over ${ch.x}${ch.series ? ` and ${ch.series}` : ''}`
    default:
      return ''
  }
}

interface CartesianProps extends ChartViewProps {
  axis: string
  grid: string
  tooltipStyle?: React.CSSProperties
}

function Bars({ chart, columns, rows, height, axis, grid, tooltipStyle }: CartesianProps) {
  const { data, measures } = useMemo(() => barData(rows, columns, chart), [rows, columns, chart])
  return (
    <div style={{ height }} data-testid="bar-chart">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 4, right: 8, bottom: 4, left: 8 }}>
          <CartesianGrid stroke={grid} vertical={false} />
          <XAxis dataKey={categoryOf} stroke={axis} tick={{ fontSize: 11 }} interval="preserveStartEnd" />
          <YAxis stroke={axis} tick={{ fontSize: 11 }} tickFormatter={fmtNum} width={64} />
          <Tooltip formatter={fmtNum} contentStyle={tooltipStyle} cursor={{ fillOpacity: 0.1 }} isAnimationActive={false} />
          {measures.length > 1 && <Legend />}
          {measures.map((m, i) => (
            <Bar key={m} name={m} dataKey={valueOf(m)} fill={palette[i % palette.length]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  )
}

function Stat({ chart, columns, rows }: ChartViewProps) {
  const s = useMemo(() => statData(rows, columns, chart), [rows, columns, chart])
  if (!s) return <p className="muted p-3 text-sm">No value yet.</p>
  const trend = s.previous === undefined || !Number.isFinite(s.previous) ? 0 : Math.sign(s.value - s.previous)
  if (chart.type === 'gauge') return <Gauge value={s.value} name={s.name} />
  return (
    <div className="flex items-baseline gap-3 p-3" data-testid="stat">
      <span className="text-4xl font-semibold tabular-nums">{fmtNum(s.value)}</span>
      <span className="muted text-sm">{s.name}</span>
      {trend !== 0 && (
        <span className={trend > 0 ? 'text-emerald-600' : 'text-rose-600'} aria-label={trend > 0 ? 'rising' : 'falling'}>
          {trend > 0 ? '▲' : '▼'}
        </span>
      )}
    </div>
  )
}

/** Gauge draws a value on a half circle: 0..1 as a share, else 0 up to a round number above it. */
function Gauge({ value, name }: { value: number; name: string }) {
  const max = value >= 0 && value <= 1 ? 1 : niceCeil(Math.abs(value))
  const f = Math.min(Math.max(value / max, 0), 1)
  const a = Math.PI * (1 - f)
  const x = 60 + 50 * Math.cos(a)
  const y = 60 - 50 * Math.sin(a)
  return (
    <div className="flex flex-col items-center p-2" data-testid="gauge">
      <svg viewBox="0 0 120 70" width="220" role="img" aria-label={`${name}: ${fmtNum(value)} of ${fmtNum(max)}`}>
        <path d="M10 60 A50 50 0 0 1 110 60" fill="none" stroke="currentColor" strokeOpacity="0.15" strokeWidth="10" />
        <path d={`M10 60 A50 50 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`} fill="none" stroke={palette[0]} strokeWidth="10" />
        <text x="60" y="58" textAnchor="middle" fontSize="14" fill="currentColor">
          {max === 1 ? `${fmt.format(value * 100)}%` : fmtNum(value)}
        </text>
      </svg>
      <span className="muted text-xs">{name}</span>
    </div>
  )
}

function niceCeil(v: number): number {
  if (v <= 0) return 1
  const p = Math.pow(10, Math.floor(Math.log10(v)))
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}
