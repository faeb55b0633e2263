/**
 * @module reconcile/trade-record
 * The record reconciliation compares: a fill in CCXT's unified Trade shape with exact money. Money is a
 * `Decimal` or an exact decimal string: readers hand over the strings they read (a file, the store) so a
 * million records cost no Decimal allocations; Sofia `Trade` objects (Decimal money) fit as they are.
 */
import type { Decimal, OrderSide } from '../model/index.js'

/** An exact decimal: a Decimal, or its string form (`"34488"`, `"0.00020002"`, `"-1.5"`, `"1e-8"`). */
export type Money = Decimal | string

export interface TradeRecord {
  /** The venue's trade id. */
  readonly id: string
  /** The venue's order id; empty or absent when unknown (the record then cannot match by order). */
  readonly order?: string | null
  readonly clientOrderId?: string | null
  /** ms since the epoch. */
  readonly timestamp: number
  readonly symbol: string
  readonly side: OrderSide
  readonly price: Money
  readonly amount: Money
  /** price × amount; computed when absent. */
  readonly cost?: Money | null
  /** Absent when the source does not say (it is then not compared). */
  readonly fee?: { readonly cost: Money; readonly currency: string } | null
  /** Absent in a CCXT file: the reconciliation's `venue` option applies. */
  readonly venue?: string
}

/** A record as the report shows it: every money field a decimal string. */
export interface SerializedTrade {
  readonly venue: string
  readonly id: string
  readonly order: string | null
  readonly clientOrderId: string | null
  readonly timestamp: number
  readonly datetime: string
  readonly symbol: string
  readonly side: OrderSide
  readonly price: string
  readonly amount: string
  readonly cost: string | null
  readonly fee: { readonly cost: string; readonly currency: string } | null
}

/** The exact decimal string of a money value (no allocation for strings). */
export function moneyText(m: Money): string {
  return typeof m === 'string' ? m : m.toString()
}

export function serializeTrade(r: TradeRecord, venue: string): SerializedTrade {
  const datetime = Number.isFinite(r.timestamp) ? new Date(r.timestamp).toISOString() : ''
  return {
    venue,
    id: r.id,
    order: r.order === undefined || r.order === null || r.order === '' ? null : r.order,
    clientOrderId: r.clientOrderId === undefined || r.clientOrderId === null || r.clientOrderId === '' ? null : r.clientOrderId,
    timestamp: r.timestamp,
    datetime,
    symbol: r.symbol,
    side: r.side,
    price: moneyText(r.price),
    amount: moneyText(r.amount),
    cost: r.cost === undefined || r.cost === null ? null : moneyText(r.cost),
    fee: r.fee === undefined || r.fee === null ? null : { cost: moneyText(r.fee.cost), currency: r.fee.currency },
  }
}
