import { describe, expect, it } from 'vitest'
import type { Notebook } from '../api/types'
import {
  cellNameFrom,
  draftDiffers,
  draftKey,
  fromStored,
  isDirty,
  readDraft,
  reducer,
  saveProblems,
  toObject,
  uniqueCellName,
  writeDraft,
  type Action,
  type NotebookState,
} from './notebook'

const stored: Notebook = {
  name: 'trading',
  version: 'v1',
  title: 'Trading Analytics',
  defaults: { monitoring: { metrics: true } },
  cells: [
    { name: 'volume', prompt: 'volume by symbol', sql: 'SELECT symbol, SUM(quantity) AS volume FROM trades GROUP BY symbol', assertions: [{ record_count: { greater_than: 0 } }] },
    { name: 'prices', sql: 'SELECT symbol, AVG(price) FROM trades GROUP BY symbol', deploy: true },
  ],
}

const open = () => fromStored(structuredClone(stored))
const key = (s: NotebookState, i: number) => s.cells[i].key
const apply = (s: NotebookState, ...as: ((s: NotebookState) => Action)[]) => as.reduce((acc, a) => reducer(acc, a(acc)), s)

describe('notebook state', () => {
  it('is clean when opened and round-trips what the server sent', () => {
    const s = open()
    expect(isDirty(s)).toBe(false)
    const o = toObject(s)
    expect(o).toEqual({ name: 'trading', title: 'Trading Analytics', defaults: stored.defaults, cells: stored.cells })
  })

  // Each edit makes the notebook unsaved; undoing it by hand makes it clean again.
  const edits: [string, (s: NotebookState) => Action, (s: NotebookState) => Action][] = [
    ['sql', (s) => ({ type: 'sql', key: key(s, 0), sql: 'SELECT 1' }), (s) => ({ type: 'sql', key: key(s, 0), sql: stored.cells[0].sql })],
    ['prompt', (s) => ({ type: 'prompt', key: key(s, 1), prompt: 'avg price' }), (s) => ({ type: 'prompt', key: key(s, 1), prompt: '' })],
    ['title', () => ({ type: 'title', title: 'X' }), () => ({ type: 'title', title: 'Trading Analytics' })],
    ['rename', (s) => ({ type: 'rename', key: key(s, 1), name: 'avg' }), (s) => ({ type: 'rename', key: key(s, 1), name: 'prices' })],
    ['deploy', (s) => ({ type: 'deploy', key: key(s, 0), deploy: true }), (s) => ({ type: 'deploy', key: key(s, 0), deploy: false })],
    ['move', (s) => ({ type: 'move', key: key(s, 0), by: 1 }), (s) => ({ type: 'move', key: key(s, 1), by: -1 })],
  ]
  it.each(edits)('%s makes it unsaved, and back makes it clean', (_n, edit, undo) => {
    const s = apply(open(), edit)
    expect(isDirty(s)).toBe(true)
    expect(isDirty(apply(s, undo))).toBe(false)
  })

  it('adds a cell after another, with a free name, and removes it', () => {
    let s = open()
    s = reducer(s, { type: 'add', after: key(s, 0), key: 'new1' })
    expect(s.cells.map((c) => c.name)).toEqual(['volume', 'cell', 'prices'])
    s = reducer(s, { type: 'add', key: 'new2' })
    expect(s.cells.map((c) => c.name)).toEqual(['volume', 'cell', 'prices', 'cell-2'])
    expect(isDirty(s)).toBe(true)
    s = reducer(reducer(s, { type: 'remove', key: 'new1' }), { type: 'remove', key: 'new2' })
    expect(isDirty(s)).toBe(false)
  })

  it('does not move a cell past either end', () => {
    const s = open()
    expect(reducer(s, { type: 'move', key: key(s, 0), by: -1 })).toBe(s)
    expect(reducer(s, { type: 'move', key: key(s, 1), by: 1 })).toBe(s)
  })

  it('adds and removes assertions', () => {
    let s = open()
    s = reducer(s, { type: 'addAssertion', key: key(s, 1), assertion: { no_nulls: ['symbol'] } })
    expect(toObject(s).cells[1].assertions).toEqual([{ no_nulls: ['symbol'] }])
    s = reducer(s, { type: 'removeAssertion', key: key(s, 1), index: 0 })
    expect(toObject(s).cells[1].assertions).toBeUndefined()
    expect(isDirty(s)).toBe(false)
  })

  it('after a save, takes the new version and keeps cell identities', () => {
    let s = open()
    const k0 = key(s, 0)
    s = reducer(s, { type: 'sql', key: k0, sql: 'SELECT 2' })
    const saved = { ...toObject(s), version: 'v2' }
    s = reducer(s, { type: 'saved', stored: saved })
    expect(s.version).toBe('v2')
    expect(isDirty(s)).toBe(false)
    expect(key(s, 0)).toBe(k0)
  })

  it('keeps edits made while a save was in flight as unsaved', () => {
    let s = open()
    s = reducer(s, { type: 'sql', key: key(s, 0), sql: 'SELECT 2' })
    const sent = { ...toObject(s), version: 'v2' }
    s = reducer(s, { type: 'sql', key: key(s, 0), sql: 'SELECT 3' }) // typed during the save
    s = reducer(s, { type: 'saved', stored: sent })
    expect(s.version).toBe('v2')
    expect(s.cells[0].sql).toBe('SELECT 3')
    expect(isDirty(s)).toBe(true)
  })

  it('names the problems that stop a save', () => {
    let s = open()
    s = reducer(s, { type: 'add', key: 'n' })
    s = reducer(s, { type: 'rename', key: key(s, 1), name: 'Bad Name' })
    s = reducer(s, { type: 'add', key: 'm', cell: { name: 'volume', sql: 'SELECT 1' } })
    expect(saveProblems(s)).toEqual([
      "Cell 2 (Bad Name): names use lower case letters, digits and '-', start and end with a letter or digit, at most 63 characters",
      'Cell 3 (cell): has no SQL yet (ask a question or write a query)',
      'Cell 4 (volume): another cell has this name',
    ])
    expect(saveProblems(open())).toEqual([])
  })
})

