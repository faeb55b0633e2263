/**
 * @module execution/order-manager
 * Order management: turns intents into orders with deterministic client ids, passes each through the
 * pre-trade risk gateway, sends approved ones to their venue and keeps every order's state by applying the
 * venue's pushed updates through the order state machine. A lost response (network error, timeout) is
 * resolved by looking the order up by its client id — never by sending it again.
 */
import type { Component, EngineEvents, EventBus, OrderIntent, Clock } from '../engine/index.js'
import type { Decimal, OrderEvent, Trade } from '../model/index.js'
import { InvariantViolation, NetworkError, Order, OrderNotFound, ZERO } from '../model/index.js'
import { applyPositionOverride } from '../risk/index.js'
import type { PreTradeRisk, RiskContext } from '../risk/index.js'
import type { Venue, VenueOrder } from '../venues/venue.js'
import { clientOrderId } from './client-order-id.js'

export interface OrderManagerOptions {
  readonly bus: EventBus<EngineEvents>
  readonly clock: Clock
  readonly venues: readonly Venue[]
  readonly risk: PreTradeRisk
  /**
   * What the risk checks see of the account and market. Free balances (totals less open-order reservations)
   * and open-order counts are completed here: the order manager is the one that knows the open orders.
   */
  readonly accountView: Omit<RiskContext, 'freeBalance' | 'openOrderCount'> & { totalBalance(venue: string, asset: string): Decimal }
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
  /** Venue updates for ids we never sent (found by resync in the live issue); kept for operators. */
  readonly unknownUpdates: string[] = []

