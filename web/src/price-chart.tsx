// A candlestick price chart (TradingView's lightweight-charts) with fills marked on it and open orders as price
// lines: the Chart page draws the live session's market on it, the Backtests page a run's data and fills. The
// library is loaded when a chart is first shown, so pages without one do not carry it.
import type { JSX } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import type { IChartApi, IPriceLine, ISeriesApi, ISeriesMarkersPluginApi, SeriesMarker, Time, UTCTimestamp } from 'lightweight-charts'
import { cssVar } from './chart'

export interface PriceCandle {
  /** Start of the candle, ms. */
  readonly time: number
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
}

/** A fill to mark: one arrow per candle and side (a busy maker fills many times a candle). */
export interface PriceMark {
  readonly timestamp: number
  readonly side: string
}

/** An open order, drawn as a dashed line at its price. */
export interface PriceLevel {
  readonly price: number
  readonly side: string
  readonly title: string
}

export interface PriceChartProps {
  readonly theme: string
  readonly candles: readonly PriceCandle[]
  /** The candles' timeframe, e.g. `5m` or `8h` (where a fill's arrow goes; how times are written). */
  readonly timeframe: string
  readonly marks: readonly PriceMark[]
  readonly levels?: readonly PriceLevel[]
  /** The whole history is fitted in view when this changes (another market or timeframe), else the user's zoom stays. */
  readonly fitKey: string
  readonly label: string
  readonly height?: number
  /** Called once the chart has drawn, with what it drew. */
  readonly onDrawn?: (drawn: { candles: number; fills: number; orders: number }) => void
}

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 }
/** A timeframe's length in seconds (`8h` → 28800; 60 for one it cannot read). */
const secondsOf = (tf: string): number => Number(tf.slice(0, -1)) * (UNIT_S[tf.slice(-1)] ?? 0) || 60

const UP = '#16a34a'
const DOWN = '#dc2626'

export function PriceChart({ theme, candles, timeframe, marks, levels = [], fitKey, label, height = 420, onDrawn }: PriceChartProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null)
  const chart = useRef<{ api: IChartApi; series: ISeriesApi<'Candlestick'>; markers: ISeriesMarkersPluginApi<Time>; lines: IPriceLine[] } | null>(null)
  const fitted = useRef('')
  const stepS = secondsOf(timeframe)
  const props = useRef({ candles, stepS, marks, levels, fitKey, onDrawn })
  props.current = { candles, stepS, marks, levels, fitKey, onDrawn }

  const draw = (): void => {
    const c = chart.current
    if (c === null) return
    const p = props.current
    c.series.setData(p.candles.map((k) => ({ time: (k.time / 1000) as UTCTimestamp, open: k.open, high: k.high, low: k.low, close: k.close })))
    // The whole history in view when the market or timeframe changes, and while it is short (a young session).
    if ((fitted.current !== p.fitKey || p.candles.length < 120) && p.candles.length > 0) {
      fitted.current = p.fitKey
      c.api.timeScale().fitContent()
    }
    const first = p.candles[0]?.time ?? Infinity
    const shown = p.marks.filter((f) => f.timestamp >= first)
    const byCandle = new Map<string, SeriesMarker<Time>>()
    for (const f of shown) {
      const time = (Math.floor(f.timestamp / 1000 / p.stepS) * p.stepS) as UTCTimestamp
      const buy = f.side === 'buy'
      byCandle.set(`${time}:${f.side}`, { time, position: buy ? 'belowBar' : 'aboveBar', color: buy ? UP : DOWN, shape: buy ? 'arrowUp' : 'arrowDown' })
    }
    c.markers.setMarkers([...byCandle.values()].sort((a, b) => (a.time as number) - (b.time as number)))
    for (const l of c.lines) c.series.removePriceLine(l)
    c.lines = p.levels.map((o) => c.series.createPriceLine({ price: o.price, color: o.side === 'buy' ? UP : DOWN, lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: o.title }))
    p.onDrawn?.({ candles: p.candles.length, fills: shown.length, orders: p.levels.length })
  }

  // The chart itself: made once per theme (its colours are baked in) and timescale, fed below.
  const daily = stepS >= 3_600
  useEffect(() => {
    const el = box.current
    if (el === null) return
    let alive = true
    let cleanup = (): void => undefined
    void import('lightweight-charts').then(({ createChart, CandlestickSeries, createSeriesMarkers }) => {
      if (!alive) return
      const api = createChart(el, {
        autoSize: true,
        height,
        layout: { background: { color: cssVar('--panel', '#fff') }, textColor: cssVar('--muted', '#666') },
        grid: { vertLines: { color: cssVar('--line', '#eee') }, horzLines: { color: cssVar('--line', '#eee') } },
        timeScale: { timeVisible: true, secondsVisible: !daily },
        localization: { timeFormatter: (t: number) => (daily ? new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ') : new Date(t * 1000).toISOString().slice(11, 19)) },
      })
      const series = api.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false })
      chart.current = { api, series, markers: createSeriesMarkers(series, []), lines: [] }
      fitted.current = ''
      draw()
      cleanup = () => api.remove()
    })
    return () => {
      alive = false
      chart.current = null
      cleanup()
    }
  }, [theme, daily, height])

  useEffect(draw, [candles, marks, levels, stepS, fitKey])

  return <div ref={box} class="price-chart" role="region" aria-label={label} />
}
