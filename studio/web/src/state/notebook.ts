// The notebook being edited: a pure reducer over the cells, what counts as
// unsaved, and what must hold before the server is asked to save. The
// server's copy (with its version) is kept beside the edits so "unsaved"
// is a comparison, never a flag that a code path can forget to set.
import type { CellSpec, Notebook } from '../api/types'

export interface CellState {
  /** A client-side identity that survives renames (React keys, live results). */
  key: string
  name: string
  prompt: string
  sql: string
  deploy: boolean
  assertions: Record<string, unknown>[]
}

export interface NotebookState {
  name: string
  title: string
  cells: CellState[]
  /** The stored notebook, for the fields the Studio does not edit (namespace, defaults). */
  base: Notebook
  /** The version the server's copy was read at; saving requires it to be current. */
  version: string
  /** Canonical text of the last loaded or saved document. */
  saved: string
}

export type Action =
  | { type: 'loaded'; stored: Notebook }
  | { type: 'saved'; stored: Notebook }
  | { type: 'restore'; object: Notebook }
  | { type: 'title'; title: string }
  | { type: 'sql'; key: string; sql: string }
  | { type: 'prompt'; key: string; prompt: string }
  | { type: 'rename'; key: string; name: string }
  | { type: 'deploy'; key: string; deploy: boolean }
  | { type: 'add'; after?: string; cell?: Partial<CellSpec>; key?: string }
  | { type: 'remove'; key: string }
  | { type: 'move'; key: string; by: -1 | 1 }
  | { type: 'addAssertion'; key: string; assertion: Record<string, unknown> }
  | { type: 'removeAssertion'; key: string; index: number }

let keySeq = 0
/** newKey returns a fresh client-side cell identity. */
export function newKey(): string {
  keySeq++
  return `c${keySeq}`
}

function cellFromSpec(c: CellSpec, key = newKey()): CellState {
  return {
    key,
    name: c.name,
    prompt: c.prompt ?? '',
    sql: c.sql ?? '',
    deploy: !!c.deploy,
    assertions: (c.assertions ?? []).map((a) => ({ ...a })),
  }
}

/** fromStored opens a notebook read from the server. */
export function fromStored(nb: Notebook): NotebookState {
  const cells = (nb.cells ?? []).map((c) => cellFromSpec(c))
  const s: NotebookState = {
    name: nb.name,
    title: nb.title ?? '',
    cells,
    base: nb,
    version: nb.version ?? '',
    saved: '',
  }
  s.saved = canonical(toObject(s))
  return s
}

/** toObject is the notebook the state stands for, as the API saves it (without the version). */
export function toObject(s: NotebookState): Notebook {
  const cells: CellSpec[] = s.cells.map((c) => {
    const out: CellSpec = { name: c.name, sql: c.sql }
    if (c.prompt) out.prompt = c.prompt
    if (c.deploy) out.deploy = true
    if (c.assertions.length) out.assertions = c.assertions
    return out
  })
  const out: Notebook = { name: s.name, title: s.title, cells }
  if (s.base.namespace) out.namespace = s.base.namespace
  if (s.base.defaults) out.defaults = s.base.defaults
  return out
}

/** canonical renders a document with sorted keys, so equal documents compare equal. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const out: Record<string, unknown> = {}
      for (const k of Object.keys(val).sort()) out[k] = (val as Record<string, unknown>)[k]
      return out
    }
    return val
  })
}

/** isDirty reports whether the notebook differs from the server's copy. */
export function isDirty(s: NotebookState): boolean {
  return canonical(toObject(s)) !== s.saved
}

/** A DNS-1123 label, as the Notebook CRD requires of cell names. */
const cellNameRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** uniqueCellName returns base, or base-2, base-3, ... whichever is free. */
export function uniqueCellName(taken: Iterable<string>, base = 'cell'): string {
  const set = new Set(taken)
  if (!set.has(base)) return base
  for (let i = 2; ; i++) {
    const n = `${base}-${i}`
    if (!set.has(n)) return n
  }
}

/** cellNameFrom turns a question into a cell name ("Total quantity by symbol" -> "total-quantity-by-symbol"). */
export function cellNameFrom(text: string): string {
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean)
  let out = ''
  for (const w of words) {
    const next = out ? `${out}-${w}` : w
    if (next.length > 40) break
    out = next
  }
  return out || 'cell'
}

/**
 * saveProblems lists what stops the notebook being saved, each naming the
 * cell, so the person can fix it (the server would refuse the same).
 */
export function saveProblems(s: NotebookState): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  s.cells.forEach((c, i) => {
    const at = `Cell ${i + 1}${c.name ? ` (${c.name})` : ''}`
    if (!c.name) out.push(`${at}: needs a name`)
    else if (c.name.length > 63 || !cellNameRe.test(c.name))
      out.push(`${at}: names use lower case letters, digits and '-', start and end with a letter or digit, at most 63 characters`)
    else if (seen.has(c.name)) out.push(`${at}: another cell has this name`)
    seen.add(c.name)
    if (!c.sql.trim()) out.push(`${at}: has no SQL yet (ask a question or write a query)`)
  })
  if (s.title.length > 256) out.push(`Title: at most 256 characters`)
  return out
}

