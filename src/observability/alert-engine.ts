/**
 * @module observability/alert-engine
 * Evaluates alert rules against the live prom-client registry when the caller says so (`evaluate(now)`, on
 * engine or wall time). Each rule and label set moves inactive → pending (condition holds, waiting `for`) →
 * firing → resolved; a firing alert is notified once, again after the repeat interval, and on resolve; its
 * action (pause_strategy, reduce_size, kill_switch) is taken once per firing. `alerts_firing` follows.
 * Windows (counter rates, histogram quantiles) are computed from samples the engine keeps of what it read.
 */
import type { Gauge } from 'prom-client'
import { promClient } from './prom.js'
import type { Registry } from 'prom-client'
import { DEFAULT_REPEAT_INTERVAL_MS, checkRules } from './alert-rules.js'
import type { Alert, AlertAction, AlertRule, AlertSeverity, AlertState } from './alert-rules.js'
import {
  bucketIncrease,
  counterIncrease,
  histogramQuantile,
  metricKind,
  readHistogram,
  readScalar,
  sumBucketsBy,
  sumBy,
} from './series.js'
import type { Buckets, HistogramSeries, Labels, MetricKind, ScalarSeries } from './series.js'

/**
 * What the engine does when an alert fires. The lead wires: notify → notifier hub; pauseStrategy → trading
 * state REDUCING/HALTED for `alert.labels.strategy` (or the account); reduceSize → position override 0.5;
 * killSwitch → Safety.activate('alert_rule', alert.summary, 'alert:<rule>'). Calls must not block: a
 * returned promise is not awaited (a rejection is reported through `onActionError`).
 */
export interface AlertActions {
  /** Every firing, repeat and resolve notification (all rules, whatever their action). */
  notify(alert: Alert): void | Promise<void>
  pauseStrategy(alert: Alert): void | Promise<void>
  reduceSize(alert: Alert): void | Promise<void>
  killSwitch(alert: Alert): void | Promise<void>
}

/** One state change, kept in the bounded history. */
export interface AlertTransition {
  readonly at: number
  readonly rule: string
  readonly key: string
  readonly labels: Labels
  readonly from: 'inactive' | AlertState
  readonly to: AlertState | 'inactive'
  readonly value: number
  readonly severity: AlertSeverity
}

export interface AlertEngineOptions {
  readonly registry: Registry
  readonly rules: readonly AlertRule[]
  readonly actions: AlertActions
  /** Re-notify a still-firing alert after this long; 0 never. Default 4h. */
  readonly repeatIntervalMs?: number
  /** Transitions kept. Default 1000. */
  readonly historySize?: number
  /** Gauge to maintain; default the registry's `alerts_firing`, if any. */
  readonly alertsFiring?: Gauge<'rule' | 'severity'>
  /** An action threw or rejected. */
  readonly onActionError?: (err: unknown, alert: Alert, action: AlertAction) => void
}

interface Instance {
  readonly key: string
  readonly labels: Labels
  state: AlertState | 'inactive'
  activeSince: number
  firedAt?: number
  resolvedAt?: number
  lastNotifiedAt?: number
  value: number
}

interface Sample {
  readonly t: number
  readonly values: ReadonlyMap<string, { labels: Labels; value: number | Buckets }>
}

interface RuleRuntime {
  readonly rule: AlertRule
  readonly kind: MetricKind
  readonly instances: Map<string, Instance>
  /** Samples of the numerator (and denominator) aggregates, oldest first, thinned to `minSpacingMs`. */
  readonly samples: Sample[]
  readonly denominatorSamples: Sample[]
  readonly windowMs: number
  readonly minSpacingMs: number
}

/** Internal alerts (a notifier failing) share the `alerts_firing` gauge and history under this rule name. */
const INTERNAL_SEVERITY_ORDER: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 }

