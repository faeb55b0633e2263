/**
 * @module risk/checks/allowed-markets
 * Allow-lists of venues and symbols; an absent list allows everything.
 */
import type { Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'
import { compile } from './order-facts.js'

export function checkAllowedMarkets(order: Order, _ctx: RiskContext, limits: RiskLimits): RiskVerdict {
  const { allowedVenues, allowedSymbols } = compile(limits)
  if (allowedVenues !== undefined && !allowedVenues.has(order.venue)) {
    return deny('VENUE_NOT_ALLOWED', `venue ${order.venue} is not in the allowed venues [${[...allowedVenues].join(', ')}]`)
  }
  if (allowedSymbols !== undefined && !allowedSymbols.has(order.symbol)) {
    return deny('SYMBOL_NOT_ALLOWED', `symbol ${order.symbol} is not in the allowed symbols [${[...allowedSymbols].join(', ')}]`)
  }
  return APPROVED
}
