/**
 * @module observability/alert-rules
 * Alert rules and notifier settings from `config/alerts.yaml`, validated at start against the metric
 * registry. Every problem is one line saying where —
 * `config/alerts.yaml:12: rules[3] (DailyLoss80): op: expected one of > >= < <= == !=, got "=>"` — and all
 * of them are thrown together as an AlertConfigError (an InputError: CLI exit code 2). The file's shape is a
 * zod schema built from the config's own leaf checks, and its problems are worded by the same code as
 * sofia.yaml's. The default rule set (the runbook's alerts) is generated in code from the configured limits.
 */
import { readFile } from 'node:fs/promises'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import {
  Invalid,
  Secret,
  dottedPath,
  duration,
  field,
  fileLine,
  formatDuration,
  getIn,
  lineOf,
  mapping,
  oneOf,
  problemLines,
  readYaml,
  secret,
  text,
  url,
  zodProblems,
} from '../config/index.js'
import type { Problem } from '../config/index.js'
import { InputError, isRecord } from '../model/index.js'
import { DISK_FREE_BYTES, RECONCILIATION_DISCREPANCIES } from './ops-metrics.js'
import { metricKind } from './series.js'
import type { Labels } from './series.js'

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
  const source = readYaml(text, name, (problem, cause) => new AlertConfigError([problem], { cause }))
  const raw: unknown = source.value ?? {}
  const vars = options.vars ?? {}
  const schema = alertConfigSchema(options.registry, vars)
  const result = schema.safeParse(raw)
  // An unknown key lists the keys taken there, without a guess at the one meant (as this file always has).
  const problems = [...(result.success ? [] : zodProblems(result.error, raw, schema, { suggest: false })), ...duplicateNames(raw)]
  const isSecret = (path: readonly PropertyKey[]): boolean => path[0] === 'notifiers' && path.some((k) => typeof k === 'string' && SECRET_FIELDS.has(k))
  const [first, ...rest] = problemLines(problems, { name, source, secret: isSecret, pathText: (path) => alertPath(path, raw) })
  if (first !== undefined || !result.success) throw new AlertConfigError([first ?? `${name}: invalid alerts file`, ...rest])

  const rules: AlertRule[] = []
  const inactive: string[] = []
  const configured = Object.keys(vars).filter((k) => vars[k] !== undefined)
  for (const [i, rule] of (result.data.rules ?? []).entries()) {
    if (!('unset' in rule)) rules.push(rule)
    else {
      inactive.push(
        `${fileLine(name, lineOf(['rules', i, 'threshold'], source))}: ${alertPath(['rules', i], raw)} is off: its threshold names ${rule.unset}, which is not configured (configured: ${configured.join(', ') || 'none'})`,
      )
    }
  }
  const notifiers = result.data.notifiers ?? { delivery: DEFAULT_DELIVERY }
  return { rules, notifiers, repeatIntervalMs: result.data.repeatInterval ?? DEFAULT_REPEAT_INTERVAL_MS, inactive }
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

/** Values of notifier fields under these keys are never echoed in a message. */
const SECRET_FIELDS = new Set(['url', 'routingKey', 'password', 'headers'])
const RULE_NAME = /^[A-Za-z][\w.-]*$/
const LABEL_NAME = /^[A-Za-z_]\w*$/
/** `-0.5 * maxDailyLoss`, `maxDailyLoss`, `2*x` */
const REFERENCE = /^\s*(?:([-+]?\d+(?:\.\d+)?)\s*\*\s*)?(-)?\s*([A-Za-z_]\w*)\s*$/
const ADDRESS = [/^[^\s@<>]+@[^\s@<>]+$/, /^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/]
const HTTP = ['http:', 'https:']
const DEFAULT_WINDOW_MS = 5 * 60_000

/** A rule whose threshold names a value that is not configured: it is off. */
interface UnsetThreshold {
  readonly unset: string
}

