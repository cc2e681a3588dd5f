import { describe, expect, it } from 'vitest'
import type { DeployPlan, TestReport } from '../api/types'
import { summaryLines } from './DeployPanel'
import { headline } from './TestPanel'

const report = (passed: boolean, total: number, failed: number) => ({ passed, total, failed }) as TestReport

describe('test report headline, as velo test prints it', () => {
  it.each([
    [report(true, 3, 0), '✅ Passed (3/3 assertions)'],
    [report(false, 3, 1), '❌ Failed (1/3 assertions)'],
    [report(false, 1, 1), '❌ Failed (1/1 assertions)'],
  ])('%j', (r, want) => {
    expect(headline(r)).toBe(want)
  })
})

describe('deploy summary, as the product brief shows it', () => {
  const plan = (queries: number, metrics: number, alerts: number, dashboards: number) =>
    ({ dryRun: true, summary: { queries, metrics, alerts, dashboards }, objects: [], yaml: '' }) as DeployPlan
  it.each([
    [plan(2, 3, 1, 1), ['2 streaming SQL jobs', '3 @metrics → Prometheus', '1 @alert → AlertManager', 'Auto-generated Grafana dashboard']],
    [plan(1, 0, 0, 0), ['1 streaming SQL job', '0 @metrics → Prometheus', '0 @alerts → AlertManager', 'No dashboard (no @metrics)']],
    [plan(3, 2, 2, 2), ['3 streaming SQL jobs', '2 @metrics → Prometheus', '2 @alerts → AlertManager', '2 auto-generated Grafana dashboards']],
  ])('%j', (p, want) => {
    expect(summaryLines(p)).toEqual(want)
  })
})
