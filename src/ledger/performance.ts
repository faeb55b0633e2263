/**
 * @module ledger/performance
 * Report statistics over an equity curve and closing fills. Ratios are `number` (they are not money);
 * money (start and end equity, drawdown amount, profits and losses) stays Decimal.
 *
 * Conventions, all with a risk-free rate of 0:
 * - returns are per sample, r_i = e_i / e_{i−1} − 1 (a step from equity ≤ 0 is skipped);
 * - Sharpe = mean(r) / sample standard deviation(r) × √(periods per year);
 * - Sortino = mean(r) / downside deviation × √(periods per year), downside deviation = √(Σ min(r, 0)² / n)
 *   over all n returns (target 0);
 * - periods per year = 365 days / sampling period; the period defaults to the curve's mean spacing;
 * - where a ratio is undefined (fewer than two returns, zero deviation) it is 0, except the profit factor,
 *   which is `undefined` when there is no losing trade.
 */
import type { Decimal } from '../model/index.js'
import { ZERO } from '../model/index.js'

export const MS_PER_YEAR = 365 * 86_400_000

/** What the statistics need of an equity point (EquityPoint fits). */
export interface EquitySample {
  readonly timestamp: number
  readonly equity: Decimal
}

/** What exposure needs of a sample (EquityPoint fits). */
export interface ExposureSample {
  readonly timestamp: number
  readonly grossExposure: Decimal
}

/** Counts and sums of closing fills (Totals and PositionSnapshot fit). */
export interface TradeOutcomes {
  readonly closingFills: number
  readonly wins: number
  readonly losses: number
  /** Σ net P&L of winning closing fills. */
  readonly grossProfit: Decimal
  /** Σ |net P&L| of losing closing fills. */
  readonly grossLoss: Decimal
}

export interface DrawdownStats {
  /** Largest fall from a running peak, absolute. */
  readonly amount: Decimal
  /** Largest fall from a running peak as a fraction of that peak (peaks ≤ 0 do not count). */
  readonly fraction: number
  /** Where the largest absolute fall started and bottomed; undefined when there was none. */
  readonly peakTimestamp: number | undefined
  readonly troughTimestamp: number | undefined
}

export interface PerformanceSummary {
  readonly startEquity: Decimal
  readonly endEquity: Decimal
  readonly totalReturn: number
  readonly sharpe: number
  readonly sortino: number
  readonly maxDrawdown: Decimal
  readonly maxDrawdownFraction: number
  readonly closingFills: number
  readonly winRate: number
  readonly profitFactor: number | undefined
  readonly exposure: number
  /** The sampling period used for annualization, ms. */
  readonly periodMs: number
}

/** Per-sample simple returns. */
export function sampleReturns(curve: readonly EquitySample[]): number[] {
  const out: number[] = []
  for (let i = 1; i < curve.length; i++) {
    const prev = curve[i - 1]!.equity
    if (!prev.gt(0)) continue
    const equity = curve[i]!.equity
    // A flat account keeps the very same Decimal from sample to sample: its return is 0 without a division.
    out.push(equity === prev ? 0 : equity.div(prev).sub(1).toNumber())
  }
  return out
}

/** Mean spacing of the samples, ms; 0 with fewer than two. */
export function meanPeriodMs(curve: readonly { readonly timestamp: number }[]): number {
  if (curve.length < 2) return 0
  return (curve[curve.length - 1]!.timestamp - curve[0]!.timestamp) / (curve.length - 1)
}

function annualization(periodMs: number): number {
  return periodMs > 0 ? Math.sqrt(MS_PER_YEAR / periodMs) : 0
}

function mean(xs: readonly number[]): number {
  let s = 0
  for (const x of xs) s += x
  return s / xs.length
}

/** last / first − 1; 0 when there are fewer than two points or the start is ≤ 0. */
export function totalReturn(curve: readonly EquitySample[]): number {
  const first = curve[0]
  const last = curve[curve.length - 1]
  if (first === undefined || last === undefined || curve.length < 2 || !first.equity.gt(0)) return 0
  return last.equity.div(first.equity).sub(1).toNumber()
}

export function sharpeRatio(curve: readonly EquitySample[], periodMs: number = meanPeriodMs(curve)): number {
  return sharpeOfReturns(sampleReturns(curve), periodMs)
}

export function sortinoRatio(curve: readonly EquitySample[], periodMs: number = meanPeriodMs(curve)): number {
  return sortinoOfReturns(sampleReturns(curve), periodMs)
}

/**
 * Sharpe and Sortino of one curve from one pass of returns: each return is a decimal division, and a report
 * that asked for both ratios separately divided every sample twice.
 */
