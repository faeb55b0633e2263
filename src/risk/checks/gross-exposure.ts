/**
 * @module risk/checks/gross-exposure
 * Max gross exposure Σ |position| × price over every venue and symbol once the order has filled. Orders
 * that reduce their position always pass.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { growthUnder, positionAfter, product } from './order-facts.js'

/**
 * exposure + (|position after| − |position|) × max(order price, last trade) ≤ max passes (at the limit is
 * allowed). Valuing the change at the higher price keeps the bound true at the last-trade marks.
 */
export function checkGrossExposure(order: Order, ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  const growth = growthUnder(limits.maxGrossExposure, order, ctx, 'exposure')
  if ('approved' in growth) return growth
  const { max, position, price } = growth
  // Not reducing means the position grows in the order's direction, or crosses zero; only a crossing needs
  // the general formula, the common case adds amount × price (shared with the position check's product).
  const growing = position.isZero() || position.isPositive() === (order.side === 'buy')
  const increase = growing
    ? product(order.amount, price)
    : positionAfter(order, position).abs().sub(position.abs()).mul(price)
  const after = ctx.grossExposure().add(increase)
  return after.gt(max) ? deny('GROSS_EXPOSURE_EXCEEDS_MAX', `gross exposure after fill ${after} > max ${max}`) : APPROVED
}
