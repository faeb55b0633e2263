/**
 * @module observability/metrics
 * Sofia's Prometheus metrics, named as operators already query them (DESIGN.md §8). One registry per
 * process, created here; labels are bounded (status, reason code, venue, symbol — never an order id).
 */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { promClient } from './prom.js'

export interface SofiaMetrics {
  readonly registry: Registry
  /** Orders by status: submitted, filled, canceled, expired, rejected (risk denials and venue rejections). */
  readonly ordersTotal: Counter<'status' | 'reason'>
  /** Submit → venue acknowledgement. */
  readonly orderLatency: Histogram<'venue'>
  readonly errorsTotal: Counter<'kind'>
  readonly pnlUsd: Gauge<'kind'>
  readonly positionUsd: Gauge<'venue' | 'symbol'>
  readonly apiLatency: Histogram<'method' | 'route' | 'status'>
  readonly killSwitchActive: Gauge
  readonly marketDataStale: Gauge<'feed'>
  readonly wsReconnects: Counter<'venue'>
  readonly circuitBreakerOpen: Gauge<'key'>
  /** Cancel attempts the venue refused or that failed (each `cancel_rejected` order event). */
  readonly orderCancelFailures: Counter<'venue'>
  readonly alertsFiring: Gauge<'rule' | 'severity'>
  readonly notificationsTotal: Counter<'notifier' | 'result'>
}

export function createMetrics(options: { processMetrics?: boolean } = {}): SofiaMetrics {
  const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = promClient()
  const registry = new Registry()
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry })
  const r = [registry]
  return {
    registry,
    ordersTotal: new Counter({ name: 'trading_orders_total', help: 'Orders by final or intermediate status', labelNames: ['status', 'reason'], registers: r }),
    orderLatency: new Histogram({
      name: 'order_latency_seconds',
      help: 'Time from sending an order to its acknowledgement by the venue',
      labelNames: ['venue'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    errorsTotal: new Counter({ name: 'trading_errors_total', help: 'Errors by kind', labelNames: ['kind'], registers: r }),
    pnlUsd: new Gauge({ name: 'trading_pnl_usd', help: 'P&L in the reporting currency (kind: net, realized, unrealized, fees, daily)', labelNames: ['kind'], registers: r }),
    positionUsd: new Gauge({ name: 'trading_position_usd', help: 'Position value in the reporting currency', labelNames: ['venue', 'symbol'], registers: r }),
    apiLatency: new Histogram({
      name: 'api_latency_seconds',
      help: 'Operator API request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: r,
    }),
    killSwitchActive: new Gauge({ name: 'kill_switch_active', help: '1 while the kill switch blocks risk-adding orders', registers: r }),
    marketDataStale: new Gauge({ name: 'market_data_stale_seconds', help: 'Seconds since the last market event per feed', labelNames: ['feed'], registers: r }),
    wsReconnects: new Counter({ name: 'ws_reconnects_total', help: 'Market-data WebSocket reconnects', labelNames: ['venue'], registers: r }),
    circuitBreakerOpen: new Gauge({ name: 'circuit_breaker_open', help: '1 while a circuit breaker is open or half-open', labelNames: ['key'], registers: r }),
    orderCancelFailures: new Counter({ name: 'order_cancel_failures_total', help: 'Cancel attempts that failed, by venue', labelNames: ['venue'], registers: r }),
    alertsFiring: new Gauge({ name: 'alerts_firing', help: '1 while an alert rule fires', labelNames: ['rule', 'severity'], registers: r }),
    notificationsTotal: new Counter({ name: 'notifications_total', help: 'Notifications sent by notifier and result', labelNames: ['notifier', 'result'], registers: r }),
  }
}
