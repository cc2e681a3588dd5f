import { useMemo, useRef } from 'react'
import { createColumnHelper, tableFeatures, useTable } from '@tanstack/react-table'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { Column } from '../api/types'
import type { Row } from '../live/result'
import { tableScheduler, useScheduled } from '../charts/schedule'

const features = tableFeatures({})
const helper = createColumnHelper<typeof features, Row>()
const rowHeight = 26

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

const numericType = /^(INT|INTEGER|BIGINT|SMALLINT|DECIMAL|NUMERIC|DOUBLE|FLOAT|REAL)/i

/**
 * ResultsTable shows a result's rows newest first. Only the rows in view are
 * in the DOM, so a table holding thousands of rows costs the same to update
 * as one holding twenty.
 */
export function ResultsTable({ columns, rows: latest, height = 240, label }: { columns: Column[]; rows: Row[]; height?: number; label: string }) {
  const rows = useScheduled(latest, tableScheduler)
  const defs = useMemo(
    () =>
      columns.map((c, i) =>
        helper.accessor((r: Row) => r.values[i], {
          id: `${i}:${c.name}`,
          header: c.name,
          cell: (info) => cellText(info.getValue()),
          meta: { type: c.type },
        }),
      ),
    [columns],
  )
  const table = useTable({ features, columns: defs, data: rows, getRowId: (r) => String(r.seq) })
  const scroller = useRef<HTMLDivElement>(null)
  const modelRows = table.getRowModel().rows
  const virtual = useVirtualizer({
    count: modelRows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 8,
  })
  const items = virtual.getVirtualItems()
  const padTop = items.length ? items[0].start : 0
  const padBottom = items.length ? virtual.getTotalSize() - items[items.length - 1].end : 0

  if (!columns.length) return null
  return (
    <div
      ref={scroller}
      className="overflow-auto rounded-md border border-slate-200 dark:border-slate-700"
      // Changes inside stay inside: the rest of the page is not laid out again.
      style={{ maxHeight: height, contain: 'content' }}
      tabIndex={0}
      aria-label={label}
    >
      <table className="w-full border-collapse font-mono text-xs" aria-rowcount={modelRows.length + 1}>
        <thead className="sticky top-0 z-10 bg-slate-100 dark:bg-slate-800">
          {table.getHeaderGroups().map((g) => (
            <tr key={g.id}>
              {g.headers.map((h, i) => (
                <th
                  key={h.id}
                  scope="col"
                  className={`whitespace-nowrap px-2 py-1 font-semibold ${numericType.test(columns[i]?.type ?? '') ? 'text-right' : 'text-left'}`}
                  title={columns[i]?.type}
                >
                  <table.FlexRender header={h} />
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {padTop > 0 && (
            <tr aria-hidden="true">
              <td style={{ height: padTop }} colSpan={columns.length} />
            </tr>
          )}
          {items.map((it) => {
            const row = modelRows[it.index]
            // Keyed by position, not by row: new rows arrive at the top and
            // push every row down, and rewriting the text of the rows in
            // view is far cheaper than removing and inserting them all.
            return (
              <tr key={it.index} className="border-t border-slate-100 odd:bg-slate-50/60 dark:border-slate-800 dark:odd:bg-slate-900/60" style={{ height: rowHeight }} aria-rowindex={it.index + 2}>
                {row.getAllCells().map((cell, i) => (
                  <td key={i} className={`whitespace-nowrap px-2 ${numericType.test(columns[i]?.type ?? '') ? 'text-right tabular-nums' : ''}`}>
                    <table.FlexRender cell={cell} />
                  </td>
                ))}
              </tr>
            )
          })}
          {padBottom > 0 && (
            <tr aria-hidden="true">
              <td style={{ height: padBottom }} colSpan={columns.length} />
            </tr>
          )}
        </tbody>
      </table>
      {rows.length === 0 && <p className="muted p-3 text-sm">No rows yet.</p>}
    </div>
  )
}
