// Maps (geo) and heatmaps, drawn with ECharts. The map outlines ship in this
// chunk (US states from us-atlas, countries from world-atlas): nothing is
// fetched. The chart instance is made once per mounted component and fed
// new options as rows arrive (setOption merges), so it never re-mounts.
import { useEffect, useMemo, useRef } from 'react'
import * as echarts from 'echarts/core'
import { HeatmapChart, MapChart, ScatterChart } from 'echarts/charts'
import { GeoComponent, GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import { feature } from 'topojson-client'
import type { Topology } from 'topojson-specification'
import usTopo from 'us-atlas/states-10m.json'
import worldTopo from 'world-atlas/countries-110m.json'
import type { Chart, Column } from '../api/types'
import type { Row } from '../live/result'
import { useTheme } from '../theme'
import { geoPoints, geoRegions, heatmapData } from './data'
import { areaValues, mapFor, mapForPoints, type MapName } from './regions'

echarts.use([MapChart, ScatterChart, HeatmapChart, GeoComponent, GridComponent, TooltipComponent, VisualMapComponent, CanvasRenderer])

let mapsRegistered = false
function registerMaps() {
  if (mapsRegistered) return
  mapsRegistered = true
  const us = usTopo as unknown as Topology
  const world = worldTopo as unknown as Topology
  // Alaska and Hawaii are moved next to the lower 48, as US maps draw them.
  echarts.registerMap('usa', feature(us, us.objects.states) as never, {
    Alaska: { left: -131, top: 25, width: 15 },
    Hawaii: { left: -110, top: 28, width: 5 },
    'Puerto Rico': { left: -76, top: 26, width: 2 },
  })
  echarts.registerMap('world', feature(world, world.objects.countries) as never)
}

const fmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 })

function geoOption(chart: Chart, columns: Column[], rows: Row[], dark: boolean): echarts.EChartsCoreOption {
  const area = dark ? '#1e293b' : '#f1f5f9'
  const border = dark ? '#475569' : '#94a3b8'
  if (chart.lat && chart.lon) {
    const pts = geoPoints(rows, columns, chart)
    const map: MapName = mapForPoints(pts)
    const max = Math.max(1, ...pts.map((p) => (Number.isFinite(p.value) ? p.value : 0)))
    return {
      tooltip: { trigger: 'item', formatter: (p: { value: number[] }) => `${p.value[1].toFixed(3)}, ${p.value[0].toFixed(3)}: ${fmt.format(p.value[2])}` },
      geo: { map, roam: true, itemStyle: { areaColor: area, borderColor: border }, emphasis: { disabled: true } },
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
        data,
        itemStyle: { areaColor: area, borderColor: border },
        emphasis: { label: { show: false } },
        animation: false,
      },
    ],
  }
}

function heatmapOption(chart: Chart, columns: Column[], rows: Row[], dark: boolean): echarts.EChartsCoreOption {
  const h = heatmapData(rows, columns, chart)
  const vals = h.cells.map((c) => c[2]).filter(Number.isFinite)
  const text = dark ? '#cbd5e1' : '#334155'
  return {
    tooltip: { position: 'top' },
    grid: { left: 80, right: 16, top: 8, bottom: 56 },
    xAxis: { type: 'category', data: h.xs.map((x) => (h.xKind === 'time' ? new Date(x as number).toLocaleTimeString() : String(x))), axisLabel: { color: text } },
    yAxis: { type: 'category', data: h.ys, axisLabel: { color: text } },
    visualMap: { min: vals.length ? Math.min(...vals) : 0, max: vals.length ? Math.max(...vals) : 1, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, textStyle: { color: text } },
    series: [{ id: 'heat', type: 'heatmap', data: h.cells, animation: false }],
  }
}

export default function EChart({ chart, columns, rows, height }: { chart: Chart; columns: Column[]; rows: Row[]; height: number }) {
  const host = useRef<HTMLDivElement>(null)
  const inst = useRef<echarts.ECharts | null>(null)
  const dark = useTheme() === 'dark'

  useEffect(() => {
    registerMaps()
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

  const option = useMemo(
    () => (chart.type === 'heatmap' ? heatmapOption(chart, columns, rows, dark) : geoOption(chart, columns, rows, dark)),
    [chart, columns, rows, dark],
  )
  // Replace only the parts that change (series data, scales): the map and
  // the person's zoom stay as they are.
  const shape = chart.type === 'heatmap' ? 'heatmap' : chart.lat ? 'points' : 'regions'
  const lastShape = useRef('')
  useEffect(() => {
    const c = inst.current
    if (!c) return
    if (lastShape.current !== shape) {
      c.setOption(option, { notMerge: true })
      lastShape.current = shape
    } else {
      c.setOption(option, { lazyUpdate: true })
    }
  }, [option, shape])

  return <div ref={host} style={{ height, width: '100%' }} data-testid={`echart-${shape}`} role="img" aria-label={`${chart.type} chart`} />
}
