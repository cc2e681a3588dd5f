import { useState } from 'react'
import { api, errorText } from '../api/client'
import type { Interpretation as Interp, NlToSqlResponse } from '../api/types'
import { ChatIcon, SparkIcon } from './icons'

/**
 * AskBox turns a question in English into the cell's SQL (/nl-to-sql). It
 * shows how the question was read and who answered; a refusal says which
 * words were not understood instead of guessing.
 */
export function AskBox({ prompt, onPrompt, onSql, cellName }: { prompt: string; onPrompt: (p: string) => void; onSql: (sql: string) => void; cellName: string }) {
  const [busy, setBusy] = useState(false)
  const [answer, setAnswer] = useState<NlToSqlResponse>()
  const [error, setError] = useState<string>()

  async function ask(e: React.FormEvent) {
    e.preventDefault()
    const q = prompt.trim()
    if (!q) return
    setBusy(true)
    setError(undefined)
    setAnswer(undefined)
    try {
      const a = await api.nlToSql({ question: q, live: true })
      setAnswer(a)
      if (a.sql && !a.refusal) onSql(a.sql)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const refused = answer && (answer.refusal || !answer.sql)
  return (
    <div>
      <form onSubmit={ask} className="flex gap-2" role="search" aria-label={`Ask in English for ${cellName}`}>
        <ChatIcon className="mt-1.5 shrink-0 text-slate-400" />
        <input
          className="input flex-1"
          value={prompt}
          onChange={(e) => onPrompt(e.target.value)}
          placeholder='Ask in English, e.g. "total quantity by symbol per minute"'
          aria-label={`Question for ${cellName}`}
          maxLength={16384}
        />
        <button type="submit" className="btn btn-primary" disabled={busy || !prompt.trim()} aria-label={`Ask: write SQL for ${cellName}`}>
          {busy ? 'Asking…' : 'Ask'}
        </button>
      </form>
      {error && (
        <p role="alert" className="mt-1 text-sm text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
      {answer && !refused && (
        <div className="mt-1 rounded-md bg-sky-50 p-2 text-sm dark:bg-sky-950" data-testid="nl-answer" role="status">
          <div className="flex gap-1.5">
            <SparkIcon className="mt-0.5 shrink-0 text-sky-600" />
            <span>{answer.explanation}</span>
          </div>
          {answer.interpretation && <Interpretation i={answer.interpretation} />}
          <div className="muted mt-0.5 text-xs" data-testid="nl-provider">
            Answered by {answer.provider || 'unknown'}
            {typeof answer.confidence === 'number' && ` · confidence ${Math.round(answer.confidence * 100)}%`}
            {answer.attempts && answer.attempts > 1 ? ` · repaired after ${answer.attempts - 1} rejected answer` : ''}
          </div>
        </div>
      )}
      {answer && refused && (
        <div role="alert" className="mt-1 rounded-md bg-amber-50 p-2 text-sm dark:bg-amber-950" data-testid="nl-refusal">
          <div>{answer.refusal?.reason || 'The question could not be turned into SQL.'}</div>
          {answer.refusal?.not_understood && answer.refusal.not_understood.length > 0 && (
            <div className="mt-0.5">Not understood: {answer.refusal.not_understood.map((w) => `“${w}”`).join(', ')}</div>
          )}
          {answer.refusal?.understood && answer.refusal.understood.length > 0 && (
            <div className="muted mt-0.5 text-xs">Understood: {answer.refusal.understood.join('; ')}</div>
          )}
          {answer.refusal?.sql && (
            <div className="mt-1">
              <div className="muted text-xs">The last answer, which did not validate:</div>
              <pre className="overflow-auto text-xs">{answer.refusal.sql}</pre>
              {answer.refusal.errors?.map((e, i) => (
                <div key={i} className="text-xs text-rose-700 dark:text-rose-300">
                  Line {e.line}, column {e.col}: {e.message}
                </div>
              ))}
              <button type="button" className="btn mt-1" onClick={() => onSql(answer.refusal!.sql!)}>
                Put it in the editor to fix by hand
              </button>
            </div>
          )}
          <div className="muted mt-0.5 text-xs">Answered by {answer.provider || 'unknown'}</div>
        </div>
      )}
    </div>
  )
}

/** Interpretation shows how the question was read: the summary, and the parts on request. */
function Interpretation({ i }: { i: Interp }) {
  const parts: [string, string | undefined][] = [
    ['From', i.source],
    ['Measures', i.measures?.join(', ')],
    ['Grouped by', i.group_by?.join(', ')],
    ['Filters', i.filters?.join(' AND ')],
    ['Having', i.having],
    ['Window', i.window],
    ['Order', i.order_by?.join(', ')],
    ['Limit', i.limit ? String(i.limit) : undefined],
    ['Emits', i.emit],
    ['Words linked', i.links?.join('; ')],
    ['Assumed', i.assumptions?.join('; ')],
  ]
  return (
    <details className="mt-0.5 text-xs" data-testid="nl-interpretation">
      <summary className="muted cursor-pointer">Read as: {i.summary}</summary>
      <dl className="ml-3 mt-1 grid grid-cols-[max-content_1fr] gap-x-2">
        {parts
          .filter(([, v]) => v)
          .map(([k, v]) => (
            <div key={k} className="contents">
              <dt className="muted">{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
    </details>
  )
}
