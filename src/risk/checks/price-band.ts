/**
 * @module risk/checks/price-band
 * Fat-finger guard: a limit price (or a market order's decision price) at most `priceBandPct` away from the
 * last trade. A market order with no last trade has nothing to be judged against and is denied.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { compile, decimalOf } from './order-facts.js'

/** Below this relative distance from the band edge the float answer is not trusted and Decimal decides. */
const EDGE = 1e-9

/** |price − last| ≤ pct × last passes: exactly on the band edge is allowed. */
export function checkPriceBand(order: Order, ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  const pct = limits.priceBandPct
  if (pct === undefined) return APPROVED
  const last = ctx.lastPrice(order.venue, order.symbol)
  if (last === undefined) {
    return order.type === 'market'
      ? deny('NO_REFERENCE_PRICE', `no last trade on ${order.venue}:${order.symbol} to check a market order against`)
      : APPROVED
  }
  const price = order.type === 'limit' ? order.price : order.decisionPrice
  if (price === undefined) return APPROVED
  // Floats decide everything but a hair's breadth around the edge, where exact Decimal arithmetic does:
  // one toNumber instead of four decimal.js operations per order.
  const distance = Math.abs(price.toNumber() - last)
  const band = pct * last
  const slack = EDGE * last
  let outside: boolean
  if (distance < band - slack) outside = false
  else if (distance > band + slack) outside = true
  else {
    const lastDec = decimalOf(last)
    outside = price.sub(lastDec).abs().gt(lastDec.mul(compile(limits).priceBandPct ?? pct))
  }
  return outside
    ? deny(
        'PRICE_OUTSIDE_BAND',
        `price ${price} is ${((distance / last) * 100).toFixed(3)}% from last trade ${last}, band ±${pct * 100}%`,
      )
    : APPROVED
}
