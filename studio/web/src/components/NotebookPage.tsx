import { useCallback, useEffect, useReducer, useRef, useState } from 'react'
import { api, ApiError, errorText } from '../api/client'
import type { DeployPlan, Notebook } from '../api/types'
import { hrefFor } from '../router'
import {
  draftDiffers,
  isDirty,
  newKey,
  readDraft,
  reducer,
  saveProblems,
  toObject,
  writeDraft,
  type Draft,
  type NotebookState,
} from '../state/notebook'
import { Cell } from './Cell'
import { DeployPanel } from './DeployPanel'
import { DeployIcon } from './icons'

type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved'; at: number } | { kind: 'error'; message: string; problems?: string[] } | { kind: 'conflict'; message: string; theirs?: Notebook; savedAs?: string }

const storage = (): Storage | undefined => {
  try {
    return localStorage
  } catch {
    return undefined
  }
}

/** NotebookPage loads one notebook and hands it to the editor once it is here. */
export function NotebookPage({ name }: { name: string }) {
  const [stored, setStored] = useState<Notebook>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    const ac = new AbortController()
    api
      .getNotebook(name, ac.signal)
      .then(setStored)
      .catch((e) => {
        if (!ac.signal.aborted) setError(errorText(e))
      })
    return () => ac.abort()
  }, [name])
  if (error)
    return (
      <div className="p-6">
        <p role="alert" className="text-rose-700 dark:text-rose-300">
          Could not open the notebook {name}: {error}
        </p>
        <a className="text-sky-600 underline" href={hrefFor.list()}>
          All notebooks
        </a>
      </div>
    )
  if (!stored) return <p className="muted p-6">Opening {name}…</p>
  return <NotebookEditor stored={stored} />
}

