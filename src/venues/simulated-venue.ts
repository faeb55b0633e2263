/**
 * @module venues/simulated-venue
 * The simulated exchange: a `Venue` that matches our orders against a model of the external market built from
 * the market events of this venue, plus against each other (price-time priority in an `OrderBook`).
 *
 * Decisions worth knowing:
 * - Requests travel: an order or a cancel reaches the matching engine at `now + latency` through
 *   `clock.setTimer`, so an order can fill before a cancel arrives, and a backtest stays deterministic.
 *   `createOrder`/`cancelOrder` resolve at once with the order as the gateway accepted it (status `open`);
 *   everything after that (the accept on arrival, fills, the cancel) comes through the listener.
 * - Taking liquidity (market orders, marketable limits) walks the freshest of the external depth and the
 *   top of book; without either it fills at the last trade (else the last bar close) moved by `slippageBps`
 *   against us, with no size limit (there is no size information to respect). Depth and quote liquidity we
 *   take is consumed until the next book or quote event of the symbol. At equal prices external liquidity
 *   goes first: it was on the book before our order.
 * - A market order's unfillable remainder is canceled (status `canceled`, `closed` when fully filled).
 *   A market buy never spends more than it reserved (reference price × (1 + reserve buffer + taker fee)):
 *   the walk stops there, the way a quote-quantity cap would.
 * - Resting orders fill as maker at their own limit price on a print that trades through them (up to the
 *   print's amount), on a top of book or depth level that crosses them (up to the displayed size), and on a
 *   bar whose low (buy) or high (sell) goes through them (fully).
 * - Our own orders match each other by default (`selfTrade: 'allow'`, two fills each paying its fee, as an
 *   exchange without self-trade prevention does); see `OrderBook` for the `expire-*` modes.
 * - Every order the venue has seen — rejected ones included — keeps its client id: a second `createOrder`
 *   with a known id is refused with InvalidOrder and no listener update (the update would be about the
 *   first order, which is untouched). This is the idempotency guarantee the execution layer relies on.
 * - Balances are exact Decimals: a buy reserves amount × limit × (1 + max(maker, taker) fee) of quote, a sell
 *   the amount of base; fills move totals by exactly ±amount, ∓cost and −fee (fees in the quote currency).
 * - Time in force: IOC takes what it can on arrival and expires the rest; FOK expires unfilled unless all of
 *   it can fill on arrival; PO (post-only, Binance's LIMIT_MAKER) expires unfilled if it would take.
 * - Triggered orders (stop-market, stop-limit, take-profit, trailing stop) wait outside the book and reserve
 *   nothing until they fire; then they reserve their funds (expiring if the account cannot pay) and work as
 *   their type: a market order takes, a limit order takes what is marketable and rests. A trigger fires on
 *   the last trade, on the bid (falling triggers) or ask (rising triggers) of a quote or book, and on bars
 *   as below. Orders sharing a `parentId` are one-cancels-other: when one fires the others are canceled.
 * - On a bar, the path inside it is assumed adverse to the holder of a stop. Stop-like triggers (a sell
 *   falling to its trigger, a buy rising to it) are looked at before take-profit-like ones, so when a bar
 *   touches both legs of a bracket the stop fires and the take-profit is canceled. A market order fired by a
 *   bar fills at its trigger price, or at the bar's open when the bar opened beyond it (a gap), moved by the
 *   slippage against it; a trailing stop first follows the bar's favourable extreme (the high for a sell),
 *   then fires if the adverse extreme reaches the trail. A stop-limit fired by a bar rests and fills on later
 *   bars only (its own bar's remaining path is unknown).
 */
import type { Clock } from '../engine/index.js'
import type { Component } from '../engine/index.js'
import { Prng } from '../engine/index.js'
import {
  BadSymbol,
  Decimal,
  InsufficientFunds,
  InvalidOrder,
  OrderNotFound,
  ZERO,
  dec,
  fastAmountToLots,
  fastPriceToTicks,
  lotsToAmount,
  ticksToPrice,
} from '../model/index.js'
import type {
  Balances,
  Bar,
  BookLevel,
  BookUpdate,
  DecimalLike,
  Instrument,
  MarketEvent,
  OrderOptions,
  OrderSide,
  OrderStatus,
  OrderType,
  QuoteTick,
  Trade,
  TradeTick,
} from '../model/index.js'
import { OrderBook } from '../book/index.js'
import type { Match, SelfTradeMode } from '../book/index.js'
import type { OrderRequest, Venue, VenueFeature, VenueListener, VenueOrder } from './venue.js'

/** What a latency model is asked about; `random` is the venue's seeded generator (uniform in [0, 1)). */
export interface LatencyRequest {
  readonly kind: 'create' | 'cancel'
  readonly symbol: string
  readonly random: () => number
}

/** Milliseconds a request takes to reach the matching engine. */
export type LatencyModel = (request: LatencyRequest) => number

export interface SimulatedVenueOptions {
  readonly id: string
  readonly clock: Clock
  readonly instruments: readonly Instrument[]
  /** Starting totals per currency; currencies of the instruments not listed start at 0. */
  readonly balances?: Readonly<Record<string, DecimalLike>>
  /** A fixed latency or a model; default 0 (arrival at the next timer run of the clock). */
  readonly latencyMs?: number | LatencyModel
  /** Price impact applied to fills at the last trade or bar close, in basis points; default 5. */
  readonly slippageBps?: number
  /** Extra quote reserved for a market buy above the reference price, in basis points; default 100. */
  readonly reserveBufferBps?: number
  readonly selfTrade?: SelfTradeMode
  /** Seed of the generator handed to the latency model; default 1. */
  readonly seed?: number
  /**
   * Prefix of order and trade ids (default `<id>-`). A session restarted on a restored venue uses a new
   * prefix so its ids never collide with those the store already holds.
   */
  readonly idPrefix?: string
  /**
   * Finished orders (closed, canceled, expired, rejected) kept for `fetchOrder` and for refusing a client id
   * again; default 10,000. Older ones are forgotten, the oldest first, as an exchange archives them: a
   * paper session that runs for weeks holds a bounded history, not every order it ever sent.
   */
  readonly keepFinished?: number
  /** Fills kept for `fetchMyTrades`, the most recent; default 10,000 (older ones are forgotten likewise). */
  readonly keepTrades?: number
}

