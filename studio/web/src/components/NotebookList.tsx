import { useEffect, useState } from 'react'
import { api, errorText } from '../api/client'
import type { NotebookSummary } from '../api/types'
import { hrefFor } from '../router'
import { cellNameFrom, readDraft } from '../state/notebook'

/** NotebookList is the first page: every notebook, and a form for a new one. */
export function NotebookList() {
  const [items, setItems] = useState<NotebookSummary[] | undefined>()
  const [error, setError] = useState<string>()
  const [title, setTitle] = useState('')
  const [creating, setCreating] = useState(false)
  const [createError, setCreateError] = useState<string>()

  // The browser tests read this mark: the list painted with its notebooks.
  useEffect(() => {
    if (items) performance.mark('velo:notebooks-listed')
  }, [items])

  useEffect(() => {
    const ac = new AbortController()
    api
      .listNotebooks(ac.signal)
      .then((n) => setItems(n))
      .catch((e) => {
        if (!ac.signal.aborted) setError(errorText(e))
      })
    return () => ac.abort()
  }, [])

  async function create(e: React.FormEvent) {
    e.preventDefault()
    const t = title.trim()
    if (!t) return
    setCreating(true)
    setCreateError(undefined)
    try {
      const taken = new Set(items?.map((i) => i.name))
      let name = cellNameFrom(t)
      for (let i = 2; taken.has(name); i++) name = `${cellNameFrom(t)}-${i}`
      const nb = await api.createNotebook({ name, title: t })
      location.hash = hrefFor.notebook(nb.name)
    } catch (err) {
      setCreateError(errorText(err))
    } finally {
      setCreating(false)
    }
  }

  return (
    <div className="mx-auto max-w-5xl p-4 sm:p-6">
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">Notebooks</h1>
      {error && (
        <p role="alert" className="mb-4 rounded-md border border-rose-300 bg-rose-50 p-3 text-sm text-rose-800 dark:border-rose-700 dark:bg-rose-950 dark:text-rose-200">
          Could not list the notebooks: {error}
        </p>
      )}
      {!items && !error && <p className="muted">Loading…</p>}
      {items && items.length === 0 && <p className="muted mb-4">No notebooks yet. Create one below.</p>}
      {items && items.length > 0 && (
        <ul className="mb-6 grid gap-3 sm:grid-cols-2" aria-label="Notebooks">
          {items.map((n) => {
            const draft = !n.error && readDraftSafe(n.name)
            return (
              <li key={n.name}>
                <a
                  href={hrefFor.notebook(n.name)}
                  className="panel block p-4 hover:border-sky-400 hover:shadow-sm dark:hover:border-sky-500"
                >
                  <div className="flex items-baseline gap-2">
                    <span className="font-medium">{n.title || n.name}</span>
                    {draft && <span className="rounded bg-amber-100 px-1.5 text-xs text-amber-900 dark:bg-amber-900 dark:text-amber-100">unsaved draft</span>}
                  </div>
                  <div className="muted mt-1 text-sm">
                    {n.name} · {n.cells} {n.cells === 1 ? 'cell' : 'cells'}
                    {n.modified && <> · {new Date(n.modified).toLocaleString()}</>}
                  </div>
                  {n.error && <div className="mt-1 text-sm text-rose-700 dark:text-rose-300">Cannot be read: {n.error}</div>}
                </a>
              </li>
            )
          })}
        </ul>
      )}
      <form onSubmit={create} className="panel flex flex-col gap-2 p-4 sm:flex-row sm:items-end">
        <label className="flex-1 text-sm">
          <span className="mb-1 block font-medium">New notebook</span>
          <input className="input" value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Title, e.g. Fraud monitoring" maxLength={256} />
        </label>
        <button className="btn btn-primary" type="submit" disabled={creating || !title.trim()}>
          {creating ? 'Creating…' : 'Create'}
        </button>
        {createError && (
          <p role="alert" className="text-sm text-rose-700 dark:text-rose-300">
            {createError}
          </p>
        )}
      </form>
    </div>
  )
}

function readDraftSafe(name: string) {
  try {
    return readDraft(localStorage, name)
  } catch {
    return undefined
  }
}
