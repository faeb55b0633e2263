import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.js'
import { SloTracker } from './slo.js'
import type { SloDefinition } from './slo.js'

const H = 3_600_000
// Fed by hand (`record`), so its selectors are never read: any metric names do.
const ratio: SloDefinition = { kind: 'ratio', name: 'order_success', description: 'test', bad: { metric: 'test_bad_total' }, total: { metric: 'test_total' }, objective: 0.99 }
const fresh: SloDefinition = { kind: 'freshness', name: 'fresh', description: 'test', metric: 'market_data_stale_seconds', maxValue: 10, objective: 0.9 }

function tracker(slos: SloDefinition[]) {
  const metrics = createMetrics({ processMetrics: false })
  return new SloTracker({ registry: metrics.registry, slos, periodMs: 24 * H, burnWindowsMs: [H, 6 * H] })
}

describe('SloTracker on hand-made samples', () => {
  it('computes compliance, budget and burn rates for a ratio', () => {
    const t = tracker([ratio])
    // 1000 orders/h; 5 bad per hour for 5 hours, then 50 bad in the last hour
    for (let h = 0; h <= 6; h++) t.record('order_success', { t: h * H, total: 1000 * h, bad: h <= 5 ? 5 * h : 25 + 50 })
    const [s] = t.status(6 * H)
    expect(s?.total).toBe(6000)
    expect(s?.good).toBe(5925)
    expect(s?.compliance).toBeCloseTo(5925 / 6000, 12)
    // allowed bad 1%: spent 75/6000 = 1.25% → 25% overspent
    expect(s?.errorBudgetRemaining).toBeCloseTo(-0.25, 12)
    expect(s?.burnRates['1h']).toBeCloseTo(5, 12) // 50/1000 ÷ 1%
    expect(s?.burnRates['6h']).toBeCloseTo(1.25, 12)
    expect(s?.current).toBeCloseTo(0.95, 12)
    expect(s?.status).toBe('exhausted')
    expect(s?.coverageMs).toBe(6 * H)
  })

  it('folds counter resets in (a restart) instead of going negative', () => {
    const t = tracker([ratio])
    t.record('order_success', { t: 0, total: 0, bad: 0 })
    t.record('order_success', { t: H, total: 1000, bad: 2 })
    t.record('order_success', { t: 2 * H, total: 300, bad: 1 }) // process restarted: counters from zero
    const [s] = t.status(2 * H)
    expect(s).toMatchObject({ total: 1300, good: 1297, status: 'ok' })
    expect(s?.burnRates['1h']).toBeCloseTo(1 / 300 / 0.01, 12)
    expect(s?.errorBudgetRemaining).toBeCloseTo(1 - 3 / 1300 / 0.01, 12)
  })

  it('measures freshness as the fraction of time every feed was fresh', () => {
    const t = tracker([fresh])
    const worst = [1, 2, 30, 30, 1, 1, 1, 1, 1, 1, 1] // stale from t=2h to t=4h
    worst.forEach((w, h) => t.record('fresh', { t: h * H, worst: w }))
    const [s] = t.status(10 * H)
    expect(s?.total).toBe(10 * H)
    expect(s?.compliance).toBeCloseTo(0.8, 12)
    expect(s?.errorBudgetRemaining).toBeCloseTo(-1, 12) // allowed 10%, spent 20%
    expect(s?.burnRates['1h']).toBe(0)
    expect(s?.burnRates['6h']).toBe(0) // the stale hours are older than 6h
  })

  it('reports no data before there are events', () => {
    const [s] = tracker([ratio]).status(0)
    expect(s).toMatchObject({ status: 'no_data', compliance: null, errorBudgetRemaining: null, current: null, burnRates: { '1h': null, '6h': null } })
  })

  it('samples the registry: API latency p95 and good fraction from the histogram', async () => {
    const metrics = createMetrics({ processMetrics: false })
    const slo = new SloTracker({ registry: metrics.registry, periodMs: 24 * H })
    await slo.sample(0)
    const labels = { method: 'GET', route: '/health', status: '200' }
    for (let i = 0; i < 97; i++) metrics.apiLatency.observe(labels, 0.002)
    for (let i = 0; i < 3; i++) metrics.apiLatency.observe(labels, 5)
    metrics.ordersTotal.inc({ status: 'submitted', reason: '' }, 200)
    metrics.ordersTotal.inc({ status: 'rejected', reason: 'venue' }, 1)
    metrics.errorsTotal.inc({ kind: 'order_rejected' }, 1)
    metrics.marketDataStale.set({ feed: 'a' }, 1)
    await slo.sample(60_000)
    await slo.sample(120_000)
    const status = Object.fromEntries(slo.status(120_000).map((s) => [s.name, s]))
    expect(status.api_latency).toMatchObject({ total: 100, good: 97, unit: 'seconds', status: 'ok' })
    expect(status.api_latency?.current).toBeCloseTo(0.001 + 0.0015 * (95 / 97), 9) // rank 95 inside the (1, 2.5] ms bucket
    expect(status.order_success).toMatchObject({ total: 200, good: 199, compliance: 0.995 })
    expect(status.error_rate).toMatchObject({ total: 200, good: 199 })
    expect(status.market_data_freshness).toMatchObject({ total: 60_000, good: 60_000, compliance: 1 })
    expect(JSON.parse(JSON.stringify(slo.status(120_000)))).toHaveLength(4)
  })
})
