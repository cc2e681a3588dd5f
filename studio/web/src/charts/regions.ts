// Which map a region column is drawn on, and which areas a region value
// covers. The demo's regions are the four quarters of the United States
// (north, south, east, west: its payments are anchored on US cities), so a
// region value may stand for a group of states; state and country names are
// drawn as themselves.

/** US states by census region, named the way the demo names its regions. */
const groups: Record<string, string[]> = {
  west: ['Washington', 'Oregon', 'California', 'Nevada', 'Idaho', 'Montana', 'Wyoming', 'Utah', 'Colorado', 'Arizona', 'New Mexico', 'Alaska', 'Hawaii'],
  north: ['North Dakota', 'South Dakota', 'Nebraska', 'Kansas', 'Minnesota', 'Iowa', 'Missouri', 'Wisconsin', 'Illinois', 'Michigan', 'Indiana', 'Ohio'],
  east: ['Maine', 'New Hampshire', 'Vermont', 'Massachusetts', 'Rhode Island', 'Connecticut', 'New York', 'New Jersey', 'Pennsylvania'],
  south: [
    'Delaware', 'Maryland', 'District of Columbia', 'Virginia', 'West Virginia', 'North Carolina', 'South Carolina', 'Georgia', 'Florida',
    'Kentucky', 'Tennessee', 'Alabama', 'Mississippi', 'Arkansas', 'Louisiana', 'Oklahoma', 'Texas',
  ],
}
const aliases: Record<string, string> = { midwest: 'north', northeast: 'east', southeast: 'south', southwest: 'west', northwest: 'west' }

export const usStates = Object.values(groups).flat()
const stateSet = new Set(usStates.map((s) => s.toLowerCase()))

export type MapName = 'usa' | 'world'

/** statesOf returns the US states a region value covers (none for a value that is not a US region or state). */
export function statesOf(region: string): string[] {
  const r = region.trim().toLowerCase()
  const g = groups[r] ?? groups[aliases[r] ?? '']
  if (g) return g
  const state = usStates.find((s) => s.toLowerCase() === r)
  return state ? [state] : []
}

/** mapFor picks the map for a set of region values: the US when most of them are US regions or states. */
export function mapFor(regions: string[]): MapName {
  if (!regions.length) return 'usa'
  const us = regions.filter((r) => statesOf(r).length > 0).length
  return us * 2 >= regions.length ? 'usa' : 'world'
}

/** mapForPoints picks the map for positions: the US when they all lie in it. */
export function mapForPoints(points: { lat: number; lon: number }[]): MapName {
  const inUS = (p: { lat: number; lon: number }) => p.lat >= 18 && p.lat <= 72 && p.lon >= -180 && p.lon <= -65
  return points.length && points.every(inUS) ? 'usa' : 'world'
}

/** areaValues spreads each region's value over the areas it covers (states for the US map, the name itself otherwise). */
export function areaValues(values: Map<string, number>, map: MapName): { name: string; value: number; region: string }[] {
  const out: { name: string; value: number; region: string }[] = []
  for (const [region, value] of values) {
    const areas = map === 'usa' ? statesOf(region) : [region]
    for (const name of areas) out.push({ name, value, region })
  }
  return out
}

export const isUSState = (name: string) => stateSet.has(name.toLowerCase())
