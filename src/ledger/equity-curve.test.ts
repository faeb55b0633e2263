// The bounded equity curve: downsampling, exact drawdown over every sample, time order.
import { describe, expect, it } from 'vitest'
import { InvariantViolation, dec } from '../model/index.js'
import { EquityCurve } from './equity-curve.js'

describe('EquityCurve', () => {
  it('keeps every sample while it fits', () => {
    const c = new EquityCurve(10)
    for (let i = 0; i < 10; i++) c.add(i * 1000, dec(100 + i))
    expect(c.points()).toHaveLength(10)
    expect(c.bucketMs).toBe(0)
  })

  it('stays bounded over a very long run, keeping the first and the latest sample', () => {
    const c = new EquityCurve(100)
    const n = 200_000
    for (let i = 0; i < n; i++) c.add(i * 1000, dec(1000 + (i % 7)))
    const pts = c.points()
    expect(pts.length).toBeLessThanOrEqual(100)
    expect(pts.length).toBeGreaterThan(25)
    expect(pts[0]?.timestamp).toBe(0)
    expect(pts[pts.length - 1]?.timestamp).toBe((n - 1) * 1000)
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.timestamp).toBeGreaterThan(pts[i - 1]!.timestamp)
    expect(c.samples).toBe(n)
    // Kept points are roughly evenly spaced: one per bucket after the first.
    const gaps = pts.slice(2).map((p, i) => p.timestamp - pts[i + 1]!.timestamp)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * c.bucketMs)
  })

  it('keeps the exact maximum drawdown of a trough that was downsampled away', () => {
    const c = new EquityCurve(8)
    for (let i = 0; i < 1000; i++) c.add(i, dec(i === 500 ? 40 : 100 + (i === 499 ? 10 : 0)))
    expect(c.points().some((p) => p.equity.eq(40))).toBe(false)
    expect(c.maxDrawdown.toString()).toBe('70')
    expect(c.maxDrawdownFraction).toBeCloseTo(70 / 110, 15)
    expect(c.peak?.toString()).toBe('110')
  })

  it('refuses time going backwards', () => {
    const c = new EquityCurve()
    c.add(1000, dec(1))
    expect(() => c.add(999, dec(1))).toThrow(InvariantViolation)
  })
})