/** Finished orders and fills a venue keeps by default (see `keepFinished`, `keepTrades`). */
const SIM_VENUE_HISTORY = 10_000

/** A working order handed back to a restarted venue (see `restoreOrder`). */
export interface RestoredOrder {
  readonly clientOrderId: string
  readonly venueOrderId: string
  readonly symbol: string
  readonly side: OrderSide
  readonly price: Decimal
  readonly amount: Decimal
  readonly filled: Decimal
  readonly cost: Decimal
  readonly timestamp: number
  /** Market or limit (default limit). A market order is restored only while it waits for its trigger. */
  readonly type?: OrderType
  readonly options?: OrderOptions
  /** A trigger order whose trigger had fired: it works as its type (a stop-limit rests) instead of waiting. */
  readonly triggered?: boolean
}

function isTrigger(o: OrderOptions | undefined): boolean {
  return o !== undefined && (o.triggerPrice !== undefined || o.trailingPercent !== undefined)
}

/** The book id of external flow (our orders are numbered from 1). */
const EXTERNAL = 0
const SELF = 'self'
const EXTERNAL_OWNER = 'external'
const ALL = Number.MAX_SAFE_INTEGER

/** One side of the external book as last reported: parallel float arrays, best first. */
class ExternalSide {
  readonly prices: number[] = []
  readonly sizes: number[] = []
  constructor(private readonly descending: boolean) {}

  replace(levels: readonly BookLevel[]): void {
    this.prices.length = 0
    this.sizes.length = 0
    for (const [price, size] of levels) {
      if (size > 0) {
        this.prices.push(price)
        this.sizes.push(size)
      }
    }
  }

  /** A delta: sets a level absolutely; size 0 deletes it. */
  set(price: number, size: number): void {
    const prices = this.prices
    let lo = 0
    let hi = prices.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const p = prices[mid]!
      if (this.descending ? p > price : p < price) lo = mid + 1
      else hi = mid
    }
    if (prices[lo] === price) {
      if (size > 0) this.sizes[lo] = size
      else {
        prices.splice(lo, 1)
        this.sizes.splice(lo, 1)
      }
    } else if (size > 0) {
      prices.splice(lo, 0, price)
      this.sizes.splice(lo, 0, size)
    }
  }
}

/** What the venue knows about one symbol: plain numbers, updated on every event. */
class MarketState {
  last = NaN
  bid = NaN
  bidSize = 0
  ask = NaN
  askSize = 0
  quoteTs = -Infinity
  depthTs = -Infinity
  barClose = NaN
  /** The price a market order fired by a bar takes (its trigger or the gap's open); NaN otherwise. */
  triggerRef = NaN
  /** Orders waiting for their trigger, in arrival order. */
  triggers: SimOrder[] = []
  readonly bids = new ExternalSide(true)
  readonly asks = new ExternalSide(false)
  /** Lots we took per price tick since the last book/quote event. */
  readonly takenBids = new Map<number, number>()
  readonly takenAsks = new Map<number, number>()
  constructor(
    readonly inst: Instrument,
    readonly book: OrderBook,
  ) {}

  refreshLiquidity(): void {
    if (this.takenBids.size > 0) this.takenBids.clear()
    if (this.takenAsks.size > 0) this.takenAsks.clear()
  }
}

/** The venue's mutable record of one order. */
class SimOrder {
  status: OrderStatus = 'open'
  reason: string | undefined
  filledLots = 0
  filled: Decimal = ZERO
  cost: Decimal = ZERO
  /** Still reserved for this order, in `reserveCurrency`. */
  reserved: Decimal = ZERO
  reserveCurrency = ''
  arrived = false
  cancelRequested = false
  /** Waiting for its trigger (after it fires the order works as its type). */
  waiting = false
  /** A trigger order whose trigger fired. */
  fired = false
  triggerTicks = NaN
  /** Trailing stops: the best price seen since arrival and the trail as a fraction. */
  extreme = NaN
  trail = 0
  constructor(
    readonly num: number,
    readonly id: string,
    readonly clientOrderId: string,
    readonly symbol: string,
    readonly type: OrderType,
    readonly side: OrderSide,
    readonly amount: Decimal,
    readonly price: Decimal | undefined,
    readonly timestamp: number,
    readonly market: MarketState | undefined,
    readonly lots: number,
    readonly priceTicks: number,
    readonly options: OrderOptions = {},
  ) {}

  /** A trigger that fires when the price falls to it (else when the price rises to it). */
  get falling(): boolean {
    return this.options.triggerDirection === 'below' || (this.options.triggerDirection === undefined && this.side === 'sell')
  }

  /** Stop-like (a sell falling, a buy rising): looked at first on a bar. */
  get stopLike(): boolean {
    return this.falling === (this.side === 'sell')
  }

  view(): VenueOrder {
    const base = {
      id: this.id,
      clientOrderId: this.clientOrderId,
      timestamp: this.timestamp,
      symbol: this.symbol,
      type: this.type,
      side: this.side,
      price: this.price,
      amount: this.amount,
      filled: this.filled,
      remaining: this.amount.sub(this.filled),
      cost: this.cost,
      status: this.status,
      ...(this.waiting && this.options.triggerPrice !== undefined ? { triggerPrice: this.options.triggerPrice } : {}),
      ...(this.fired ? { triggered: true } : {}),
    }
    return this.reason === undefined ? base : { ...base, reason: this.reason }
  }
}

interface Account {
  total: Decimal
  used: Decimal
}

type Outgoing = { readonly trade: Trade; readonly order?: undefined } | { readonly trade?: undefined; readonly order: VenueOrder }


