// Small facts about a cell's SQL text that the UI acts on. The server's
// parser is the authority; these only decide what to offer the person.

/** strip removes comments and string literals, so words inside them do not count. */
function strip(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
}

/**
 * emitsOnlyWhenWindowsClose reports whether a query aggregates over a window
 * without an EMIT clause: it then emits one row per window and group when
 * the window closes (EMIT FINAL), so a live run shows nothing until then.
 */
export function emitsOnlyWhenWindowsClose(sql: string): boolean {
  const s = strip(sql)
  return /\bWINDOW\s+(TUMBLING|HOPPING|SLIDING|SESSION)\b/i.test(s) && !/\bEMIT\s+(CHANGES|FINAL)\b/i.test(s)
}

/** withEmitChanges adds EMIT CHANGES as the last clause (before a final semicolon and trailing comments). */
export function withEmitChanges(sql: string): string {
  const m = /(;?\s*(--[^\n]*\s*)*)$/.exec(sql)!
  const body = sql.slice(0, m.index).replace(/\s+$/, '')
  const tail = m[0].trim()
  return `${body}\nEMIT CHANGES${tail ? (tail.startsWith(';') ? tail : `\n${tail}`) : ''}\n`
}
