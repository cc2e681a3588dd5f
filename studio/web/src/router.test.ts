import { describe, expect, it } from 'vitest'
import { hrefFor, parseRoute } from './router'

describe('routes', () => {
  it.each([
    ['', { page: 'list' }],
    ['#/', { page: 'list' }],
    ['#/notebooks/trading-analytics', { page: 'notebook', name: 'trading-analytics' }],
    ['#/dashboard/q-0123', { page: 'dashboard', query: 'q-0123' }],
    ['#/elsewhere/x/y', { page: 'missing', path: '/elsewhere/x/y' }],
  ])('%j', (hash, want) => {
    expect(parseRoute(hash)).toEqual(want)
  })
  it('round-trips names that need escaping', () => {
    expect(parseRoute(hrefFor.notebook('a/b c'))).toEqual({ page: 'notebook', name: 'a/b c' })
  })
})
