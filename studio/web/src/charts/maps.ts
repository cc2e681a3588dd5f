// Map outlines, in the bundle (no request leaves the page): US states from
// us-atlas, countries from world-atlas. Their own chunk: loaded with the
// first geo chart only.
import * as echarts from 'echarts/core'
import { feature } from 'topojson-client'
import type { Topology } from 'topojson-specification'
import usTopo from 'us-atlas/states-10m.json'
import worldTopo from 'world-atlas/countries-110m.json'

const us = usTopo as unknown as Topology
const world = worldTopo as unknown as Topology
// Alaska and Hawaii are moved next to the lower 48, as US maps draw them.
echarts.registerMap('usa', feature(us, us.objects.states) as never, {
  Alaska: { left: -131, top: 25, width: 15 },
  Hawaii: { left: -110, top: 28, width: 5 },
  'Puerto Rico': { left: -76, top: 26, width: 2 },
})
echarts.registerMap('world', feature(world, world.objects.countries) as never)

export const registered = true
