/**
 * @module execution/order-manager
 * Order management: turns intents into orders with deterministic client ids, passes each through the
 * pre-trade risk gateway, sends approved ones to their venue and keeps every order's state by applying the
 * venue's pushed updates through the order state machine. A lost response (network error, timeout) is
 * resolved by looking the order up by its client id — never by sending it again.
 *
 * An order is settled only by the venue's word:
 * - An order sent but not acknowledged is looked up by client id every `inFlightCheckMs` and declared rejected
 *   only once the venue can no longer accept it (its accept window, e.g. Binance's recvWindow, has passed).
 *   To keep that window bounded, an order whose durable record took longer than `sendGraceMs` is not sent.
 * - A cancel is done when the venue confirms it or reports the order finished. A cancel that fails is retried
 *   with backoff (honouring Retry-After) until then; a cancel the venue answers with "unknown order" is
 *   checked by looking the order up (it may have filled, or not have arrived yet) and retried while the order
 *   may still exist. Every failed attempt is published as a `cancel_rejected` order event.
 */
import type { Component, EngineEvents, EventBus, OrderIntent, Clock } from '../engine/index.js'
import type { Decimal, OrderEvent, Trade } from '../model/index.js'
import {
  InvariantViolation,
  NetworkError,
  Order,
  OrderNotFound,
  ZERO,
  checkOptions,
  isTriggerOrder,
  triggerDirectionOf,
  dec,
} from '../model/index.js'
import type { Instrument, OrderOptions } from '../model/index.js'
import { applyPositionOverride } from '../risk/index.js'
import type { OwnRestingOrders, PreTradeRisk, RiskContext } from '../risk/index.js'
import type { CancelReport, OrderRequest, Venue, VenueOrder } from '../venues/venue.js'
import { clientOrderId } from './client-order-id.js'
import { cancelRetryDelay } from './retry.js'
import { OrderEmulator, emulatedAsOrder } from './emulator.js'
import type { EmulatedOrder, EmulatorChange } from './emulator.js'

export interface OrderManagerOptions {
  readonly bus: EventBus<EngineEvents>
  readonly clock: Clock
  readonly venues: readonly Venue[]
  readonly risk: PreTradeRisk
  /**
   * What the risk checks see of the account and market. Free balances (totals less open-order reservations)
   * and open-order counts are completed here: the order manager is the one that knows the open orders.
   */
  readonly accountView: Omit<RiskContext, 'freeBalance' | 'openOrderCount' | 'restingOwn'> & { totalBalance(venue: string, asset: string): Decimal }
  /** Position override: a size multiplier (e.g. 0.1 after a rollback) applied to each intent before the checks. */
  readonly sizeMultiplier?: (strategyId: string) => Decimal
  /** Next intent sequence per strategy (restored from the store after a restart). */
  readonly sequences?: ReadonlyMap<string, number>
  /** Finished orders kept for lookups; older ones are dropped (counters keep the totals). */
  readonly keepFinished?: number
  /**
   * Durability barrier run after an order is recorded and before it is sent: the order and every fill seen
   * so far must be stored first, so a crash can never leave an order at the venue that the store does not
   * know, nor act on a fill the store could lose. A returned promise delays the send until it resolves;
   * if it rejects, the order is not sent.
   */
  readonly beforeSend?: () => void | Promise<void>
  /**
   * Last look before an approved order leaves (after the durability barrier): a reason not to send it after
   * all (the kill switch tripped while it was being recorded), or undefined to send.
   */
  readonly sendGate?: (order: Order) => string | undefined
  /** The store's tag in every client order id (identity + restore epoch; see client-order-id). */
  readonly idTag?: string
  /** How often an unanswered order or a failing cancel is looked at again, ms (default 2 000). */
  readonly inFlightCheckMs?: number
  /** The longest an approved order may wait for its durable record before it is sent, ms (default 2 000). */
  readonly sendGraceMs?: number
  /** Emulated trigger orders of an earlier run (from the store), worked again. */
  readonly emulated?: readonly EmulatedOrder[]
  /** The emulated orders changed: keep the list (store) and record what happened (audit). */
  readonly onEmulated?: (list: readonly EmulatedOrder[], change: EmulatorChange, order: EmulatedOrder, detail?: Record<string, unknown>) => void
}

/** What a cancel-all came to, by the venues' word. */
export type { CancelReport }

interface CancelWatch {
  attempts: number
  inFlight: boolean
  timer: NodeJS.Timeout | undefined
}

export interface OrderCounters {
  submitted: number
  denied: number
  rejected: number
  canceled: number
  filled: number
  fills: number
}

