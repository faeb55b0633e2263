// Overview: the session at a glance, live from the event stream, with the kill switch lever.
import type { JSX } from 'preact'
import { useEffect, useMemo, useRef } from 'preact/hooks'
import { useResource } from '../api'
import { LineChart } from '../chart'
import { KillSwitchControl } from '../kill-switch'
import { useLive } from '../live'
import { CancelAll, CancelOrderButton, OrderTicket } from '../orders'
import type { Fill, Order, OrdersList, PositionsList, ReconciliationRuns, RiskStatus, StatusView } from '../types'
import { Badge, Bar, ErrorBanner, Loaded, Num, Panel, Table, Time, levelOf } from '../ui'
import type { Column } from '../ui'

/** The first paint of the P&L numbers after navigation: the dashboard's "first meaningful paint". */
export const PNL_PAINT_MARK = 'sofia:pnl-painted'

/** The columns an open order and a fill share: when, whose, on which market, which way, how much, at what price. */
function dealColumns<T extends Pick<Order, 'timestamp' | 'strategyId' | 'venue' | 'symbol' | 'side' | 'amount' | 'price'>>(): Column<T>[] {
  return [
    { key: 'time', label: 'Time', render: (d) => <Time ms={d.timestamp} /> },
    { key: 'strategy', label: 'Strategy', render: (d) => d.strategyId },
    { key: 'pos', label: 'Venue:symbol', render: (d) => `${d.venue}:${d.symbol}` },
    { key: 'side', label: 'Side', render: (d) => d.side },
    { key: 'amount', label: 'Amount', num: true, render: (d) => <Num value={d.amount} /> },
    { key: 'price', label: 'Price', num: true, render: (d) => <Num value={d.price} /> },
  ]
}

