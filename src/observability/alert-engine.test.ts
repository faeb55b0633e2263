import { describe, expect, it } from 'vitest'
import { AlertEngine, alertKey } from './alert-engine.js'
import type { AlertActions } from './alert-engine.js'
import { defaultAlertRules } from './alert-rules.js'
import type { Alert, AlertRule } from './alert-rules.js'
import { createMetrics } from './metrics.js'
import { registerOpsMetrics } from './ops-metrics.js'

/** AlertActions that record what they were asked to do. */
function recorder(): AlertActions & { calls: { action: string; rule: string; state: string; at: number }[] } {
  const calls: { action: string; rule: string; state: string; at: number }[] = []
  const rec = (action: string) => (a: Alert) => void calls.push({ action, rule: a.rule, state: a.state, at: a.at })
  return { calls, notify: rec('notify'), pauseStrategy: rec('pause_strategy'), reduceSize: rec('reduce_size'), killSwitch: rec('kill_switch') }
}

function setup(rules: readonly AlertRule[], repeatIntervalMs = 0) {
  const metrics = createMetrics({ processMetrics: false })
  const ops = registerOpsMetrics(metrics.registry)
  const actions = recorder()
  const engine = new AlertEngine({ registry: metrics.registry, rules, actions, repeatIntervalMs })
  const firing = async (rule: string, severity = 'critical'): Promise<number | undefined> =>
    (await metrics.alertsFiring.get()).values.find((v) => v.labels.rule === rule && v.labels.severity === severity)?.value
  return { metrics, ops, actions, engine, firing }
}

const base = { labels: {}, forMs: 0, severity: 'critical', action: 'notify' } as const
const S = 1000

