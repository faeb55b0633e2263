/**
 * @module observability/alert-rules
 * Alert rules and notifier settings from `config/alerts.yaml`, validated at start against the metric
 * registry. Every problem is one line saying where —
 * `config/alerts.yaml:12: rules[3] (DailyLoss80): op: expected one of > >= < <= == !=, got "=>"` — and all
 * of them are thrown together as an AlertConfigError (an InputError: CLI exit code 2). The default rule set
 * (the runbook's alerts) is generated in code from the configured limits.
 */
import { readFile } from 'node:fs/promises'
import type { Registry } from 'prom-client'
import { LineCounter, parseDocument } from 'yaml'
import type { Document } from 'yaml'
import { yamlLineOf } from '../config/index.js'
import { Secret, formatDuration, parseDuration } from '../config/index.js'
import { InputError } from '../model/index.js'
import { DISK_FREE_BYTES, RECONCILIATION_DISCREPANCIES } from './ops-metrics.js'
import { metricKind } from './series.js'
import type { Labels, MetricKind } from './series.js'

export const ALERT_OPS = ['>', '>=', '<', '<=', '==', '!='] as const
export type AlertOp = (typeof ALERT_OPS)[number]
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number]
export const ALERT_ACTIONS = ['notify', 'pause_strategy', 'reduce_size', 'kill_switch'] as const
export type AlertAction = (typeof ALERT_ACTIONS)[number]

/** The file looked for when none is named. */
export const DEFAULT_ALERTS_FILE = 'config/alerts.yaml'

/** A metric and label matchers (equality). */
export interface SeriesSelector {
  readonly metric: string
  readonly labels: Labels
}

/**
 * One rule. The value compared with `threshold` is, per label set:
 * - a gauge: its current value (each series apart unless `by` is given, then summed by those labels);
 * - a counter: its current value, or with `rateMs` its increase over that window (summed by `by`, default all);
 * - a histogram: the `quantile` of the observations made in the last `windowMs` (summed by `by`);
 * - with `divideBy`: that value divided by the same computation on another metric (a ratio of increases
 *   for counters), skipped while the denominator is below `minDenominator` (default: above zero).
 */
export interface AlertRule {
  readonly name: string
  readonly metric: string
  readonly labels: Labels
  readonly rateMs?: number
  readonly quantile?: number
  readonly windowMs?: number
  readonly divideBy?: SeriesSelector & { readonly minDenominator?: number }
  readonly by?: readonly string[]
  readonly op: AlertOp
  readonly threshold: number
  /** How long the condition must hold before the alert fires (0: at once). */
  readonly forMs: number
  readonly severity: AlertSeverity
  readonly action: AlertAction
  readonly description?: string
}

export type AlertState = 'pending' | 'firing' | 'resolved'

/** An alert as notifiers and the API see it (JSON-able). */
export interface Alert {
  /** Rule name. */
  readonly rule: string
  /** Label set of the instance (empty for a rule over one aggregate). */
  readonly labels: Labels
  /** Rule + labels: the deduplication key (PagerDuty's dedup_key). */
  readonly key: string
  readonly state: AlertState
  readonly severity: AlertSeverity
  readonly action: AlertAction
  /** The value that was compared (NaN as null in JSON). */
  readonly value: number
  readonly op: AlertOp
  readonly threshold: number
  /** One line for humans: `ApiLatencyHigh: 0.73 > 0.5 (route=/orders)`. */
  readonly summary: string
  readonly description?: string
  /** When the condition started to hold (ms). */
  readonly activeSince: number
  /** When it fired (ms), once it has. */
  readonly firedAt?: number
  readonly resolvedAt?: number
  /** Time of this notification (ms). */
  readonly at: number
  /** True for alerts Sofia raises about itself (a notifier failing). */
  readonly internal?: boolean
}

export interface DeliveryOptions {
  /** Attempts per notification, the first included. */
  readonly attempts: number
  /** Per attempt. */
  readonly timeoutMs: number
  /** First retry delay; doubles each attempt up to `maxBackoffMs`. */
  readonly backoffMs: number
  readonly maxBackoffMs: number
  /** Notifications waiting per notifier; beyond it the oldest is dropped. */
  readonly queueSize: number
}

export const DEFAULT_DELIVERY: DeliveryOptions = { attempts: 5, timeoutMs: 10_000, backoffMs: 1_000, maxBackoffMs: 30_000, queueSize: 100 }

