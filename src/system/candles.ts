/**
 * @module system/candles
 * Candles of what a running session sees, for the operator API's price chart (`GET /candles`): per venue and
 * symbol, OHLCV in a few timeframes (1s to 1h) from its trades, or from the mid of its quotes for a market
 * where no trade has been seen (volume 0 then). The newest 1,000 candles of each timeframe are kept. Fed from
 * the engine bus; nothing on the trading path waits for it.
 */
import type { EngineEvents, EventBus } from '../engine/index.js'
import { timeframeMs } from '../model/index.js'
import type { MarketEvent } from '../model/index.js'

export const CANDLE_TIMEFRAMES = ['1s', '10s', '1m', '5m', '15m', '1h'] as const
export type CandleTimeframe = (typeof CANDLE_TIMEFRAMES)[number]

export interface Candle {
  /** Start of the candle, ms. */
  readonly time: number
  open: number
  high: number
  low: number
  close: number
  volume: number
}

interface Market {
  readonly venue: string
  readonly symbol: string
  traded: boolean
  readonly series: Map<CandleTimeframe, Candle[]>
}

const STEPS = new Map(CANDLE_TIMEFRAMES.map((tf) => [tf, timeframeMs(tf)!]))

export class CandleBook {
  private readonly markets = new Map<string, Market>()

  constructor(private readonly keep = 1_000) {}

  /** Follows the session's market data. */
  attach(bus: EventBus<EngineEvents>): this {
    bus.on('market', (e) => this.add(e))
    return this
  }

  add(e: MarketEvent): void {
    let price: number
    let volume = 0
    if (e.kind === 'trade') {
      price = e.price
      volume = e.amount
    } else if (e.kind === 'quote') {
      if (!(e.bid > 0 && e.ask > 0)) return
      price = (e.bid + e.ask) / 2
    } else return
    const key = `${e.venue}\u0000${e.symbol}`
    let m = this.markets.get(key)
    if (m === undefined) {
      m = { venue: e.venue, symbol: e.symbol, traded: false, series: new Map(CANDLE_TIMEFRAMES.map((tf) => [tf, []])) }
      this.markets.set(key, m)
    }
    if (e.kind === 'trade' && !m.traded) {
      // From the first trade on, candles are of trades: the quote candles so far are dropped.
      m.traded = true
      for (const list of m.series.values()) list.length = 0
    } else if (e.kind === 'quote' && m.traded) return
    for (const [tf, list] of m.series) {
      const start = Math.floor(e.timestamp / STEPS.get(tf)!) * STEPS.get(tf)!
      const last = list[list.length - 1]
      if (last !== undefined && last.time === start) {
        if (price > last.high) last.high = price
        if (price < last.low) last.low = price
        last.close = price
        last.volume += volume
      } else if (last === undefined || start > last.time) {
        list.push({ time: start, open: price, high: price, low: price, close: price, volume })
        if (list.length > this.keep) list.splice(0, list.length - this.keep)
      }
    }
  }

  /** The markets seen, and whether their candles are of trades or of quotes. */
  marketList(): { venue: string; symbol: string; source: 'trades' | 'quotes' }[] {
    return [...this.markets.values()].map((m) => ({ venue: m.venue, symbol: m.symbol, source: m.traded ? 'trades' : 'quotes' }))
  }

  /** The newest `limit` candles of a market (undefined when it was not seen). */
  candles(venue: string, symbol: string, timeframe: CandleTimeframe, limit = 500): { source: 'trades' | 'quotes'; candles: readonly Candle[] } | undefined {
    const m = this.markets.get(`${venue}\u0000${symbol}`)
    if (m === undefined) return undefined
    return { source: m.traded ? 'trades' : 'quotes', candles: m.series.get(timeframe)!.slice(-limit) }
  }
}
