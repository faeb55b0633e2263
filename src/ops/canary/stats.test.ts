import { describe, expect, it } from 'vitest'
import { Prng } from '../../engine/index.js'
import { deflatedSharpe, expectedMaxSharpe, moments, probabilisticSharpe } from './dsr.js'
import { kolmogorovQ, ksTwoSample, psi, psiFromProportions } from './drift.js'
import { normCdf, normInv } from './normal.js'
import { probabilityOfBacktestOverfitting } from './pbo.js'

// An independent Φ for checking: Simpson's rule on the normal density, and Φ⁻¹ by bisection on it.
function simpsonCdf(x: number): number {
  const n = 4_000
  const a = 0
  const b = Math.abs(x)
  const h = (b - a) / n
  const pdf = (t: number): number => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI)
  let s = pdf(a) + pdf(b)
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * pdf(a + i * h)
  const half = (s * h) / 3
  return x >= 0 ? 0.5 + half : 0.5 - half
}
function bisectInv(p: number): number {
  let lo = -10
  let hi = 10
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2
    if (simpsonCdf(mid) < p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

describe('normal distribution', () => {
  it.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [-1, 0.15865525393145707],
    [1.959963984540054, 0.975],
    [-3, 0.0013498980316300946],
    [5, 0.9999997133484281],
    [-8, 6.22096057427174e-16],
  ])('Φ(%d) = %d', (x, p) => {
    expect(Math.abs(normCdf(x) - p)).toBeLessThan(Math.max(1e-14, p * 1e-12))
  })

  it.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.999, 3.090232306167813],
    [0.01, -2.326347874040841],
    [1e-10, -6.361340902404056],
  ])('Φ⁻¹(%d) = %d', (p, x) => {
    expect(Math.abs(normInv(p) - x)).toBeLessThan(Math.abs(x) > 4 ? 1e-9 : 1e-12)
  })

  it('Φ⁻¹ inverts Φ across the range, and both agree with numerical integration', () => {
    for (let p = 0.001; p < 1; p += 0.0137) expect(normCdf(normInv(p))).toBeCloseTo(p, 14)
    for (const x of [-4, -2.5, -0.3, 0.7, 2.2, 3.9]) expect(normCdf(x)).toBeCloseTo(simpsonCdf(x), 12)
    expect(normInv(0)).toBe(Number.NEGATIVE_INFINITY)
    expect(normInv(1)).toBe(Number.POSITIVE_INFINITY)
    expect(normInv(1.5)).toBeNaN()
  })
})

describe('Deflated Sharpe Ratio (Bailey & López de Prado 2014)', () => {
  // Their numerical example: 100 trials, variance of the annualized Sharpe ratios across trials 0.5, the
  // selected strategy's annualized SR 2.5 over five years of daily returns (T = 1250, 250 days a year),
  // skewness −3, kurtosis 10. The paper reports DSR ≈ 0.9004.
  const periods = 250
  const srAnnual = 2.5
  const vAnnual = 0.5
  const N = 100
  const T = 1250

  it('matches a hand computation with independent Φ and Φ⁻¹', () => {
    const g = 0.5772156649015329
    const emaxUnit = (1 - g) * bisectInv(1 - 1 / N) + g * bisectInv(1 - 1 / (N * Math.E))
    const sr0Annual = Math.sqrt(vAnnual) * emaxUnit
    const sr = srAnnual / Math.sqrt(periods)
    const sr0 = sr0Annual / Math.sqrt(periods)
    const z = ((sr - sr0) * Math.sqrt(T - 1)) / Math.sqrt(1 - -3 * sr + ((10 - 1) / 4) * sr * sr)
    const byHand = simpsonCdf(z)

    const r = deflatedSharpe({ sharpe: sr, observations: T, skewness: -3, kurtosis: 10, trials: N, sharpeVariance: vAnnual / periods })
    expect(r.benchmark).toBeCloseTo(sr0, 10)
    expect(r.benchmark * Math.sqrt(periods)).toBeCloseTo(1.7894, 4) // SR0 annualized: √0.5 × 2.5306
    expect(r.probability).toBeCloseTo(byHand, 8)
    expect(r.probability).toBeGreaterThan(0.898)
    expect(r.probability).toBeLessThan(0.902)
    expect(r.deflatedExcess).toBeGreaterThan(0)
  })

  it('one trial has no selection bias: SR0 = 0 and DSR = PSR(0)', () => {
    expect(expectedMaxSharpe(1, 0.3)).toBe(0)
    const r = deflatedSharpe({ sharpe: 0.1, observations: 101, skewness: 0, kurtosis: 3, trials: 1, sharpeVariance: 0.1 })
    expect(r.probability).toBeCloseTo(probabilisticSharpe({ sharpe: 0.1, benchmark: 0, observations: 101, skewness: 0, kurtosis: 3 }), 15)
    // Normal returns: z = 0.1·√100 / √(1 + 0.5·0.01)
    expect(r.probability).toBeCloseTo(normCdf(1 / Math.sqrt(1.005)), 15)
  })

  it('moments: skewness and non-excess kurtosis from population moments', () => {
    const m = moments([1, 2, 3, 4, 10])
    // mean 4, deviations −3 −2 −1 0 6: m2 = 10, m3 = (−27 −8 −1 + 216)/5 = 36, m4 = (81+16+1+1296)/5 = 278.8
    expect(m.mean).toBe(4)
    expect(m.std).toBeCloseTo(Math.sqrt(50 / 4), 14)
    expect(m.skewness).toBeCloseTo(36 / 10 ** 1.5, 14)
    expect(m.kurtosis).toBeCloseTo(278.8 / 100, 14)
  })
})

