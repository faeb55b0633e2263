// Canary: the roll-out (GET /canary/status) — stages, the criteria of the last evaluation with their measured
// values, and the history — or a note that there is none; the deployment's shadow status below.
import type { JSX } from 'preact'
import { useResource } from '../api'
import { Loaded, Panel, Table } from '../ui'

/** The answers that mean "there is no canary here" rather than an error. */
const NO_CANARY = new Set([404, 409, 501])

function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return [[prefix || 'value', value === null ? '—' : String(value)]]
  const out: [string, string][] = []
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === '' ? k : `${prefix}.${k}`
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v, key))
    else out.push([key, Array.isArray(v) ? JSON.stringify(v) : v === null ? '—' : String(v)])
  }
  return out
}

interface Criterion {
  name: string
  status: string
  measured: string
  threshold: string
  detail?: string
}
interface CanaryStatus {
  /** `none` when no roll-out was ever started (then only `message` and `stages`). */
  message?: string
  strategy: string
  version: string
  status: string
  stage: string
  stageStartedAt: string
  rollbackReason: string | null
  stages: { name: string; capitalPct: number; minDurationMs: number | null; maxDrawdownPct: number | null; pnlDeviationPct: number | null; current: boolean; done: boolean }[]
  evaluation: { at: string; decision: string; failed: string[]; criteria: Criterion[] } | null
  history: { stage: string; startedAt: string; endedAt: string; outcome: string; failed: string[] }[]
}

const days = (ms: number | null): string => (ms === null ? 'ongoing' : `${(ms / 86_400_000).toFixed(ms < 86_400_000 ? 3 : 0)} d`)
const pct = (v: number | null): string => (v === null ? '—' : `${v}%`)

function Rollout({ c }: { c: CanaryStatus }): JSX.Element {
  return (
    <>
      <p data-testid="canary-summary">
        <strong>{c.strategy}</strong> version <code>{c.version}</code>: <strong>{c.status.toUpperCase()}</strong> in stage <strong>{c.stage}</strong> since {c.stageStartedAt}
        {c.rollbackReason !== null ? <span> — rolled back: {c.rollbackReason}</span> : null}
      </p>
      <Table
        rows={c.stages}
        rowKey={(r) => r.name}
        empty="No stages."
        caption="Stages"
        columns={[
          { key: 'name', label: 'Stage', render: (r) => (r.current ? <strong>{r.name} ◀</strong> : r.done ? `${r.name} ✓` : r.name) },
          { key: 'capital', label: 'Capital', num: true, render: (r) => `${r.capitalPct}%` },
          { key: 'min', label: 'Min duration', render: (r) => days(r.minDurationMs) },
          { key: 'dd', label: 'Max drawdown', num: true, render: (r) => pct(r.maxDrawdownPct) },
          { key: 'dev', label: 'Max P&L deviation', num: true, render: (r) => pct(r.pnlDeviationPct) },
        ]}
      />
      <h3>Criteria {c.evaluation !== null ? <span class="muted small">(evaluated {c.evaluation.at}: {c.evaluation.decision})</span> : null}</h3>
      <Table
        rows={c.evaluation?.criteria ?? []}
        rowKey={(r) => r.name}
        empty="Not evaluated yet in this stage."
        caption="Criteria of the last evaluation"
        columns={[
          { key: 'name', label: 'Criterion', render: (r) => <code>{r.name}</code> },
          { key: 'status', label: 'Status', render: (r) => r.status.toUpperCase() },
          { key: 'measured', label: 'Measured', wrap: true, render: (r) => r.measured },
          { key: 'threshold', label: 'Needs', wrap: true, render: (r) => r.threshold },
        ]}
      />
      <h3>History</h3>
      <Table
        rows={c.history}
        rowKey={(r, i) => `${r.stage}-${i}`}
        empty="No stage finished yet."
        caption="Roll-out history"
        columns={[
          { key: 'stage', label: 'Stage', render: (r) => r.stage },
          { key: 'from', label: 'From', render: (r) => r.startedAt },
          { key: 'to', label: 'To', render: (r) => r.endedAt },
          { key: 'outcome', label: 'Outcome', wrap: true, render: (r) => `${r.outcome}${r.failed.length > 0 ? ` (failed: ${r.failed.join(', ')})` : ''}` },
        ]}
      />
    </>
  )
}

export function Canary(): JSX.Element {
  const canary = useResource<CanaryStatus>('/canary/status', 5_000, [...NO_CANARY])
  const shadow = useResource<Record<string, unknown>>('/shadow/status', 10_000)
  const none = canary.data?.status === 'none' || (canary.error !== undefined && NO_CANARY.has(canary.error.status))

  return (
    <div class="page">
      <h1>Canary</h1>
      <Panel title="Canary roll-out">
        {none ? (
          <p data-testid="no-canary">
            No canary roll-out.{' '}
            <span class="muted small">{canary.data?.message ?? (canary.error !== undefined ? `${canary.error.code}: ${canary.error.message}` : '')}</span>
          </p>
        ) : (
          <Loaded res={canary}>{(c) => <Rollout c={c} />}</Loaded>
        )}
      </Panel>
      <Panel title="Deployment (shadow status)">
        <Loaded res={shadow}>
          {(s) => <Table rows={flatten(s)} rowKey={(r) => r[0]} empty="Empty status." caption="Shadow status" columns={[{ key: 'k', label: 'Field', render: (r) => <code>{r[0]}</code> }, { key: 'v', label: 'Value', render: (r) => r[1] }]} />}
        </Loaded>
      </Panel>
    </div>
  )
}