interface NotifierCommon {
  /** Notifications below this severity are not sent to this notifier. Default info (all). */
  readonly minSeverity?: AlertSeverity
}
export interface WebhookNotifierConfig extends NotifierCommon {
  readonly url: Secret
  readonly headers?: Readonly<Record<string, Secret>>
}
export interface SlackNotifierConfig extends NotifierCommon {
  readonly url: Secret
}
export interface PagerDutyNotifierConfig extends NotifierCommon {
  readonly routingKey: Secret
  /** Default https://events.pagerduty.com/v2/enqueue. */
  readonly url: string
  /** payload.source. Default `sofia`. */
  readonly source: string
}
export interface EmailNotifierConfig extends NotifierCommon {
  readonly host: string
  readonly port: number
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean
  readonly from: string
  readonly to: readonly string[]
  readonly user?: string
  readonly password?: Secret
  /** Do not upgrade with STARTTLS (local relays only). */
  readonly ignoreTLS?: boolean
}
export interface NotifiersConfig {
  readonly webhook?: WebhookNotifierConfig
  readonly slack?: SlackNotifierConfig
  readonly pagerduty?: PagerDutyNotifierConfig
  readonly email?: EmailNotifierConfig
  readonly delivery: DeliveryOptions
}

export interface AlertConfig {
  readonly rules: readonly AlertRule[]
  readonly notifiers: NotifiersConfig
  /** A firing alert is notified again after this long (0: never). */
  readonly repeatIntervalMs: number
  /**
   * Rules left out because their threshold names a value that is not configured (e.g. a daily-loss rule
   * without risk.maxDailyLoss): one line each, `file:line: rules[i] (Name): …`, for the caller to print.
   */
  readonly inactive?: readonly string[]
}

export const DEFAULT_PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue'
export const DEFAULT_REPEAT_INTERVAL_MS = 4 * 3_600_000

/** A bad alerts file. `message` is the first problem; `problems` lists them all. */
export class AlertConfigError extends InputError {
  readonly problems: readonly string[]

  constructor(problems: readonly [string, ...string[]], options?: { cause?: unknown }) {
    super(problems[0], options)
    this.problems = problems
  }
}

/** Values rule thresholds may refer to (`threshold: '-0.5 * maxDailyLoss'`); undefined: not configured. */
export type ThresholdVars = Readonly<Record<string, number | undefined>>

export interface ParseAlertConfigOptions {
  /** Metrics that rules may name (createMetrics().registry, after registerOpsMetrics). */
  readonly registry: Registry
  /** How messages name the file. Default `config/alerts.yaml`. */
  readonly name?: string
  readonly vars?: ThresholdVars
}

/** Reads and validates the alerts file; a missing default file gives `defaultRules` and no notifiers. */
export async function loadAlertConfig(
  options: ParseAlertConfigOptions & { readonly file?: string; readonly cwd?: string; readonly defaultRules?: readonly AlertRule[] },
): Promise<AlertConfig> {
  const name = options.file ?? DEFAULT_ALERTS_FILE
  const path = options.cwd === undefined ? name : `${options.cwd.replace(/\/$/, '')}/${name}`
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && options.file === undefined) {
      return { rules: options.defaultRules ?? [], notifiers: { delivery: DEFAULT_DELIVERY }, repeatIntervalMs: DEFAULT_REPEAT_INTERVAL_MS }
    }
    throw new AlertConfigError([`${name}: cannot read alerts file: ${(err as Error).message}`], { cause: err })
  }
  return parseAlertConfig(text, { ...options, name })
}

/** Validates alerts YAML already in hand. @throws AlertConfigError */
export function parseAlertConfig(text: string, options: ParseAlertConfigOptions): AlertConfig {
  const name = options.name ?? DEFAULT_ALERTS_FILE
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true })
  const yamlError = doc.errors[0]
  if (yamlError) {
    const line = yamlError.linePos?.[0].line
    const what = (yamlError.message.split('\n')[0] ?? yamlError.message).replace(/ at line \d+, column \d+:?$/, '')
    throw new AlertConfigError([`${name}${line === undefined ? '' : `:${line}`}: invalid YAML: ${what}`], { cause: yamlError })
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {}
  const v = new Validator(name, doc, lines)
  const config = v.config(raw, options)
  v.throwIfAny()
  return config
}

/** Validates rules given in code (the default set, a test) against the registry. @throws AlertConfigError */
export function checkRules(rules: readonly AlertRule[], registry: Registry): void {
  const problems: string[] = []
  const seen = new Set<string>()
  for (const [i, rule] of rules.entries()) {
    const at = `rules[${i}] (${rule.name})`
    if (seen.has(rule.name)) problems.push(`${at}: name: duplicate rule name`)
    seen.add(rule.name)
    for (const p of metricProblems(rule, registry)) problems.push(`${at}: ${p.field}: ${p.message}`)
  }
  const [first, ...rest] = problems
  if (first !== undefined) throw new AlertConfigError([first, ...rest])
}

