/**
 * @module risk/monitors
 * Runtime risk monitors: daily and hourly P&L, drawdown, order error rate, slippage ratio and market-data
 * staleness, each against a warning and a critical level. Fed with observations and evaluated on demand with
 * the engine's time as an argument, so the same object works in a backtest and live and never owns a timer.
 *
 * Levels come from the current value alone (no hysteresis): a value at or above a level is at that level, and
 * a breach clears as soon as the value falls back. The kill switch, not this class, decides what to latch;
 * keeping the monitors memoryless makes "is a breach standing right now?" an honest question.
 */
import type { Decimal } from '../model/index.js'
import { InputError, ZERO, dec } from '../model/index.js'

export const MONITOR_NAMES = [
  'daily_loss',
  'hourly_loss',
  'drawdown',
  'error_rate',
  'slippage_ratio',
  'data_staleness',
] as const
export type MonitorName = (typeof MONITOR_NAMES)[number]

export const MONITOR_LEVELS = ['ok', 'warning', 'critical'] as const
export type MonitorLevel = (typeof MONITOR_LEVELS)[number]

/** What `value` (and the levels beside it) measures. */
export type MonitorUnit = 'currency' | 'fraction' | 'ratio' | 'seconds'

/** A warning and a critical level; an absent level is not checked, both absent turns the monitor off. */
export interface Levels<T> {
  readonly warning?: T
  readonly critical?: T
}

/**
 * Every threshold is optional. Losses are positive amounts in the reporting currency (a loss of 500 is
 * `dec(500)`); fractions are plain ratios (0.05 = 5%).
 */
export interface MonitorThresholds {
  /** Loss since 00:00 UTC, absolute. */
  readonly dailyLoss?: Levels<Decimal>
  /** Loss since 00:00 UTC as a fraction of current equity. */
  readonly dailyLossPct?: Levels<number>
  /** Loss over the last 60 minutes, absolute. */
  readonly hourlyLoss?: Levels<Decimal>
  /** Loss over the last 60 minutes as a fraction of current equity. */
  readonly hourlyLossPct?: Levels<number>
  /** (peak equity − equity) / peak equity. */
  readonly drawdown?: Levels<number>
  /** Failed order attempts / attempts over the error window. */
  readonly errorRate?: Levels<number>
  /** Σ|realized bps| / Σ max(|simulated bps|, floor) over the slippage window. */
  readonly slippageRatio?: Levels<number>
  /** Seconds since the last market-data event, per feed. */
  readonly dataStalenessSec?: Levels<number>
}

/** Window sizes and sampling. Defaults suit a live account; tests shrink them. */
export interface MonitorOptions {
  /** P&L samples kept for the hourly window are at least this far apart (bounds memory to ~1h / interval). */
  readonly pnlSampleIntervalMs?: number
  readonly errorWindowMs?: number
  /** Below this many attempts in the window the error rate reads 0: two failures out of three is noise. */
  readonly minAttempts?: number
  readonly slippageWindowMs?: number
  /** Below this many fills in the window the slippage ratio reads 0. */
  readonly minFills?: number
  /** Each fill's simulated slippage counts as at least this many bps, so a near-zero estimate cannot explode the ratio. */
  readonly slippageFloorBps?: number
  /** Rolling windows are kept as this many time buckets: memory is fixed, precision is one bucket. */
  readonly windowBuckets?: number
}

export interface MonitorStatus {
  readonly name: MonitorName
  readonly level: MonitorLevel
  readonly value: number
  readonly warning?: number
  readonly critical?: number
  readonly unit: MonitorUnit
  /** For `data_staleness`: the feed (`venue:symbol`) this status is about. */
  readonly feed?: string
  readonly detail: string
}

export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

const DEFAULTS = {
  pnlSampleIntervalMs: 10_000,
  errorWindowMs: 300_000,
  minAttempts: 20,
  slippageWindowMs: HOUR_MS,
  minFills: 10,
  slippageFloorBps: 1,
  windowBuckets: 60,
} as const satisfies Required<MonitorOptions>

/** Start of the UTC day containing `ts`. */
export function utcDayStart(ts: number): number {
  return Math.floor(ts / DAY_MS) * DAY_MS
}

/**
 * Two running sums over a rolling time window, kept in fixed-width buckets so memory does not grow with the
 * event rate. A bucket counts while any part of it lies inside (now − window, now], so the window is exact
 * to one bucket width. Shared with the circuit breaker's error-rate window.
 */
export class RollingSums {
  private readonly bucketMs: number
  private readonly buckets: { start: number; a: number; b: number }[] = []

