/**
 * @module risk/checks/self-trade
 * Self-trade prevention on Sofia's side: an order must not trade with the account's own resting order on the
 * other side of the same market (two strategies on one account, or one strategy whose new order crosses its own
 * quote). Venues differ: Binance expires one side when asked, many exchanges let the two trade, so the check is
 * made before anything is sent.
 */
import { isTriggerOrder } from '../../model/index.js'
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'

/**
 * A limit buy priced at or above the account's lowest resting sell (a sell at or below its highest resting
 * buy) would meet it. A market order is refused while any own order rests on the other side: how far it
 * sweeps the book is not known. An order waiting for a trigger is not on the book, so it passes.
 */
export function checkSelfTrade(order: Order, ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  if (limits.preventSelfTrade !== true) return APPROVED
  if (isTriggerOrder(order.options)) return APPROVED
  const own = ctx.restingOwn(order.venue, order.symbol)
  const other = order.side === 'buy' ? own.sell : own.buy
  if (other === undefined) return APPROVED
  const price = order.type === 'limit' ? order.price : undefined
  if (price !== undefined && (order.side === 'buy' ? price.lt(other.price) : price.gt(other.price))) return APPROVED
  const what = price === undefined ? `market ${order.side}` : `${order.side} at ${price.toString()}`
  return deny(
    'SELF_TRADE',
    `${what} on ${order.venue}:${order.symbol} would trade with the account's own resting ${order.side === 'buy' ? 'sell' : 'buy'} ${other.clientOrderId} at ${other.price.toString()}`,
  )
}
