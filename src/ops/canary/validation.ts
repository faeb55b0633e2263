/**
 * @module ops/canary/validation
 * Validation before promotion (`sofia validate`):
 *
 * 1. Walk-forward: the data's time span is cut into F consecutive test folds; each fold is a fresh backtest
 *    of the candidate over that window alone, and its annualized Sharpe is the fold's score. The
 *    walk-forward Sharpe is their mean.
 * 2. Trials: a small parameter grid around the candidate (the candidate first) is backtested over the whole
 *    span, equity sampled every `sampleMs`; their per-period returns form the T×N matrix.
 * 3. Purged, embargoed selection per fold: the trial with the best Sharpe on the training periods — every
 *    period outside the test fold, minus the purge (periods whose return interval overlaps the fold: one
 *    sample before it) and the embargo (embargo_pct × T periods after it) — is scored on the test periods:
 *    how much choosing parameters in sample loses out of sample.
 * 4. Deflated Sharpe Ratio of the candidate over the N trials (dsr.ts); 5. PBO by CSCV (pbo.ts).
 *
 * Passing needs all of: walk-forward Sharpe > 1.0, DSR > 0.5 (the deflated excess SR − SR0 > 0), PBO < 0.3.
 */
import type { EquitySample } from '../../ledger/index.js'
import { sharpeRatio } from '../../ledger/index.js'
import { InputError } from '../../model/index.js'
import { createStrategy, listStrategies } from '../../strategy/index.js'
import { runCurves } from '../sweep/index.js'
import type { CurveTask, QueueOptions } from '../sweep/index.js'
import type { DsrResult } from './dsr.js'
import { deflatedSharpeOfTrials, periodSharpe } from './dsr.js'
import { probabilityOfBacktestOverfitting } from './pbo.js'

export interface ValidationOptions {
  /** The strategy's name (resolved in this thread: a user file is loaded already). */
  readonly strategy: string
  /** How the user named it (a built-in name or a file path), for the worker threads to load it too. */
  readonly strategySource?: string
  readonly strategyDir?: string
  /** Worker threads for the backtests (default: the cores). */
  readonly workers?: number
  /** Run the backtests on `sofia worker` processes through this NATS work queue instead. */
  readonly nats?: QueueOptions
  readonly params: Readonly<Record<string, string>>
  readonly data: readonly string[]
  readonly folds?: number
  readonly embargoPct?: number
  readonly trials?: number
  /** Equity sampling period of the trials (default 1 h). */
  readonly sampleMs?: number
  readonly thresholds?: Partial<ValidationThresholds>
  readonly pboBlocks?: number
}

export interface ValidationThresholds {
  readonly walkForwardSharpe: number
  readonly dsrProbability: number
  readonly pbo: number
}

export const DEFAULT_THRESHOLDS: ValidationThresholds = { walkForwardSharpe: 1.0, dsrProbability: 0.5, pbo: 0.3 }

export interface FoldResult {
  readonly index: number
  readonly from: number
  readonly to: number
  /** Candidate's annualized Sharpe in its own backtest over the fold. */
  readonly sharpe: number
  readonly trainPeriods: number
  readonly purgedPeriods: number
  readonly embargoedPeriods: number
  /** Trial chosen on the training periods and its annualized Sharpe on the test periods. */
  readonly selectedTrial: number
  readonly selectedOosSharpe: number
}

export interface ValidationCriterion {
  readonly name: 'walk_forward_sharpe' | 'deflated_sharpe' | 'pbo'
  readonly value: number | null
  readonly threshold: string
  readonly passed: boolean
}

export interface ValidationReport {
  readonly strategy: string
  readonly params: Readonly<Record<string, string>>
  readonly data: readonly string[]
  readonly span: { readonly from: number; readonly to: number }
  readonly sampleMs: number
  readonly folds: readonly FoldResult[]
  readonly walkForwardSharpe: number
  readonly trials: readonly { readonly params: Readonly<Record<string, string>>; readonly sharpe: number; readonly sharpePerPeriod: number }[]
  readonly dsr: DsrResult
  readonly pbo: { readonly pbo: number; readonly blocks: number; readonly combinations: number } | null
  readonly criteria: readonly ValidationCriterion[]
  readonly passed: boolean
  readonly failed: readonly string[]
}

