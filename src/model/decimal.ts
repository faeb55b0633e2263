/**
 * @module model/decimal
 * The one exact money type. Prices, amounts, fees, balances and P&L in the ledger, reconciliation and
 * reports are `Decimal`; the market-data hot path may use `number`, converted here at the boundary.
 */
import { Decimal as DecimalJs } from 'decimal.js'

/** An isolated decimal.js constructor: 40 significant digits, half-even rounding, never exponent notation. */
export const Decimal = DecimalJs.clone({
  precision: 40,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -40,
  toExpPos: 40,
})
export type Decimal = InstanceType<typeof Decimal>

/** Anything that can become a Decimal without loss: strings, integers, or an existing Decimal. */
export type DecimalLike = Decimal | string | number

export const ZERO: Decimal = new Decimal(0)
export const ONE: Decimal = new Decimal(1)

/** Converts to Decimal. A binary float goes through its shortest round-trip string, so 0.1 becomes exactly 0.1. */
export function dec(value: DecimalLike): Decimal {
  return value instanceof Decimal ? value : new Decimal(value)
}

/** Sum of decimals, exact. */
export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO
  for (const v of values) total = total.add(v)
  return total
}