  constructor(
    readonly windowMs: number,
    bucketCount: number = DEFAULTS.windowBuckets,
  ) {
    if (!(windowMs > 0)) throw new InputError(`rolling window must be > 0 ms, got ${windowMs}`)
    if (!Number.isInteger(bucketCount) || bucketCount < 1) {
      throw new InputError(`rolling window needs a whole number of buckets ≥ 1, got ${bucketCount}`)
    }
    this.bucketMs = Math.max(1, Math.ceil(windowMs / bucketCount))
  }

  add(now: number, a: number, b: number): void {
    const start = Math.floor(now / this.bucketMs) * this.bucketMs
    const last = this.buckets.at(-1)
    // Time arriving out of order lands in the newest bucket rather than reopening an old one.
    if (last !== undefined && start <= last.start) {
      last.a += a
      last.b += b
    } else {
      this.buckets.push({ start, a, b })
    }
    this.prune(now)
  }

  /** Sums over the window ending at `now`; does not modify the window. */
  totals(now: number): { a: number; b: number } {
    let a = 0
    let b = 0
    for (const bucket of this.buckets) {
      if (this.inWindow(bucket.start, now)) {
        a += bucket.a
        b += bucket.b
      }
    }
    return { a, b }
  }

  clear(): void {
    this.buckets.length = 0
  }

  private inWindow(start: number, now: number): boolean {
    return start + this.bucketMs > now - this.windowMs
  }

  private prune(now: number): void {
    let drop = 0
    while (drop < this.buckets.length && !this.inWindow(this.buckets[drop]!.start, now)) drop++
    if (drop > 0) this.buckets.splice(0, drop)
  }
}

interface PnlSample {
  readonly t: number
  /** P&L accumulated across UTC days since the monitors started (daily P&L stitched at each midnight). */
  readonly cumPnl: Decimal
}

/**
 * The runtime monitors of one account. No timers: call the `observe*` methods as events
 * arrive and `evaluate(now)` when a decision or a status page needs the levels.
 */
export class RiskMonitors {
  private readonly opts: Required<MonitorOptions>

  // P&L and equity.
  private lastPnlAt: number | undefined
  private dailyPnl: Decimal = ZERO
  private equity: Decimal | undefined
  private peakEquity: Decimal | undefined
  /** Σ of previous days' final daily P&L, so cumulative P&L keeps running through midnight. */
  private pnlOffset: Decimal = ZERO
  private readonly pnlSamples: PnlSample[] = []

  private readonly orders: RollingSums
  private readonly slippage: RollingSums
  private readonly slippageFills: RollingSums
  private readonly feeds = new Map<string, number>()

