import { describe, expect, it } from 'vitest'
import type { Bar, BookUpdate, MarketEvent, TradeTick } from '../model/index.js'
import { collectEvents, openMarketData } from './open-market-data.js'
import { sharedFile, tempFile } from './test-helpers.js'

interface Case {
  file: string
  format: string
  venue: string
  symbol: string
  timeframe?: string
  gzip?: boolean
  rows: number
  events: number
  first: number
  last: number
  check?: (events: MarketEvent[]) => void
}

/** The same Binance XRP/ETH trades, stored both as Binance's JSON and as CCXT trade dicts. */
const XRP_ETH_TRADES = {
  venue: 'binance',
  symbol: 'XRP/ETH',
  gzip: true,
  rows: 12477,
  events: 12477,
  first: 1570752011620,
  last: 1570965568844,
}

/** The two Binance USD-M BTC/USDT depth files of 2022-11-01: 100 rows, one book event each. */
const BTC_USDT_DEPTH = {
  format: 'binance-depth-csv',
  venue: 'binance-usdm',
  symbol: 'BTC/USDT',
  rows: 100,
  events: 1,
}

/**
 * The first book event of a depth file, checked: snapshot or update, the number of levels on each side, and
 * each side in its order (bids strictly down, asks strictly up).
 */
function checkedBook(events: MarketEvent[], want: { snapshot: boolean; bids: number; asks: number }): BookUpdate {
  const book = events[0] as BookUpdate
  expect(book.snapshot).toBe(want.snapshot)
  expect(book.bids).toHaveLength(want.bids)
  expect(book.asks).toHaveLength(want.asks)
  for (let i = 1; i < book.bids.length; i++) expect(book.bids[i]![0]).toBeLessThan(book.bids[i - 1]![0])
  for (let i = 1; i < book.asks.length; i++) expect(book.asks[i]![0]).toBeGreaterThan(book.asks[i - 1]![0])
  return book
}

