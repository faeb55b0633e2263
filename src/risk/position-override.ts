/**
 * @module risk/position-override
 * Position override: a size multiplier (e.g. 0.1 after a rollback) the caller applies to an order's amount
 * *before* the risk checks, so the checks judge the order that will actually be sent.
 */
import { Decimal, InputError, ONE } from '../model/index.js'
import type { DecimalLike, Instrument } from '../model/index.js'

/** amount × multiplier, rounded down to the instrument's step (never more than asked). May be zero. */
export function applyPositionOverride(amount: Decimal, multiplier: Decimal, inst: Instrument): Decimal {
  if (multiplier.eq(ONE)) return amount
  return amount.mul(multiplier).div(inst.stepSize).toDecimalPlaces(0, Decimal.ROUND_DOWN).mul(inst.stepSize)
}

/** The whole account, or one strategy. */
export type PositionOverrideScope = 'account' | { readonly strategyId: string }

/**
 * Multipliers per account and per strategy. A strategy's effective multiplier is the tighter (smaller) of
 * its own and the account's, like trading states: an account-wide cut is never loosened by a strategy.
 */
export class PositionOverride {
  private account: Decimal = ONE
  private readonly strategies = new Map<string, Decimal>()

  /** The multiplier to apply to an order of `strategyId` (1 when none is set). */
  get(strategyId: string): Decimal {
    const own = this.strategies.get(strategyId)
    return own === undefined || own.gte(this.account) ? this.account : own
  }

  /** Sets a multiplier in [0, 1]; 1 removes the override. A value outside throws: it is a configuration error. */
  set(scope: PositionOverrideScope, multiplier: DecimalLike): void {
    const m = multiplier instanceof Decimal ? multiplier : new Decimal(multiplier)
    if (!m.isFinite() || m.isNegative() || m.gt(ONE)) {
      throw new InputError(`position override multiplier must be within [0, 1], got ${String(multiplier)}`)
    }
    if (scope === 'account') this.account = m
    else if (m.eq(ONE)) this.strategies.delete(scope.strategyId)
    else this.strategies.set(scope.strategyId, m)
  }

  /** Every override in force, for status pages and the audit log. */
  snapshot(): { readonly account: string; readonly strategies: Readonly<Record<string, string>> } {
    return {
      account: this.account.toString(),
      strategies: Object.fromEntries([...this.strategies].map(([id, m]) => [id, m.toString()])),
    }
  }
}