export interface DefaultRuleOptions {
  /** MAX_DAILY_LOSS in the reporting currency; without it there are no daily-loss rules. */
  readonly maxDailyLoss?: number
}

/** The runbook's alerts. Thresholds match deploy/prometheus/alerts.yml. */
export function defaultAlertRules(options: DefaultRuleOptions = {}): AlertRule[] {
  const rules: AlertRule[] = [
    {
      name: 'ApiLatencyHigh',
      metric: 'api_latency_seconds',
      labels: {},
      quantile: 0.95,
      windowMs: 5 * 60_000,
      op: '>',
      threshold: 0.5,
      forMs: 5 * 60_000,
      severity: 'warning',
      action: 'notify',
      description: 'Operator API p95 latency above 500ms for 5 minutes',
    },
    {
      name: 'FillRateLow',
      metric: 'trading_orders_total',
      labels: { status: 'filled' },
      rateMs: 15 * 60_000,
      divideBy: { metric: 'trading_orders_total', labels: { status: 'submitted' }, minDenominator: 10 },
      op: '<',
      threshold: 0.5,
      forMs: 0,
      severity: 'warning',
      action: 'notify',
      description: 'Fewer than half of the orders submitted in the last 15 minutes filled (at least 10 submitted)',
    },
    {
      name: 'OrderErrorRateHigh',
      metric: 'trading_orders_total',
      labels: { status: 'rejected', reason: 'venue' },
      rateMs: 5 * 60_000,
      divideBy: { metric: 'trading_orders_total', labels: { status: 'submitted' }, minDenominator: 5 },
      op: '>',
      threshold: 0.1,
      forMs: 0,
      severity: 'critical',
      action: 'pause_strategy',
      description: 'More than 10% of orders submitted in the last 5 minutes were rejected by the venue',
    },
    {
      name: 'TradingErrorsBurst',
      metric: 'trading_errors_total',
      labels: {},
      rateMs: 5 * 60_000,
      op: '>',
      threshold: 20,
      forMs: 0,
      severity: 'warning',
      action: 'notify',
      description: 'More than 20 trading errors in 5 minutes',
    },
    {
      name: 'PositionDrift',
      metric: RECONCILIATION_DISCREPANCIES,
      labels: { kind: 'position' },
      op: '>',
      threshold: 0,
      forMs: 0,
      severity: 'critical',
      action: 'pause_strategy',
      description: 'Positions at the venue differ from the ledger',
    },
    {
      name: 'ReconciliationDiscrepancy',
      metric: RECONCILIATION_DISCREPANCIES,
      labels: {},
      op: '>',
      threshold: 0,
      forMs: 5 * 60_000,
      severity: 'warning',
      action: 'notify',
      description: 'Reconciliation has reported discrepancies for 5 minutes',
    },
    {
      name: 'MarketDataFeedDown',
      metric: 'market_data_stale_seconds',
      labels: {},
      op: '>',
      threshold: 60,
      forMs: 0,
      severity: 'critical',
      action: 'notify',
      description: 'No market data on a feed for over a minute',
    },
    {
      name: 'KillSwitchActive',
      metric: 'kill_switch_active',
      labels: {},
      op: '==',
      threshold: 1,
      forMs: 0,
      severity: 'critical',
      action: 'notify',
      description: 'The kill switch is blocking risk-adding orders',
    },
    {
      name: 'CircuitBreakerOpen',
      metric: 'circuit_breaker_open',
      labels: {},
      op: '==',
      threshold: 1,
      forMs: 30_000,
      severity: 'critical',
      action: 'notify',
      description: 'A circuit breaker has been open for 30 seconds: calls to the venue are failing',
    },
    {
      name: 'CancelFailing',
      metric: 'order_cancel_failures_total',
      labels: {},
      by: ['venue'],
      rateMs: 5 * 60_000,
      op: '>',
      threshold: 0,
      forMs: 0,
      severity: 'critical',
      action: 'notify',
      description: 'The venue refused or failed a cancel in the last 5 minutes: an order may still be working',
    },
    {
      name: 'DiskSpaceLow',
      metric: DISK_FREE_BYTES,
      labels: {},
      op: '<',
      threshold: 1024 ** 3,
      forMs: 60_000,
      severity: 'critical',
      action: 'notify',
      description: 'Less than 1 GiB free on the data directory file system',
    },
  ]
  const limit = options.maxDailyLoss
  if (limit !== undefined && limit > 0) {
    const loss = (fraction: number, severity: AlertSeverity, action: AlertAction): AlertRule => ({
      name: `DailyLoss${fraction * 100}`,
      metric: 'trading_pnl_usd',
      labels: { kind: 'daily' },
      op: '<=',
      threshold: -fraction * limit,
      forMs: 0,
      severity,
      action,
      description: `Daily P&L at ${fraction * 100}% of the daily loss limit (${limit})`,
    })
    rules.push(loss(0.5, 'warning', 'notify'), loss(0.8, 'critical', 'reduce_size'))
  }
  return rules
}

