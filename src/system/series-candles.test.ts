import { describe, expect, it } from 'vitest'
import type { Bar, MarketEvent } from '../model/index.js'
import { MAX_SERIES_CANDLES, SeriesCandles } from './series-candles.js'

const T0 = Date.UTC(2024, 0, 1)
const bar = (i: number, close: number): Bar => ({ kind: 'bar', venue: 'v', symbol: 'BTC/USDT', timestamp: T0 + i * 60_000, timeframe: '1m', open: close - 1, high: close + 2, low: close - 3, close, volume: i % 7 })

describe('SeriesCandles', () => {
  it('keeps a year of 1m bars as at most 1,500 candles, each the OHLCV of the bars it covers', () => {
    const book = new SeriesCandles()
    const bars: Bar[] = []
    for (let i = 0; i < 525_600; i++) bars.push(bar(i, 40_000 + ((i * 7919) % 1000)))
    for (const b of bars) book.add(b)
    const [m] = book.list()
    expect(m).toMatchObject({ venue: 'v', symbol: 'BTC/USDT', source: 'bars', timeframe: '8h' })
    expect(m!.candles.length).toBeLessThanOrEqual(MAX_SERIES_CANDLES)
    // The reference: the bars grouped by 8h, computed here from the bars themselves.
    const step = 8 * 3_600_000
    const groups = new Map<number, Bar[]>()
    for (const b of bars) {
      const t = Math.floor(b.timestamp / step) * step
      groups.set(t, [...(groups.get(t) ?? []), b])
    }
    expect(m!.candles.length).toBe(groups.size)
    for (const c of m!.candles) {
      const g = groups.get(c.time)!
      expect(c).toEqual({
        time: c.time,
        open: g[0]!.open,
        high: Math.max(...g.map((b) => b.high)),
        low: Math.min(...g.map((b) => b.low)),
        close: g.at(-1)!.close,
        volume: g.reduce((s, b) => s + b.volume, 0),
      })
    }
  })

  it('draws a market from its bars over its trades over its quotes, and leaves funding rows out', () => {
    const book = new SeriesCandles()
    const quote: MarketEvent = { kind: 'quote', venue: 'v', symbol: 'ETH/USDT', timestamp: T0, bid: 99, ask: 101, bidSize: 1, askSize: 1 }
    const trade: MarketEvent = { kind: 'trade', venue: 'v', symbol: 'ETH/USDT', timestamp: T0 + 500, price: 100.5, amount: 2, side: 'buy', id: '1' }
    book.add(quote)
    expect(book.list()[0]).toMatchObject({ source: 'quotes', timeframe: '1s', candles: [{ time: T0, open: 100, close: 100, volume: 0 }] })
    book.add(trade)
    book.add({ ...quote, timestamp: T0 + 2_000 }) // a quote after trades does not draw
    expect(book.list()[0]).toMatchObject({ source: 'trades', candles: [{ time: T0, open: 100.5, volume: 2 }] })
    book.add({ kind: 'bar', venue: 'v', symbol: 'ETH/USDT', timestamp: T0, timeframe: '8h', open: 0.0001, high: 0, low: 0, close: 0, volume: 0 }) // funding
    expect(book.list()[0]!.source).toBe('trades')
    book.add({ ...bar(0, 100), symbol: 'ETH/USDT' })
    expect(book.list()).toHaveLength(1)
    expect(book.list()[0]).toMatchObject({ source: 'bars', timeframe: '1m', candles: [{ open: 99, high: 102, low: 97, close: 100 }] })
    // Bars coarser than the ladder's top (monthly) are drawn at its top, never finer than they are.
    book.add({ ...bar(0, 100), symbol: 'SOL/USDT', timeframe: '30d' })
    expect(book.list()[1]).toMatchObject({ symbol: 'SOL/USDT', timeframe: '1w' })
  })
})
