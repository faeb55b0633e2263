/**
 * @module ledger/equity-sample
 * An equity sample as the ledger takes it every sampling interval: the rows it is made of, kept by reference
 * (balances and amounts are Decimals, which never change; marks are the numbers as set), a float estimate with
 * a bound of its error, and the exact Decimals made only when the curve asks for them (a possible new peak or
 * deeper fall, a point handed out). The exact sums are the ones an eager valuation makes: the same rows, in the
 * same order, with marks converted by `dec` (shortest round-trip string), so the digits are the same.
 */
import { ONE, ZERO, dec } from '../model/index.js'
import type { Decimal } from '../model/index.js'
import type { EquitySample } from './equity-curve.js'

/**
 * A row's unit value in the sample's currency: ONE for the currency itself, a mark price (converted when
 * summed), or undefined when the row is left out (zero, or no mark to value it).
 */
export type SampleUnit = Decimal | number | undefined

/**
 * Rows as flat pairs: `[amount, unit, amount, unit, …]`, the account balances first (`accounts` of them), then
 * the account books' position amounts.
 */
export type SampleRows = (Decimal | SampleUnit)[]

export class LedgerSample implements EquitySample {
  #equity: Decimal | undefined
  #exposure: Decimal | undefined

  constructor(
    readonly currency: string,
    /** How many balance rows come before the position rows. */
    readonly accounts: number,
    readonly rows: readonly (Decimal | SampleUnit)[],
    readonly estimate: number,
    readonly error: number,
  ) {}

  /** Σ balance × unit value over the balance rows. */
  equity(): Decimal {
    if (this.#equity === undefined) {
      let total = ZERO
      for (let i = 0; i < 2 * this.accounts; i += 2) {
        const unit = this.rows[i + 1]
        if (unit === undefined) continue
        const balance = this.rows[i] as Decimal
        const value = unit === ONE ? balance : balance.mul(dec(unit))
        total = total === ZERO ? value : total.add(value)
      }
      this.#equity = total
    }
    return this.#equity
  }

  /** Σ |amount| × unit value over the position rows. */
  grossExposure(): Decimal {
    if (this.#exposure === undefined) {
      let total = ZERO
      for (let i = 2 * this.accounts; i < this.rows.length; i += 2) {
        const unit = this.rows[i + 1]
        if (unit === undefined) continue
        const amount = this.rows[i] as Decimal
        const value = (amount.isNegative() ? amount.neg() : amount).mul(dec(unit))
        total = total === ZERO ? value : total.add(value)
      }
      this.#exposure = total
    }
    return this.#exposure
  }

  /** Whether `rows` are this sample's own: the same Decimals and the same marks, row by row. */
  same(currency: string, accounts: number, rows: readonly (Decimal | SampleUnit)[]): boolean {
    if (currency !== this.currency || accounts !== this.accounts || rows.length !== this.rows.length) return false
    for (let i = 0; i < rows.length; i++) if (rows[i] !== this.rows[i]) return false
    return true
  }
}

/**
 * The float of Σ balance × unit over the balance rows, and a bound of its distance from the exact sum. Each
 * term is off by at most three roundings (the balance's float, the mark's decimal against its double, the
 * product) and the sum adds one a term: (terms + 3) units of 2⁻⁵³ of Σ |term|; the bound doubles that.
 * `floatOf` gives a balance's float (the ledger keeps them, as balances change only on fills).
 */
export function estimateEquity(accounts: number, rows: readonly (Decimal | SampleUnit)[], floatOf: (row: number, d: Decimal) => number): { estimate: number; error: number } {
  let estimate = 0
  let magnitude = 0
  let terms = 0
  for (let i = 0; i < 2 * accounts; i += 2) {
    const unit = rows[i + 1]
    if (unit === undefined) continue
    const x = floatOf(i, rows[i] as Decimal) * (typeof unit === 'number' ? unit : unit === ONE ? 1 : unit.toNumber())
    estimate += x
    magnitude += Math.abs(x)
    terms++
  }
  return { estimate, error: (terms + 4) * 2 ** -52 * magnitude }
}