// Row counts and spans from /work/shared/data/SOURCES.md.
const CASES: Case[] = [
  {
    file: 'candles/binance_XRP-ETH_1m_2019-10-11_2019-10-13.json',
    format: 'ohlcv-json',
    venue: 'binance',
    symbol: 'XRP/ETH',
    timeframe: '1m',
    rows: 3560,
    events: 3560,
    first: Date.UTC(2019, 9, 11, 0, 0),
    last: Date.UTC(2019, 9, 13, 11, 19),
    check: (ev) => {
      expect(ev[0]).toEqual({
        kind: 'bar',
        venue: 'binance',
        symbol: 'XRP/ETH',
        timestamp: 1570752000000,
        timeframe: '1m',
        open: 0.00141342,
        high: 0.00141557,
        low: 0.00141266,
        close: 0.00141418,
        volume: 1482,
      })
      expect((ev as Bar[]).filter((b) => b.volume === 0)).toHaveLength(1091)
    },
  },
  {
    file: 'candles/binance_XRP-ETH_5m_2019-10-11_2019-10-13.json',
    format: 'ohlcv-json',
    venue: 'binance',
    symbol: 'XRP/ETH',
    timeframe: '5m',
    rows: 712,
    events: 712,
    first: Date.UTC(2019, 9, 11, 0, 0),
    last: Date.UTC(2019, 9, 13, 11, 15),
  },
  {
    file: 'candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json',
    format: 'ohlcv-json',
    venue: 'bittrex',
    symbol: 'ETH/BTC',
    timeframe: '5m',
    rows: 5760,
    events: 5760,
    first: Date.UTC(2018, 0, 10, 4, 55),
    last: Date.UTC(2018, 0, 30, 4, 50),
    check: (ev) => expect((ev[0] as Bar).volume).toBe(1820.54447418),
  },
  {
    file: 'candles/bittrex_LTC-BTC_5m_2018-01-10_2018-01-30.json',
    format: 'ohlcv-json',
    venue: 'bittrex',
    symbol: 'LTC/BTC',
    timeframe: '5m',
    rows: 5760,
    events: 5760,
    first: Date.UTC(2018, 0, 10, 4, 55),
    last: Date.UTC(2018, 0, 30, 4, 50),
  },
  {
    file: 'candles/bittrex_UNITTEST-BTC_1m_2017-11-04_2017-11-14.json',
    format: 'ohlcv-json',
    venue: 'bittrex',
    symbol: 'UNITTEST/BTC',
    timeframe: '1m',
    rows: 13681,
    events: 13681,
    first: Date.UTC(2017, 10, 4, 23, 2),
    last: Date.UTC(2017, 10, 14, 22, 59),
    check: (ev) => {
      // 538 gaps: consecutive bars more than a minute apart.
      let gaps = 0
      for (let i = 1; i < ev.length; i++) if (ev[i]!.timestamp - ev[i - 1]!.timestamp > 60_000) gaps++
      expect(gaps).toBe(538)
    },
  },
  {
    file: 'candles/binance-usdm_XRP-USDT-USDT_5m_2021-11-15_2021-11-21.json',
    format: 'ohlcv-json',
    venue: 'binance-usdm',
    symbol: 'XRP/USDT:USDT',
    timeframe: '5m',
    rows: 1999,
    events: 1999,
    first: Date.UTC(2021, 10, 15, 0, 0),
    last: Date.UTC(2021, 10, 21, 22, 30),
  },
  {
    file: 'candles/binance-usdm_XRP-USDT-USDT_1h-mark_2021-11-15_2021-11-19.json',
    format: 'ohlcv-json',
    venue: 'binance-usdm',
    symbol: 'XRP/USDT:USDT',
    timeframe: '1h',
    rows: 100,
    events: 100,
    first: Date.UTC(2021, 10, 15, 6, 0),
    last: Date.UTC(2021, 10, 19, 9, 0),
    check: (ev) => {
      expect((ev as Bar[]).every((b) => b.volume === 0)).toBe(true) // null volume reads as 0
      expect((ev[0] as Bar).close).toBe(1.21431)
    },
  },
  {
    file: 'candles/binance-usdm_XRP-USDT-USDT_8h-funding-rate_2021-11-18_2021-12-18.json',
    format: 'ohlcv-json',
    venue: 'binance-usdm',
    symbol: 'XRP/USDT:USDT',
    timeframe: '8h',
    rows: 91,
    events: 91,
    first: 1637193600017,
    last: 1639785600014,
    check: (ev) => {
      const rates = (ev as Bar[]).map((b) => b.open)
      expect(Math.min(...rates)).toBe(-0.00219334)
      expect(Math.max(...rates)).toBe(0.00058316) // SOURCES.md says 0.0001; the file says otherwise
    },
  },
  {
    file: 'trades/binance_XRP-ETH_trades_2019-10-11_2019-10-13.json.gz',
    format: 'trades-json',
    ...XRP_ETH_TRADES,
    check: (ev) => {
      expect(ev[0]).toEqual({
        kind: 'trade',
        venue: 'binance',
        symbol: 'XRP/ETH',
        timestamp: 1570752011620,
        price: 0.00141342,
        amount: 23,
        side: 'sell',
        id: '13519807',
      })
      const sides = (ev as TradeTick[]).map((t) => t.side)
      expect(sides.filter((s) => s === 'buy')).toHaveLength(6524)
      expect(sides.filter((s) => s === 'sell')).toHaveLength(5953)
    },
  },
  {
    file: 'trades/binance_XRP-ETH_trades-ccxt-dicts_2019-10-11_2019-10-13.json.gz',
    format: 'ccxt-trades-json',
    ...XRP_ETH_TRADES,
    check: (ev) => {
      expect(ev[1]).toMatchObject({ id: '13519808', price: 0.00141266, amount: 54, side: 'sell', symbol: 'XRP/ETH' })
    },
  },
  {
    file: 'trades/kraken_BCH-EUR_trades_2023-01-01.csv',
    format: 'kraken-trades-csv',
    venue: 'kraken',
    symbol: 'BCH/EUR',
    rows: 148,
    events: 148,
    first: Date.UTC(2023, 0, 1, 0, 3, 56),
    last: Date.UTC(2023, 0, 1, 23, 19, 47),
    check: (ev) => expect(ev[0]).toEqual({ kind: 'trade', venue: 'kraken', symbol: 'BCH/EUR', timestamp: 1672531436000, price: 90.54, amount: 1.1044842 }),
  },
  {
    file: 'trades/kraken_BCH-EUR_trades_2023-01-02_incremental.csv',
    format: 'kraken-trades-csv',
    venue: 'kraken',
    symbol: 'BCH/EUR',
    rows: 486,
    events: 486,
    first: Date.UTC(2023, 0, 2, 0, 48, 56),
    last: Date.UTC(2023, 0, 2, 23, 17, 3),
  },
  {
    file: 'orderbook/binance-usdm_BTCUSDT_depth-snapshot_2022-11-01.csv',
    ...BTC_USDT_DEPTH,
    first: 1667346579146,
    last: 1667346579146,
    check: (ev) => {
      const book = checkedBook(ev, { snapshot: true, bids: 100, asks: 0 })
      expect(book.bids[0]).toEqual([20377, 1.77])
    },
  },
  {
    file: 'orderbook/binance-usdm_BTCUSDT_depth-update_2022-11-01.csv',
    ...BTC_USDT_DEPTH,
    first: 1667347199939,
    last: 1667347199939,
    check: (ev) => {
      // 100 rows, but the file repeats levels within the event: the last size for a price wins (77 ask rows,
      // 40 distinct prices).
      const book = checkedBook(ev, { snapshot: false, bids: 23, asks: 40 })
      expect(book.asks).toContainEqual([20821.4, 44.921])
      expect(book.asks).toContainEqual([20472.8, 0]) // qty 0: delete the level
    },
  },
]