export class OrderManager implements Component {
  readonly name = 'execution'
  private readonly rejections = new Map<string, number>()
  private readonly denials = new Map<string, number>()
  /** What each working buy holds (see quoteHeld), by the remaining and instrument it was made from. */
  private readonly held = new WeakMap<Order, { remaining: Decimal; inst: Instrument; value: Decimal }>()
  readonly counters: OrderCounters = { submitted: 0, denied: 0, rejected: 0, canceled: 0, filled: 0, fills: 0 }
  private readonly bus: EventBus<EngineEvents>
  private readonly clock: Clock
  private readonly risk: PreTradeRisk
  private readonly venues = new Map<string, Venue>()
  private readonly orders = new Map<string, Order>()
  private readonly open = new Set<Order>()
  /** Finished order ids, oldest first from `finishedHead` (a queue without O(n) shifts). */
  private finished: string[] = []
  private finishedHead = 0
  private readonly sequences: Map<string, number>
  private readonly keepFinished: number
  private readonly riskView: RiskContext
  private readonly sizeMultiplier: ((strategyId: string) => Decimal) | undefined
  private readonly beforeSend: (() => void | Promise<void>) | undefined
  private stopped = false
  private disposed = false
  private readonly sendGate: ((order: Order) => string | undefined) | undefined
  private readonly idTag: string | undefined
  private readonly checkMs: number
  private readonly sendGraceMs: number
  /** Orders whose cancel is wanted until the venue settles them. */
  private readonly cancelling = new Map<string, CancelWatch>()
  /** When each order still working left for its venue (wall clock), for its accept deadline. */
  private readonly sentAt = new Map<string, number>()
  /** Orders submitted by this process and still waiting for their record to land before being sent. */
  private readonly unsent = new Set<string>()
  /** Orders sent without an answer, being looked up. */
  private readonly inFlight = new Map<string, NodeJS.Timeout>()
  /** Venue updates for ids we never sent (found by resync in the live issue); kept for operators. */
  readonly unknownUpdates: string[] = []
  /** Trigger and trailing orders for venues that cannot take them, worked here (see execution/emulator). */
  readonly emulator: OrderEmulator
  private readonly emulatedViews = new WeakMap<EmulatedOrder, Order>()
  /** While a bracket's exits are made: the ones to send together as an order list (see `afterBracket`). */
  private pairing: { parentId: string; items: { order: Order; request: OrderRequest }[] } | undefined

  constructor(options: OrderManagerOptions) {
    this.bus = options.bus
    this.clock = options.clock
    this.risk = options.risk
    this.sequences = new Map(options.sequences ?? [])
    this.keepFinished = options.keepFinished ?? 10_000
    this.beforeSend = options.beforeSend
    this.sizeMultiplier = options.sizeMultiplier
    this.sendGate = options.sendGate
    this.idTag = options.idTag
    this.checkMs = options.inFlightCheckMs ?? 2_000
    this.sendGraceMs = options.sendGraceMs ?? 2_000
    const onEmulated = options.onEmulated
    this.emulator = new OrderEmulator(
      {
        fire: (e, level) => this.fireEmulated(e, level),
        onChange: (list, change, order, detail) => {
          onEmulated?.(list, change, order, detail)
          if (change === 'canceled') {
            // Its strategy hears of it as of any order of its own that ends (onOrder), as a venue's cancel would say.
            const view = emulatedAsOrder(order)
            view.apply({ type: 'canceled', timestamp: this.clock.now() })
            this.bus.publish('emulatedCanceled', { order: view, reason: typeof detail?.['reason'] === 'string' ? detail['reason'] : 'canceled' })
          }
        },
      },
      options.emulated,
    )
    this.bus.on('market', (e) => this.emulator.onMarket(e))
    const view = options.accountView
    this.riskView = {
      now: () => view.now(),
      instrument: (v, s) => view.instrument(v, s),
      lastPrice: (v, s) => view.lastPrice(v, s),
      position: (v, s) => view.position(v, s),
      grossExposure: () => view.grossExposure(),
      dailyPnl: () => view.dailyPnl(),
      equity: () => view.equity(),
      tradingState: (id) => view.tradingState(id),
      freeBalance: (v, a) => view.totalBalance(v, a).sub(this.reserved(v, a)),
      openOrderCount: (filter) => this.openOrderCount(filter),
      restingOwn: (v, s) => this.restingOwn(v, s),
    }
    for (const venue of options.venues) {
      this.venues.set(venue.id, venue)
      venue.subscribe({
        onOrder: (update) => this.onVenueOrder(update),
        onTrade: (trade) => this.onVenueTrade(trade),
      })
    }
  }

  /** Balance of an asset not reserved by open orders. */
  freeBalance(venue: string, asset: string): Decimal {
    return this.riskView.freeBalance(venue, asset)
  }

  /** Rejections by the venue this session, counted by reason (at most 1,000 distinct reasons). */
  /** Denied intents by code: the risk engine's and the order manager's own (options, reduce-only, stopping). */
  denialCodes(): ReadonlyMap<string, number> {
    return this.denials
  }

  rejectionReasons(): ReadonlyMap<string, number> {
    return this.rejections
  }

  /** An order by its client id: one this session sent or restored, or one Sofia emulates (see `waiting`). */
  order(clientOrderId: string): Order | undefined {
    const order = this.orders.get(clientOrderId)
    if (order !== undefined) return order
    const e = this.emulator.get(clientOrderId)
    return e === undefined ? undefined : this.emulatedView(e)
  }

  /**
   * Orders Sofia works itself for a venue that cannot take them (trigger and trailing orders waiting for
   * their price), as `Order`s in state `created`: nothing is at the venue yet. Not among `openOrders`, which
   * are what the venues hold; a strategy sees both (its context's `openOrders`), as it would had the venue
   * taken them.
   */
  waiting(filter?: { strategyId?: string; venue?: string; symbol?: string }): Order[] {
    return this.emulator.list(filter).map((e) => this.emulatedView(e))
  }

  private emulatedView(e: EmulatedOrder): Order {
    let view = this.emulatedViews.get(e)
    if (view === undefined) {
      view = emulatedAsOrder(e)
      this.emulatedViews.set(e, view)
    }
    return view
  }

  openOrders(filter?: { strategyId?: string; venue?: string; symbol?: string }): Order[] {
    const out: Order[] = []
    for (const o of this.open) {
      if (filter?.strategyId !== undefined && o.strategyId !== filter.strategyId) continue
      if (filter?.venue !== undefined && o.venue !== filter.venue) continue
      if (filter?.symbol !== undefined && o.symbol !== filter.symbol) continue
      out.push(o)
    }
    return out
  }

  /** Venues this order manager sends to. */
  venueIds(): string[] {
    return [...this.venues.keys()]
  }

