// Chart: candles of the session's market data (GET /candles) with TradingView's lightweight-charts, the session's
// fills marked on them and its open orders as price lines; market and timeframe pickers. The library is loaded with
// this page only, so the other pages do not carry it.
import type { JSX } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { IChartApi, IPriceLine, ISeriesApi, ISeriesMarkersPluginApi, SeriesMarker, Time, UTCTimestamp } from 'lightweight-charts'
import { useResource } from '../api'
import { cssVar } from '../chart'
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

const STEP_S: Record<string, number> = { '1s': 1, '10s': 10, '1m': 60, '5m': 300, '15m': 900, '1h': 3_600 }

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

  const box = useRef<HTMLDivElement>(null)
  const chart = useRef<{ api: IChartApi; series: ISeriesApi<'Candlestick'>; markers: ISeriesMarkersPluginApi<Time>; lines: IPriceLine[] } | null>(null)
  const [drawn, setDrawn] = useState({ candles: 0, fills: 0, orders: 0 })
  const fitted = useRef('')

  // The chart itself: made once per theme (its colours are baked in), fed below.
  useEffect(() => {
    const el = box.current
    if (el === null) return
    let alive = true
    let cleanup = (): void => undefined
    void import('lightweight-charts').then(({ createChart, CandlestickSeries, createSeriesMarkers }) => {
      if (!alive) return
      const api = createChart(el, {
        autoSize: true,
        height: 420,
        layout: { background: { color: cssVar('--panel', '#fff') }, textColor: cssVar('--muted', '#666') },
        grid: { vertLines: { color: cssVar('--line', '#eee') }, horzLines: { color: cssVar('--line', '#eee') } },
        timeScale: { timeVisible: true, secondsVisible: true },
        localization: { timeFormatter: (t: number) => new Date(t * 1000).toISOString().slice(11, 19) },
      })
      const series = api.addSeries(CandlestickSeries, { upColor: '#16a34a', downColor: '#dc2626', wickUpColor: '#16a34a', wickDownColor: '#dc2626', borderVisible: false })
      chart.current = { api, series, markers: createSeriesMarkers(series, []), lines: [] }
      fitted.current = ''
      setDrawn({ candles: 0, fills: 0, orders: 0 })
      cleanup = () => api.remove()
    })
    return () => {
      alive = false
      chart.current = null
      cleanup()
    }
  }, [theme])

  // Candles, fills and open orders of the chosen market.
  useEffect(() => {
    const c = chart.current
    const data = candles.data
    if (c === null || data === undefined || chosen === undefined) return
    const step = STEP_S[data.timeframe] ?? 60
    c.series.setData(data.candles.map((k) => ({ time: (k.time / 1000) as UTCTimestamp, open: k.open, high: k.high, low: k.low, close: k.close })))
    // The whole history in view when the market or timeframe changes, and while it is short (a young session);
    // the user's zoom is kept otherwise.
    const shown = `${chosen.venue}:${chosen.symbol}:${data.timeframe}`
    if ((fitted.current !== shown || data.candles.length < 120) && data.candles.length > 0) {
      fitted.current = shown
      c.api.timeScale().fitContent()
    }
    const first = data.candles[0]?.time ?? Infinity
    const mine = (fills.data?.fills ?? []).filter((f) => f.venue === chosen.venue && f.symbol === chosen.symbol && f.timestamp >= first)
    // One arrow per candle and side (a busy maker fills many times a candle); the amount is on the Trades page.
    const byCandle = new Map<string, SeriesMarker<Time>>()
    for (const f of mine) {
      const time = (Math.floor(f.timestamp / 1000 / step) * step) as UTCTimestamp
      const buy = f.side === 'buy'
      byCandle.set(`${time}:${f.side}`, { time, position: buy ? 'belowBar' : 'aboveBar', color: buy ? '#16a34a' : '#dc2626', shape: buy ? 'arrowUp' : 'arrowDown' })
    }
    const markers = [...byCandle.values()].sort((a, b) => (a.time as number) - (b.time as number))
    c.markers.setMarkers(markers)
    for (const l of c.lines) c.series.removePriceLine(l)
    const open = (orders.data?.orders ?? []).filter((o) => o.venue === chosen.venue && o.symbol === chosen.symbol && o.price !== null && o.price !== undefined)
    c.lines = open.map((o) => c.series.createPriceLine({ price: Number(o.price), color: o.side === 'buy' ? '#16a34a' : '#dc2626', lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: `${o.side} ${o.amount}` }))
    setDrawn({ candles: data.candles.length, fills: mine.length, orders: open.length })
  }, [candles.data, fills.data, orders.data, chosen?.venue, chosen?.symbol])

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
        <div ref={box} class="price-chart" role="region" aria-label={`price chart${chosen === undefined ? '' : ` of ${chosen.venue}:${chosen.symbol}, ${timeframe} candles`}`} />
      </Panel>
    </div>
  )
}
