/**
 * @module risk/checks/precision
 * The instrument's own rules: amount and price on its step and tick, at least its minimum amount and
 * notional. An order the venue would reject for its shape never leaves Sofia.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { factsOf, isMultipleOf, orderNotional } from './order-facts.js'

/** Amount and price on the instrument's step and tick, at least the minimum amount and notional. */
export function checkPrecisionAndMinimums(order: Order, ctx: RiskContext, _limits?: RiskLimits): RiskVerdict {
  const inst = ctx.instrument(order.venue, order.symbol)
  const facts = factsOf(inst)
  const amount = order.amount
  if (amount.isZero() || amount.isNegative() || amount.isNaN()) {
    return deny('AMOUNT_NOT_POSITIVE', `amount ${amount} must be > 0`)
  }
  if (!isMultipleOf(amount, inst.stepSize, facts.amountDecimals)) {
    return deny('AMOUNT_PRECISION', `amount ${amount} is not a multiple of step ${inst.stepSize}`)
  }
  if (amount.lt(inst.minAmount)) return deny('AMOUNT_BELOW_MIN', `amount ${amount} < min ${inst.minAmount}`)
  if (order.type === 'limit') {
    const price = order.price
    if (price === undefined || price.isZero() || price.isNegative() || price.isNaN()) {
      return deny('PRICE_MISSING', 'limit order needs a price > 0')
    }
    if (!isMultipleOf(price, inst.tickSize, facts.priceDecimals)) {
      return deny('PRICE_PRECISION', `price ${price} is not a multiple of tick ${inst.tickSize}`)
    }
  }
  if (!inst.minCost.isZero()) {
    // Without any price (market order, no decision price, no trade yet) the minimum cannot be judged here;
    // the band and notional checks own that case.
    const notional = orderNotional(order, ctx)
    if (notional !== undefined && notional.lt(inst.minCost)) {
      return deny('NOTIONAL_BELOW_MIN', `notional ${notional} < min ${inst.minCost}`)
    }
  }
  return APPROVED
}
