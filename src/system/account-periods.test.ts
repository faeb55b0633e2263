// Whose account the ledger holds over time: the periods, their reading from the store, and the orders they name.
import { describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { MemoryStore } from '../store/index.js'
import type { StoredOrder } from '../store/index.js'
import { AuditLog } from '../audit/index.js'
import { ACCOUNT_KEY, nextPeriods, periodsFromAudit, simulatedOrders, startingPeriods, storedSimulatedOrders } from './account-periods.js'

function order(clientOrderId: string, createdAt: number): StoredOrder {
  return {
    clientOrderId,
    strategyId: 's',
    venue: 'x',
    symbol: 'BTC/USDT',
    type: 'market',
    side: 'buy',
    amount: '1',
    price: null,
    decisionPrice: null,
    state: 'closed',
    venueOrderId: clientOrderId,
    filled: '1',
    cost: '100',
    reason: null,
    createdAt,
    updatedAt: createdAt,
  }
}

describe('account periods', () => {
  it('a switch to the simulator opens a period, a switch back to the exchange ends it; switches within a leg change nothing', () => {
    let p = nextPeriods({ simulatedSince: null, closed: [] }, 'live', 5)
    expect(p).toEqual({ simulatedSince: null, closed: [] })
    p = nextPeriods(p, 'sim', 10)
    expect(nextPeriods(p, 'sim', 15)).toBe(p)
    p = nextPeriods(p, 'live', 20)
    p = nextPeriods(nextPeriods(p, 'sim', 30), 'live', 40)
    expect(p).toEqual({ simulatedSince: null, closed: [[10, 20], [30, 40]] })
  })

  it('at a start: a fresh store, a live store, a shadow store started live (rebased)', () => {
    expect(startingPeriods(undefined, 'sim', 100)).toEqual({ periods: { simulatedSince: 100, closed: [] }, rebased: false })
    expect(startingPeriods(undefined, 'live', 100)).toEqual({ periods: { simulatedSince: null, closed: [] }, rebased: false })
    expect(startingPeriods({ simulatedSince: 50, closed: [] }, 'live', 100)).toEqual({ periods: { simulatedSince: null, closed: [[50, 100]] }, rebased: true })
    expect(startingPeriods({ simulatedSince: null, closed: [[1, 2]] }, 'live', 100)).toEqual({ periods: { simulatedSince: null, closed: [[1, 2]] }, rebased: false })
  })

  it('a store kept before the periods were: read from the sessions and switches in its audit chain', async () => {
    const store = new MemoryStore()
    const log = new AuditLog()
    log.append('session.started', 'system', { mode: 'live' }, 10)
    log.append('mode.changed', 'operator:a', { venue: 'x', from: 'live', to: 'shadow', cancelled: 0, secondaryCancelled: 0 }, 20)
    log.append('mode.changed', 'operator:a', { venue: 'x', from: 'shadow', to: 'canary', cancelled: 0, secondaryCancelled: 0 }, 25)
    log.append('session.started', 'system', { mode: 'canary' }, 30)
    log.append('mode.changed', 'operator:a', { venue: 'x', from: 'canary', to: 'live', cancelled: 0, secondaryCancelled: 0 }, 40)
    log.append('session.started', 'system', { mode: 'shadow' }, 50)
    await store.write({ audit: log.drain() })
    expect(await periodsFromAudit(store)).toEqual({ simulatedSince: 50, closed: [[20, 40]] })
    // Real orders of the first live period stay the exchange's; an adopted one is the exchange's whatever its time.
    await store.write({ orders: [order('live-1', 15), order('sim-1', 22), order('sim-2', 51), { ...order('ext-1', 30), strategyId: 'external' }] })
    const start = startingPeriods(await periodsFromAudit(store), 'live', 60)
    expect(start).toEqual({ periods: { simulatedSince: null, closed: [[20, 40], [50, 60]] }, rebased: true })
    expect([...(await simulatedOrders(store, start.periods))].sort()).toEqual(['sim-1', 'sim-2'])
  })

  it('a damaged record is refused with one line naming the key and the field', () => {
    expect(() => startingPeriods({ simulatedSince: 'x', closed: [] }, 'live', 1)).toThrow(InputError)
    expect(() => startingPeriods({ simulatedSince: null, closed: [[5, 1]] }, 'live', 1)).toThrow(/state 'session\.account' in the store: field 'closed\[0\]'/)
    expect(() => startingPeriods([], 'live', 1)).toThrow(/expected an object/)
  })

  it("the simulator's orders are those created in an ended period [from, to)", async () => {
    const store = new MemoryStore()
    await store.write({ orders: [order('a', 5), order('b', 10), order('c', 19), order('d', 20), order('e', 35)] })
    const periods = { simulatedSince: 30, closed: [[10, 20]] as const }
    expect([...(await simulatedOrders(store, periods))].sort()).toEqual(['b', 'c'])
    expect((await storedSimulatedOrders(store)).size).toBe(0)
    await store.write({ state: [{ key: ACCOUNT_KEY, value: periods }] })
    expect([...(await storedSimulatedOrders(store))].sort()).toEqual(['b', 'c'])
  })
})