const YEAR = 365 * 86_400_000
const FACTORS = [1, 0.5, 1.5, 0.75, 2, 1.25, 0.6, 1.75, 0.9, 2.5, 0.4, 3]

/** The candidate and up to n−1 variants scaling its integer parameters (invalid combinations skipped). */
export function parameterGrid(strategy: string, params: Readonly<Record<string, string>>, n: number): Record<string, string>[] {
  const info = listStrategies().find((s) => s.name === strategy)
  if (info === undefined) throw new InputError(`unknown strategy '${strategy}'`)
  const merged: Record<string, string> = {}
  for (const p of info.params) if (p.default !== undefined) merged[p.name] = p.default
  Object.assign(merged, params)
  const defaults = new Map(info.params.map((p) => [p.name, p.default]))
  const ints = Object.keys(merged).filter((k) => /^\d+$/.test(merged[k]!) && /^\d+$/.test(defaults.get(k) ?? ''))
  const out: Record<string, string>[] = [{ ...params }]
  const seen = new Set([JSON.stringify(merged)])
  for (let i = 1; out.length < n && i < 400; i++) {
    const variant: Record<string, string> = { ...params }
    for (const [k, name] of ints.entries()) {
      const factor = FACTORS[(i * (k + 1) + k * Math.floor(i / FACTORS.length)) % FACTORS.length]!
      variant[name] = String(Math.max(1, Math.round(Number(merged[name]) * factor)))
    }
    const key = JSON.stringify({ ...merged, ...variant })
    if (seen.has(key)) continue
    try {
      createStrategy(strategy, strategy, variant)
    } catch {
      continue
    }
    seen.add(key)
    out.push(variant)
  }
  return out
}

function returnsByTime(c: readonly EquitySample[]): Map<number, number> {
  const out = new Map<number, number>()
  for (let i = 1; i < c.length; i++) {
    const prev = c[i - 1]!.equity
    if (prev.gt(0)) out.set(c[i]!.timestamp, c[i]!.equity.div(prev).sub(1).toNumber())
  }
  return out
}

