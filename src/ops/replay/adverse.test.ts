import { describe, expect, it } from 'vitest'
import { Decimal } from '../../model/index.js'
import { MemoryStore } from '../../store/index.js'
import type { StoredFill, StoredOrder } from '../../store/index.js'
import { selectAdverseTrades } from './adverse.js'

const T0 = Date.UTC(2024, 0, 2)

function order(id: string, side: 'buy' | 'sell', decision: string, ts: number): StoredOrder {
  return {
    clientOrderId: id,
    strategyId: 's1',
    venue: 'sim',
    symbol: 'BTC/USDT',
    type: 'market',
    side,
    amount: '1',
    price: null,
    decisionPrice: decision,
    state: 'closed',
    venueOrderId: `v-${id}`,
    filled: '1',
    cost: '0',
    reason: null,
    createdAt: ts,
    updatedAt: ts,
  }
}

function fill(id: string, side: 'buy' | 'sell', price: string, ts: number): StoredFill {
  return {
    venue: 'sim',
    tradeId: `t-${id}`,
    clientOrderId: id,
    venueOrderId: `v-${id}`,
    strategyId: 's1',
    symbol: 'BTC/USDT',
    side,
    price,
    amount: '1',
    cost: price,
    feeCost: '0.1',
    feeCurrency: 'USDT',
    takerOrMaker: 'taker',
    timestamp: ts,
  }
}

/** Buy 100 (decided 99: adverse slippage), sell 90 (loss), buy 100 (decided 101: better), sell 110 (profit). */
async function handMadeStore(): Promise<MemoryStore> {
  const store = new MemoryStore()
  const trades: [string, 'buy' | 'sell', string, string, number][] = [
    ['o1', 'buy', '100', '99', T0],
    ['o2', 'sell', '90', '90', T0 + 60_000],
    ['o3', 'buy', '100', '101', T0 + 86_400_000],
    ['o4', 'sell', '110', '110', T0 + 86_400_000 + 60_000],
  ]
  await store.write({
    deposits: [{ venue: 'sim', asset: 'USDT', amount: '1000', ts: T0 - 1, reason: 'initial balance' }],
    orders: trades.map(([id, side, , decision, ts]) => order(id, side, decision, ts)),
    fills: trades.map(([id, side, price, , ts]) => fill(id, side, price, ts)),
  })
  return store
}

describe('selectAdverseTrades', () => {
  it('selects losing closing fills and opening fills with adverse slippage, newest first', async () => {
    const store = await handMadeStore()
    const adverse = await selectAdverseTrades(store)
    expect(adverse.map((a) => [a.fill.clientOrderId, a.why])).toEqual([
      ['o2', 'loss'],
      ['o1', 'slippage'],
    ])
    const loss = adverse[0]!
    expect(loss.closing).toBe(true)
    expect(loss.realizedPnl.toString()).toBe('-10') // sold at 90 what cost 100 (fees apart)
    expect(loss.netPnl.toString()).toBe('-10.1')
    expect(adverse[1]!.slippageBps!.toFixed(2)).toBe('101.01')
  })

  it('takes every closing fill under a high threshold, limits with lastN and filters by day', async () => {
    const store = await handMadeStore()
    const all = await selectAdverseTrades(store, { threshold: new Decimal(1_000_000) })
    expect(all.map((a) => a.fill.clientOrderId)).toEqual(['o4', 'o2', 'o1'])
    const last = await selectAdverseTrades(store, { threshold: new Decimal(1_000_000), lastN: 1 })
    expect(last.map((a) => a.fill.clientOrderId)).toEqual(['o4'])
    const firstDay = await selectAdverseTrades(store, { threshold: new Decimal(1_000_000), from: T0, to: T0 + 86_400_000 })
    expect(firstDay.map((a) => a.fill.clientOrderId)).toEqual(['o2', 'o1'])
    const secondDay = await selectAdverseTrades(store, { threshold: new Decimal(1_000_000), from: T0 + 86_400_000, to: T0 + 2 * 86_400_000 })
    expect(secondDay.map((a) => [a.fill.clientOrderId, a.netPnl.toString()])).toEqual([['o4', '9.9']])
  })
})
