/**
 * @module observability/slo
 * Service level objectives computed from periodic samples of the metric registry (the caller samples every
 * N seconds). Every SLO is reduced to cumulative good/total events: API requests within the latency
 * threshold, orders the venue accepted, milliseconds with every feed fresh, orders without errors. From
 * those: compliance over the SLO period, error budget remaining, and burn rates over short windows
 * (1h and 6h by default, the multi-window pair of the SRE workbook).
 */
import type { Registry } from 'prom-client'
import { formatDuration } from '../config/index.js'
import { bucketIncrease, countAtOrBelow, histogramQuantile, matches, readHistogram, readScalar, sumBucketsBy } from './series.js'
import type { Buckets, Labels } from './series.js'

export type SloDefinition =
  | {
      /** Requests faster than `thresholdSeconds` as the good events; also reports the `quantile` latency. */
      readonly kind: 'latency'
      readonly name: string
      readonly description: string
      readonly metric: string
      readonly labels?: Labels
      readonly thresholdSeconds: number
      /** Quantile shown as the current value (0.95: p95). Default `objective`. */
      readonly quantile?: number
      readonly objective: number
    }
  | {
      /** Good = total − bad, from counters. */
      readonly kind: 'ratio'
      readonly name: string
      readonly description: string
      readonly bad: { readonly metric: string; readonly labels?: Labels }
      readonly total: { readonly metric: string; readonly labels?: Labels }
      readonly objective: number
    }
  | {
      /** Time during which every series of a gauge stays at or below `maxValue` is good time. */
      readonly kind: 'freshness'
      readonly name: string
      readonly description: string
      readonly metric: string
      readonly labels?: Labels
      readonly maxValue: number
      readonly objective: number
    }

export interface SloOptions {
  readonly registry: Registry
  /** Default `defaultSlos()`. */
  readonly slos?: readonly SloDefinition[]
  /** The SLO period the budget is for. Default 30 days (bounded by the samples held). */
  readonly periodMs?: number
  /** Burn-rate windows. Default 1h and 6h. */
  readonly burnWindowsMs?: readonly number[]
  /** Samples kept per SLO at most (older ones are thinned to fit the period). Default 5000. */
  readonly maxSamples?: number
}

export type SloHealth = 'ok' | 'burning' | 'exhausted' | 'no_data'

/** One SLO's status: JSON-able, served at GET /slo/status and by `sofia slo`. */
export interface SloStatus {
  readonly name: string
  readonly kind: SloDefinition['kind']
  readonly description: string
  /** Target fraction of good events (0.99). */
  readonly objective: number
  /** p95 seconds for latency, good fraction otherwise, over the shortest burn window; null without data. */
  readonly current: number | null
  readonly unit: 'seconds' | 'ratio'
  /** Good fraction over the period (as far as samples reach); null without events. */
  readonly compliance: number | null
  /** 1 untouched, 0 spent, negative overspent; null without events. */
  readonly errorBudgetRemaining: number | null
  /** Bad fraction ÷ allowed bad fraction per window, keyed `1h`, `6h`: 1 spends the budget exactly in the period. */
  readonly burnRates: Readonly<Record<string, number | null>>
  readonly good: number
  readonly total: number
  readonly period: string
  /** How much of the period the samples cover, ms. */
  readonly coverageMs: number
  readonly status: SloHealth
}

/** A reading of the registry for one SLO. */
export interface RawPoint {
  readonly t: number
  readonly bad?: number
  readonly total?: number
  readonly worst?: number
  readonly buckets?: Buckets
}

interface Point {
  readonly t: number
  /** Cumulative bad events (ms for freshness), resets folded in. */
  readonly bad: number
  readonly total: number
  /** Latency SLOs: cumulative buckets, for the current quantile. */
  readonly buckets?: Buckets
}

interface Track {
  readonly def: SloDefinition
  readonly points: Point[]
  /** Freshness: bad/total ms so far and the state seen at the previous sample. */
  fresh?: { bad: number; total: number; lastT: number; lastFresh: boolean | undefined }
  /** Counter-derived cumulative values with resets folded in. */
  acc?: { bad: number; total: number; rawBad: number; rawTotal: number }
}