export class SimulatedVenue implements Venue, Component {
  readonly id: string
  readonly name: string
  private readonly clock: Clock
  private readonly instrumentList: readonly Instrument[]
  private readonly markets = new Map<string, MarketState>()
  private readonly accounts = new Map<string, Account>()
  /** Every order still working and the most recent finished ones (`keepFinished`), by client id. */
  private readonly byClientId = new Map<string, SimOrder>()
  /** Orders that can still trade, by number (the book's ids), in the order they were placed. */
  private readonly byNum = new Map<number, SimOrder>()
  /** Client ids of finished orders, oldest first from `finishedHead`. */
  private finished: string[] = []
  private finishedHead = 0
  private readonly keepFinished: number
  /** The most recent fills (`keepTrades` to twice as many), oldest first. */
  private trades: Trade[] = []
  private readonly keepTrades: number
  private readonly listeners: VenueListener[] = []
  private readonly outbox: Outgoing[] = []
  private readonly latency: LatencyModel
  private readonly random: () => number
  private readonly slippage: number
  private readonly reserveBuffer: Decimal
  private orderSeq = 0
  private tradeSeq = 0
  private readonly idPrefix: string
  private flushing = false
  /** Set by the book when self-trade prevention expires the current taker. */
  private takerExpired = false

  constructor(options: SimulatedVenueOptions) {
    this.id = options.id
    this.name = `venue:${options.id}`
    this.idPrefix = options.idPrefix ?? `${options.id}-`
    this.clock = options.clock
    this.instrumentList = options.instruments
    this.slippage = (options.slippageBps ?? 5) / 10_000
    this.reserveBuffer = dec(options.reserveBufferBps ?? 100).div(10_000)
    const prng = new Prng(options.seed ?? 1)
    this.random = () => prng.next()
    this.keepFinished = options.keepFinished ?? SIM_VENUE_HISTORY
    this.keepTrades = options.keepTrades ?? SIM_VENUE_HISTORY
    const latency = options.latencyMs ?? 0
    this.latency = typeof latency === 'number' ? () => latency : latency
    const listener = {
      onMatch: (m: Match) => this.onBookMatch(m),
      onExpire: (id: number, _owner: string, _lots: number, resting: boolean) => this.onBookExpire(id, resting),
    }
    for (const inst of options.instruments) {
      const book = new OrderBook({ selfTrade: options.selfTrade ?? 'allow', listener })
      this.markets.set(inst.symbol, new MarketState(inst, book))
      for (const ccy of [inst.base, inst.quote]) if (!this.accounts.has(ccy)) this.accounts.set(ccy, { total: ZERO, used: ZERO })
    }
    for (const [ccy, amount] of Object.entries(options.balances ?? {})) {
      this.accounts.set(ccy, { total: dec(amount), used: ZERO })
    }
  }

  // ---- Venue: reference data -------------------------------------------------------------------------

  instruments(): readonly Instrument[] {
    return this.instrumentList
  }

  instrument(symbol: string): Instrument {
    const m = this.markets.get(symbol)
    if (m === undefined) throw new BadSymbol(`${this.id} does not list ${symbol}`)
    return m.inst
  }

  /** The simulator does every order type natively. */
  supports(_feature: VenueFeature): boolean {
    return true
  }

  subscribe(listener: VenueListener): void {
    this.listeners.push(listener)
  }

  /**
   * Puts a working limit order back after a restart (paper trading, where this venue lives in-process):
   * it rests in the book at once with its remaining amount and its funds reserved again. Balances must
   * already be the restored ones.
   */
  restoreOrder(o: RestoredOrder): void {
    if (this.byClientId.has(o.clientOrderId)) throw new InvalidOrder(`${this.id}: order ${o.clientOrderId} already present`)
    const m = this.markets.get(o.symbol)
    if (m === undefined) throw new BadSymbol(`${this.id} does not list ${o.symbol}`)
    const inst = m.inst
    const num = ++this.orderSeq
    const type = o.type ?? 'limit'
    const order = new SimOrder(
      num,
      o.venueOrderId,
      o.clientOrderId,
      o.symbol,
      type,
      o.side,
      o.amount,
      type === 'limit' ? o.price : undefined,
      o.timestamp,
      m,
      o.amount.div(inst.stepSize).toNumber(),
      type === 'limit' ? o.price.div(inst.tickSize).toNumber() : NaN,
      o.options ?? {},
    )
    order.filled = o.filled
    order.cost = o.cost
    order.filledLots = o.filled.div(inst.stepSize).toNumber()
    order.arrived = true
    order.fired = o.triggered === true
    this.byClientId.set(o.clientOrderId, order)
    this.byNum.set(num, order)
    // Waiting for its trigger (a trailing stop starts trailing again from the price now).
    if (o.triggered !== true && isTrigger(o.options)) {
      this.startWaiting(m, order)
      return
    }
    if (type !== 'limit') throw new InvalidOrder(`${this.id}: only limit orders and orders waiting for their trigger can be restored (${o.clientOrderId})`)
    const remaining = o.amount.sub(o.filled)
    const maxFee = inst.makerFee.gt(inst.takerFee) ? inst.makerFee : inst.takerFee
    order.reserveCurrency = o.side === 'buy' ? inst.quote : inst.base
    order.reserved = o.side === 'buy' ? remaining.mul(o.price).mul(maxFee.add(1)) : remaining
    const account = this.account(order.reserveCurrency)
    account.used = account.used.add(order.reserved)
    m.book.add(num, o.side, order.priceTicks, order.lots - order.filledLots, SELF)
  }

  // ---- Venue: requests -------------------------------------------------------------------------------

