/**
 * @module risk/checks/trading-state
 * The trading state (with the kill switch folded in by the context): HALTED sends nothing, REDUCING only
 * orders that reduce exposure. The one exception to HALTED is an operator's `flatten`: an order with the
 * `flatten` purpose passes a halt, and only while it reduces the position (it can never open or flip one).
 */
import type { Order } from '../../model/index.js'
import type { OrderPurpose, RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { reducesExposure } from './order-facts.js'

export function checkTradingState(order: Order, ctx: RiskContext, _limits?: RiskLimits, purpose: OrderPurpose = 'trade'): RiskVerdict {
  const state = ctx.tradingState(order.strategyId)
  switch (state) {
    case 'ACTIVE':
      return APPROVED
    case 'HALTED': {
      if (purpose !== 'flatten') return deny('TRADING_HALTED', `trading is halted for strategy ${order.strategyId}`)
      const position = ctx.position(order.venue, order.symbol)
      return reducesExposure(order, position)
        ? APPROVED
        : deny('TRADING_HALTED', `halted: flatten ${order.side} ${order.amount} does not reduce position ${position} on ${order.venue}:${order.symbol}`)
    }
    case 'REDUCING': {
      const position = ctx.position(order.venue, order.symbol)
      return reducesExposure(order, position)
        ? APPROVED
        : deny(
            'REDUCE_ONLY',
            `reduce-only: ${order.side} ${order.amount} does not reduce position ${position} on ${order.venue}:${order.symbol}`,
          )
    }
  }
}
