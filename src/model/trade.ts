/**
 * @module model/trade
 * A fill: one execution of one of our orders, in CCXT's unified Trade shape with exact decimals.
 */
import type { Decimal } from './decimal.js'
import type { OrderSide } from './order-types.js'

export interface Fee {
  readonly cost: Decimal
  readonly currency: string
}

export interface Trade {
  /** Venue trade id (unique per venue). */
  readonly id: string
  /** Venue order id. */
  readonly order: string
  readonly clientOrderId: string
  readonly venue: string
  readonly symbol: string
  readonly timestamp: number
  readonly side: OrderSide
  readonly price: Decimal
  readonly amount: Decimal
  /** price × amount, exact. */
  readonly cost: Decimal
  readonly fee: Fee
  readonly takerOrMaker: 'maker' | 'taker'
}
