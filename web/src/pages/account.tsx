// Account: balances per venue and asset (free, held by open orders, total), and the service-level objectives with
// their error budgets and burn rates.
import type { JSX } from 'preact'
import { useResource } from '../api'
import { Badge, Loaded, Num, Panel, Table, Time } from '../ui'

interface Balances {
  readonly timestamp: number
  readonly venues: Readonly<Record<string, Readonly<Record<string, { free: string; used: string; total: string }>>>>
}

interface Slo {
  readonly name: string
  readonly description: string
  readonly objective: number
  readonly current: number | null
  readonly errorBudgetRemaining: number | null
  readonly burnRates: Readonly<Record<string, number | null>>
  readonly good: number
  readonly total: number
  readonly period: string
  readonly status: string
}

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(2)}%`)
/** ok, burning (spending its budget faster than the period allows), exhausted, no_data. */
const sloLevel = (status: string): 'ok' | 'warn' | 'crit' | 'info' => (status === 'ok' ? 'ok' : status === 'no_data' ? 'info' : status === 'burning' ? 'warn' : 'crit')

export function Account(): JSX.Element {
  const balances = useResource<Balances>('/exchange/balance', 5_000)
  const slo = useResource<{ tracked: boolean; slo: Slo[] }>('/slo/status', 10_000)
  return (
    <div class="page">
      <h1>Account</h1>
      <Panel title="Balances">
        <Loaded res={balances}>
          {(b) => {
            const rows = Object.entries(b.venues).flatMap(([venue, assets]) => Object.entries(assets).map(([asset, x]) => ({ venue, asset, ...x })))
            return (
              <>
                <p class="small muted">
                  As the venues report them, <Time ms={b.timestamp} />. Used is what open orders hold.
                </p>
                <Table
                  rows={rows}
                  rowKey={(r) => `${r.venue}:${r.asset}`}
                  empty="No balances."
                  caption="Balances per venue and asset"
                  columns={[
                    { key: 'venue', label: 'Venue', render: (r) => r.venue },
                    { key: 'asset', label: 'Asset', render: (r) => <span data-testid="balance-asset">{r.asset}</span> },
                    { key: 'free', label: 'Free', num: true, render: (r) => <Num value={r.free} /> },
                    { key: 'used', label: 'Used', num: true, render: (r) => <Num value={r.used} /> },
                    { key: 'total', label: 'Total', num: true, render: (r) => <Num value={r.total} /> },
                  ]}
                />
              </>
            )
          }}
        </Loaded>
      </Panel>
      <Panel title="Service-level objectives">
        <Loaded res={slo}>
          {(s) => (
            <Table
              rows={s.slo}
              rowKey={(x) => x.name}
              empty={s.tracked ? 'No objectives.' : 'Objectives are not tracked by this session.'}
              caption="Service-level objectives with their error budgets"
              columns={[
                { key: 'name', label: 'Objective', render: (x) => <span data-testid="slo-name">{x.name}</span> },
                { key: 'what', label: 'Target', wrap: true, render: (x) => <span class="small">{x.description}</span> },
                { key: 'current', label: `Now (${s.slo[0]?.period ?? 'period'})`, num: true, render: (x) => pct(x.current) },
                { key: 'budget', label: 'Error budget left', num: true, render: (x) => pct(x.errorBudgetRemaining) },
                { key: 'burn', label: 'Burn 1h / 6h', num: true, render: (x) => `${x.burnRates['1h']?.toFixed(2) ?? '—'} / ${x.burnRates['6h']?.toFixed(2) ?? '—'}` },
                { key: 'n', label: 'Good / total', num: true, render: (x) => `${x.good} / ${x.total}` },
                { key: 'status', label: 'Status', render: (x) => <Badge level={sloLevel(x.status)}>{x.status.replace('_', ' ')}</Badge> },
              ]}
            />
          )}
        </Loaded>
      </Panel>
    </div>
  )
}
