import { describe, expect, it } from 'vitest'
import type { StoredFill } from '../../store/index.js'
import { roundTrips } from './round-trips.js'

let n = 0
function fill(side: 'buy' | 'sell', amount: string, price: string, timestamp: number, fee = '0', feeCurrency = 'USDT', strategyId = 's', symbol = 'BTC/USDT'): StoredFill {
  n++
  return { venue: 'v', tradeId: `t${String(n).padStart(4, '0')}`, clientOrderId: `c${n}`, venueOrderId: `o${n}`, strategyId, symbol, side, price, amount, cost: '0', feeCost: fee, feeCurrency, takerOrMaker: 'taker', timestamp }
}

const view = (t: ReturnType<typeof roundTrips>[number]) => [t.side, t.amount.toString(), t.entryPrice.toString(), t.exitPrice?.toString(), t.gross?.toString(), t.fees.toString(), t.net?.toString(), t.closedAt === undefined ? 'open' : t.closedAt - t.openedAt]

describe('round trips from fills', () => {
  it('a long opened in two buys and closed in two sells: exact gross, fees, net and percentage', () => {
    const trips = roundTrips([fill('buy', '1', '100', 1_000, '0.1'), fill('buy', '1', '110', 2_000, '0.11'), fill('sell', '0.5', '120', 3_000, '0.06'), fill('sell', '1.5', '90', 4_000, '0.135')])
    expect(trips.map(view)).toEqual([['long', '2', '105', '97.5', '-15', '0.405', '-15.405', 3_000]])
    expect(trips[0]!.netPct).toBeCloseTo((-15.405 / 210) * 100, 10)
  })

  it('a flip closes the trip with the part that reaches zero and opens a short with the rest, the fee split between them', () => {
    const trips = roundTrips([fill('buy', '1', '100', 1_000), fill('sell', '3', '110', 2_000, '0.3'), fill('buy', '2', '105', 3_000)])
    expect(trips.map(view)).toEqual([
      ['long', '1', '100', '110', '10', '0.1', '9.9', 1_000],
      ['short', '2', '110', '105', '10', '0.2', '9.8', 1_000],
    ])
  })

  it('keeps strategies and symbols apart, orders by opening time, and leaves an unclosed trip open', () => {
    const trips = roundTrips([fill('sell', '1', '50', 5_000, '0', 'USDT', 'b'), fill('buy', '2', '10', 1_000, '0', 'USDT', 'a', 'ETH/USDT'), fill('buy', '1', '40', 6_000, '0', 'USDT', 'b')])
    expect(trips.map((t) => [t.strategyId, t.symbol, t.side, t.closedAt === undefined ? 'open' : 'closed', t.net?.toString()])).toEqual([
      ['a', 'ETH/USDT', 'long', 'open', undefined],
      ['b', 'BTC/USDT', 'short', 'closed', '10'],
    ])
  })

  it('counts a fee in the base currency at its fill price, and says when a fee was in a third currency', () => {
    const trips = roundTrips([fill('buy', '1', '100', 1_000, '0.001', 'BTC'), fill('sell', '1', '100', 2_000, '0.5', 'BNB')])
    expect([trips[0]!.fees.toString(), trips[0]!.otherFees]).toEqual(['0.1', true])
  })
})