describe('openMarketData on the real files in shared/data', () => {
  it.each(CASES)('$file', async (c) => {
    const data = await openMarketData(sharedFile(c.file))
    expect(data.info).toMatchObject({ format: c.format, venue: c.venue, symbol: c.symbol, gzip: c.gzip ?? false })
    if (c.timeframe !== undefined) expect(data.info.timeframe).toBe(c.timeframe)
    const events = await collectEvents(data.source)
    expect(data.stats).toMatchObject({ rows: c.rows, events: c.events, badRows: 0, filteredOut: 0 })
    expect(events).toHaveLength(c.events)
    expect(events[0]!.timestamp).toBe(c.first)
    expect(events.at(-1)!.timestamp).toBe(c.last)
    for (let i = 1; i < events.length; i++) expect(events[i]!.timestamp).toBeGreaterThanOrEqual(events[i - 1]!.timestamp)
    c.check?.(events)
  })

  it('reads the same data in small batches as in one', async () => {
    const file = sharedFile('trades/binance_XRP-ETH_trades_2019-10-11_2019-10-13.json.gz')
    const small = await openMarketData(file, { batchSize: 100 })
    const sizes: number[] = []
    for await (const batch of small.source) sizes.push(batch.length)
    expect(sizes.slice(0, -1).every((n) => n === 100)).toBe(true)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(12477)
  })

  it('is re-iterable and resets its stats on each pass', async () => {
    const data = await openMarketData(sharedFile('trades/kraken_BCH-EUR_trades_2023-01-01.csv'))
    expect(await collectEvents(data.source)).toHaveLength(148)
    expect(await collectEvents(data.source)).toHaveLength(148)
    expect(data.stats.rows).toBe(148)
  })

  it('applies from (inclusive) and to (exclusive) and stops early', async () => {
    const from = Date.UTC(2019, 9, 12)
    const to = Date.UTC(2019, 9, 12, 1)
    const data = await openMarketData(sharedFile('candles/binance_XRP-ETH_1m_2019-10-11_2019-10-13.json'), { from, to })
    const events = await collectEvents(data.source)
    expect(events).toHaveLength(60)
    expect(events[0]!.timestamp).toBe(from)
    expect(events.at(-1)!.timestamp).toBe(to - 60_000)
    expect(data.stats.filteredOut).toBe(24 * 60)
    expect(data.stats.rows).toBeLessThan(3560) // stopped at the first row past `to`
  })

  it('lets options override what the file name says', async () => {
    const data = await openMarketData(sharedFile('candles/binance_XRP-ETH_5m_2019-10-11_2019-10-13.json'), {
      venue: 'alpha',
      symbol: 'XRP/BTC',
      timeframe: '15m',
      format: 'ohlcv-json',
    })
    expect(data.info).toMatchObject({ venue: 'alpha', symbol: 'XRP/BTC', timeframe: '15m' })
    const [first] = await collectEvents(data.source)
    expect(first).toMatchObject({ venue: 'alpha', symbol: 'XRP/BTC', timeframe: '15m' })
  })

  it('accepts a file URL', async () => {
    const url = new URL('../../../shared/data/trades/kraken_BCH-EUR_trades_2023-01-01.csv', import.meta.url)
    const data = await openMarketData(url)
    expect(await collectEvents(data.source)).toHaveLength(148)
  })
})

describe('candle CSV with date-time text in the time column', () => {
  const bar = (timestamp: number, open: number, high: number, low: number, close: number, volume: number): Bar => ({
    kind: 'bar',
    venue: 'kraken',
    symbol: 'BTC/USD',
    timestamp,
    timeframe: '1h',
    open,
    high,
    low,
    close,
    volume,
  })

  it.each([
    ['date', '2024-01-01 00:00:00', '2024-01-01 01:00:00'],
    ['Date', '2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z'],
    ['datetime', '2024-01-01T00:00:00', '2024-01-01T01:00:00.000'],
    ['timestamp', '2024-01-01 00:00:00+00:00', '2024-01-01 02:00:00+01:00'],
  ])('header %s, times like %s (no zone is UTC)', async (column, t0, t1) => {
    const path = tempFile(
      `kraken_BTC-USD_1h_${column}.csv`,
      `${column},open,high,low,close,volume\n${t0},42283.5,42554.5,42261,42475.2,12.5\n${t1},42475.2,42500,42400.1,42410,0\n`,
    )
    const data = await openMarketData(path)
    expect(data.info).toMatchObject({ format: 'ohlcv-csv', venue: 'kraken', symbol: 'BTC/USD', timeframe: '1h' })
    expect(await collectEvents(data.source)).toEqual([
      bar(Date.UTC(2024, 0, 1, 0), 42283.5, 42554.5, 42261, 42475.2, 12.5),
      bar(Date.UTC(2024, 0, 1, 1), 42475.2, 42500, 42400.1, 42410, 0),
    ])
  })

  it('takes the first time column it knows when a file has several (unix ms before a date)', async () => {
    const path = tempFile('kraken_BTC-USD_1h_two-times.csv', 'date,open,high,low,close,volume,timestamp\n2030-01-01,1,2,0.5,1.5,3,1704067200000\n')
    const [first] = await collectEvents((await openMarketData(path)).source)
    expect(first!.timestamp).toBe(Date.UTC(2024, 0, 1))
  })
})