  openOrderCount(filter?: { readonly strategyId?: string; readonly venue?: string }): number {
    if (filter === undefined) return this.open.size
    let n = 0
    for (const o of this.open) {
      if (filter.strategyId !== undefined && o.strategyId !== filter.strategyId) continue
      if (filter.venue !== undefined && o.venue !== filter.venue) continue
      n++
    }
    return n
  }

  /**
   * The highest own buy and lowest own sell that may rest on the venue's book for a market: open limit orders,
   * pending cancels and unanswered placements included (the venue may still hold them); trigger orders, which
   * wait off the book, left out.
   */
  restingOwn(venue: string, symbol: string): OwnRestingOrders {
    let buy: Order | undefined
    let sell: Order | undefined
    for (const o of this.open) {
      if (o.venue !== venue || o.symbol !== symbol || o.price === undefined || o.type !== 'limit') continue
      if (isTriggerOrder(o.options)) continue
      if (o.side === 'buy') {
        if (buy === undefined || o.price.gt(buy.price!)) buy = o
      } else if (sell === undefined || o.price.lt(sell.price!)) sell = o
    }
    return {
      ...(buy !== undefined ? { buy: { price: buy.price!, clientOrderId: buy.clientOrderId } } : {}),
      ...(sell !== undefined ? { sell: { price: sell.price!, clientOrderId: sell.clientOrderId } } : {}),
    }
  }

  nextSequence(strategyId: string): number {
    return this.sequences.get(strategyId) ?? 0
  }

  start(): void {
    this.stopped = false
  }

  /**
   * After stop nothing more is sent: late intents are denied (venue updates are still applied, and cancels
   * already wanted go on being retried until `dispose`).
   */
  stop(): void {
    this.stopped = true
  }

  /** Ends every retry and look-up timer (the venues are going away). */
  dispose(): void {
    this.stopped = true
    this.disposed = true
    for (const w of this.cancelling.values()) if (w.timer !== undefined) clearTimeout(w.timer)
    for (const t of this.inFlight.values()) clearTimeout(t)
    this.inFlight.clear()
  }

  /** Risk-checks an intent and, when approved, sends it. Returns the order in its resulting state. */
  submit(intent: OrderIntent): Order {
    return this.place(intent)
  }

  /** `submit`, under `fixedId` when given (a fired emulated order keeps its id, never sent before). */
  private place(intent: OrderIntent, fixedId?: string): Order {
    let id = fixedId
    if (id === undefined) {
      const seq = this.nextSequence(intent.strategyId)
      this.sequences.set(intent.strategyId, seq + 1)
      id = clientOrderId(intent.strategyId, seq, this.idTag)
    }
    const venue = this.venues.get(intent.venue)
    const multiplier = this.sizeMultiplier?.(intent.strategyId)
    const amount =
      multiplier === undefined || multiplier.gte(1) || venue === undefined
        ? intent.amount
        : applyPositionOverride(intent.amount, multiplier, this.riskView.instrument(intent.venue, intent.symbol))
    const options = intent.options === undefined ? undefined : this.withDirection(intent)
    const order = new Order({
      clientOrderId: id,
      strategyId: intent.strategyId,
      venue: intent.venue,
      symbol: intent.symbol,
      type: intent.type,
      side: intent.side,
      amount,
      timestamp: this.clock.now(),
      ...(intent.price !== undefined ? { price: intent.price } : {}),
      ...(intent.decisionPrice !== undefined ? { decisionPrice: intent.decisionPrice } : {}),
      ...(intent.tag !== undefined ? { tag: intent.tag } : {}),
      ...(options !== undefined ? { options } : {}),
    })
    this.orders.set(order.clientOrderId, order)
    const unsupported = options === undefined || venue === undefined ? undefined : this.optionsProblem(order, venue)
    const verdict = this.stopped
      ? { approved: false as const, code: 'ENGINE_STOPPED', reason: 'the session is stopping' }
      : venue === undefined
        ? { approved: false as const, code: 'UNKNOWN_VENUE', reason: `no venue '${intent.venue}'` }
        : unsupported !== undefined
          ? { approved: false as const, code: 'INVALID_ORDER', reason: unsupported }
          : options?.reduceOnly === true && !this.reduces(order)
            ? { approved: false as const, code: 'REDUCE_ONLY_ORDER', reason: `reduce-only ${order.side} ${order.amount.toString()} would not reduce position ${this.riskView.position(order.venue, order.symbol).toString()} on ${order.venue}:${order.symbol}` }
            : this.risk.check(order, this.riskView)
    if (!verdict.approved) {
      this.counters.denied++
      this.denials.set(verdict.code, (this.denials.get(verdict.code) ?? 0) + 1)
      this.transition(order, { type: 'denied', timestamp: this.clock.now(), code: verdict.code, reason: verdict.reason })
      this.bus.publish('denied', { order, code: verdict.code, reason: verdict.reason })
      return order
    }
    if (options !== undefined && this.emulates(order, venue!)) {
      // Worked here until its trigger fires: nothing is sent now (see execution/emulator).
      this.orders.delete(order.clientOrderId)
      const last = this.riskView.lastPrice(order.venue, order.symbol)
      this.emulator.add({
        id: order.clientOrderId,
        strategyId: order.strategyId,
        venue: order.venue,
        symbol: order.symbol,
        side: order.side,
        type: order.type,
        amount: order.amount,
        price: order.price,
        options: { ...options, ...(order.tag !== undefined ? { tag: order.tag } : {}) },
        now: this.clock.now(),
        last,
      })
      return order
    }
    this.counters.submitted++
    this.open.add(order)
    this.transition(order, { type: 'submitted', timestamp: this.clock.now() })
    const request: OrderRequest = {
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      type: order.type,
      side: order.side,
      amount: order.amount,
      ...(order.price !== undefined ? { price: order.price } : {}),
      ...(options !== undefined ? { options: venueOptions(options) } : {}),
    }
    if (this.pairing !== undefined && options?.parentId === this.pairing.parentId) this.pairing.items.push({ order, request })
    else this.launch([{ order, request }], venue!)
    return order
  }