// ---------------------------------------------------------------------------------------------------------

const RULE_KEYS = ['name', 'metric', 'labels', 'rate', 'quantile', 'window', 'divideBy', 'by', 'op', 'threshold', 'for', 'severity', 'action', 'description'] as const
const TOP_KEYS = ['rules', 'notifiers', 'repeatInterval'] as const
const NOTIFIER_KEYS = {
  webhook: ['url', 'headers', 'minSeverity'],
  slack: ['url', 'minSeverity'],
  pagerduty: ['routingKey', 'url', 'source', 'minSeverity'],
  email: ['host', 'port', 'secure', 'from', 'to', 'user', 'password', 'ignoreTLS', 'minSeverity'],
  delivery: ['attempts', 'timeout', 'backoff', 'maxBackoff', 'queueSize'],
} as const
const SECRET_FIELDS = new Set(['url', 'routingKey', 'password', 'headers'])

type Path = readonly (string | number)[]

/** Collects problems with their location; formats them as `file:line: where: message, got …`. */
class Validator {
  private readonly problems: { line: number | undefined; text: string }[] = []
  private readonly inactive: string[] = []

  constructor(
    private readonly name: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  config(raw: unknown, options: ParseAlertConfigOptions): AlertConfig {
    if (!isRecord(raw)) {
      this.add([], 'expected a mapping with rules: and notifiers:')
      return { rules: [], notifiers: { delivery: DEFAULT_DELIVERY }, repeatIntervalMs: DEFAULT_REPEAT_INTERVAL_MS }
    }
    this.unknownKeys(raw, [], TOP_KEYS)
    const repeatIntervalMs = raw.repeatInterval === undefined ? DEFAULT_REPEAT_INTERVAL_MS : this.duration(raw.repeatInterval, ['repeatInterval'])
    const rules: AlertRule[] = []
    if (raw.rules !== undefined && raw.rules !== null) {
      if (!Array.isArray(raw.rules)) this.add(['rules'], 'expected a list', raw.rules)
      else {
        const names = new Map<string, number>()
        for (const [i, item] of (raw.rules as unknown[]).entries()) {
          const rule = this.rule(item, i, options, names)
          if (rule !== undefined) rules.push(rule)
        }
      }
    }
    const notifiers = raw.notifiers === undefined || raw.notifiers === null ? { delivery: DEFAULT_DELIVERY } : this.notifiers(raw.notifiers)
    return { rules, notifiers, repeatIntervalMs: repeatIntervalMs ?? DEFAULT_REPEAT_INTERVAL_MS, inactive: this.inactive }
  }

  throwIfAny(): void {
    const sorted = [...this.problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)).map((p) => p.text)
    const [first, ...rest] = sorted
    if (first !== undefined) throw new AlertConfigError([first, ...rest])
  }

