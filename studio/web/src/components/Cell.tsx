import { lazy, memo, Suspense, useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { api, errorText } from '../api/client'
import type { DeployPlan, TestReport } from '../api/types'
import { vizOf } from '../charts/choose'
import { useValidation } from '../editor/useValidation'
import { startRun, type Run } from '../live/run'
import type { Action, CellState } from '../state/notebook'
import { emitsOnlyWhenWindowsClose, withEmitChanges } from '../state/sql'
import { AskBox } from './AskBox'
import { DeployIcon, TrashIcon } from './icons'
import { DeployPanel } from './DeployPanel'
import { ResultsPanel } from './ResultsPanel'
import { TestPanel } from './TestPanel'

// Monaco is loaded with the first cell that shows an editor, not before.
const SqlEditor = lazy(() => import('../editor/SqlEditor'))

export interface CellProps {
  cell: CellState
  index: number
  count: number
  notebook: string
  dirty: boolean
  dispatch: React.Dispatch<Action>
  onSave: () => void
}

function CellImpl({ cell, index, count, notebook, dirty, dispatch, onSave }: CellProps) {
  const [run, setRun] = useState<Run>()
  const [runError, setRunError] = useState<string>()
  const [starting, setStarting] = useState(false)
  const [report, setReport] = useState<TestReport>()
  const [testing, setTesting] = useState(false)
  const [testError, setTestError] = useState<string>()
  const [plan, setPlan] = useState<DeployPlan>()
  const [planning, setPlanning] = useState(false)
  const [deployError, setDeployError] = useState<string>()
  const validation = useValidation(cell.sql)
  const runRef = useRef<Run | undefined>(undefined)
  runRef.current = run

  // A removed cell, or a page left, stops watching its query (a live query
  // nobody watches stops on the server).
  useEffect(() => () => runRef.current?.close(), [])

  const label = cell.name || `cell ${index + 1}`

  async function doRun(sql = cell.sql) {
    if (!sql.trim() || starting) return
    runRef.current?.close()
    setRun(undefined)
    setRunError(undefined)
    setStarting(true)
    try {
      setRun(await startRun(sql))
    } catch (e) {
      setRunError(errorText(e))
    } finally {
      setStarting(false)
    }
  }

  function doStop() {
    run?.stop()
  }

  async function doTest() {
    if (!cell.sql.trim()) return
    setTesting(true)
    setTestError(undefined)
    try {
      setReport(await api.test(cell.sql, cell.assertions.length ? cell.assertions : undefined))
    } catch (e) {
      setTestError(errorText(e))
    } finally {
      setTesting(false)
    }
  }

  // A saved cell deploys from the notebook (the summary shows the notebook's
  // objects for it); an unsaved one deploys its current SQL as one query.
  const deployRequest = dirty ? { sql: cell.sql, name: `${notebook}-${cell.name}` } : { notebook, cells: [cell.name] }
  async function doDeploy() {
    if (!cell.sql.trim()) return
    setPlanning(true)
    setDeployError(undefined)
    try {
      setPlan(await api.deploy({ ...deployRequest, dryRun: true }))
    } catch (e) {
      setDeployError(errorText(e))
    } finally {
      setPlanning(false)
    }
  }

  function onKeyDown(e: React.KeyboardEvent) {
    // Shift+Enter inside the editor is Monaco's own action (it runs too);
    // elsewhere in the cell it runs the cell, except in text fields.
    if (e.key !== 'Enter' || !e.shiftKey) return
    const t = e.target as HTMLElement
    if (t.closest('.monaco-editor') || t.tagName === 'TEXTAREA' || t.tagName === 'INPUT' || t.tagName === 'SELECT') return
    e.preventDefault()
    void doRun()
  }

  const live = useSyncExternalStore(run ? run.result.subscribe : noSubscribe, () => !!run && !run.result.ended)
  const vState = validation.state
  return (
    <article className="panel p-3" aria-label={`Cell ${index + 1}: ${label}`} onKeyDown={onKeyDown} data-testid="cell" data-cell-name={cell.name}>
      <header className="mb-2 flex flex-wrap items-center gap-2">
        <span className="muted text-xs">#{index + 1}</span>
        <input
          className="input w-auto max-w-64 py-0.5 font-mono text-xs"
          value={cell.name}
          onChange={(e) => dispatch({ type: 'rename', key: cell.key, name: e.target.value.toLowerCase() })}
          aria-label={`Name of cell ${index + 1}`}
          maxLength={63}
        />
        <label className="flex items-center gap-1 text-xs" title="Deploy this cell with the notebook">
          <input type="checkbox" checked={cell.deploy} onChange={(e) => dispatch({ type: 'deploy', key: cell.key, deploy: e.target.checked })} />
          deploy with notebook
        </label>
        <span className="flex-1" />
        <button type="button" className="btn py-0" disabled={index === 0} onClick={() => dispatch({ type: 'move', key: cell.key, by: -1 })} aria-label={`Move ${label} up`}>
          ↑
        </button>
        <button type="button" className="btn py-0" disabled={index === count - 1} onClick={() => dispatch({ type: 'move', key: cell.key, by: 1 })} aria-label={`Move ${label} down`}>
          ↓
        </button>
        <button
          type="button"
          className="btn py-0"
          onClick={() => {
            if (!cell.sql.trim() && !cell.prompt.trim()) dispatch({ type: 'remove', key: cell.key })
            else if (confirm(`Delete ${label}? (Unsaved until you save the notebook.)`)) dispatch({ type: 'remove', key: cell.key })
          }}
          aria-label={`Delete ${label}`}
        >
          <TrashIcon />
        </button>
      </header>
      <AskBox
        cellName={label}
        prompt={cell.prompt}
        onPrompt={(p) => dispatch({ type: 'prompt', key: cell.key, prompt: p })}
        onSql={(sql) => dispatch({ type: 'sql', key: cell.key, sql })}
      />
      <div className="mt-2">
        <Suspense fallback={<pre className="muted min-h-24 rounded-md border border-slate-300 p-2 text-xs dark:border-slate-700">{cell.sql || 'Loading the editor…'}</pre>}>
          <SqlEditor
            value={cell.sql}
            onChange={(sql) => dispatch({ type: 'sql', key: cell.key, sql })}
            errors={validation.errors}
            onRun={() => void doRun()}
            onSave={onSave}
            ariaLabel={`SQL of ${label}`}
          />
        </Suspense>
      </div>
      <div className="mt-1 text-xs" aria-live="polite" data-testid="validation" data-state={vState}>
        {vState === 'valid' && <span className="text-emerald-700 dark:text-emerald-400">✓ Valid</span>}
        {vState === 'checking' && <span className="muted">Checking…</span>}
        {vState === 'failed' && <span className="text-amber-700 dark:text-amber-300">Could not validate: {validation.message}</span>}
        {vState === 'invalid' && (
          <ul className="space-y-0.5 text-rose-700 dark:text-rose-300" aria-label={`Errors in ${label}`}>
            {validation.errors.map((e, i) => (
              <li key={i} data-testid="sql-error" data-line={e.line} data-col={e.col}>
                Line {e.line}, column {e.col}: {e.message}
                {e.hint && <span className="muted"> ({e.hint})</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <button type="button" className="btn btn-primary" onClick={() => void doRun()} disabled={!cell.sql.trim() || starting} aria-label={`Run ${label}`} title="Shift+Enter">
          {starting ? 'Starting…' : '▶ Run'}
        </button>
        <button type="button" className="btn" onClick={doStop} disabled={!live} aria-label={`Stop ${label}`}>
          ■ Stop
        </button>
        <button type="button" className="btn" onClick={() => void doTest()} disabled={!cell.sql.trim() || testing} aria-label={`Test ${label}`}>
          {testing ? 'Testing…' : '✓ Test'}
        </button>
        <button type="button" className="btn" onClick={() => void doDeploy()} disabled={!cell.sql.trim() || planning} aria-label={`Deploy ${label}`}>
          <DeployIcon />
          {planning ? 'Preparing…' : 'Deploy'}
        </button>
        <span className="muted hidden text-xs sm:inline">Shift+Enter runs · Ctrl/⌘+S saves</span>
      </div>
      {runError && (
        <p role="alert" className="mt-2 text-sm text-rose-700 dark:text-rose-300">
          Could not run: {runError}
        </p>
      )}
      {run && (
        <ResultsPanel
          key={run.result.getSnapshot().queryId}
          run={run}
          viz={vizOf(cell.sql)}
          name={label}
          onEmitChanges={
            emitsOnlyWhenWindowsClose(cell.sql)
              ? () => {
                  const sql = withEmitChanges(cell.sql)
                  dispatch({ type: 'sql', key: cell.key, sql })
                  void doRun(sql)
                }
              : undefined
          }
        />
      )}
      {testError && (
        <p role="alert" className="mt-2 text-sm text-rose-700 dark:text-rose-300">
          Could not test: {testError}
        </p>
      )}
      {report && (
        <TestPanel
          name={label}
          sql={cell.sql}
          report={report}
          assertions={cell.assertions}
          onAddAssertion={(a) => dispatch({ type: 'addAssertion', key: cell.key, assertion: a })}
          onRemoveAssertion={(i) => dispatch({ type: 'removeAssertion', key: cell.key, index: i })}
          onRetest={() => void doTest()}
          testing={testing}
          onClose={() => setReport(undefined)}
        />
      )}
      {deployError && (
        <p role="alert" className="mt-2 text-sm text-rose-700 dark:text-rose-300">
          Could not prepare the deploy: {deployError}
        </p>
      )}
      {plan && <DeployPanel plan={plan} request={deployRequest} fileName={`${notebook}-${cell.name}`} onClose={() => setPlan(undefined)} />}
    </article>
  )
}

const noSubscribe = () => () => {}

export const Cell = memo(CellImpl)
