/**
 * @module model/order
 * An order and its state machine. An order changes only by applying an event through the explicit
 * (state, event) → state table below; anything else throws InvalidStateTransition, a repeated fill
 * throws DuplicateFill, and a fill beyond the order's amount throws InvariantViolation.
 */
import { type Decimal, ZERO } from './decimal.js'
import { DuplicateFill, InvalidStateTransition, InvariantViolation } from './errors.js'
import type { OrderOptions } from './order-options.js'
import type { OrderSide, OrderState, OrderStatus, OrderType } from './order-types.js'
import { TERMINAL_STATES } from './order-types.js'
import type { Trade } from './trade.js'

export const ORDER_EVENT_TYPES = [
  'submitted',
  'denied',
  'accepted',
  'rejected',
  'filled',
  'cancel_requested',
  'cancel_rejected',
  'canceled',
  'expired',
  'triggered',
] as const
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number]

export type OrderEvent =
  | { readonly type: 'submitted'; readonly timestamp: number }
  | { readonly type: 'denied'; readonly timestamp: number; readonly code: string; readonly reason: string }
  | { readonly type: 'accepted'; readonly timestamp: number; readonly venueOrderId: string }
  | { readonly type: 'rejected'; readonly timestamp: number; readonly reason: string }
  | { readonly type: 'filled'; readonly timestamp: number; readonly trade: Trade }
  | { readonly type: 'cancel_requested'; readonly timestamp: number }
  | { readonly type: 'cancel_rejected'; readonly timestamp: number; readonly reason: string }
  | { readonly type: 'canceled'; readonly timestamp: number }
  | { readonly type: 'expired'; readonly timestamp: number }
  /** The venue's trigger fired: a stop-limit now rests at its limit price, a stop-market is worked. */
  | { readonly type: 'triggered'; readonly timestamp: number }

/** `fill` is special-cased: its target depends on what remains. */
type Target = OrderState | 'fill'

/** The whole state machine. A missing entry is an illegal transition. */
export const TRANSITIONS: Readonly<Record<OrderState, Partial<Record<OrderEventType, Target>>>> = {
  // canceled: an order Sofia works itself (emulated) dropped before anything was sent.
  created: { submitted: 'submitted', denied: 'denied', canceled: 'canceled' },
  denied: {},
  submitted: {
    accepted: 'open',
    rejected: 'rejected',
    filled: 'fill',
    cancel_requested: 'pending_cancel',
    canceled: 'canceled',
    expired: 'expired',
  },
  open: { filled: 'fill', cancel_requested: 'pending_cancel', canceled: 'canceled', expired: 'expired', triggered: 'open' },
  // A cancel can be asked for an order still in flight: the venue may then acknowledge it or reject it.
  pending_cancel: {
    accepted: 'pending_cancel',
    rejected: 'rejected',
    filled: 'fill',
    cancel_rejected: 'open',
    canceled: 'canceled',
    expired: 'expired',
    triggered: 'pending_cancel',
  },
  closed: {},
  // A fill the venue made before the cancel (or expiry) can reach us after it, on another stream: it is
  // kept (the order stays canceled, or closes if it was in fact filled completely).
  canceled: { filled: 'fill' },
  expired: { filled: 'fill' },
  rejected: {},
}

/** What names an order and what it asks for, alike in the model and in what a store keeps (StoredOrder). */
export interface OrderIdentity {
  readonly clientOrderId: string
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly type: OrderType
  readonly side: OrderSide
}

export interface OrderInit extends OrderIdentity {
  readonly amount: Decimal
  readonly price?: Decimal
  readonly timestamp: number
  /** Price the strategy saw when it decided (for slippage); the limit price or last trade. */
  readonly decisionPrice?: Decimal
  /** The strategy's label for the order (`entry`, `stop-loss`, …), kept in the audit chain. */
  readonly tag?: string
  /** Time in force, reduce-only, trigger, trailing stop, bracket (see model/order-options). */
  readonly options?: OrderOptions
}

const NO_OPTIONS: OrderOptions = Object.freeze({})

