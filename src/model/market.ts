/**
 * @module model/market
 * Market events. These travel the hot path, so prices and sizes are `number` (already at the instrument's
 * precision); they become Decimal only when they touch money (fills, ledger).
 */

export const MARKET_EVENT_KINDS = ['trade', 'quote', 'book', 'bar'] as const
export type MarketEventKind = (typeof MARKET_EVENT_KINDS)[number]

/** A public trade print (CCXT `fetchTrades` row). */
export interface TradeTick {
  readonly kind: 'trade'
  readonly venue: string
  readonly symbol: string
  readonly timestamp: number
  readonly price: number
  readonly amount: number
  /** Taker side, when the source knows it. */
  readonly side?: 'buy' | 'sell'
  readonly id?: string
}

/** Top of book. */
export interface QuoteTick {
  readonly kind: 'quote'
  readonly venue: string
  readonly symbol: string
  readonly timestamp: number
  readonly bid: number
  readonly bidSize: number
  readonly ask: number
  readonly askSize: number
}

/** A price level `[price, amount]`, as in CCXT order books. */
export type BookLevel = readonly [price: number, amount: number]

/**
 * An order-book snapshot (`snapshot: true`: replaces the book) or delta (levels set absolutely;
 * amount 0 deletes the level). Bids descending, asks ascending.
 */
export interface BookUpdate {
  readonly kind: 'book'
  readonly venue: string
  readonly symbol: string
  readonly timestamp: number
  readonly snapshot: boolean
  readonly bids: readonly BookLevel[]
  readonly asks: readonly BookLevel[]
}

/** An OHLCV bar; `timestamp` is the bar's open time (CCXT convention), `timeframe` like `1m`. */
export interface Bar {
  readonly kind: 'bar'
  readonly venue: string
  readonly symbol: string
  readonly timestamp: number
  readonly timeframe: string
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  readonly volume: number
}

export type MarketEvent = TradeTick | QuoteTick | BookUpdate | Bar

/** Timeframe string (`1m`, `5m`, `1h`, `1d`, `30s`) to milliseconds; undefined when malformed. */
export function timeframeMs(timeframe: string): number | undefined {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(timeframe)
  if (!m || m[1] === undefined || m[2] === undefined) return undefined
  const n = Number(m[1])
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w']
  return n > 0 ? n * unit : undefined
}

/** Time at which a bar's data is complete (its close time). */
export function barCloseTime(bar: Bar): number {
  return bar.timestamp + (timeframeMs(bar.timeframe) ?? 0)
}
