import { describe, expect, it } from 'vitest'
import { InputError, type Bar, type TradeTick } from '../model/index.js'
import { BarBuilder } from './bar-builder.js'
import { collectEvents, openMarketData } from './open-market-data.js'
import { sharedFile } from './test-helpers.js'

const tick = (timestamp: number, price: number, amount = 1): TradeTick => ({ kind: 'trade', venue: 'v', symbol: 'X/Y', timestamp, price, amount })

describe('BarBuilder', () => {
  it('builds exactly the non-zero-volume 1m candles from the real trades (2469/2469)', async () => {
    const trades = await collectEvents((await openMarketData(sharedFile('trades/binance_XRP-ETH_trades_2019-10-11_2019-10-13.json.gz'))).source)
    const candles = (await collectEvents((await openMarketData(sharedFile('candles/binance_XRP-ETH_1m_2019-10-11_2019-10-13.json'))).source)) as Bar[]
    const builder = new BarBuilder('1m')
    const built: Bar[] = []
    for (const t of trades) {
      const bar = builder.add(t as TradeTick)
      if (bar) built.push(bar)
    }
    const last = builder.flush()
    if (last) built.push(last)
    const expected = candles.filter((c) => c.volume > 0)
    expect(expected).toHaveLength(2469)
    expect(built).toHaveLength(2469)
    for (let i = 0; i < expected.length; i++) {
      const want = expected[i]!
      const got = built[i]!
      expect({ t: got.timestamp, o: got.open, h: got.high, l: got.low, c: got.close }).toEqual({
        t: want.timestamp,
        o: want.open,
        h: want.high,
        l: want.low,
        c: want.close,
      })
      expect(Math.abs(got.volume - want.volume) / want.volume).toBeLessThanOrEqual(1e-9)
      expect(got).toMatchObject({ kind: 'bar', venue: 'binance', symbol: 'XRP/ETH', timeframe: '1m' })
    }
  })

  it('aligns buckets to UTC timeframe boundaries and skips empty ones', () => {
    const b = new BarBuilder('5m')
    const t0 = Date.UTC(2024, 0, 1, 0, 0)
    expect(b.add(tick(t0 + 61_000, 10))).toBeUndefined()
    expect(b.add(tick(t0 + 299_999, 12, 2))).toBeUndefined()
    const first = b.add(tick(t0 + 20 * 60_000 + 1, 11)) // next bucket is 00:20, 00:05–00:15 stay empty
    expect(first).toEqual({ kind: 'bar', venue: 'v', symbol: 'X/Y', timestamp: t0, timeframe: '5m', open: 10, high: 12, low: 10, close: 12, volume: 3 })
    expect(b.flush()).toMatchObject({ timestamp: t0 + 20 * 60_000, open: 11, close: 11, volume: 1 })
    expect(b.flush()).toBeUndefined()
  })

  it('refuses out-of-order ticks, a second market and a bad timeframe', () => {
    const b = new BarBuilder('1m')
    b.add(tick(2000, 1))
    expect(() => b.add(tick(1000, 1))).toThrow(InputError)
    expect(() => b.add({ ...tick(3000, 1), symbol: 'Z/Y' })).toThrow(InputError)
    expect(() => new BarBuilder('1x')).toThrow(InputError)
  })
})
