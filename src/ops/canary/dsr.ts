/**
 * @module ops/canary/dsr
 * Sharpe ratio statistics for validation: the Probabilistic Sharpe Ratio and the Deflated Sharpe Ratio of
 * Bailey & López de Prado (2014, "The Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest
 * Overfitting and Non-Normality").
 *
 *   PSR(SR*) = Φ( (SR − SR*)·√(T−1) / √(1 − γ3·SR + (γ4 − 1)/4·SR²) )
 *   SR0      = √V[SR] · ( (1−γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)) ),  γ = 0.5772156649… (Euler–Mascheroni)
 *   DSR      = PSR(SR0)
 *
 * Everything is per observation period (not annualized): SR = mean / standard deviation of the period
 * returns, T the number of returns, γ3 their skewness, γ4 their (non-excess) kurtosis (3 for a normal), and
 * V[SR] the variance of the per-period Sharpe ratios across the N trials. Annualized figures convert with
 * SR_period = SR_year / √(periods per year) and V_period = V_year / (periods per year).
 *
 * Reading of "deflated Sharpe > 0": the deflated excess SR − SR0 is positive, which is the same as
 * DSR = PSR(SR0) > 0.5 — the selected strategy's Sharpe beats what the best of N skill-less trials would
 * show, more likely than not.
 */
import { normCdf, normInv } from './normal.js'

export const EULER_MASCHERONI = 0.5772156649015329

export interface ReturnMoments {
  readonly n: number
  readonly mean: number
  /** Sample standard deviation (n − 1). */
  readonly std: number
  /** Skewness, population moments (m3 / m2^1.5). */
  readonly skewness: number
  /** Kurtosis, non-excess (m4 / m2²): 3 for normal returns. */
  readonly kurtosis: number
}

export function moments(xs: readonly number[]): ReturnMoments {
  const n = xs.length
  if (n === 0) return { n: 0, mean: 0, std: 0, skewness: 0, kurtosis: 3 }
  let mean = 0
  for (const x of xs) mean += x
  mean /= n
  let m2 = 0
  let m3 = 0
  let m4 = 0
  for (const x of xs) {
    const d = x - mean
    const d2 = d * d
    m2 += d2
    m3 += d2 * d
    m4 += d2 * d2
  }
  const std = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0
  m2 /= n
  m3 /= n
  m4 /= n
  return { n, mean, std, skewness: m2 > 0 ? m3 / m2 ** 1.5 : 0, kurtosis: m2 > 0 ? m4 / (m2 * m2) : 3 }
}

/** Per-period Sharpe ratio (risk-free 0): mean / sample std; 0 when undefined. */
export function periodSharpe(returns: readonly number[]): number {
  const m = moments(returns)
  return m.n > 1 && m.std > 0 ? m.mean / m.std : 0
}

/** Expected maximum of N per-period Sharpe ratios of skill-less trials whose variance is `variance`. */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials < 1) throw new RangeError(`trials must be ≥ 1, got ${trials}`)
  if (trials === 1) return 0
  const g = EULER_MASCHERONI
  return Math.sqrt(Math.max(variance, 0)) * ((1 - g) * normInv(1 - 1 / trials) + g * normInv(1 - 1 / (trials * Math.E)))
}

export interface PsrInput {
  /** Observed per-period Sharpe ratio. */
  readonly sharpe: number
  /** Benchmark per-period Sharpe ratio SR*. */
  readonly benchmark: number
  /** Number of returns T. */
  readonly observations: number
  readonly skewness: number
  /** Non-excess kurtosis. */
  readonly kurtosis: number
}

/** The Probabilistic Sharpe Ratio: the probability that the true Sharpe exceeds the benchmark. */
export function probabilisticSharpe(i: PsrInput): number {
  const denom2 = 1 - i.skewness * i.sharpe + ((i.kurtosis - 1) / 4) * i.sharpe * i.sharpe
  if (i.observations < 2 || !(denom2 > 0)) return Number.NaN
  return normCdf(((i.sharpe - i.benchmark) * Math.sqrt(i.observations - 1)) / Math.sqrt(denom2))
}

export interface DsrInput {
  readonly sharpe: number
  readonly observations: number
  readonly skewness: number
  readonly kurtosis: number
  /** Number of independent trials N. */
  readonly trials: number
  /** Variance of the per-period Sharpe ratios across the trials V[SR]. */
  readonly sharpeVariance: number
}

export interface DsrResult {
  readonly sharpe: number
  /** SR0: the expected maximum Sharpe of N skill-less trials. */
  readonly benchmark: number
  /** The deflated excess SR − SR0 (per period). */
  readonly deflatedExcess: number
  /** DSR = PSR(SR0), a probability. */
  readonly probability: number
  readonly observations: number
  readonly trials: number
}

export function deflatedSharpe(i: DsrInput): DsrResult {
  const benchmark = expectedMaxSharpe(i.trials, i.sharpeVariance)
  return {
    sharpe: i.sharpe,
    benchmark,
    deflatedExcess: i.sharpe - benchmark,
    probability: probabilisticSharpe({ sharpe: i.sharpe, benchmark, observations: i.observations, skewness: i.skewness, kurtosis: i.kurtosis }),
    observations: i.observations,
    trials: i.trials,
  }
}

/**
 * DSR of the selected trial from the return series of every trial (same periods): SR, skewness and
 * kurtosis from the selected one, V[SR] from all of them (sample variance), N = number of trials.
 */
export function deflatedSharpeOfTrials(trialReturns: readonly (readonly number[])[], selected: number): DsrResult {
  const chosen = trialReturns[selected]
  if (chosen === undefined) throw new RangeError(`no trial ${selected}`)
  const sharpes = trialReturns.map(periodSharpe)
  const m = moments(chosen)
  const sv = moments(sharpes)
  return deflatedSharpe({
    sharpe: periodSharpe(chosen),
    observations: m.n,
    skewness: m.skewness,
    kurtosis: m.kurtosis,
    trials: trialReturns.length,
    sharpeVariance: sv.std * sv.std,
  })
}