  constructor(options: OrderManagerOptions) {
    this.bus = options.bus
    this.clock = options.clock
    this.risk = options.risk
    this.sequences = new Map(options.sequences ?? [])
    this.keepFinished = options.keepFinished ?? 10_000
    this.beforeSend = options.beforeSend
    this.sizeMultiplier = options.sizeMultiplier
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

  order(clientOrderId: string): Order | undefined {
    return this.orders.get(clientOrderId)
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

  nextSequence(strategyId: string): number {
    return this.sequences.get(strategyId) ?? 0
  }

  start(): void {
    this.stopped = false
  }

  /** After stop nothing more is sent: late intents are denied (venue updates are still applied). */
  stop(): void {
    this.stopped = true
  }

  /** Risk-checks an intent and, when approved, sends it. Returns the order in its resulting state. */
  submit(intent: OrderIntent): Order {
    const seq = this.nextSequence(intent.strategyId)
    this.sequences.set(intent.strategyId, seq + 1)
    const venue = this.venues.get(intent.venue)
    const multiplier = this.sizeMultiplier?.(intent.strategyId)
    const amount =
      multiplier === undefined || multiplier.gte(1) || venue === undefined
        ? intent.amount
        : applyPositionOverride(intent.amount, multiplier, this.riskView.instrument(intent.venue, intent.symbol))
    const order = new Order({
      clientOrderId: clientOrderId(intent.strategyId, seq),
      strategyId: intent.strategyId,
      venue: intent.venue,
      symbol: intent.symbol,
      type: intent.type,
      side: intent.side,
      amount,
      timestamp: this.clock.now(),
      ...(intent.price !== undefined ? { price: intent.price } : {}),
      ...(intent.decisionPrice !== undefined ? { decisionPrice: intent.decisionPrice } : {}),
    })
    this.orders.set(order.clientOrderId, order)
    const verdict = this.stopped
      ? { approved: false as const, code: 'ENGINE_STOPPED', reason: 'the session is stopping' }
      : venue === undefined
        ? { approved: false as const, code: 'UNKNOWN_VENUE', reason: `no venue '${intent.venue}'` }
        : this.risk.check(order, this.riskView)
    if (!verdict.approved) {
      this.counters.denied++
      this.transition(order, { type: 'denied', timestamp: this.clock.now(), code: verdict.code, reason: verdict.reason })
      this.bus.publish('denied', { order, code: verdict.code, reason: verdict.reason })
      return order
    }
    this.counters.submitted++
    this.open.add(order)
    this.transition(order, { type: 'submitted', timestamp: this.clock.now() })
    const request = {
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      type: order.type,
      side: order.side,
      amount: order.amount,
      ...(order.price !== undefined ? { price: order.price } : {}),
    }
    const send = (): void => {
      venue!.createOrder(request).then(
        (ack) => this.onVenueOrder(ack),
        (error: unknown) => this.onSendFailed(order, error),
      )
    }
    const barrier = this.beforeSend?.()
    if (barrier === undefined) send()
    else {
      barrier.then(send, (error: unknown) => {
        // Not durable, so not sent: the venue never sees an order the store may not know.
        if (order.state === 'submitted') this.reject(order, `not sent: store unavailable (${describe(error)})`)
      })
    }
    return order
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

  cancel(clientOrderId: string): void {
    const order = this.orders.get(clientOrderId)
    if (order === undefined || order.isTerminal || order.state === 'pending_cancel') return
    const venue = this.venues.get(order.venue)
    if (venue === undefined) return
    this.transition(order, { type: 'cancel_requested', timestamp: this.clock.now() })
    venue.cancelOrder(order.clientOrderId, order.symbol).then(
      (update) => this.onVenueOrder(update),
      (error: unknown) => {
        // The order finished (filled or canceled) before the cancel arrived: its own updates say how.
        if (order.state === 'pending_cancel' && !(error instanceof OrderNotFound)) {
          this.transition(order, { type: 'cancel_rejected', timestamp: this.clock.now(), reason: describe(error) })
        }
      },
    )
  }

  /** Cancels every open order matching the filter; returns how many cancels were sent. */
  cancelAll(filter?: { strategyId?: string; venue?: string; symbol?: string }): number {
    const targets = this.openOrders(filter).filter((o) => o.state !== 'pending_cancel')
    for (const o of targets) this.cancel(o.clientOrderId)
    return targets.length
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
    if (order.state === 'submitted' || order.state === 'created') {
      if (order.state === 'created') order.state = 'submitted'
      this.reject(order, reason)
    } else {
      this.counters.canceled++
      this.transition(order, { type: 'canceled', timestamp: this.clock.now() })
    }
    return true
  }

  /** Quote or base held back by open orders on a venue. */
  reserved(venue: string, asset: string): Decimal {
    let total = ZERO
    for (const o of this.open) {
      if (o.venue !== venue) continue
      const inst = this.riskView.instrument(o.venue, o.symbol)
      if (o.side === 'sell' && inst.base === asset) total = total.add(o.remaining)
      if (o.side === 'buy' && inst.quote === asset) {
        const price = o.price ?? o.decisionPrice
        if (price !== undefined) total = total.add(o.remaining.mul(price).mul(inst.takerFee.add(1)))
      }
    }
    return total
  }

  private onSendFailed(order: Order, error: unknown): void {
    if (order.state !== 'submitted') return // the venue's pushed update already settled it
    if (error instanceof NetworkError) {
      // The request may or may not have reached the venue: ask, never resend.
      const venue = this.venues.get(order.venue)!
      venue.fetchOrder(order.clientOrderId, order.symbol).then(
        (found) => this.onVenueOrder(found),
        (lookupError: unknown) => {
          if (lookupError instanceof OrderNotFound && order.state === 'submitted') {
            this.reject(order, `not received by venue: ${describe(error)}`)
          }
          // Anything else leaves the order submitted; resync settles it.
        },
      )
      return
    }
    this.reject(order, describe(error))
  }

  private reject(order: Order, reason: string): void {
    this.counters.rejected++
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
        if (order.state === 'submitted') event = { type: 'accepted', timestamp: ts, venueOrderId: update.id }
        break
      case 'closed':
        // Fills arrive as trades; a closed status with nothing filled would be a venue inconsistency.
        if (order.state === 'submitted') event = { type: 'accepted', timestamp: ts, venueOrderId: update.id }
        break
      case 'canceled':
        event = { type: 'canceled', timestamp: ts }
        break
      case 'expired':
        event = { type: 'expired', timestamp: ts }
        break
      case 'rejected':
        if (order.state === 'submitted') {
          this.reject(order, update.reason ?? 'rejected by venue')
        }
        return
    }
    if (event === undefined || order.isTerminal || order.isRedundant(event)) return
    if (event.type === 'canceled') this.counters.canceled++
    this.transition(order, event)
  }

  private transition(order: Order, event: OrderEvent): void {
    order.apply(event)
    this.afterTransition(order, event)
  }

  private afterTransition(order: Order, event: OrderEvent, wasTerminal = false): void {
    if (order.isTerminal && !wasTerminal) {
      if (order.state === 'closed') this.counters.filled++
      this.open.delete(order)
      this.finished.push(order.clientOrderId)
      if (this.finished.length - this.finishedHead > this.keepFinished) {
        this.orders.delete(this.finished[this.finishedHead++]!)
        if (this.finishedHead > 4096) {
          this.finished = this.finished.slice(this.finishedHead)
          this.finishedHead = 0
        }
      }
    }
    this.bus.publish('order', { order, event })
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
