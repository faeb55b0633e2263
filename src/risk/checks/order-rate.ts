/**
 * @module risk/checks/order-rate
 * Max orders sent per second and per minute, per strategy and per venue. The counts live in an
 * `OrderRateCounter` that the engine feeds with approved orders; the check only reads it.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import type { OrderRateCounter, RateScope } from '../order-rate-counter.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'

const SECOND = 1_000
const MINUTE = 60_000

/** Passes while fewer than the limit were approved in the window: the limit-th order in a window is allowed. */
export function checkOrderRate(order: Order, ctx: RiskContext, limits: RiskLimits, counter: OrderRateCounter): RiskVerdict {
  const perSecond = limits.maxOrdersPerSecond
  const perMinute = limits.maxOrdersPerMinute
  if (perSecond === undefined && perMinute === undefined) return APPROVED
  const now = ctx.now()
  if (perSecond !== undefined) {
    const denied = full(counter, order, perSecond, SECOND, now, '/s')
    if (denied !== undefined) return denied
  }
  if (perMinute !== undefined) {
    const denied = full(counter, order, perMinute, MINUTE, now, '/min')
    if (denied !== undefined) return denied
  }
  return APPROVED
}

function full(counter: OrderRateCounter, order: Order, max: number, windowMs: number, now: number, unit: string): RiskVerdict | undefined {
  const scope: RateScope | undefined = counter.isFull('strategy', order.strategyId, max, windowMs, now)
    ? 'strategy'
    : counter.isFull('venue', order.venue, max, windowMs, now)
      ? 'venue'
      : undefined
  if (scope === undefined) return undefined
  const id = scope === 'strategy' ? order.strategyId : order.venue
  const n = counter.count(scope, id, windowMs, now)
  return deny('ORDER_RATE_EXCEEDED', `${scope} ${id} sent ${n} orders in the last ${windowMs / 1000}s, max ${max}${unit}`)
}
