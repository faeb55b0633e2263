/**
 * @module observability/series
 * Reading a prom-client registry the way PromQL would: current values of gauges and counters by label set,
 * histogram buckets, label matching and `sum by`, counter increase over a window of samples (with resets)
 * and `histogram_quantile`. Shared by the alert engine and the SLO tracker; no state here.
 */
import { promClient } from './prom.js'
import type { Registry } from 'prom-client'

export const METRIC_KINDS = ['counter', 'gauge', 'histogram', 'summary'] as const
export type MetricKind = (typeof METRIC_KINDS)[number]

export type Labels = Readonly<Record<string, string>>

/** One series of a counter or gauge. */
export interface ScalarSeries {
  readonly labels: Labels
  readonly value: number
}

/** One series of a histogram: cumulative bucket counts by upper bound (ascending, ending with +Inf). */
export interface HistogramSeries {
  readonly labels: Labels
  readonly buckets: Buckets
}

export interface Buckets {
  /** Upper bounds, ascending; the last is `Infinity`. */
  readonly le: readonly number[]
  /** Cumulative counts, one per bound. */
  readonly counts: readonly number[]
}

/** What kind of metric `name` is in the registry, or undefined when there is no such metric. */
export function metricKind(registry: Registry, name: string): MetricKind | undefined {
  const metric = registry.getSingleMetric(name)
  const { Counter, Gauge, Histogram, Summary } = promClient()
  if (metric instanceof Counter) return 'counter'
  if (metric instanceof Gauge) return 'gauge'
  if (metric instanceof Histogram) return 'histogram'
  if (metric instanceof Summary) return 'summary'
  return undefined
}

/** Names of every metric in the registry. */
export function metricNames(registry: Registry): string[] {
  return registry.getMetricsAsArray().map((m) => m.name)
}

/** Current series of a counter or gauge (a histogram or unknown name gives none). */
export async function readScalar(registry: Registry, name: string): Promise<ScalarSeries[]> {
  const metric = registry.getSingleMetric(name)
  const { Counter, Gauge } = promClient()
  if (!(metric instanceof Counter || metric instanceof Gauge)) return []
  const data = await metric.get()
  return data.values.map((v) => ({ labels: stringLabels(v.labels), value: v.value }))
}

/** Current series of a histogram, bucket counts cumulative as exposed. */
export async function readHistogram(registry: Registry, name: string): Promise<HistogramSeries[]> {
  const metric = registry.getSingleMetric(name)
  if (!(metric instanceof promClient().Histogram)) return []
  const data = await metric.get()
  const bySeries = new Map<string, { labels: Labels; points: [number, number][] }>()
  for (const v of data.values) {
    if (v.metricName !== `${name}_bucket`) continue
    const { le, ...rest } = stringLabels(v.labels)
    if (le === undefined) continue
    const labels: Labels = rest
    const key = labelKey(labels)
    const entry = bySeries.get(key) ?? { labels, points: [] }
    entry.points.push([Number(le), v.value])
    bySeries.set(key, entry)
  }
  return [...bySeries.values()].map(({ labels, points }) => {
    points.sort((a, b) => a[0] - b[0])
    return { labels, buckets: { le: points.map((p) => p[0]), counts: points.map((p) => p[1]) } }
  })
}

/** Whether every matcher names a label the series has with exactly that value. */
export function matches(labels: Labels, matchers: Labels): boolean {
  for (const [k, v] of Object.entries(matchers)) if (labels[k] !== v) return false
  return true
}

/** A stable key for a label set. */
export function labelKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]))
}

/** `sum by (by)` of matching scalar series; `by` undefined keeps every series apart. */
export function sumBy(series: readonly ScalarSeries[], matchers: Labels, by: readonly string[] | undefined): Map<string, ScalarSeries> {
  const out = new Map<string, ScalarSeries>()
  for (const s of series) {
    if (!matches(s.labels, matchers)) continue
    const labels = by === undefined ? s.labels : pick(s.labels, by)
    const key = labelKey(labels)
    out.set(key, { labels, value: (out.get(key)?.value ?? 0) + s.value })
  }
  return out
}

