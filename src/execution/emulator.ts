/**
 * @module execution/emulator
 * Trigger and trailing orders Sofia works itself, for a venue that cannot take them (ccxt's `has` and the
 * market's order types say so; e.g. `sofia exchange-sim --order-types LIMIT,MARKET,LIMIT_MAKER`). An emulated
 * order is not sent: it waits here, watching the venue's market data, and when its trigger fires Sofia sends
 * its order (a market order, or a limit at its price) through the risk checks like any other, carrying the
 * emulated order's tag, reduce-only flag and bracket group.
 *
 * - Fires on the last trade, on the bid (falling triggers) or ask (rising triggers) of a quote or book, and on
 *   a bar's low (falling) or high (rising). A trailing stop follows the best of those prices since it was made.
 * - Siblings of a bracket (one `parentId`) are one-cancels-other: when one fires, the others are dropped.
 * - Every change (made, fired, canceled) is handed to `onChange` with the whole list, which the session keeps
 *   in its store, and audited there; a restart hands the list back. The kill switch cancels them with every
 *   other order (`cancelAll`).
 */
import type { EmulatedOrder, MarketEvent, OrderSide } from '../model/index.js'
import { Decimal, Order } from '../model/index.js'
import type { OrderIdentity, OrderOptions } from '../model/index.js'

export type { EmulatedOrder }


/** `trailed`: a trailing stop's best price moved (kept in the store, at most once a second; not audited). */
export type EmulatorChange = 'created' | 'triggered' | 'canceled' | 'trailed'

/** A trailing stop's moved best price is handed to `onChange` at most this often (engine time). */
export const TRAIL_PERSIST_MS = 1_000

/** The store's state key of the emulated orders (the whole list, rewritten at every change). */
export const EMULATED_STATE_KEY = 'orders.emulated'

/**
 * One line for an operator: what waits, and when it fires.
 * `xsim BTC/USDT sell market 0.01 when price ≤ 29100 (stop, reduce-only)`; a trailing stop names its distance
 * and the best price it has seen.
 */
export function describeEmulated(e: EmulatedOrder): string {
  const op = e.direction === 'below' ? '≤' : '≥'
  const when =
    e.triggerPrice !== null
      ? `when price ${op} ${e.triggerPrice}`
      : `trailing ${e.trailingPercent}%${e.extreme !== null ? ` from ${e.extreme}` : ''}`
  const what = `${e.side} ${e.type} ${e.amount}${e.price !== null ? ` @ ${e.price}` : ''}`
  const notes = [e.tag, e.reduceOnly ? 'reduce-only' : null].filter((x) => x !== null).join(', ')
  return `${e.venue} ${e.symbol} ${what} ${when}${notes !== '' ? ` (${notes})` : ''}`
}

export interface EmulatorHooks {
  /** Sends the order of a fired emulated order; returns the client id of what was sent (undefined if denied). */
  fire(e: EmulatedOrder, level: number): string | undefined
  /** The list changed (persist it), with what happened to which order. */
  onChange(list: readonly EmulatedOrder[], change: EmulatorChange, order: EmulatedOrder, detail?: Record<string, unknown>): void
}

export class OrderEmulator {
  private readonly orders = new Map<string, EmulatedOrder>()
  private trailKeptAt = Number.NEGATIVE_INFINITY

  constructor(
    private readonly hooks: EmulatorHooks,
    restored: readonly EmulatedOrder[] = [],
  ) {
    for (const e of restored) this.orders.set(e.id, e)
  }

  get size(): number {
    return this.orders.size
  }

  list(filter?: { strategyId?: string; venue?: string; symbol?: string }): EmulatedOrder[] {
    return [...this.orders.values()].filter(
      (e) =>
        (filter?.strategyId === undefined || e.strategyId === filter.strategyId) &&
        (filter?.venue === undefined || e.venue === filter.venue) &&
        (filter?.symbol === undefined || e.symbol === filter.symbol),
    )
  }

  has(id: string): boolean {
    return this.orders.has(id)
  }

  get(id: string): EmulatedOrder | undefined {
    return this.orders.get(id)
  }

  add(spec: {
    id: string
    strategyId: string
    venue: string
    symbol: string
    side: OrderSide
    type: 'market' | 'limit'
    amount: Decimal
    price: Decimal | undefined
    options: OrderOptions
    now: number
    last: number | undefined
  }): EmulatedOrder {
    const o = spec.options
    const e: EmulatedOrder = {
      id: spec.id,
      strategyId: spec.strategyId,
      venue: spec.venue,
      symbol: spec.symbol,
      side: spec.side,
      type: spec.type,
      amount: spec.amount.toString(),
      price: spec.price?.toString() ?? null,
      direction: o.triggerDirection ?? (spec.side === 'sell' ? 'below' : 'above'),
      triggerPrice: o.triggerPrice?.toString() ?? null,
      trailingPercent: o.trailingPercent?.toString() ?? null,
      extreme: o.trailingPercent !== undefined && spec.last !== undefined ? spec.last : null,
      reduceOnly: o.reduceOnly === true,
      parentId: o.parentId ?? null,
      tag: o.tag ?? null,
      createdAt: spec.now,
    }
    this.orders.set(e.id, e)
    this.hooks.onChange(this.list(), 'created', e)
    return e
  }