function mapCell(s: NotebookState, key: string, f: (c: CellState) => CellState): NotebookState {
  let changed = false
  const cells = s.cells.map((c) => {
    if (c.key !== key) return c
    const n = f(c)
    if (n !== c) changed = true
    return n
  })
  return changed ? { ...s, cells } : s
}

export function reducer(s: NotebookState, a: Action): NotebookState {
  switch (a.type) {
    case 'loaded':
      return fromStored(a.stored)
    case 'saved': {
      // Keep the cells' keys (their editors and live results stay), take
      // the server's version and what it stored as the new baseline.
      const next = fromStored(a.stored)
      const byName = new Map(s.cells.map((c) => [c.name, c.key]))
      next.cells = next.cells.map((c) => ({ ...c, key: byName.get(c.name) ?? c.key }))
      // Edits made while the save was in flight stay unsaved edits.
      const mine = toObject(s)
      const sent = canonical(mine)
      if (sent !== next.saved) {
        return { ...s, version: next.version, base: a.stored, saved: next.saved }
      }
      return next
    }
    case 'restore': {
      const cells = (a.object.cells ?? []).map((c) => {
        const old = s.cells.find((o) => o.name === c.name)
        return cellFromSpec(c, old?.key)
      })
      return { ...s, title: a.object.title ?? '', cells }
    }
    case 'title':
      return a.title === s.title ? s : { ...s, title: a.title }
    case 'sql':
      return mapCell(s, a.key, (c) => (c.sql === a.sql ? c : { ...c, sql: a.sql }))
    case 'prompt':
      return mapCell(s, a.key, (c) => (c.prompt === a.prompt ? c : { ...c, prompt: a.prompt }))
    case 'rename':
      return mapCell(s, a.key, (c) => (c.name === a.name ? c : { ...c, name: a.name }))
    case 'deploy':
      return mapCell(s, a.key, (c) => (c.deploy === a.deploy ? c : { ...c, deploy: a.deploy }))
    case 'add': {
      const name = a.cell?.name ?? uniqueCellName(s.cells.map((c) => c.name))
      const cell = cellFromSpec({ sql: '', ...a.cell, name }, a.key)
      const cells = [...s.cells]
      const at = a.after ? cells.findIndex((c) => c.key === a.after) + 1 : cells.length
      cells.splice(at > 0 ? at : cells.length, 0, cell)
      return { ...s, cells }
    }
    case 'remove':
      return { ...s, cells: s.cells.filter((c) => c.key !== a.key) }
    case 'move': {
      const i = s.cells.findIndex((c) => c.key === a.key)
      const j = i + a.by
      if (i < 0 || j < 0 || j >= s.cells.length) return s
      const cells = [...s.cells]
      ;[cells[i], cells[j]] = [cells[j], cells[i]]
      return { ...s, cells }
    }
    case 'addAssertion':
      return mapCell(s, a.key, (c) => ({ ...c, assertions: [...c.assertions, a.assertion] }))
    case 'removeAssertion':
      return mapCell(s, a.key, (c) => ({ ...c, assertions: c.assertions.filter((_, i) => i !== a.index) }))
  }
}

// --- Drafts: unsaved edits kept in the browser, so closing a tab, a crash
// or a refused save never loses them.

export interface Draft {
  /** The server version the edits were made on. */
  version: string
  object: Notebook
  savedAt: number
}

export const draftKey = (name: string) => `velo.draft.${name}`

/** writeDraft keeps the state's document as a draft (or removes the draft when nothing is unsaved). */
export function writeDraft(storage: Storage, s: NotebookState, now = Date.now()): void {
  const key = draftKey(s.name)
  if (!isDirty(s)) {
    storage.removeItem(key)
    return
  }
  const d: Draft = { version: s.version, object: toObject(s), savedAt: now }
  storage.setItem(key, JSON.stringify(d))
}

/** readDraft returns the draft of a notebook, or undefined (also for a damaged one). */
export function readDraft(storage: Storage, name: string): Draft | undefined {
  const raw = storage.getItem(draftKey(name))
  if (!raw) return undefined
  try {
    const d = JSON.parse(raw) as Draft
    if (!d || typeof d !== 'object' || !Array.isArray(d.object?.cells) || typeof d.version !== 'string') return undefined
    return d
  } catch {
    return undefined
  }
}

/** draftDiffers reports whether a draft holds edits that the loaded notebook does not. */
export function draftDiffers(d: Draft, s: NotebookState): boolean {
  return canonical({ ...d.object, name: s.name }) !== s.saved
}
