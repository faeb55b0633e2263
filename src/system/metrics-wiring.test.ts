import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSession } from './build-session.js'
import type { Session } from './build-session.js'
import { createMetrics } from '../observability/index.js'
import { MemoryStore } from '../store/index.js'
import { attachMetrics } from './metrics-wiring.js'

let paper: Session
let running: Promise<unknown>
const metrics = createMetrics({ processMetrics: false })

beforeAll(async () => {
  paper = await buildSession({ kind: 'paper', store: new MemoryStore(), stepMs: 20 })
  attachMetrics(paper.trader, metrics)
  running = paper.start()
  const deadline = Date.now() + 10_000
  while (paper.trader.orders.openOrders().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
})

afterAll(async () => {
  paper?.stop()
  await running
})

describe('attachMetrics', () => {
  it('counts each cancel_rejected order event in order_cancel_failures_total by venue', async () => {
    const order = paper.trader.orders.openOrders()[0]
    expect(order).toBeDefined()
    const failures = async () => (await metrics.orderCancelFailures.get()).values.find((v) => v.labels.venue === order!.venue)?.value
    expect(await failures()).toBeUndefined()
    // What the order manager publishes for each failed cancel attempt.
    for (let i = 0; i < 2; i++) {
      paper.trader.engine.bus.publish('order', { order: order!, event: { type: 'cancel_rejected', timestamp: Date.now(), reason: 'HTTP 503' } })
    }
    expect(await failures()).toBe(2)
  })
})
