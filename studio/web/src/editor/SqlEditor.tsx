// The SQL editor of a cell: Monaco from the bundle (no CDN), the dialect's
// highlighting, completions from the server, and the server's validation
// errors as markers. This module is loaded lazily: the notebook list never
// pays for Monaco.
import { useEffect, useRef } from 'react'
import * as monaco from 'monaco-editor/editor/editor.api.js'
import 'monaco-editor/features/suggest/register.js'
import 'monaco-editor/editor/contrib/suggest/browser/suggestController.js'
import 'monaco-editor/features/hover/register.js'
import 'monaco-editor/features/find/register.js'
import 'monaco-editor/features/comment/register.js'
import 'monaco-editor/features/bracketMatching/register.js'
import 'monaco-editor/features/clipboard/register.js'
import 'monaco-editor/features/contextmenu/register.js'
import 'monaco-editor/features/wordHighlighter/register.js'
import 'monaco-editor/features/snippet/register.js'
import 'monaco-editor/features/gotoError/register.js'
import 'monaco-editor/features/codicon/register.js'
import EditorWorker from 'monaco-editor/editor/editor.worker.js?worker'
import { api } from '../api/client'
import type { SqlError } from '../api/types'
import { useTheme } from '../theme'
import { conf, languageId, tokens } from './language'
import { charCol, utf16Col, utf16FromCharCol } from './positions'

// Monaco's one worker (diffs, word ranges) comes from the bundle too.
;(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
}

monaco.languages.register({ id: languageId, aliases: ['Velostream SQL'] })
monaco.languages.setLanguageConfiguration(languageId, conf)
monaco.languages.setMonarchTokensProvider(languageId, tokens)

const annotationRule = (dark: boolean) => [
  { token: 'annotation', foreground: dark ? 'c586c0' : 'a31515', fontStyle: 'bold' },
  { token: 'annotation.value', foreground: dark ? 'ce9178' : '795e26' },
  { token: 'number.duration', foreground: dark ? 'b5cea8' : '098658', fontStyle: 'bold' },
  { token: 'string.uri', foreground: dark ? '4fc1ff' : '0070c1' },
  { token: 'type', foreground: dark ? '4ec9b0' : '267f99' },
]
monaco.editor.defineTheme('velo-light', { base: 'vs', inherit: true, rules: annotationRule(false), colors: {} })
monaco.editor.defineTheme('velo-dark', { base: 'vs-dark', inherit: true, rules: annotationRule(true), colors: { 'editor.background': '#0f172a' } })

const kinds: Record<string, monaco.languages.CompletionItemKind> = {
  keyword: monaco.languages.CompletionItemKind.Keyword,
  function: monaco.languages.CompletionItemKind.Function,
  aggregate: monaco.languages.CompletionItemKind.Function,
  stream: monaco.languages.CompletionItemKind.Class,
  table: monaco.languages.CompletionItemKind.Struct,
  column: monaco.languages.CompletionItemKind.Field,
  property: monaco.languages.CompletionItemKind.Property,
  annotation: monaco.languages.CompletionItemKind.Module,
}

monaco.languages.registerCompletionItemProvider(languageId, {
  triggerCharacters: ['.', ' ', '('],
  async provideCompletionItems(model, position, _ctx, token) {
    const ac = new AbortController()
    token.onCancellationRequested(() => ac.abort())
    const line = model.getLineContent(position.lineNumber)
    let res
    try {
      res = await api.completions(model.getValue(), position.lineNumber, charCol(line, position.column), ac.signal)
    } catch {
      // A failed lookup (server restarting, request cancelled) offers
      // nothing rather than an error popup while typing.
      return { suggestions: [] }
    }
    // The server says where the word being completed starts.
    const fromLine = res.from?.line === position.lineNumber ? line : undefined
    const start = fromLine !== undefined ? utf16FromCharCol(fromLine, res.from.col) : model.getWordUntilPosition(position).startColumn
    const range = new monaco.Range(position.lineNumber, Math.min(start, position.column), position.lineNumber, position.column)
    return {
      suggestions: (res.items ?? []).map((it, i) => ({
        label: it.label,
        kind: kinds[it.kind] ?? monaco.languages.CompletionItemKind.Text,
        detail: it.detail,
        insertText: it.insert ?? it.label,
        sortText: String(i).padStart(5, '0'),
        range,
      })),
    }
  },
})

export interface SqlEditorProps {
  value: string
  onChange: (v: string) => void
  errors: SqlError[]
  onRun?: () => void
  onSave?: () => void
  ariaLabel: string
  readOnly?: boolean
  /** Lines shown at least and at most; the editor grows with its text in between. */
  minLines?: number
  maxLines?: number
}

