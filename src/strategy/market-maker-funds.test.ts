import { describe, expect, it } from 'vitest'
import { Prng } from '../engine/index.js'
import { Decimal, ONE, dec, makeInstrument } from '../model/index.js'
import { fundsCover } from './market-maker.js'

describe("market-maker's float test of funds", () => {
  it('says the funds cover the cap only when the exact funds exceed it (100,000 seeded cases, many within 1e-12 of the cap)', () => {
    const rng = new Prng(11)
    const inst = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.00001', makerFee: '0.001' })
    let covered = 0
    let close = 0
    for (let i = 0; i < 100_000; i++) {
      const ticks = 1 + (rng.nextUint32() % 10_000_000)
      const price = inst.tickSize.mul(ticks)
      const resting = dec(rng.nextUint32() % 1000).div(1000)
      const buy = rng.next() < 0.5
      const balance = dec(rng.nextUint32()).div(1000)
      const funds = buy ? balance.div(price.mul(ONE.add(inst.makerFee))).add(resting) : balance.add(resting)
      // The cap is drawn around the funds, a third of the time a hair away from them (either side).
      const r = rng.next()
      const cap = r < 0.33 ? funds.mul(dec(1).add(dec(rng.next() - 0.5).div(1e12))) : r < 0.4 ? funds : funds.mul(2 * rng.next())
      if (cap.sub(funds).abs().lte(funds.div(1e9))) close++
      if (fundsCover(buy ? 'buy' : 'sell', cap, balance, resting, ticks, inst)) {
        covered++
        expect(funds.gt(cap) || cap.lte(0), `${cap} vs ${funds}`).toBe(true)
      }
    }
    expect(covered).toBeGreaterThan(20_000)
    expect(close).toBeGreaterThan(30_000)
  })

  it('a cap at or below zero is covered by any funds', () => {
    const inst = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.00001' })
    expect(fundsCover('buy', new Decimal(0), new Decimal(0), new Decimal(0), 100, inst)).toBe(true)
    expect(fundsCover('sell', new Decimal(-1), new Decimal(0), new Decimal(0), 100, inst)).toBe(true)
  })
})