export function returnRatios(curve: readonly EquitySample[], periodMs: number = meanPeriodMs(curve)): { readonly sharpe: number; readonly sortino: number } {
  const r = sampleReturns(curve)
  return { sharpe: sharpeOfReturns(r, periodMs), sortino: sortinoOfReturns(r, periodMs) }
}

function sharpeOfReturns(r: readonly number[], periodMs: number): number {
  if (r.length < 2) return 0
  const m = mean(r)
  let ss = 0
  for (const x of r) ss += (x - m) * (x - m)
  const sd = Math.sqrt(ss / (r.length - 1))
  return sd > 0 ? (m / sd) * annualization(periodMs) : 0
}

function sortinoOfReturns(r: readonly number[], periodMs: number): number {
  if (r.length < 2) return 0
  let ss = 0
  for (const x of r) if (x < 0) ss += x * x
  const dd = Math.sqrt(ss / r.length)
  return dd > 0 ? (mean(r) / dd) * annualization(periodMs) : 0
}

export function maxDrawdown(curve: readonly EquitySample[]): DrawdownStats {
  let amount = ZERO
  let fraction = 0
  let peak: EquitySample | undefined
  let peakTimestamp: number | undefined
  let troughTimestamp: number | undefined
  for (const p of curve) {
    if (peak === undefined || p.equity.gt(peak.equity)) {
      peak = p
      continue
    }
    // The peak's own Decimal again (a flat account): a fall of 0 changes neither figure.
    if (p.equity === peak.equity) continue
    const dd = peak.equity.sub(p.equity)
    if (dd.gt(amount)) {
      amount = dd
      peakTimestamp = peak.timestamp
      troughTimestamp = p.timestamp
    }
    if (peak.equity.gt(0)) {
      const f = dd.div(peak.equity).toNumber()
      if (f > fraction) fraction = f
    }
  }
  return { amount, fraction, peakTimestamp, troughTimestamp }
}

/**
 * Fraction of time with a position: each sample's gross exposure holds until the next sample, weighted by
 * the time between them. 0 with fewer than two samples or no elapsed time.
 */
export function exposure(samples: readonly ExposureSample[]): number {
  if (samples.length < 2) return 0
  const span = samples[samples.length - 1]!.timestamp - samples[0]!.timestamp
  if (span <= 0) return 0
  let exposed = 0
  for (let i = 0; i + 1 < samples.length; i++) {
    if (!samples[i]!.grossExposure.isZero()) exposed += samples[i + 1]!.timestamp - samples[i]!.timestamp
  }
  return exposed / span
}

/** Outcomes from a list of closing fills (e.g. `Ledger.closedTrades()`); a net P&L of 0 is neither. */
export function tradeOutcomes(trades: Iterable<{ readonly netPnl: Decimal }>): TradeOutcomes {
  let closingFills = 0
  let wins = 0
  let losses = 0
  let grossProfit = ZERO
  let grossLoss = ZERO
  for (const t of trades) {
    closingFills++
    if (t.netPnl.gt(0)) {
      wins++
      grossProfit = grossProfit.add(t.netPnl)
    } else if (t.netPnl.lt(0)) {
      losses++
      grossLoss = grossLoss.sub(t.netPnl)
    }
  }
  return { closingFills, wins, losses, grossProfit, grossLoss }
}

/** wins / closing fills; 0 without closing fills. */
export function winRate(o: TradeOutcomes): number {
  return o.closingFills > 0 ? o.wins / o.closingFills : 0
}

/** Gross profit / gross loss; undefined without a losing trade (0 when there is a loss and no profit). */
export function profitFactor(o: TradeOutcomes): number | undefined {
  return o.grossLoss.gt(0) ? o.grossProfit.div(o.grossLoss).toNumber() : undefined
}

/** Every statistic at once. `periodMs` defaults to the curve's mean sample spacing. */
export function summarizePerformance(
  curve: readonly (EquitySample & ExposureSample)[],
  outcomes: TradeOutcomes,
  periodMs: number = meanPeriodMs(curve),
): PerformanceSummary {
  const dd = maxDrawdown(curve)
  const ratios = returnRatios(curve, periodMs)
  return {
    startEquity: curve[0]?.equity ?? ZERO,
    endEquity: curve[curve.length - 1]?.equity ?? ZERO,
    totalReturn: totalReturn(curve),
    sharpe: ratios.sharpe,
    sortino: ratios.sortino,
    maxDrawdown: dd.amount,
    maxDrawdownFraction: dd.fraction,
    closingFills: outcomes.closingFills,
    winRate: winRate(outcomes),
    profitFactor: profitFactor(outcomes),
    exposure: exposure(curve),
    periodMs,
  }
}