/** `sum by (by, le)` of matching histogram series. */
export function sumBucketsBy(
  series: readonly HistogramSeries[],
  matchers: Labels,
  by: readonly string[] | undefined,
): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>()
  for (const s of series) {
    if (!matches(s.labels, matchers)) continue
    const labels = by === undefined ? s.labels : pick(s.labels, by)
    const key = labelKey(labels)
    const prev = out.get(key)
    out.set(key, { labels, buckets: prev === undefined ? s.buckets : addBuckets(prev.buckets, s.buckets) })
  }
  return out
}

/** Bucket-wise a + b (same bounds: one histogram's series share them). */
export function addBuckets(a: Buckets, b: Buckets): Buckets {
  return { le: a.le, counts: a.counts.map((c, i) => c + (b.counts[i] ?? 0)) }
}

/** Observations in `now` that were not yet in `then`; a reset (fewer now) counts everything in `now`. */
export function bucketIncrease(then: Buckets | undefined, now: Buckets): Buckets {
  if (then === undefined || then.le.length !== now.le.length) return now
  const totalThen = then.counts.at(-1) ?? 0
  const totalNow = now.counts.at(-1) ?? 0
  if (totalNow < totalThen) return now
  return { le: now.le, counts: now.counts.map((c, i) => Math.max(0, c - (then.counts[i] ?? 0))) }
}

/**
 * Prometheus' `histogram_quantile`: linear interpolation inside the bucket holding the rank; a rank in the
 * +Inf bucket gives the largest finite bound. NaN when there are no observations.
 */
export function histogramQuantile(q: number, buckets: Buckets): number {
  const { le, counts } = buckets
  const total = counts.at(-1) ?? 0
  if (!(total > 0) || le.length === 0) return NaN
  const rank = q * total
  let i = counts.findIndex((c) => c >= rank)
  if (i < 0) i = counts.length - 1
  const upper = le[i] ?? Infinity
  if (upper === Infinity) return le.length >= 2 ? (le[le.length - 2] ?? NaN) : NaN
  const lower = i === 0 ? Math.min(0, upper) : (le[i - 1] ?? 0)
  const below = i === 0 ? 0 : (counts[i - 1] ?? 0)
  const inBucket = (counts[i] ?? 0) - below
  if (inBucket <= 0) return upper
  return lower + (upper - lower) * ((rank - below) / inBucket)
}

/** Observations at or below `threshold`, interpolating linearly inside a bucket (as histogram_quantile does). */
export function countAtOrBelow(threshold: number, buckets: Buckets): number {
  const { le, counts } = buckets
  for (let i = 0; i < le.length; i++) {
    const upper = le[i] ?? Infinity
    if (threshold >= upper) continue
    const lower = i === 0 ? 0 : (le[i - 1] ?? 0)
    const below = i === 0 ? 0 : (counts[i - 1] ?? 0)
    if (upper === Infinity) return below
    const fraction = upper === lower ? 1 : Math.max(0, (threshold - lower) / (upper - lower))
    return below + ((counts[i] ?? 0) - below) * fraction
  }
  return counts.at(-1) ?? 0
}

/** A counter's increase along a run of samples (oldest first), adding across resets like PromQL `increase`. */
export function counterIncrease(values: readonly number[]): number {
  let total = 0
  for (let i = 1; i < values.length; i++) {
    const prev = values[i - 1] ?? 0
    const cur = values[i] ?? 0
    total += cur >= prev ? cur - prev : cur
  }
  return total
}

function pick(labels: Labels, keys: readonly string[]): Labels {
  const out: Record<string, string> = {}
  for (const k of keys) out[k] = labels[k] ?? ''
  return out
}

function stringLabels(labels: Partial<Record<string, string | number>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(labels)) if (v !== undefined) out[k] = String(v)
  return out
}
