import { useEffect, useState } from 'react'
import { api, ApiError, errorText } from '../api/client'
import type { DeployPlan } from '../api/types'
import { saveFile } from '../state/download'
import { CheckBoxIcon } from './icons'

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/** summaryLines are the deploy summary's lines, as the product brief shows them. */
export function summaryLines(p: DeployPlan): string[] {
  const s = p.summary
  const out = [plural(s.queries, 'streaming SQL job', 'streaming SQL jobs')]
  out.push(`${plural(s.metrics, '@metric', '@metrics')} → Prometheus`)
  out.push(`${plural(s.alerts, '@alert', '@alerts')} → AlertManager`)
  out.push(s.dashboards > 0 ? (s.dashboards === 1 ? 'Auto-generated Grafana dashboard' : `${s.dashboards} auto-generated Grafana dashboards`) : 'No dashboard (no @metrics)')
  return out
}

/**
 * DeployPanel shows what a deploy creates (the server's dry run), then
 * deploys. Without a cluster (local mode) it offers the YAML to apply
 * elsewhere instead.
 */
export function DeployPanel({ plan, request, fileName, onClose }: { plan: DeployPlan; request: { notebook?: string; cells?: string[]; sql?: string; name?: string }; fileName: string; onClose: () => void }) {
  const [applied, setApplied] = useState<DeployPlan>()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const [noCluster, setNoCluster] = useState(false)
  // Without a cluster the Studio cannot apply: say so up front and offer
  // the YAML, rather than a Deploy button that can only fail.
  useEffect(() => {
    let live = true
    api
      .info()
      .then((i) => live && setNoCluster(!i.cluster))
      .catch(() => {})
    return () => {
      live = false
    }
  }, [])
  const s = plan.summary

  async function deploy() {
    setBusy(true)
    setError(undefined)
    try {
      setApplied(await api.deploy({ ...request, dryRun: false }))
    } catch (e) {
      if (e instanceof ApiError && e.code === 'no_cluster') setNoCluster(true)
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="panel mt-3 p-3 text-sm" aria-label="Deploy summary" data-testid="deploy-summary">
      <div className="flex items-center gap-2">
        <h3 className="text-base font-semibold">Deploy summary</h3>
        <span className="flex-1" />
        <button type="button" className="btn" onClick={onClose} aria-label="Close the deploy summary">
          ✕
        </button>
      </div>
      {(s.title || s.notebook) && <p className="mt-1">Notebook: {s.title || s.notebook}</p>}
      <p className="mt-2 font-medium">{applied ? 'Deployed:' : 'Will deploy:'}</p>
      <ul className="mt-1 space-y-0.5" data-testid="deploy-lines">
        {summaryLines(plan).map((l) => (
          <li key={l} className="flex items-center gap-1.5">
            <CheckBoxIcon className="text-emerald-600 dark:text-emerald-400" />
            {l}
          </li>
        ))}
      </ul>
      {s.cells && s.cells.length > 0 && (
        <ul className="muted mt-2 space-y-0.5 text-xs">
          {s.cells.map((c) => (
            <li key={c.query}>
              {c.cell ? `${c.cell} → ` : ''}
              <span className="font-mono">{c.query}</span>
              {c.metrics.length > 0 && <> · metrics: {c.metrics.join(', ')}</>}
              {c.alerts.length > 0 && <> · alerts: {c.alerts.join(', ')}</>}
            </li>
          ))}
        </ul>
      )}
      <details className="mt-2">
        <summary className="cursor-pointer">{plural(plan.objects.length, 'object', 'objects')}</summary>
        <table className="mt-1 w-full text-left text-xs" aria-label="Objects">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">Made by</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {(applied ?? plan).objects.map((o) => (
              <tr key={`${o.kind}/${o.namespace ?? ''}/${o.name}`} data-testid="deploy-object">
                <td>{o.kind}</td>
                <td className="font-mono">{o.namespace ? `${o.namespace}/` : ''}{o.name}</td>
                <td>{o.role === 'applied' ? 'Studio' : 'operator'}</td>
                <td>{o.action || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      {error && (
        <p role="alert" className="mt-2 text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
      {noCluster && !applied && (
        <p className="mt-2">No Kubernetes cluster is configured for this Studio (local mode): download the YAML and apply it with <code>kubectl apply -f</code>.</p>
      )}
      <div className="mt-3 flex flex-wrap gap-2">
        <button type="button" className="btn" onClick={() => saveFile(`${fileName}.yaml`, plan.yaml, 'application/yaml')}>
          Download YAML
        </button>
        <span className="flex-1" />
        <button type="button" className="btn" onClick={onClose}>
          {applied ? 'Close' : 'Cancel'}
        </button>
        {!applied && !noCluster && (
          <button type="button" className="btn btn-primary" onClick={deploy} disabled={busy}>
            {busy ? 'Deploying…' : 'Deploy →'}
          </button>
        )}
      </div>
      {applied && <p className="mt-2 text-emerald-700 dark:text-emerald-300">Applied. The operator creates the rest.</p>}
    </section>
  )
}
