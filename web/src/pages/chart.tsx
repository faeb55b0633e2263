// Chart: candles of the session's market data (GET /candles) on the price chart, the session's fills marked on
// them and its open orders as price lines; market and timeframe pickers.
import type { JSX } from 'preact'
import { useMemo, useState } from 'preact/hooks'
import { useResource } from '../api'
import { PriceChart } from '../price-chart'
import type { Fill, Order } from '../types'
import { ErrorBanner, Panel, onSubmitDo } from '../ui'

interface Candle {
  readonly time: number
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  readonly volume: number
}
interface CandlesView {
  readonly source: 'trades' | 'quotes'
  readonly timeframe: string
  readonly candles: readonly Candle[]
}
interface MarketsView {
  readonly timeframes: readonly string[]
  readonly markets: readonly { venue: string; symbol: string; source: string }[]
}

const NONE: readonly Candle[] = []

export function Chart({ theme }: { theme: string }): JSX.Element {
  const markets = useResource<MarketsView>('/candles', 10_000)
  const [market, setMarket] = useState('')
  const [timeframe, setTimeframe] = useState('1m')
  const list = markets.data?.markets ?? []
  const chosen = list.find((m) => `${m.venue}:${m.symbol}` === market) ?? list[0]
  const path = chosen === undefined ? null : `/candles?${new URLSearchParams({ venue: chosen.venue, symbol: chosen.symbol, timeframe, limit: '500' }).toString()}`
  const candles = useResource<CandlesView>(path, 2_000)
  const fills = useResource<{ fills: Fill[] }>('/fills?limit=500', 5_000)
  const orders = useResource<{ orders: Order[] }>('/orders', 3_000)

  const [drawn, setDrawn] = useState({ candles: 0, fills: 0, orders: 0 })
  const data = candles.data
  const mine = useMemo(
    () => (chosen === undefined ? [] : (fills.data?.fills ?? []).filter((f) => f.venue === chosen.venue && f.symbol === chosen.symbol)),
    [fills.data, chosen?.venue, chosen?.symbol],
  )
  const open = useMemo(
    () =>
      (chosen === undefined ? [] : (orders.data?.orders ?? []))
        .filter((o) => o.venue === chosen!.venue && o.symbol === chosen!.symbol && o.price !== null && o.price !== undefined)
        .map((o) => ({ price: Number(o.price), side: o.side, title: `${o.side} ${o.amount}` })),
    [orders.data, chosen?.venue, chosen?.symbol],
  )

  return (
    <div class="page">
      <h1>Chart</h1>
      <Panel title="Price">
        <form class="toolbar" onSubmit={onSubmitDo()}>
          <label>
            Market{' '}
            <select name="market" value={chosen === undefined ? '' : `${chosen.venue}:${chosen.symbol}`} onChange={(e) => setMarket(e.currentTarget.value)}>
              {list.map((m) => (
                <option key={`${m.venue}:${m.symbol}`} value={`${m.venue}:${m.symbol}`}>
                  {m.venue}:{m.symbol}
                </option>
              ))}
            </select>
          </label>
          <label>
            Timeframe{' '}
            <select name="timeframe" value={timeframe} onChange={(e) => setTimeframe(e.currentTarget.value)}>
              {(markets.data?.timeframes ?? ['1m']).map((tf) => (
                <option key={tf} value={tf}>
                  {tf}
                </option>
              ))}
            </select>
          </label>
          <span class="small muted" data-testid="chart-drawn" data-candles={drawn.candles} data-fills={drawn.fills} data-orders={drawn.orders}>
            {chosen === undefined
              ? 'no market data yet'
              : `${drawn.candles} candles of ${candles.data?.source === 'quotes' ? 'quote mids (no trade seen)' : 'trades'} · ${drawn.fills} fills · ${drawn.orders} open orders (times UTC)`}
          </span>
        </form>
        <ErrorBanner error={markets.error ?? candles.error} />
        <PriceChart
          theme={theme}
          candles={chosen === undefined ? NONE : (data?.candles ?? NONE)}
          timeframe={data?.timeframe ?? timeframe}
          marks={mine}
          levels={open}
          fitKey={`${chosen?.venue}:${chosen?.symbol}:${data?.timeframe}`}
          label={`price chart${chosen === undefined ? '' : ` of ${chosen.venue}:${chosen.symbol}, ${timeframe} candles`}`}
          onDrawn={setDrawn}
        />
      </Panel>
    </div>
  )
}
