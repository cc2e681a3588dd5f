import { useState } from 'react'
import { api, errorText } from '../api/client'
import type { AnalyzeResponse, TestReport } from '../api/types'
import { assertionKinds, buildAssertion, describeAssertion } from '../state/assertions'
import { SparkIcon } from './icons'

const fmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
const ms = (v: number) => `${v < 10 ? v.toFixed(1) : fmt.format(v)}ms`

/** headline is the report's first line, as `velo test` prints it. */
export function headline(r: TestReport): string {
  return r.passed ? `✅ Passed (${r.total - r.failed}/${r.total} assertions)` : `❌ Failed (${r.failed}/${r.total} assertions)`
}

/**
 * TestPanel shows the harness's report for a cell: the headline, each
 * assertion with ✓/✗ and its values, performance, the failure analysis, an
 * AI explanation on request, and "Add assertion".
 */
export function TestPanel(props: {
  name: string
  sql: string
  report: TestReport
  assertions: Record<string, unknown>[]
  onAddAssertion: (a: Record<string, unknown>) => void
  onRemoveAssertion: (i: number) => void
  onRetest: () => void
  testing: boolean
  onClose: () => void
}) {
  const r = props.report
  const [ai, setAi] = useState<AnalyzeResponse>()
  const [aiBusy, setAiBusy] = useState(false)
  const [aiError, setAiError] = useState<string>()
  const [adding, setAdding] = useState(false)

  async function explain() {
    setAiBusy(true)
    setAiError(undefined)
    try {
      setAi(await api.analyze(props.sql, r))
    } catch (e) {
      setAiError(errorText(e))
    } finally {
      setAiBusy(false)
    }
  }

  return (
    <section className="panel mt-3 p-3 text-sm" aria-label={`Test results of ${props.name}`} data-testid="test-report">
      <div className="flex items-center gap-2">
        <h3 className={`text-base font-semibold ${r.passed ? 'text-emerald-700 dark:text-emerald-300' : 'text-rose-700 dark:text-rose-300'}`} data-testid="test-headline">
          {headline(r)}
        </h3>
        <span className="flex-1" />
        <button type="button" className="btn" onClick={props.onRetest} disabled={props.testing} aria-label={`Re-run the tests of ${props.name}`}>
          {props.testing ? 'Testing…' : 'Re-run'}
        </button>
        <button type="button" className="btn" onClick={props.onClose} aria-label={`Close the test results of ${props.name}`}>
          ✕
        </button>
      </div>
      {r.defaults && <p className="muted mt-1 text-xs">No assertions given: the default checks ran. Add your own below.</p>}
      <ul className="mt-2 space-y-1" aria-label="Assertions">
        {r.assertions.map((a, i) => (
          <li key={i} className="font-mono text-xs" data-testid="assertion" data-passed={a.passed}>
            <span className={a.passed ? 'text-emerald-600 dark:text-emerald-400' : 'text-rose-600 dark:text-rose-400'} aria-label={a.passed ? 'passed' : 'failed'}>
              {a.passed ? '✓' : '✗'}
            </span>{' '}
            <span className="font-semibold">{a.type}</span>: {a.summary}
            {a.message && <span className="muted"> — {a.message}</span>}
            {!a.passed && (a.expected || a.actual) && (
              <div className="ml-4 mt-0.5 text-slate-600 dark:text-slate-300">
                {a.expected && <div>expected: {a.expected}</div>}
                {a.actual && <div>seen: {a.actual}</div>}
                {a.rows && a.rows.length > 0 && (
                  <details>
                    <summary className="cursor-pointer">{a.rows.length} example rows</summary>
                    <pre className="overflow-auto whitespace-pre-wrap">{a.rows.map((x) => JSON.stringify(x)).join('\n')}</pre>
                  </details>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
      <div className="mt-3">
        <h4 className="font-semibold">Performance</h4>
        <ul className="ml-4 list-disc">
          <li>
            Execution time: {ms(r.performance.execution_ms)} ({ms(r.performance.generation_ms)} generating data)
          </li>
          <li>Throughput: {fmt.format(r.performance.records_per_sec)} records/sec</li>
          <li>Peak memory: {r.performance.peak_heap_mb.toFixed(1)} MB heap</li>
        </ul>
        {r.data && r.data.length > 0 && (
          <p className="muted mt-1 text-xs">
            Data: {r.data.map((d) => `${fmt.format(d.records)} ${d.name} (${d.schema}, seed ${d.seed})`).join('; ')}
          </p>
        )}
      </div>
      {r.findings && r.findings.length > 0 && (
        <div className="mt-3" data-testid="analysis">
          <h4 className="font-semibold">Analysis</h4>
          {r.findings.map((f, i) => (
            <div key={i} className="mt-1 rounded-md bg-amber-50 p-2 dark:bg-amber-950">
              <div className="font-medium">{f.title}</div>
              {f.details && (
                <ul className="ml-4 list-disc">
                  {f.details.map((d, j) => (
                    <li key={j}>{d}</li>
                  ))}
                </ul>
              )}
              {f.fix && <div className="mt-1">Suggested fix: {f.fix}</div>}
            </div>
          ))}
        </div>
      )}
      {!r.passed && (
        <div className="mt-3">
          {!ai && (
            <button type="button" className="btn" onClick={explain} disabled={aiBusy}>
              <SparkIcon />
              {aiBusy ? 'Asking…' : 'Explain the failure'}
            </button>
          )}
          {aiError && <p className="mt-1 text-rose-700 dark:text-rose-300">{aiError}</p>}
          {ai && (
            <div className="mt-1 rounded-md bg-sky-50 p-2 dark:bg-sky-950">
              <div className="flex items-center gap-1 font-medium">
                <SparkIcon /> Analysis{ai.provider ? ` (${ai.provider})` : ''}
              </div>
              <p className="whitespace-pre-wrap">{ai.explanation}</p>
            </div>
          )}
        </div>
      )}
      <div className="mt-3">
        <h4 className="font-semibold">This cell's assertions</h4>
        {props.assertions.length === 0 && <p className="muted text-xs">None yet{r.defaults ? ' (the defaults ran)' : ''}.</p>}
        <ul className="mt-1 space-y-1">
          {props.assertions.map((a, i) => (
            <li key={i} className="flex items-center gap-2 font-mono text-xs">
              <span className="flex-1">{describeAssertion(a)}</span>
              <button type="button" className="btn py-0" onClick={() => props.onRemoveAssertion(i)} aria-label={`Remove assertion ${describeAssertion(a)}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
        {adding ? (
          <AddAssertion
            onAdd={(a) => {
              props.onAddAssertion(a)
              setAdding(false)
            }}
            onCancel={() => setAdding(false)}
          />
        ) : (
          <button type="button" className="btn mt-2" onClick={() => setAdding(true)}>
            + Add assertion
          </button>
        )}
      </div>
    </section>
  )
}

function AddAssertion({ onAdd, onCancel }: { onAdd: (a: Record<string, unknown>) => void; onCancel: () => void }) {
  const [type, setType] = useState(assertionKinds[0].type)
  const [arg, setArg] = useState('')
  const [error, setError] = useState<string>()
  const kind = assertionKinds.find((k) => k.type === type)!
  function submit(e: React.FormEvent) {
    e.preventDefault()
    const a = buildAssertion(type, arg)
    if (typeof a === 'string') {
      setError(a)
      return
    }
    onAdd(a)
  }
  return (
    <form onSubmit={submit} className="mt-2 flex flex-wrap items-end gap-2" aria-label="Add assertion">
      <label className="text-xs">
        <span className="mb-0.5 block">Check</span>
        <select className="input w-auto" value={type} onChange={(e) => setType(e.target.value)}>
          {assertionKinds.map((k) => (
            <option key={k.type} value={k.type}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      <label className="min-w-48 flex-1 text-xs">
        <span className="mb-0.5 block">Value</span>
        <input className="input font-mono" value={arg} onChange={(e) => setArg(e.target.value)} placeholder={kind.placeholder} aria-invalid={!!error} />
      </label>
      <button type="submit" className="btn btn-primary">
        Add
      </button>
      <button type="button" className="btn" onClick={onCancel}>
        Cancel
      </button>
      {error && (
        <p role="alert" className="w-full text-xs text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
    </form>
  )
}
