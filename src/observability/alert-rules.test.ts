import { describe, expect, it } from 'vitest'
import { AlertConfigError, checkRules, defaultAlertRules, parseAlertConfig } from './alert-rules.js'
import { createMetrics } from './metrics.js'
import { registerOpsMetrics } from './ops-metrics.js'

function registry() {
  const m = createMetrics({ processMetrics: false })
  registerOpsMetrics(m.registry)
  return m.registry
}

function problems(text: string, vars: Record<string, number | undefined> = {}): readonly string[] {
  try {
    parseAlertConfig(text, { registry: registry(), vars })
  } catch (err) {
    expect(err).toBeInstanceOf(AlertConfigError)
    return (err as AlertConfigError).problems
  }
  throw new Error('expected the config to be refused')
}

const rule = (name: string, extra = ''): string => `  - name: ${name}
    metric: kill_switch_active
    op: '=='
    threshold: 1
    severity: critical
    action: notify
${extra}`

describe('parseAlertConfig', () => {
  it('parses a valid file with thresholds that refer to config values', () => {
    const config = parseAlertConfig(
      `repeatInterval: 1h
rules:
  - name: DailyLoss80
    metric: trading_pnl_usd
    labels: { kind: daily }
    op: '<='
    threshold: '-0.8 * maxDailyLoss'
    for: 30s
    severity: critical
    action: kill_switch
  - name: Latency
    metric: api_latency_seconds
    quantile: 0.95
    window: 5m
    op: '>'
    threshold: 0.5
    severity: warning
    action: notify
notifiers:
  slack: { url: 'https://hooks.slack.example/T000/B000/XXXX' }
  pagerduty: { routingKey: abc123, minSeverity: critical }
  delivery: { attempts: 3, timeout: 2s }
`,
      { registry: registry(), vars: { maxDailyLoss: 1000 } },
    )
    expect(config.repeatIntervalMs).toBe(3_600_000)
    expect(config.rules[0]).toMatchObject({ name: 'DailyLoss80', threshold: -800, forMs: 30_000, op: '<=', labels: { kind: 'daily' } })
    expect(config.rules[1]).toMatchObject({ quantile: 0.95, windowMs: 300_000, forMs: 0 })
    expect(config.notifiers.pagerduty?.url).toBe('https://events.pagerduty.com/v2/enqueue')
    expect(String(config.notifiers.pagerduty?.routingKey)).toBe('[REDACTED]')
    expect(config.notifiers.delivery).toMatchObject({ attempts: 3, timeoutMs: 2000, backoffMs: 1000 })
  })

  it('names file, line, rule and field for a bad operator', () => {
    const text = `rules:
${rule('A')}${rule('B')}${rule('C')}  - name: DailyLoss80
    metric: trading_pnl_usd
    labels: { kind: daily }
    op: '=>'
    threshold: -800
    severity: critical
    action: kill_switch
`
    expect(problems(text)).toEqual(['config/alerts.yaml:23: rules[3] (DailyLoss80): op: expected one of > >= < <= == !=, got "=>"'])
  })

  it('reports every problem, in line order', () => {
    const text = `rules:
  - name: X
    metric: no_such_metric
    op: '>'
    threshold: abc
    for: 30
    severity: urgent
    action: panic
    colour: red
  - metric: kill_switch_active
    op: '>'
    threshold: 0
    severity: info
    action: notify
`
    expect(problems(text)).toEqual([
      'config/alerts.yaml:3: rules[0] (X): metric: unknown metric (not in the registry), got "no_such_metric"',
      `config/alerts.yaml:5: rules[0] (X): threshold: expected a number or a reference such as '-0.5 * maxDailyLoss' (unknown name abc; known: none), got "abc"`,
      'config/alerts.yaml:6: rules[0] (X): for: expected a duration such as 30s, 5m or 1h, got 30',
      'config/alerts.yaml:7: rules[0] (X): severity: expected one of info, warning, critical, got "urgent"',
      'config/alerts.yaml:8: rules[0] (X): action: expected one of notify, pause_strategy, reduce_size, kill_switch, got "panic"',
      'config/alerts.yaml:9: rules[0] (X): colour: unknown key (expected one of name, metric, labels, rate, quantile, window, divideBy, by, op, threshold, for, severity, action, description)',
      'config/alerts.yaml:10: rules[1]: name: required',
    ])
  })

  it.each([
    ['rate on a gauge', "    metric: kill_switch_active\n    rate: 1m\n", 'rate: only counters have a rate (kill_switch_active is a gauge)'],
    ['quantile on a counter', "    metric: trading_errors_total\n    quantile: 0.9\n", 'quantile: only histograms have quantiles (trading_errors_total is a counter)'],
    ['histogram without quantile', "    metric: order_latency_seconds\n", 'quantile: required for a histogram (order_latency_seconds), such as 0.95'],
    ['quantile out of range', "    metric: order_latency_seconds\n    quantile: 95\n", 'quantile: expected a number between 0 and 1, got 95'],
    ['bad duration', "    metric: trading_errors_total\n    rate: 1x\n", 'rate: unknown duration unit "x" (use ms, s, m, h or d), got "1x"'],
    ['unknown divisor', "    metric: trading_errors_total\n    rate: 1m\n    divideBy: { metric: nope_total }\n", 'divideBy.metric: unknown metric (not in the registry), got "nope_total"'],
  ])('refuses %s', (_, fields, message) => {
    const text = `rules:\n  - name: R\n${fields}    op: '>'\n    threshold: 1\n    severity: info\n    action: notify\n`
    expect(problems(text)[0]).toMatch(new RegExp(`^config/alerts\\.yaml:\\d+: rules\\[0\\] \\(R\\): ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))
  })

  it('hints at quoting when YAML swallowed the operator', () => {
    const text = `rules:\n  - name: R\n    metric: kill_switch_active\n    op: >\n    threshold: 1\n    severity: info\n    action: notify\n`
    expect(problems(text)[0]).toBe(`config/alerts.yaml:4: rules[0] (R): op: expected one of > >= < <= == != (quote it in YAML: op: '>'), got ""`)
  })

  it('refuses duplicate names; a threshold on an unconfigured limit leaves its rule off and says so', () => {
    const loss = `  - name: Loss\n    metric: trading_pnl_usd\n    op: '<'\n    threshold: '-0.5 * maxDailyLoss'\n    severity: info\n    action: notify\n`
    expect(problems(`rules:\n${rule('Same')}${rule('Same')}${loss}`, { maxDailyLoss: undefined })).toEqual([
      'config/alerts.yaml:8: rules[1] (Same): name: duplicate rule name (also rules[0]), got "Same"',
    ])
    const off = parseAlertConfig(`rules:\n${rule('Kept')}${loss}`, { registry: registry(), vars: { maxDailyLoss: undefined } })
    expect(off.rules.map((r) => r.name)).toEqual(['Kept'])
    expect(off.inactive).toEqual(['config/alerts.yaml:11: rules[1] (Loss) is off: its threshold names maxDailyLoss, which is not configured (configured: none)'])
    const on = parseAlertConfig(`rules:\n${rule('Kept')}${loss}`, { registry: registry(), vars: { maxDailyLoss: 500 } })
    expect([on.rules.map((r) => [r.name, r.threshold]), on.inactive]).toEqual([[['Kept', 1], ['Loss', -250]], []])
    // A name Sofia does not know is still refused (a typo must not switch a rule off).
    expect(problems(`rules:\n${loss.replace('maxDailyLoss', 'maxDailyLos')}`, { maxDailyLoss: 500 })[0]).toMatch(/unknown name maxDailyLos; known: maxDailyLoss/)
  })

  it('never echoes notifier secrets', () => {
    const text = `notifiers:\n  slack: { url: 'not a url with s3cr3t' }\n  email: { host: smtp.example, from: nobody, to: [ops@example.com], port: 99999 }\n`
    const list = problems(text)
    expect(list).toEqual([
      'config/alerts.yaml:2: notifiers.slack.url: expected an http(s) URL',
      'config/alerts.yaml:3: notifiers.email.port: expected a port number (1-65535), got 99999',
      'config/alerts.yaml:3: notifiers.email.from: expected an e-mail address, got "nobody"',
    ])
    expect(list.join('\n')).not.toContain('s3cr3t')
  })

  it("says what the metric's kind forbids beside the rule's other problems", () => {
    const text = `rules:\n  - name: R\n    metric: kill_switch_active\n    rate: 1x\n    op: '=>'\n    threshold: 1\n    severity: info\n    action: notify\n`
    expect(problems(text)).toEqual([
      'config/alerts.yaml:4: rules[0] (R): rate: unknown duration unit "x" (use ms, s, m, h or d), got "1x"',
      'config/alerts.yaml:4: rules[0] (R): rate: only counters have a rate (kill_switch_active is a gauge)',
      'config/alerts.yaml:5: rules[0] (R): op: expected one of > >= < <= == !=, got "=>"',
    ])
  })

  it('lists the keys a notifier takes for an unknown one, and reads 0 as a duration', () => {
    expect(problems(`notifiers:\n  email:\n    host: smtp.example\n    from: ops@example.com\n    to: ops@example.com\n    prot: 25\n`)).toEqual([
      'config/alerts.yaml:6: notifiers.email.prot: unknown key (expected one of host, port, secure, from, to, user, password, ignoreTLS, minSeverity)',
    ])
    const config = parseAlertConfig(`repeatInterval: 0\nnotifiers:\n  delivery: { backoff: 0s }\n`, { registry: registry() })
    expect([config.repeatIntervalMs, config.notifiers.delivery.backoffMs]).toEqual([0, 0])
  })

  it('reports invalid YAML with its line', () => {
    expect(problems('rules:\n  - name: [unclosed\n')[0]).toMatch(/^config\/alerts\.yaml:\d+: invalid YAML: /)
  })
})

describe('defaultAlertRules', () => {
  it('covers the runbook and passes the registry check', () => {
    const rules = defaultAlertRules({ maxDailyLoss: 1000 })
    expect(rules.map((r) => r.name)).toEqual([
      'ApiLatencyHigh',
      'FillRateLow',
      'OrderErrorRateHigh',
      'TradingErrorsBurst',
      'PositionDrift',
      'ReconciliationDiscrepancy',
      'MarketDataFeedDown',
      'KillSwitchActive',
      'CircuitBreakerOpen',
      'CancelFailing',
      'DiskSpaceLow',
      'DailyLoss50',
      'DailyLoss80',
    ])
    expect(rules.find((r) => r.name === 'DailyLoss80')?.threshold).toBe(-800)
    expect(() => checkRules(rules, registry())).not.toThrow()
    expect(defaultAlertRules().some((r) => r.name.startsWith('DailyLoss'))).toBe(false)
  })

  it('checkRules refuses a metric the registry lacks', () => {
    const m = createMetrics({ processMetrics: false })
    expect(() => checkRules(defaultAlertRules(), m.registry)).toThrow('rules[4] (PositionDrift): metric: unknown metric (not in the registry), got "reconciliation_discrepancies"')
  })
})
