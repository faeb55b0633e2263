/**
 * The data.binance.vision readers. No dump is in ../shared/data and the tests run offline, so the samples are
 * written by hand to the published layouts (header-less spot CSV; futures files with a header line); the
 * values are plausible, not copied from real files.
 */
import { describe, expect, it } from 'vitest'
import { InputError, type Bar, type TradeTick } from '../model/index.js'
import { detectFormat } from './data-format.js'
import { hintsFromFileName } from './file-name.js'
import { collectEvents, openMarketData, type OpenMarketDataOptions } from './open-market-data.js'
import { tempFile } from './test-helpers.js'

const KLINES_MS = [
  '1704067200000,42283.58000000,42298.62000000,42261.02000000,42298.61000000,35.92724000,1704067259999,1519208.67253390,1327,19.12170000,808590.56110240,0',
  '1704067260000,42298.62000000,42320.00000000,42298.61000000,42319.99000000,21.07048000,1704067319999,891370.31042290,992,12.73400000,538735.13419240,0',
  '1704067320000,42319.99000000,42331.54000000,42289.60000000,42289.60000000,17.26018000,1704067379999,730430.13577860,811,7.05320000,298537.20474520,0',
]
/** The same minutes as spot files from 2025 on write them: open and close time in µs. */
const KLINES_US = KLINES_MS.map((row) => {
  const f = row.split(',')
  return [`${f[0]}000`, ...f.slice(1, 6), `${f[6]}999`, ...f.slice(7)].join(',')
})
const KLINES_HEADER = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore'

const TRADES_MS = [
  '3359161396,42283.58000000,0.00127000,53.70014660,1704067200147,True,True',
  '3359161397,42283.58000000,0.01180000,498.94624400,1704067200147,True,True',
  '3359161398,42283.59000000,0.00500000,211.41795000,1704067200203,False,True',
]
const TRADES_US = TRADES_MS.map((row) => row.replace(/,(\d{13}),/, (_, ms: string) => `,${ms}412,`))
const AGG_TRADES_MS = [
  '2951937437,42283.58000000,0.01307000,3359161396,3359161397,1704067200147,True,True',
  '2951937438,42283.59000000,0.00500000,3359161398,3359161398,1704067200203,False,True',
]

function bar(timestamp: number, open: number, high: number, low: number, close: number, volume: number, venue = 'binance'): Bar {
  return { kind: 'bar', venue, symbol: 'BTC/USDT', timestamp, timeframe: '1m', open, high, low, close, volume }
}

function trade(timestamp: number, price: number, amount: number, side: 'buy' | 'sell', id: string, venue = 'binance'): TradeTick {
  return { kind: 'trade', venue, symbol: 'BTC/USDT', timestamp, price, amount, side, id }
}

const BARS = [
  bar(1704067200000, 42283.58, 42298.62, 42261.02, 42298.61, 35.92724),
  bar(1704067260000, 42298.62, 42320, 42298.61, 42319.99, 21.07048),
  bar(1704067320000, 42319.99, 42331.54, 42289.6, 42289.6, 17.26018),
]
const TRADES = [
  trade(1704067200147, 42283.58, 0.00127, 'sell', '3359161396'),
  trade(1704067200147, 42283.58, 0.0118, 'sell', '3359161397'),
  trade(1704067200203, 42283.59, 0.005, 'buy', '3359161398'),
]

async function read(name: string, rows: readonly string[], options: OpenMarketDataOptions & { gzip?: boolean } = {}) {
  const { gzip, ...open } = options
  const path = tempFile(name, `${rows.join('\n')}\n`, { gzip: gzip ?? false })
  const data = await openMarketData(path, open)
  return { path, data, events: await collectEvents(data.source) }
}

