// Shapes of the Studio server's API (/api/v1, described by
// /api/v1/openapi.json). Field names follow the server's JSON exactly.

/** The error envelope of every failed request. */
export interface ErrorBody {
  code: string
  message: string
  details?: Record<string, unknown>
}

/** A positioned SQL error (as `velo validate --format json` prints it). */
export interface SqlError {
  line: number
  col: number
  end_line: number
  end_col: number
  message: string
  hint?: string
}

export interface ValidateResponse {
  valid: boolean
  errors: SqlError[]
}

export interface Column {
  name: string
  type: string
}

export interface StreamInfo {
  name: string
  kind: 'stream' | 'table'
  columns: Column[]
}

export interface CompletionItem {
  label: string
  /** keyword, function, aggregate, stream, table, column, property, annotation */
  kind: string
  /** A type, a signature or what a stream is. */
  detail?: string
  /** The text to insert when it differs from the label. */
  insert?: string
}

/** Suggestions for the word at the cursor, which starts at from (1-based line and character column). */
export interface Completions {
  from: { line: number; col: number }
  items: CompletionItem[]
}

/** A chart choice (studio/server/charts.Chart). */
export interface Chart {
  type: ChartType
  x?: string
  y?: string[]
  series?: string
  value?: string
  lat?: string
  lon?: string
  region?: string
  title?: string
  reason: string
  override: boolean
  warning?: string
}

export type ChartType = 'line' | 'bar' | 'stat' | 'gauge' | 'geo' | 'table' | 'heatmap'

export const chartTypes: ChartType[] = ['line', 'bar', 'stat', 'gauge', 'geo', 'heatmap', 'table']

export interface NlToSqlRequest {
  question: string
  streams?: string[]
  /** The answer runs live in a cell: a windowed query emits its changes. */
  live?: boolean
}

/** How the question was read (assistant.Interpretation). */
export interface Interpretation {
  source: string
  measures?: string[]
  group_by?: string[]
  filters?: string[]
  having?: string
  window?: string
  order_by?: string[]
  limit?: number
  emit: string
  links?: string[]
  assumptions?: string[]
  summary: string
}

/** The answer of /nl-to-sql (assistant.Result): SQL that validates, or a refusal. */
export interface NlToSqlResponse {
  sql?: string
  explanation?: string
  interpretation?: Interpretation
  confidence: number
  provider: string
  refusal?: {
    understood?: string[]
    not_understood?: string[]
    reason: string
    sql?: string
    errors?: SqlError[]
  }
  attempts?: number
}

/** A notebook cell as stored (the Notebook CRD's cell). */
export interface CellSpec {
  name: string
  prompt?: string
  sql: string
  deploy?: boolean
  /** Objects with one key naming the check, e.g. {"record_count": {"greater_than": 0}}. */
  assertions?: Record<string, unknown>[]
}

/** A notebook as the API shows it (studio/server/core.Notebook). */
export interface Notebook {
  name: string
  namespace?: string
  /** The version it was read at; saving requires it to still be current. */
  version?: string
  title: string
  cells: CellSpec[]
  defaults?: Record<string, unknown>
  status?: Record<string, unknown>
  modified?: string
}

export interface NotebookSummary {
  name: string
  title: string
  cells: number
  version?: string
  modified?: string
  source: string
  /** Why a file could not be read as a notebook. */
  error?: string
}

/** What the Studio is configured with (GET /info). */
export interface StudioInfo {
  version: string
  notebooks: string
  kafka?: string
  /** Whether deploys reach a Kubernetes cluster (false: local mode, the YAML is offered). */
  cluster: boolean
  namespace?: string
  allow_deploy: boolean
  assistant?: string
  limits: { max_rows: number; max_duration_ms: number; max_state: number; max_queries: number; buffer_rows: number }
}

/** testkit/report.Report, the JSON report of the test harness. */
export interface TestReport {
  version: number
  query: string
  spec?: string
  passed: boolean
  total: number
  failed: number
  defaults: boolean
  assertions: TestAssertion[]
  performance: {
    execution_ms: number
    generation_ms: number
    records_per_sec: number
    peak_heap_mb: number
  }
  data?: { name: string; records: number; schema: string; seed: number }[]
  engine?: Record<string, number | string>
  findings?: Finding[]
  ai?: { configured: boolean; provider?: string; explanation?: string; note?: string }
}

export interface TestAssertion {
  type: string
  passed: boolean
  summary: string
  expected?: string
  actual?: string
  rows?: unknown[]
  message?: string
  default?: boolean
  file?: string
  line?: number
}

export interface Finding {
  kind: string
  title: string
  details?: string[]
  fix?: string
}

export interface AnalyzeResponse {
  explanation: string
  /** A model's name, or "offline" for the rule-based findings put into words. */
  provider: string
  findings?: { kind: string; summary: string; evidence?: string[]; suggestion?: string }[]
}

/** A deploy plan (studio/server/deploy.Plan). */
export interface DeployPlan {
  dryRun: boolean
  summary: DeploySummary
  objects: DeployObject[]
  yaml: string
  applied?: boolean
}

export interface DeploySummary {
  notebook?: string
  title?: string
  queries: number
  metrics: number
  alerts: number
  dashboards: number
  cells?: { cell?: string; query: string; metrics: string[]; alerts: string[] }[]
}

export interface DeployObject {
  apiVersion: string
  kind: string
  name: string
  namespace?: string
  role: string
  cell?: string
  action?: string
  yaml: string
}

/** The answer of POST /queries. */
export interface StartedQuery {
  id: string
  mode: 'live' | 'bounded'
  columns: Column[]
  chart: Chart
  /** The path of the results stream. */
  stream: string
}

/** Messages of a query's result stream (studio/server/live). */
export type StreamMessage =
  | { type: 'schema'; query_id: string; live: boolean; columns: Column[]; meta?: { chart?: Chart } & Record<string, unknown> }
  | { type: 'rows'; first: number; count: number; total: number; snapshot: boolean; rows: unknown[][] }
  | {
      type: 'metrics'
      state: string
      records_per_sec: number
      rows_per_sec: number
      latency_ms?: { p50: number; p99: number }
      event_lag_ms?: number
      dropped: number
      stats?: Record<string, number>
    }
  | { type: 'state'; state: 'paused' | 'running' }
  | { type: 'complete'; reason: string; stats?: Record<string, number> }
  | { type: 'error'; error: ErrorBody }
