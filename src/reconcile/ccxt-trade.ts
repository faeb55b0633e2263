/**
 * @module reconcile/ccxt-trade
 * Checks one JSON value as a CCXT unified trade and turns it into a TradeRecord, keeping money exact: JSON
 * numbers become their shortest round-trip text (what CCXT meant), numeric strings are kept as written.
 * A problem throws a FieldProblem naming the field; the caller adds the file and record.
 */
import type { OrderSide } from '../model/index.js'
import type { TradeRecord } from './trade-record.js'

/** What is wrong with one field of one record (without where: the reader says that). */
export class FieldProblem extends Error {
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** Quotes a raw value for a message, shortened so one huge bad value cannot flood a terminal. */
export function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function problem(field: string, expected: string, got: unknown): FieldProblem {
  return new FieldProblem(`field '${field}': expected ${expected}, got ${shown(got)}`)
}

function missing(field: string): FieldProblem {
  return new FieldProblem(`field '${field}': missing`)
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** An exact decimal string from a JSON number or numeric string. */
export function decimalField(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'string' && DECIMAL.test(value)) return value
  if (value === undefined || value === null) throw missing(field)
  throw problem(field, 'a decimal number', value)
}

function idField(value: unknown, field: string, required: boolean): string | undefined {
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  if (value === undefined || value === null || value === '') {
    if (required) throw missing(field)
    return undefined
  }
  throw problem(field, 'a string or integer', value)
}

export function sideField(value: unknown, field = 'side'): OrderSide {
  if (value === 'buy' || value === 'sell') return value
  if (value === undefined || value === null) throw missing(field)
  throw problem(field, '"buy" or "sell"', value)
}

export function timestampField(value: unknown, field = 'timestamp'): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  if (value === undefined || value === null) throw missing(field)
  throw problem(field, 'an integer (ms since 1970)', value)
}

export function stringField(value: unknown, field: string): string {
  if (typeof value === 'string' && value !== '') return value
  if (value === undefined || value === null || value === '') throw missing(field)
  throw problem(field, 'a string', value)
}

function fee(value: unknown, field: string): { cost: string; currency: string } | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object' || Array.isArray(value)) throw problem(field, 'an object {cost, currency}', value)
  const f = value as Record<string, unknown>
  if (f['cost'] === undefined || f['cost'] === null) return null
  const cost = decimalField(f['cost'], `${field}.cost`)
  const currency = f['currency']
  if (currency !== undefined && currency !== null && typeof currency !== 'string') throw problem(`${field}.currency`, 'a string', currency)
  return { cost, currency: currency ?? '' }
}

/** A CCXT unified trade (`fetchMyTrades` element) as a TradeRecord. */
export function ccxtTrade(value: unknown): TradeRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FieldProblem(`expected a CCXT trade object {id, order, timestamp, symbol, side, price, amount, fee}, got ${shown(value)}`)
  }
  const t = value as Record<string, unknown>
  const id = idField(t['id'], 'id', true) as string
  const order = idField(t['order'], 'order', false)
  const clientOrderId = idField(t['clientOrderId'], 'clientOrderId', false)
  const timestamp = timestampField(t['timestamp'])
  const symbol = stringField(t['symbol'], 'symbol')
  const side = sideField(t['side'])
  const price = decimalField(t['price'], 'price')
  const amount = decimalField(t['amount'], 'amount')
  const cost = t['cost'] === undefined || t['cost'] === null ? null : decimalField(t['cost'], 'cost')
  const venue = t['venue']
  if (venue !== undefined && venue !== null && typeof venue !== 'string') throw problem('venue', 'a string', venue)
  return {
    id,
    order: order ?? null,
    clientOrderId: clientOrderId ?? null,
    timestamp,
    symbol,
    side,
    price,
    amount,
    cost,
    fee: fee(t['fee'], 'fee'),
    ...(typeof venue === 'string' && venue !== '' ? { venue } : {}),
  }
}