export class AlertEngine {
  private readonly runtimes: RuleRuntime[]
  private readonly internal = new Map<string, { alert: Alert; notifiedAt: number }>()
  private readonly historyList: AlertTransition[] = []
  private readonly historySize: number
  private readonly repeatIntervalMs: number
  private readonly gauge: Gauge<'rule' | 'severity'> | undefined
  private evaluating: Promise<readonly Alert[]> | undefined

  constructor(private readonly o: AlertEngineOptions) {
    checkRules(o.rules, o.registry)
    this.historySize = o.historySize ?? 1000
    this.repeatIntervalMs = o.repeatIntervalMs ?? DEFAULT_REPEAT_INTERVAL_MS
    const g = o.alertsFiring ?? o.registry.getSingleMetric('alerts_firing')
    this.gauge = g instanceof promClient().Gauge ? (g as Gauge<'rule' | 'severity'>) : undefined
    this.runtimes = o.rules.map((rule) => {
      const kind = metricKind(o.registry, rule.metric) ?? 'gauge'
      const windowMs = rule.rateMs ?? (kind === 'histogram' ? (rule.windowMs ?? 5 * 60_000) : 0)
      return {
        rule,
        kind,
        instances: new Map(),
        samples: [],
        denominatorSamples: [],
        windowMs,
        // ~300 samples per window whatever the evaluation interval: bounded memory, <0.5% window error.
        minSpacingMs: Math.max(250, Math.floor(windowMs / 300)),
      }
    })
    for (const r of this.runtimes) this.gauge?.set({ rule: r.rule.name, severity: r.rule.severity }, 0)
  }

  get rules(): readonly AlertRule[] {
    return this.o.rules
  }

  /**
   * Reads the registry and advances every rule to `now` (ms). Returns the notifications it sent. Calls that
   * overlap a running evaluation wait for it and then run, so samples stay in time order.
   */
  async evaluate(now: number): Promise<readonly Alert[]> {
    const previous = this.evaluating
    const run = (async (): Promise<readonly Alert[]> => {
      if (previous) await previous.catch(() => undefined)
      return this.evaluateNow(now)
    })()
    this.evaluating = run
    try {
      return await run
    } finally {
      if (this.evaluating === run) this.evaluating = undefined
    }
  }

  /** Pending and firing alerts, rule alerts first, then internal ones. */
  active(now: number): Alert[] {
    const out: Alert[] = []
    for (const r of this.runtimes) {
      for (const inst of r.instances.values()) {
        if (inst.state === 'pending' || inst.state === 'firing') out.push(this.toAlert(r.rule, inst, inst.state, now))
      }
    }
    for (const { alert } of this.internal.values()) out.push(alert)
    return out
  }

  /** Most recent transitions last; at most `limit` (default all kept). */
  history(limit?: number): readonly AlertTransition[] {
    return limit === undefined ? [...this.historyList] : this.historyList.slice(-limit)
  }

  /**
   * Raises an alert about Sofia itself (a notifier failing): notified at once, then deduplicated like a rule
   * alert until `clearInternal` resolves it. Never takes an action beyond notify.
   */
  raiseInternal(rule: string, labels: Labels, severity: AlertSeverity, summary: string, now: number): void {
    const key = alertKey(rule, labels)
    const existing = this.internal.get(key)
    if (existing && (this.repeatIntervalMs <= 0 || now - existing.notifiedAt < this.repeatIntervalMs)) return
    const alert: Alert = {
      rule,
      labels,
      key,
      state: 'firing',
      severity,
      action: 'notify',
      value: 1,
      op: '==',
      threshold: 1,
      summary,
      activeSince: existing?.alert.activeSince ?? now,
      firedAt: existing?.alert.firedAt ?? now,
      at: now,
      internal: true,
    }
    this.internal.set(key, { alert, notifiedAt: now })
    if (!existing) this.record({ at: now, rule, key, labels, from: 'inactive', to: 'firing', value: 1, severity })
    this.refreshGauge(rule, severity)
    this.call('notify', alert)
  }