const lineHeight = 19

/** toMarkers places the server's errors (byte columns) on the model (UTF-16 columns). */
export function toMarkers(model: monaco.editor.ITextModel, errors: SqlError[]): monaco.editor.IMarkerData[] {
  const lines = model.getLineCount()
  return errors.map((e) => {
    const sl = Math.min(Math.max(e.line, 1), lines)
    const el = Math.min(Math.max(e.end_line || e.line, sl), lines)
    const sc = utf16Col(model.getLineContent(sl), e.col)
    let ec = utf16Col(model.getLineContent(el), e.end_col || e.col)
    // A zero-width error (a missing token) still gets a visible squiggle.
    if (el === sl && ec <= sc) ec = sc + 1
    return {
      severity: monaco.MarkerSeverity.Error,
      message: e.hint ? `${e.message}\nhint: ${e.hint}` : e.message,
      startLineNumber: sl,
      startColumn: sc,
      endLineNumber: el,
      endColumn: ec,
      source: 'velo',
    }
  })
}

export default function SqlEditor(props: SqlEditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const ed = useRef<monaco.editor.IStandaloneCodeEditor | null>(null)
  const latest = useRef(props)
  latest.current = props
  const theme = useTheme()

  useEffect(() => {
    const e = monaco.editor.create(host.current!, {
      value: latest.current.value,
      language: languageId,
      theme: theme === 'dark' ? 'velo-dark' : 'velo-light',
      ariaLabel: latest.current.ariaLabel,
      readOnly: latest.current.readOnly,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      automaticLayout: true,
      fontSize: 13,
      lineHeight,
      lineNumbersMinChars: 3,
      renderLineHighlight: 'none',
      // A dimmed number on the last empty line fails the contrast check.
      renderFinalNewline: 'on',
      scrollbar: { alwaysConsumeMouseWheel: false, verticalScrollbarSize: 8, horizontalScrollbarSize: 8 },
      overviewRulerLanes: 0,
      wordWrap: 'on',
      fixedOverflowWidgets: true,
      tabSize: 2,
      padding: { top: 6, bottom: 6 },
    })
    ed.current = e
    // The editor grows with its text (wrapped lines included) between
    // minLines and maxLines, then scrolls.
    const fit = () => {
      const p = latest.current
      const pad = 14 // padding and the 1px borders
      const min = (p.minLines ?? 4) * lineHeight + pad
      const max = (p.maxLines ?? 24) * lineHeight + pad
      const h = Math.min(Math.max(e.getContentHeight() + 2, min), max)
      if (host.current && host.current.style.height !== `${h}px`) host.current.style.height = `${h}px`
    }
    fit()
    const sized = e.onDidContentSizeChange(fit)
    const sub = e.onDidChangeModelContent(() => {
      const v = e.getValue()
      if (v !== latest.current.value) latest.current.onChange(v)
    })
    e.addAction({
      id: 'velo.run',
      label: 'Run cell',
      keybindings: [monaco.KeyMod.Shift | monaco.KeyCode.Enter],
      run: () => latest.current.onRun?.(),
    })
    e.addAction({
      id: 'velo.save',
      label: 'Save notebook',
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS],
      run: () => latest.current.onSave?.(),
    })
    return () => {
      sized.dispose()
      sub.dispose()
      e.getModel()?.dispose()
      e.dispose()
      ed.current = null
    }
    // The editor is made once; later props reach it through latest and the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  // Text set from outside (an answer from "Ask", a restored draft) goes in
  // as an edit, so Ctrl+Z brings the previous SQL back.
  useEffect(() => {
    const e = ed.current
    if (!e) return
    const model = e.getModel()!
    if (model.getValue() === props.value) return
    e.pushUndoStop()
    e.executeEdits('velo', [{ range: model.getFullModelRange(), text: props.value }])
    e.pushUndoStop()
  }, [props.value])

  useEffect(() => {
    const model = ed.current?.getModel()
    if (model) monaco.editor.setModelMarkers(model, 'velo', toMarkers(model, props.errors))
  }, [props.errors])

  useEffect(() => {
    monaco.editor.setTheme(theme === 'dark' ? 'velo-dark' : 'velo-light')
  }, [theme])

  useEffect(() => {
    ed.current?.updateOptions({ readOnly: props.readOnly, ariaLabel: props.ariaLabel })
  }, [props.readOnly, props.ariaLabel])

  return <div ref={host} className="sql-editor overflow-hidden rounded-md border border-slate-300 dark:border-slate-700" data-testid="sql-editor" />
}
