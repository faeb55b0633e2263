/**
 * @module system/series-candles
 * The price candles of a backtest's markets for its chart (`sofia backtest --series`, the dashboard's backtest
 * report): per venue and symbol, OHLCV from the run's bars, else its trades, else the mid of its quotes, at
 * the finest timeframe of a ladder (1s … 1w; bars no finer than their own) that keeps at most `max` candles. When a market's candles pass
 * `max`, they are merged into the next timeframe up, so a year of 1m bars ends as about 1,100 8h candles and
 * memory stays bounded whatever the run's length. Prices are the data's numbers: the chart draws, it does not
 * account.
 */
import type { MarketEvent } from '../model/index.js'
import { timeframeMs } from '../model/index.js'
import type { SeriesMarket } from './report-types.js'

/** A candle being built (`time`: its start, ms). */
interface SeriesCandle {
  time: number
  open: number
  high: number
  low: number
  close: number
  volume: number
}

/** The timeframes a chart's candles may take, finest first. */
export const SERIES_TIMEFRAMES = ['1s', '10s', '1m', '5m', '15m', '1h', '4h', '8h', '1d', '1w'] as const

/** Candles a market keeps at most (a chart's width). */
export const MAX_SERIES_CANDLES = 1_500

/** What a market's candles are made of, best first: a market drops the worse kinds once it sees a better one. */
const RANK = { bars: 0, trades: 1, quotes: 2 } as const
type Source = keyof typeof RANK

interface Market {
  readonly venue: string
  readonly symbol: string
  source: Source
  step: number
  candles: SeriesCandle[]
}

const STEPS = SERIES_TIMEFRAMES.map((tf) => timeframeMs(tf)!)

export class SeriesCandles {
  private readonly markets = new Map<string, Market>()
  private last: Market | undefined

  constructor(private readonly max = MAX_SERIES_CANDLES) {}

  add(e: MarketEvent): void {
    let source: Source
    let open: number
    let high: number
    let low: number
    let close: number
    let volume = 0
    if (e.kind === 'bar') {
      source = 'bars'
      ;({ open, high, low, close, volume } = e)
      // A funding-rate file's rows are not prices.
      if (!(low > 0)) return
    } else if (e.kind === 'trade') {
      source = 'trades'
      open = high = low = close = e.price
      volume = e.amount
    } else if (e.kind === 'quote' && e.bid > 0 && e.ask > 0) {
      source = 'quotes'
      open = high = low = close = (e.bid + e.ask) / 2
    } else return
    // One market is the common case: its events find it without building a key.
    let m = this.last !== undefined && this.last.venue === e.venue && this.last.symbol === e.symbol ? this.last : this.markets.get(`${e.venue}\u0000${e.symbol}`)
    if (m === undefined || RANK[source] < RANK[m.source]) {
      // Bars are drawn no finer than their own timeframe (a timeframe past the ladder's top takes the top).
      const own = e.kind === 'bar' ? (timeframeMs(e.timeframe) ?? 0) : 0
      const at = STEPS.findIndex((ms) => ms >= own)
      m = { venue: e.venue, symbol: e.symbol, source, step: at < 0 ? STEPS.length - 1 : at, candles: [] }
      this.markets.set(`${e.venue}\u0000${e.symbol}`, m)
    } else if (RANK[source] > RANK[m.source]) return
    this.last = m
    const start = Math.floor(e.timestamp / STEPS[m.step]!) * STEPS[m.step]!
    const last = m.candles[m.candles.length - 1]
    if (last !== undefined && start <= last.time) {
      // The same candle (an event older than the newest candle joins it: candles only grow forward).
      if (high > last.high) last.high = high
      if (low < last.low) last.low = low
      last.close = close
      last.volume += volume
      return
    }
    m.candles.push({ time: start, open, high, low, close, volume })
    while (m.candles.length > this.max && m.step < STEPS.length - 1) {
      m.step++
      m.candles = merged(m.candles, STEPS[m.step]!)
    }
  }

  /** Every market's candles, in the order the markets were first seen. */
  list(): SeriesMarket[] {
    return [...this.markets.values()].map((m) => ({ venue: m.venue, symbol: m.symbol, source: m.source, timeframe: SERIES_TIMEFRAMES[m.step]!, candles: m.candles }))
  }
}

/** Candles merged into candles of `step` ms (sorted in, sorted out). */
function merged(candles: readonly SeriesCandle[], step: number): SeriesCandle[] {
  const out: SeriesCandle[] = []
  for (const c of candles) {
    const time = Math.floor(c.time / step) * step
    const last = out[out.length - 1]
    if (last !== undefined && last.time === time) {
      if (c.high > last.high) last.high = c.high
      if (c.low < last.low) last.low = c.low
      last.close = c.close
      last.volume += c.volume
    } else out.push({ ...c, time })
  }
  return out
}
