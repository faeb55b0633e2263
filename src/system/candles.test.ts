import { describe, expect, it } from 'vitest'
import { CandleBook } from './candles.js'

const trade = (timestamp: number, price: number, amount = 1) => ({ kind: 'trade' as const, venue: 'v', symbol: 'BTC/USDT', timestamp, price, amount })
const quote = (timestamp: number, bid: number, ask: number) => ({ kind: 'quote' as const, venue: 'v', symbol: 'BTC/USDT', timestamp, bid, ask, bidSize: 1, askSize: 1 })

describe('CandleBook', () => {
  it('makes OHLCV candles per timeframe from trades, keeping the newest', () => {
    const book = new CandleBook(2)
    for (const [t, p] of [[0, 10], [400, 12], [900, 9], [1_000, 11], [2_500, 13], [3_100, 14]] as const) book.add(trade(t, p))
    expect(book.candles('v', 'BTC/USDT', '1s')!.candles).toEqual([
      { time: 2_000, open: 13, high: 13, low: 13, close: 13, volume: 1 },
      { time: 3_000, open: 14, high: 14, low: 14, close: 14, volume: 1 },
    ])
    expect(book.candles('v', 'BTC/USDT', '10s')!.candles).toEqual([{ time: 0, open: 10, high: 14, low: 9, close: 14, volume: 6 }])
  })

  it('uses the mid of quotes until the first trade, then trades only', () => {
    const book = new CandleBook()
    book.add(quote(0, 99, 101))
    book.add(quote(500, 101, 103))
    expect(book.marketList()).toEqual([{ venue: 'v', symbol: 'BTC/USDT', source: 'quotes' }])
    expect(book.candles('v', 'BTC/USDT', '1m')!.candles).toEqual([{ time: 0, open: 100, high: 102, low: 100, close: 102, volume: 0 }])
    book.add(trade(600, 105, 2))
    book.add(quote(700, 1, 3))
    expect(book.candles('v', 'BTC/USDT', '1m')).toEqual({ source: 'trades', candles: [{ time: 0, open: 105, high: 105, low: 105, close: 105, volume: 2 }] })
    expect(book.candles('v', 'ETH/USDT', '1m')).toBeUndefined()
  })
})