  /**
   * Sends orders once they are durable (`beforeSend`), each through the last look; two exits of a bracket
   * that both pass it go as one order list where the venue takes one (see `afterBracket`).
   */
  private launch(items: readonly { order: Order; request: OrderRequest }[], venue: Venue, listClientOrderId?: string): void {
    const send = (): void => {
      const ready = items.filter((it) => this.passesLastLook(it.order, venue))
      for (const it of ready) this.sentAt.set(it.order.clientOrderId, Date.now())
      if (ready.length === 2 && listClientOrderId !== undefined && venue.createOrderList !== undefined) {
        const [a, b] = ready as [(typeof items)[number], (typeof items)[number]]
        venue.createOrderList([a.request, b.request], listClientOrderId).then(
          (acks) => acks.forEach((ack) => this.onVenueOrder(ack)),
          (error: unknown) => ready.forEach((it) => this.onSendFailed(it.order, error)),
        )
        return
      }
      for (const { order, request } of ready) {
        venue.createOrder(request).then(
          (ack) => this.onVenueOrder(ack),
          (error: unknown) => this.onSendFailed(order, error),
        )
      }
    }
    const barrier = this.beforeSend?.()
    if (barrier === undefined) send()
    else {
      for (const it of items) this.unsent.add(it.order.clientOrderId)
      barrier.then(send, (error: unknown) => {
        for (const { order } of items) {
          this.unsent.delete(order.clientOrderId)
          this.cancelDone(order)
          // Not durable, so not sent: the venue never sees an order the store may not know.
          if (order.state === 'submitted' || order.state === 'pending_cancel') this.reject(order, `not sent: store unavailable (${describe(error)})`)
        }
      })
    }
  }

  /** Whether a recorded order may go now; if not it is settled here (canceled or rejected, never sent). */
  private passesLastLook(order: Order, venue: Venue): boolean {
    this.unsent.delete(order.clientOrderId)
    // Canceled while being recorded: it never left this process, so it is canceled here and now.
    if (this.cancelling.has(order.clientOrderId) && (order.state === 'submitted' || order.state === 'pending_cancel')) {
      this.cancelDone(order)
      this.counters.canceled++
      this.transition(order, { type: 'canceled', timestamp: this.clock.now() })
      return false
    }
    // The last look: a halt may have come while the order was being recorded, and an order recorded too
    // slowly would leave its accept window unbounded.
    const late = venue.acceptWindowMs?.() !== undefined && this.clock.now() - order.timestamp > this.sendGraceMs
    const gate =
      this.cancelling.has(order.clientOrderId) || order.state !== 'submitted'
        ? 'canceled before it was sent'
        : this.stopped
          ? 'the session is stopping'
          : late
            ? `its record took more than ${this.sendGraceMs} ms`
            : this.sendGate?.(order)
    if (gate !== undefined) {
      this.cancelDone(order)
      if (order.state === 'submitted' || order.state === 'pending_cancel') this.reject(order, `not sent: ${gate}`)
      return false
    }
    return true
  }

  /** The intent's options with the direction of its trigger fixed now, from the price the order was made at. */
  private withDirection(intent: OrderIntent): OrderOptions {
    const o = intent.options!
    if (o.triggerDirection !== undefined || !isTriggerOrder(o)) return o
    const last = this.riskView.lastPrice(intent.venue, intent.symbol)
    const direction = triggerDirectionOf(o, intent.side, last === undefined ? intent.decisionPrice : dec(last))
    return direction === undefined ? o : { ...o, triggerDirection: direction }
  }

  /**
   * A reduce-only order reduces the position it is sent against: opposite side, no larger. Spot venues have
   * no such flag, so this check, when the order is sent, is what makes it true.
   */
  private reduces(order: Order): boolean {
    const position = this.riskView.position(order.venue, order.symbol)
    if (position.isZero() || !order.amount.gt(0)) return false
    return position.isPositive() ? order.side === 'sell' && order.amount.lte(position) : order.side === 'buy' && order.amount.lte(position.abs())
  }

  /** Why an order's options cannot be sent to its venue, or undefined. */
  private optionsProblem(order: Order, venue: Venue): string | undefined {
    const o = order.options
    const bad = checkOptions(o, order)
    if (bad !== undefined) return bad
    const tif = o.timeInForce
    const need =
      o.trailingPercent !== undefined
        ? 'trailing'
        : o.triggerPrice !== undefined
          ? 'trigger'
          : tif === 'PO'
            ? 'postOnly'
            : tif !== undefined && tif !== 'GTC'
              ? 'timeInForce'
              : undefined
    if (need === undefined || venue.supports?.(need) === true) return undefined
    if (need === 'trigger' || need === 'trailing') return undefined // emulated
    const what = { trailing: 'trailing stops', trigger: 'stop and take-profit (trigger) orders', postOnly: 'post-only orders', timeInForce: `timeInForce ${tif}` }[need]
    return `venue ${venue.id} does not take ${what}`
  }

  /** A trigger or trailing order its venue cannot take: Sofia works it. */
  private emulates(order: Order, venue: Venue): boolean {
    const o = order.options
    if (o.trailingPercent !== undefined) return venue.supports?.('trailing', { symbol: order.symbol, side: order.side, options: o }) !== true
    if (o.triggerPrice !== undefined) return venue.supports?.('trigger') !== true
    return false
  }

