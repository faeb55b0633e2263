import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { defaultAlertRules, parseAlertConfig } from './alert-rules.js'
import { createMetrics } from './metrics.js'
import { registerOpsMetrics } from './ops-metrics.js'
import { NOTIFIER_FAILING } from './notifiers/hub.js'

const root = new URL('../../', import.meta.url)
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8')

function registryNames(): Set<string> {
  const m = createMetrics({ processMetrics: false })
  registerOpsMetrics(m.registry)
  return new Set(m.registry.getMetricsAsArray().map((x) => x.name))
}

const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'rate', 'irate', 'increase', 'histogram_quantile', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'vector', 'scalar', 'abs', 'clamp_min', 'clamp_max', 'offset',
  'topk', 'bottomk', 'time', 'delta', 'deriv', 'avg_over_time', 'max_over_time', 'min_over_time', 'absent', 'le', 'inf', 'nan',
])

/** Metric names an expression reads: identifiers outside label matchers, ranges, strings and grouping clauses. */
function metricsIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names = new Set<string>()
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0]
    if (PROMQL_WORDS.has(word.toLowerCase())) continue
    if (/^\d/.test(word)) continue
    // A histogram's series are <name>_bucket, _sum and _count.
    names.add(word.replace(/_(bucket|sum|count)$/, ''))
  }
  return [...names]
}

describe('deploy files match the metrics', () => {
  const known = registryNames()

  it('the PromQL name extractor sees through functions, matchers and grouping', () => {
    expect(metricsIn('histogram_quantile(0.95, sum by (le) (rate(api_latency_seconds_bucket{route="/x"}[5m]))) > 0.5')).toEqual(['api_latency_seconds'])
    expect(metricsIn('sum(trading_pnl_usd{kind="daily"}) <= -0.5 * on() max(risk_max_daily_loss_usd)')).toEqual(['trading_pnl_usd', 'risk_max_daily_loss_usd'])
    expect(metricsIn('no_such_metric > 1')).toEqual(['no_such_metric'])
  })

  it('every Grafana target queries metrics that exist', () => {
    const dashboard = JSON.parse(read('deploy/grafana/sofia-dashboard.json')) as {
      title: string
      uid: string
      panels: { type: string; title: string; targets?: { expr: string }[] }[]
    }
    expect(dashboard.uid).toBe('sofia-trading')
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })))
    expect(exprs.length).toBeGreaterThan(15)
    const unknown = exprs.flatMap(({ panel, expr }) => metricsIn(expr).filter((n) => !known.has(n)).map((n) => `${panel}: ${n}`))
    expect(unknown).toEqual([])
    const used = new Set(exprs.flatMap(({ expr }) => metricsIn(expr)))
    for (const name of ['trading_pnl_usd', 'trading_position_usd', 'trading_orders_total', 'order_latency_seconds', 'kill_switch_active', 'market_data_stale_seconds', 'circuit_breaker_open', 'api_latency_seconds', 'alerts_firing']) {
      expect(used, name).toContain(name)
    }
  })

  it('every Prometheus rule queries metrics that exist and mirrors the default rules', () => {
    const file = parse(read('deploy/prometheus/alerts.yml')) as { groups: { rules: { alert: string; expr: string; for?: string; labels: { severity: string } }[] }[] }
    const rules = file.groups.flatMap((g) => g.rules)
    const unknown = rules.flatMap((r) => metricsIn(r.expr).filter((n) => !known.has(n)).map((n) => `${r.alert}: ${n}`))
    expect(unknown).toEqual([])
    const defaults = defaultAlertRules({ maxDailyLoss: 1000 })
    expect(rules.map((r) => r.alert)).toEqual([...defaults.map((r) => r.name), NOTIFIER_FAILING])
    for (const d of defaults) {
      const p = rules.find((r) => r.alert === d.name)
      expect(p?.labels.severity, d.name).toBe(d.severity)
      expect(metricsIn(p?.expr ?? ''), d.name).toContain(d.metric)
      if (!d.name.startsWith('DailyLoss')) expect(p?.expr, d.name).toContain(String(d.threshold))
    }
  })

  it('the example alerts file loads and holds the default rules', () => {
    const m = createMetrics({ processMetrics: false })
    registerOpsMetrics(m.registry)
    const config = parseAlertConfig(read('config/alerts.example.yaml'), { registry: m.registry, name: 'config/alerts.example.yaml', vars: { maxDailyLoss: 1000 } })
    expect(config.rules).toEqual(defaultAlertRules({ maxDailyLoss: 1000 }).map((r) => expect.objectContaining({ name: r.name, metric: r.metric, op: r.op, threshold: r.threshold, forMs: r.forMs, severity: r.severity, action: r.action })))
    expect(Object.keys(config.notifiers).sort()).toEqual(['delivery', 'email', 'pagerduty', 'slack', 'webhook'])
  })
})
