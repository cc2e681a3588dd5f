// Downloads of a cell's current rows: CSV (RFC 4180) and JSON (an array of
// objects keyed by column name). Rows are written oldest first, the order
// the query emitted them.
import type { Column } from '../api/types'
import type { Row } from '../live/result'

function csvField(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** toCSV renders rows (given newest first) as CSV with a header line. */
export function toCSV(columns: Column[], rowsNewestFirst: Row[]): string {
  const lines = [columns.map((c) => csvField(c.name)).join(',')]
  for (let i = rowsNewestFirst.length - 1; i >= 0; i--) {
    lines.push(rowsNewestFirst[i].values.map(csvField).join(','))
  }
  return lines.join('\r\n') + '\r\n'
}

/** toJSON renders rows (given newest first) as a JSON array of objects. */
export function toJSON(columns: Column[], rowsNewestFirst: Row[]): string {
  const out: Record<string, unknown>[] = []
  for (let i = rowsNewestFirst.length - 1; i >= 0; i--) {
    const o: Record<string, unknown> = {}
    columns.forEach((c, j) => {
      o[c.name] = rowsNewestFirst[i].values[j] ?? null
    })
    out.push(o)
  }
  return JSON.stringify(out, null, 2) + '\n'
}

/** saveFile hands text to the browser as a download (no request leaves the page). */
export function saveFile(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