/** The alerts file's schema; rules are checked against `registry`, thresholds resolved from `vars`. */
function alertConfigSchema(registry: Registry, vars: ThresholdVars) {
  const rule = z
    .strictObject({
      name: field((raw) => (typeof raw === 'string' && RULE_NAME.test(raw) ? raw : new Invalid('expected a name of letters, digits, _ . or - starting with a letter'))),
      metric: metricName(registry),
      labels: labels().optional(),
      rate: duration({ orZero: true }).optional(),
      quantile: field((raw) => (typeof raw === 'number' && raw > 0 && raw < 1 ? raw : new Invalid('expected a number between 0 and 1'))).optional(),
      window: duration({ orZero: true }).optional(),
      divideBy: mapping(
        {
          metric: metricName(registry),
          labels: labels().optional(),
          minDenominator: field((raw) => (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0 ? raw : new Invalid('expected a number ≥ 0'))).optional(),
        },
        'a mapping with metric, labels? and minDenominator?',
      ).optional(),
      by: field((raw) => (Array.isArray(raw) && raw.every((l): l is string => typeof l === 'string' && LABEL_NAME.test(l)) ? raw : new Invalid('expected a list of label names'))).optional(),
      op: field((raw) =>
        (ALERT_OPS as readonly unknown[]).includes(raw)
          ? (raw as AlertOp)
          : new Invalid(`expected one of ${ALERT_OPS.join(' ')}${raw === '' || raw === null ? ` (quote it in YAML: op: '>')` : ''}`, { got: raw ?? '' }),
      ),
      threshold: threshold(vars),
      for: duration({ orZero: true }).optional(),
      severity: oneOf(ALERT_SEVERITIES, { matchCase: true }),
      action: oneOf(ALERT_ACTIONS, { matchCase: true }),
      description: field((raw) => (typeof raw === 'string' ? raw : new Invalid('expected text'))).optional(),
    })
    // Runs beside the field checks, not after them: a rate on a gauge is worth saying even when `op` is wrong too.
    .superRefine((r, ctx) => kindChecks(r, ctx, registry), { when: (payload) => isRecord(payload.value) })
    .transform((r): AlertRule | UnsetThreshold => {
      if (typeof r.threshold !== 'number') return r.threshold
      const d = r.divideBy
      return {
        name: r.name,
        metric: r.metric,
        labels: r.labels ?? {},
        ...(r.rate === undefined ? {} : { rateMs: r.rate }),
        ...(r.quantile === undefined ? {} : { quantile: r.quantile }),
        ...(metricKind(registry, r.metric) === 'histogram' ? { windowMs: r.window ?? DEFAULT_WINDOW_MS } : {}),
        ...(d === undefined ? {} : { divideBy: { metric: d.metric, labels: d.labels ?? {}, ...(d.minDenominator === undefined ? {} : { minDenominator: d.minDenominator }) } }),
        ...(r.by === undefined ? {} : { by: r.by }),
        op: r.op,
        threshold: r.threshold,
        forMs: r.for ?? 0,
        severity: r.severity,
        action: r.action,
        ...(r.description === undefined ? {} : { description: r.description }),
      }
    })

  const minSeverity = oneOf(ALERT_SEVERITIES, { matchCase: true }).optional()
  const secretUrl = url(HTTP, 'an http(s) URL').transform((value) => new Secret(value))
  const flag = z.boolean({ error: 'expected true or false' })
  const whole = (min: number, max: number) =>
    field((raw) => (typeof raw === 'number' && Number.isInteger(raw) && raw >= min && raw <= max ? raw : new Invalid(`expected a whole number from ${min} to ${max}`)))
  const notifiers = z
    .strictObject({
      webhook: z
        .strictObject({
          url: secretUrl,
          headers: field((raw) =>
            isRecord(raw) && Object.values(raw).every((h) => typeof h === 'string')
              ? Object.fromEntries(Object.entries(raw).map(([k, h]) => [k, new Secret(String(h))]))
              : new Invalid('expected a mapping of header names to text'),
          ).optional(),
          minSeverity,
        })
        .transform(({ url, headers, minSeverity }): WebhookNotifierConfig => ({ url, ...(headers && { headers }), ...(minSeverity && { minSeverity }) }))
        .nullish(),
      slack: z
        .strictObject({ url: secretUrl, minSeverity })
        .transform(({ url, minSeverity }): SlackNotifierConfig => ({ url, ...(minSeverity && { minSeverity }) }))
        .nullish(),
      pagerduty: z
        .strictObject({ routingKey: secret(), url: url(HTTP, 'an http(s) URL').default(DEFAULT_PAGERDUTY_URL), source: text().default('sofia'), minSeverity })
        .transform(({ minSeverity, ...pd }): PagerDutyNotifierConfig => ({ ...pd, ...(minSeverity && { minSeverity }) }))
        .nullish(),
      email: z
        .strictObject({
          host: text(),
          port: field((raw) => (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 && raw <= 65535 ? raw : new Invalid('expected a port number (1-65535)'))).optional(),
          secure: flag.default(false),
          from: field(address),
          // One address, or a list of them.
          to: field((raw) => {
            if (typeof raw !== 'string') return Array.isArray(raw) && raw.length > 0 ? raw : new Invalid('expected an address or a list of addresses')
            const one = address(raw)
            return one instanceof Invalid ? one : [one]
          }).pipe(z.array(field(address))),
          user: text().optional(),
          password: secret().optional(),
          ignoreTLS: flag.optional(),
          minSeverity,
        })
        .transform(({ host, port, secure, from, to, user, password, ignoreTLS, minSeverity }): EmailNotifierConfig => ({
          host,
          port: port ?? (secure ? 465 : 587),
          secure,
          from,
          to,
          ...(user === undefined ? {} : { user }),
          ...(password === undefined ? {} : { password }),
          ...(ignoreTLS === undefined ? {} : { ignoreTLS }),
          ...(minSeverity && { minSeverity }),
        }))
        .nullish(),
      delivery: z
        .strictObject({
          attempts: whole(1, 20).optional(),
          timeout: duration({ orZero: true }).optional(),
          backoff: duration({ orZero: true }).optional(),
          maxBackoff: duration({ orZero: true }).optional(),
          queueSize: whole(1, 100_000).optional(),
        })
        .transform(
          (d): DeliveryOptions => ({
            attempts: d.attempts ?? DEFAULT_DELIVERY.attempts,
            queueSize: d.queueSize ?? DEFAULT_DELIVERY.queueSize,
            timeoutMs: d.timeout ?? DEFAULT_DELIVERY.timeoutMs,
            backoffMs: d.backoff ?? DEFAULT_DELIVERY.backoffMs,
            maxBackoffMs: d.maxBackoff ?? DEFAULT_DELIVERY.maxBackoffMs,
          }),
        )
        .nullish(),
    })
    .transform(
      (n): NotifiersConfig => ({
        delivery: n.delivery ?? DEFAULT_DELIVERY,
        ...(n.webhook && { webhook: n.webhook }),
        ...(n.slack && { slack: n.slack }),
        ...(n.pagerduty && { pagerduty: n.pagerduty }),
        ...(n.email && { email: n.email }),
      }),
    )

  return mapping({ rules: z.array(rule).nullish(), notifiers: notifiers.nullish(), repeatInterval: duration({ orZero: true }).optional() }, 'a mapping with rules: and notifiers:')
}

