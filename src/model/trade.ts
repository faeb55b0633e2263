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
  /**
   * Venue trade id. With the side it names one fill on the venue: a self-trade (both orders ours, on an
   * exchange without self-trade prevention) is two fills, a buy and a sell, under one trade id.
   */
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

/**
 * The key that names one fill on its venue: venue, trade id and side. The trade id alone is not enough: a
 * self-trade is one trade id with two fills of ours, a buy and a sell (Binance with self-trade prevention
 * NONE, and exchanges that have none). The store's primary key is the same triple.
 */
export function fillKey(venue: string, tradeId: string, side: OrderSide): string {
  return `${venue}\u0000${tradeId}\u0000${side}`
}

/** A fill's figures as exact decimal strings, the way records and the wire carry them. */
export interface TradeFigures {
  readonly price: string
  readonly amount: string
  readonly cost: string
  readonly fee: { readonly cost: string; readonly currency: string }
}

export function tradeFigures(t: Trade): TradeFigures {
  return { price: t.price.toString(), amount: t.amount.toString(), cost: t.cost.toString(), fee: { cost: t.fee.cost.toString(), currency: t.fee.currency } }
}
