/**
 * @module strategy/strategy
 * The Strategy API. A strategy reacts to market data and its own orders and fills, and acts only through its
 * context: it never touches venues, the ledger or the risk engine directly.
 */
import type { z } from 'zod'
import type { Bar, BookUpdate, Decimal, DecimalLike, Instrument, OrderSide, OrderType, QuoteTick, TimeInForce, Trade, TradeTick, TriggerDirection } from '../model/index.js'
import type { Order } from '../model/index.js'

export interface SubmitRequest {
  readonly venue: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  /** Base-currency amount; rounded down to the instrument's step. */
  readonly amount: DecimalLike
  /** Limit price; rounded to the instrument's tick. Required for limit orders. */
  readonly price?: DecimalLike
  readonly tag?: string
  /** Limit orders: GTC (default), IOC, FOK, or PO (post-only: expires rather than take). */
  readonly timeInForce?: TimeInForce
  /** Only ever reduces the position (denied when it would increase or flip it). */
  readonly reduceOnly?: boolean
  /**
   * A stop or take-profit: the order waits until the price reaches this, then works as its type (a market
   * order, or a limit order at `price`: stop-limit). It waits at the venue when the venue takes such orders,
   * else in Sofia (emulated: among `openOrders` in state `created`, and `cancel` takes its id). Which way it
   * fires is taken from where it stands against the last price, unless `triggerDirection` says.
   */
  readonly triggerPrice?: DecimalLike
  readonly triggerDirection?: TriggerDirection
  /** A trailing stop: fires when the price comes back this percent from its best since the order arrived. */
  readonly trailingPercent?: DecimalLike
  /**
   * A bracket on an entry: once the entry has filled, Sofia places a reduce-only stop at `stopLossPrice`
   * and a take-profit at `takeProfitPrice` for what it filled; when one trades the other is canceled.
   */
  readonly stopLossPrice?: DecimalLike
  readonly takeProfitPrice?: DecimalLike
}

/** Top of book as the strategy sees it. */
export interface TopOfBook {
  readonly bid: number
  readonly bidSize: number
  readonly ask: number
  readonly askSize: number
  readonly timestamp: number
}

export interface StrategyContext {
  readonly strategyId: string
  now(): number
  instrument(venue: string, symbol: string): Instrument
  /** Venues in this run. */
  venues(): readonly string[]
  /**
   * Submits an order through risk and execution. Returns the client order id, or undefined when the
   * risk engine denied it (the denial is published and passed to `onDenied`).
   */
  submit(request: SubmitRequest): string | undefined
  cancel(clientOrderId: string): void
  /** Cancels this strategy's open orders, optionally only on one venue/symbol. */
  cancelAll(venue?: string, symbol?: string): void
  /** This strategy's open orders, with its stops that Sofia works itself for a venue that cannot take them. */
  openOrders(venue?: string, symbol?: string): readonly Order[]
  /** Net position in base currency on a venue (the ledger's figure). */
  position(venue: string, symbol: string): Decimal
  /** Free balance of an asset on a venue (the ledger's figure). */
  balance(venue: string, asset: string): Decimal
  lastPrice(venue: string, symbol: string): number | undefined
  topOfBook(venue: string, symbol: string): TopOfBook | undefined
  /**
   * The last `n` (default: all kept) completed bars of a market and timeframe, oldest first, including the
   * one just delivered to `onBar`. Kept for the strategy's `historyBars` (none when it is 0 or unset).
   * `timeframe` defaults to the strategy's first bar timeframe.
   */
  bars(venue: string, symbol: string, timeframe?: string, n?: number): readonly Bar[]
  /** Calls `onTimer(name)` every `intervalMs` of engine time until cleared. */
  setTimer(name: string, intervalMs: number): void
  clearTimer(name: string): void
  /** Raises a named signal for operators (e.g. `rebalance`); recorded and counted, not an order. */
  signal(name: string, detail: Record<string, unknown>): void
  log(message: string): void
}

export interface OrderDeniedInfo {
  readonly clientOrderId: string
  readonly code: string
  readonly reason: string
}

export interface Strategy {
  readonly id: string
  /** Bar timeframe this strategy wants built from ticks (when the data has no bars), e.g. `1m`. */
  readonly barTimeframe?: string
  /**
   * Several bar timeframes (e.g. `['5m', '1h']`): each is built from ticks, or from the data's finer bars
   * (5m candles make 1h bars), and `onBar` receives them all (`bar.timeframe` says which). Wins over
   * `barTimeframe`.
   */
  readonly barTimeframes?: readonly string[]
  /** Completed bars kept per market and timeframe for `ctx.bars` (default 0: none). */
  readonly historyBars?: number
  onStart?(ctx: StrategyContext): void
  onStop?(ctx: StrategyContext): void
  onBar?(bar: Bar, ctx: StrategyContext): void
  onTrade?(tick: TradeTick, ctx: StrategyContext): void
  onQuote?(quote: QuoteTick, ctx: StrategyContext): void
  onBook?(book: BookUpdate, ctx: StrategyContext): void
  onFill?(trade: Trade, order: Order, ctx: StrategyContext): void
  onOrder?(order: Order, ctx: StrategyContext): void
  onDenied?(denied: OrderDeniedInfo, ctx: StrategyContext): void
  onTimer?(name: string, ctx: StrategyContext): void
}

/** A built-in strategy: a name, a parameter schema (validated with clear errors) and a constructor. */
export interface StrategyDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string
  readonly description: string
  readonly params: S
  create(id: string, params: z.output<S>): Strategy
}
