/**
 * @module ops/canary/drift
 * Drift monitors for model strategies: the Population Stability Index and the two-sample
 * Kolmogorov–Smirnov test of each feature's recent distribution against its training window, published as
 * gauges (`model_drift_psi`, `model_drift_ks`, `model_drift_ks_pvalue`, labels strategy and feature) with
 * the alert rules ModelDriftDetected_PSI (PSI > 0.2) and ModelDriftDetected_KS (p < 0.01). Online model
 * updates pass a gate: at most N per hour per strategy, none while online learning is frozen (rollback).
 *
 *   PSI = Σ_i (a_i − e_i) · ln(a_i / e_i), bins = deciles of the training window, empty bins at ε = 1e-4
 *   KS  D = sup_x |F_train(x) − F_recent(x)|; p ≈ Q_KS((√n_e + 0.12 + 0.11/√n_e)·D), n_e = n·m/(n+m),
 *         Q_KS(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²}  (asymptotic distribution, Stephens' correction)
 */
import type { Gauge, Registry } from 'prom-client'
import { promClient } from '../../observability/index.js'
import type { AlertRule } from '../../observability/index.js'
import { isFrozen } from './freeze.js'

export const PSI_EPSILON = 1e-4

/** PSI from two vectors of bin proportions (each summing to 1); empty bins count as ε. */
export function psiFromProportions(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new RangeError('PSI: both distributions need the same bins')
  let psi = 0
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, PSI_EPSILON)
    const a = Math.max(actual[i]!, PSI_EPSILON)
    psi += (a - e) * Math.log(a / e)
  }
  return psi
}

/** Bin edges at the quantiles of `sample` (bins − 1 inner edges, duplicates removed). */
export function quantileEdges(sample: readonly number[], bins: number): number[] {
  const sorted = [...sample].sort((a, b) => a - b)
  const edges: number[] = []
  for (let i = 1; i < bins; i++) {
    const q = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))]
    if (q !== undefined && (edges.length === 0 || q > edges[edges.length - 1]!)) edges.push(q)
  }
  return edges
}

/** Proportions of `xs` per bin: bin i holds edges[i−1] ≤ x < edges[i]. */
export function binProportions(xs: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0)
  for (const x of xs) {
    let lo = 0
    let hi = edges.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (x >= edges[mid]!) lo = mid + 1
      else hi = mid
    }
    counts[lo]!++
  }
  return counts.map((c) => (xs.length === 0 ? 0 : c / xs.length))
}

/** PSI of `recent` against `training`, bins at the training deciles (or the given edges). */
export function psi(training: readonly number[], recent: readonly number[], options: { bins?: number; edges?: readonly number[] } = {}): number {
  const edges = options.edges ?? quantileEdges(training, options.bins ?? 10)
  return psiFromProportions(binProportions(training, edges), binProportions(recent, edges))
}

/** Q_KS(λ) = P(K > λ) of the Kolmogorov distribution. */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1
  let sum = 0
  let sign = 1
  for (let j = 1; j <= 100; j++) {
    const term = sign * Math.exp(-2 * j * j * lambda * lambda)
    sum += term
    if (Math.abs(term) < 1e-12 * Math.abs(sum) || Math.abs(term) < 1e-300) break
    sign = -sign
  }
  return Math.min(1, Math.max(0, 2 * sum))
}

export interface KsResult {
  /** D = sup |F1 − F2|. */
  readonly statistic: number
  readonly pValue: number
}

/** Two-sample Kolmogorov–Smirnov test. */
export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  if (a.length === 0 || b.length === 0) return { statistic: 0, pValue: 1 }
  const x = [...a].sort((p, q) => p - q)
  const y = [...b].sort((p, q) => p - q)
  let i = 0
  let j = 0
  let d = 0
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!)
    while (i < x.length && x[i]! <= v) i++
    while (j < y.length && y[j]! <= v) j++
    d = Math.max(d, Math.abs(i / x.length - j / y.length))
  }
  const ne = Math.sqrt((x.length * y.length) / (x.length + y.length))
  return { statistic: d, pValue: kolmogorovQ((ne + 0.12 + 0.11 / ne) * d) }
}

export const DRIFT_METRICS = { psi: 'model_drift_psi', ks: 'model_drift_ks', ksPValue: 'model_drift_ks_pvalue' } as const

export interface DriftGauges {
  readonly psi: Gauge<'strategy' | 'feature'>
  readonly ks: Gauge<'strategy' | 'feature'>
  readonly ksPValue: Gauge<'strategy' | 'feature'>
}