describe('AlertEngine', () => {
  it('drives a rule through pending → firing → resolved and takes its action once', async () => {
    const rule: AlertRule = { ...base, name: 'DailyLoss80', metric: 'trading_pnl_usd', labels: { kind: 'daily' }, op: '<=', threshold: -800, forMs: 30 * S, action: 'kill_switch' }
    const { metrics, actions, engine, firing } = setup([rule])

    metrics.pnlUsd.set({ kind: 'daily' }, -100)
    await engine.evaluate(0)
    expect(engine.active(0)).toEqual([])

    metrics.pnlUsd.set({ kind: 'daily' }, -850)
    await engine.evaluate(10 * S)
    expect(engine.active(10 * S).map((a) => a.state)).toEqual(['pending'])
    expect(actions.calls).toEqual([])
    expect(await firing('DailyLoss80')).toBe(0)

    await engine.evaluate(39 * S)
    expect(actions.calls).toEqual([])
    const sent = await engine.evaluate(40 * S)
    expect(sent.map((a) => [a.state, a.summary])).toEqual([['firing', 'DailyLoss80: -850 <= -800 (kind=daily)']])
    expect(sent[0]).toMatchObject({ key: 'DailyLoss80{kind="daily"}', activeSince: 10 * S, firedAt: 40 * S, value: -850 })
    expect(actions.calls).toEqual([
      { action: 'notify', rule: 'DailyLoss80', state: 'firing', at: 40 * S },
      { action: 'kill_switch', rule: 'DailyLoss80', state: 'firing', at: 40 * S },
    ])
    expect(await firing('DailyLoss80')).toBe(1)

    await engine.evaluate(50 * S)
    expect(actions.calls).toHaveLength(2)

    metrics.pnlUsd.set({ kind: 'daily' }, -700)
    const resolved = await engine.evaluate(60 * S)
    expect(resolved).toMatchObject([{ state: 'resolved', resolvedAt: 60 * S }])
    expect(actions.calls.at(-1)).toEqual({ action: 'notify', rule: 'DailyLoss80', state: 'resolved', at: 60 * S })
    expect(await firing('DailyLoss80')).toBe(0)
    expect(engine.history().map((t) => `${t.from}→${t.to}`)).toEqual(['inactive→pending', 'pending→firing', 'firing→resolved'])
  })

  it('drops a pending alert whose condition clears before `for`, without notifying', async () => {
    const { metrics, actions, engine } = setup([{ ...base, name: 'Kill', metric: 'kill_switch_active', op: '==', threshold: 1, forMs: 60 * S }])
    metrics.killSwitchActive.set(1)
    await engine.evaluate(0)
    metrics.killSwitchActive.set(0)
    await engine.evaluate(30 * S)
    metrics.killSwitchActive.set(1)
    await engine.evaluate(70 * S)
    expect(actions.calls).toEqual([])
    expect(engine.active(70 * S)[0]).toMatchObject({ state: 'pending', activeSince: 70 * S })
  })

  it('notifies a firing alert once, then again only after the repeat interval', async () => {
    const { metrics, actions, engine } = setup([{ ...base, name: 'Kill', metric: 'kill_switch_active', op: '==', threshold: 1, action: 'pause_strategy' }], 60 * S)
    metrics.killSwitchActive.set(1)
    for (let t = 0; t <= 150 * S; t += 10 * S) await engine.evaluate(t)
    expect(actions.calls.map((c) => `${c.action}@${c.at / S}`)).toEqual(['notify@0', 'pause_strategy@0', 'notify@60', 'notify@120'])
  })

  it('keeps one alert per label set of a gauge', async () => {
    const { metrics, actions, engine } = setup(defaultAlertRules().filter((r) => r.name === 'MarketDataFeedDown'))
    metrics.marketDataStale.set({ feed: 'binance:BTC/USDT' }, 5)
    metrics.marketDataStale.set({ feed: 'kraken:BTC/USD' }, 61)
    await engine.evaluate(0)
    expect(actions.calls.map((c) => c.rule)).toEqual(['MarketDataFeedDown'])
    expect(engine.active(0).map((a) => a.key)).toEqual([alertKey('MarketDataFeedDown', { feed: 'kraken:BTC/USD' })])
    metrics.marketDataStale.set({ feed: 'binance:BTC/USDT' }, 90)
    await engine.evaluate(S)
    expect(engine.active(S)).toHaveLength(2)
  })

  it('alerts on a counter’s increase over a window, not its total', async () => {
    const rule: AlertRule = { ...base, name: 'Errors', metric: 'trading_errors_total', rateMs: 60 * S, op: '>', threshold: 5 }
    const { metrics, engine } = setup([rule])
    metrics.errorsTotal.inc({ kind: 'old' }, 100) // before the engine started: not an increase it saw
    await engine.evaluate(0)
    expect(engine.active(0)).toEqual([])
    for (let t = 10; t <= 60; t += 10) {
      metrics.errorsTotal.inc({ kind: 'venue' }) // 1 per 10 s: 6 per minute
      await engine.evaluate(t * S)
    }
    expect(engine.active(60 * S)).toMatchObject([{ state: 'firing', value: 6 }])
    // no new errors: the window slides past them
    for (let t = 70; t <= 130; t += 10) await engine.evaluate(t * S)
    expect(engine.active(130 * S)).toEqual([])
    expect(engine.history().at(-1)).toMatchObject({ to: 'resolved' })
  })

  it('divides increases for a fill rate, skipping small denominators', async () => {
    const [fillRate] = defaultAlertRules().filter((r) => r.name === 'FillRateLow')
    if (!fillRate) throw new Error('no FillRateLow')
    const { metrics, engine } = setup([fillRate])
    await engine.evaluate(0)
    metrics.ordersTotal.inc({ status: 'submitted', reason: '' }, 5)
    await engine.evaluate(60 * S)
    expect(engine.active(60 * S)).toEqual([]) // 0 of 5 filled, but fewer than 10 submitted
    metrics.ordersTotal.inc({ status: 'submitted', reason: '' }, 15)
    metrics.ordersTotal.inc({ status: 'filled', reason: '' }, 8)
    await engine.evaluate(120 * S)
    expect(engine.active(120 * S)).toMatchObject([{ rule: 'FillRateLow', state: 'firing', value: 0.4 }])
    metrics.ordersTotal.inc({ status: 'filled', reason: '' }, 4)
    await engine.evaluate(180 * S)
    expect(engine.active(180 * S)).toEqual([]) // 12 / 20
  })

  it('computes a histogram quantile over a window from the buckets', async () => {
    const [latency] = defaultAlertRules().filter((r) => r.name === 'ApiLatencyHigh')
    if (!latency) throw new Error('no ApiLatencyHigh')
    const { metrics, actions, engine } = setup([latency])
    const labels = { method: 'GET', route: '/health', status: '200' }
    for (let i = 0; i < 100; i++) metrics.apiLatency.observe(labels, 0.8) // slow, but before the window
    await engine.evaluate(0)
    for (let i = 0; i < 100; i++) metrics.apiLatency.observe(labels, 0.003)
    await engine.evaluate(60 * S)
    expect(engine.active(60 * S)).toEqual([]) // p95 of the window: 2.5–5 ms bucket
    for (let i = 0; i < 60; i++) metrics.apiLatency.observe({ ...labels, route: '/orders' }, 0.7)
    await engine.evaluate(120 * S)
    const [pending] = engine.active(120 * S)
    // 160 observations: rank 152 falls in (0.25, 1] holding 60 → 0.25 + 0.75 × (152 − 100) / 60
    expect(pending?.value).toBeCloseTo(0.9, 6)
    expect(pending?.state).toBe('pending')
    for (let i = 0; i < 60; i++) metrics.apiLatency.observe(labels, 0.7)
    await engine.evaluate(420 * S)
    expect(actions.calls).toEqual([{ action: 'notify', rule: 'ApiLatencyHigh', state: 'firing', at: 420 * S }])
  })

  it('reports reconciliation discrepancies and low disk from the gauges it adds', async () => {
    const rules = defaultAlertRules().filter((r) => ['PositionDrift', 'ReconciliationDiscrepancy', 'DiskSpaceLow'].includes(r.name))
    const { ops, actions, engine } = setup(rules)
    ops.reconciliationDiscrepancies.set({ venue: 'binance', kind: 'position' }, 2)
    ops.diskFreeBytes.set({ path: '/data' }, 512 * 1024 ** 2)
    await engine.evaluate(0)
    await engine.evaluate(60 * S)
    expect(actions.calls.map((c) => `${c.action}:${c.rule}`)).toEqual(['notify:PositionDrift', 'pause_strategy:PositionDrift', 'notify:DiskSpaceLow'])
    await engine.evaluate(5 * 60 * S)
    expect(actions.calls.map((c) => c.rule)).toContain('ReconciliationDiscrepancy')
  })

  it('raises and clears internal alerts once, and bounds its history', async () => {
    const { actions, engine, metrics } = setup([], 0)
    engine.raiseInternal('NotifierFailing', { notifier: 'slack' }, 'warning', 'slack down', 0)
    engine.raiseInternal('NotifierFailing', { notifier: 'slack' }, 'warning', 'slack down', 1)
    expect(actions.calls).toEqual([{ action: 'notify', rule: 'NotifierFailing', state: 'firing', at: 0 }])
    expect((await metrics.alertsFiring.get()).values.find((v) => v.labels.rule === 'NotifierFailing')?.value).toBe(1)
    engine.clearInternal('NotifierFailing', { notifier: 'slack' }, 2)
    expect(actions.calls.at(-1)).toMatchObject({ state: 'resolved', at: 2 })

    const small = new AlertEngine({ registry: metrics.registry, rules: [], actions, historySize: 3 })
    for (let i = 0; i < 5; i++) {
      small.raiseInternal('X', { i: String(i) }, 'info', 'x', i)
      small.clearInternal('X', { i: String(i) }, i)
    }
    expect(small.history()).toHaveLength(3)
  })

  it('survives an action that throws and reports it', async () => {
    const metrics = createMetrics({ processMetrics: false })
    const errors: string[] = []
    const throwing: AlertActions = {
      notify: () => {
        throw new Error('boom')
      },
      pauseStrategy: () => Promise.reject(new Error('async boom')),
      reduceSize: () => undefined,
      killSwitch: () => undefined,
    }
    const engine = new AlertEngine({
      registry: metrics.registry,
      rules: [{ ...base, name: 'K', metric: 'kill_switch_active', op: '==', threshold: 1, action: 'pause_strategy' }],
      actions: throwing,
      onActionError: (err, _alert, action) => errors.push(`${action}: ${(err as Error).message}`),
    })
    metrics.killSwitchActive.set(1)
    await engine.evaluate(0)
    await new Promise((r) => setTimeout(r, 0))
    expect(errors).toEqual(['notify: boom', 'pause_strategy: async boom'])
  })

  it('the default rules notify an open circuit breaker after 30 s and the first failed cancel of a venue', async () => {
    const { metrics, actions, engine } = setup(defaultAlertRules())
    await engine.evaluate(0)
    metrics.circuitBreakerOpen.set({ key: 'xsim:createOrder' }, 1)
    metrics.orderCancelFailures.inc({ venue: 'xsim' })
    const first = await engine.evaluate(5 * S)
    expect(first.map((a) => a.summary)).toEqual(['CancelFailing: 1 > 0 (venue=xsim)'])
    expect(actions.calls.map((c) => c.rule)).toEqual(['CancelFailing'])
    expect((await engine.evaluate(34 * S)).map((a) => a.rule)).toEqual([])
    expect((await engine.evaluate(35 * S)).map((a) => [a.rule, a.state, a.labels])).toEqual([['CircuitBreakerOpen', 'firing', { key: 'xsim:createOrder' }]])
    // Five minutes without another failed cancel: resolved.
    metrics.circuitBreakerOpen.set({ key: 'xsim:createOrder' }, 0)
    const later = await engine.evaluate(6 * 60 * S)
    expect(later.map((a) => [a.rule, a.state]).sort()).toEqual([['CancelFailing', 'resolved'], ['CircuitBreakerOpen', 'resolved']])
  })
})