export async function validateStrategy(o: ValidationOptions): Promise<ValidationReport> {
  const folds = o.folds ?? 5
  const embargoPct = o.embargoPct ?? 0.01
  const nTrials = o.trials ?? 8
  const sampleMs = o.sampleMs ?? 3_600_000
  const t = { ...DEFAULT_THRESHOLDS, ...o.thresholds }
  if (!Number.isInteger(folds) || folds < 2) throw new InputError(`--folds: expected an integer ≥ 2, got ${folds}`)
  if (!(embargoPct >= 0 && embargoPct < 0.5)) throw new InputError(`--embargo-pct: expected a fraction in [0, 0.5), got ${embargoPct}`)
  if (!Number.isInteger(nTrials) || nTrials < 1) throw new InputError(`--trials: expected an integer ≥ 1, got ${nTrials}`)
  createStrategy(o.strategy, o.strategy, o.params)

  // The backtests run across worker threads (sofia sweep's), trials first, then the folds they define.
  const curvesOf = (tasks: readonly CurveTask[]): Promise<EquitySample[][]> =>
    runCurves(
      {
        strategy: o.strategySource ?? o.strategy,
        data: o.data,
        ...(o.strategyDir !== undefined ? { strategyDir: o.strategyDir } : {}),
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        ...(o.nats !== undefined ? { nats: o.nats } : {}),
      },
      tasks,
    )
  // Trials over the whole span: the candidate is trial 0.
  const grid = parameterGrid(o.strategy, o.params, nTrials)
  const curves = await curvesOf(grid.map((params) => ({ params, sampleMs })))
  const base = curves[0]!
  if (base.length < 4 * folds) throw new InputError(`${o.data.join(', ')}: too little data for ${folds} folds at one sample per ${sampleMs / 60_000} min (${base.length} samples)`)
  const span = { from: base[0]!.timestamp, to: base[base.length - 1]!.timestamp }
  const perTrial = curves.map(returnsByTime)
  const times = [...perTrial[0]!.keys()].filter((ts) => perTrial.every((m) => m.has(ts))).sort((a, b) => a - b)
  const matrix = times.map((ts) => perTrial.map((m) => m.get(ts)!))
  const columns = grid.map((_, j) => matrix.map((row) => row[j]!))
  const periodsPerYear = YEAR / sampleMs
  const annual = (xs: readonly number[]): number => periodSharpe(xs) * Math.sqrt(periodsPerYear)

  // Walk-forward folds.
  const width = (span.to - span.from) / folds
  const embargoMs = embargoPct * (span.to - span.from)
  const foldResults: FoldResult[] = []
  const windows = Array.from({ length: folds }, (_, k) => ({
    from: Math.floor(span.from + k * width),
    to: k === folds - 1 ? span.to + 1 : Math.floor(span.from + (k + 1) * width),
  }))
  const foldCurves = await curvesOf(windows.map((w) => ({ params: o.params, sampleMs, from: w.from, to: w.to })))
  for (let k = 0; k < folds; k++) {
    const { from, to } = windows[k]!
    const sharpe = sharpeRatio(foldCurves[k]!, sampleMs)
    // A return at time ts covers (ts − sampleMs, ts]: it overlaps the fold when ts > from − … and ts − sampleMs < to.
    const test: number[] = []
    const train: number[] = []
    let purged = 0
    let embargoed = 0
    times.forEach((ts, i) => {
      if (ts > from && ts <= to) test.push(i)
      else if (ts > from - sampleMs && ts - sampleMs < to) purged++
      else if (ts > to && ts <= to + embargoMs) embargoed++
      else train.push(i)
    })
    let best = 0
    let bestSharpe = Number.NEGATIVE_INFINITY
    for (let j = 0; j < grid.length; j++) {
      const s = periodSharpe(train.map((i) => columns[j]![i]!))
      if (s > bestSharpe) {
        bestSharpe = s
        best = j
      }
    }
    foldResults.push({
      index: k,
      from,
      to,
      sharpe,
      trainPeriods: train.length,
      purgedPeriods: purged,
      embargoedPeriods: embargoed,
      selectedTrial: best,
      selectedOosSharpe: annual(test.map((i) => columns[best]![i]!)),
    })
  }
  const walkForwardSharpe = foldResults.reduce((s, f) => s + f.sharpe, 0) / foldResults.length
  const dsr = deflatedSharpeOfTrials(columns, 0)
  const pbo = grid.length >= 2 && matrix.length >= 4 ? probabilityOfBacktestOverfitting(matrix, o.pboBlocks !== undefined ? { blocks: o.pboBlocks } : {}) : null
  const criteria: ValidationCriterion[] = [
    { name: 'walk_forward_sharpe', value: walkForwardSharpe, threshold: `> ${t.walkForwardSharpe}`, passed: walkForwardSharpe > t.walkForwardSharpe },
    { name: 'deflated_sharpe', value: Number.isNaN(dsr.probability) ? null : dsr.probability, threshold: `> ${t.dsrProbability}`, passed: dsr.probability > t.dsrProbability },
    { name: 'pbo', value: pbo?.pbo ?? null, threshold: `< ${t.pbo}`, passed: pbo !== null && pbo.pbo < t.pbo },
  ]
  const failed = criteria.filter((c) => !c.passed).map((c) => c.name)
  return {
    strategy: o.strategy,
    params: { ...o.params },
    data: [...o.data],
    span,
    sampleMs,
    folds: foldResults,
    walkForwardSharpe,
    trials: grid.map((params, j) => ({ params, sharpe: annual(columns[j]!), sharpePerPeriod: periodSharpe(columns[j]!) })),
    dsr,
    pbo: pbo === null ? null : { pbo: pbo.pbo, blocks: pbo.blocks, combinations: pbo.combinations },
    criteria,
    passed: failed.length === 0,
    failed,
  }
}