function NotebookEditor({ stored }: { stored: Notebook }) {
  const [state, dispatch] = useReducer(reducer, stored, (s) => reducer({} as NotebookState, { type: 'loaded', stored: s }))
  const [save, setSave] = useState<SaveState>({ kind: 'idle' })
  const [draft, setDraft] = useState<Draft | undefined>(() => {
    const st = storage()
    const d = st && readDraft(st, stored.name)
    return d && draftDiffers(d, reducer({} as NotebookState, { type: 'loaded', stored })) ? d : undefined
  })
  const [plan, setPlan] = useState<DeployPlan>()
  const [planError, setPlanError] = useState<string>()
  const dirty = isDirty(state)
  const stateRef = useRef(state)
  stateRef.current = state

  // Drafts: a second after the last edit, and when leaving the page, the
  // unsaved notebook is written to this browser's storage. A pending draft
  // offer is not overwritten until the person answers it.
  const draftPending = useRef(!!draft)
  draftPending.current = !!draft
  useEffect(() => {
    if (draftPending.current) return
    const t = setTimeout(() => {
      const st = storage()
      if (st) writeDraft(st, stateRef.current)
    }, 1000)
    return () => clearTimeout(t)
  }, [state])
  useEffect(
    () => () => {
      const st = storage()
      if (st && !draftPending.current) writeDraft(st, stateRef.current)
    },
    [],
  )

  // Leaving with unsaved changes asks first (the draft is kept either way).
  useEffect(() => {
    if (!dirty) return
    const h = (e: BeforeUnloadEvent) => {
      const st = storage()
      if (st) writeDraft(st, stateRef.current)
      e.preventDefault()
      e.returnValue = ''
    }
    window.addEventListener('beforeunload', h)
    return () => window.removeEventListener('beforeunload', h)
  }, [dirty])

  const doSave = useCallback(async (force?: string) => {
    const s = stateRef.current
    const problems = saveProblems(s)
    if (problems.length) {
      setSave({ kind: 'error', message: 'Not saved: fix these first (your edits are kept as a draft in this browser).', problems })
      return
    }
    setSave({ kind: 'saving' })
    try {
      const res = await api.saveNotebook({ ...toObject(s), version: force ?? s.version })
      dispatch({ type: 'saved', stored: res })
      setSave({ kind: 'saved', at: Date.now() })
    } catch (e) {
      if (e instanceof ApiError && (e.status === 409 || e.code === 'conflict')) {
        const d = e.details ?? {}
        setSave({
          kind: 'conflict',
          message: e.message,
          theirs: (d.current as Notebook | undefined) ?? undefined,
          savedAs: typeof d.saved_as === 'string' ? d.saved_as : undefined,
        })
      } else {
        setSave({ kind: 'error', message: `Not saved: ${errorText(e)} (your edits are kept as a draft in this browser).` })
      }
    }
  }, [])

  // Ctrl/Cmd+S anywhere on the page saves (Monaco handles it in an editor).
  useEffect(() => {
    const h = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault()
        if (!(e.target as HTMLElement)?.closest?.('.monaco-editor')) void doSave()
      }
    }
    window.addEventListener('keydown', h)
    return () => window.removeEventListener('keydown', h)
  }, [doSave])
  const onSave = useCallback(() => void doSave(), [doSave])

  async function deployNotebook() {
    setPlanError(undefined)
    try {
      setPlan(await api.deploy({ notebook: state.name, dryRun: true }))
    } catch (e) {
      setPlanError(errorText(e))
    }
  }

  function restoreDraft(d: Draft) {
    dispatch({ type: 'restore', object: d.object })
    setDraft(undefined)
  }
  function discardDraft() {
    storage()?.removeItem(`velo.draft.${state.name}`)
    setDraft(undefined)
  }

  const saveLabel =
    save.kind === 'saving' ? 'Saving…' : dirty ? 'Unsaved changes' : save.kind === 'saved' ? 'All changes saved' : 'Saved'
  return (
    <div className="mx-auto flex max-w-6xl flex-col gap-3 p-3 sm:p-4">
      <div className="flex flex-wrap items-center gap-2">
        <a href={hrefFor.list()} className="btn" aria-label="Back to all notebooks">
          ← Notebooks
        </a>
        <input
          className="input min-w-48 flex-1 text-lg font-semibold"
          value={state.title}
          placeholder={state.name}
          onChange={(e) => dispatch({ type: 'title', title: e.target.value })}
          aria-label="Notebook title"
          maxLength={256}
        />
        <span className={`text-sm ${dirty ? 'text-amber-700 dark:text-amber-300' : 'muted'}`} data-testid="save-state" data-dirty={dirty} role="status">
          {saveLabel}
        </span>
        <button type="button" className="btn btn-primary" onClick={onSave} disabled={save.kind === 'saving'} aria-label="Save the notebook" title="Ctrl/⌘+S">
          Save
        </button>
        <a className="btn" href={api.exportUrl(state.name)} download={`${state.name}.yaml`} aria-label="Export YAML of the saved notebook">
          Export YAML
        </a>
        <button type="button" className="btn" onClick={() => void deployNotebook()} aria-label="Deploy notebook (its cells marked deploy)">
          <DeployIcon />
          Deploy notebook
        </button>
      </div>
      {draft && (
        <div role="alert" className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 p-2 text-sm dark:border-amber-700 dark:bg-amber-950">
          <span className="flex-1">
            This browser kept unsaved changes to this notebook from {new Date(draft.savedAt).toLocaleString()}
            {draft.version !== state.version ? ' (the notebook was saved elsewhere since)' : ''}.
          </span>
          <button type="button" className="btn" onClick={() => restoreDraft(draft)}>
            Restore them
          </button>
          <button type="button" className="btn" onClick={discardDraft}>
            Discard
          </button>
        </div>
      )}
      {save.kind === 'error' && (
        <div role="alert" className="rounded-md border border-rose-300 bg-rose-50 p-2 text-sm text-rose-800 dark:border-rose-700 dark:bg-rose-950 dark:text-rose-200">
          {save.message}
          {save.problems && (
            <ul className="ml-4 list-disc">
              {save.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {save.kind === 'conflict' && (
        <div role="alert" className="rounded-md border border-rose-300 bg-rose-50 p-2 text-sm text-rose-800 dark:border-rose-700 dark:bg-rose-950 dark:text-rose-200">
          <p>
            Not saved: {save.message}. Nothing was overwritten; your edits are still here
            {save.savedAs ? ` and a copy was kept as ${save.savedAs}` : ' and kept as a draft in this browser'}.
          </p>
          <div className="mt-1 flex flex-wrap gap-2">
            {save.theirs?.version && (
              <button type="button" className="btn" onClick={() => void doSave(save.theirs!.version)}>
                Overwrite with mine
              </button>
            )}
            <button
              type="button"
              className="btn"
              onClick={() => {
                const st = storage()
                if (st) writeDraft(st, stateRef.current)
                location.reload()
              }}
            >
              Reload theirs (mine stays as a draft)
            </button>
          </div>
        </div>
      )}
      {planError && (
        <p role="alert" className="text-sm text-rose-700 dark:text-rose-300">
          Could not prepare the deploy: {planError}
        </p>
      )}
      {plan && <DeployPanel plan={plan} request={{ notebook: state.name }} fileName={state.name} onClose={() => setPlan(undefined)} />}
      {state.cells.length === 0 && <p className="muted">This notebook has no cells yet.</p>}
      {state.cells.map((c, i) => (
        <Cell key={c.key} cell={c} index={i} count={state.cells.length} notebook={state.name} dirty={dirty} dispatch={dispatch} onSave={onSave} />
      ))}
      <div>
        <button type="button" className="btn" onClick={() => dispatch({ type: 'add', key: newKey() })} aria-label="Add cell">
          + Add cell
        </button>
      </div>
    </div>
  )
}
