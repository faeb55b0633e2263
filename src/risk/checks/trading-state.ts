/**
 * @module risk/checks/trading-state
 * The trading state (with the kill switch folded in by the context): HALTED sends nothing, REDUCING only
 * orders that reduce exposure.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { reducesExposure } from './order-facts.js'

export function checkTradingState(order: Order, ctx: RiskContext, _limits?: RiskLimits): RiskVerdict {
  const state = ctx.tradingState(order.strategyId)
  switch (state) {
    case 'ACTIVE':
      return APPROVED
    case 'HALTED':
      return deny('TRADING_HALTED', `trading is halted for strategy ${order.strategyId}`)
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