/** A metric the registry has. */
function metricName(registry: Registry) {
  return field((raw) =>
    typeof raw !== 'string'
      ? new Invalid('expected a metric name')
      : metricKind(registry, raw) === undefined
        ? new Invalid('unknown metric (not in the registry)')
        : raw,
  )
}

/** Label matchers: label names to values (scalars, as text); empty when left blank. */
function labels() {
  return field((raw) => (raw === null ? {} : isRecord(raw) ? raw : new Invalid('expected a mapping of label names to values'))).pipe(
    z.record(z.string(), field((raw) => (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : new Invalid('expected a label value')))),
  )
}

/** A number, or a configured value times a factor (`'-0.5 * maxDailyLoss'`); a value that is not configured turns the rule off. */
function threshold(vars: ThresholdVars) {
  const expected = "expected a number or a reference such as '-0.5 * maxDailyLoss'"
  return field((raw): number | UnsetThreshold | Invalid => {
    if (typeof raw === 'number' && Number.isFinite(raw)) return raw
    if (typeof raw !== 'string') return new Invalid(expected)
    const m = REFERENCE.exec(raw)
    const name = m?.[3]
    if (name === undefined) return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : new Invalid(expected)
    if (!Object.hasOwn(vars, name)) return new Invalid(`${expected} (unknown name ${name}; known: ${Object.keys(vars).join(', ') || 'none'})`)
    const value = vars[name]
    // Like the built-in daily-loss rules: off while the limit it is a fraction of is unset.
    if (value === undefined) return { unset: name }
    return (m?.[1] === undefined ? 1 : Number(m[1])) * (m?.[2] === undefined ? 1 : -1) * value
  })
}

