import { describe, expect, it } from 'vitest'
import { buildAssertion, comparison, describeAssertion } from './assertions'

describe('comparison', () => {
  it.each([
    ['> 0', { greater_than: 0 }],
    ['>=5', { greater_than_or_equal: 5 }],
    ['= 7', { equals: 7 }],
    ['== 7', { equals: 7 }],
    ['< 10.5', { less_than: 10.5 }],
    ['<= -1', { less_than_or_equal: -1 }],
    ['<> 3', { not_equals: 3 }],
    ['12', { greater_than: 12 }],
    ['between 1 and 10', { between: [1, 10] }],
  ])('%j', (s, want) => {
    expect(comparison(s)).toEqual(want)
  })
  it.each([['more than five'], [''], ['> x']])('refuses %j with a message', (s) => {
    expect(typeof comparison(s)).toBe('string')
  })
})

describe('buildAssertion', () => {
  it.each([
    ['record_count', '> 0', { record_count: { greater_than: 0 } }],
    ['no_nulls', 'symbol, volume', { no_nulls: ['symbol', 'volume'] }],
    ['schema_contains', ' symbol ', { schema_contains: ['symbol'] }],
    ['unique_values', 'symbol,window_start', { unique_values: ['symbol', 'window_start'] }],
    ['field_values', "volume > 0 AND symbol <> 'X'", { field_values: "volume > 0 AND symbol <> 'X'" }],
    ['aggregate_check', 'SUM(volume) > 0', { aggregate_check: 'SUM(volume) > 0' }],
    ['execution_time', '1000ms', { execution_time: { max_ms: 1000 } }],
    ['throughput', '100,000', { throughput: { min_records_per_second: 100000 } }],
  ])('%s %j', (type, arg, want) => {
    expect(buildAssertion(type, arg)).toEqual(want)
  })
  it.each([
    ['no_nulls', ''],
    ['no_nulls', 'symbol, 2x'],
    ['field_values', '  '],
    ['execution_time', '-5'],
    ['execution_time', 'soon'],
    ['nope', 'x'],
  ])('%s %j is refused with a message', (type, arg) => {
    expect(typeof buildAssertion(type, arg)).toBe('string')
  })
})

describe('describeAssertion', () => {
  it.each([
    [{ record_count: { greater_than: 0 } }, 'record_count: {greater_than: 0}'],
    [{ no_nulls: ['symbol', 'volume'] }, 'no_nulls: symbol, volume'],
    [{ field_values: 'volume > 0' }, 'field_values: volume > 0'],
  ])('%j', (a, want) => {
    expect(describeAssertion(a)).toBe(want)
  })
})
