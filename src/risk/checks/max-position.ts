/**
 * @module risk/checks/max-position
 * Max |position| × price per venue and symbol once the order has filled completely (MAX_POSITION_USD).
 * Orders that reduce the position always pass, so a position above the limit (after a price move) can
 * always be worked down.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { growthUnder, positionAfter, product } from './order-facts.js'

/** |position after| × max(order price, last trade) ≤ max passes: exactly at the limit is allowed. */
export function checkMaxPosition(order: Order, ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  const growth = growthUnder(limits.maxPositionNotional, order, ctx, 'the position')
  if ('approved' in growth) return growth
  const { max, position, price } = growth
  const after = positionAfter(order, position)
  const value = product(after.abs(), price)
  return value.gt(max)
    ? deny(
        'POSITION_EXCEEDS_MAX',
        `position after fill ${after} ${order.symbol} on ${order.venue} is worth ${value} > max ${max}`,
      )
    : APPROVED
}