  /** An emulated order's trigger fired: its order goes out now, through the checks like any other. */
  private fireEmulated(e: EmulatedOrder, level: number): string | undefined {
    // Already sent under this id (an earlier run fired it and stopped before its list was kept): never again.
    if (this.orders.has(e.id)) return e.id
    // Under its own id: the strategy follows the same order from waiting to filled, as at a venue that took it.
    const order = this.place(
      {
        strategyId: e.strategyId,
        venue: e.venue,
        symbol: e.symbol,
        side: e.side,
        type: e.type,
        amount: dec(e.amount),
        ...(e.price !== null ? { price: dec(e.price) } : {}),
        decisionPrice: dec(level.toPrecision(12)),
        ...(e.tag !== null ? { tag: e.tag } : {}),
        options: { ...(e.reduceOnly ? { reduceOnly: true } : {}), ...(e.parentId !== null ? { parentId: e.parentId } : {}) },
      },
      e.id,
    )
    return order.state === 'denied' ? undefined : order.clientOrderId
  }

  /**
   * Bracket and one-cancels-other, after an order's event: an entry with stopLossPrice/takeProfitPrice that
   * has finished with something filled gets its protective exits (reduce-only, for what it filled); an exit
   * that trades cancels its siblings.
   */
  private afterBracket(order: Order, event: OrderEvent, wasTerminal: boolean): void {
    const o = order.options
    if (o.parentId !== undefined && event.type === 'filled') {
      for (const sibling of this.open) {
        if (sibling !== order && sibling.options.parentId === o.parentId) this.cancel(sibling.clientOrderId)
      }
      for (const e of this.emulator.list()) if (e.parentId === o.parentId) this.emulator.cancel(e.id, `one-cancels-other: ${order.clientOrderId} traded`)
      return
    }
    if (o.stopLossPrice === undefined && o.takeProfitPrice === undefined) return
    if (!order.isTerminal || wasTerminal || order.filled.isZero()) return
    const exit = { strategyId: order.strategyId, venue: order.venue, symbol: order.symbol, side: order.side === 'buy' ? 'sell' : 'buy', type: 'market', amount: order.filled } as const
    const direction = order.side === 'buy' ? ({ sl: 'below', tp: 'above' } as const) : ({ sl: 'above', tp: 'below' } as const)
    // Both exits at a venue with order lists go as one (OCO): two separate orders would each hold what the
    // entry bought, and a spot account holding only that could not place the second.
    const venue = this.venues.get(order.venue)
    const asList = o.stopLossPrice !== undefined && o.takeProfitPrice !== undefined && venue?.createOrderList !== undefined && venue.supports?.('oco') === true
    if (asList) this.pairing = { parentId: order.clientOrderId, items: [] }
    try {
      if (o.stopLossPrice !== undefined) {
        this.submit({ ...exit, tag: 'stop-loss', decisionPrice: o.stopLossPrice, options: { triggerPrice: o.stopLossPrice, triggerDirection: direction.sl, reduceOnly: true, parentId: order.clientOrderId } })
      }
      if (o.takeProfitPrice !== undefined) {
        this.submit({ ...exit, tag: 'take-profit', decisionPrice: o.takeProfitPrice, options: { triggerPrice: o.takeProfitPrice, triggerDirection: direction.tp, reduceOnly: true, parentId: order.clientOrderId } })
      }
    } finally {
      const items = this.pairing?.items ?? []
      this.pairing = undefined
      // One exit denied or worked in Sofia: the other goes alone.
      if (items.length > 0) this.launch(items, venue!, items.length === 2 ? order.clientOrderId : undefined)
    }
  }

  /**
   * Takes back a working order recovered from the store after a restart (with its state, fills so far and
   * venue id); venue updates for it are then applied as for any order.
   */
  adopt(order: Order): void {
    if (this.orders.has(order.clientOrderId)) throw new InvariantViolation(`order ${order.clientOrderId} adopted twice`)
    this.orders.set(order.clientOrderId, order)
    if (!order.isTerminal) this.open.add(order)
  }

  /**
   * Asks the venue to cancel an order (working, pending-cancel or still in flight) and keeps asking until the
   * venue settles it: canceled, filled, or — for an order it never received — no longer acceptable.
   */
  cancel(clientOrderId: string): void {
    if (this.emulator.cancel(clientOrderId, 'canceled')) return
    const order = this.orders.get(clientOrderId)
    if (order === undefined || order.isTerminal || order.state === 'created') return
    if (!this.venues.has(order.venue)) return
    const watch = this.cancelling.get(clientOrderId)
    if (watch !== undefined) {
      // Already wanted: a waiting retry goes now; one on its way is left to answer.
      if (!watch.inFlight && watch.timer !== undefined) {
        clearTimeout(watch.timer)
        watch.timer = undefined
        this.sendCancel(order, watch)
      }
      return
    }
    const w: CancelWatch = { attempts: 0, inFlight: false, timer: undefined }
    this.cancelling.set(clientOrderId, w)
    // Not sent yet (its record is still being written): the send sees the cancel and settles it; asking the
    // venue now would only hear of an order it has not seen.
    if (this.unsent.has(clientOrderId)) return
    this.sendCancel(order, w)
  }

  /** Cancels every open order matching the filter, pending and in-flight ones included; returns how many. */
  cancelAll(filter?: { strategyId?: string; venue?: string; symbol?: string }): number {
    const emulated = this.emulator.cancelAll(filter, 'cancel-all')
    const targets = this.openOrders(filter)
    for (const o of targets) this.cancel(o.clientOrderId)
    for (const p of this.ownOrdersOf(filter)) p.catch(() => undefined)
    return targets.length + emulated
  }