  /** Resolves an internal alert raised with the same rule and labels (no-op when none is firing). */
  clearInternal(rule: string, labels: Labels, now: number): void {
    const key = alertKey(rule, labels)
    const existing = this.internal.get(key)
    if (!existing) return
    this.internal.delete(key)
    const alert: Alert = { ...existing.alert, state: 'resolved', resolvedAt: now, at: now, value: 0, summary: `${rule} resolved` }
    this.record({ at: now, rule, key, labels, from: 'firing', to: 'resolved', value: 0, severity: alert.severity })
    this.refreshGauge(rule, alert.severity)
    this.call('notify', alert)
  }

  private async evaluateNow(now: number): Promise<readonly Alert[]> {
    const cache = new Map<string, Promise<ScalarSeries[] | HistogramSeries[]>>()
    const read = (name: string, kind: MetricKind): Promise<ScalarSeries[] | HistogramSeries[]> => {
      let p = cache.get(name)
      if (!p) {
        p = kind === 'histogram' ? readHistogram(this.o.registry, name) : readScalar(this.o.registry, name)
        cache.set(name, p)
      }
      return p
    }
    const sent: Alert[] = []
    for (const r of this.runtimes) {
      const values = await this.values(r, now, read)
      sent.push(...this.advance(r, values, now))
    }
    return sent
  }

  /** The rule's value per label set at `now`. */
  private async values(
    r: RuleRuntime,
    now: number,
    read: (name: string, kind: MetricKind) => Promise<ScalarSeries[] | HistogramSeries[]>,
  ): Promise<Map<string, { labels: Labels; value: number }>> {
    const { rule, kind } = r
    const out = new Map<string, { labels: Labels; value: number }>()
    if (kind === 'histogram') {
      const current = sumBucketsBy((await read(rule.metric, kind)) as HistogramSeries[], rule.labels, rule.by ?? [])
      const snapshot = new Map([...current].map(([k, s]) => [k, { labels: s.labels, value: s.buckets }]))
      const base = this.baseline(r.samples, now, r.windowMs)
      keep(r.samples, { t: now, values: snapshot }, r.minSpacingMs, r.windowMs)
      for (const [k, s] of current) {
        const then = base?.values.get(k)?.value
        const inWindow = base === undefined ? s.buckets : bucketIncrease(then === undefined ? zeroBuckets(s.buckets) : (then as Buckets), s.buckets)
        out.set(k, { labels: s.labels, value: histogramQuantile(rule.quantile ?? 0.5, inWindow) })
      }
      return out
    }
    const numerator = await this.scalar(r, rule.metric, rule.labels, r.samples, now, read)
    if (rule.divideBy === undefined) return numerator
    const dKind = metricKind(this.o.registry, rule.divideBy.metric) ?? 'gauge'
    const denominator = await this.scalar(r, rule.divideBy.metric, rule.divideBy.labels, r.denominatorSamples, now, read, dKind)
    const min = rule.divideBy.minDenominator ?? 0
    for (const [k, d] of denominator) {
      if (!(d.value > min) || d.value <= 0) continue
      out.set(k, { labels: d.labels, value: (numerator.get(k)?.value ?? 0) / d.value })
    }
    return out
  }

  private async scalar(
    r: RuleRuntime,
    metric: string,
    labels: Labels,
    samples: Sample[],
    now: number,
    read: (name: string, kind: MetricKind) => Promise<ScalarSeries[] | HistogramSeries[]>,
    kind: MetricKind = r.kind,
  ): Promise<Map<string, { labels: Labels; value: number }>> {
    const by = r.rule.by ?? (kind === 'gauge' && r.rule.rateMs === undefined && r.rule.divideBy === undefined ? undefined : [])
    const current = sumBy((await read(metric, kind)) as ScalarSeries[], labels, by)
    if (r.rule.rateMs === undefined) return current
    const snapshot = new Map([...current].map(([k, s]) => [k, { labels: s.labels, value: s.value }]))
    const base = this.baseline(samples, now, r.windowMs)
    const run = base === undefined ? [] : samples.slice(samples.indexOf(base))
    keep(samples, { t: now, values: snapshot }, r.minSpacingMs, r.windowMs)
    const out = new Map<string, { labels: Labels; value: number }>()
    for (const [k, s] of current) {
      // A series born inside the window counted from zero; before the first sample nothing is known.
      const series = run.map((sample) => (sample.values.get(k)?.value as number | undefined) ?? 0)
      out.set(k, { labels: s.labels, value: base === undefined ? 0 : counterIncrease([...series, s.value]) })
    }
    return out
  }