export function Overview({ canOperate, theme }: { canOperate: boolean; theme: string }): JSX.Element {
  const live = useLive()
  const status = useResource<StatusView>('/status', 2_000)
  const risk = useResource<RiskStatus>('/risk/status', 2_000)
  const positions = useResource<PositionsList>('/positions', 3_000)
  const orders = useResource<OrdersList>('/orders', 2_000)
  const fills = useResource<{ fills: Fill[] }>('/fills?limit=20', 5_000)
  const alerts = useResource<{ recent: { at: number; name: string; level: string; detail: string }[]; firing: unknown[] }>('/alerts', 5_000)
  const recon = useResource<ReconciliationRuns>('/reconciliation/runs?limit=1', 10_000)

  // A kill switch change refetches at once what it changes.
  const ksSeen = useRef(live.killSwitch)
  useEffect(() => {
    if (ksSeen.current !== live.killSwitch) {
      ksSeen.current = live.killSwitch
      status.reload()
      risk.reload()
      orders.reload()
    }
  })

  const s = status.data
  const tick = live.status !== undefined && s !== undefined && live.status.at >= Date.now() - 5_000 ? live.status : undefined
  const netPnl = tick?.netPnl ?? s?.pnl.net
  const dailyPnl = tick?.dailyPnl ?? risk.data?.dailyPnl.pnl ?? s?.pnl.daily
  const currency = tick?.currency ?? s?.currency ?? ''
  const ks = live.killSwitch ?? s?.killSwitch
  const tradingState = tick?.tradingState ?? s?.tradingStates.account

  const painted = useRef(false)
  useEffect(() => {
    if (!painted.current && netPnl !== undefined) {
      painted.current = true
      requestAnimationFrame(() => performance.mark(PNL_PAINT_MARK))
    }
  }, [netPnl])

  // The session's curve so far (it survives a reload), then the live ticks after its last point.
  const history = useResource<{ points: { t: number; equity: string }[] }>('/equity?limit=2000')
  const equity = useMemo(() => {
    const past = (history.data?.points ?? []).map((p) => [p.t / 1000, Number(p.equity)] as const)
    const after = past.length > 0 ? past[past.length - 1]![0] : 0
    const joined = [...past, ...live.equity.filter(([t]) => t > after)]
    if (joined.length > 0) return joined
    return s === undefined ? [] : [[Date.now() / 1000, Number(s.equity)] as const]
  }, [history.data, live.equity, s])

  const recentFills: readonly Fill[] = useMemo(() => {
    const seen = new Set<string>()
    const out: Fill[] = []
    for (const f of [...live.fills, ...(fills.data?.fills ?? [])]) {
      if (seen.has(f.id)) continue
      seen.add(f.id)
      out.push(f)
    }
    return out.slice(0, 20)
  }, [live.fills, fills.data])

  const feeds = risk.data?.monitors.filter((m) => m.name === 'data_staleness') ?? []
  const lastRun = recon.data?.runs[0]

  return (
    <div class="page">
      <h1 class="sr-only">Overview</h1>
      <div class="cards">
        <div class="card">
          <span class="card-label">Mode</span>
          <strong class="card-value" data-testid="mode">
            {s?.mode ?? '…'}
          </strong>
          <span class="muted small">{s === undefined ? '' : s.running ? 'session running' : 'session stopped'}</span>
        </div>
        <div class="card">
          <span class="card-label">Trading</span>
          <strong class="card-value">{tradingState === undefined ? '…' : <Badge level={ks?.active === true ? 'crit' : levelOf(tradingState)}>{ks?.active === true ? 'HALTED' : tradingState}</Badge>}</strong>
          <span class="muted small">{live.connected ? 'live stream connected' : 'live stream connecting…'}</span>
        </div>
        <div class="card">
          <span class="card-label">Net P&L (session, incl. unrealized)</span>
          <strong class="card-value">
            <Num value={netPnl} unit={currency} signed testId="net-pnl" />
          </strong>
          <span class="muted small">
            equity <Num value={s?.equity} unit={currency} />
          </span>
        </div>
        <div class="card">
          <span class="card-label">Today's net P&L (incl. unrealized) vs daily loss limit</span>
          <strong class="card-value">
            <Num value={dailyPnl} unit={currency} signed testId="daily-pnl" />
          </strong>
          {risk.data?.dailyPnl.limit === null || risk.data === undefined ? (
            <span class="muted small">no daily loss limit set</span>
          ) : (
            <>
              <Bar pct={risk.data.dailyPnl.usedPct} label="daily loss limit used" />
              <span class="muted small">
                limit <Num value={risk.data.dailyPnl.limit} /> · remaining <Num value={risk.data.dailyPnl.remaining} />
              </span>
            </>
          )}
        </div>
        <div class="card">
          <span class="card-label">Live events</span>
          <strong class="card-value">
            <span class="num" data-testid="event-count">
              {live.events}
            </span>
          </strong>
          <span class="muted small">
            fills <span class="num" data-testid="fill-count">{tick?.fills ?? s?.orders['fills'] ?? 0}</span> · open orders <span class="num">{tick?.openOrders ?? s?.orders['open'] ?? 0}</span>
          </span>
        </div>
      </div>

      <KillSwitchControl
        state={ks}
        canOperate={canOperate}
        onChanged={() => {
          status.reload()
          risk.reload()
          orders.reload()
        }}
      />
      <ErrorBanner error={status.error} />

      <div class="grid">
        <Panel title="Equity">
          <LineChart points={equity} label={`equity (${currency})`} theme={theme} />
        </Panel>

        <Panel title="Positions">
          <Loaded res={positions}>
            {(d) => (
              <Table
                rows={d.positions}
                rowKey={(p) => `${p.venue}:${p.symbol}`}
                empty="Flat: no positions."
                caption="Positions"
                columns={[
                  { key: 'pos', label: 'Venue:symbol', render: (p) => `${p.venue}:${p.symbol}` },
                  { key: 'amount', label: 'Amount', num: true, render: (p) => <Num value={p.amount} signed /> },
                  { key: 'avg', label: 'Avg price', num: true, render: (p) => <Num value={p.averagePrice} /> },
                  { key: 'mark', label: 'Mark', num: true, render: (p) => <Num value={p.markPrice} /> },
                  { key: 'upnl', label: 'Unrealized', num: true, render: (p) => <Num value={p.unrealizedPnl} signed /> },
                  { key: 'rpnl', label: 'Realized', num: true, render: (p) => <Num value={p.realizedPnl} signed /> },
                ]}
              />
            )}
          </Loaded>
        </Panel>

        <Panel title="Open orders" actions={canOperate && (orders.data?.orders.length ?? 0) > 0 ? <CancelAll onDone={() => orders.reload()} /> : undefined}>
          <Loaded res={orders}>
            {(d) => (
              <Table
                rows={d.orders}
                rowKey={(o) => o.clientOrderId}
                empty="No open orders."
                caption="Open orders"
                columns={[
                  ...dealColumns<Order>(),
                  { key: 'state', label: 'State', render: (o) => o.state },
                  ...(canOperate ? [{ key: 'cancel', label: 'Cancel', render: (o: Order) => (o.state === 'open' ? <CancelOrderButton id={o.clientOrderId} onDone={() => orders.reload()} /> : null) }] : []),
                ]}
              />
            )}
          </Loaded>
          <Loaded res={orders}>
            {(d) =>
              (d.emulated ?? []).length === 0 ? null : (
                <>
                  <p class="muted" data-testid="emulated-orders">
                    Waiting in Sofia: {(d.emulated ?? []).length} stop{(d.emulated ?? []).length === 1 ? '' : 's'} the exchange cannot take (not on the exchange until they fire)
                  </p>
                  <Table
                    rows={d.emulated ?? []}
                    rowKey={(e) => e.clientOrderId}
                    empty=""
                    caption="Emulated orders"
                    columns={[
                      { key: 'time', label: 'Time', render: (e) => <Time ms={e.timestamp} /> },
                      { key: 'strategy', label: 'Strategy', render: (e) => e.strategyId },
                      { key: 'order', label: 'Order', render: (e) => e.description },
                    ]}
                  />
                </>
              )
            }
          </Loaded>
        </Panel>

        {canOperate ? (
          <Panel title="Order ticket">
            <OrderTicket venues={s?.venues ?? []} onPlaced={() => orders.reload()} />
          </Panel>
        ) : null}

        <Panel title="Recent fills">
          <ErrorBanner error={fills.error} />
          <Table
            rows={recentFills}
            rowKey={(f) => f.id}
            empty="No fills in the last 24 hours."
            caption="Recent fills"
            columns={[
              ...dealColumns<Fill>(),
              { key: 'fee', label: 'Fee', num: true, render: (f) => <Num value={f.fee.cost} unit={f.fee.currency} /> },
            ]}
          />
        </Panel>

        <Panel title="Alerts">
          <Loaded res={alerts}>
            {(d) => {
              const list = [...live.alerts, ...[...d.recent].reverse()]
              const seen = new Set<string>()
              const rows = list.filter((a) => {
                const k = `${a.at}|${a.name}|${a.detail}`
                if (seen.has(k)) return false
                seen.add(k)
                return true
              })
              return (
                <div aria-live="polite">
                  <p class="small muted">{d.firing.length} rule(s) firing</p>
                  <Table
                    rows={rows.slice(0, 15)}
                    rowKey={(a, i) => `${a.at}-${i}`}
                    empty="No alerts."
                    caption="Alerts"
                    columns={[
                      { key: 'time', label: 'Time', render: (a) => <Time ms={a.at} /> },
                      { key: 'level', label: 'Level', render: (a) => <Badge level={levelOf(a.level)}>{a.level}</Badge> },
                      { key: 'name', label: 'Alert', render: (a) => a.name },
                      { key: 'detail', wrap: true, label: 'Detail', render: (a) => a.detail },
                    ]}
                  />
                </div>
              )
            }}
          </Loaded>
        </Panel>

        <Panel title="Data freshness">
          <ErrorBanner error={risk.error} />
          <Table
            rows={feeds}
            rowKey={(m) => m.feed ?? m.detail}
            empty={risk.data === undefined ? 'loading…' : 'No feeds monitored.'}
            caption="Data freshness per feed"
            columns={[
              { key: 'feed', label: 'Feed', render: (m) => m.feed ?? '?' },
              { key: 'age', label: 'Last event (s ago)', num: true, render: (m) => <span class="num">{m.value}</span> },
              { key: 'level', label: 'Level', render: (m) => <Badge level={levelOf(m.level)}>{m.level}</Badge> },
            ]}
          />
        </Panel>

        <Panel title="Circuit breakers">
          <Table
            rows={risk.data?.breakers ?? []}
            rowKey={(b) => b.key}
            empty={risk.data === undefined ? 'loading…' : 'No breakers.'}
            caption="Circuit breakers"
            columns={[
              { key: 'key', label: 'Breaker', render: (b) => b.key },
              { key: 'state', label: 'State', render: (b) => <Badge level={levelOf(b.state)}>{b.state}</Badge> },
              { key: 'fails', label: 'Consecutive failures', num: true, render: (b) => <span class="num">{b.consecutiveFailures}</span> },
            ]}
          />
        </Panel>

        <Panel title="Last reconciliation">
          <Loaded res={recon}>
            {() =>
              lastRun === undefined ? (
                <p class="muted">No reconciliation has run (see the Reconciliation page).</p>
              ) : (
                <p>
                  <Badge level={levelOf(lastRun.status)}>{lastRun.status}</Badge> {lastRun.venue ?? ''} · <Time ms={lastRun.generatedAt} /> · {lastRun.counts.discrepancies ?? 0} discrepancies,{' '}
                  {lastRun.counts.matched ?? 0} matched
                </p>
              )
            }
          </Loaded>
        </Panel>
      </div>
    </div>
  )
}
