/**
 * @module risk/context
 * What the pre-trade checks may read about the account and the market, and the limits they enforce.
 * The composition root implements `RiskContext` over the ledger, the order manager and the market state;
 * the checks never reach into those directly.
 */
import type { Decimal, Instrument } from '../model/index.js'

export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const
/** ACTIVE: anything the limits allow; REDUCING: only orders that reduce exposure; HALTED: nothing. */
export type TradingState = (typeof TRADING_STATES)[number]

export const ORDER_PURPOSES = ['trade', 'flatten'] as const
/**
 * Why an order is sent: `trade` (a strategy's decision) or `flatten` (an operator closing positions, the only
 * order a HALTED state lets through, and only while it reduces).
 */
export type OrderPurpose = (typeof ORDER_PURPOSES)[number]

export interface RiskContext {
  now(): number
  instrument(venue: string, symbol: string): Instrument
  lastPrice(venue: string, symbol: string): number | undefined
  /** Balance not reserved by open orders. */
  freeBalance(venue: string, asset: string): Decimal
  /** Net base position of the account on a venue (signed). */
  position(venue: string, symbol: string): Decimal
  /** Σ |position| × last price over every venue and symbol, in the reporting currency. */
  grossExposure(): Decimal
  /** Net P&L since 00:00 UTC today (realized + unrealized − fees), reporting currency. */
  dailyPnl(): Decimal
  /** Account equity at marks, reporting currency. */
  equity(): Decimal
  openOrderCount(filter?: { readonly strategyId?: string; readonly venue?: string }): number
  /**
   * The account's own orders that may rest on the venue's book for a market: the highest-priced buy and the
   * lowest-priced sell among its open limit orders (pending cancels and unanswered placements included, as the
   * venue may still hold them; orders waiting for a trigger are not on the book and are left out).
   */
  restingOwn(venue: string, symbol: string): OwnRestingOrders
  /** The tightest of the account's and the strategy's trading state, with the kill switch folded in. */
  tradingState(strategyId: string): TradingState
}

/** The account's best own resting order on each side of one market (see `RiskContext.restingOwn`). */
export interface OwnRestingOrders {
  readonly buy?: { readonly price: Decimal; readonly clientOrderId: string }
  readonly sell?: { readonly price: Decimal; readonly clientOrderId: string }
}

/** Every limit is optional: an absent limit is not checked. Money in the reporting currency. */
export interface RiskLimits {
  /** Max notional (amount × price) of one order. */
  readonly maxOrderNotional?: Decimal
  /** Max |position| × price per venue and symbol after the order fills (MAX_POSITION_USD). */
  readonly maxPositionNotional?: Decimal
  /** Max Σ |position| × price over everything after the order fills. */
  readonly maxGrossExposure?: Decimal
  /** Loss today beyond which only exposure-reducing orders pass (MAX_DAILY_LOSS), absolute … */
  readonly maxDailyLoss?: Decimal
  /** … and as a fraction of equity (0.05 = 5%). */
  readonly maxDailyLossPct?: number
  /** Limit price (or, for market orders, the reference price) at most this fraction away from the last trade. */
  readonly priceBandPct?: number
  /** Max open orders per strategy and per venue. */
  readonly maxOpenOrders?: number
  /** Max orders sent per second / per minute, per strategy and per venue. */
  readonly maxOrdersPerSecond?: number
  readonly maxOrdersPerMinute?: number
  /** When set, only these symbols / venues may be traded. */
  readonly allowedSymbols?: readonly string[]
  readonly allowedVenues?: readonly string[]
  /**
   * When true, an order that would trade with the account's own resting order on the other side of the same
   * market is refused (SELF_TRADE): a limit priced at or through it, or a market order while one rests (the
   * book between is not known). Sessions set it unless `risk.selfTrade: allow`.
   */
  readonly preventSelfTrade?: boolean
}
