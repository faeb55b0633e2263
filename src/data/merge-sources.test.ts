import { describe, expect, it } from 'vitest'
import type { MarketEvent, TradeTick } from '../model/index.js'
import type { MarketSource } from '../engine/index.js'
import { mergeSources } from './merge-sources.js'
import { collectEvents, openMarketData } from './open-market-data.js'
import { sharedFile } from './test-helpers.js'

function trades(venue: string, timestamps: number[], batch = 2): MarketSource {
  const events: TradeTick[] = timestamps.map((timestamp, i) => ({ kind: 'trade', venue, symbol: 'X/Y', timestamp, price: 1, amount: 1, id: `${venue}${i}` }))
  return {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < events.length; i += batch) yield events.slice(i, i + batch)
    },
  }
}

const ids = (events: MarketEvent[]): string[] => events.map((e) => (e as TradeTick).id ?? '')

describe('mergeSources', () => {
  it.each([
    { name: 'interleaves by time', a: [1, 3, 5], b: [2, 4, 6], want: ['a0', 'b0', 'a1', 'b1', 'a2', 'b2'] },
    { name: 'breaks ties by argument order', a: [1, 2, 2], b: [2, 2, 3], want: ['a0', 'a1', 'a2', 'b0', 'b1', 'b2'] },
    { name: 'handles an empty source', a: [], b: [1, 2], want: ['b0', 'b1'] },
    { name: 'runs one source ahead', a: [1, 2, 3, 4, 5], b: [10], want: ['a0', 'a1', 'a2', 'a3', 'a4', 'b0'] },
  ])('$name', async ({ a, b, want }) => {
    expect(ids(await collectEvents(mergeSources([trades('a', a), trades('b', b)])))).toEqual(want)
  })

  it('keeps ties stable across three sources with batch boundaries in between', async () => {
    const merged = await collectEvents(mergeSources([trades('a', [5, 5, 5], 1), trades('b', [1, 5], 1), trades('c', [5], 1)], 2))
    expect(ids(merged)).toEqual(['b0', 'a0', 'a1', 'a2', 'b1', 'c0'])
  })

  it('merges real files into one time-ordered stream in batches of the requested size', async () => {
    const a = await openMarketData(sharedFile('trades/kraken_BCH-EUR_trades_2023-01-01.csv'))
    const b = await openMarketData(sharedFile('trades/kraken_BCH-EUR_trades_2023-01-02_incremental.csv'), { venue: 'kraken2' })
    const merged = mergeSources([b.source, a.source], 100)
    const sizes: number[] = []
    const all: MarketEvent[] = []
    for await (const batch of merged) {
      sizes.push(batch.length)
      all.push(...batch)
    }
    expect(all).toHaveLength(148 + 486)
    expect(sizes.slice(0, -1).every((n) => n === 100)).toBe(true)
    for (let i = 1; i < all.length; i++) expect(all[i]!.timestamp).toBeGreaterThanOrEqual(all[i - 1]!.timestamp)
    expect(all[0]!.venue).toBe('kraken')
  })

  it('closes its sources when the consumer stops early', async () => {
    let closed = 0
    const endless = (venue: string): MarketSource => ({
      async *[Symbol.asyncIterator]() {
        try {
          for (let t = 0; ; t++) yield [{ kind: 'trade', venue, symbol: 'X/Y', timestamp: t, price: 1, amount: 1 }]
        } finally {
          closed++
        }
      },
    })
    let n = 0
    for await (const batch of mergeSources([endless('a'), endless('b')], 10)) {
      n += batch.length
      if (n >= 50) break
    }
    expect(closed).toBe(2)
  })
})
