/**
 * @module system/metrics-wiring
 * Feeds a session's events into the Prometheus metrics: order outcomes (risk denials count as
 * `status="rejected"` with their code as `reason`), acknowledgement latency, and — each time the equity is
 * sampled — P&L, positions, the kill switch, data staleness and circuit breakers.
 */
import type { SofiaMetrics } from '../observability/index.js'
import type { Trader } from './trader.js'

export function attachMetrics(trader: Trader, metrics: SofiaMetrics): void {
  const bus = trader.engine.bus
  const sentAt = new Map<string, number>()
  bus.on('order', ({ order, event }) => {
    switch (event.type) {
      case 'submitted':
        metrics.ordersTotal.inc({ status: 'submitted', reason: '' })
        sentAt.set(order.clientOrderId, performance.now())
        break
      case 'denied':
        metrics.ordersTotal.inc({ status: 'rejected', reason: event.code })
        break
      case 'accepted': {
        const t = sentAt.get(order.clientOrderId)
        if (t !== undefined) metrics.orderLatency.observe({ venue: order.venue }, (performance.now() - t) / 1000)
        sentAt.delete(order.clientOrderId)
        break
      }
      case 'rejected':
        metrics.ordersTotal.inc({ status: 'rejected', reason: 'venue' })
        metrics.errorsTotal.inc({ kind: 'order_rejected' })
        sentAt.delete(order.clientOrderId)
        break
      case 'canceled':
      case 'expired':
        metrics.ordersTotal.inc({ status: event.type, reason: '' })
        sentAt.delete(order.clientOrderId)
        break
      case 'cancel_rejected':
        // Every failed cancel attempt, retried or not: the CancelFailing alert rule watches its rate.
        metrics.orderCancelFailures.inc({ venue: order.venue })
        break
      case 'filled':
      case 'cancel_requested':
      case 'triggered':
        break
    }
  })
  bus.on('fill', ({ order }) => {
    if (order.state === 'closed') {
      metrics.ordersTotal.inc({ status: 'filled', reason: '' })
      sentAt.delete(order.clientOrderId)
    }
  })
  trader.onSample(() => refreshGauges(trader, metrics))
}

/** Point-in-time gauges; also called before each scrape by the API. */
export function refreshGauges(trader: Trader, metrics: SofiaMetrics): void {
  const now = trader.engine.clock.now()
  const pnl = trader.pnl()
  metrics.pnlUsd.set({ kind: 'net' }, pnl.net.toNumber())
  metrics.pnlUsd.set({ kind: 'realized' }, pnl.realized.toNumber())
  metrics.pnlUsd.set({ kind: 'unrealized' }, pnl.unrealized.toNumber())
  metrics.pnlUsd.set({ kind: 'fees' }, pnl.fees.toNumber())
  metrics.pnlUsd.set({ kind: 'daily' }, trader.safety.dailyPnl().toNumber())
  metrics.positionUsd.reset()
  for (const p of trader.ledger.positions()) {
    if (p.amount.isZero()) continue
    const last = trader.market.lastPrice(p.venue, p.symbol)
    if (last !== undefined) metrics.positionUsd.set({ venue: p.venue, symbol: p.symbol }, p.amount.mul(last).toNumber())
  }
  metrics.killSwitchActive.set(trader.safety.killSwitch.active ? 1 : 0)
  for (const m of trader.safety.monitors.evaluate(now)) {
    if (m.name === 'data_staleness' && m.feed !== undefined) metrics.marketDataStale.set({ feed: m.feed }, m.value)
  }
  for (const b of trader.safety.breakers.list(now)) metrics.circuitBreakerOpen.set({ key: b.key }, b.state === 'closed' ? 0 : 1)
}
