import { lazy, Suspense, useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { api, errorText } from '../api/client'
import { chartTypes, type ChartType } from '../api/types'
import { axesArrived, emptyChoice, needsAxes, pick, shownChart, type ChartChoice } from '../charts/choose'
import { useHeldWhile, useOnScreen } from '../live/onScreen'
import type { Run } from '../live/run'
import { saveFile, toCSV, toJSON } from '../state/download'
import { ResultsTable } from './ResultsTable'

const ChartView = lazy(() => import('../charts/ChartView'))

const fmt = new Intl.NumberFormat()
const rate = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })

const stateText: Record<string, string> = {
  starting: 'Starting…',
  running: 'Live',
  paused: 'Paused',
  complete: 'Complete',
  stopped: 'Stopped',
  error: 'Failed',
}

/**
 * ResultsPanel shows a run: its state and rates, the chart (suggested or
 * picked), and the rows newest first, with pause/resume and downloads.
 */
export function ResultsPanel({ run, viz, name, onStop, onEmitChanges }: { run: Run; viz: string; name: string; onStop?: () => void; onEmitChanges?: () => void }) {
  const snap = useSyncExternalStore(run.result.subscribe, run.result.getSnapshot)
  // Off screen, the table and chart keep what they showed; the counts above them stay live.
  const section = useRef<HTMLElement>(null)
  const onScreen = useOnScreen(section)
  const rows = useHeldWhile(!onScreen, snap.rows)
  const [choice, setChoice] = useState<ChartChoice>(emptyChoice)
  const [chartError, setChartError] = useState<string>()
  // A windowed query without EMIT shows nothing until its first window
  // closes; after a few quiet seconds, say so and offer EMIT CHANGES.
  const [quiet, setQuiet] = useState(false)
  useEffect(() => {
    const t = setTimeout(() => setQuiet(true), 3000)
    return () => clearTimeout(t)
  }, [])

  // The server's suggestion comes with the schema; when it does not, ask.
  const columnsKey = snap.columns.map((c) => `${c.name}:${c.type}`).join(',')
  useEffect(() => {
    if (!snap.columns.length) return
    if (snap.chart) {
      setChoice((c) => ({ ...c, suggested: snap.chart }))
      return
    }
    const ac = new AbortController()
    api
      .suggestChart(snap.columns, viz, ac.signal)
      .then((ch) => setChoice((c) => ({ ...c, suggested: ch })))
      .catch((e) => {
        if (!ac.signal.aborted) setChartError(errorText(e))
      })
    return () => ac.abort()
    // Columns are compared by value: a new array with the same columns is no new schema.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [columnsKey, snap.chart, viz])

  function switchTo(t: ChartType) {
    setChoice((c) => pick(c, t))
    if (!needsAxes(choice, t)) return
    api
      .suggestChart(snap.columns, t)
      .then((ch) => setChoice((c) => axesArrived(c, t, ch)))
      .catch((e) => setChartError(errorText(e)))
  }

  const chart = shownChart(choice, snap.columns)
  const live = snap.state === 'running' || snap.state === 'paused' || snap.state === 'starting'
  const badge =
    snap.state === 'running'
      ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100'
      : snap.state === 'error'
        ? 'bg-rose-100 text-rose-800 dark:bg-rose-900 dark:text-rose-100'
        : 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200'

  return (
    <section ref={section} className="mt-3 flex flex-col gap-2" aria-label={`Results of ${name}`}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm" role="status" aria-live="polite">
        <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${badge}`} data-testid="run-state">
          {snap.state === 'running' && <span aria-hidden="true">● </span>}
          {stateText[snap.state]}
          {snap.reason && snap.state === 'complete' ? ` (${snap.reason.replace(/_/g, ' ')})` : ''}
        </span>
        <span className="tabular-nums" data-testid="row-count">
          {fmt.format(snap.total)} rows
        </span>
        {live && (
          <span className="muted tabular-nums" data-testid="rates">
            {rate.format(snap.recordsPerSec)} records/s in · {rate.format(snap.rowsPerSec)} rows/s out
          </span>
        )}
        {snap.dropped > 0 && (
          <span className="text-amber-700 dark:text-amber-300" title="Rows this page did not receive (paused, or the connection was slower than the query)">
            {fmt.format(snap.dropped)} not shown
          </span>
        )}
        <span className="flex-1" />
        {live && (
          <button
            type="button"
            className="btn"
            onClick={() => (snap.state === 'paused' ? run.resume() : run.pause())}
            aria-label={snap.state === 'paused' ? `Resume results of ${name}` : `Pause results of ${name}`}
          >
            {snap.state === 'paused' ? '▶ Resume' : '❚❚ Pause'}
          </button>
        )}
        {live && onStop && (
          <button type="button" className="btn" onClick={onStop} aria-label={`Stop ${name}`}>
            ■ Stop
          </button>
        )}
        <label className="flex items-center gap-1 text-sm">
          <span className="muted">Chart</span>
          <select
            className="input w-auto py-0.5"
            value={choice.picked ?? choice.suggested?.type ?? 'table'}
            onChange={(e) => switchTo(e.target.value as ChartType)}
            aria-label={`Chart type for ${name}`}
          >
            {chartTypes.map((t) => (
              <option key={t} value={t}>
                {t === 'stat' ? 'stat' : t}
                {choice.suggested?.type === t ? ' (suggested)' : ''}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn"
          disabled={!snap.rows.length}
          onClick={() => saveFile(`${name}.csv`, toCSV(snap.columns, snap.rows), 'text/csv')}
          aria-label={`Download the rows of ${name} as CSV`}
        >
          CSV
        </button>
        <button
          type="button"
          className="btn"
          disabled={!snap.rows.length}
          onClick={() => saveFile(`${name}.json`, toJSON(snap.columns, snap.rows), 'application/json')}
          aria-label={`Download the rows of ${name} as JSON`}
        >
          JSON
        </button>
      </div>
      {onEmitChanges && quiet && snap.total === 0 && snap.state === 'running' && (
        <div role="status" className="flex flex-wrap items-center gap-2 rounded-md border border-sky-300 bg-sky-50 p-2 text-sm dark:border-sky-700 dark:bg-sky-950" data-testid="emit-hint">
          <span className="flex-1">
            No rows yet: this query has a window and no EMIT clause, so it emits one row per group when each window closes (EMIT FINAL).
          </span>
          <button type="button" className="btn" onClick={onEmitChanges}>
            Add EMIT CHANGES and run again
          </button>
        </div>
      )}
      {snap.error && (
        <p role="alert" className="rounded-md border border-rose-300 bg-rose-50 p-2 text-sm text-rose-800 dark:border-rose-700 dark:bg-rose-950 dark:text-rose-200">
          {snap.error.message}
        </p>
      )}
      {(chart.warning || chartError) && <p className="text-xs text-amber-700 dark:text-amber-300">{chart.warning ?? `No chart suggestion: ${chartError}`}</p>}
      {chart.type !== 'table' && (
        <Suspense fallback={<div className="muted h-[260px] p-3 text-sm">Loading the chart…</div>}>
          <ChartView chart={chart} columns={snap.columns} rows={rows} />
        </Suspense>
      )}
      {chart.reason && chart.type !== 'table' && <p className="muted text-xs">Why this chart: {chart.reason}</p>}
      <ResultsTable columns={snap.columns} rows={rows} label={`Rows of ${name}, newest first`} />
    </section>
  )
}
