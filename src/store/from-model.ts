/**
 * @module store/from-model
 * An order and a fill as the store keeps them (and as they travel, e.g. to a cluster): decimals as strings,
 * the order's options, tag and trigger time as JSON.
 */
import type { Order, Trade } from '../model/index.js'
import { optionsToJson } from '../model/index.js'
import type { StoredFill, StoredOrder } from './store.js'

/** Whose order it is, where, and its terms, decimals as strings: how the store and the API's views begin an order. */
export type OrderTerms = Pick<StoredOrder, 'clientOrderId' | 'strategyId' | 'venue' | 'symbol' | 'type' | 'side' | 'amount' | 'price'>

export function orderTerms(o: Order): OrderTerms {
  return {
    clientOrderId: o.clientOrderId,
    strategyId: o.strategyId,
    venue: o.venue,
    symbol: o.symbol,
    type: o.type,
    side: o.side,
    amount: o.amount.toString(),
    price: o.price?.toString() ?? null,
  }
}

export function toStoredOrder(o: Order): StoredOrder {
  return {
    ...orderTerms(o),
    decisionPrice: o.decisionPrice?.toString() ?? null,
    state: o.state,
    venueOrderId: o.venueOrderId ?? null,
    filled: o.filled.toString(),
    cost: o.cost.toString(),
    reason: o.reason ?? null,
    createdAt: o.timestamp,
    updatedAt: o.lastUpdate,
    options: storedOptions(o),
  }
}

/**
 * The order's options, tag and, once its trigger fired, when (`triggeredAt`): a stop-limit restored after a
 * restart then rests at its price instead of waiting for its trigger again.
 */
function storedOptions(o: Order): string | null {
  const options = o.tag === undefined ? o.options : { ...o.options, tag: o.tag }
  return o.triggeredAt === undefined ? optionsToJson(options) : optionsToJson(options, { triggeredAt: o.triggeredAt })
}

export function toStoredFill(t: Trade, strategyId: string): StoredFill {
  return {
    venue: t.venue,
    tradeId: t.id,
    clientOrderId: t.clientOrderId,
    venueOrderId: t.order,
    strategyId,
    symbol: t.symbol,
    side: t.side,
    price: t.price.toString(),
    amount: t.amount.toString(),
    cost: t.cost.toString(),
    feeCost: t.fee.cost.toString(),
    feeCurrency: t.fee.currency,
    takerOrMaker: t.takerOrMaker,
    timestamp: t.timestamp,
  }
}
