/**
 * @module book/order-book
 * A price-time-priority limit order book for one instrument, in integer price ticks and integer lots
 * (`number`, exact below 2^53; convert with `priceToTicks`/`amountToLots` at the boundary).
 *
 * Layout, chosen for the matching hot path (see bench/matching.ts):
 * - per side, an array of price levels sorted so that the best level is the LAST element: matching pops
 *   from the end and most adds land near the top of book, so `splice` moves few elements;
 * - per level, an intrusive doubly-linked FIFO of orders: O(1) append, O(1) cancel from the middle;
 * - one `Map<id, order>` for cancel and lookup.
 * Matches are reported through a listener with one reused `Match` object, so a match allocates nothing.
 *
 * Self-trade: `selfTrade` decides what happens when a taker meets a resting order of the same owner.
 * `'allow'` (default) trades them like any other pair (both sides are reported, each with its own role);
 * the `expire-*` modes follow Binance's self-trade prevention: `expire-taker` drops the taker's remainder,
 * `expire-maker` removes the resting order and keeps matching, `expire-both` does both. Expired lots are
 * reported through `onExpire`.
 */
import type { OrderSide } from '../model/index.js'

export const SELF_TRADE_MODES = ['allow', 'expire-taker', 'expire-maker', 'expire-both'] as const
export type SelfTradeMode = (typeof SELF_TRADE_MODES)[number]

/** A resting order as the book sees it. `lots` is what remains. */
export interface BookOrder {
  readonly id: number
  readonly owner: string
  readonly side: OrderSide
  readonly price: number
  readonly lots: number
}

/**
 * One match. The listener receives the same object every time (no allocation per match): copy what you keep.
 * `price` is the maker's price; `makerLots` is what the maker has left after this match.
 */
export interface Match {
  makerId: number
  makerOwner: string
  takerId: number
  takerOwner: string
  /** Side of the taker. */
  takerSide: OrderSide
  price: number
  lots: number
  makerLots: number
}

export interface OrderBookListener {
  /** Called once per match, in matching order. Must not modify the book. */
  onMatch?(match: Match): void
  /** Called when self-trade prevention expires lots of an order (`resting`: it was a resting order). */
  onExpire?(id: number, owner: string, lots: number, resting: boolean): void
}

export interface OrderBookOptions {
  readonly selfTrade?: SelfTradeMode
  readonly listener?: OrderBookListener
}

/** A level aggregated for depth snapshots: `[price, lots]`. */
export type DepthLevel = [price: number, lots: number]

class Resting implements BookOrder {
  prev: Resting | null = null
  next: Resting | null = null
  constructor(
    readonly id: number,
    readonly owner: string,
    readonly side: OrderSide,
    readonly price: number,
    public lots: number,
    public level: Level,
  ) {}
}

class Level {
  head: Resting | null = null
  tail: Resting | null = null
  lots = 0
  count = 0
  /** `price` for bids, `-price` for asks: levels are sorted ascending by key, best last. */
  constructor(
    readonly price: number,
    readonly key: number,
  ) {}
}

/** One side: levels sorted ascending by key (bids: price, asks: −price), so the best is last. */
class Side {
  readonly levels: Level[] = []
  constructor(readonly sign: 1 | -1) {}

  best(): Level | undefined {
    const levels = this.levels
    return levels.length === 0 ? undefined : levels[levels.length - 1]
  }