/** What a store keeps of an order's progress (see `Order.restore`). */
export interface RecordedOrderState {
  readonly state: OrderState
  readonly filled: Decimal
  readonly cost: Decimal
  readonly venueOrderId: string | undefined
  readonly reason: string | undefined
  readonly lastUpdate: number
  readonly triggeredAt: number | undefined
}

export class Order implements OrderIdentity {
  readonly clientOrderId: string
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly type: OrderType
  readonly side: OrderSide
  readonly amount: Decimal
  readonly price: Decimal | undefined
  readonly timestamp: number
  readonly decisionPrice: Decimal | undefined
  /** The strategy's label for the order, when it gave one. */
  readonly tag: string | undefined
  readonly options: OrderOptions
  /** Fees paid, by currency. */
  readonly fees = new Map<string, Decimal>()
  // What changes, only through `apply` (or `Order.restore`): read-only from outside.
  private _venueOrderId: string | undefined
  private _state: OrderState = 'created'
  private _filled: Decimal = ZERO
  /** amount − filled, made when first asked after a fill (read on every free-balance question). */
  private _remaining: Decimal | undefined
  private _cost: Decimal = ZERO
  private _lastUpdate: number
  private _reason: string | undefined
  private _triggeredAt: number | undefined
  private readonly tradeIds = new Set<string>()

  /**
   * An order as a store recorded it, in its recorded state (a restart). The one way to make an order that did
   * not go through its events here; its past fills are in the ledger, not replayed into it.
   */
  static restore(init: OrderInit, recorded: RecordedOrderState): Order {
    const o = new Order(init)
    o._state = recorded.state
    o._filled = recorded.filled
    o._cost = recorded.cost
    o._venueOrderId = recorded.venueOrderId
    o._reason = recorded.reason
    o._lastUpdate = recorded.lastUpdate
    o._triggeredAt = recorded.triggeredAt
    return o
  }

  get venueOrderId(): string | undefined {
    return this._venueOrderId
  }
  get state(): OrderState {
    return this._state
  }
  get filled(): Decimal {
    return this._filled
  }
  /** Sum of price × amount over fills. */
  get cost(): Decimal {
    return this._cost
  }
  get lastUpdate(): number {
    return this._lastUpdate
  }
  get reason(): string | undefined {
    return this._reason
  }
  /** When the venue's trigger fired (a trigger order only); undefined while it waits. */
  get triggeredAt(): number | undefined {
    return this._triggeredAt
  }

  constructor(init: OrderInit) {
    this.clientOrderId = init.clientOrderId
    this.strategyId = init.strategyId
    this.venue = init.venue
    this.symbol = init.symbol
    this.type = init.type
    this.side = init.side
    this.amount = init.amount
    this.price = init.price
    this.timestamp = init.timestamp
    this.decisionPrice = init.decisionPrice
    this.tag = init.tag
    this.options = init.options ?? NO_OPTIONS
    this._lastUpdate = init.timestamp
  }

  /** What is left to fill. The same Decimal object until the next fill, so a reader may keep what it derived. */
  get remaining(): Decimal {
    return (this._remaining ??= this.amount.sub(this._filled))
  }

  /** Volume-weighted average fill price, or undefined before the first fill. */
  get average(): Decimal | undefined {
    return this.filled.isZero() ? undefined : this.cost.div(this.filled)
  }

  get isTerminal(): boolean {
    return TERMINAL_STATES.has(this.state)
  }

  /** CCXT's status for this order. */
  get status(): OrderStatus {
    return ccxtStatus(this.state)
  }

  /** True when this event would change nothing (a venue repeating itself); the caller may drop it. */
  isRedundant(event: OrderEvent): boolean {
    switch (event.type) {
      case 'filled':
        return this.tradeIds.has(event.trade.id)
      case 'accepted':
        return this.venueOrderId === event.venueOrderId && this.state !== 'submitted'
      case 'canceled':
        return this.state === 'canceled'
      case 'expired':
        return this.state === 'expired'
      case 'rejected':
        return this.state === 'rejected'
      case 'triggered':
        return this.triggeredAt !== undefined
      case 'submitted':
      case 'denied':
      case 'cancel_requested':
      case 'cancel_rejected':
        return false
    }
  }

