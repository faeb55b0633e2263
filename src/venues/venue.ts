/**
 * @module venues/venue
 * The Venue port: the CCXT-shaped surface every venue (simulated exchange, CCXT adapter) implements.
 * Requests are async like CCXT's; what happens to an order afterwards (acknowledgement, fills, cancels)
 * is pushed to the subscribed listener as CCXT-shaped updates, the way `watchOrders`/`watchMyTrades` do.
 * The execution layer trusts those pushed updates, so one code path serves simulated and real venues.
 */
import type { Balances, Decimal, Instrument, OrderOptions, OrderSide, OrderStatus, OrderType, Trade } from '../model/index.js'

/** An order as sent to a venue. The client order id is deterministic (see execution). */
export interface OrderRequest {
  readonly clientOrderId: string
  readonly symbol: string
  readonly type: OrderType
  readonly side: OrderSide
  readonly amount: Decimal
  readonly price?: Decimal
  /**
   * Time in force, reduce-only and trigger of the order (bracket fields are Sofia's own and are not sent).
   * A venue refuses with InvalidOrder what it cannot do (see `supports`).
   */
  readonly options?: OrderOptions
}

/** What a venue can do with an order beyond a plain market or limit order. */
export type VenueFeature = 'timeInForce' | 'postOnly' | 'trigger' | 'trailing' | 'oco'

/** What `Venue.supports` may be asked about one order. */
export interface VenueFeatureOrder {
  readonly symbol: string
  readonly side: OrderSide
  readonly options: OrderOptions
}

/** A venue's view of one order, in CCXT's unified shape. */
export interface VenueOrder {
  readonly id: string
  readonly clientOrderId: string
  readonly timestamp: number
  readonly symbol: string
  readonly type: OrderType
  readonly side: OrderSide
  readonly price: Decimal | undefined
  readonly amount: Decimal
  readonly filled: Decimal
  readonly remaining: Decimal
  readonly cost: Decimal
  readonly status: OrderStatus
  /** Why the venue rejected or expired it, when it did. */
  readonly reason?: string
  /** Set while a triggered order waits for its trigger (after it fires the order works as its type). */
  readonly triggerPrice?: Decimal
  /** True once a trigger order's trigger has fired. */
  readonly triggered?: boolean
}

export interface VenueListener {
  /** An order's status changed (accepted/open, canceled, expired, rejected, closed). */
  onOrder(order: VenueOrder): void
  /** One of our orders traded. Delivered before the `onOrder` update that reflects it. */
  onTrade(trade: Trade): void
}

/** What a cancel of several orders came to, as their venues settled them. */
export interface CancelReport {
  /** Orders a cancel was asked for (open, pending-cancel and in-flight ones). */
  readonly requested: number
  /** Canceled (or expired), confirmed by the venue. */
  readonly canceled: readonly string[]
  /** Filled completely before the cancel took. */
  readonly filled: readonly string[]
  /** Never reached the venue (rejected once it could no longer accept them). */
  readonly rejected: readonly string[]
  /** Still working at the venue when the wait ended: their cancels go on being retried. */
  readonly pending: readonly string[]
  /** The last error of each cancel that failed at least once (client id → message). */
  readonly errors: Readonly<Record<string, string>>
}

export interface Venue {
  readonly id: string
  /** Markets with precision and limits (CCXT `loadMarkets`). */
  instruments(): readonly Instrument[]
  /** The instrument for a symbol; throws BadSymbol when the venue does not list it. */
  instrument(symbol: string): Instrument
  subscribe(listener: VenueListener): void
  createOrder(request: OrderRequest): Promise<VenueOrder>
  /**
   * Places two exits of one quantity as one-cancels-other at the venue (Binance's OCO order list): they hold
   * the funds once, the one that starts working expires the other, and canceling one cancels both. Each keeps
   * its own client order id. Offered where `supports('oco')`; answers each order as `createOrder` does.
   */
  createOrderList?(legs: readonly [OrderRequest, OrderRequest], listClientOrderId: string): Promise<VenueOrder[]>
  /** Cancels by client order id. Throws OrderNotFound when the venue does not know it. */
  cancelOrder(clientOrderId: string, symbol: string): Promise<VenueOrder>
  /** Looks an order up by client order id: how a lost response is resolved without sending again. */
  fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder>
  fetchOpenOrders(symbol?: string): Promise<VenueOrder[]>
  fetchMyTrades(symbol?: string, since?: number, limit?: number): Promise<Trade[]>
  fetchBalance(): Promise<Balances>
  /** The venue's clock, ms (CCXT `fetchTime`). */
  fetchTime(): Promise<number>
  /**
   * Whether the venue does this natively; Sofia denies an order that needs what its venue cannot do (trigger
   * and trailing orders it works itself instead). With `order`, whether it takes that very order natively
   * (e.g. a trailing distance within the exchange's limits).
   */
  supports?(feature: VenueFeature, order?: VenueFeatureOrder): boolean
  /**
   * Why the venue takes no new order right now (e.g. a mode switch waiting for its cancels), or undefined.
   * The pre-trade gate denies new orders with this reason instead of sending them to be rejected.
   */
  pausedReason?(): string | undefined
  /**
   * How long after it is sent the venue may still accept an order it has not answered for, ms (Binance: its
   * recvWindow, plus clock skew). An unanswered order is not known to be absent before then. Undefined for a
   * venue that always answers (the in-process simulator).
   */
  acceptWindowMs?(): number | undefined
  /**
   * Orders this venue sent on its own beside the session's (a mode router's canary copies on the exchange):
   * cancels those on the symbol (all without one) and waits up to `timeoutMs` for them to be settled. The
   * order manager's cancel-all includes them, so a kill switch leaves nothing of the session's working.
   */
  cancelOwnOrders?(symbol: string | undefined, timeoutMs: number): Promise<CancelReport>
}
