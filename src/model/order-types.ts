/**
 * @module model/order-types
 * Order vocabulary (CCXT's) as `as const` arrays with derived unions.
 */
export const ORDER_SIDES = ['buy', 'sell'] as const
export type OrderSide = (typeof ORDER_SIDES)[number]

export const ORDER_TYPES = ['market', 'limit'] as const
export type OrderType = (typeof ORDER_TYPES)[number]

/** CCXT's unified order status, as venues report it. */
export const ORDER_STATUSES = ['open', 'closed', 'canceled', 'expired', 'rejected'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/**
 * Sofia's internal order lifecycle, finer than CCXT's status: `created` (built, not yet checked),
 * `denied` (refused by the risk engine, never sent), `submitted` (sent, not yet acknowledged),
 * `pending_cancel` (cancel sent, not yet confirmed).
 */
export const ORDER_STATES = [
  'created',
  'denied',
  'submitted',
  'open',
  'pending_cancel',
  'closed',
  'canceled',
  'expired',
  'rejected',
] as const
export type OrderState = (typeof ORDER_STATES)[number]

export const TERMINAL_STATES: ReadonlySet<OrderState> = new Set(['denied', 'closed', 'canceled', 'expired', 'rejected'])

export function oppositeSide(side: OrderSide): OrderSide {
  return side === 'buy' ? 'sell' : 'buy'
}

/**
 * How long a limit order works (CCXT's `timeInForce`): good till canceled, immediate-or-cancel (the rest
 * expires), fill-or-kill (all at once or nothing), post-only (expires rather than take liquidity).
 */
export const TIME_IN_FORCES = ['GTC', 'IOC', 'FOK', 'PO'] as const
export type TimeInForce = (typeof TIME_IN_FORCES)[number]

/** Which way a trigger fires: when the price rises to it (`above`) or falls to it (`below`). */
export const TRIGGER_DIRECTIONS = ['above', 'below'] as const
export type TriggerDirection = (typeof TRIGGER_DIRECTIONS)[number]

/** One emulated order as kept in the store (decimals as strings). */
export interface EmulatedOrder {
  readonly id: string
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: 'market' | 'limit'
  readonly amount: string
  readonly price: string | null
  readonly direction: TriggerDirection
  /** Fixed trigger; null for a trailing stop. */
  readonly triggerPrice: string | null
  readonly trailingPercent: string | null
  /** A trailing stop's best price so far (NaN-free: null until the first price). */
  readonly extreme: number | null
  readonly reduceOnly: boolean
  readonly parentId: string | null
  readonly tag: string | null
  readonly createdAt: number
}
