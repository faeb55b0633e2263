/**
 * @module risk/checks/max-notional
 * Max notional (amount × price) of one order. Market orders are valued at their decision price, else the
 * last trade; with neither, the order cannot be bounded and is denied.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { orderNotional } from './order-facts.js'

/** notional ≤ max passes: exactly at the limit is allowed. */
export function checkMaxNotional(order: Order, ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  const max = limits.maxOrderNotional
  if (max === undefined) return APPROVED
  const notional = orderNotional(order, ctx)
  if (notional === undefined) {
    return deny('NO_REFERENCE_PRICE', `no price to value ${order.type} order on ${order.venue}:${order.symbol}`)
  }
  return notional.gt(max)
    ? deny('NOTIONAL_EXCEEDS_MAX_PER_ORDER', `notional ${notional} > max ${max} per order`)
    : APPROVED
}