/** The four SLOs of the runbook. */
export function defaultSlos(): SloDefinition[] {
  return [
    {
      kind: 'latency',
      name: 'api_latency',
      description: '95% of operator API requests complete within 500ms',
      metric: 'api_latency_seconds',
      thresholdSeconds: 0.5,
      quantile: 0.95,
      objective: 0.95,
    },
    {
      kind: 'ratio',
      name: 'order_success',
      description: '99% of submitted orders are accepted by the venue',
      bad: { metric: 'trading_orders_total', labels: { status: 'rejected', reason: 'venue' } },
      total: { metric: 'trading_orders_total', labels: { status: 'submitted' } },
      objective: 0.99,
    },
    {
      kind: 'freshness',
      name: 'market_data_freshness',
      description: 'Every market-data feed under 10s stale 99% of the time',
      metric: 'market_data_stale_seconds',
      maxValue: 10,
      objective: 0.99,
    },
    {
      kind: 'ratio',
      name: 'error_rate',
      description: 'At most one trading error per 100 submitted orders',
      bad: { metric: 'trading_errors_total' },
      total: { metric: 'trading_orders_total', labels: { status: 'submitted' } },
      objective: 0.99,
    },
  ]
}

export class SloTracker {
  private readonly tracks: Track[]
  private readonly periodMs: number
  private readonly burnWindowsMs: readonly number[]
  private readonly maxSamples: number

  constructor(private readonly o: SloOptions) {
    this.periodMs = o.periodMs ?? 30 * 86_400_000
    this.burnWindowsMs = o.burnWindowsMs ?? [3_600_000, 6 * 3_600_000]
    this.maxSamples = o.maxSamples ?? 5000
    this.tracks = (o.slos ?? defaultSlos()).map((def) => {
      if (!(def.objective > 0 && def.objective < 1)) throw new RangeError(`SLO ${def.name}: objective must be between 0 and 1`)
      return { def, points: [] }
    })
  }

  /** Reads the registry once and records a point for every SLO. Call every N seconds. */
  async sample(now: number): Promise<void> {
    for (const track of this.tracks) this.record(track, await this.read(track, now))
  }

  /**
   * Records a point from values in hand (tests, replays): for latency and ratio SLOs the cumulative counters
   * `bad` and `total` as the registry has them now; for freshness the worst staleness now (`worst`, seconds;
   * undefined: no feeds).
   */
  record(track: Track | string, point: RawPoint): void {
    const t = typeof track === 'string' ? this.tracks.find((x) => x.def.name === track) : track
    if (t === undefined) throw new RangeError(`unknown SLO ${String(track)}`)
    if (t.def.kind === 'freshness') {
      const fresh = point.worst === undefined ? undefined : point.worst <= t.def.maxValue
      const f = (t.fresh ??= { bad: 0, total: 0, lastT: point.t, lastFresh: undefined })
      // The interval since the previous sample takes the state seen at its start.
      const dt = Math.max(0, point.t - f.lastT)
      if (f.lastFresh !== undefined) {
        f.total += dt
        if (!f.lastFresh) f.bad += dt
      }
      f.lastT = point.t
      f.lastFresh = fresh
      this.push(t, { t: point.t, bad: f.bad, total: f.total })
      return
    }
    const rawBad = point.bad ?? 0
    const rawTotal = point.total ?? 0
    // Counters restart at zero with the process; fold each one's resets in so windows never go negative.
    const acc = (t.acc ??= { bad: 0, total: 0, rawBad: 0, rawTotal: 0 })
    acc.bad += rawBad >= acc.rawBad ? rawBad - acc.rawBad : rawBad
    acc.total += rawTotal >= acc.rawTotal ? rawTotal - acc.rawTotal : rawTotal
    acc.rawBad = rawBad
    acc.rawTotal = rawTotal
    this.push(t, { t: point.t, bad: acc.bad, total: acc.total, ...(point.buckets === undefined ? {} : { buckets: point.buckets }) })
  }

  /** Every SLO as of `now` (ms). */
  status(now: number): SloStatus[] {
    return this.tracks.map((t) => this.statusOf(t, now))
  }

