import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../store/index.js'
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
})
