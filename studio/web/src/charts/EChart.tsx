// Time series, maps (geo) and heatmaps, drawn with ECharts on a canvas.
// Line charts are here rather than in Recharts because a live time series
// redraws often with many points: Recharts' Line measures its SVG path
// (getTotalLength, a forced layout) on every render, which with five live
// cells took most of each frame; a canvas redraw does not touch layout.
// The map outlines ship in the bundle (maps.ts, its own chunk). The chart
// instance is made once per mounted component and fed new options as rows
// arrive, so it never re-mounts.
import { useEffect, useMemo, useRef, useState } from 'react'
import * as echarts from 'echarts/core'
import { HeatmapChart, LineChart, MapChart, ScatterChart } from 'echarts/charts'
import { GeoComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import type { Chart, Column } from '../api/types'
import type { Row } from '../live/result'
import { useTheme } from '../theme'
import { geoPoints, geoRegions, heatmapData, lineData, xKey } from './data'
import { palette } from './palette'
import { areaValues, mapFor, mapForPoints, type MapName } from './regions'

echarts.use([LineChart, MapChart, ScatterChart, HeatmapChart, GeoComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer])

let maps: Promise<unknown> | undefined
const loadMaps = () => (maps ??= import('./maps'))

const fmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 })
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })

function geoOption(chart: Chart, columns: Column[], rows: Row[], dark: boolean): echarts.EChartsCoreOption {
  const area = dark ? '#1e293b' : '#f1f5f9'
  const border = dark ? '#475569' : '#94a3b8'
  if (chart.lat && chart.lon) {
    const pts = geoPoints(rows, columns, chart)
    const map: MapName = mapForPoints(pts)
    const max = Math.max(1, ...pts.map((p) => (Number.isFinite(p.value) ? p.value : 0)))
    return {
      tooltip: { trigger: 'item', formatter: (p: { value: number[] }) => `${p.value[1].toFixed(3)}, ${p.value[0].toFixed(3)}: ${fmt.format(p.value[2])}` },
      geo: { map, roam: true, top: 4, bottom: 48, itemStyle: { areaColor: area, borderColor: border }, emphasis: { disabled: true } },
      visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, dimension: 2, inRange: { color: ['#38bdf8', '#f59e0b', '#ef4444'] }, textStyle: { color: dark ? '#cbd5e1' : '#334155' } },
      series: [{ id: 'points', type: 'scatter', coordinateSystem: 'geo', symbolSize: 6, data: pts.map((p) => [p.lon, p.lat, p.value]), animation: false }],
    }
  }
  const values = geoRegions(rows, columns, chart)
  const map = mapFor([...values.keys()])
  const data = areaValues(values, map)
  const nums = [...values.values()].filter(Number.isFinite)
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p: { name: string; data?: { region: string; value: number } }) => (p.data ? `${p.data.region}: ${fmt.format(p.data.value)}` : p.name),
    },
    visualMap: {
      min: nums.length ? Math.min(0, ...nums) : 0,
      max: nums.length ? Math.max(...nums) : 1,
      calculable: true,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      inRange: { color: ['#e0f2fe', '#38bdf8', '#7c3aed'] },
      textStyle: { color: dark ? '#cbd5e1' : '#334155' },
    },
    series: [
      {
        id: 'regions',
        type: 'map',
        map,
        roam: true,
        top: 4,
        bottom: 48, // room for the scale under the map
        data,
        itemStyle: { areaColor: area, borderColor: border },
        emphasis: { label: { show: false } },
        animation: false,
      },
    ],
  }
}

