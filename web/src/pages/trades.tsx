// Trades: round trips from the recorded fills (entry, exit, P&L, P&L %, duration), filtered by strategy, symbol and
// status, paged, with a CSV export of every match.
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { currentToken, useResource } from '../api'
import { reportError } from '../toasts'
import { Badge, Loaded, Num, Pager, Panel, Table, Time, onSubmitDo } from '../ui'

interface Trade {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly side: 'long' | 'short'
  readonly status: 'open' | 'closed'
  readonly openedAt: number
  readonly closedAt: number | null
  readonly durationMs: number | null
  readonly amount: string
  readonly entryPrice: string
  readonly exitPrice: string | null
  readonly net: string | null
  readonly netPct: number | null
  readonly fees: string
  readonly fills: number
}

interface TradesView {
  readonly total: number
  readonly closed: number
  readonly wins: number
  readonly offset: number
  readonly limit: number
  readonly trades: readonly Trade[]
}

const PAGE = 25

function duration(ms: number | null): string {
  if (ms === null) return '—'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  if (s < 3_600) return `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ${Math.floor((s % 3_600) / 60)} min`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3_600)} h`
}

export function Trades(): JSX.Element {
  const [strategy, setStrategy] = useState('')
  const [symbol, setSymbol] = useState('')
  const [status, setStatus] = useState('')
  const [offset, setOffset] = useState(0)
  const query = new URLSearchParams({ ...(strategy !== '' ? { strategy } : {}), ...(symbol.trim() !== '' ? { symbol: symbol.trim() } : {}), ...(status !== '' ? { status } : {}) })
  const res = useResource<TradesView>(`/trades?${query.toString()}${query.size > 0 ? '&' : ''}limit=${PAGE}&offset=${offset}`, 5_000)
  const strategies = useResource<{ strategies: { id: string }[] }>('/strategies')
  const filter = (set: (v: string) => void) => (value: string) => {
    set(value)
    setOffset(0)
  }
  const exportCsv = async (): Promise<void> => {
    try {
      const token = currentToken()
      const r = await fetch(`/trades?${query.toString()}${query.size > 0 ? '&' : ''}format=csv`, { headers: token !== null ? { authorization: `Bearer ${token}` } : {} })
      if (!r.ok) throw new Error(`${r.status} ${await r.text()}`)
      const url = URL.createObjectURL(await r.blob())
      const a = document.createElement('a')
      a.href = url
      a.download = 'sofia-trades.csv'
      a.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (error) {
      reportError(error)
    }
  }
  return (
    <div class="page">
      <h1>Trades</h1>
      <Panel title="Round trips" actions={<button type="button" class="btn small" data-testid="export-trades" onClick={() => void exportCsv()}>Export CSV</button>}>
        <form class="toolbar" onSubmit={onSubmitDo()}>
          <label>
            Strategy{' '}
            <select name="strategy" value={strategy} onChange={(e) => filter(setStrategy)(e.currentTarget.value)}>
              <option value="">all</option>
              {[...(strategies.data?.strategies.map((s) => s.id) ?? []), 'manual'].map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Symbol <input name="symbol" value={symbol} placeholder="any" onChange={(e) => filter(setSymbol)(e.currentTarget.value)} />
          </label>
          <label>
            Status{' '}
            <select name="status" value={status} onChange={(e) => filter(setStatus)(e.currentTarget.value)}>
              <option value="">all</option>
              <option value="closed">closed</option>
              <option value="open">open</option>
            </select>
          </label>
        </form>
        <Loaded res={res}>
          {(v) => (
            <>
              <p class="small" data-testid="trades-summary">
                {v.total} round trips, {v.closed} closed, {v.wins} won{v.closed > 0 ? ` (win rate ${((v.wins / v.closed) * 100).toFixed(1)}%)` : ''}. P&L is realized when a trip closes, after
                fees; an open trip has none yet.
              </p>
              <Table
                rows={v.trades}
                rowKey={(t) => `${t.strategyId}:${t.venue}:${t.symbol}:${t.openedAt}:${t.side}`}
                empty="No round trips match."
                caption="Round trips, newest first"
                columns={[
                  { key: 'opened', label: 'Opened', render: (t) => <Time ms={t.openedAt} /> },
                  { key: 'strategy', label: 'Strategy', render: (t) => <span data-testid="trade-strategy">{t.strategyId}</span> },
                  { key: 'market', label: 'Venue:symbol', render: (t) => `${t.venue}:${t.symbol}` },
                  { key: 'side', label: 'Side', render: (t) => t.side },
                  { key: 'amount', label: 'Amount', num: true, render: (t) => <Num value={t.amount} /> },
                  { key: 'entry', label: 'Entry', num: true, render: (t) => <Num value={t.entryPrice} places={6} /> },
                  { key: 'exit', label: 'Exit', num: true, render: (t) => <Num value={t.exitPrice} places={6} /> },
                  { key: 'net', label: 'Net P&L', num: true, render: (t) => <Num value={t.net} signed places={4} /> },
                  { key: 'pct', label: 'Net %', num: true, render: (t) => (t.netPct === null ? '—' : `${t.netPct.toFixed(3)}%`) },
                  { key: 'duration', label: 'Duration', num: true, render: (t) => duration(t.durationMs) },
                  { key: 'status', label: 'Status', render: (t) => <Badge level={t.status === 'open' ? 'info' : 'ok'}>{t.status}</Badge> },
                ]}
              />
              <Pager onNewer={offset === 0 ? undefined : () => setOffset(Math.max(0, offset - PAGE))} onOlder={offset + PAGE >= v.total ? undefined : () => setOffset(offset + PAGE)}>
                <span class="small" data-testid="trades-page">
                  {v.total === 0 ? 0 : offset + 1}–{Math.min(offset + PAGE, v.total)} of {v.total}
                </span>
              </Pager>
            </>
          )}
        </Loaded>
      </Panel>
    </div>
  )
}
