import { describe, expect, it } from 'vitest'
import { emitsOnlyWhenWindowsClose, withEmitChanges } from './sql'

describe('emitsOnlyWhenWindowsClose', () => {
  it.each([
    ["SELECT symbol, SUM(quantity) FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE)", true],
    ['SELECT symbol, SUM(quantity) FROM trades GROUP BY symbol window hopping(ts, 1m, 10s)', true],
    ["SELECT symbol FROM trades GROUP BY symbol WINDOW TUMBLING(ts, INTERVAL '1' MINUTE) EMIT CHANGES", false],
    ['SELECT symbol FROM trades GROUP BY symbol WINDOW TUMBLING(ts, 1m)\nEMIT FINAL', false],
    ['SELECT symbol, SUM(quantity) FROM trades GROUP BY symbol', false],
    ["-- WINDOW TUMBLING in a comment\nSELECT 'WINDOW TUMBLING(x)' FROM trades", false],
  ])('%j: %s', (sql, want) => {
    expect(emitsOnlyWhenWindowsClose(sql)).toBe(want)
  })
})

describe('withEmitChanges', () => {
  it.each([
    ['SELECT a FROM t GROUP BY a WINDOW TUMBLING(ts, 1m)', 'SELECT a FROM t GROUP BY a WINDOW TUMBLING(ts, 1m)\nEMIT CHANGES\n'],
    ['SELECT a FROM t GROUP BY a WINDOW TUMBLING(ts, 1m);\n', 'SELECT a FROM t GROUP BY a WINDOW TUMBLING(ts, 1m)\nEMIT CHANGES;\n'],
    ['SELECT a FROM t WINDOW TUMBLING(ts, 1m)\n-- the end\n', 'SELECT a FROM t WINDOW TUMBLING(ts, 1m)\nEMIT CHANGES\n-- the end\n'],
  ])('%j', (sql, want) => {
    const got = withEmitChanges(sql)
    expect(got).toBe(want)
    expect(emitsOnlyWhenWindowsClose(got)).toBe(false)
  })
})