  /** Drops one (canceled); false when it is not (or no longer) here. */
  cancel(id: string, reason: string): boolean {
    const e = this.orders.get(id)
    if (e === undefined) return false
    this.orders.delete(id)
    this.hooks.onChange(this.list(), 'canceled', e, { reason })
    return true
  }

  cancelAll(filter: { strategyId?: string; venue?: string; symbol?: string } | undefined, reason: string): number {
    const targets = this.list(filter)
    for (const e of targets) this.cancel(e.id, reason)
    return targets.length
  }

  /** A market event: fires what its price reaches (the hot path is one size check when nothing waits). */
  onMarket(event: MarketEvent): void {
    if (this.orders.size === 0) return
    let fall: number
    let rise: number
    switch (event.kind) {
      case 'trade':
        fall = rise = event.price
        break
      case 'quote':
        if (!(event.bid > 0 && event.ask > 0)) return
        fall = event.bid
        rise = event.ask
        break
      case 'book': {
        const bid = event.bids[0]?.[0]
        const ask = event.asks[0]?.[0]
        if (bid === undefined || ask === undefined) return
        fall = bid
        rise = ask
        break
      }
      case 'bar':
        fall = event.low
        rise = event.high
        break
    }
    let trailed: EmulatedOrder | undefined
    for (const e of [...this.orders.values()]) {
      if (e.venue !== event.venue || e.symbol !== event.symbol || !this.orders.has(e.id)) continue
      const falling = e.direction === 'below'
      let current = e
      if (e.trailingPercent !== null) {
        // A trailing stop follows the favourable side first (a sell: the highest price since it was made).
        const favourable = falling ? rise : fall
        if (e.extreme === null || (falling ? favourable > e.extreme : favourable < e.extreme)) {
          current = { ...e, extreme: favourable }
          this.orders.set(e.id, current)
          trailed = current
        }
      }
      const level = levelOf(current)
      if (level === undefined) continue
      const price = falling ? fall : rise
      if (falling ? price <= level : price >= level) {
        if (trailed === current) trailed = undefined
        this.trigger(current, level)
      }
    }
    // The best price a trailing stop has seen survives a restart (at most TRAIL_PERSIST_MS behind).
    if (trailed !== undefined && this.orders.has(trailed.id) && event.timestamp - this.trailKeptAt >= TRAIL_PERSIST_MS) {
      this.trailKeptAt = event.timestamp
      this.hooks.onChange(this.list(), 'trailed', trailed)
    }
  }

  private trigger(e: EmulatedOrder, level: number): void {
    this.orders.delete(e.id)
    if (e.parentId !== null) {
      for (const other of [...this.orders.values()]) {
        if (other.parentId === e.parentId) {
          this.orders.delete(other.id)
          this.hooks.onChange(this.list(), 'canceled', other, { reason: `one-cancels-other: ${e.id} fired` })
        }
      }
    }
    const sent = this.hooks.fire(e, level)
    this.hooks.onChange(this.list(), 'triggered', e, { level, sent: sent ?? null })
  }
}

/** What names an emulated order and what it asks for, as an order's (its id is the client order id). */
export function emulatedIdentity(e: EmulatedOrder): OrderIdentity {
  return { clientOrderId: e.id, strategyId: e.strategyId, venue: e.venue, symbol: e.symbol, type: e.type, side: e.side }
}

/**
 * An emulated order as its strategy sees it among its open orders: an `Order` in state `created` (nothing sent
 * yet; CCXT status `open`) with its trigger, trailing distance, reduce-only flag, bracket group and tag in
 * `options`, exactly as it would carry them had the venue taken it.
 */
export function emulatedAsOrder(e: EmulatedOrder): Order {
  return new Order({
    ...emulatedIdentity(e),
    amount: new Decimal(e.amount),
    ...(e.price !== null ? { price: new Decimal(e.price) } : {}),
    timestamp: e.createdAt,
    ...(e.tag !== null ? { tag: e.tag } : {}),
    options: {
      triggerDirection: e.direction,
      ...(e.triggerPrice !== null ? { triggerPrice: new Decimal(e.triggerPrice) } : {}),
      ...(e.trailingPercent !== null ? { trailingPercent: new Decimal(e.trailingPercent) } : {}),
      ...(e.reduceOnly ? { reduceOnly: true } : {}),
      ...(e.parentId !== null ? { parentId: e.parentId } : {}),
      ...(e.tag !== null ? { tag: e.tag } : {}),
    },
  })
}

/** The price a waiting emulated order fires at now. */
export function levelOf(e: EmulatedOrder): number | undefined {
  if (e.triggerPrice !== null) return Number(e.triggerPrice)
  if (e.trailingPercent === null || e.extreme === null) return undefined
  const p = new Decimal(e.trailingPercent).toNumber() / 100
  return e.direction === 'below' ? e.extreme * (1 - p) : e.extreme * (1 + p)
}
