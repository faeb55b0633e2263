/**
 * @module store/fill-trade
 * A stored fill back as the domain's Trade (exact decimals from their stored strings): what recovery, P&L
 * and reports replay into a ledger. The one fill → trade conversion: a caller that parses the decimals its
 * own way (a cache, errors naming the fill) passes them in.
 */
import { dec } from '../model/index.js'
import type { Decimal, Trade } from '../model/index.js'
import type { StoredFill } from './store.js'

/** A fill's decimal columns, parsed. */
export interface FillDecimals {
  readonly price: Decimal
  readonly amount: Decimal
  readonly cost: Decimal
  readonly feeCost: Decimal
}

export function fillTrade(
  f: StoredFill,
  d: FillDecimals = { price: dec(f.price), amount: dec(f.amount), cost: dec(f.cost), feeCost: dec(f.feeCost) },
): Trade {
  return {
    id: f.tradeId,
    order: f.venueOrderId,
    clientOrderId: f.clientOrderId,
    venue: f.venue,
    symbol: f.symbol,
    timestamp: f.timestamp,
    side: f.side,
    price: d.price,
    amount: d.amount,
    cost: d.cost,
    fee: { cost: d.feeCost, currency: f.feeCurrency },
    takerOrMaker: f.takerOrMaker,
  }
}
