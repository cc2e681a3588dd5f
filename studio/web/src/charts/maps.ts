// Map outlines, in the bundle (no request leaves the page): US states from
// us-atlas, countries from world-atlas. Their own chunk: loaded with the
// first geo chart only.
import * as echarts from 'echarts/core'
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson'
import { feature } from 'topojson-client'
import type { Topology } from 'topojson-specification'
import usTopo from 'us-atlas/states-10m.json'
import worldTopo from 'world-atlas/countries-110m.json'
import { usStates } from './regions'

const us = usTopo as unknown as Topology
const world = worldTopo as unknown as Topology

/**
 * usaMap keeps the 50 states and DC (the territories across the Pacific
 * would shrink the map to a corner) and brings the Aleutian islands west of
 * the antimeridian next to the rest of Alaska.
 */
export function usaMap(all: FeatureCollection): FeatureCollection {
  const keep = new Set(usStates)
  const west = (p: Position): Position => (p[0] > 0 ? [p[0] - 360, p[1]] : p)
  const fix = (g: Geometry): Geometry => {
    if (g.type === 'Polygon') return { ...g, coordinates: g.coordinates.map((r) => r.map(west)) }
    if (g.type === 'MultiPolygon') return { ...g, coordinates: g.coordinates.map((p) => p.map((r) => r.map(west))) }
    return g
  }
  const features = all.features
    .filter((f) => keep.has(String(f.properties?.name)))
    .map((f): Feature => (f.properties?.name === 'Alaska' && f.geometry ? { ...f, geometry: fix(f.geometry) } : f))
  return { ...all, features }
}

// Alaska and Hawaii are moved next to the lower 48, as US maps draw them.
echarts.registerMap('usa', usaMap(feature(us, us.objects.states) as unknown as FeatureCollection) as never, {
  Alaska: { left: -131, top: 25, width: 15 },
  Hawaii: { left: -110, top: 28, width: 5 },
})
echarts.registerMap('world', feature(world, world.objects.countries) as never)

export const registered = true