  /** The newest sample at or before `now - window`, else the oldest (a partial window after start). */
  private baseline(samples: readonly Sample[], now: number, windowMs: number): Sample | undefined {
    let found: Sample | undefined
    for (const s of samples) {
      if (s.t <= now - windowMs) found = s
      else break
    }
    return found ?? samples[0]
  }

  private advance(r: RuleRuntime, values: Map<string, { labels: Labels; value: number }>, now: number): Alert[] {
    const { rule } = r
    const sent: Alert[] = []
    for (const [k, v] of values) {
      if (!r.instances.has(k)) r.instances.set(k, { key: alertKey(rule.name, v.labels), labels: v.labels, state: 'inactive', activeSince: now, value: v.value })
    }
    for (const [k, inst] of r.instances) {
      const value = values.get(k)?.value ?? NaN
      inst.value = value
      const holds = compare(value, rule.op, rule.threshold)
      const from = inst.state
      if (holds) {
        if (from === 'inactive' || from === 'resolved') {
          inst.state = 'pending'
          inst.activeSince = now
          delete inst.firedAt
          delete inst.resolvedAt
          delete inst.lastNotifiedAt
          this.transition(rule, inst, from, 'pending', now)
        }
        if (inst.state === 'pending' && now - inst.activeSince >= rule.forMs) {
          inst.state = 'firing'
          inst.firedAt = now
          this.transition(rule, inst, 'pending', 'firing', now)
          const alert = this.toAlert(rule, inst, 'firing', now)
          inst.lastNotifiedAt = now
          sent.push(alert)
          this.call('notify', alert)
          this.takeAction(rule.action, alert)
        } else if (inst.state === 'firing' && this.repeatIntervalMs > 0 && now - (inst.lastNotifiedAt ?? now) >= this.repeatIntervalMs) {
          const alert = this.toAlert(rule, inst, 'firing', now)
          inst.lastNotifiedAt = now
          sent.push(alert)
          this.call('notify', alert)
        }
      } else if (from === 'pending') {
        inst.state = 'inactive'
        this.transition(rule, inst, 'pending', 'inactive', now)
      } else if (from === 'firing') {
        inst.state = 'resolved'
        inst.resolvedAt = now
        this.transition(rule, inst, 'firing', 'resolved', now)
        const alert = this.toAlert(rule, inst, 'resolved', now)
        sent.push(alert)
        this.call('notify', alert)
      }
      // Series that vanished and are settled need no state (labels are bounded, but not forever).
      if (!values.has(k) && (inst.state === 'inactive' || inst.state === 'resolved')) r.instances.delete(k)
    }
    this.refreshGauge(rule.name, rule.severity)
    return sent
  }

  private takeAction(action: AlertAction, alert: Alert): void {
    switch (action) {
      case 'notify':
        return
      case 'pause_strategy':
      case 'reduce_size':
      case 'kill_switch':
        this.call(action, alert)
        return
    }
  }

  private call(what: 'notify' | Exclude<AlertAction, 'notify'>, alert: Alert): void {
    const onError = (err: unknown): void => this.o.onActionError?.(err, alert, what)
    try {
      const result =
        what === 'notify'
          ? this.o.actions.notify(alert)
          : what === 'pause_strategy'
            ? this.o.actions.pauseStrategy(alert)
            : what === 'reduce_size'
              ? this.o.actions.reduceSize(alert)
              : this.o.actions.killSwitch(alert)
      if (result instanceof Promise) result.catch(onError)
    } catch (err) {
      onError(err)
    }
  }

