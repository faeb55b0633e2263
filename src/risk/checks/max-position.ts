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
import { positionAfter, product, reducesExposure, valuationPrice } from './order-facts.js'

/** |position after| × max(order price, last trade) ≤ max passes: exactly at the limit is allowed. */
export function checkMaxPosition(order: Order, ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  const max = limits.maxPositionNotional
  if (max === undefined) return APPROVED
  const position = ctx.position(order.venue, order.symbol)
  if (reducesExposure(order, position)) return APPROVED
  const price = valuationPrice(order, ctx)
  if (price === undefined) {
    return deny('NO_REFERENCE_PRICE', `no price to value the position on ${order.venue}:${order.symbol}`)
  }
  const after = positionAfter(order, position)
  const value = product(after.abs(), price)
  return value.gt(max)
    ? deny(
        'POSITION_EXCEEDS_MAX',
        `position after fill ${after} ${order.symbol} on ${order.venue} is worth ${value} > max ${max}`,
      )
    : APPROVED
}
