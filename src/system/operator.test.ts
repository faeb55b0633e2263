import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../store/index.js'
import { makeFill } from '../store/store.contract.js'
import { OperatorConsole } from './operator.js'

describe('the operator console with no session running', () => {
  it('refuses cancel-all: with no venue to ask, no order is marked cancelled and nothing is audited', async () => {
    const store = new MemoryStore()
    const t = 1_000
    await store.write({
      orders: [
        { clientOrderId: 'mm-1', strategyId: 'mm', venue: 'xsim', symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.01', price: '100', decisionPrice: '100', state: 'open', venueOrderId: 'v1', filled: '0', cost: '0', reason: null, createdAt: t, updatedAt: t },
      ],
    })
    const r = await new OperatorConsole(store, 'AUTO').execute('orders.cancel_all', { reason: 'x' }, 'operator:test')
    expect(r).toMatchObject({ ok: false, via: 'store', error: expect.stringMatching(/^cancel-all needs a running session to ask the venue; 1 order\(s\) are open in the store, unchanged/) })
    expect((await store.loadOrders({ openOnly: true })).map((o) => o.state)).toEqual(['open'])
    expect(await store.countAudit()).toBe(0)
  })

  it('reports each venue’s positions as the ledger books the stored fills: net of sells, per venue, flat ones left out', async () => {
    const store = new MemoryStore()
    await store.write({
      fills: [
        makeFill('t1', { side: 'buy', amount: '1.5', price: '100', cost: '150', feeCost: '0.15', feeCurrency: 'USDT' }),
        makeFill('t2', { side: 'sell', amount: '0.4', price: '110', cost: '44', feeCost: '0.044', feeCurrency: 'USDT' }),
        makeFill('t3', { venue: 'kraken', side: 'sell', amount: '0.25', price: '101', cost: '25.25', strategyId: 'mm' }),
        makeFill('t4', { symbol: 'ETH/USDT', side: 'buy', amount: '2', price: '10', cost: '20' }),
        makeFill('t5', { symbol: 'ETH/USDT', side: 'sell', amount: '2', price: '11', cost: '22' }),
      ],
    })
    const status = await new OperatorConsole(store, 'AUTO').status()
    expect(status.positions).toEqual([
      { venue: 'binance', symbol: 'BTC/USDT', amount: '1.1' },
      { venue: 'kraken', symbol: 'BTC/USDT', amount: '-0.25' },
    ])
  })
})
