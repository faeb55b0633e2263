import { describe, expect, it } from 'vitest'
import { Prng } from '../engine/index.js'
import { dec } from '../model/index.js'
import { BEYOND, EQUAL, ExactSum, WITHIN, closeness } from './exact-compare.js'

describe('closeness', () => {
  const tol = dec('0.001')
  const rows: [string, string, number][] = [
    ['1', '1', EQUAL],
    ['1.0', '1', EQUAL],
    ['1e2', '100', EQUAL],
    ['0.1000000000000000000001', '0.1', WITHIN], // same double, different decimals
    ['1.001', '1', WITHIN], // exactly at the tolerance
    ['1.0010000000000001', '1', BEYOND],
    ['0.999', '1', WITHIN],
    ['0.9989999999999999', '1', BEYOND],
    ['2', '1', BEYOND],
    ['0', '0', EQUAL],
    ['0.0001', '0', BEYOND],
  ]
  for (const [a, b, want] of rows) {
    it(`${a} vs ${b}`, () => {
      expect(closeness(a, b, 0.001, tol)).toBe(want)
    })
  }

  it('with zero tolerance only equal decimals pass', () => {
    expect(closeness('1.10', '1.1', 0, dec(0))).toBe(EQUAL)
    expect(closeness('0.1000000000000000000001', '0.1', 0, dec(0))).toBe(BEYOND)
  })

  it('agrees with Decimal on random values near the tolerance', () => {
    const prng = new Prng(3)
    for (let i = 0; i < 20_000; i++) {
      const b = (1 + prng.nextUint32() % 10_000_000) / 100
      const rel = (prng.next() - 0.5) * 0.004
      const a = dec(b).mul(dec(1).add(dec(rel.toFixed(7)))).toFixed(8)
      const bs = String(b)
      const exact = dec(a).eq(bs) ? EQUAL : dec(a).sub(bs).abs().lte(tol.mul(bs)) ? WITHIN : BEYOND
      expect(closeness(a, bs, 0.001, tol)).toBe(exact)
    }
  })
})

describe('ExactSum', () => {
  it('adds exactly across scales, signs and notations', () => {
    const s = new ExactSum()
    for (const [v, neg] of [['0.1', false], ['0.2', false], ['0.3', true], ['1e-8', false], ['-5', false], ['12345678901234567890.5', false]] as const) {
      s.add(v, neg)
    }
    expect(s.value().toString()).toBe(dec('12345678901234567885.50000001').toString())
  })

  it('matches Decimal over many random amounts (crossing the 2^53 flush)', () => {
    const prng = new Prng(9)
    const s = new ExactSum()
    let want = dec(0)
    for (let i = 0; i < 50_000; i++) {
      const v = `${prng.nextUint32() % 100_000_000}.${String(prng.nextUint32() % 10_000_000).padStart(7, '0')}`
      const neg = prng.next() < 0.3
      s.add(v, neg)
      want = neg ? want.sub(v) : want.add(v)
    }
    expect(s.value().toString()).toBe(want.toString())
  })
})