/** Registers the drift gauges on a registry (once; a second call returns the registered ones). */
export function registerDriftMetrics(registry: Registry): DriftGauges {
  const { Gauge } = promClient()
  const get = (name: string, help: string): Gauge<'strategy' | 'feature'> =>
    (registry.getSingleMetric(name) as Gauge<'strategy' | 'feature'> | undefined) ??
    new Gauge({ name, help, labelNames: ['strategy', 'feature'], registers: [registry] })
  return {
    psi: get(DRIFT_METRICS.psi, 'Population Stability Index of a model feature against its training window'),
    ks: get(DRIFT_METRICS.ks, 'Two-sample Kolmogorov–Smirnov statistic D of a model feature against its training window'),
    ksPValue: get(DRIFT_METRICS.ksPValue, 'p-value of the two-sample Kolmogorov–Smirnov test of a model feature against its training window'),
  }
}

/** The drift alert rules, in the format of config/alerts.yaml (mirrored in deploy/prometheus/alerts.yml). */
export function modelDriftAlertRules(): AlertRule[] {
  return [
    {
      name: 'ModelDriftDetected_PSI',
      metric: DRIFT_METRICS.psi,
      labels: {},
      op: '>',
      threshold: 0.2,
      forMs: 0,
      severity: 'warning',
      action: 'notify',
      description: 'A model feature drifted from its training distribution (PSI > 0.2)',
    },
    {
      name: 'ModelDriftDetected_KS',
      metric: DRIFT_METRICS.ksPValue,
      labels: {},
      op: '<',
      threshold: 0.01,
      forMs: 0,
      severity: 'warning',
      action: 'notify',
      description: 'A model feature drifted from its training distribution (KS test p < 0.01)',
    },
  ]
}

export interface FeatureDrift {
  readonly feature: string
  readonly psi: number
  readonly ks: number
  readonly pValue: number
  readonly drifted: boolean
}

/** Compares each feature's recent window with its training window and publishes the gauges. */
export class DriftMonitor {
  private readonly gauges: DriftGauges | undefined

  constructor(
    readonly strategy: string,
    private readonly training: ReadonlyMap<string, readonly number[]>,
    registry?: Registry,
    private readonly thresholds: { psi: number; pValue: number } = { psi: 0.2, pValue: 0.01 },
  ) {
    this.gauges = registry === undefined ? undefined : registerDriftMetrics(registry)
  }

  check(recent: ReadonlyMap<string, readonly number[]>): FeatureDrift[] {
    const out: FeatureDrift[] = []
    for (const [feature, train] of this.training) {
      const now = recent.get(feature)
      if (now === undefined || now.length === 0) continue
      const p = psi(train, now)
      const ks = ksTwoSample(train, now)
      const labels = { strategy: this.strategy, feature }
      this.gauges?.psi.set(labels, p)
      this.gauges?.ks.set(labels, ks.statistic)
      this.gauges?.ksPValue.set(labels, ks.pValue)
      out.push({ feature, psi: p, ks: ks.statistic, pValue: ks.pValue, drifted: p > this.thresholds.psi || ks.pValue < this.thresholds.pValue })
    }
    return out
  }
}

export type UpdateVerdict = { readonly ok: true } | { readonly ok: false; readonly code: 'FROZEN' | 'THROTTLED'; readonly reason: string }

/**
 * Whether a model may update itself online now: refused while `config/online_learning_freeze.json` says
 * frozen, and beyond `maxPerHour` updates in the last hour (engine time) per strategy.
 */
export class OnlineUpdateGate {
  private readonly recent = new Map<string, number[]>()

  constructor(
    private readonly options: { readonly maxPerHour: number; readonly freezeFile: string },
  ) {}

  request(strategy: string, now: number): UpdateVerdict {
    const frozen = isFrozen(this.options.freezeFile)
    if (frozen !== undefined) return { ok: false, code: 'FROZEN', reason: `online learning frozen since ${new Date(frozen.since).toISOString()}: ${frozen.reason}` }
    const list = (this.recent.get(strategy) ?? []).filter((t) => t > now - 3_600_000)
    if (list.length >= this.options.maxPerHour) {
      this.recent.set(strategy, list)
      return { ok: false, code: 'THROTTLED', reason: `${list.length} updates in the last hour (at most ${this.options.maxPerHour})` }
    }
    list.push(now)
    this.recent.set(strategy, list)
    return { ok: true }
  }
}
