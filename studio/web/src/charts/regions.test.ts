import { describe, expect, it } from 'vitest'
import { areaValues, mapFor, mapForPoints, statesOf, usStates } from './regions'

describe('regions', () => {
  it('covers every state once across the four demo regions', () => {
    const all = ['north', 'south', 'east', 'west'].flatMap(statesOf)
    expect(new Set(all).size).toBe(all.length)
    expect(all.length).toBe(usStates.length)
    expect(all).toContain('District of Columbia')
  })
  it.each([
    ['West', 'California', true],
    ['midwest', 'Illinois', true],
    ['northeast', 'New York', true],
    ['texas', 'Texas', true],
    ['Atlantis', 'Texas', false],
  ])('%s covers %s: %s', (region, state, want) => {
    expect(statesOf(region).includes(state)).toBe(want)
  })
  it.each([
    [['north', 'south', 'east', 'west'], 'usa'],
    [['France', 'Germany', 'west'], 'world'],
    [['France', 'Texas'], 'usa'],
    [[], 'usa'],
  ])('mapFor(%j) = %s', (regions, want) => {
    expect(mapFor(regions)).toBe(want)
  })
  it('picks the US map only when every point is in it', () => {
    expect(mapForPoints([{ lat: 40.7, lon: -74 }, { lat: 21.3, lon: -157.8 }])).toBe('usa')
    expect(mapForPoints([{ lat: 40.7, lon: -74 }, { lat: 51.5, lon: -0.1 }])).toBe('world')
  })
  it('spreads a region value over its states', () => {
    const v = areaValues(new Map([['east', 5]]), 'usa')
    expect(v).toHaveLength(statesOf('east').length)
    expect(v[0]).toEqual({ name: 'Maine', value: 5, region: 'east' })
    expect(areaValues(new Map([['France', 2]]), 'world')).toEqual([{ name: 'France', value: 2, region: 'France' }])
  })
})
