/**
 * @module risk/checks/daily-loss
 * Max daily loss (MAX_DAILY_LOSS), absolute and as a fraction of equity. Unlike the other limits, a loss
 * limit is hit when it is *reached*: once today's P&L ≤ −limit only orders that reduce exposure pass.
 */
import type { Decimal, Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { compile, reducesExposure } from './order-facts.js'

export function checkDailyLoss(order: Order, ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  const { dailyLossFloor, maxDailyLossPct } = compile(limits)
  if (dailyLossFloor === undefined && maxDailyLossPct === undefined) return APPROVED
  const pnl = ctx.dailyPnl()
  // Profitable days skip the equity lookup and the multiplication (a non-negative limit cannot be reached).
  if (!pnl.isNegative() && !pnl.isZero()) return APPROVED
  let reason: string | undefined
  if (dailyLossFloor !== undefined && pnl.lte(dailyLossFloor)) {
    reason = `daily P&L ${pnl} reached the loss limit ${dailyLossFloor.neg()}`
  } else if (maxDailyLossPct !== undefined) {
    const equity = ctx.equity()
    const floor = equity.mul(maxDailyLossPct).neg()
    if (pnl.lte(floor)) reason = `daily P&L ${pnl} reached ${maxDailyLossPct.mul(100)}% of equity ${equity} (${floor})`
  }
  if (reason === undefined) return APPROVED
  return reducesExposure(order, ctx.position(order.venue, order.symbol))
    ? APPROVED
    : deny('DAILY_LOSS_LIMIT', `${reason}: only exposure-reducing orders pass`)
}

/**
 * The daily loss limit in force: the tighter of MAX_DAILY_LOSS and MAX_DAILY_LOSS_PCT × equity, or undefined
 * when neither is set. `equity` is asked for only when a fraction is set.
 */
export function effectiveDailyLossLimit(
  limits: { readonly maxDailyLoss?: Decimal | undefined; readonly maxDailyLossPct?: number | undefined },
  equity: () => Decimal,
): Decimal | undefined {
  const absolute = limits.maxDailyLoss
  if (limits.maxDailyLossPct === undefined) return absolute
  const ofEquity = equity().mul(limits.maxDailyLossPct)
  return absolute === undefined || ofEquity.lt(absolute) ? ofEquity : absolute
}
