// P&L and attribution: by day, strategy, venue and symbol, with fees and slippage; a day's attribution.
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { useResource } from '../api'
import { LineChart } from '../chart'
import type { Attribution, AttributionRow, PnlBreakdown, PnlRow } from '../types'
import { Loaded, Num, Panel, Table } from '../ui'
import type { Column } from '../ui'

const PERIODS = ['today', 'yesterday', '7d', 'all'] as const
type PeriodChoice = (typeof PERIODS)[number]

const pnlColumns = (first: string): Column<PnlRow>[] => [
  { key: 'key', label: first, render: (r) => r.key },
  { key: 'fills', label: 'Fills', num: true, render: (r) => <span class="num">{r.fills}</span> },
  { key: 'volume', label: 'Volume', num: true, render: (r) => <Num value={r.volume} /> },
  { key: 'realized', label: 'Realized', num: true, render: (r) => <Num value={r.realizedPnl} signed /> },
  { key: 'fees', label: 'Fees', num: true, render: (r) => <Num value={r.fees} /> },
  { key: 'costs', label: 'Costs', num: true, render: (r) => <Num value={r.costs} /> },
  { key: 'net', label: 'Net', num: true, render: (r) => <Num value={r.netPnl} signed /> },
  { key: 'unrealized', label: 'Unrealized', num: true, render: (r) => <Num value={r.unrealizedPnl} signed /> },
  { key: 'slip', label: 'Slippage cost', num: true, render: (r) => <Num value={r.slippageCost} /> },
  { key: 'bps', label: 'Slippage bps', num: true, render: (r) => <Num value={r.slippageBps} /> },
]

const attributionColumns = (first: string): Column<AttributionRow>[] => [
  { key: 'key', label: first, render: (r) => r.key },
  { key: 'net', label: 'Net', num: true, render: (r) => <Num value={r.netPnl} signed /> },
  { key: 'alpha', label: 'Alpha', num: true, render: (r) => <Num value={r.alpha} signed /> },
  { key: 'slippage', label: '− Slippage', num: true, render: (r) => <Num value={r.slippage} /> },
  { key: 'inventory', label: 'Inventory', num: true, render: (r) => <Num value={r.inventory} signed /> },
  { key: 'fees', label: '− Fees', num: true, render: (r) => <Num value={r.fees} /> },
  { key: 'costs', label: '− Costs', num: true, render: (r) => <Num value={r.costs} /> },
]

export function Pnl({ theme }: { theme: string }): JSX.Element {
  const [period, setPeriod] = useState<PeriodChoice>('today')
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10))
  const breakdown = useResource<PnlBreakdown>(`/pnl/breakdown?period=${period}`, 15_000)
  const attribution = useResource<Attribution>(/^\d{4}-\d{2}-\d{2}$/.test(date) ? `/reports/attribution?date=${date}` : null, 30_000)

  return (
    <div class="page">
      <h1>P&amp;L and attribution</h1>
      <div class="toolbar" role="group" aria-label="Period">
        {PERIODS.map((p) => (
          <button key={p} type="button" class={`btn ${p === period ? 'selected' : ''}`} aria-pressed={p === period} onClick={() => setPeriod(p)}>
            {p}
          </button>
        ))}
      </div>
      <Loaded res={breakdown}>
        {(b) => (
          <>
            <div class="cards">
              <div class="card">
                <span class="card-label">Net ({b.period.label}, realized − fees − costs)</span>
                <strong class="card-value">
                  <Num value={b.totals.netPnl} unit={b.currency} signed />
                </strong>
                <span class="muted small">unrealized not included</span>
              </div>
              <div class="card">
                <span class="card-label">Live (exchange) net</span>
                <strong class="card-value">
                  <Num value={b.legs.live.net} unit={b.currency} signed />
                </strong>
                <span class="muted small">{b.legs.live.fills} exchange fills</span>
              </div>
              <div class="card">
                <span class="card-label">Simulated net</span>
                <strong class="card-value">
                  <Num value={b.legs.simulated.net} unit={b.currency} signed />
                </strong>
                <span class="muted small">{b.legs.simulated.fills} paper/shadow fills</span>
              </div>
              <div class="card">
                <span class="card-label">Realized</span>
                <strong class="card-value">
                  <Num value={b.totals.realizedPnl} signed />
                </strong>
              </div>
              <div class="card">
                <span class="card-label">Fees</span>
                <strong class="card-value">
                  <Num value={b.totals.fees} />
                </strong>
              </div>
              <div class="card">
                <span class="card-label">Slippage cost</span>
                <strong class="card-value">
                  <Num value={b.totals.slippageCost} />
                </strong>
                <span class="muted small">
                  <Num value={b.totals.slippageBps} /> bps (worse positive)
                </span>
              </div>
            </div>
            <Panel title="By strategy">
              <Table rows={b.byStrategy} rowKey={(r) => r.key} empty="No fills in the period." columns={pnlColumns('Strategy')} caption="P&L by strategy" />
            </Panel>
            <Panel title="By venue">
              <Table rows={b.byVenue} rowKey={(r) => r.key} empty="No fills in the period." columns={pnlColumns('Venue')} caption="P&L by venue" />
            </Panel>
            <Panel title="By symbol">
              <Table rows={b.bySymbol} rowKey={(r) => r.key} empty="No fills in the period." columns={pnlColumns('Symbol')} caption="P&L by symbol" />
            </Panel>
            <Panel title="By day (UTC)">
              <LineChart
                bars
                theme={theme}
                height={180}
                label={`daily net P&L (${b.currency}, realized − fees − costs)`}
                points={b.byDay.map((r) => [Date.parse(`${r.key}T00:00:00Z`) / 1000, Number(r.netPnl)] as const).filter((p) => Number.isFinite(p[0]))}
                empty="A chart needs two days or more in the period (choose 7d or all)."
              />
              <Table rows={b.byDay} rowKey={(r) => r.key} empty="No fills in the period." columns={pnlColumns('Day')} caption="P&L by day" />
            </Panel>
          </>
        )}
      </Loaded>

      <Panel
        title="Attribution"
        actions={
          <label class="inline">
            Day (UTC){' '}
            <input type="date" value={date} onInput={(e) => setDate((e.target as HTMLInputElement).value)} />
          </label>
        }
      >
        <Loaded res={attribution}>
          {(a) => (
            <>
              <p class="small muted">
                {a.formula} · {a.currency} · totals: net <Num value={a.totals.netPnl} signed />
              </p>
              <Table rows={a.byStrategy} rowKey={(r) => r.key} empty="No fills that day." columns={attributionColumns('Strategy')} caption="Attribution by strategy" />
              <Table rows={a.byVenue} rowKey={(r) => r.key} empty="" columns={attributionColumns('Venue')} caption="Attribution by venue" />
              <Table rows={a.bySymbol} rowKey={(r) => r.key} empty="" columns={attributionColumns('Symbol')} caption="Attribution by symbol" />
            </>
          )}
        </Loaded>
      </Panel>
    </div>
  )
}
