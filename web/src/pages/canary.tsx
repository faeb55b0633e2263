// Canary: the canary deployment's status when there is one (GET /canary/status), else says there is none.
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

export function Canary(): JSX.Element {
  const canary = useResource<Record<string, unknown>>('/canary/status', 5_000, [...NO_CANARY])
  const shadow = useResource<Record<string, unknown>>('/shadow/status', 10_000)
  const none = canary.error !== undefined && NO_CANARY.has(canary.error.status)

  return (
    <div class="page">
      <h1>Canary</h1>
      <Panel title="Canary deployment">
        {none ? (
          <p data-testid="no-canary">
            No canary deployment. <span class="muted small">({canary.error?.code}: {canary.error?.message})</span>
          </p>
        ) : (
          <Loaded res={canary}>
            {(c) => <Table rows={flatten(c)} rowKey={(r) => r[0]} empty="Empty status." caption="Canary status" columns={[{ key: 'k', label: 'Field', render: (r) => <code>{r[0]}</code> }, { key: 'v', label: 'Value', render: (r) => r[1] }]} />}
          </Loaded>
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