  constructor(
    private readonly thresholds: MonitorThresholds,
    options: MonitorOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...stripUndefined(options) }
    validateThresholds(thresholds)
    for (const [key, v] of Object.entries(this.opts)) {
      if (!Number.isFinite(v) || v < 0) throw new InputError(`monitor option ${key} must be a finite number ≥ 0, got ${v}`)
    }
    this.orders = new RollingSums(this.opts.errorWindowMs, this.opts.windowBuckets)
    this.slippage = new RollingSums(this.opts.slippageWindowMs, this.opts.windowBuckets)
    this.slippageFills = new RollingSums(this.opts.slippageWindowMs, this.opts.windowBuckets)
  }

  /**
   * The account's P&L since 00:00 UTC and its equity, as the ledger reports them. Observations older than the
   * latest one are ignored: P&L is a level, not an increment, so a late sample would roll the account back.
   */
  observePnl(now: number, obs: { readonly dailyPnl: Decimal; readonly equity: Decimal }): void {
    if (!obs.dailyPnl.isFinite() || !obs.equity.isFinite()) {
      throw new InputError(`P&L observation must be finite, got dailyPnl=${obs.dailyPnl} equity=${obs.equity}`)
    }
    if (this.lastPnlAt !== undefined && now < this.lastPnlAt) return
    if (this.lastPnlAt !== undefined && utcDayStart(now) > utcDayStart(this.lastPnlAt)) {
      // The ledger's daily P&L restarted at midnight; carry yesterday's total so the hourly window spans it.
      // P&L made between the last sample of yesterday and midnight is attributed to today's first sample.
      this.pnlOffset = this.pnlOffset.add(this.dailyPnl)
    }
    this.lastPnlAt = now
    this.dailyPnl = obs.dailyPnl
    this.equity = obs.equity
    if (this.peakEquity === undefined || obs.equity.gt(this.peakEquity)) this.peakEquity = obs.equity

    const cumPnl = this.pnlOffset.add(obs.dailyPnl)
    const last = this.pnlSamples.at(-1)
    if (last === undefined || now - last.t >= this.opts.pnlSampleIntervalMs) this.pnlSamples.push({ t: now, cumPnl })
    // Keep exactly one sample at or before the window start: it is the reference for "P&L over the last hour".
    while (this.pnlSamples.length >= 2 && this.pnlSamples[1]!.t <= now - HOUR_MS) this.pnlSamples.shift()
  }

  /** One order attempt (submit, cancel or amend) and whether the venue accepted it. */
  observeOrder(now: number, ok: boolean): void {
    this.orders.add(now, 1, ok ? 0 : 1)
  }

  /**
   * One fill's slippage against the decision price, in bps, as realized and as the simulator estimated it.
   * The sign is ignored: the monitor asks whether fills land as far from the decision as the model expects.
   */
  observeSlippage(now: number, realizedBps: number, simulatedBps: number): void {
    if (!Number.isFinite(realizedBps) || !Number.isFinite(simulatedBps)) {
      throw new InputError(`slippage must be finite, got realized=${realizedBps} simulated=${simulatedBps}`)
    }
    this.slippage.add(now, Math.abs(realizedBps), Math.max(Math.abs(simulatedBps), this.opts.slippageFloorBps))
    this.slippageFills.add(now, 1, 0)
  }

  /** A market-data event on `feed` (`venue:symbol`). */
  observeData(now: number, feed: string): void {
    const prev = this.feeds.get(feed)
    if (prev === undefined || now > prev) this.feeds.set(feed, now)
  }

  /**
   * Starts watching a feed that has not delivered yet, so a subscription that never produces data goes stale
   * from `now` instead of staying invisible. Does nothing for a feed already seen.
   */
  expectFeed(now: number, feed: string): void {
    if (!this.feeds.has(feed)) this.feeds.set(feed, now)
  }

  /** Stops watching a feed (unsubscribed); its staleness no longer counts. */
  forgetFeed(feed: string): void {
    this.feeds.delete(feed)
  }

  /**
   * Restarts the drawdown from the current equity. For an operator who has acknowledged a drawdown: without it
   * a drawdown breach stands until equity recovers to the old peak.
   */
  resetDrawdownPeak(): void {
    this.peakEquity = this.equity
  }

  /**
   * Starts the hourly loss window afresh from the next P&L observation. For an operator who has acknowledged
   * the loss so far: without it the hour that holds the acknowledged loss would keep its breach standing.
   */
  restartHourlyWindow(): void {
    this.pnlSamples.length = 0
  }

  /** True when the data-staleness monitor is on: only then do the feeds' times matter. */
  get watchesData(): boolean {
    return this.thresholds.dataStalenessSec !== undefined
  }

  /** True when at least one monitor has thresholds: with none, `evaluate` is always empty. */
  get enabled(): boolean {
    return Object.values(this.thresholds).some((v) => v !== undefined)
  }

  /** P&L samples held for the hourly window (bounded by 1 h / pnlSampleIntervalMs + 1), for metrics. */
  get pnlSampleCount(): number {
    return this.pnlSamples.length
  }

  /** The level of every enabled monitor at `now` (one status per watched feed for `data_staleness`). */
  evaluate(now: number): MonitorStatus[] {
    const out: MonitorStatus[] = []
    const t = this.thresholds
    if (t.dailyLoss !== undefined || t.dailyLossPct !== undefined) out.push(this.dailyLoss(now))
    if (t.hourlyLoss !== undefined || t.hourlyLossPct !== undefined) out.push(this.hourlyLoss(now))
    if (t.drawdown !== undefined) out.push(this.drawdown(t.drawdown))
    if (t.errorRate !== undefined) out.push(this.errorRate(now, t.errorRate))
    if (t.slippageRatio !== undefined) out.push(this.slippageRatio(now, t.slippageRatio))
    if (t.dataStalenessSec !== undefined) out.push(...this.staleness(now, t.dataStalenessSec))
    return out
  }

  /** The monitors at critical: while any stands, the kill switch refuses to deactivate. */
  breaches(now: number): MonitorStatus[] {
    return this.evaluate(now).filter((s) => s.level === 'critical')
  }

  private dailyLoss(now: number): MonitorStatus {
    // The ledger's daily P&L belongs to the UTC day it was observed in; from midnight on it no longer applies.
    const today = this.lastPnlAt !== undefined && utcDayStart(this.lastPnlAt) === utcDayStart(now)
    const loss = today ? negativePart(this.dailyPnl) : ZERO
    const note = this.lastPnlAt === undefined ? 'no P&L observed' : today ? `daily P&L ${this.dailyPnl}` : 'no P&L observed today'
    return this.lossStatus('daily_loss', loss, this.thresholds.dailyLoss, this.thresholds.dailyLossPct, note)
  }

  private hourlyLoss(now: number): MonitorStatus {
    const first = this.pnlSamples[0]
    const current = this.pnlSamples.length > 0 ? this.pnlOffset.add(this.dailyPnl) : ZERO
    // Reference: the latest sample at or before now − 1h; with less than an hour of history, the oldest one.
    let ref = first
    for (const s of this.pnlSamples) {
      if (s.t <= now - HOUR_MS) ref = s
      else break
    }
    const change = ref === undefined ? ZERO : current.sub(ref.cumPnl)
    const since = ref === undefined ? 'no P&L observed' : `P&L ${change} since ${new Date(ref.t).toISOString()}`
    return this.lossStatus('hourly_loss', negativePart(change), this.thresholds.hourlyLoss, this.thresholds.hourlyLossPct, since)
  }

  /**
   * A loss judged absolutely and as a fraction of equity: the basis with the more severe level is reported
   * (the absolute one on a tie, when configured), and the detail carries both.
   */
  private lossStatus(
    name: 'daily_loss' | 'hourly_loss',
    loss: Decimal,
    abs: Levels<Decimal> | undefined,
    pct: Levels<number> | undefined,
    note: string,
  ): MonitorStatus {
    const equity = this.equity
    const parts = [`loss ${loss}`]
    let absStatus: MonitorStatus | undefined
    if (abs !== undefined) {
      absStatus = {
        name,
        level: levelOf((x) => loss.gte(x), abs),
        value: loss.toNumber(),
        ...numericLevels(abs, (x) => x.toNumber()),
        unit: 'currency',
        detail: '',
      }
    }
    let pctStatus: MonitorStatus | undefined
    if (pct !== undefined) {
      if (equity !== undefined && equity.gt(0)) {
        // Compare loss ≥ level × equity in decimals, so "at the limit" is exact whatever the float rounding.
        const fraction = loss.div(equity)
        parts.push(`${fraction.mul(100).toSignificantDigits(6)}% of equity ${equity}`)
        pctStatus = {
          name,
          level: levelOf((x) => loss.gte(dec(x).mul(equity)), pct),
          value: fraction.toNumber(),
          ...numericLevels(pct, (x) => x),
          unit: 'fraction',
          detail: '',
        }
      } else {
        parts.push(equity === undefined ? 'no equity observed' : `equity ${equity} ≤ 0, % not judged`)
      }
    }
    let chosen = absStatus ?? pctStatus
    if (absStatus !== undefined && pctStatus !== undefined && rank(pctStatus.level) > rank(absStatus.level)) chosen = pctStatus
    const detail = `${parts.join(', ')}; ${note}`
    if (chosen === undefined) {
      // Only a % limit is configured and equity is unknown or not positive: nothing to judge against.
      return { name, level: 'ok', value: 0, unit: 'fraction', detail }
    }
    return { ...chosen, detail }
  }

  private drawdown(levels: Levels<number>): MonitorStatus {
    const peak = this.peakEquity
    const equity = this.equity
    if (peak === undefined || equity === undefined || !peak.gt(0)) {
      const detail = peak === undefined ? 'no equity observed' : `peak equity ${peak} ≤ 0, drawdown not judged`
      return { name: 'drawdown', level: 'ok', value: 0, ...numericLevels(levels, (x) => x), unit: 'fraction', detail }
    }
    const down = peak.sub(equity)
    return {
      name: 'drawdown',
      level: levelOf((x) => down.gte(dec(x).mul(peak)), levels),
      value: down.div(peak).toNumber(),
      ...numericLevels(levels, (x) => x),
      unit: 'fraction',
      detail: `equity ${equity}, peak ${peak}, down ${down}`,
    }
  }

  private errorRate(now: number, levels: Levels<number>): MonitorStatus {
    const { a: attempts, b: errors } = this.orders.totals(now)
    const counts = attempts >= this.opts.minAttempts
    const rate = counts && attempts > 0 ? errors / attempts : 0
    const window = `${errors}/${attempts} failed in the last ${this.opts.errorWindowMs / 1000}s`
    return sampledRatio('error_rate', 'fraction', rate, levels, window, counts, this.opts.minAttempts, 'attempts')
  }

  private slippageRatio(now: number, levels: Levels<number>): MonitorStatus {
    const { a: realized, b: simulated } = this.slippage.totals(now)
    const fills = this.slippageFills.totals(now).a
    const counts = fills >= this.opts.minFills && simulated > 0
    const ratio = counts ? realized / simulated : 0
    const window = `Σ|realized| ${round2(realized)} bps / Σ|simulated| ${round2(simulated)} bps over ${fills} fills`
    return sampledRatio('slippage_ratio', 'ratio', ratio, levels, window, counts, this.opts.minFills, 'fills')
  }

  private staleness(now: number, levels: Levels<number>): MonitorStatus[] {
    const bounds = numericLevels(levels, (x) => x)
    if (this.feeds.size === 0) {
      return [{ name: 'data_staleness', level: 'ok', value: 0, ...bounds, unit: 'seconds', detail: 'no feeds watched' }]
    }
    const out: MonitorStatus[] = []
    for (const [feed, last] of [...this.feeds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const ageMs = Math.max(0, now - last)
      // Compare in integer milliseconds so a level of 0.1 s means exactly 100 ms.
      const level = levelOf((x) => ageMs >= Math.round(x * 1000), levels)
      const sec = ageMs / 1000
      out.push({ name: 'data_staleness', level, value: sec, ...bounds, unit: 'seconds', feed, detail: `${feed}: last event ${sec}s ago` })
    }
    return out
  }
}