describe('Binance klines dump', () => {
  it('reads a spot file (no header, ms): venue, symbol and timeframe from the name', async () => {
    const { data, events } = await read('BTCUSDT-1m-2024-01-01.csv', KLINES_MS)
    expect(data.info).toMatchObject({ format: 'binance-klines-csv', venue: 'binance', symbol: 'BTC/USDT', timeframe: '1m', gzip: false })
    expect(events).toEqual(BARS)
    expect(data.stats).toMatchObject({ rows: 3, events: 3, badRows: 0 })
  })

  it('reads µs times (spot files since 2025) as the same ms', async () => {
    const { data, events } = await read('BTCUSDT-1m-2025-01-01.csv', KLINES_US)
    expect(data.info.format).toBe('binance-klines-csv')
    expect(events).toEqual(BARS)
  })

  it('skips the header line of a futures file, and reads it gzipped', async () => {
    const { data, events } = await read('BTCUSDT-1m-2024-01-01.csv.gz', [KLINES_HEADER, ...KLINES_MS], { gzip: true, venue: 'binance-usdm' })
    expect(data.info).toMatchObject({ format: 'binance-klines-csv', gzip: true, venue: 'binance-usdm' })
    expect(events).toEqual(BARS.map((b) => ({ ...b, venue: 'binance-usdm' })))
  })

  it('reads CRLF lines and a missing final newline', async () => {
    const path = tempFile('BTCUSDT-1m-2024-01-02.csv', KLINES_MS.join('\r\n'))
    expect(await collectEvents((await openMarketData(path)).source)).toEqual(BARS)
  })

  it.each([
    ['a bad price', [KLINES_MS[0]!, KLINES_MS[1]!.replace('42320.00000000', 'abc')], `FILE:2: field 'high': expected a number, got "abc"`],
    ['a row cut short', [KLINES_MS[0]!, KLINES_MS[1]!.split(',').slice(0, 8).join(',')], `FILE:2: field 'count': missing`],
    ['a time that is not an integer', [KLINES_MS[0]!.replace('1704067200000', '1704067200000.5')], `FILE:1: field 'open_time': expected a time in ms or µs, got "1704067200000.5"`],
    ['columns out of place (volume lost)', [KLINES_MS[0]!, [...KLINES_MS[1]!.split(',').slice(0, 5), ...KLINES_MS[1]!.split(',').slice(6), '0'].join(',')], `FILE:2: field 'close_time': expected a time in ms or µs, got "891370.31042290"`],
    ['a row too long', [`${KLINES_MS[0]!},1`], 'FILE:1: expected 12 fields (open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore), got 13'],
    ['low above high', [KLINES_MS[0]!.replace('42261.02000000', '42300.00000000')], `FILE:1: field 'low': 42300 is above high 42298.62`],
    ['rows out of order', [KLINES_MS[1]!, KLINES_MS[0]!], "FILE:2: timestamp 1704067200000 is earlier than the previous row's 1704067260000 (rows must be in time order)"],
    ['a header of another dump', ['id,price,qty,quote_qty,time,is_buyer_maker', ...KLINES_MS], 'FILE:1: header "id,price,qty,quote_qty,time,is_buyer_maker" is not ' + KLINES_HEADER],
  ])('refuses %s in one line naming file, line and field', async (_label, rows, message) => {
    const path = tempFile('BTCUSDT-1m-2024-01-03.csv', `${rows.join('\n')}\n`)
    const error = await openMarketData(path, { format: 'binance-klines-csv' }).then((d) => collectEvents(d.source)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toBe(message.replace('FILE', path))
  })

  it('counts and skips bad rows with skipBadRows', async () => {
    const rows = [KLINES_MS[0]!, KLINES_MS[1]!.replace('42298.61000000', ''), KLINES_MS[2]!]
    const { path, data, events } = await read('BTCUSDT-1m-2024-01-04.csv', rows, { skipBadRows: true })
    expect(events).toEqual([BARS[0], BARS[2]])
    expect(data.stats).toMatchObject({ rows: 3, events: 2, badRows: 1, badRowMessages: [`${path}:2: field 'low': missing`] })
  })

  it('needs a timeframe when the name does not give one', async () => {
    const path = tempFile('btc-klines.csv', `${KLINES_MS.join('\n')}\n`)
    const data = await openMarketData(path, { symbol: 'BTC/USDT' })
    expect(data.info.format).toBe('binance-klines-csv')
    await expect(collectEvents(data.source)).rejects.toThrow(new InputError(`${path}: cannot tell the timeframe from the file name; pass a timeframe (e.g. 1m, 5m, 1h)`))
  })
})

describe('Binance trades and aggTrades dumps', () => {
  it('reads spot trades (ms); is_buyer_maker True means the taker sold', async () => {
    const { data, events } = await read('BTCUSDT-trades-2024-01-01.csv', TRADES_MS)
    expect(data.info).toMatchObject({ format: 'binance-trades-csv', venue: 'binance', symbol: 'BTC/USDT', timeframe: undefined })
    expect(events).toEqual(TRADES)
  })

  it('reads µs trade times as ms, cut to the ms they fall in', async () => {
    expect(TRADES_US[0]).toContain(',1704067200147412,')
    const { events } = await read('BTCUSDT-trades-2025-01-01.csv', TRADES_US)
    expect(events).toEqual(TRADES)
  })

  it('reads futures trades: a header, no is_best_match, lower-case booleans', async () => {
    const rows = ['id,price,qty,quote_qty,time,is_buyer_maker', ...TRADES_MS.map((r) => r.replace(/,True,True$/, ',true').replace(/,False,True$/, ',false'))]
    const { data, events } = await read('BTCUSDT-trades-2024-01-02.csv', rows)
    expect(data.info.format).toBe('binance-trades-csv')
    expect(events).toEqual(TRADES)
  })

  it('reads aggTrades (spot, and futures with a header); the id is the aggregate id', async () => {
    const want = [trade(1704067200147, 42283.58, 0.01307, 'sell', '2951937437'), trade(1704067200203, 42283.59, 0.005, 'buy', '2951937438')]
    const spot = await read('BTCUSDT-aggTrades-2024-01-01.csv', AGG_TRADES_MS)
    expect(spot.data.info.format).toBe('binance-aggtrades-csv')
    expect(spot.events).toEqual(want)
    const futures = await read('BTCUSDT-aggTrades-2024-01-02.csv', [
      'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker',
      ...AGG_TRADES_MS.map((r) => r.replace(/,(True|False),True$/, (_, b: string) => `,${b.toLowerCase()}`)),
    ])
    expect(futures.events).toEqual(want)
    const micros = await read('BTCUSDT-aggTrades-2025-01-01.csv', AGG_TRADES_MS.map((r) => r.replace(/,(\d{13}),/, ',$1999,')))
    expect(micros.events).toEqual(want)
  })

  it('splits a symbol at a known quote currency: ETHBTC → ETH/BTC', async () => {
    const { data, events } = await read('ETHBTC-aggTrades-2024-01-01.csv', ['99,0.05123000,1.20000000,100,101,1704067200147,False,True'])
    expect(data.info).toMatchObject({ venue: 'binance', symbol: 'ETH/BTC' })
    expect(events).toEqual([{ kind: 'trade', venue: 'binance', symbol: 'ETH/BTC', timestamp: 1704067200147, price: 0.05123, amount: 1.2, side: 'buy', id: '99' }])
  })

  it.each([
    ['BTCUSDT-trades-2024-01-03.csv', [TRADES_MS[0]!, TRADES_MS[1]!.replace(',True,True', ',yes,True')], `FILE:2: field 'is_buyer_maker': expected true or false, got "yes"`],
    ['BTCUSDT-trades-2024-01-03.csv', [TRADES_MS[0]!, TRADES_MS[1]!.replace('0.01180000', '0')], `FILE:2: field 'qty': expected a number > 0, got "0"`],
    ['BTCUSDT-trades-2024-01-03.csv', [TRADES_MS[0]!.replace(',True,True', '')], `FILE:1: field 'is_buyer_maker': missing`],
    ['BTCUSDT-aggTrades-2024-01-03.csv', [AGG_TRADES_MS[0]!, AGG_TRADES_MS[1]!.replace('1704067200203', '-1')], `FILE:2: field 'transact_time': expected a time in ms or µs, got "-1"`],
  ])('%s: refuses a malformed row in one line (%j)', async (name, rows, message) => {
    const path = tempFile(name, `${rows.join('\n')}\n`)
    const error = await openMarketData(path).then((d) => collectEvents(d.source)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toBe(message.replace('FILE', path))
  })

  it('needs a symbol when the name does not give one', async () => {
    const path = tempFile('trades.csv', `${TRADES_MS.join('\n')}\n`)
    await expect(openMarketData(path).then((d) => collectEvents(d.source))).rejects.toThrow(
      new InputError(`${path}: cannot tell the symbol from the file name; pass --symbol (e.g. BTC/USDT)`),
    )
  })
})

describe('Binance dump detection', () => {
  it.each([
    ['BTCUSDT-1m-2024-01-01.csv', KLINES_MS[0]!, 'binance-klines-csv'],
    ['BTCUSDT-1m-2025-01-01.csv', KLINES_US[0]!, 'binance-klines-csv'],
    ['BTCUSDT-1m-2024-01-01.csv', KLINES_HEADER, 'binance-klines-csv'],
    ['x.csv', KLINES_MS[0]!, 'binance-klines-csv'],
    ['BTCUSDT-trades-2024-01-01.csv', TRADES_MS[0]!, 'binance-trades-csv'],
    ['x.csv', TRADES_US[0]!, 'binance-trades-csv'],
    ['x.csv', 'id,price,qty,quote_qty,time,is_buyer_maker', 'binance-trades-csv'],
    ['x.csv', '3359161396,42283.58,0.00127,53.7001466,1704067200147,false', 'binance-trades-csv'],
    ['BTCUSDT-aggTrades-2024-01-01.csv', AGG_TRADES_MS[0]!, 'binance-aggtrades-csv'],
    ['x.csv.gz', '2951937437,42283.58,0.01307,3359161396,3359161397,1704067200147,false', 'binance-aggtrades-csv'],
    ['x.csv', 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker', 'binance-aggtrades-csv'],
    // Content beats the name; a broken first row falls back on the name, so the right reader names the field.
    ['BTCUSDT-trades-2024-01-01.csv', AGG_TRADES_MS[0]!, 'binance-aggtrades-csv'],
    ['BTCUSDT-aggTrades-2024-01-01.csv', '2951937437,oops,0.01307,3359161396,3359161397,1704067200147,True,True', 'binance-aggtrades-csv'],
    ['BTCUSDT-1h-2024-01.csv', '1704067200000,42283.58,,', 'binance-klines-csv'],
    // A candle CSV whose time column is called open_time is not a dump.
    ['x.csv', 'open_time,open,high,low,close,volume', 'ohlcv-csv'],
    ['x.csv', 'open_time,open,high,low,close,volume,close_time', 'ohlcv-csv'],
    // Kraken's three numbers are still Kraken's.
    ['x.csv', '1672531436,90.540000,1.10448420', 'kraken-trades-csv'],
  ])('%s %s → %s', (path, line, want) => {
    expect(detectFormat(path, `${line}\n`)).toBe(want)
  })

  it.each([
    ['BTCUSDT-1m-2024-01-01.csv', { venue: 'binance', symbol: 'BTC/USDT', timeframe: '1m' }],
    ['/data/spot/ETHBTC-1h-2024-01.csv.gz', { venue: 'binance', symbol: 'ETH/BTC', timeframe: '1h' }],
    ['BTCUSDT-trades-2024-01-01.csv', { venue: 'binance', symbol: 'BTC/USDT' }],
    ['SOLFDUSD-aggTrades-2025-03-31.csv', { venue: 'binance', symbol: 'SOL/FDUSD' }],
    ['BTCUSD_PERP-1m-2024-01-01.csv', { venue: 'binance', timeframe: '1m' }], // coin-margined: --symbol says which contract
    ['BTCUSDT-1mo-2024-01.csv', { venue: 'binance', symbol: 'BTC/USDT', timeframe: '1mo' }], // refused later as a bad timeframe
  ])('%s → %j', (path, hints) => {
    expect(hintsFromFileName(path)).toEqual(hints)
  })
})