/** An e-mail address, bare or as `Name <address>`. */
function address(raw: unknown): string | Invalid {
  if (typeof raw !== 'string' || raw.trim() === '') return new Invalid('expected text')
  return ADDRESS.some((re) => re.test(raw)) ? raw : new Invalid('expected an e-mail address')
}

/**
 * What the kind of a rule's metric allows (a rate for counters, quantiles for histograms …). The rule's fields
 * are as parsed so far: a field that failed its own check is neither undefined nor of its type.
 */
function kindChecks(r: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx, registry: Registry): void {
  const problem = (path: PropertyKey[], message: string, got?: unknown): void => {
    ctx.addIssue({ code: 'custom', path, message, params: { got } })
  }
  const kind = typeof r.metric === 'string' ? metricKind(registry, r.metric) : undefined
  const metric = String(r.metric)
  if (kind !== undefined) {
    if (kind === 'summary') problem(['metric'], 'summaries are not supported (use a histogram)', r.metric)
    if (r.rate !== undefined && kind !== 'counter') problem(['rate'], `only counters have a rate (${metric} is a ${kind})`)
    if (r.quantile !== undefined && kind !== 'histogram') problem(['quantile'], `only histograms have quantiles (${metric} is a ${kind})`)
    if (r.window !== undefined && kind !== 'histogram') problem(['window'], `only histograms take a window (for a counter use rate)`)
    if (kind === 'histogram' && r.quantile === undefined) problem(['quantile'], `required for a histogram (${metric}), such as 0.95`)
  }
  const divisor = isRecord(r.divideBy) && typeof r.divideBy.metric === 'string' ? r.divideBy.metric : undefined
  const divisorKind = divisor === undefined ? undefined : metricKind(registry, divisor)
  if (divisorKind === undefined) return
  if (kind === 'histogram' || divisorKind === 'histogram' || divisorKind === 'summary') problem(['divideBy'], 'ratios of histograms are not supported')
  else if (typeof r.rate === 'number' && divisorKind !== 'counter') problem(['divideBy', 'metric'], `must be a counter when the rule has a rate (${divisor} is a ${divisorKind})`)
}

/** Rule names used before in the file (each rule's name is checked, whatever else is wrong with it). */
function duplicateNames(raw: unknown): Problem[] {
  const rules = getIn(raw, ['rules'])
  const first = new Map<string, number>()
  const problems: Problem[] = []
  for (const [i, rule] of (Array.isArray(rules) ? rules : []).entries()) {
    const name = getIn(rule, ['name'])
    if (typeof name !== 'string' || !RULE_NAME.test(name)) continue
    const j = first.get(name)
    if (j === undefined) first.set(name, i)
    else problems.push({ path: ['rules', i, 'name'], message: `duplicate rule name (also rules[${j}])`, got: name })
  }
  return problems
}

/** `rules[3] (DailyLoss80): op` / `notifiers.slack.url` */
function alertPath(path: readonly PropertyKey[], raw: unknown): string {
  if (path[0] !== 'rules' || typeof path[1] !== 'number') return dottedPath(path)
  const name = getIn(raw, ['rules', path[1], 'name'])
  const rule = `rules[${path[1]}]${typeof name === 'string' && name.trim() !== '' ? ` (${name})` : ''}`
  return path.length > 2 ? `${rule}: ${dottedPath(path.slice(2))}` : rule
}

/** Problems of a rule built in code against the registry (for the file, the schema's metricName and kindChecks). */
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
