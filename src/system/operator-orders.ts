/**
 * @module system/operator-orders
 * Orders an operator places by hand: one from the order ticket (under strategy id `manual`, through every
 * pre-trade check a strategy's order meets), and a flatten (reducing market orders, allowed while halted).
 * Both are audited with the actor and reason.
 */
import { dec } from '../model/index.js'
import type { ManualOrder } from './commands.js'
import { MANUAL_STRATEGY } from './safety-types.js'
import type { CommandOutcome, FlattenOrder, FlattenResult } from './command-results.js'
import type { SafetyOptions } from './safety-types.js'

/** What placing and flattening use of the session. */
export type OperatorOrderDeps = Pick<SafetyOptions, 'orders' | 'market' | 'ledger' | 'persistence' | 'killSwitch' | 'withPurpose' | 'log'>

/**
 * An operator's order from the ticket (`POST /orders`): under strategy id `manual`, through every pre-trade
 * check a strategy's order meets (a halt denies it), audited `operator.order` with the actor and reason.
 */
export function placeManualOrder(o: OperatorOrderDeps, ticket: ManualOrder, actor: string): CommandOutcome<'orders.place'> {
  const { reason, venue, symbol, side, type, amount, price, triggerPrice } = ticket
  const last = o.market.lastPrice(venue, symbol)
  let order
  try {
    order = o.orders.submit({
      strategyId: MANUAL_STRATEGY,
      venue,
      symbol,
      side,
      type,
      amount,
      ...(price !== undefined ? { price } : {}),
      ...(last !== undefined ? { decisionPrice: dec(last) } : {}),
      tag: 'manual',
      ...(triggerPrice !== undefined ? { options: { triggerPrice } } : {}),
    })
  } catch (error) {
    // Refused before it became an order (an unknown venue or symbol): nothing was sent.
    const message = error instanceof Error ? error.message : String(error)
    o.persistence?.audit('operator.order', actor, { reason, venue, symbol, side, type, amount: amount.toString(), refused: message })
    return { ok: false, error: `order refused: ${message}` }
  }
  const denied = order.state === 'denied' || order.state === 'rejected'
  const result = { clientOrderId: order.clientOrderId, state: order.state, ...(denied ? { denial: order.reason ?? null } : {}) }
  o.persistence?.audit('operator.order', actor, { reason, venue, symbol, side, type, amount: amount.toString(), ...(price !== undefined ? { price: price.toString() } : {}), ...(triggerPrice !== undefined ? { triggerPrice: triggerPrice.toString() } : {}), ...result })
  return denied ? { ok: false, result, error: `order ${order.state}: ${order.reason ?? 'refused'}` } : { ok: true, result }
}

/**
 * Closes positions with market orders: an operator's explicit, audited action, allowed while halted (the
 * orders carry the `flatten` purpose, which the trading-state check lets through only while they reduce).
 * One order per strategy position, under that strategy, so the ledger attributes the close to it.
 */
export function flattenPositions(o: OperatorOrderDeps, reason: string, actor: string, filter: { readonly strategyId?: string; readonly symbol?: string } = {}): FlattenResult {
  const withPurpose = o.withPurpose
  const targets = o.ledger
    .strategyPositions(filter.strategyId)
    .filter((p) => !p.amount.isZero() && (filter.symbol === undefined || p.symbol === filter.symbol))
  const orders: FlattenOrder[] = []
  for (const p of targets) {
    const strategyId = p.strategyId ?? 'operator'
    // Working orders on the market would race the close (and reserve what it sells).
    o.orders.cancelAll({ strategyId, venue: p.venue, symbol: p.symbol })
    const side = p.amount.isPositive() ? 'sell' : 'buy'
    const amount = p.amount.abs()
    const last = o.market.lastPrice(p.venue, p.symbol)
    const base = { strategyId, venue: p.venue, symbol: p.symbol, side, amount: amount.toString() } as const
    if (withPurpose === undefined) {
      orders.push({ ...base, clientOrderId: null, state: 'denied', code: 'FLATTEN_UNSUPPORTED', reason: 'this session cannot send flatten orders' })
      continue
    }
    const order = withPurpose('flatten', () =>
      o.orders.submit({
        strategyId,
        venue: p.venue,
        symbol: p.symbol,
        side,
        type: 'market',
        amount,
        tag: 'flatten',
        ...(last !== undefined ? { decisionPrice: dec(last) } : {}),
      }),
    )
    const denied = order.state === 'denied' || order.state === 'rejected'
    orders.push({ ...base, clientOrderId: order.clientOrderId, state: order.state, code: denied ? 'DENIED' : null, reason: denied ? (order.reason ?? null) : null })
  }
  const result: FlattenResult = { positions: targets.length, orders, denied: orders.filter((o) => o.code !== null).length }
  o.persistence?.audit('operator.flatten', actor, { reason, ...filter, ...result, killSwitch: o.killSwitch.active })
  o.log?.(`flatten by ${actor}: ${targets.length} positions, ${result.denied} denied (${reason})`)
  return result
}
