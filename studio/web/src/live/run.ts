// Running a query: start it on the server, follow its result stream over a
// WebSocket into a LiveResult, and pause, resume or stop it.
import { api, errorText } from '../api/client'
import type { Chart, StreamMessage } from '../api/types'
import { LiveResult } from './result'

export interface Run {
  result: LiveResult
  pause(): void
  resume(): void
  /** stop cancels the query and closes the stream. */
  stop(): void
  /** close leaves the stream (a live query with no one watching stops on the server). */
  close(): void
}

/** startRun starts sql and follows its results. */
export async function startRun(sql: string, opts: { live?: boolean; capacity?: number } = {}): Promise<Run> {
  const started = await api.startQuery(sql, opts.live === false ? 'bounded' : 'live')
  return followQuery(started.id, { capacity: opts.capacity, chart: started.chart })
}

/** followQuery subscribes to a query that is already running (the dashboard page). */
export function followQuery(id: string, opts: { capacity?: number; chart?: Chart } = {}): Run {
  const result = new LiveResult(id, opts.capacity)
  if (opts.chart) result.setChart(opts.chart)
  const ws = new WebSocket(api.streamUrl(id))
  let closedByUs = false
  const queue: string[] = []
  const send = (type: string) => {
    const msg = JSON.stringify({ type })
    if (ws.readyState === WebSocket.OPEN) ws.send(msg)
    else if (ws.readyState === WebSocket.CONNECTING) queue.push(msg)
  }
  ws.onopen = () => {
    for (const m of queue.splice(0)) ws.send(m)
  }
  ws.onmessage = (ev) => {
    let m: StreamMessage
    try {
      m = JSON.parse(typeof ev.data === 'string' ? ev.data : '') as StreamMessage
    } catch (e) {
      result.fail({ code: 'bad_message', message: `the server sent a message that is not JSON: ${errorText(e)}` })
      return
    }
    result.apply(m)
  }
  ws.onerror = () => {
    // The close event that follows says more; nothing to do here.
  }
  ws.onclose = (ev) => {
    if (closedByUs) return
    result.fail({ code: 'disconnected', message: `the result stream closed (${ev.code}${ev.reason ? ': ' + ev.reason : ''}) before the query ended` })
  }
  const close = () => {
    closedByUs = true
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000, 'closed')
  }
  return {
    result,
    pause: () => send('pause'),
    resume: () => send('resume'),
    stop: () => {
      send('cancel')
      result.stopped()
      // Give the cancel a moment to go out before the socket closes.
      setTimeout(close, 200)
    },
    close,
  }
}