  private rule(item: unknown, i: number, options: ParseAlertConfigOptions, names: Map<string, number>): AlertRule | undefined {
    const base: Path = ['rules', i]
    if (!isRecord(item)) {
      this.add(base, 'expected a mapping', item)
      return undefined
    }
    const ruleName = typeof item.name === 'string' && item.name.trim() !== '' ? item.name : undefined
    const at = (field: string | readonly (string | number)[]): Path => [...base, ...(typeof field === 'string' ? [field] : field)]
    const problem = (field: string | Path, message: string, got?: unknown): void => this.add(at(field), message, got, ruleName)
    const before = this.problems.length

    for (const key of Object.keys(item)) {
      if (!(RULE_KEYS as readonly string[]).includes(key)) problem(key, `unknown key (expected one of ${RULE_KEYS.join(', ')})`)
    }
    if (item.name === undefined) problem('name', 'required')
    else if (ruleName === undefined || !/^[A-Za-z][\w.-]*$/.test(ruleName)) {
      problem('name', 'expected a name of letters, digits, _ . or - starting with a letter', item.name)
    } else if (names.has(ruleName)) problem('name', `duplicate rule name (also rules[${names.get(ruleName)}])`, item.name)
    else names.set(ruleName, i)

    let kind: MetricKind | undefined
    if (item.metric === undefined) problem('metric', 'required')
    else if (typeof item.metric !== 'string') problem('metric', 'expected a metric name', item.metric)
    else {
      kind = metricKind(options.registry, item.metric)
      if (kind === undefined) problem('metric', 'unknown metric (not in the registry)', item.metric)
    }
    const labels = this.labels(item.labels, at('labels'), ruleName)

    const rateMs = item.rate === undefined ? undefined : this.duration(item.rate, at('rate'), ruleName)
    const windowMs = item.window === undefined ? undefined : this.duration(item.window, at('window'), ruleName)
    let quantile: number | undefined
    if (item.quantile !== undefined) {
      if (typeof item.quantile !== 'number' || !(item.quantile > 0 && item.quantile < 1)) problem('quantile', 'expected a number between 0 and 1', item.quantile)
      else quantile = item.quantile
    }
    if (kind !== undefined) {
      if (kind === 'summary') problem('metric', 'summaries are not supported (use a histogram)', item.metric)
      if (item.rate !== undefined && kind !== 'counter') problem('rate', `only counters have a rate (${String(item.metric)} is a ${kind})`)
      if (item.quantile !== undefined && kind !== 'histogram') problem('quantile', `only histograms have quantiles (${String(item.metric)} is a ${kind})`)
      if (item.window !== undefined && kind !== 'histogram') problem('window', `only histograms take a window (for a counter use rate)`)
      if (kind === 'histogram' && item.quantile === undefined) problem('quantile', `required for a histogram (${String(item.metric)}), such as 0.95`)
    }

    let divideBy: AlertRule['divideBy']
    if (item.divideBy !== undefined) {
      const d = item.divideBy
      if (!isRecord(d)) problem('divideBy', 'expected a mapping with metric, labels? and minDenominator?', d)
      else {
        for (const key of Object.keys(d)) {
          if (!['metric', 'labels', 'minDenominator'].includes(key)) problem(['divideBy', key], 'unknown key (expected one of metric, labels, minDenominator)')
        }
        const dKind = typeof d.metric === 'string' ? metricKind(options.registry, d.metric) : undefined
        if (typeof d.metric !== 'string') problem(['divideBy', 'metric'], d.metric === undefined ? 'required' : 'expected a metric name', d.metric)
        else if (dKind === undefined) problem(['divideBy', 'metric'], 'unknown metric (not in the registry)', d.metric)
        else if (kind === 'histogram' || dKind === 'histogram' || dKind === 'summary') problem('divideBy', 'ratios of histograms are not supported')
        else if (rateMs !== undefined && dKind !== 'counter') problem(['divideBy', 'metric'], `must be a counter when the rule has a rate (${d.metric} is a ${dKind})`)
        const dLabels = this.labels(d.labels, at(['divideBy', 'labels']), ruleName)
        let min: number | undefined
        if (d.minDenominator !== undefined) {
          if (typeof d.minDenominator !== 'number' || !Number.isFinite(d.minDenominator) || d.minDenominator < 0) {
            problem(['divideBy', 'minDenominator'], 'expected a number ≥ 0', d.minDenominator)
          } else min = d.minDenominator
        }
        if (typeof d.metric === 'string') divideBy = { metric: d.metric, labels: dLabels, ...(min === undefined ? {} : { minDenominator: min }) }
      }
    }

    let by: string[] | undefined
    if (item.by !== undefined) {
      if (!Array.isArray(item.by) || !item.by.every((l): l is string => typeof l === 'string' && /^[A-Za-z_]\w*$/.test(l))) {
        problem('by', 'expected a list of label names', item.by)
      } else by = item.by
    }

    let op: AlertOp | undefined
    if (item.op === undefined) problem('op', 'required')
    else if (!(ALERT_OPS as readonly unknown[]).includes(item.op)) {
      const hint = item.op === '' || item.op === null ? ` (quote it in YAML: op: '>')` : ''
      problem('op', `expected one of ${ALERT_OPS.join(' ')}${hint}`, item.op ?? '')
    } else op = item.op as AlertOp

    const threshold = item.threshold === undefined ? (problem('threshold', 'required'), undefined) : this.threshold(item.threshold, at('threshold'), ruleName, options.vars ?? {})
    const forMs = item.for === undefined ? 0 : this.duration(item.for, at('for'), ruleName)
    const severity = this.oneOf(item.severity, ALERT_SEVERITIES, at('severity'), ruleName)
    const action = this.oneOf(item.action, ALERT_ACTIONS, at('action'), ruleName)
    let description: string | undefined
    if (item.description !== undefined) {
      if (typeof item.description !== 'string') problem('description', 'expected text', item.description)
      else description = item.description
    }

    if (this.problems.length > before) return undefined
    if (ruleName === undefined || typeof item.metric !== 'string' || op === undefined || threshold === undefined) return undefined
    if (forMs === undefined || severity === undefined || action === undefined) return undefined
    return {
      name: ruleName,
      metric: item.metric,
      labels,
      ...(rateMs === undefined ? {} : { rateMs }),
      ...(quantile === undefined ? {} : { quantile }),
      ...(kind === 'histogram' ? { windowMs: windowMs ?? 5 * 60_000 } : {}),
      ...(divideBy === undefined ? {} : { divideBy }),
      ...(by === undefined ? {} : { by }),
      op,
      threshold,
      forMs,
      severity,
      action,
      ...(description === undefined ? {} : { description }),
    }
  }

