/**
 * @module ledger/position-book
 * One average-cost position book: the account's (venue, symbol) or a strategy's (strategy, venue, symbol).
 * Keeps a signed amount, an exact cost basis, realized P&L, fees and counts of closing fills.
 *
 * Exactness: the only division in average cost is the share of cost basis removed when a position shrinks.
 * That share is rounded to {@link COST_REMOVAL_DECIMALS} places and then subtracted exactly, so for every book
 * `costBasis − realizedPnl = Σ signed fill costs` (buys +, sells −) holds to the last digit, and realized plus
 * remaining cost basis always add back up to what was paid.
 */
import { Decimal, ZERO } from '../model/index.js'

/** Decimal places of the cost basis removed on a partial reduction (half-even). */
export const COST_REMOVAL_DECIMALS = 18

/** What one fill did to a book; `closedAmount` is zero when the fill only opened or added. */
export interface BookFillResult {
  readonly closedAmount: Decimal
  readonly realizedGross: Decimal
}

const NOT_CLOSING: BookFillResult = { closedAmount: ZERO, realizedGross: ZERO }

/** Mutable state of one book; only the ledger writes it. */
export class PositionBook {
  /** Signed: > 0 long, < 0 short. */
  amount: Decimal = ZERO
  /** Signed like `amount`: what the open position cost (long) or brought in (short), exact. */
  costBasis: Decimal = ZERO
  /** Gross of fees. */
  realizedPnl: Decimal = ZERO
  /** Fees valued in the quote currency at fill time (see Ledger for non-quote fee currencies). */
  fees: Decimal = ZERO
  /** Traded notional in the quote currency. */
  volume: Decimal = ZERO
  fills = 0
  closingFills = 0
  wins = 0
  losses = 0
  /** Sum of net P&L of winning closing fills (> 0). */
  grossProfit: Decimal = ZERO
  /** Sum of |net P&L| of losing closing fills (≥ 0). */
  grossLoss: Decimal = ZERO
  /** Fees in a currency with no mark to value them in the quote at fill time, per currency. */
  unvaluedFees: Map<string, Decimal> | undefined = undefined

  constructor(
    readonly venue: string,
    readonly symbol: string,
    readonly base: string,
    readonly quote: string,
    readonly strategyId: string | undefined,
  ) {}

  /**
   * Applies one fill. `cost` must be exactly `price × amount` (the ledger checks it); `feeValue` is the fee
   * in the quote currency and is counted against a closing fill in full, even when the fill also opens.
   */
  apply(buy: boolean, price: Decimal, amount: Decimal, cost: Decimal, feeValue: Decimal): BookFillResult {
    this.fills++
    this.volume = this.volume.add(cost)
    this.fees = this.fees.add(feeValue)
    const held = this.amount
    const signedAmount = buy ? amount : amount.neg()
    const signedCost = buy ? cost : cost.neg()
    // Opening or adding: nothing is realized.
    if (held.isZero() || held.isPos() === buy) {
      this.amount = held.add(signedAmount)
      this.costBasis = this.costBasis.add(signedCost)
      return NOT_CLOSING
    }
    const heldAbs = held.abs()
    let closedAmount: Decimal
    let realizedGross: Decimal
    const cmp = amount.cmp(heldAbs)
    if (cmp < 0) {
      // Partial reduction: remove the pro-rata cost basis, rounded, then subtract it exactly.
      closedAmount = amount
      const removed = this.costBasis
        .mul(amount)
        .div(heldAbs)
        .toDecimalPlaces(COST_REMOVAL_DECIMALS, Decimal.ROUND_HALF_EVEN)
      realizedGross = signedCost.neg().sub(removed)
      this.costBasis = this.costBasis.sub(removed)
      this.amount = held.add(signedAmount)
    } else if (cmp === 0) {
      closedAmount = amount
      realizedGross = signedCost.neg().sub(this.costBasis)
      this.costBasis = ZERO
      this.amount = ZERO
    } else {
      // Through zero: close all of the held amount at this price, open the rest on the other side.
      // Both parts are exact products, and they add up to the fill's cost exactly.
      closedAmount = heldAbs
      const closedCost = price.mul(heldAbs)
      const openCost = cost.sub(closedCost)
      realizedGross = (buy ? closedCost.neg() : closedCost).sub(this.costBasis)
      const openAmount = amount.sub(heldAbs)
      this.amount = buy ? openAmount : openAmount.neg()
      this.costBasis = buy ? openCost : openCost.neg()
    }
    this.realizedPnl = this.realizedPnl.add(realizedGross)
    this.closingFills++
    const net = realizedGross.sub(feeValue)
    if (net.isPos() && !net.isZero()) {
      this.wins++
      this.grossProfit = this.grossProfit.add(net)
    } else if (net.isNeg() && !net.isZero()) {
      this.losses++
      this.grossLoss = this.grossLoss.sub(net)
    }
    return { closedAmount, realizedGross }
  }

  addUnvaluedFee(currency: string, cost: Decimal): void {
    this.unvaluedFees ??= new Map()
    this.unvaluedFees.set(currency, (this.unvaluedFees.get(currency) ?? ZERO).add(cost))
  }

  /** Average entry price, |cost basis| / |amount|; undefined when flat. Rounded to 40 digits: display only. */
  averagePrice(): Decimal | undefined {
    return this.amount.isZero() ? undefined : this.costBasis.abs().div(this.amount.abs())
  }
}
