/**
 * @module risk/pre-trade
 * The contract every pre-trade risk implementation meets, and `RiskGateway`: the minimal gateway that runs
 * only the instrument and balance checks (BASIC_CHECKS). `RiskEngine` is the full one.
 */
import type { Order } from '../model/index.js'
import { checkAvailableBalance } from './checks/available-balance.js'
import { checkPrecisionAndMinimums } from './checks/precision.js'
import type { RiskContext, RiskLimits } from './context.js'
import { APPROVED } from './verdict.js'
import type { RiskVerdict } from './verdict.js'

/** @deprecated Use `RiskContext`: the checks now read positions, exposure, P&L, open orders and state too. */
export type RiskView = RiskContext

/** A check: a pure function of the order, what the account looks like, and the limits. */
export type PreTradeCheck = (order: Order, ctx: RiskContext, limits: RiskLimits) => RiskVerdict

export interface PreTradeRisk {
  check(order: Order, ctx: RiskContext): RiskVerdict
}

export const BASIC_CHECKS: readonly PreTradeCheck[] = [checkPrecisionAndMinimums, checkAvailableBalance]

const NO_LIMITS: RiskLimits = Object.freeze({})

/** Runs checks in order without limits; the first denial is the verdict. Prefer `RiskEngine`. */
export class RiskGateway implements PreTradeRisk {
  constructor(private readonly checks: readonly PreTradeCheck[] = BASIC_CHECKS) {}

  check(order: Order, ctx: RiskContext): RiskVerdict {
    for (const check of this.checks) {
      const verdict = check(order, ctx, NO_LIMITS)
      if (!verdict.approved) return verdict
    }
    return APPROVED
  }
}