  private notifiers(raw: unknown): NotifiersConfig {
    const base: Path = ['notifiers']
    if (!isRecord(raw)) {
      this.add(base, 'expected a mapping', raw)
      return { delivery: DEFAULT_DELIVERY }
    }
    this.unknownKeys(raw, base, Object.keys(NOTIFIER_KEYS))
    const section = (key: keyof typeof NOTIFIER_KEYS): Record<string, unknown> | undefined => {
      const value = raw[key]
      if (value === undefined || value === null) return undefined
      if (!isRecord(value)) {
        this.add([...base, key], 'expected a mapping', value)
        return undefined
      }
      this.unknownKeys(value, [...base, key], NOTIFIER_KEYS[key])
      return value
    }
    const minSeverity = (s: Record<string, unknown>, key: string): { minSeverity?: AlertSeverity } => {
      if (s.minSeverity === undefined) return {}
      const value = this.oneOf(s.minSeverity, ALERT_SEVERITIES, [...base, key, 'minSeverity'])
      return value === undefined ? {} : { minSeverity: value }
    }
    const out: { -readonly [K in keyof NotifiersConfig]: NotifiersConfig[K] } = { delivery: DEFAULT_DELIVERY }

    const webhook = section('webhook')
    if (webhook) {
      const url = this.url(webhook.url, [...base, 'webhook', 'url'])
      let headers: Record<string, Secret> | undefined
      if (webhook.headers !== undefined) {
        if (!isRecord(webhook.headers) || !Object.values(webhook.headers).every((h) => typeof h === 'string')) {
          this.add([...base, 'webhook', 'headers'], 'expected a mapping of header names to text')
        } else headers = Object.fromEntries(Object.entries(webhook.headers).map(([k, h]) => [k, new Secret(String(h))]))
      }
      if (url) out.webhook = { url: new Secret(url), ...(headers && { headers }), ...minSeverity(webhook, 'webhook') }
    }
    const slack = section('slack')
    if (slack) {
      const url = this.url(slack.url, [...base, 'slack', 'url'])
      if (url) out.slack = { url: new Secret(url), ...minSeverity(slack, 'slack') }
    }
    const pd = section('pagerduty')
    if (pd) {
      const key = this.text(pd.routingKey, [...base, 'pagerduty', 'routingKey'])
      const url = pd.url === undefined ? DEFAULT_PAGERDUTY_URL : this.url(pd.url, [...base, 'pagerduty', 'url'])
      const source = pd.source === undefined ? 'sofia' : this.text(pd.source, [...base, 'pagerduty', 'source'])
      if (key && url && source) out.pagerduty = { routingKey: new Secret(key), url, source, ...minSeverity(pd, 'pagerduty') }
    }
    const email = section('email')
    if (email) {
      const p = (k: string): Path => [...base, 'email', k]
      const host = this.text(email.host, p('host'))
      const secure = email.secure === undefined ? false : this.bool(email.secure, p('secure'))
      let port: number | undefined = secure ? 465 : 587
      if (email.port !== undefined) {
        if (typeof email.port !== 'number' || !Number.isInteger(email.port) || email.port < 1 || email.port > 65535) {
          this.add(p('port'), 'expected a port number (1-65535)', email.port)
          port = undefined
        } else port = email.port
      }
      const from = this.address(email.from, p('from'))
      const toRaw = typeof email.to === 'string' ? [email.to] : email.to
      let to: string[] | undefined
      if (!Array.isArray(toRaw) || toRaw.length === 0) this.add(p('to'), email.to === undefined ? 'required' : 'expected an address or a list of addresses', email.to)
      else {
        const list = toRaw.map((a, j) => this.address(a, [...p('to'), ...(typeof email.to === 'string' ? [] : [j])]))
        if (list.every((a): a is string => a !== undefined)) to = list
      }
      const user = email.user === undefined ? undefined : this.text(email.user, p('user'))
      const password = email.password === undefined ? undefined : this.text(email.password, p('password'))
      const ignoreTLS = email.ignoreTLS === undefined ? undefined : this.bool(email.ignoreTLS, p('ignoreTLS'))
      if (host && port !== undefined && secure !== undefined && from && to) {
        out.email = {
          host,
          port,
          secure,
          from,
          to,
          ...(user === undefined ? {} : { user }),
          ...(password === undefined ? {} : { password: new Secret(password) }),
          ...(ignoreTLS === undefined ? {} : { ignoreTLS }),
          ...minSeverity(email, 'email'),
        }
      }
    }
    const delivery = section('delivery')
    if (delivery) {
      const p = (k: string): Path => [...base, 'delivery', k]
      const int = (k: string, min: number, max: number): number | undefined => {
        const value = delivery[k]
        if (value === undefined) return undefined
        if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
          this.add(p(k), `expected a whole number from ${min} to ${max}`, value)
          return undefined
        }
        return value
      }
      const dur = (k: string): number | undefined => (delivery[k] === undefined ? undefined : this.duration(delivery[k], p(k)))
      out.delivery = {
        attempts: int('attempts', 1, 20) ?? DEFAULT_DELIVERY.attempts,
        queueSize: int('queueSize', 1, 100_000) ?? DEFAULT_DELIVERY.queueSize,
        timeoutMs: dur('timeout') ?? DEFAULT_DELIVERY.timeoutMs,
        backoffMs: dur('backoff') ?? DEFAULT_DELIVERY.backoffMs,
        maxBackoffMs: dur('maxBackoff') ?? DEFAULT_DELIVERY.maxBackoffMs,
      }
    }
    return out
  }

  private labels(value: unknown, path: Path, rule?: string): Labels {
    if (value === undefined || value === null) return {}
    if (!isRecord(value)) {
      this.add(path, 'expected a mapping of label names to values', value, rule)
      return {}
    }
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') this.add([...path, k], 'expected a label value', v, rule)
      else out[k] = String(v)
    }
    return out
  }

  private threshold(value: unknown, path: Path, rule: string | undefined, vars: ThresholdVars): number | undefined {
    if (typeof value === 'number' && Number.isFinite(value)) return value
    if (typeof value === 'string') {
      const m = /^\s*(?:([-+]?\d+(?:\.\d+)?)\s*\*\s*)?(-)?\s*([A-Za-z_]\w*)\s*$/.exec(value)
      if (m?.[3] !== undefined) {
        const factor = (m[1] === undefined ? 1 : Number(m[1])) * (m[2] === undefined ? 1 : -1)
        const known = Object.keys(vars).filter((k) => vars[k] !== undefined)
        const ref = vars[m[3]]
        if (!Object.hasOwn(vars, m[3])) {
          this.add(path, `expected a number or a reference such as '-0.5 * maxDailyLoss' (unknown name ${m[3]}; known: ${Object.keys(vars).join(', ') || 'none'})`, value, rule)
        } else if (ref === undefined) {
          // Like the built-in daily-loss rules: inactive while the limit they are a fraction of is unset.
          const line = this.lineOf(path)
          this.inactive.push(
            `${line === undefined ? this.name : `${this.name}:${line}`}: ${pathText(path.slice(0, 2), rule).replace(/: $/, '')} is off: its threshold names ${m[3]}, which is not configured (configured: ${known.join(', ') || 'none'})`,
          )
        } else return factor * ref
        return undefined
      }
      if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
    }
    this.add(path, "expected a number or a reference such as '-0.5 * maxDailyLoss'", value, rule)
    return undefined
  }

  private duration(value: unknown, path: Path, rule?: string): number | undefined {
    if (value === 0) return 0
    if (typeof value !== 'string') {
      this.add(path, 'expected a duration such as 30s, 5m or 1h', value, rule)
      return undefined
    }
    try {
      return parseDuration(value)
    } catch (err) {
      this.add(path, (err as Error).message, value, rule)
      return undefined
    }
  }

  private oneOf<T extends string>(value: unknown, allowed: readonly T[], path: Path, rule?: string): T | undefined {
    if (value === undefined) {
      this.add(path, 'required', undefined, rule)
      return undefined
    }
    if ((allowed as readonly unknown[]).includes(value)) return value as T
    this.add(path, `expected one of ${allowed.join(', ')}`, value, rule)
    return undefined
  }

  private text(value: unknown, path: Path): string | undefined {
    if (typeof value === 'string' && value.trim() !== '') return value
    this.add(path, value === undefined ? 'required' : 'expected text', value)
    return undefined
  }

  private bool(value: unknown, path: Path): boolean | undefined {
    if (typeof value === 'boolean') return value
    this.add(path, 'expected true or false', value)
    return undefined
  }

  private url(value: unknown, path: Path): string | undefined {
    const text = this.text(value, path)
    if (text === undefined) return undefined
    try {
      const u = new URL(text)
      if (u.protocol === 'http:' || u.protocol === 'https:') return text
    } catch {
      // reported below
    }
    this.add(path, 'expected an http(s) URL', value)
    return undefined
  }

  private address(value: unknown, path: Path): string | undefined {
    const text = this.text(value, path)
    if (text === undefined) return undefined
    if (/^[^\s@<>]+@[^\s@<>]+$/.test(text) || /^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(text)) return text
    this.add(path, 'expected an e-mail address', value)
    return undefined
  }

  private unknownKeys(value: Record<string, unknown>, path: Path, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.add([...path, key], `unknown key (expected one of ${known.join(', ')})`)
    }
  }

  private add(path: Path, message: string, got?: unknown, rule?: string): void {
    const line = this.lineOf(path)
    const where = line === undefined ? this.name : `${this.name}:${line}`
    const secret = path.some((k) => typeof k === 'string' && SECRET_FIELDS.has(k)) && path[0] === 'notifiers'
    const shown = got === undefined || secret ? '' : `, got ${render(got)}`
    this.problems.push({ line, text: `${where}: ${pathText(path, rule)}${message}${shown}` })
  }

  /** Line of the key (or list item) at `path`, else of its nearest ancestor. */
  private lineOf(path: Path): number | undefined {
    return yamlLineOf(this.doc, this.lines, path)
  }
}