  private statusOf(t: Track, now: number): SloStatus {
    const { def } = t
    const allowed = 1 - def.objective
    const last = t.points.at(-1)
    const periodStart = this.at(t, now - this.periodMs) ?? t.points[0]
    const bad = last && periodStart ? last.bad - periodStart.bad : 0
    const total = last && periodStart ? last.total - periodStart.total : 0
    const good = Math.max(0, total - bad)
    const compliance = total > 0 ? good / total : null
    const errorBudgetRemaining = compliance === null ? null : 1 - (1 - compliance) / allowed
    const burnRates: Record<string, number | null> = {}
    for (const w of this.burnWindowsMs) {
      const from = this.at(t, now - w) ?? t.points[0]
      const dTotal = last && from ? last.total - from.total : 0
      const dBad = last && from ? last.bad - from.bad : 0
      burnRates[formatDuration(w)] = dTotal > 0 ? Math.min(1, dBad / dTotal) / allowed : null
    }
    const shortest = Math.min(...this.burnWindowsMs)
    const from = this.at(t, now - shortest) ?? t.points[0]
    let current: number | null = null
    if (def.kind === 'latency') {
      if (last?.buckets) {
        const window = from?.buckets === undefined || from === last ? last.buckets : bucketIncrease(from.buckets, last.buckets)
        const q = histogramQuantile(def.quantile ?? def.objective, (window.counts.at(-1) ?? 0) > 0 ? window : last.buckets)
        current = Number.isNaN(q) ? null : q
      }
    } else if (last && from && last.total - from.total > 0) {
      current = Math.max(0, 1 - (last.bad - from.bad) / (last.total - from.total))
    }
    const burning = Object.values(burnRates).some((b) => b !== null && b > 1)
    const status: SloHealth =
      errorBudgetRemaining === null ? 'no_data' : errorBudgetRemaining <= 0 ? 'exhausted' : burning ? 'burning' : 'ok'
    return {
      name: def.name,
      kind: def.kind,
      description: def.description,
      objective: def.objective,
      current,
      unit: def.kind === 'latency' ? 'seconds' : 'ratio',
      compliance,
      errorBudgetRemaining,
      burnRates,
      good,
      total,
      period: formatDuration(this.periodMs),
      coverageMs: last && periodStart ? last.t - periodStart.t : 0,
      status,
    }
  }

  /** The newest point at or before `t`. */
  private at(track: Track, t: number): Point | undefined {
    const points = track.points
    let lo = 0
    let hi = points.length - 1
    let found: Point | undefined
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const p = points[mid]
      if (p === undefined) break
      if (p.t <= t) {
        found = p
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  private push(t: Track, point: Point): void {
    const points = t.points
    const spacing = this.periodMs / this.maxSamples
    const prev = points.at(-1)
    const beforePrev = points.at(-2)
    // The newest point is always kept; the one before it only if far enough from its own predecessor.
    if (prev !== undefined && beforePrev !== undefined && prev.t - beforePrev.t < spacing) points.pop()
    points.push(point)
    while (points.length > 2 && (points[1]?.t ?? Infinity) <= point.t - this.periodMs) points.shift()
  }

  private async read(track: Track, now: number): Promise<RawPoint> {
    const { def } = track
    const registry = this.o.registry
    switch (def.kind) {
      case 'latency': {
        const summed = [...sumBucketsBy(await readHistogram(registry, def.metric), def.labels ?? {}, []).values()][0]
        if (summed === undefined) return { t: now, bad: 0, total: 0 }
        const total = summed.buckets.counts.at(-1) ?? 0
        return { t: now, bad: Math.max(0, total - countAtOrBelow(def.thresholdSeconds, summed.buckets)), total, buckets: summed.buckets }
      }
      case 'ratio': {
        const sum = async (s: { metric: string; labels?: Labels }): Promise<number> =>
          (await readScalar(registry, s.metric)).filter((x) => matches(x.labels, s.labels ?? {})).reduce((a, x) => a + x.value, 0)
        const bad = await sum(def.bad)
        const total = await sum(def.total)
        return { t: now, bad, total }
      }
      case 'freshness': {
        const series = (await readScalar(registry, def.metric)).filter((x) => matches(x.labels, def.labels ?? {}))
        return series.length === 0 ? { t: now } : { t: now, worst: Math.max(...series.map((s) => s.value)) }
      }
    }
  }
}