  /**
   * The venues' own orders beside the session's (a mode router's canary copies), asked to be cancelled:
   * part of every cancel-all that is not one strategy's (a strategy's copies go with its own orders).
   */
  private ownOrdersOf(filter: { strategyId?: string; venue?: string; symbol?: string } | undefined, timeoutMs = 0): Promise<CancelReport>[] {
    if (filter?.strategyId !== undefined) return []
    const out: Promise<CancelReport>[] = []
    for (const [id, venue] of this.venues) if ((filter?.venue === undefined || filter.venue === id) && venue.cancelOwnOrders !== undefined) out.push(venue.cancelOwnOrders(filter?.symbol, timeoutMs))
    return out
  }

  /**
   * Cancels every open order matching the filter and waits (up to `timeoutMs`) for the venues to settle them.
   * Nothing unconfirmed is counted as canceled: what is still working is `pending`, and its cancel goes on.
   */
  async cancelAllConfirmed(filter?: { strategyId?: string; venue?: string; symbol?: string }, timeoutMs = 5_000): Promise<CancelReport> {
    // Emulated orders were never sent: dropping them here is their cancel.
    const emulated = this.emulator.list(filter).map((e) => e.id)
    this.emulator.cancelAll(filter, 'cancel-all')
    const targets = this.openOrders(filter)
    for (const o of targets) this.cancel(o.clientOrderId)
    const deadline = Date.now() + timeoutMs
    const own = Promise.all(this.ownOrdersOf(filter, timeoutMs))
    while (targets.some((o) => !o.isTerminal) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const by = (pred: (o: Order) => boolean): string[] => targets.filter(pred).map((o) => o.clientOrderId)
    const errors: Record<string, string> = {}
    for (const o of targets) {
      const e = this.cancelErrors.get(o.clientOrderId)
      if (e !== undefined) errors[o.clientOrderId] = e
    }
    const reports = await own
    return {
      requested: targets.length + emulated.length + reports.reduce((n, r) => n + r.requested, 0),
      canceled: [...emulated, ...by((o) => o.state === 'canceled' || o.state === 'expired'), ...reports.flatMap((r) => r.canceled)],
      filled: [...by((o) => o.state === 'closed'), ...reports.flatMap((r) => r.filled)],
      rejected: [...by((o) => o.state === 'rejected'), ...reports.flatMap((r) => r.rejected)],
      pending: [...by((o) => !o.isTerminal), ...reports.flatMap((r) => r.pending)],
      errors: Object.assign(errors, ...reports.map((r) => r.errors)) as Record<string, string>,
    }
  }

  /** Orders whose cancel is wanted but not yet confirmed by their venue. */
  unconfirmedCancels(): Order[] {
    const out: Order[] = []
    for (const id of this.cancelling.keys()) {
      const o = this.orders.get(id)
      if (o !== undefined && !o.isTerminal) out.push(o)
    }
    return out
  }

  /** The last failure of each order's cancel (kept while the order is kept, for cancel reports). */
  private readonly cancelErrors = new Map<string, string>()

  private sendCancel(order: Order, w: CancelWatch): void {
    if (this.disposed) return
    if (order.isTerminal) {
      this.cancelling.delete(order.clientOrderId)
      return
    }
    const venue = this.venues.get(order.venue)!
    if (order.state === 'submitted' || order.state === 'open') this.transition(order, { type: 'cancel_requested', timestamp: this.clock.now() })
    w.attempts++
    w.inFlight = true
    venue.cancelOrder(order.clientOrderId, order.symbol).then(
      (update) => {
        w.inFlight = false
        this.onVenueOrder(update)
        if (order.isTerminal) this.cancelDone(order)
        else this.retryCancel(order, w, `the venue answered the cancel with status ${update.status}`)
      },
      (error: unknown) => {
        w.inFlight = false
        if (order.isTerminal) return this.cancelDone(order)
        if (error instanceof OrderNotFound) return this.cancelNotFound(order, w, error)
        this.cancelFailed(order, w, error)
      },
    )
  }

  /** The venue does not know the order by that id: it finished, or has not arrived yet. Its own record says. */
  private cancelNotFound(order: Order, w: CancelWatch, cause: Error): void {
    const venue = this.venues.get(order.venue)!
    w.inFlight = true
    venue.fetchOrder(order.clientOrderId, order.symbol).then(
      (found) => {
        w.inFlight = false
        this.onVenueOrder(found)
        // Finished at the venue (filled, say, with its fills still on their way): nothing left to cancel.
        if (order.isTerminal || found.status !== 'open') return this.cancelDone(order)
        // Found and still working (a cancel that overtook its order): ask again.
        this.cancelFailed(order, w, cause)
      },
      (lookupError: unknown) => {
        w.inFlight = false
        if (order.isTerminal) return this.cancelDone(order)
        if (lookupError instanceof OrderNotFound && order.venueOrderId === undefined && this.mayStillArrive(order)) {
          // Never acknowledged and still inside its accept window: it may yet arrive.
          return this.cancelFailed(order, w, cause)
        }
        if (lookupError instanceof OrderNotFound) {
          this.closeUnknown(order.clientOrderId, order.venueOrderId === undefined ? 'never reached the venue (cancel: unknown order)' : 'the venue has no record of it')
          return this.cancelDone(order)
        }
        this.cancelFailed(order, w, lookupError)
      },
    )
  }

  private cancelFailed(order: Order, w: CancelWatch, error: unknown): void {
    const reason = describe(error)
    // An acknowledged order is open again until the next attempt; one still in flight stays pending-cancel.
    if (order.state === 'pending_cancel' && order.venueOrderId !== undefined) this.transition(order, { type: 'cancel_rejected', timestamp: this.clock.now(), reason })
    else if (!order.isTerminal) this.bus.publish('order', { order, event: { type: 'cancel_rejected', timestamp: this.clock.now(), reason } })
    this.retryCancel(order, w, reason, error)
  }

  private retryCancel(order: Order, w: CancelWatch, reason: string, error?: unknown): void {
    if (this.disposed || order.isTerminal) return this.cancelDone(order)
    this.cancelErrors.set(order.clientOrderId, reason)
    const after = cancelRetryDelay(w.attempts, error)
    w.timer = setTimeout(() => {
      w.timer = undefined
      this.sendCancel(order, w)
    }, after)
    w.timer.unref?.()
  }

  private cancelDone(order: Order): void {
    const w = this.cancelling.get(order.clientOrderId)
    if (w?.timer !== undefined) clearTimeout(w.timer)
    this.cancelling.delete(order.clientOrderId)
  }

  /** Whether the venue may still accept an order it has not answered for (its accept window is open). */
  private mayStillArrive(order: Order): boolean {
    const deadline = this.acceptDeadline(order)
    return deadline !== undefined && Date.now() <= deadline
  }

  /** When an unanswered order can no longer be accepted by its venue (ms), or undefined for at once. */
  acceptDeadline(order: Order): number | undefined {
    const window = this.venues.get(order.venue)?.acceptWindowMs?.()
    if (window === undefined) return undefined
    // Sent by this process: from the send; recovered after a restart: the latest it can have been sent.
    return (this.sentAt.get(order.clientOrderId) ?? order.timestamp + this.sendGraceMs) + window
  }

  /** Applies an order update found outside the pushed stream (resync): the same path as a pushed one. */
  applyVenueOrder(update: VenueOrder): void {
    this.onVenueOrder(update)
  }

  /** Applies a fill found outside the pushed stream (resync); false when it was already applied. */
  applyVenueTrade(trade: Trade): boolean {
    const before = this.counters.fills
    this.onVenueTrade(trade)
    return this.counters.fills > before
  }

  /**
   * Closes a working order its venue has no record of (resync): rejected when it was never acknowledged,
   * canceled otherwise. Returns whether it changed.
   */
  closeUnknown(clientOrderId: string, reason: string): boolean {
    const order = this.orders.get(clientOrderId)
    if (order === undefined || order.isTerminal) return false
    this.cancelDone(order)
    if (order.state === 'submitted' || order.state === 'created' || (order.state === 'pending_cancel' && order.venueOrderId === undefined)) {
      if (order.state === 'created') order.apply({ type: 'submitted', timestamp: this.clock.now() })
      this.reject(order, reason)
    } else {
      this.counters.canceled++
      this.transition(order, { type: 'canceled', timestamp: this.clock.now() })
    }
    return true
  }

  /**
   * Takes in a fill the account made outside Sofia (another tool, a person on the exchange's site) as an
   * external order of strategy `external`, filled by that trade: the ledger and the store then hold what the
   * account holds. Returns the order, or undefined when that trade was already taken in.
   */
  adoptExternalFill(trade: Trade): Order | undefined {
    const clientOrderId = `ext-${trade.venue}-${trade.id}`.slice(0, 64)
    if (this.orders.has(clientOrderId)) return undefined
    const order = new Order({
      clientOrderId,
      strategyId: 'external',
      venue: trade.venue,
      symbol: trade.symbol,
      type: 'market',
      side: trade.side,
      amount: trade.amount,
      timestamp: trade.timestamp,
      decisionPrice: trade.price,
    })
    this.orders.set(clientOrderId, order)
    this.open.add(order)
    this.transition(order, { type: 'submitted', timestamp: trade.timestamp })
    this.transition(order, { type: 'accepted', timestamp: trade.timestamp, venueOrderId: trade.order !== '' ? trade.order : clientOrderId })
    this.onVenueTrade({ ...trade, clientOrderId })
    return order
  }

  /** Quote or base held back by open orders on a venue. */
  reserved(venue: string, asset: string): Decimal {
    let total = ZERO
    for (const o of this.open) {
      // A triggered order holds nothing until it fires (the venue checks the funds then).
      if (o.venue !== venue || isTriggerOrder(o.options)) continue
      const inst = this.riskView.instrument(o.venue, o.symbol)
      if (o.side === 'sell' && inst.base === asset) total = total.add(o.remaining)
      if (o.side === 'buy' && inst.quote === asset) {
        const price = o.price ?? o.decisionPrice
        if (price !== undefined) total = total.add(this.quoteHeld(o, inst, price))
      }
    }
    return total
  }

  /**
   * The quote a working buy holds, remaining × price × (1 + taker fee): made again only when its remaining (a new
   * Decimal after each fill) or its instrument is another; the price of an order does not change.
   */
  private quoteHeld(o: Order, inst: Instrument, price: Decimal): Decimal {
    const remaining = o.remaining
    const kept = this.held.get(o)
    if (kept !== undefined && kept.remaining === remaining && kept.inst === inst) return kept.value
    const value = remaining.mul(price).mul(inst.takerFee.add(1))
    this.held.set(o, { remaining, inst, value })
    return value
  }

  private onSendFailed(order: Order, error: unknown): void {
    if (order.state !== 'submitted' && order.state !== 'pending_cancel') return // the venue's pushed update already settled it
    if (order.venueOrderId !== undefined) return
    if (error instanceof NetworkError) {
      // The request may or may not have reached the venue: ask, never resend.
      this.lookUpInFlight(order, error)
      return
    }
    this.cancelDone(order)
    this.reject(order, describe(error))
  }

  /**
   * Looks an unanswered order up by client id until the venue says what became of it, or until it can no
   * longer accept it: only then is it declared rejected.
   */
  private lookUpInFlight(order: Order, cause: unknown): void {
    if (this.disposed || this.inFlight.has(order.clientOrderId)) return
    const venue = this.venues.get(order.venue)!
    const check = (): void => {
      this.inFlight.delete(order.clientOrderId)
      if (this.disposed || order.isTerminal || order.venueOrderId !== undefined) return
      const pastWindow = !this.mayStillArrive(order)
      venue.fetchOrder(order.clientOrderId, order.symbol).then(
        (found) => {
          this.onVenueOrder(found)
          if (order.state === 'pending_cancel' && !this.cancelling.has(order.clientOrderId)) this.cancel(order.clientOrderId)
        },
        (lookupError: unknown) => {
          if (order.isTerminal || order.venueOrderId !== undefined) return
          if (lookupError instanceof OrderNotFound && pastWindow) {
            this.cancelDone(order)
            this.reject(order, `not received by venue: ${describe(cause)}`)
            return
          }
          schedule()
        },
      )
    }
    const schedule = (): void => {
      if (this.disposed) return
      const deadline = this.acceptDeadline(order)
      // Every checkMs, and one last look just after the window closes (the first look is at once).
      const wait = deadline === undefined ? this.checkMs : Math.max(0, Math.min(this.checkMs, deadline - Date.now() + 50))
      const timer = setTimeout(check, wait)
      timer.unref?.()
      this.inFlight.set(order.clientOrderId, timer)
    }
    check()
  }

  /** Resolves an order recovered as in flight (after a restart) the same way: looked up until settled. */
  resolveInFlight(clientOrderId: string): void {
    const order = this.orders.get(clientOrderId)
    if (order === undefined || order.isTerminal || order.venueOrderId !== undefined) return
    this.lookUpInFlight(order, new NetworkError('in flight at a restart'))
  }

  private reject(order: Order, reason: string): void {
    this.counters.rejected++
    const key = this.rejections.has(reason) || this.rejections.size < 1_000 ? reason : '(other reasons)'
    this.rejections.set(key, (this.rejections.get(key) ?? 0) + 1)
    this.transition(order, { type: 'rejected', timestamp: this.clock.now(), reason })
  }

  private onVenueTrade(trade: Trade): void {
    const order = this.orders.get(trade.clientOrderId)
    if (order === undefined) {
      this.unknownUpdates.push(`trade ${trade.id} for unknown order ${trade.clientOrderId}`)
      return
    }
    const event: OrderEvent = { type: 'filled', timestamp: trade.timestamp, trade }
    if (order.isRedundant(event)) return
    const wasTerminal = order.isTerminal // a late fill of a canceled or expired order
    order.apply(event)
    this.counters.fills++
    // No longer open for those who hear of the fill (a strategy's onFill asking for its open orders).
    if (order.isTerminal) this.open.delete(order)
    this.bus.publish('fill', { order, trade })
    this.afterTransition(order, event, wasTerminal)
  }

  private onVenueOrder(update: VenueOrder): void {
    const order = this.orders.get(update.clientOrderId)
    if (order === undefined) {
      this.unknownUpdates.push(`order update ${update.id} for unknown order ${update.clientOrderId}`)
      return
    }
    const ts = this.clock.now()
    let event: OrderEvent | undefined
    switch (update.status) {
      case 'open':
      case 'closed':
        // Fills arrive as trades (a closed status is settled by them). An acknowledgement is news while the
        // order was in flight, a cancel asked for it or not.
        if (order.state === 'submitted' || (order.state === 'pending_cancel' && order.venueOrderId === undefined && update.id !== '')) {
          event = { type: 'accepted', timestamp: ts, venueOrderId: update.id }
        }
        break
      case 'canceled':
        event = { type: 'canceled', timestamp: ts }
        break
      case 'expired':
        event = { type: 'expired', timestamp: ts }
        break
      case 'rejected':
        if (order.state === 'submitted' || (order.state === 'pending_cancel' && order.venueOrderId === undefined)) {
          this.cancelDone(order)
          this.reject(order, update.reason ?? 'rejected by venue')
        }
        return
    }
    if (event !== undefined && !order.isTerminal && !order.isRedundant(event)) {
      if (event.type === 'canceled') this.counters.canceled++
      this.transition(order, event)
    }
    // A trigger order's trigger fired: recorded, so that a restart does not make it wait for it again.
    if (update.triggered === true && order.triggeredAt === undefined && (order.state === 'open' || order.state === 'pending_cancel')) {
      this.transition(order, { type: 'triggered', timestamp: ts })
    }
  }

  private transition(order: Order, event: OrderEvent): void {
    order.apply(event)
    this.afterTransition(order, event)
  }

  private afterTransition(order: Order, event: OrderEvent, wasTerminal = false): void {
    if (order.isTerminal && !wasTerminal) {
      this.sentAt.delete(order.clientOrderId)
      if (order.state === 'closed') this.counters.filled++
      this.open.delete(order)
      this.finished.push(order.clientOrderId)
      if (this.finished.length - this.finishedHead > this.keepFinished) {
        const dropped = this.finished[this.finishedHead++]!
        this.orders.delete(dropped)
        this.cancelErrors.delete(dropped)
        if (this.finishedHead > 4096) {
          this.finished = this.finished.slice(this.finishedHead)
          this.finishedHead = 0
        }
      }
    }
    this.bus.publish('order', { order, event })
    if (order.options.parentId !== undefined || order.options.stopLossPrice !== undefined || order.options.takeProfitPrice !== undefined) {
      this.afterBracket(order, event, wasTerminal)
    }
  }
}

/** What of an order's options its venue is sent: the bracket is Sofia's to work, the tag stays here. */
function venueOptions(o: OrderOptions): OrderOptions {
  const { stopLossPrice: _sl, takeProfitPrice: _tp, parentId: _p, tag: _t, ...rest } = o
  return rest
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
