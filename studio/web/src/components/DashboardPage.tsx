import { useEffect, useState } from 'react'
import { api } from '../api/client'
import { vizOf } from '../charts/choose'
import { followQuery, type Run } from '../live/run'
import { ResultsPanel } from './ResultsPanel'

/**
 * DashboardPage is what `velo run --dashboard` opens: one query's live
 * results and chart, nothing else.
 */
export default function DashboardPage({ queryId }: { queryId: string }) {
  const [run, setRun] = useState<Run>()
  const [sql, setSql] = useState<string>()
  useEffect(() => {
    const r = followQuery(queryId)
    setRun(r)
    const ac = new AbortController()
    api
      .getQuery(queryId, ac.signal)
      .then((q) => setSql(q.sql))
      .catch(() => {
        // The stream reports a missing query itself; the SQL is a nicety.
      })
    return () => {
      ac.abort()
      r.close()
    }
  }, [queryId])
  if (!run) return null
  return (
    <div className="mx-auto max-w-6xl p-3 sm:p-4">
      <h1 className="text-lg font-semibold">Live query</h1>
      {sql && <pre className="panel mt-2 overflow-auto p-2 font-mono text-xs" aria-label="The query">{sql.trim()}</pre>}
      <ResultsPanel run={run} viz={sql ? vizOf(sql) : ''} name={queryId} onStop={() => run.stop()} />
    </div>
  )
}