  /** Index of the first level whose key is ≥ `key`. */
  private lowerBound(key: number): number {
    const levels = this.levels
    let lo = 0
    let hi = levels.length
    // Most activity is near the top of book (the end): check there before bisecting.
    if (hi > 0 && levels[hi - 1]!.key < key) return hi
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (levels[mid]!.key < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  levelFor(price: number): Level {
    const key = this.sign * price
    const levels = this.levels
    const i = this.lowerBound(key)
    const found = levels[i]
    if (found !== undefined && found.key === key) return found
    const level = new Level(price, key)
    if (i === levels.length) levels.push(level)
    else levels.splice(i, 0, level)
    return level
  }

  remove(level: Level): void {
    const levels = this.levels
    const last = levels.length - 1
    if (levels[last] === level) {
      levels.pop()
      return
    }
    const i = this.lowerBound(level.key)
    if (levels[i] === level) levels.splice(i, 1)
  }
}

const NO_LISTENER: OrderBookListener = {}

export class OrderBook {
  private readonly bids = new Side(1)
  private readonly asks = new Side(-1)
  private readonly orders = new Map<number, Resting>()
  private readonly selfTrade: SelfTradeMode
  private readonly listener: OrderBookListener
  private readonly match: Match = {
    makerId: 0,
    makerOwner: '',
    takerId: 0,
    takerOwner: '',
    takerSide: 'buy',
    price: 0,
    lots: 0,
    makerLots: 0,
  }

  constructor(options: OrderBookOptions = {}) {
    this.selfTrade = options.selfTrade ?? 'allow'
    this.listener = options.listener ?? NO_LISTENER
  }

  /** Number of resting orders. */
  get size(): number {
    return this.orders.size
  }

  /**
   * Adds a limit order: it matches first against the opposite side while marketable, then the remainder
   * rests. Returns the lots left resting (0 when fully matched or expired by self-trade prevention).
   * Throws RangeError on a non-integer price or lots, or an id that is already resting.
   */
  add(id: number, side: OrderSide, price: number, lots: number, owner = ''): number {
    if (!Number.isSafeInteger(price)) throw new RangeError(`order ${id}: price ${price} is not an integer tick`)
    const left = this.take(id, side, price, lots, owner)
    if (left <= 0) return 0
    if (this.orders.has(id)) throw new RangeError(`order ${id} is already in the book`)
    const level = (side === 'buy' ? this.bids : this.asks).levelFor(price)
    const order = new Resting(id, owner, side, price, left, level)
    const tail = level.tail
    if (tail === null) level.head = order
    else {
      tail.next = order
      order.prev = tail
    }
    level.tail = order
    level.lots += left
    level.count++
    this.orders.set(id, order)
    return left
  }

  /** A market order: walks the opposite side. Returns the lots that could not be filled (they never rest). */
  market(id: number, side: OrderSide, lots: number, owner = ''): number {
    return this.take(id, side, side === 'buy' ? Infinity : -Infinity, lots, owner)
  }

  /**
   * Immediate-or-cancel: matches against resting orders priced at or better than `limit` (a tick, or ±Infinity)
   * and returns the unfilled lots, which never rest. The simulated venue uses this for external flow.
   */
  take(takerId: number, side: OrderSide, limit: number, lots: number, owner = ''): number {
    if (!(lots > 0) || !Number.isSafeInteger(lots)) throw new RangeError(`order ${takerId}: lots ${lots} is not a positive integer`)
    const isBuy = side === 'buy'
    const opposite = isBuy ? this.asks : this.bids
    const levels = opposite.levels
    const stp = this.selfTrade
    const listener = this.listener
    const onMatch = listener.onMatch
    const m = this.match
    let left = lots
    while (left > 0 && levels.length > 0) {
      const level = levels[levels.length - 1]!
      if (isBuy ? level.price > limit : level.price < limit) break
      let maker = level.head
      while (maker !== null && left > 0) {
        const next = maker.next
        if (stp !== 'allow' && maker.owner === owner) {
          if (stp === 'expire-maker' || stp === 'expire-both') {
            listener.onExpire?.(maker.id, maker.owner, maker.lots, true)
            this.unlink(maker)
            this.orders.delete(maker.id)
          }
          if (stp === 'expire-taker' || stp === 'expire-both') {
            if (level.count === 0) opposite.remove(level)
            listener.onExpire?.(takerId, owner, left, false)
            return 0
          }
          maker = next
          continue
        }
        const fill = maker.lots < left ? maker.lots : left
        maker.lots -= fill
        level.lots -= fill
        left -= fill
        if (onMatch !== undefined) {
          m.makerId = maker.id
          m.makerOwner = maker.owner
          m.takerId = takerId
          m.takerOwner = owner
          m.takerSide = side
          m.price = level.price
          m.lots = fill
          m.makerLots = maker.lots
          onMatch.call(listener, m)
        }
        if (maker.lots === 0) {
          this.unlink(maker)
          this.orders.delete(maker.id)
        }
        maker = next
      }
      if (level.count === 0) levels.pop()
    }
    return left
  }

  /** Cancels a resting order. Returns it (with the lots it had left), or undefined when it is not resting. */
  cancel(id: number): BookOrder | undefined {
    const order = this.orders.get(id)
    if (order === undefined) return undefined
    this.orders.delete(id)
    const level = order.level
    level.lots -= order.lots
    this.unlink(order)
    if (level.count === 0) (order.side === 'buy' ? this.bids : this.asks).remove(level)
    return order
  }

  /** Removes an order from its level's queue (the level itself is removed by the caller when empty). */
  private unlink(order: Resting): void {
    const level = order.level
    const { prev, next } = order
    if (prev === null) level.head = next
    else prev.next = next
    if (next === null) level.tail = prev
    else next.prev = prev
    order.prev = null
    order.next = null
    level.count--
  }

  /** A resting order by id (a live view: read it, do not keep it across book operations). */
  get(id: number): BookOrder | undefined {
    return this.orders.get(id)
  }

  has(id: number): boolean {
    return this.orders.has(id)
  }

  bestBid(): number | undefined {
    return this.bids.best()?.price
  }

  bestAsk(): number | undefined {
    return this.asks.best()?.price
  }

  /** Total lots resting at a price on one side (0 when there is no level). */
  lotsAt(side: OrderSide, price: number): number {
    for (const level of (side === 'buy' ? this.bids : this.asks).levels) if (level.price === price) return level.lots
    return 0
  }

  /** Aggregated levels, best first, at most `levels` per side. */
  depth(levels = Infinity): { bids: DepthLevel[]; asks: DepthLevel[] } {
    return { bids: this.sideDepth(this.bids, levels), asks: this.sideDepth(this.asks, levels) }
  }

  /** Resting orders of one side in priority order (best price first, then time). */
  ordersOf(side: OrderSide): BookOrder[] {
    const out: BookOrder[] = []
    const levels = (side === 'buy' ? this.bids : this.asks).levels
    for (let i = levels.length - 1; i >= 0; i--) {
      for (let o = levels[i]!.head; o !== null; o = o.next) out.push(o)
    }
    return out
  }

  private sideDepth(side: Side, max: number): DepthLevel[] {
    const out: DepthLevel[] = []
    const levels = side.levels
    for (let i = levels.length - 1; i >= 0 && out.length < max; i--) {
      const level = levels[i]!
      out.push([level.price, level.lots])
    }
    return out
  }
}