/** `rules[3] (DailyLoss80): op: ` / `notifiers.slack.url: ` */
function pathText(path: Path, rule: string | undefined): string {
  if (path.length === 0) return ''
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    const head = `rules[${path[1]}]${rule === undefined ? '' : ` (${rule})`}`
    const rest = path.slice(2)
    return `${head}: ${rest.length === 0 ? '' : `${dotted(rest)}: `}`
  }
  return `${dotted(path)}: `
}

function dotted(path: Path): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('')
}

function render(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  if (Array.isArray(value)) return value.length === 0 ? '[]' : 'a list'
  if (value !== null && typeof value === 'object') return 'a mapping'
  return String(value)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Problems of a rule built in code against the registry (the file path does these inline). */
function metricProblems(rule: AlertRule, registry: Registry): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = []
  const kind = metricKind(registry, rule.metric)
  if (kind === undefined) out.push({ field: 'metric', message: `unknown metric (not in the registry), got "${rule.metric}"` })
  else if (kind === 'summary') out.push({ field: 'metric', message: 'summaries are not supported' })
  else if (kind === 'histogram' && rule.quantile === undefined) out.push({ field: 'quantile', message: 'required for a histogram' })
  else if (rule.rateMs !== undefined && kind !== 'counter') out.push({ field: 'rate', message: `only counters have a rate (${rule.metric} is a ${kind})` })
  if (rule.divideBy !== undefined && metricKind(registry, rule.divideBy.metric) === undefined) {
    out.push({ field: 'divideBy.metric', message: `unknown metric (not in the registry), got "${rule.divideBy.metric}"` })
  }
  return out
}

/** A rule as it would be written in alerts.yaml (for `sofia alerts rules` and the example file). */
export function describeRule(rule: AlertRule): Record<string, unknown> {
  return {
    name: rule.name,
    metric: rule.metric,
    ...(Object.keys(rule.labels).length > 0 && { labels: { ...rule.labels } }),
    ...(rule.rateMs !== undefined && { rate: formatDuration(rule.rateMs) }),
    ...(rule.quantile !== undefined && { quantile: rule.quantile }),
    ...(rule.windowMs !== undefined && { window: formatDuration(rule.windowMs) }),
    ...(rule.divideBy !== undefined && { divideBy: { ...rule.divideBy, labels: { ...rule.divideBy.labels } } }),
    ...(rule.by !== undefined && { by: [...rule.by] }),
    op: rule.op,
    threshold: rule.threshold,
    for: formatDuration(rule.forMs),
    severity: rule.severity,
    action: rule.action,
    ...(rule.description !== undefined && { description: rule.description }),
  }
}
