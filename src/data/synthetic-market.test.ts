import { describe, expect, it } from 'vitest'
import { dec, type MarketEvent, type QuoteTick } from '../model/index.js'
import { collectEvents } from './open-market-data.js'
import { Prng } from '../engine/index.js'
import { DEFAULT_SYNTHETIC_START, syntheticBalances, syntheticInstruments, syntheticSource } from './synthetic-market.js'

describe('Prng', () => {
  it('is deterministic per seed and roughly standard normal', () => {
    const a = new Prng(42)
    const b = new Prng(42)
    const c = new Prng(43)
    const xs = Array.from({ length: 5 }, () => a.nextUint32())
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs)
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs)
    const n = 100_000
    let sum = 0
    let sq = 0
    for (let i = 0; i < n; i++) {
      const z = a.normal()
      sum += z
      sq += z * z
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02)
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.02)
  })
})

describe('syntheticSource', () => {
  it('gives identical events for the same seed and different ones for another', async () => {
    const a = await collectEvents(syntheticSource({ seed: 7, count: 5000 }))
    const b = await collectEvents(syntheticSource({ seed: 7, count: 5000 }))
    const c = await collectEvents(syntheticSource({ seed: 8, count: 5000 }))
    expect(a).toHaveLength(5000)
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a))
  })

  it('emits quotes every step, book snapshots every N steps and some trades, in time order', async () => {
    const events = await collectEvents(syntheticSource({ count: 20_000, bookEvery: 10, stepMs: 250 }))
    const kinds = new Map<string, number>()
    for (const e of events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1)
    const quotes = kinds.get('quote') ?? 0
    expect(kinds.get('book')).toBeGreaterThan(quotes / 12)
    expect(kinds.get('book')).toBeLessThan(quotes / 8)
    expect(kinds.get('trade')).toBeGreaterThan(quotes * 0.2)
    expect(kinds.get('trade')).toBeLessThan(quotes * 0.4)
    expect(events[0]!.timestamp).toBe(DEFAULT_SYNTHETIC_START)
    for (let i = 1; i < events.length; i++) {
      const dt = events[i]!.timestamp - events[i - 1]!.timestamp
      expect(dt === 0 || dt === 250).toBe(true)
    }
    expect(new Set(events.map((e) => e.venue))).toEqual(new Set(['alpha', 'beta']))
    expect(new Set(events.map((e) => e.symbol))).toEqual(new Set(['BTC/USDT', 'ETH/USDT', 'SOL/USDT']))
  })

  it('stops at until', async () => {
    const events = await collectEvents(syntheticSource({ until: DEFAULT_SYNTHETIC_START + 10_000, stepMs: 1000, bookEvery: 0, tradeProbability: 0 }))
    expect(events).toHaveLength(10 * 6) // 10 steps × 2 venues × 3 symbols, one quote each
  })

  it('puts every price on the tick and every size on the step, with sane books', async () => {
    const instruments = new Map(syntheticInstruments().map((i) => [i.symbol, i]))
    const onGrid = (x: number, step: string): boolean => dec(x).mod(step).isZero()
    for (const e of await collectEvents(syntheticSource({ count: 3000, seed: 5 }))) {
      const inst = instruments.get(e.symbol)!
      const tick = inst.tickSize.toString()
      const step = inst.stepSize.toString()
      switch (e.kind) {
        case 'quote':
          expect(onGrid(e.bid, tick) && onGrid(e.ask, tick) && onGrid(e.bidSize, step) && onGrid(e.askSize, step)).toBe(true)
          expect(e.ask).toBeGreaterThan(e.bid)
          break
        case 'trade':
          expect(onGrid(e.price, tick) && onGrid(e.amount, step)).toBe(true)
          expect(e.amount).toBeGreaterThan(0)
          break
        case 'book':
          for (const [p, s] of [...e.bids, ...e.asks]) expect(onGrid(p, tick) && onGrid(s, step)).toBe(true)
          expect(e.bids[0]![0]).toBeLessThan(e.asks[0]![0])
          expect(e.bids.map(([p]) => p)).toEqual([...e.bids.map(([p]) => p)].sort((x, y) => y - x))
          break
        case 'bar':
          throw new Error('no bars expected')
      }
    }
  })

  it('opens a cross-venue gap beyond 0.3% sometimes, and the gap mean-reverts', async () => {
    const steps = 60_000
    const events = await collectEvents(syntheticSource({ seed: 11, count: steps * 6, bookEvery: 0, tradeProbability: 0 }))
    // Relative mid-price gap beta vs alpha for BTC/USDT at each step.
    const gaps: number[] = []
    let alpha: QuoteTick | undefined
    for (const e of events as MarketEvent[]) {
      if (e.kind !== 'quote' || e.symbol !== 'BTC/USDT') continue
      if (e.venue === 'alpha') alpha = e
      else if (alpha !== undefined && alpha.timestamp === e.timestamp) {
        const ma = (alpha.bid + alpha.ask) / 2
        gaps.push(((e.bid + e.ask) / 2 - ma) / ma)
      }
    }
    expect(gaps.length).toBeGreaterThan(steps * 0.99)
    const wide = gaps.filter((g) => Math.abs(g) > 0.003).length
    expect(wide).toBeGreaterThan(0) // opportunities exist...
    expect(wide / gaps.length).toBeLessThan(0.1) // ...but are rare
    // Mean reversion: every wide episode closes (back under 0.05%) within a few half-lives.
    let openedAt = -1
    let episodes = 0
    for (let i = 0; i < gaps.length; i++) {
      const g = Math.abs(gaps[i]!)
      if (openedAt < 0 && g > 0.003) {
        openedAt = i
        episodes++
      } else if (openedAt >= 0 && g < 0.0005) {
        expect(i - openedAt).toBeLessThan(2000)
        openedAt = -1
      }
    }
    expect(episodes).toBeGreaterThan(3)
    // And the gap has no memory over long horizons: lag-2000 autocorrelation is near zero, lag-1 near one.
    const corr = (lag: number): number => {
      let num = 0
      let den = 0
      for (let i = 0; i + lag < gaps.length; i++) num += gaps[i]! * gaps[i + lag]!
      for (const g of gaps) den += g * g
      return num / den
    }
    expect(corr(1)).toBeGreaterThan(0.95)
    expect(Math.abs(corr(2000))).toBeLessThan(0.2)
  })

  it('runs paced on the wall clock until the signal aborts', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const batches: (readonly MarketEvent[])[] = []
    setTimeout(() => controller.abort(), 120)
    for await (const batch of syntheticSource({ paced: true, stepMs: 20, signal: controller.signal, bookEvery: 0, tradeProbability: 0 })) {
      batches.push(batch)
    }
    expect(batches.length).toBeGreaterThanOrEqual(3)
    expect(batches.length).toBeLessThanOrEqual(8)
    for (const b of batches) expect(b).toHaveLength(6)
    expect(batches[0]![0]!.timestamp).toBeGreaterThanOrEqual(started)
  })

  it('refuses an unbounded simulated source', () => {
    expect(() => syntheticSource({})).toThrow('syntheticSource: give count or until (or paced: true with a signal)')
  })
})

describe('syntheticInstruments and syntheticBalances', () => {
  it('describe the default symbols with 0.1% fees and tradable balances', () => {
    const [btc] = syntheticInstruments()
    expect(btc).toMatchObject({ symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', priceDecimals: 2, amountDecimals: 5 })
    expect(btc!.takerFee.toString()).toBe('0.001')
    expect(btc!.makerFee.toString()).toBe('0.001')
    const balances = syntheticBalances()
    expect(Object.keys(balances)).toEqual(['alpha', 'beta'])
    expect(balances['alpha']).toEqual({ USDT: '100000', BTC: '0.41666', ETH: '8.3333', SOL: '166.666' })
  })
})
