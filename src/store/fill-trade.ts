/**
 * @module store/fill-trade
 * A stored fill back as the domain's Trade (exact decimals from their stored strings): what recovery, P&L
 * and reports replay into a ledger.
 */
import { dec } from '../model/index.js'
import type { Trade } from '../model/index.js'
import type { StoredFill } from './store.js'

export function fillTrade(f: StoredFill): Trade {
  return {
    id: f.tradeId,
    order: f.venueOrderId,
    clientOrderId: f.clientOrderId,
    venue: f.venue,
    symbol: f.symbol,
    timestamp: f.timestamp,
    side: f.side,
    price: dec(f.price),
    amount: dec(f.amount),
    cost: dec(f.cost),
    fee: { cost: dec(f.feeCost), currency: f.feeCurrency },
    takerOrMaker: f.takerOrMaker,
  }
}
