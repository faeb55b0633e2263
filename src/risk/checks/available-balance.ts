/**
 * @module risk/checks/available-balance
 * The account can pay for the order from balance not reserved by open orders: quote (with the taker fee)
 * for buys, base for sells. A triggered order (stop, take-profit, trailing) holds nothing until it fires, when
 * the venue checks its funds: a stop and a take-profit may then both protect the same position.
 */
import { isTriggerOrder } from '../../model/index.js'
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { factsOf, orderNotional } from './order-facts.js'

/** needed ≤ free passes. */
export function checkAvailableBalance(order: Order, ctx: RiskContext, _limits?: RiskLimits): RiskVerdict {
  if (isTriggerOrder(order.options)) return APPROVED
  const inst = ctx.instrument(order.venue, order.symbol)
  if (order.side === 'sell') {
    const free = ctx.freeBalance(order.venue, inst.base)
    return order.amount.gt(free)
      ? deny('INSUFFICIENT_BALANCE', `sell ${order.amount} ${inst.base} > free ${free}`)
      : APPROVED
  }
  const notional = orderNotional(order, ctx)
  if (notional === undefined) return deny('NO_REFERENCE_PRICE', `no price known for ${order.venue}:${order.symbol}`)
  const needed = notional.mul(factsOf(inst).takerFactor)
  const free = ctx.freeBalance(order.venue, inst.quote)
  return needed.gt(free) ? deny('INSUFFICIENT_BALANCE', `buy needs ${needed} ${inst.quote} > free ${free}`) : APPROVED
}