function lineOption(chart: Chart, columns: Column[], rows: Row[], dark: boolean): echarts.EChartsCoreOption {
  const d = lineData(rows, columns, chart)
  const text = dark ? '#cbd5e1' : '#475569'
  const grid = dark ? '#334155' : '#e2e8f0'
  const time = d.xKind === 'time'
  return {
    color: palette,
    animation: false,
    grid: { left: 56, right: 16, top: d.series.length > 1 ? 28 : 8, bottom: 24 },
    legend: d.series.length > 1 ? { top: 0, textStyle: { color: text } } : undefined,
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? fmt.format(v) : String(v)) },
    xAxis: time
      ? { type: 'time', axisLabel: { color: text, hideOverlap: true }, axisLine: { lineStyle: { color: grid } } }
      : { type: 'category', data: d.data.map((p) => p[xKey]), axisLabel: { color: text, hideOverlap: true } },
    yAxis: { type: 'value', scale: true, axisLabel: { color: text, formatter: (v: number) => fmt.format(v) }, splitLine: { lineStyle: { color: grid } } },
    series: d.series.map((s) => ({
      id: s,
      name: s,
      type: 'line',
      showSymbol: false,
      connectNulls: true,
      lineStyle: { width: 2 },
      emphasis: { disabled: true },
      data: time ? d.data.filter((p) => s in p).map((p) => [p[xKey], p[s]]) : d.data.map((p) => p[s] ?? null),
    })),
  }
}

function heatmapOption(chart: Chart, columns: Column[], rows: Row[], dark: boolean): echarts.EChartsCoreOption {
  const h = heatmapData(rows, columns, chart)
  const vals = h.cells.map((c) => c[2]).filter(Number.isFinite)
  const text = dark ? '#cbd5e1' : '#334155'
  return {
    tooltip: { position: 'top' },
    grid: { left: 80, right: 16, top: 8, bottom: 56 },
    xAxis: { type: 'category', data: h.xs.map((x) => (h.xKind === 'time' ? timeFormat.format(x as number) : String(x))), axisLabel: { color: text } },
    yAxis: { type: 'category', data: h.ys, axisLabel: { color: text } },
    visualMap: { min: vals.length ? Math.min(...vals) : 0, max: vals.length ? Math.max(...vals) : 1, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, textStyle: { color: text } },
    series: [{ id: 'heat', type: 'heatmap', data: h.cells, animation: false }],
  }
}

export default function EChart({ chart, columns, rows, height }: { chart: Chart; columns: Column[]; rows: Row[]; height: number }) {
  const host = useRef<HTMLDivElement>(null)
  const inst = useRef<echarts.ECharts | null>(null)
  const dark = useTheme() === 'dark'

  // Maps load with the first geo chart; until then the map is not drawn.
  const [mapsReady, setMapsReady] = useState(chart.type !== 'geo')
  useEffect(() => {
    if (chart.type !== 'geo') return
    let live = true
    loadMaps().then(() => live && setMapsReady(true))
    return () => {
      live = false
    }
  }, [chart.type])

  useEffect(() => {
    const c = echarts.init(host.current!, undefined, { renderer: 'canvas' })
    inst.current = c
    const ro = new ResizeObserver(() => c.resize())
    ro.observe(host.current!)
    return () => {
      ro.disconnect()
      c.dispose()
      inst.current = null
    }
  }, [])

  const option = useMemo(() => {
    if (!mapsReady) return undefined
    if (chart.type === 'line') return lineOption(chart, columns, rows, dark)
    if (chart.type === 'heatmap') return heatmapOption(chart, columns, rows, dark)
    return geoOption(chart, columns, rows, dark)
  }, [chart, columns, rows, dark, mapsReady])
  // Replace only the parts that change (series data, scales): the map and
  // the person's zoom stay as they are. Series come and go with the data
  // (a new symbol), so the series list is replaced rather than merged.
  const shape = chart.type === 'line' ? 'line' : chart.type === 'heatmap' ? 'heatmap' : chart.lat ? 'points' : 'regions'
  const lastShape = useRef('')
  useEffect(() => {
    const c = inst.current
    if (!c || !option) return
    if (lastShape.current !== shape) {
      c.setOption(option, { notMerge: true })
      lastShape.current = shape
    } else {
      c.setOption(option, { lazyUpdate: true, replaceMerge: ['series'] })
    }
  }, [option, shape])

  return <div ref={host} style={{ height, width: '100%', contain: 'strict' }} data-testid={`echart-${shape}`} role="img" aria-label={`${chart.type} chart`} />
}
