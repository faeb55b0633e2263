// Reconciliation: the last runs, their discrepancies by type, and (operator) a button to run one.
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { api, useResource } from '../api'
import { reportError } from '../toasts'
import type { ReconciliationRuns } from '../types'
import { Badge, Loaded, Panel, Table, Time, brief, levelOf } from '../ui'

export function Reconciliation({ canOperate }: { canOperate: boolean }): JSX.Element {
  const runs = useResource<ReconciliationRuns>('/reconciliation/runs?limit=50', 15_000)
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<string>('')

  const run = async (): Promise<void> => {
    setBusy(true)
    setResult('')
    try {
      const r = await api<{ status: string; files?: string[] }>('/reconciliation/run', { method: 'POST', body: {} })
      setResult(`Reconciliation finished: ${r.status}${r.status === 'ok' ? '' : ' — the kill switch was tripped (trigger reconciliation)'}.`)
      runs.reload()
    } catch (error) {
      setResult(`Reconciliation failed: ${error instanceof Error ? error.message : String(error)}`)
      reportError(error)
    }
    setBusy(false)
  }

  return (
    <div class="page">
      <h1>Reconciliation</h1>
      {canOperate ? (
        <div class="toolbar">
          <button type="button" class="btn primary" disabled={busy} onClick={() => void run()} data-testid="run-reconciliation">
            {busy ? 'Reconciling…' : 'Run reconciliation now'}
          </button>
          <span role="status" aria-live="polite" class="small">
            {result}
          </span>
        </div>
      ) : null}
      <Loaded res={runs}>
        {(d) => {
          const byType = new Map<string, number>()
          for (const r of d.runs) for (const [t, n] of Object.entries(r.counts.byType ?? {})) byType.set(t, (byType.get(t) ?? 0) + n)
          const types = [...byType.entries()].sort((a, b) => b[1] - a[1])
          return (
            <>
              <Panel title="Discrepancies by type">
                <p class="small muted">
                  Over the {d.runs.length} most recent of {d.total} reports in <code>{d.dir}</code>.
                </p>
                <Table
                  rows={types}
                  rowKey={(t) => t[0]}
                  empty="No discrepancy types recorded."
                  caption="Discrepancies by type"
                  columns={[
                    { key: 'type', label: 'Type', render: (t) => <code>{t[0]}</code> },
                    { key: 'n', label: 'Count', num: true, render: (t) => <span class="num">{t[1]}</span> },
                  ]}
                />
              </Panel>
              <Panel title="Runs">
                <Table
                  rows={d.runs}
                  rowKey={(r) => r.file}
                  empty="No reconciliation has run yet."
                  caption="Reconciliation runs, newest first"
                  columns={[
                    { key: 'time', label: 'Generated', render: (r) => <Time ms={r.generatedAt} /> },
                    { key: 'venue', label: 'Venue', render: (r) => r.venue ?? '—' },
                    { key: 'status', label: 'Status', render: (r) => <Badge level={levelOf(r.status)}>{r.status}</Badge> },
                    { key: 'matched', label: 'Matched', num: true, render: (r) => <span class="num">{r.counts.matched ?? 0}</span> },
                    { key: 'disc', label: 'Discrepancies', num: true, render: (r) => <span class="num">{r.counts.discrepancies ?? 0}</span> },
                    { key: 'first', wrap: true, label: 'First discrepancy', render: (r) => <span class="small muted">{r.discrepancies[0] === undefined ? '' : brief(r.discrepancies[0], 120)}</span> },
                    { key: 'file', label: 'Report', render: (r) => <code class="small">{r.file}</code> },
                  ]}
                />
              </Panel>
            </>
          )
        }}
      </Loaded>
    </div>
  )
}