describe('names', () => {
  it.each([
    [[], 'cell'],
    [['cell'], 'cell-2'],
    [['cell', 'cell-2', 'cell-3'], 'cell-4'],
  ])('uniqueCellName(%j) = %s', (taken, want) => {
    expect(uniqueCellName(taken)).toBe(want)
  })
  it.each([
    ['Total quantity by symbol per minute', 'total-quantity-by-symbol-per-minute'],
    ['  Fraud!!  by région ', 'fraud-by-r-gion'],
    ['???', 'cell'],
    ['a very long question that goes on and on about many things', 'a-very-long-question-that-goes-on-and-on'],
  ])('cellNameFrom(%j) = %s', (q, want) => {
    expect(cellNameFrom(q)).toBe(want)
  })
})

class MemStorage implements Storage {
  m = new Map<string, string>()
  get length() {
    return this.m.size
  }
  clear() {
    this.m.clear()
  }
  getItem(k: string) {
    return this.m.get(k) ?? null
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null
  }
  removeItem(k: string) {
    this.m.delete(k)
  }
  setItem(k: string, v: string) {
    this.m.set(k, v)
  }
}

describe('drafts', () => {
  it('keeps unsaved edits, and only those', () => {
    const st = new MemStorage()
    let s = open()
    writeDraft(st, s)
    expect(st.getItem(draftKey('trading'))).toBeNull()
    s = reducer(s, { type: 'sql', key: key(s, 0), sql: 'SELECT 9' })
    writeDraft(st, s, 1234)
    const d = readDraft(st, 'trading')!
    expect(d.version).toBe('v1')
    expect(d.savedAt).toBe(1234)
    expect(d.object.cells[0].sql).toBe('SELECT 9')
    // Opening the notebook again: the draft holds edits it does not.
    const fresh = open()
    expect(draftDiffers(d, fresh)).toBe(true)
    const restored = reducer(fresh, { type: 'restore', object: d.object })
    expect(restored.cells[0].sql).toBe('SELECT 9')
    expect(isDirty(restored)).toBe(true)
    // Saved: the draft goes.
    writeDraft(st, reducer(restored, { type: 'saved', stored: { ...toObject(restored), version: 'v2' } }))
    expect(readDraft(st, 'trading')).toBeUndefined()
  })

  it.each([['not json'], ['{"version": 3}'], ['null'], ['{"version":"v","object":{}}']])('ignores a damaged draft %s', (raw) => {
    const st = new MemStorage()
    st.setItem(draftKey('x'), raw)
    expect(readDraft(st, 'x')).toBeUndefined()
  })
})
