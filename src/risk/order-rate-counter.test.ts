/**
 * The sliding windows behind ORDER_RATE_EXCEEDED: (now − w, now] boundaries, per strategy vs per venue,
 * only approved orders counted, and limits raised at runtime.
 */
import { describe, expect, it } from 'vitest'
import { checkOrderRate } from './checks/order-rate.js'
import type { RiskLimits } from './context.js'
import { OrderRateCounter } from './order-rate-counter.js'
import { RiskEngine } from './risk-engine.js'
import { FakeRiskContext, testOrder } from './testing.js'

describe('OrderRateCounter', () => {
  it('answers "n in the window" from the n-th most recent time; an order exactly w old has left', () => {
    const c = new OrderRateCounter()
    const o = testOrder()
    for (const t of [0, 100, 200]) c.record(o, t)
    expect(c.isFull('strategy', 's1', 3, 1000, 999)).toBe(true)
    expect(c.isFull('strategy', 's1', 3, 1000, 1000)).toBe(false)
    expect(c.isFull('strategy', 's1', 4, 1000, 500)).toBe(false)
    expect(c.count('strategy', 's1', 1000, 1000)).toBe(2)
    expect(c.count('venue', 'sim', 1000, 1099)).toBe(2)
    expect(c.count('venue', 'sim', 1000, 1100)).toBe(1)
    expect(c.count('venue', 'sim', 1000, 1200)).toBe(0)
  })

  it('keeps strategies and venues apart', () => {
    const c = new OrderRateCounter()
    c.record(testOrder({ strategyId: 'a', venue: 'x' }), 0)
    c.record(testOrder({ strategyId: 'b', venue: 'x' }), 0)
    expect(c.isFull('venue', 'x', 2, 1000, 0)).toBe(true)
    expect(c.isFull('strategy', 'a', 2, 1000, 0)).toBe(false)
    expect(c.isFull('venue', 'y', 1, 1000, 0)).toBe(false)
  })

  it('keeps everything inside the minute, so a limit set later counts exactly; drops what is older', () => {
    const c = new OrderRateCounter()
    const o = testOrder()
    for (let t = 0; t < 100; t++) c.record(o, t * 10)
    expect(c.count('strategy', 's1', 60_000, 990)).toBe(100)
    expect(c.isFull('strategy', 's1', 100, 60_000, 990)).toBe(true)
    expect(c.isFull('strategy', 's1', 101, 60_000, 990)).toBe(false)
    c.record(o, 60_500)
    expect(c.count('strategy', 's1', 60_000, 60_500)).toBe(50)
  })

  it('is O(1) amortized: a million records and checks stay fast', () => {
    const c = new OrderRateCounter()
    const o = testOrder()
    const start = performance.now()
    for (let t = 0; t < 1_000_000; t++) {
      c.isFull('strategy', 's1', 600, 60_000, t)
      c.record(o, t)
    }
    expect(performance.now() - start).toBeLessThan(2_000)
    // One order per ms: the minute holds 60,000 of them.
    expect(c.count('strategy', 's1', 60_000, 999_999)).toBe(60_000)
  })
})

describe('checkOrderRate', () => {
  const limits: RiskLimits = { maxOrdersPerSecond: 3, maxOrdersPerMinute: 5 }
  const flow = (times: readonly number[], order = testOrder()) => {
    const ctx = new FakeRiskContext()
    const counter = new OrderRateCounter()
    for (const t of times) counter.record(order, t)
    return (now: number, o = order) => {
      ctx.time = now
      return checkOrderRate(o, ctx, limits, counter)
    }
  }

  it.each([
    ['2 in the second: the 3rd (at max) passes', [0, 500], 999, true],
    ['3 in the second: the 4th is denied', [0, 500, 900], 999, false],
    ['3 in the second, the oldest exactly 1000 ms ago: passes', [0, 500, 900], 1000, true],
    ['5 in the minute (spread out): the 6th is denied', [0, 10_000, 20_000, 30_000, 40_000], 59_999, false],
    ['5 in the minute, the oldest exactly 60 s ago: passes', [0, 10_000, 20_000, 30_000, 40_000], 60_000, true],
    ['4 in the minute: the 5th passes', [10_000, 20_000, 30_000, 40_000], 59_999, true],
  ] as const)('%s', (_name, times, now, approved) => {
    const verdict = flow(times)(now)
    expect(verdict.approved).toBe(approved)
    if (!verdict.approved) expect(verdict.code).toBe('ORDER_RATE_EXCEEDED')
  })

  it('per strategy vs per venue: a busy venue blocks every strategy on it, a busy strategy only itself', () => {
    const check = flow([0, 1, 2], testOrder({ strategyId: 'a', venue: 'x' }))
    expect(check(3, testOrder({ strategyId: 'b', venue: 'x' }))).toMatchObject({ code: 'ORDER_RATE_EXCEEDED' })
    expect(check(3, testOrder({ strategyId: 'a', venue: 'y' }))).toMatchObject({ code: 'ORDER_RATE_EXCEEDED' })
    expect(check(3, testOrder({ strategyId: 'b', venue: 'y' })).approved).toBe(true)
  })

  it('the engine counts only approved orders', () => {
    const engine = new RiskEngine({ maxOrdersPerSecond: 2, maxOrderNotional: dec5000() })
    const ctx = new FakeRiskContext().setLastPrice('sim', 'BTC/USDT', 50_000).setBalance('sim', 'USDT', '1e9')
    ctx.time = 0
    for (let i = 0; i < 10; i++) expect(engine.check(testOrder({ amount: '1' }), ctx).approved).toBe(false)
    expect(engine.check(testOrder(), ctx).approved).toBe(true)
    expect(engine.check(testOrder(), ctx).approved).toBe(true)
    expect(engine.check(testOrder(), ctx)).toMatchObject({ code: 'ORDER_RATE_EXCEEDED' })
    ctx.time = 1000
    expect(engine.check(testOrder(), ctx).approved).toBe(true)
  })
})

function dec5000() {
  return testOrder({ amount: '1', price: '5000' }).amount.mul(5000)
}
