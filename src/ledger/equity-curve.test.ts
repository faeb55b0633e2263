// The bounded equity curve: downsampling, exact drawdown over every sample, time order.
import { describe, expect, it } from 'vitest'
import { Prng } from '../engine/index.js'
import { InvariantViolation, dec } from '../model/index.js'
import type { Decimal } from '../model/index.js'
import { EquityCurve } from './equity-curve.js'
import type { EquitySample } from './equity-curve.js'

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

  it('never changes points it has handed out, though it overwrites its last point in place', () => {
    const c = new EquityCurve(8)
    for (let i = 0; i < 100; i++) c.add(i * 1000, dec(100 + i))
    const before = c.points()
    const seen = before.map((p) => `${p.timestamp} ${p.equity.toString()} ${p.drawdown.toString()}`)
    // Same bucket as the last kept point: it is replaced, twice; the copy read before must not move.
    c.add(99_100, dec(50))
    c.add(99_200, dec(60))
    expect(before.map((p) => `${p.timestamp} ${p.equity.toString()} ${p.drawdown.toString()}`)).toEqual(seen)
    const after = c.points()
    expect(after).toHaveLength(before.length)
    expect(after[after.length - 1]).toEqual({ timestamp: 99_200, equity: dec(60), drawdown: dec(139), grossExposure: dec(0) })
  })

  it('refuses time going backwards', () => {
    const c = new EquityCurve()
    c.add(1000, dec(1))
    expect(() => c.add(999, dec(1))).toThrow(InvariantViolation)
  })

  it('gives the exact largest drawdown fraction, read at any time, on seeded walks with plateaus, near-ties and tiny falls', () => {
    const rng = new Prng(11)
    for (let run = 0; run < 40; run++) {
      const c = new EquityCurve(50)
      let peak: Decimal | undefined
      let best = 0
      let equity = dec(1_000_000 + run)
      for (let i = 0; i < 2_000; i++) {
        const r = rng.next()
        // Plateaus (same equity), falls of one unit in the last place of the money (near-ties), and random steps.
        if (r < 0.2) equity = equity.sub('0.00000001')
        else if (r > 0.4) equity = equity.add(dec(Math.round(rng.normal() * 1e6)).div(1e4))
        c.add(i, equity)
        if (peak === undefined || equity.gt(peak)) peak = equity
        const f = peak.sub(equity).div(peak).toNumber()
        if (f > best) best = f
        if (i % 500 === 499) expect(c.maxDrawdownFraction).toBe(best)
      }
      expect(c.maxDrawdownFraction).toBe(best)
    }
  })

  it('gives the exact peak, largest fall and per-point drawdown on walks with ties below the resolution of a double', () => {
    const rng = new Prng(23)
    for (let run = 0; run < 40; run++) {
      const c = new EquityCurve(40)
      let peak: Decimal | undefined
      let maxDd = dec(0)
      const drawdownAt = new Map<number, string>()
      // 18 significant digits: steps of 1e-12 on 1e6 are below a double's resolution, so floats tie where
      // the Decimals do not, and only the exact comparisons can tell.
      let equity = dec('1000000.000000000000').add(run)
      for (let i = 0; i < 3_000; i++) {
        const r = rng.next()
        if (r < 0.25) equity = equity.sub('0.000000000001')
        else if (r < 0.4) equity = equity.add('0.000000000001')
        else if (r < 0.5) equity = peak ?? equity
        else if (r > 0.6) equity = equity.add(dec(Math.round(rng.normal() * 1e6)).div(1e4))
        c.add(i, equity)
        if (peak === undefined || equity.gt(peak)) peak = equity
        const dd = peak.sub(equity)
        if (dd.gt(maxDd)) maxDd = dd
        drawdownAt.set(i, dd.toString())
        if (i % 700 === 699) expect(c.points().map((p) => p.drawdown.toString())).toEqual(c.points().map((p) => drawdownAt.get(p.timestamp)))
      }
      expect(c.peak?.toString()).toBe(peak?.toString())
      expect(c.maxDrawdown.toString()).toBe(maxDd.toString())
      for (const p of c.points()) expect(p.drawdown.toString()).toBe(drawdownAt.get(p.timestamp))
    }
  })

  it('gives the same points, peak, largest fall and fraction from floats off by up to their stated error as from the Decimals, making few exact sums', () => {
    const rng = new Prng(31)
    let exactSums = 0
    let samples = 0
    for (let run = 0; run < 30; run++) {
      const exact = new EquityCurve(40)
      const lazy = new EquityCurve(40)
      let equity = dec('1000000.000000000000').add(run)
      let last: EquitySample | undefined
      for (let i = 0; i < 3_000; i++) {
        const r = rng.next()
        // Near-ties below a double's resolution, returns to an earlier value, and random steps.
        if (r < 0.25) equity = equity.sub('0.000000000001')
        else if (r < 0.4) equity = equity.add('0.000000000001')
        else if (r < 0.45) equity = exact.peak ?? equity
        else if (r > 0.6) equity = equity.add(dec(Math.round(rng.normal() * 1e6)).div(1e4))
        const exposure = dec(i % 13)
        exact.add(i, equity, exposure)
        // The lazy sample's float is off by up to its error, either way (the extremes included), and the same
        // sample is given again now and then, as the ledger does when nothing moved.
        if (last === undefined || rng.next() > 0.1 || !last.equity().eq(equity) || !last.grossExposure().eq(exposure)) {
          const error = equity.abs().toNumber() * 1e-15
          const u = rng.next()
          const off = u < 0.2 ? error : u < 0.4 ? -error : (2 * rng.next() - 1) * error
          const value = equity
          let made = false
          last = {
            estimate: value.toNumber() + off,
            error: error * 1.0000001,
            equity: () => {
              if (!made) exactSums++
              made = true
              return value
            },
            grossExposure: () => exposure,
          }
          samples++
        }
        lazy.add(i, last)
        if (i % 700 === 699) expect(lazy.points()).toEqual(exact.points())
      }
      expect(lazy.peak?.toString()).toBe(exact.peak?.toString())
      expect(lazy.maxDrawdown.toString()).toBe(exact.maxDrawdown.toString())
      expect(lazy.maxDrawdownFraction).toBe(exact.maxDrawdownFraction)
      expect(lazy.points()).toEqual(exact.points())
    }
    // Most samples are settled by their float (this walk has many near-ties, so more need the exact sum than a
    // market's would).
    expect(exactSums).toBeLessThan(samples * 0.6)
  })
})
