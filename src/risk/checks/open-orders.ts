/**
 * @module risk/checks/open-orders
 * Max open orders per strategy and per venue, counting the order being checked.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'

/** open + 1 ≤ max passes: reaching exactly the limit is allowed. */
export function checkOpenOrders(order: Order, ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  const max = limits.maxOpenOrders
  if (max === undefined) return APPROVED
  const byStrategy = ctx.openOrderCount({ strategyId: order.strategyId })
  if (byStrategy >= max) {
    return deny('MAX_OPEN_ORDERS', `strategy ${order.strategyId} has ${byStrategy} open orders, max ${max}`)
  }
  const byVenue = ctx.openOrderCount({ venue: order.venue })
  if (byVenue >= max) return deny('MAX_OPEN_ORDERS', `venue ${order.venue} has ${byVenue} open orders, max ${max}`)
  return APPROVED
}