  createOrder(request: OrderRequest): Promise<VenueOrder> {
    try {
      return Promise.resolve(this.create(request))
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  cancelOrder(clientOrderId: string, symbol: string): Promise<VenueOrder> {
    try {
      return Promise.resolve(this.requestCancel(clientOrderId, symbol))
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder> {
    const order = this.byClientId.get(clientOrderId)
    if (order === undefined || order.symbol !== symbol) {
      return Promise.reject(new OrderNotFound(`${this.id}: no order ${clientOrderId} on ${symbol}`))
    }
    return Promise.resolve(order.view())
  }

  fetchOpenOrders(symbol?: string): Promise<VenueOrder[]> {
    const out: VenueOrder[] = []
    for (const o of this.byNum.values()) {
      if (o.status === 'open' && (symbol === undefined || o.symbol === symbol)) out.push(o.view())
    }
    return Promise.resolve(out)
  }

  /**
   * Our fills, oldest first. With `since`, the first `limit` fills at or after it; without, the last `limit`
   * (what CCXT exchanges return for "recent trades").
   */
  fetchMyTrades(symbol?: string, since?: number, limit?: number): Promise<Trade[]> {
    let out = this.trades.filter((t) => (symbol === undefined || t.symbol === symbol) && (since === undefined || t.timestamp >= since))
    if (limit !== undefined) out = since === undefined ? out.slice(Math.max(0, out.length - limit)) : out.slice(0, limit)
    return Promise.resolve(out)
  }

  fetchBalance(): Promise<Balances> {
    const out: Record<string, { free: Decimal; used: Decimal; total: Decimal }> = {}
    for (const [ccy, a] of this.accounts) out[ccy] = { free: a.total.sub(a.used), used: a.used, total: a.total }
    return Promise.resolve(out)
  }

  fetchTime(): Promise<number> {
    return Promise.resolve(this.clock.now())
  }

  // ---- Market data: the hot path ---------------------------------------------------------------------

  /**
   * Feeds one market event. Events of other venues and unlisted symbols are ignored. With no resting order
   * on the symbol this only stores numbers.
   */
  onMarket(event: MarketEvent): void {
    if (event.venue !== this.id) return
    const m = this.markets.get(event.symbol)
    if (m === undefined) return
    switch (event.kind) {
      case 'trade':
        m.last = event.price
        if (m.book.size > 0) this.onPrint(m, event)
        if (m.triggers.length > 0) this.checkTriggers(m, event.price, event.price)
        return
      case 'quote':
        m.bid = event.bid
        m.bidSize = event.bidSize
        m.ask = event.ask
        m.askSize = event.askSize
        m.quoteTs = event.timestamp
        m.refreshLiquidity()
        if (m.book.size > 0) this.crossQuote(m, event)
        if (m.triggers.length > 0 && event.bid > 0 && event.ask > 0) this.checkTriggers(m, event.bid, event.ask)
        return
      case 'book':
        this.applyBook(m, event)
        if (m.book.size > 0) this.crossDepth(m)
        if (m.triggers.length > 0 && m.bids.prices.length > 0 && m.asks.prices.length > 0) {
          this.checkTriggers(m, m.bids.prices[0]!, m.asks.prices[0]!)
        }
        return
      case 'bar':
        m.barClose = event.close
        if (m.book.size > 0) this.crossBar(m, event)
        if (m.triggers.length > 0) this.checkBarTriggers(m, event)
        return
    }
  }

  private applyBook(m: MarketState, e: BookUpdate): void {
    if (e.snapshot) {
      m.bids.replace(e.bids)
      m.asks.replace(e.asks)
    } else {
      for (const [p, a] of e.bids) m.bids.set(p, a)
      for (const [p, a] of e.asks) m.asks.set(p, a)
    }
    m.depthTs = e.timestamp
    m.refreshLiquidity()
  }

  /** A print strictly through a resting price fills it, up to the print's amount. */
  private onPrint(m: MarketState, e: TradeTick): void {
    const inst = m.inst
    const ticks = fastPriceToTicks(inst, e.price)
    const lots = fastAmountToLots(inst, e.amount)
    if (lots <= 0) return
    const bestBid = m.book.bestBid()
    const bestAsk = m.book.bestAsk()
    if (bestBid !== undefined && bestBid > ticks) m.book.take(EXTERNAL, 'sell', ticks + 1, lots, EXTERNAL_OWNER)
    else if (bestAsk !== undefined && bestAsk < ticks) m.book.take(EXTERNAL, 'buy', ticks - 1, lots, EXTERNAL_OWNER)
    else return
    this.flush()
  }

  private crossQuote(m: MarketState, e: QuoteTick): void {
    const inst = m.inst
    const bestBid = m.book.bestBid()
    if (bestBid !== undefined && e.ask > 0 && e.askSize > 0) {
      const ask = fastPriceToTicks(inst, e.ask)
      if (ask <= bestBid) this.takeExternal(m, 'sell', ask, fastAmountToLots(inst, e.askSize), m.takenAsks)
    }
    const bestAsk = m.book.bestAsk()
    if (bestAsk !== undefined && e.bid > 0 && e.bidSize > 0) {
      const bid = fastPriceToTicks(inst, e.bid)
      if (bid >= bestAsk) this.takeExternal(m, 'buy', bid, fastAmountToLots(inst, e.bidSize), m.takenBids)
    }
    this.flush()
  }

  private crossDepth(m: MarketState): void {
    const inst = m.inst
    const asks = m.asks
    for (let i = 0; i < asks.prices.length; i++) {
      const bestBid = m.book.bestBid()
      const ask = fastPriceToTicks(inst, asks.prices[i]!)
      if (bestBid === undefined || ask > bestBid) break
      this.takeExternal(m, 'sell', ask, fastAmountToLots(inst, asks.sizes[i]!), m.takenAsks)
    }
    const bids = m.bids
    for (let i = 0; i < bids.prices.length; i++) {
      const bestAsk = m.book.bestAsk()
      const bid = fastPriceToTicks(inst, bids.prices[i]!)
      if (bestAsk === undefined || bid < bestAsk) break
      this.takeExternal(m, 'buy', bid, fastAmountToLots(inst, bids.sizes[i]!), m.takenBids)
    }
    this.flush()
  }

  private crossBar(m: MarketState, e: Bar): void {
    const inst = m.inst
    const bestBid = m.book.bestBid()
    const low = fastPriceToTicks(inst, e.low)
    if (bestBid !== undefined && bestBid > low) m.book.take(EXTERNAL, 'sell', low + 1, ALL, EXTERNAL_OWNER)
    const bestAsk = m.book.bestAsk()
    const high = fastPriceToTicks(inst, e.high)
    if (bestAsk !== undefined && bestAsk < high) m.book.take(EXTERNAL, 'buy', high - 1, ALL, EXTERNAL_OWNER)
    this.flush()
  }

  /** External flow hitting our resting orders from one displayed level, consuming that level. */
  private takeExternal(m: MarketState, side: OrderSide, ticks: number, lots: number, taken: Map<number, number>): void {
    const available = lots - (taken.get(ticks) ?? 0)
    if (available <= 0) return
    const left = m.book.take(EXTERNAL, side, ticks, available, EXTERNAL_OWNER)
    if (left < available) taken.set(ticks, lots - left)
  }

  // ---- Triggers --------------------------------------------------------------------------------------

  /** Puts an arrived triggered order aside until its trigger fires. */
  private startWaiting(m: MarketState, order: SimOrder): void {
    const o = order.options
    order.waiting = true
    if (o.trailingPercent !== undefined) {
      order.trail = o.trailingPercent.toNumber() / 100
      const ref = !Number.isNaN(m.last) ? m.last : !Number.isNaN(m.barClose) ? m.barClose : order.falling ? m.bid : m.ask
      order.extreme = ref > 0 ? ref : NaN
    } else {
      order.triggerTicks = o.triggerPrice!.toNumber()
    }
    m.triggers.push(order)
  }

  /** The trigger level of a waiting order now (trailing stops follow their extreme). */
  private static level(order: SimOrder): number {
    if (order.trail === 0) return order.triggerTicks
    return order.falling ? order.extreme * (1 - order.trail) : order.extreme * (1 + order.trail)
  }

  /** A tick: `fall` is the price falling triggers look at (last trade or bid), `rise` the rising ones' (or ask). */
  private checkTriggers(m: MarketState, fall: number, rise: number): void {
    for (const order of m.triggers.slice()) {
      if (!order.waiting) continue
      const p = order.falling ? fall : rise
      if (order.trail !== 0 && (Number.isNaN(order.extreme) || (order.falling ? p > order.extreme : p < order.extreme))) order.extreme = p
      const level = SimulatedVenue.level(order)
      if (order.falling ? p <= level : p >= level) this.fire(m, order, NaN, false)
    }
    this.flush()
  }

  /** A bar: stop-like triggers first, each on the path adverse to it (see the module notes). */
  private checkBarTriggers(m: MarketState, bar: Bar): void {
    const waiting = m.triggers.filter((o) => o.waiting)
    const ordered = [...waiting.filter((o) => o.stopLike), ...waiting.filter((o) => !o.stopLike)]
    for (const order of ordered) {
      if (!order.waiting) continue // canceled by a sibling that fired
      const falling = order.falling
      const before = Number.isNaN(order.extreme) ? NaN : SimulatedVenue.level(order)
      if (order.trail !== 0) {
        const favourable = falling ? bar.high : bar.low
        if (Number.isNaN(order.extreme) || (falling ? favourable > order.extreme : favourable < order.extreme)) order.extreme = favourable
      }
      const level = SimulatedVenue.level(order)
      const reached = falling ? bar.low <= level : bar.high >= level
      if (!reached) continue
      // Opened beyond the level it had before the bar: filled at the open (a gap), else at the level.
      const gapLevel = order.trail !== 0 ? before : level
      const gapped = !Number.isNaN(gapLevel) && (falling ? bar.open <= gapLevel : bar.open >= gapLevel)
      this.fire(m, order, gapped ? bar.open : level, true)
    }
    this.flush()
  }

  /**
   * A trigger fired: cancel the order's one-cancels-other siblings, reserve its funds, and work it as its
   * type. `ref` (a bar's fired price) is the price a market order takes instead of the last trade.
   */
  private fire(m: MarketState, order: SimOrder, ref: number, fromBar: boolean): void {
    order.waiting = false
    order.fired = true
    m.triggers = m.triggers.filter((o) => o !== order)
    const group = order.options.parentId
    // One-cancels-other among the group's orders still waiting on this market (a sibling already working is the
    // order manager's to cancel when this one trades). Not a scan of every order the venue has seen.
    if (group !== undefined) {
      for (const other of m.triggers) if (other.options.parentId === group) this.cancelNow(other, 'one-cancels-other')
    }
    const remaining = order.amount.sub(order.filled)
    m.triggerRef = ref
    try {
      const reserve = this.reservation(m, { clientOrderId: order.clientOrderId, symbol: order.symbol, type: order.type, side: order.side, amount: remaining, ...(order.price !== undefined ? { price: order.price } : {}) })
      const free = reserve === undefined ? ZERO : this.account(reserve.currency).total.sub(this.account(reserve.currency).used)
      if (reserve === undefined || reserve.amount.gt(free)) {
        order.status = 'expired'
        order.reason = reserve === undefined ? 'triggered with no price known' : `triggered without the funds: needed ${reserve.amount.toString()} ${reserve.currency}, free ${free.toString()}`
        this.send({ order: order.view() })
        return
      }
      order.reserved = reserve.amount
      order.reserveCurrency = reserve.currency
      this.account(reserve.currency).used = this.account(reserve.currency).used.add(reserve.amount)
      this.send({ order: order.view() })
      if (fromBar && order.type === 'limit') {
        m.book.add(order.num, order.side, order.priceTicks, order.lots - order.filledLots, SELF)
        return
      }
      this.work(m, order)
    } finally {
      m.triggerRef = NaN
    }
  }

  /** Cancels an order at once (no latency): one-cancels-other inside the matching engine. */
  private cancelNow(order: SimOrder, reason: string): void {
    if (order.waiting) {
      order.waiting = false
      const m = order.market!
      m.triggers = m.triggers.filter((o) => o !== order)
    } else if (order.arrived) order.market?.book.cancel(order.num)
    order.status = 'canceled'
    order.reason = reason
    this.release(order)
    this.send({ order: order.view() })
  }

  // ---- Orders ----------------------------------------------------------------------------------------

  private create(req: OrderRequest): VenueOrder {
    if (this.byClientId.has(req.clientOrderId)) {
      throw new InvalidOrder(`${this.id}: duplicate clientOrderId ${req.clientOrderId}; the venue already has that order`)
    }
    const num = ++this.orderSeq
    const id = `${this.idPrefix}O${num}`
    const now = this.clock.now()
    const m = this.markets.get(req.symbol)
    const price = req.type === 'limit' ? req.price : undefined
    let error: Error | undefined
    let reserve: { currency: string; amount: Decimal } | undefined
    if (m === undefined) error = new BadSymbol(`${this.id} does not list ${req.symbol}`)
    else {
      error = this.validate(m, req)
      if (error === undefined && isTrigger(req.options)) {
        // A triggered order holds nothing until it fires.
        reserve = { currency: req.side === 'buy' ? m.inst.quote : m.inst.base, amount: ZERO }
      } else if (error === undefined) {
        reserve = this.reservation(m, req)
        if (reserve === undefined) {
          error = new InvalidOrder(`${this.id}: no price known for ${req.symbol} to reserve a market buy against`)
        } else {
          const account = this.account(reserve.currency)
          const free = account.total.sub(account.used)
          if (reserve.amount.gt(free)) {
            error = new InsufficientFunds(
              `${this.id}: insufficient ${reserve.currency}: needed ${reserve.amount.toString()}, free ${free.toString()}`,
            )
          }
        }
      }
    }
    const inst = m?.inst
    const order = new SimOrder(
      num,
      id,
      req.clientOrderId,
      req.symbol,
      req.type,
      req.side,
      req.amount,
      price,
      now,
      m,
      inst === undefined || error !== undefined ? 0 : req.amount.div(inst.stepSize).toNumber(),
      inst === undefined || price === undefined || error !== undefined ? NaN : price.div(inst.tickSize).toNumber(),
      req.options ?? {},
    )
    this.byClientId.set(req.clientOrderId, order)
    this.byNum.set(num, order)
    if (error !== undefined || reserve === undefined) {
      order.status = 'rejected'
      order.reason = error?.message
      this.send({ order: order.view() })
      this.flush()
      throw error
    }
    order.reserved = reserve.amount
    order.reserveCurrency = reserve.currency
    this.account(reserve.currency).used = this.account(reserve.currency).used.add(reserve.amount)
    const delay = this.latency({ kind: 'create', symbol: req.symbol, random: this.random })
    this.clock.setTimer(now + delay, () => this.arrive(order))
    return order.view()
  }

  /** Structural checks against the instrument; undefined when the order is well-formed. */
  private validate(m: MarketState, req: OrderRequest): InvalidOrder | undefined {
    const inst = m.inst
    // Made only for a refusal: most orders pass.
    const invalid = (why: string): InvalidOrder => new InvalidOrder(`${this.id}: ${req.side} ${req.type} ${req.amount.toString()} ${req.symbol}: ${why}`)
    if (!req.amount.gt(0)) return invalid('amount must be positive')
    // Whole steps by an integer division: below 2^53 steps, exact, and the amount is on the step when they give it
    // back (one division where a remainder and a quotient took two).
    const lots = req.amount.divToInt(inst.stepSize)
    const fits = lots.lte(Number.MAX_SAFE_INTEGER)
    const onStep = fits ? lots.mul(inst.stepSize).eq(req.amount) : req.amount.mod(inst.stepSize).isZero()
    if (!onStep) return invalid(`amount is not a multiple of the step ${inst.stepSize.toString()}`)
    if (req.amount.lt(inst.minAmount)) return invalid(`amount below the minimum ${inst.minAmount.toString()}`)
    if (!fits) return invalid('amount too large')
    const o = req.options
    if (o !== undefined) {
      if (o.timeInForce !== undefined && o.timeInForce !== 'GTC' && o.timeInForce !== 'IOC' && req.type !== 'limit') {
        return invalid(`timeInForce ${o.timeInForce} needs a limit order`)
      }
      if (o.triggerPrice !== undefined && !o.triggerPrice.gt(0)) return invalid('triggerPrice must be positive')
      if (o.trailingPercent !== undefined && !(o.trailingPercent.gt(0) && o.trailingPercent.lt(100))) {
        return invalid('trailingPercent must be between 0 and 100')
      }
    }
    let reference: Decimal | undefined
    if (req.type === 'limit') {
      const price = req.price
      if (price === undefined) return invalid('a limit order needs a price')
      if (!price.gt(0)) return invalid('price must be positive')
      if (!price.mod(inst.tickSize).isZero()) return invalid(`price ${price.toString()} is not on the tick ${inst.tickSize.toString()}`)
      reference = price
    } else {
      const ref = this.referencePrice(m, req.side)
      reference = ref === undefined ? undefined : dec(ref)
    }
    if (reference !== undefined && req.amount.mul(reference).lt(inst.minCost)) {
      return invalid(`cost below the minimum ${inst.minCost.toString()}`)
    }
    return undefined
  }

  /** The best price a taker on `side` would see now, as a float (for reservations and minimum cost only). */
  private referencePrice(m: MarketState, side: OrderSide): number | undefined {
    if (!Number.isNaN(m.triggerRef)) return m.triggerRef
    const depth = side === 'buy' ? m.asks : m.bids
    if (m.depthTs >= m.quoteTs && depth.prices.length > 0) return depth.prices[0]
    const top = side === 'buy' ? m.ask : m.bid
    if (top > 0) return top
    if (!Number.isNaN(m.last)) return m.last
    if (!Number.isNaN(m.barClose)) return m.barClose
    return undefined
  }

  private reservation(m: MarketState, req: OrderRequest): { currency: string; amount: Decimal } | undefined {
    const inst = m.inst
    if (req.side === 'sell') return { currency: inst.base, amount: req.amount }
    if (req.type === 'limit') {
      const rate = Decimal.max(inst.makerFee, inst.takerFee)
      return { currency: inst.quote, amount: req.amount.mul(req.price!).mul(rate.add(1)) }
    }
    const ref = this.referencePrice(m, 'buy')
    if (ref === undefined) return undefined
    const factor = this.reserveBuffer.add(inst.takerFee).add(1).add(this.slippage)
    return { currency: inst.quote, amount: req.amount.mul(dec(ref)).mul(factor) }
  }

  private requestCancel(clientOrderId: string, symbol: string): VenueOrder {
    const order = this.byClientId.get(clientOrderId)
    if (order === undefined || order.symbol !== symbol) throw new OrderNotFound(`${this.id}: no order ${clientOrderId} on ${symbol}`)
    if (order.status !== 'open') throw new OrderNotFound(`${this.id}: order ${clientOrderId} is ${order.status}`)
    if (!order.cancelRequested) {
      order.cancelRequested = true
      const delay = this.latency({ kind: 'cancel', symbol, random: this.random })
      this.clock.setTimer(this.clock.now() + delay, () => this.arriveCancel(order))
    }
    return order.view()
  }

  private arriveCancel(order: SimOrder): void {
    // The order may have filled (or been canceled) while the cancel travelled: then there is nothing to do.
    if (order.status !== 'open') return
    if (order.waiting) {
      order.waiting = false
      order.market!.triggers = order.market!.triggers.filter((o) => o !== order)
    } else if (order.arrived) order.market?.book.cancel(order.num)
    order.status = 'canceled'
    this.release(order)
    this.send({ order: order.view() })
    this.flush()
  }

  /** The order reaches the matching engine: acknowledge, take what is marketable, rest or cancel the rest. */
  private arrive(order: SimOrder): void {
    if (order.status !== 'open') return
    const m = order.market!
    order.arrived = true
    if (isTrigger(order.options)) {
      this.startWaiting(m, order)
      this.send({ order: order.view() })
    } else {
      this.send({ order: order.view() })
      this.work(m, order)
    }
    this.flush()
  }

  /** Works an order that is live now: time in force, take what is marketable, rest or end the rest. */
  private work(m: MarketState, order: SimOrder): void {
    const limit = order.type === 'market' ? (order.side === 'buy' ? Infinity : -Infinity) : order.priceTicks
    const tif = order.options.timeInForce
    if (tif === 'PO' && this.marketableLots(m, order, limit, 1) > 0) return this.expire(order, 'post-only: it would take liquidity')
    if (tif === 'FOK' && this.marketableLots(m, order, limit, ALL) < order.lots - order.filledLots) {
      return this.expire(order, 'fill-or-kill: it cannot fill completely now')
    }
    this.takerExpired = false
    const left = this.execute(m, order, limit)
    if (this.takerExpired) this.expire(order, 'self-trade prevention')
    else if (left > 0) {
      if (order.type === 'limit' && tif !== 'IOC' && tif !== 'FOK') {
        // Rests even with a cancel in flight: the cancel takes it out when it arrives.
        m.book.add(order.num, order.side, order.priceTicks, left, SELF)
      } else if (order.type === 'limit') {
        this.expire(order, 'immediate-or-cancel: the rest expired')
      } else {
        order.status = 'canceled'
        order.reason = order.filledLots > 0 ? 'remainder not fillable' : 'no liquidity'
        this.release(order)
        this.send({ order: order.view() })
      }
    }
  }

  private expire(order: SimOrder, reason: string): void {
    order.status = 'expired'
    order.reason = reason
    this.release(order)
    this.send({ order: order.view() })
  }

  /** Lots an order could take now within `limit`, counted up to `enough` (our book, then the outside market). */
  private marketableLots(m: MarketState, order: SimOrder, limit: number, enough: number): number {
    const isBuy = order.side === 'buy'
    const within = (ticks: number): boolean => (isBuy ? ticks <= limit : ticks >= limit)
    let lots = 0
    const depth = m.book.depth()
    for (const [price, size] of isBuy ? depth.asks : depth.bids) {
      if (!within(price)) break
      lots += size
      if (lots >= enough) return lots
    }
    const ext = this.externalLevels(m, isBuy)
    for (let i = 0; i < ext.prices.length; i++) {
      const ticks = fastPriceToTicks(m.inst, ext.prices[i]!)
      if (!within(ticks)) break
      lots += fastAmountToLots(m.inst, ext.sizes[i]!) - (ext.taken?.get(ticks) ?? 0)
      if (lots >= enough) return lots
    }
    if (!Number.isNaN(ext.synthetic) && within(ext.synthetic)) return ALL
    return lots
  }

  /**
   * The outside liquidity a taker on one side sees: the freshest of depth and top of book, else a synthetic
   * unlimited level at the last trade (or bar close, or a bar-fired trigger's price) moved by the slippage.
   */
  private externalLevels(
    m: MarketState,
    isBuy: boolean,
  ): { prices: readonly number[]; sizes: readonly number[]; taken: Map<number, number> | undefined; synthetic: number } {
    const depth = isBuy ? m.asks : m.bids
    const top = isBuy ? m.ask : m.bid
    const topSize = isBuy ? m.askSize : m.bidSize
    const taken = isBuy ? m.takenAsks : m.takenBids
    if (Number.isNaN(m.triggerRef)) {
      if (m.depthTs >= m.quoteTs && m.depthTs > -Infinity) return { prices: depth.prices, sizes: depth.sizes, taken, synthetic: NaN }
      if (m.quoteTs > -Infinity && top > 0 && topSize > 0) return { prices: [top], sizes: [topSize], taken, synthetic: NaN }
    }
    const ref = !Number.isNaN(m.triggerRef) ? m.triggerRef : !Number.isNaN(m.last) ? m.last : m.barClose
    let synthetic = NaN
    if (!Number.isNaN(ref)) {
      const moved = (ref * (isBuy ? 1 + this.slippage : 1 - this.slippage)) / m.inst.tickSizeNum
      // Round against us, with a hair of tolerance so an exact tick is not pushed a tick further.
      synthetic = isBuy ? Math.ceil(moved - 1e-9) : Math.floor(moved + 1e-9)
    }
    return { prices: [], sizes: [], taken: undefined, synthetic }
  }

  /**
   * Takes liquidity for an arriving order, best price first across our book and the external market,
   * within `limit` (ticks, or ±Infinity). Returns the lots left.
   */
  private execute(m: MarketState, order: SimOrder, limit: number): number {
    const inst = m.inst
    const isBuy = order.side === 'buy'
    const book = m.book
    const ext = this.externalLevels(m, isBuy)
    const { prices, sizes, taken } = ext
    let synthetic = ext.synthetic
    let i = 0
    let extTicks = NaN
    let extLots = 0
    const nextLevel = (): void => {
      extTicks = NaN
      extLots = 0
      while (i < prices.length) {
        const ticks = fastPriceToTicks(inst, prices[i]!)
        const lots = fastAmountToLots(inst, sizes[i]!) - (taken?.get(ticks) ?? 0)
        i++
        if (lots > 0) {
          extTicks = ticks
          extLots = lots
          return
        }
      }
      if (!Number.isNaN(synthetic)) {
        extTicks = synthetic
        extLots = ALL
        synthetic = NaN
      }
    }
    nextLevel()
    let left = order.lots - order.filledLots
    while (left > 0) {
      const internal = isBuy ? book.bestAsk() : book.bestBid()
      const intOk = internal !== undefined && (isBuy ? internal <= limit : internal >= limit)
      const extOk = !Number.isNaN(extTicks) && (isBuy ? extTicks <= limit : extTicks >= limit)
      if (!intOk && !extOk) break
      const useInternal = intOk && (!extOk || (isBuy ? internal < extTicks : internal > extTicks))
      const ticks = useInternal ? internal : extTicks
      // A market buy that has spent its reservation stops here (want 0); everything else is covered.
      const want = Math.min(left, useInternal ? left : extLots, this.affordableLots(order, ticks))
      if (want <= 0) break
      if (useInternal) {
        const rest = book.take(order.num, order.side, ticks, want, SELF)
        if (this.takerExpired) break
        left -= want - rest
      } else {
        this.fill(order, ticks, want, 'taker')
        left -= want
        extLots -= want
        if (taken !== undefined) taken.set(ticks, (taken.get(ticks) ?? 0) + want)
        if (extLots <= 0) nextLevel()
      }
    }
    return left
  }

  /** Lots a market buy can still pay for at `ticks`; other orders are covered by their reservation. */
  private affordableLots(order: SimOrder, ticks: number): number {
    if (order.side === 'sell' || order.type === 'limit') return ALL
    const inst = order.market!.inst
    const perLot = ticksToPrice(inst, ticks).mul(inst.stepSize).mul(inst.takerFee.add(1))
    return order.reserved.div(perLot).floor().toNumber()
  }

  // ---- Fills and balances ----------------------------------------------------------------------------

  private onBookMatch(m: Match): void {
    const maker = this.byNum.get(m.makerId)
    if (maker !== undefined) this.fill(maker, m.price, m.lots, 'maker')
    if (m.takerId !== EXTERNAL) {
      const taker = this.byNum.get(m.takerId)
      if (taker !== undefined) this.fill(taker, m.price, m.lots, 'taker')
    }
  }

  private onBookExpire(id: number, resting: boolean): void {
    if (!resting) {
      this.takerExpired = true
      return
    }
    const order = this.byNum.get(id)
    if (order === undefined) return
    order.status = 'expired'
    order.reason = 'self-trade prevention'
    this.release(order)
    this.send({ order: order.view() })
  }

  /** One execution of one of our orders: exact balances, a Trade, and the two listener updates. */
  private fill(order: SimOrder, ticks: number, lots: number, role: 'maker' | 'taker'): void {
    const inst = order.market!.inst
    const price = ticksToPrice(inst, ticks)
    const amount = lotsToAmount(inst, lots)
    const cost = price.mul(amount)
    const fee = cost.mul(role === 'maker' ? inst.makerFee : inst.takerFee)
    const base = this.account(inst.base)
    const quote = this.account(inst.quote)
    if (order.side === 'buy') {
      const spent = cost.add(fee)
      base.total = base.total.add(amount)
      quote.total = quote.total.sub(spent)
      quote.used = quote.used.sub(spent)
      order.reserved = order.reserved.sub(spent)
    } else {
      base.total = base.total.sub(amount)
      base.used = base.used.sub(amount)
      order.reserved = order.reserved.sub(amount)
      quote.total = quote.total.add(cost).sub(fee)
    }
    order.filledLots += lots
    order.filled = order.filled.add(amount)
    order.cost = order.cost.add(cost)
    if (order.filledLots >= order.lots) {
      order.status = 'closed'
      this.release(order)
    }
    const trade: Trade = {
      id: `${this.idPrefix}T${++this.tradeSeq}`,
      order: order.id,
      clientOrderId: order.clientOrderId,
      venue: this.id,
      symbol: order.symbol,
      timestamp: this.clock.now(),
      side: order.side,
      price,
      amount,
      cost,
      fee: { cost: fee, currency: inst.quote },
      takerOrMaker: role,
    }
    this.trades.push(trade)
    // Trimmed in halves: amortized O(1), memory bounded by twice the limit.
    if (this.trades.length >= 2 * this.keepTrades) this.trades = this.trades.slice(-this.keepTrades)
    this.send({ trade })
    this.send({ order: order.view() })
  }

  /** Gives back what an order still holds once it can no longer trade. */
  private release(order: SimOrder): void {
    if (order.reserved.isZero()) return
    const account = this.account(order.reserveCurrency)
    account.used = account.used.sub(order.reserved)
    order.reserved = ZERO
  }

  private account(currency: string): Account {
    let a = this.accounts.get(currency)
    if (a === undefined) {
      a = { total: ZERO, used: ZERO }
      this.accounts.set(currency, a)
    }
    return a
  }

  // ---- Listener delivery -----------------------------------------------------------------------------

  private send(item: Outgoing): void {
    this.outbox.push(item)
    if (item.order !== undefined && item.order.status !== 'open') this.retire(item.order.clientOrderId)
  }

  /**
   * An order that can no longer trade (every such change is sent) leaves the working orders and joins the
   * finished ones; the oldest finished ones beyond `keepFinished` are forgotten.
   */
  private retire(clientOrderId: string): void {
    const order = this.byClientId.get(clientOrderId)
    // Sent as finished before: listed once.
    if (order === undefined || !this.byNum.delete(order.num)) return
    this.finished.push(clientOrderId)
    if (this.finished.length - this.finishedHead > this.keepFinished) {
      const forget = this.finished[this.finishedHead++]!
      const old = this.byClientId.get(forget)
      if (old !== undefined && old.status !== 'open') this.byClientId.delete(forget)
      if (this.finishedHead >= this.keepFinished) {
        this.finished = this.finished.slice(this.finishedHead)
        this.finishedHead = 0
      }
    }
  }

  /**
   * Delivers queued updates in order. Updates are queued while the book matches and delivered afterwards,
   * so a listener that reacts (creates or cancels an order) never re-enters a match in progress. Items are
   * taken off the queue before delivery: a listener that throws never gets the same update twice.
   */
  private flush(): void {
    if (this.flushing) return
    this.flushing = true
    try {
      const box = this.outbox
      while (box.length > 0) {
        const item = box.shift()!
        for (const l of this.listeners) {
          if (item.trade !== undefined) l.onTrade(item.trade)
          else l.onOrder(item.order)
        }
      }
    } finally {
      this.flushing = false
    }
  }
}