describe('Probability of Backtest Overfitting (CSCV)', () => {
  function matrix(seed: number, t: number, n: number, drift: (j: number) => number): number[][] {
    const rng = new Prng(seed)
    return Array.from({ length: t }, () => Array.from({ length: n }, (_, j) => drift(j) + 0.01 * rng.normal()))
  }

  it('one trial truly best: PBO ≈ 0', () => {
    const r = probabilityOfBacktestOverfitting(matrix(1, 1_000, 10, (j) => (j === 3 ? 0.004 : 0)), { blocks: 10 })
    expect(r.combinations).toBe(252)
    expect(r.pbo).toBeLessThan(0.02)
  })

  it('pure noise: PBO ≈ 0.5', () => {
    const pbos = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => probabilityOfBacktestOverfitting(matrix(seed + 100, 800, 20, () => 0), { blocks: 10 }).pbo)
    const mean = pbos.reduce((a, b) => a + b, 0) / pbos.length
    expect(mean).toBeGreaterThan(0.35)
    expect(mean).toBeLessThan(0.65)
  })

  it('needs two trials and an even number of blocks', () => {
    expect(() => probabilityOfBacktestOverfitting([[1], [2], [3], [4]])).toThrow(/2 trials/)
    expect(probabilityOfBacktestOverfitting(matrix(3, 100, 4, () => 0), { blocks: 7 }).blocks).toBe(6)
  })
})

describe('drift: PSI and Kolmogorov–Smirnov', () => {
  it('PSI of hand-made bins', () => {
    // (0.1−0.25)ln(0.4) + (0.2−0.25)ln(0.8) + (0.3−0.25)ln(1.2) + (0.4−0.25)ln(1.6)
    const byHand = -0.15 * Math.log(0.4) - 0.05 * Math.log(0.8) + 0.05 * Math.log(1.2) + 0.15 * Math.log(1.6)
    expect(byHand).toBeCloseTo(0.22822, 5)
    expect(psiFromProportions([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4])).toBeCloseTo(byHand, 14)
    // The same through binning: training 1..8 in quartile bins [<3, 3–5, 5–7, ≥7]; recent 1 | 3 3 | 5 5 5 | 7 7 7 7
    expect(psi([1, 2, 3, 4, 5, 6, 7, 8], [1, 3, 3, 5, 5, 5, 7, 7, 7, 7], { edges: [3, 5, 7] })).toBeCloseTo(byHand, 14)
    expect(psi([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 8], { edges: [3, 5, 7] })).toBe(0)
  })

  it('KS statistic and p-value by hand', () => {
    // F_a − F_b is largest at x = 4: 4/4 − 2/6 = 2/3.
    const r = ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6, 7, 8])
    expect(r.statistic).toBeCloseTo(2 / 3, 15)
    const ne = Math.sqrt(24 / 10)
    const lambda = (ne + 0.12 + 0.11 / ne) * (2 / 3)
    const q = 2 * (Math.exp(-2 * lambda * lambda) - Math.exp(-8 * lambda * lambda) + Math.exp(-18 * lambda * lambda))
    expect(r.pValue).toBeCloseTo(q, 12)
    expect(r.pValue).toBeCloseTo(0.1355, 3)
    expect(ksTwoSample([1, 2, 3], [1, 2, 3])).toEqual({ statistic: 0, pValue: 1 })
    expect(kolmogorovQ(1.3581)).toBeCloseTo(0.05, 3)
  })
})

describe('drift metrics and alert rules', () => {
  it('publishes gauges per strategy and feature; the rules validate against the registry and match the deploy file', async () => {
    const { createMetrics, checkRules } = await import('../../observability/index.js')
    const { readFileSync } = await import('node:fs')
    const { parse } = await import('yaml')
    const { DriftMonitor, modelDriftAlertRules } = await import('./drift.js')
    const m = createMetrics({ processMetrics: false })
    const rng = new Prng(9)
    const train = Array.from({ length: 500 }, () => rng.normal())
    const monitor = new DriftMonitor('model-x', new Map([['ret_1', train]]), m.registry)
    const [same] = monitor.check(new Map([['ret_1', Array.from({ length: 500 }, () => rng.normal())]]))
    expect(same?.drifted).toBe(false)
    const [moved] = monitor.check(new Map([['ret_1', Array.from({ length: 500 }, () => 1 + rng.normal())]]))
    expect(moved?.drifted).toBe(true)
    expect(moved!.psi).toBeGreaterThan(0.2)
    expect(moved!.pValue).toBeLessThan(0.01)
    const text = await m.registry.metrics()
    expect(text).toMatch(/model_drift_psi\{strategy="model-x",feature="ret_1"\} \d/)
    expect(text).toMatch(/model_drift_ks\{strategy="model-x",feature="ret_1"\} 0\.\d/)
    expect(() => checkRules(modelDriftAlertRules(), m.registry)).not.toThrow()
    const file = parse(readFileSync(new URL('../../../deploy/prometheus/model-drift-alerts.yml', import.meta.url), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }
    const rules = file.groups.flatMap((g) => g.rules)
    expect(rules.map((r) => r.alert)).toEqual(modelDriftAlertRules().map((r) => r.name))
    for (const r of modelDriftAlertRules()) expect(rules.find((x) => x.alert === r.name)?.expr).toBe(`${r.metric} ${r.op} ${r.threshold}`)
  })
})
