// The Studio server's API, one function per endpoint. Every request goes to
// this page's own origin (relative URLs): the app talks to nothing else.
import type {
  AnalyzeResponse,
  Chart,
  Column,
  Completions,
  DeployPlan,
  ErrorBody,
  NlToSqlRequest,
  NlToSqlResponse,
  Notebook,
  NotebookSummary,
  StartedQuery,
  StreamInfo,
  StudioInfo,
  TestReport,
  ValidateResponse,
} from './types'

/** Where the API lives, relative to the page (so a path prefix keeps working); /api/v1/ outside a page (tests). */
export const apiBase = typeof document === 'undefined' ? '/api/v1/' : new URL('api/v1/', document.baseURI).pathname

/** ApiError is a failed request, carrying the server's error envelope. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details?: Record<string, unknown>
  constructor(status: number, body: ErrorBody) {
    super(body.message)
    this.name = 'ApiError'
    this.status = status
    this.code = body.code
    this.details = body.details
  }
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = { method, signal, headers: { Accept: 'application/json' } }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    ;(init.headers as Record<string, string>)['Content-Type'] = 'application/json'
  }
  const res = await fetch(apiBase + path, init)
  const text = await res.text()
  let data: unknown = undefined
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      if (!res.ok) throw new ApiError(res.status, { code: 'http_' + res.status, message: text.slice(0, 500) })
      return text as T
    }
  }
  if (!res.ok) {
    const env = (data as { error?: ErrorBody } | undefined)?.error
    throw new ApiError(res.status, env ?? { code: 'http_' + res.status, message: `${method} ${path}: HTTP ${res.status}` })
  }
  return data as T
}

const enc = encodeURIComponent

let info: Promise<StudioInfo> | undefined

export const api = {
  /** info is read once per page: what the Studio is configured with does not change while it runs. */
  info: () => {
    info ??= request<StudioInfo>('GET', 'info').catch((e) => {
      info = undefined
      throw e
    })
    return info
  },

  listNotebooks: (signal?: AbortSignal) =>
    request<{ notebooks: NotebookSummary[] }>('GET', 'notebooks', undefined, signal).then((r) => r.notebooks ?? []),
  getNotebook: (name: string, signal?: AbortSignal) => request<Notebook>('GET', `notebooks/${enc(name)}`, undefined, signal),
  /** createNotebook makes a notebook; the server names it from the title when name is empty. */
  createNotebook: (nb: Partial<Notebook>) => request<Notebook>('POST', 'notebooks', nb),
  /** saveNotebook saves nb if the stored copy is still at nb.version; a 409 conflict ApiError otherwise. */
  saveNotebook: (nb: Notebook) => request<Notebook>('PUT', `notebooks/${enc(nb.name)}`, nb),
  deleteNotebook: (name: string, version: string) => request<void>('DELETE', `notebooks/${enc(name)}?version=${enc(version)}`),
  exportUrl: (name: string) => `${apiBase}notebooks/${enc(name)}/export`,

  streams: () => request<{ streams: StreamInfo[] }>('GET', 'streams').then((r) => r.streams ?? []),
  validate: (sql: string, signal?: AbortSignal) => request<ValidateResponse>('POST', 'validate', { sql }, signal),
  /** line and col are 1-based; col counts characters (code points). */
  completions: (sql: string, line: number, col: number, signal?: AbortSignal) =>
    request<Completions>('POST', 'completions', { sql, line, col }, signal),
  nlToSql: (req: NlToSqlRequest) => request<NlToSqlResponse>('POST', 'nl-to-sql', req),
  suggestChart: (columns: Column[], viz?: string, signal?: AbortSignal) =>
    request<Chart>('POST', 'charts/suggest', { columns, viz: viz || undefined }, signal),

  startQuery: (sql: string, mode: 'live' | 'bounded' = 'live') => request<StartedQuery>('POST', 'queries', { sql, mode }),
  cancelQuery: (id: string) => request<unknown>('DELETE', `queries/${enc(id)}`),
  getQuery: (id: string, signal?: AbortSignal) => request<{ id: string; sql?: string; state: string }>('GET', `queries/${enc(id)}`, undefined, signal),
  streamUrl: (id: string) => {
    const u = new URL(`${apiBase}queries/${enc(id)}/stream`, location.href)
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
    return u.toString()
  },

  test: (sql: string, assertions?: Record<string, unknown>[], records?: number) =>
    request<TestReport>('POST', 'test', { sql, assertions, records }),
  analyze: (sql: string, report: TestReport) => request<AnalyzeResponse>('POST', 'analyze', { sql, report }),

  deploy: (body: { notebook?: string; cells?: string[]; sql?: string; name?: string; dryRun: boolean }) =>
    request<DeployPlan>('POST', 'deploy', body),
}

/** errorText renders any failure for a person: the message, and a hint when the server gave one. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message
  if (err instanceof Error) return err.message
  return String(err)
}
