// Performance statistics against values derived by hand.
import { describe, expect, it } from 'vitest'
import { dec } from '../model/index.js'
import {
  exposure,
  maxDrawdown,
  meanPeriodMs,
  profitFactor,
  sampleReturns,
  sharpeRatio,
  sortinoRatio,
  summarizePerformance,
  totalReturn,
  tradeOutcomes,
  winRate,
} from './performance.js'

const DAY = 86_400_000
const curve = [100, 110, 99, 120, 102].map((e, i) => ({ timestamp: i * DAY, equity: dec(e), grossExposure: dec(i % 2) }))

describe('performance statistics on a hand-made daily curve', () => {
  // Returns by hand: 1/10, −1/10, 21/99 = 7/33, −18/120 = −3/20.
  const r = [1 / 10, -1 / 10, 7 / 33, -3 / 20]
  // mean = (7/33 − 3/20) / 4 = 41/2640.
  const m = 41 / 2640
  const sampleSd = Math.sqrt(r.reduce((s, x) => s + (x - m) ** 2, 0) / 3)
  const downside = Math.sqrt((0.01 + 0.0225) / 4)

  it('computes per-sample returns', () => {
    sampleReturns(curve).forEach((x, i) => expect(x).toBeCloseTo(r[i]!, 14))
  })

  it('annualizes Sharpe and Sortino with √365 for daily samples', () => {
    expect(meanPeriodMs(curve)).toBe(DAY)
    expect(sharpeRatio(curve)).toBeCloseTo((m / sampleSd) * Math.sqrt(365), 12)
    expect(sharpeRatio(curve)).toBeCloseTo(1.7470366383505, 10)
    expect(sortinoRatio(curve)).toBeCloseTo((m / downside) * Math.sqrt(365), 12)
    expect(sortinoRatio(curve)).toBeCloseTo(3.291657781217, 10)
    // The same returns counted as hourly are √24 times more per year.
    expect(sharpeRatio(curve, DAY / 24)).toBeCloseTo(sharpeRatio(curve) * Math.sqrt(24), 10)
  })

  it('returns 0 where a ratio is undefined', () => {
    const flat = [0, 1, 2].map((i) => ({ timestamp: i * DAY, equity: dec(100) }))
    expect(sharpeRatio(flat)).toBe(0)
    const up = [100, 101, 103].map((e, i) => ({ timestamp: i * DAY, equity: dec(e) }))
    expect(sortinoRatio(up)).toBe(0)
    expect(sharpeRatio(up.slice(0, 2))).toBe(0)
    expect(totalReturn(up.slice(0, 1))).toBe(0)
  })

  it('finds the maximum drawdown from the peak, absolute and as a fraction', () => {
    const dd = maxDrawdown(curve)
    expect(dd.amount.toString()).toBe('18') // 120 → 102
    expect(dd.fraction).toBeCloseTo(0.15, 15) // beats 110 → 99 (0.1)
    expect(dd.peakTimestamp).toBe(3 * DAY)
    expect(dd.troughTimestamp).toBe(4 * DAY)
    expect(maxDrawdown(curve.slice(0, 2)).amount.isZero()).toBe(true)
  })

  it('computes the total return and the exposure weighted by time', () => {
    expect(totalReturn(curve)).toBeCloseTo(0.02, 15)
    // Exposure 0,1,0,1,0 at days 0..4: exposed on days 1–2 and 3–4 of 4.
    expect(exposure(curve)).toBe(0.5)
    const uneven = [0, 1, 3, 6, 10].map((t, i) => ({ timestamp: t, grossExposure: dec([0, 5, 5, 0, 0][i]!) }))
    expect(exposure(uneven)).toBe(0.5) // (3 − 1) + (6 − 3) of 10
  })
})

describe('trade statistics', () => {
  const trades = ['10', '-5', '0', '20', '-2.5'].map((n) => ({ netPnl: dec(n) }))

  it('counts wins, losses and the profit factor; a zero is neither', () => {
    const o = tradeOutcomes(trades)
    expect(o).toMatchObject({ closingFills: 5, wins: 2, losses: 2 })
    expect(o.grossProfit.toString()).toBe('30')
    expect(o.grossLoss.toString()).toBe('7.5')
    expect(winRate(o)).toBe(0.4)
    expect(profitFactor(o)).toBe(4)
  })

  it('has no profit factor without a loss and a zero win rate without trades', () => {
    expect(profitFactor(tradeOutcomes([{ netPnl: dec(1) }]))).toBeUndefined()
    expect(winRate(tradeOutcomes([]))).toBe(0)
  })

  it('summarizes everything at once', () => {
    const s = summarizePerformance(curve, tradeOutcomes(trades))
    expect(s.startEquity.toString()).toBe('100')
    expect(s.endEquity.toString()).toBe('102')
    expect(s.maxDrawdown.toString()).toBe('18')
    expect(s.winRate).toBe(0.4)
    expect(s.sharpe).toBeCloseTo(1.7470366383505, 10)
    expect(s.periodMs).toBe(DAY)
  })
})
