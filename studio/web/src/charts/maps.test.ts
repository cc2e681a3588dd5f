import { describe, expect, it } from 'vitest'
import type { FeatureCollection, MultiPolygon } from 'geojson'
import { feature } from 'topojson-client'
import type { Topology } from 'topojson-specification'
import usTopo from 'us-atlas/states-10m.json'
import { usaMap } from './maps'
import { usStates } from './regions'

describe('usaMap', () => {
  const all = feature(usTopo as unknown as Topology, (usTopo as unknown as Topology).objects.states) as unknown as FeatureCollection
  const m = usaMap(all)
  it('keeps the 50 states and DC, every one the regions name', () => {
    const names = m.features.map((f) => f.properties?.name).sort()
    expect(names).toEqual([...usStates].sort())
    expect(names).not.toContain('Guam')
  })
  it('puts every Alaskan island west of Greenwich', () => {
    const ak = m.features.find((f) => f.properties?.name === 'Alaska')!.geometry as MultiPolygon
    const lons = ak.coordinates.flat(2).map((p) => p[0])
    expect(Math.max(...lons)).toBeLessThan(0)
    expect(Math.min(...lons)).toBeGreaterThan(-200)
  })
})