  private transition(rule: AlertRule, inst: Instance, from: Instance['state'], to: Instance['state'], now: number): void {
    this.record({ at: now, rule: rule.name, key: inst.key, labels: inst.labels, from, to, value: inst.value, severity: rule.severity })
  }

  private record(t: AlertTransition): void {
    this.historyList.push(t)
    if (this.historyList.length > this.historySize) this.historyList.splice(0, this.historyList.length - this.historySize)
  }

  private refreshGauge(rule: string, severity: AlertSeverity): void {
    if (!this.gauge) return
    const runtime = this.runtimes.find((r) => r.rule.name === rule)
    let firing = false
    if (runtime) for (const inst of runtime.instances.values()) firing ||= inst.state === 'firing'
    for (const { alert } of this.internal.values()) firing ||= alert.rule === rule
    if (!runtime) {
      // Internal alerts: severity is per raise; keep one series at the highest seen.
      const severities = [...this.internal.values()].filter((a) => a.alert.rule === rule).map((a) => a.alert.severity)
      severity = severities.sort((a, b) => INTERNAL_SEVERITY_ORDER[b] - INTERNAL_SEVERITY_ORDER[a])[0] ?? severity
    }
    this.gauge.set({ rule, severity }, firing ? 1 : 0)
  }

  private toAlert(rule: AlertRule, inst: Instance, state: AlertState, now: number): Alert {
    const labelText = Object.entries(inst.labels).map(([k, v]) => `${k}=${v}`).join(', ')
    const verb = state === 'resolved' ? 'resolved' : `${formatValue(inst.value)} ${rule.op} ${formatValue(rule.threshold)}`
    return {
      rule: rule.name,
      labels: inst.labels,
      key: inst.key,
      state,
      severity: rule.severity,
      action: rule.action,
      value: inst.value,
      op: rule.op,
      threshold: rule.threshold,
      summary: `${rule.name}: ${verb}${labelText === '' ? '' : ` (${labelText})`}`,
      ...(rule.description === undefined ? {} : { description: rule.description }),
      activeSince: inst.activeSince,
      ...(inst.firedAt === undefined ? {} : { firedAt: inst.firedAt }),
      ...(inst.resolvedAt === undefined ? {} : { resolvedAt: inst.resolvedAt }),
      at: now,
    }
  }
}

/** Whether `value op threshold` holds; NaN (no data) never does. */
export function compare(value: number, op: AlertRule['op'], threshold: number): boolean {
  if (Number.isNaN(value)) return false
  switch (op) {
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
    case '==':
      return value === threshold
    case '!=':
      return value !== threshold
  }
}

/** `Rule` or `Rule{feed="binance",kind="x"}`: stable across restarts, PagerDuty's dedup_key. */
export function alertKey(rule: string, labels: Labels): string {
  const entries = Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`)
  return entries.length === 0 ? rule : `${rule}{${entries.join(',')}}`
}

/** Appends a sample unless the last kept one is too recent; drops samples no window needs any more. */
function keep(samples: Sample[], sample: Sample, minSpacingMs: number, windowMs: number): void {
  const last = samples.at(-1)
  if (last === undefined || sample.t - last.t >= minSpacingMs) samples.push(sample)
  // Keep one sample at or before the window start: it is the baseline.
  while (samples.length > 2 && (samples[1]?.t ?? Infinity) <= sample.t - windowMs) samples.shift()
}

function zeroBuckets(b: Buckets): Buckets {
  return { le: b.le, counts: b.counts.map(() => 0) }
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'no data'
  if (Number.isInteger(n)) return String(n)
  return Number(n.toPrecision(4)).toString()
}

