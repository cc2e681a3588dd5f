// "Add assertion": from a form (a type and what the person typed) to the
// test harness's assertion object, as the Notebook stores it
// ({"record_count": {"greater_than": 0}}), with a message when the input
// cannot make one. The harness checks the assertion again when it runs.

export interface AssertionKind {
  type: string
  label: string
  /** What the argument field asks for. */
  placeholder: string
  build: (arg: string) => Record<string, unknown> | string
}

function columns(arg: string): string[] | string {
  const cols = arg
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (!cols.length) return 'name at least one column, e.g. symbol, volume'
  const bad = cols.find((c) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(c))
  return bad ? `"${bad}" is not a column name` : cols
}

/** comparison reads "> 0", ">= 5", "= 7", "< 10", "between 1 and 10", or a bare number (taken as "> n"). */
export function comparison(arg: string): Record<string, number | number[]> | string {
  const s = arg.trim().toLowerCase()
  let m = /^between\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)$/.exec(s)
  if (m) return { between: [Number(m[1]), Number(m[2])] }
  m = /^(>=|<=|!=|<>|>|<|==|=)?\s*(-?\d+(?:\.\d+)?)$/.exec(s)
  if (!m) return 'write a comparison such as > 0, = 7, < 100 or between 1 and 10'
  const n = Number(m[2])
  switch (m[1] ?? '>') {
    case '>':
      return { greater_than: n }
    case '>=':
      return { greater_than_or_equal: n }
    case '<':
      return { less_than: n }
    case '<=':
      return { less_than_or_equal: n }
    case '=':
    case '==':
      return { equals: n }
    default:
      return { not_equals: n }
  }
}

function positive(arg: string, unit: string): number | string {
  const n = Number(arg.trim().replace(/[_,]/g, '').replace(/ms$|mb$|\/s$/i, ''))
  return Number.isFinite(n) && n > 0 ? n : `a positive number of ${unit}`
}

export const assertionKinds: AssertionKind[] = [
  {
    type: 'record_count',
    label: 'Row count',
    placeholder: '> 0',
    build: (a) => {
      const c = comparison(a)
      return typeof c === 'string' ? c : { record_count: c }
    },
  },
  {
    type: 'no_nulls',
    label: 'No NULLs in',
    placeholder: 'symbol, volume',
    build: (a) => {
      const c = columns(a)
      return typeof c === 'string' ? c : { no_nulls: c }
    },
  },
  {
    type: 'schema_contains',
    label: 'Output has columns',
    placeholder: 'symbol, volume',
    build: (a) => {
      const c = columns(a)
      return typeof c === 'string' ? c : { schema_contains: c }
    },
  },
  {
    type: 'unique_values',
    label: 'Unique values of',
    placeholder: 'symbol, window_start',
    build: (a) => {
      const c = columns(a)
      return typeof c === 'string' ? c : { unique_values: c }
    },
  },
  {
    type: 'field_values',
    label: 'Every row satisfies',
    placeholder: "volume > 0 AND symbol <> 'X'",
    build: (a) => (a.trim() ? { field_values: a.trim() } : 'write an SQL condition, e.g. volume > 0'),
  },
  {
    type: 'aggregate_check',
    label: 'Aggregate check',
    placeholder: 'SUM(volume) > 0',
    build: (a) => (a.trim() ? { aggregate_check: a.trim() } : 'write an aggregate and a comparison, e.g. SUM(volume) > 0'),
  },
  {
    type: 'execution_time',
    label: 'Runs within (ms)',
    placeholder: '1000',
    build: (a) => {
      const n = positive(a, 'milliseconds')
      return typeof n === 'string' ? n : { execution_time: { max_ms: n } }
    },
  },
  {
    type: 'throughput',
    label: 'Throughput at least (records/s)',
    placeholder: '100000',
    build: (a) => {
      const n = positive(a, 'records per second')
      return typeof n === 'string' ? n : { throughput: { min_records_per_second: n } }
    },
  },
]

/** buildAssertion returns the assertion object, or a message saying what is wrong with arg. */
export function buildAssertion(type: string, arg: string): Record<string, unknown> | string {
  const k = assertionKinds.find((k) => k.type === type)
  if (!k) return `unknown assertion type ${type}`
  return k.build(arg)
}

/** describeAssertion renders a stored assertion in one line ("record_count: {greater_than: 0}"). */
export function describeAssertion(a: Record<string, unknown>): string {
  const keys = Object.keys(a)
  if (keys.length !== 1) return JSON.stringify(a)
  const v = a[keys[0]]
  const text = typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : JSON.stringify(v).replace(/"/g, '').replace(/:/g, ': ').replace(/,/g, ', ')
  return `${keys[0]}: ${text}`
}
