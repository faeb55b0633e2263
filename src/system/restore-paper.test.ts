import { describe, expect, it } from 'vitest'
import { buildSession } from './build-session.js'
import { dec } from '../model/index.js'
import { MemoryStore } from '../store/index.js'

/** An earlier run on `store`: a paper session that trades for `ms`, then stops and closes. */
async function earlierRun(store: MemoryStore, ms: number): Promise<void> {
  const first = await buildSession({ kind: 'paper', store, stepMs: 20 })
  const ran = first.start()
  await new Promise((r) => setTimeout(r, ms))
  first.stop()
  await ran
  await first.close()
}

describe('a paper session started on a store holding an order of an earlier run that was in flight', () => {
  it('closes it as rejected, audited, and leaves it out of the error-rate monitor and the venue breaker', async () => {
    const store = new MemoryStore()
    await earlierRun(store, 300)
    // What a crash leaves behind: an order recorded as sent whose answer never came back.
    const t = Date.now() - 1_000
    await store.write({
      orders: [
        {
          clientOrderId: 'sma-cross-earlier-1',
          strategyId: 'sma-cross',
          venue: 'alpha',
          symbol: 'BTC/USDT',
          type: 'limit',
          side: 'buy',
          amount: '0.05',
          price: '50000',
          decisionPrice: '50000',
          state: 'submitted',
          venueOrderId: null,
          filled: '0',
          cost: '0',
          reason: null,
          createdAt: t,
          updatedAt: t,
        },
      ],
    })
    const paper = await buildSession({ kind: 'paper', store, stepMs: 20 })
    try {
      const order = paper.trader.orders.order('sma-cross-earlier-1')
      expect(order?.state).toBe('rejected')
      const now = Date.now()
      const errorRate = paper.trader.safety.monitors.evaluate(now).find((m) => m.name === 'error_rate')
      expect(errorRate?.detail).toMatch(/^0\/0 failed/)
      expect(paper.trader.safety.breakers.get('venue:alpha').snapshot(now).consecutiveFailures).toBe(0)
      const running = paper.start()
      await new Promise((r) => setTimeout(r, 200))
      paper.stop()
      await running
    } finally {
      await paper.close()
    }
    const stored = (await store.loadOrders()).find((o) => o.clientOrderId === 'sma-cross-earlier-1')
    expect(stored?.state).toBe('rejected')
    expect(stored?.reason).toMatch(/lost in restart/)
  })
})

describe('a paper session started on a store holding a waiting stop order of an earlier run', () => {
  it('puts it back at the venue still waiting for its trigger, with its options, and the kill switch cancels it', async () => {
    const store = new MemoryStore()
    await earlierRun(store, 200)
    const t = Date.now() - 1_000
    const options = '{"reduceOnly":true,"tag":"stop","triggerDirection":"below","triggerPrice":"1000"}'
    await store.write({
      orders: [
        {
          clientOrderId: 'sma-cross-stop-1',
          strategyId: 'sma-cross',
          venue: 'alpha',
          symbol: 'BTC/USDT',
          type: 'market',
          side: 'sell',
          amount: '0.05',
          price: null,
          decisionPrice: '1000',
          state: 'open',
          venueOrderId: 'alpha-earlier-O1',
          filled: '0',
          cost: '0',
          reason: null,
          createdAt: t,
          updatedAt: t,
          options,
        },
      ],
    })
    const paper = await buildSession({ kind: 'paper', store, stepMs: 20 })
    try {
      expect(paper.trader.recovery.ordersRestored).toBeGreaterThanOrEqual(1)
      const order = paper.trader.orders.order('sma-cross-stop-1')
      expect([order?.state, order?.tag, order?.options.triggerPrice?.toString(), order?.options.reduceOnly]).toEqual(['open', 'stop', '1000', true])
      const venue = paper.trader.venues.find((v) => v.id === 'alpha')!
      const atVenue = (await venue.fetchOpenOrders('BTC/USDT')).find((o) => o.clientOrderId === 'sma-cross-stop-1')
      expect(atVenue?.triggerPrice?.toString()).toBe('1000')
      paper.trader.safety.activate('manual', 'test: halt', 'operator:test')
      const running = paper.start()
      const report = await paper.trader.orders.cancelAllConfirmed(undefined, 2_000)
      paper.stop()
      await running
      expect(order?.state).toBe('canceled')
      expect(report.pending).toEqual([])
      expect((await venue.fetchOpenOrders('BTC/USDT')).map((o) => o.clientOrderId)).not.toContain('sma-cross-stop-1')
    } finally {
      await paper.close()
    }
    const stored = (await store.loadOrders()).find((o) => o.clientOrderId === 'sma-cross-stop-1')
    expect([stored?.state, stored?.options]).toEqual(['canceled', options])
  })
})

describe('a paper session restarted after a stop-limit of its own fired', () => {
  it('records the trigger (audited, kept in the store) and puts the order back resting at its price, not waiting again', async () => {
    const store = new MemoryStore()
    const first = await buildSession({ kind: 'paper', store, stepMs: 20 })
    const ran = first.start()
    let id = ''
    try {
      const trader = first.trader
      const ready = async (): Promise<number> => {
        for (let i = 0; i < 100; i++) {
          const last = trader.market.lastPrice('alpha', 'BTC/USDT')
          if (last !== undefined) return last
          await new Promise((r) => setTimeout(r, 20))
        }
        throw new Error('no price')
      }
      const last = await ready()
      // A sell stop-limit whose trigger (falling to 1.01 × the price) the next tick meets; its limit, 2% above
      // the price, then rests.
      const order = trader.orders.submit({
        strategyId: 'manual',
        venue: 'alpha',
        symbol: 'BTC/USDT',
        side: 'sell',
        type: 'limit',
        amount: dec('0.01'),
        price: dec(Math.round(last * 1.02)),
        options: { triggerPrice: dec(Math.round(last * 1.01)), triggerDirection: 'below' },
      })
      id = order.clientOrderId
      for (let i = 0; i < 100 && order.triggeredAt === undefined; i++) await new Promise((r) => setTimeout(r, 20))
      expect([order.state, order.reason, order.triggeredAt !== undefined]).toEqual(['open', undefined, true])
    } finally {
      first.stop()
      await ran
      await first.close()
    }
    const stored = (await store.loadOrders()).find((o) => o.clientOrderId === id)
    expect([stored?.state, JSON.parse(stored?.options ?? '{}').triggeredAt]).toEqual(['open', expect.any(Number)])
    const triggered: unknown[] = []
    for await (const batch of store.iterateAudit()) for (const r of batch) if (r.type === 'order.triggered') triggered.push(r.payload)
    expect(triggered).toEqual([expect.objectContaining({ clientOrderId: id })])

    const second = await buildSession({ kind: 'paper', store, stepMs: 20 })
    try {
      const venue = second.trader.venues.find((v) => v.id === 'alpha')!
      const atVenue = (await venue.fetchOpenOrders('BTC/USDT')).find((o) => o.clientOrderId === id)
      expect([atVenue?.status, atVenue?.triggerPrice, atVenue?.triggered]).toEqual(['open', undefined, true])
      expect(second.trader.orders.order(id)?.triggeredAt).toBe(JSON.parse(stored?.options ?? '{}').triggeredAt)
    } finally {
      await second.close()
    }
  })
})