function levelOf<T>(reached: (level: T) => boolean, levels: Levels<T>): MonitorLevel {
  if (levels.critical !== undefined && reached(levels.critical)) return 'critical'
  if (levels.warning !== undefined && reached(levels.warning)) return 'warning'
  return 'ok'
}

/**
 * A ratio over a rolling window, judged against its levels only when the window holds enough samples
 * (`counts`); with fewer it is 'ok' and its detail says how many it needs.
 */
function sampledRatio(
  name: 'error_rate' | 'slippage_ratio',
  unit: MonitorUnit,
  value: number,
  levels: Levels<number>,
  window: string,
  counts: boolean,
  minimum: number,
  samples: 'attempts' | 'fills',
): MonitorStatus {
  return {
    name,
    level: counts ? levelOf((x) => value >= x, levels) : 'ok',
    value,
    ...numericLevels(levels, (x) => x),
    unit,
    detail: counts ? window : `${window} (fewer than ${minimum} ${samples}, not judged)`,
  }
}

function rank(level: MonitorLevel): number {
  return MONITOR_LEVELS.indexOf(level)
}

function numericLevels<T>(levels: Levels<T>, toNumber: (x: T) => number): { warning?: number; critical?: number } {
  const out: { warning?: number; critical?: number } = {}
  if (levels.warning !== undefined) out.warning = toNumber(levels.warning)
  if (levels.critical !== undefined) out.critical = toNumber(levels.critical)
  return out
}