  /** Applies one event through the transition table. Throws on an illegal transition. */
  apply(event: OrderEvent): void {
    const target = TRANSITIONS[this.state][event.type]
    if (target === undefined) {
      throw new InvalidStateTransition(`order ${this.clientOrderId}: ${event.type} is not allowed in state ${this.state}`)
    }
    switch (event.type) {
      case 'filled':
        this.applyFill(event.trade)
        break
      case 'accepted':
        this._venueOrderId = event.venueOrderId
        break
      case 'denied':
        this._reason = `${event.code}: ${event.reason}`
        break
      case 'rejected':
      case 'cancel_rejected':
        this._reason = event.reason
        break
      case 'triggered':
        this._triggeredAt = event.timestamp
        break
      case 'submitted':
      case 'cancel_requested':
      case 'canceled':
      case 'expired':
        break
    }
    this._lastUpdate = event.timestamp
    if (target !== 'fill') {
      this._state = target
    } else if (this.filled.eq(this.amount)) {
      this._state = 'closed'
    } else if (this.state === 'submitted') {
      this._state = 'open'
    }
  }

  private applyFill(trade: Trade): void {
    if (this.tradeIds.has(trade.id)) throw new DuplicateFill(`order ${this.clientOrderId}: trade ${trade.id} applied twice`)
    if (trade.side !== this.side) {
      throw new InvariantViolation(`order ${this.clientOrderId}: ${trade.side} fill on a ${this.side} order`)
    }
    const filled = this.filled.add(trade.amount)
    if (filled.gt(this.amount)) {
      throw new InvariantViolation(`order ${this.clientOrderId}: filled ${filled} exceeds amount ${this.amount}`)
    }
    this.tradeIds.add(trade.id)
    if (this.venueOrderId === undefined) this._venueOrderId = trade.order
    this._filled = filled
    this._remaining = undefined
    this._cost = this.cost.add(trade.cost)
    const fee = this.fees.get(trade.fee.currency)
    this.fees.set(trade.fee.currency, fee === undefined ? trade.fee.cost : fee.add(trade.fee.cost))
  }

  /** A plain JSON view in CCXT's unified order shape (decimals as strings). */
  toJSON(): Record<string, unknown> {
    return {
      id: this.venueOrderId ?? null,
      clientOrderId: this.clientOrderId,
      timestamp: this.timestamp,
      lastUpdateTimestamp: this.lastUpdate,
      symbol: this.symbol,
      venue: this.venue,
      type: this.type,
      side: this.side,
      price: this.price?.toString() ?? null,
      amount: this.amount.toString(),
      filled: this.filled.toString(),
      remaining: this.remaining.toString(),
      cost: this.cost.toString(),
      average: this.average?.toString() ?? null,
      status: this.status,
      state: this.state,
      fees: [...this.fees].map(([currency, cost]) => ({ currency, cost: cost.toString() })),
      strategyId: this.strategyId,
      reason: this.reason ?? null,
      ...optionsView(this.options),
    }
  }
}

/** The options of an order as CCXT-shaped JSON fields (only those set). */
function optionsView(o: OrderOptions): Record<string, unknown> {
  if (o === NO_OPTIONS) return {}
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined && k !== 'tag') out[k] = typeof v === 'object' ? v.toString() : v
  return out
}

/** Maps Sofia's lifecycle onto CCXT's status. Not-yet-acknowledged and pending-cancel orders are `open`. */
export function ccxtStatus(state: OrderState): OrderStatus {
  switch (state) {
    case 'created':
    case 'submitted':
    case 'open':
    case 'pending_cancel':
      return 'open'
    case 'closed':
      return 'closed'
    case 'canceled':
      return 'canceled'
    case 'expired':
      return 'expired'
    case 'rejected':
    case 'denied':
      return 'rejected'
  }
}