function negativePart(pnl: Decimal): Decimal {
  return pnl.lt(0) ? pnl.neg() : ZERO
}

function round2(x: number): number {
  return Math.round(x * 100) / 100
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Refuses levels that cannot mean anything: negative, not finite, or a warning beyond its critical. */
function validateThresholds(t: MonitorThresholds): void {
  const check = <T>(name: string, levels: Levels<T> | undefined, toNumber: (x: T) => number): void => {
    if (levels === undefined) return
    const w = levels.warning === undefined ? undefined : toNumber(levels.warning)
    const c = levels.critical === undefined ? undefined : toNumber(levels.critical)
    for (const [which, v] of [['warning', w], ['critical', c]] as const) {
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
        throw new InputError(`monitor threshold ${name}.${which} must be a finite number ≥ 0, got ${v}`)
      }
    }
    if (w !== undefined && c !== undefined && w > c) {
      throw new InputError(`monitor threshold ${name}: warning ${w} is beyond critical ${c}`)
    }
  }
  const decimal = (x: Decimal): number => x.toNumber()
  const num = (x: number): number => x
  check('dailyLoss', t.dailyLoss, decimal)
  check('dailyLossPct', t.dailyLossPct, num)
  check('hourlyLoss', t.hourlyLoss, decimal)
  check('hourlyLossPct', t.hourlyLossPct, num)
  check('drawdown', t.drawdown, num)
  check('errorRate', t.errorRate, num)
  check('slippageRatio', t.slippageRatio, num)
  check('dataStalenessSec', t.dataStalenessSec, num)
}
