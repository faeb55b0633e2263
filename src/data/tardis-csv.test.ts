/**
 * The Tardis.dev CSV readers. No Tardis file is in ../shared/data and the tests run offline, so the samples
 * are written by hand to the published headers (docs.tardis.dev, downloadable CSV files); the values are
 * plausible, not copied from real files.
 */
import { describe, expect, it } from 'vitest'
import { InputError, type BookUpdate, type QuoteTick, type TradeTick } from '../model/index.js'
import { detectFormat } from './data-format.js'
import { ccxtSymbolOf } from './file-name.js'
import { collectEvents, openMarketData, type OpenMarketDataOptions } from './open-market-data.js'
import { tempFile } from './test-helpers.js'

const TRADES_HEADER = 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount'
const QUOTES_HEADER = 'exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount'
const L2_HEADER = 'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount'
const snapshotHeader = (depth: number): string => {
  const cols = ['exchange', 'symbol', 'timestamp', 'local_timestamp']
  for (let i = 0; i < depth; i++) cols.push(`asks[${i}].price`, `asks[${i}].amount`, `bids[${i}].price`, `bids[${i}].amount`)
  return cols.join(',')
}

const TRADES = [
  TRADES_HEADER,
  'binance-futures,BTCUSDT,1704067200101000,1704067200104512,4447811730,buy,42314.0,0.002',
  'binance-futures,BTCUSDT,1704067200101000,1704067200104512,4447811731,sell,42313.9,0.125',
  // The exchange's time steps back; the arrival time, which stamps the event, does not.
  'binance-futures,BTCUSDT,1704067200099000,1704067200110873,,unknown,42313.9,0.01',
]
const QUOTES = [
  QUOTES_HEADER,
  'coinbase,BTC-USD,1704067200012345,1704067200015001,0.5,42290.01,42290.00,1.25',
  'coinbase,BTC-USD,1704067200212345,1704067200215001,0.4,42290.02,42290.01,0.75',
]
const SNAPSHOTS = [
  snapshotHeader(5),
  'binance-futures,BTCUSDT,1704067200103000,1704067200107611,42314,1.714,42313.9,10.896,42314.5,5.4,42313.1,0.2,42315.6,0.238,42312.8,0.2,42316.1,0.077,42312.7,0.98,42317.9,0.918,42312.6,0.111',
  // A thin book: the last levels are empty.
  'binance-futures,BTCUSDT,1704067200288000,1704067200291230,42314,1.2,42313.9,10.9,42314.5,5.4,,,,,,,,,,,,,,',
]
const L2 = [
  L2_HEADER,
  'deribit,BTC-PERPETUAL,1704067200245000,1704067200355684,true,ask,42300.5,18640',
  'deribit,BTC-PERPETUAL,1704067200245000,1704067200355684,true,ask,42301,1190',
  'deribit,BTC-PERPETUAL,1704067200245000,1704067200355684,true,bid,42299.5,3000',
  'deribit,BTC-PERPETUAL,1704067200245000,1704067200355684,true,bid,42300,25000',
  'deribit,BTC-PERPETUAL,1704067200512000,1704067200520111,false,bid,42300,0',
  'deribit,BTC-PERPETUAL,1704067200512000,1704067200520111,false,bid,42299,500',
  'deribit,BTC-PERPETUAL,1704067200512000,1704067200520111,false,ask,42300.5,18000',
  'deribit,BTC-PERPETUAL,1704067200601000,1704067200608000,false,ask,42302,100',
  // After deltas, snapshot rows start a new snapshot (a reconnect); it spans two arrival times and is
  // stamped with the last, when it is whole. Its zero level is not a level.
  'deribit,BTC-PERPETUAL,1704067260000000,1704067260100000,true,ask,42350,10',
  'deribit,BTC-PERPETUAL,1704067260000000,1704067260100000,true,ask,42351,0',
  'deribit,BTC-PERPETUAL,1704067260000000,1704067260100500,true,bid,42349.5,20',
]

async function read(name: string, rows: readonly string[], options: OpenMarketDataOptions & { gzip?: boolean } = {}) {
  const { gzip, ...open } = options
  const path = tempFile(name, `${rows.join('\n')}\n`, { gzip: gzip ?? false })
  const data = await openMarketData(path, open)
  return { path, data, events: await collectEvents(data.source) }
}

async function failure(name: string, rows: readonly string[], options: OpenMarketDataOptions = {}): Promise<{ path: string; error: unknown }> {
  const path = tempFile(name, `${rows.join('\n')}\n`)
  const error = await openMarketData(path, options)
    .then((d) => collectEvents(d.source))
    .catch((e: unknown) => e)
  return { path, error }
}

describe('Tardis trades', () => {
  it('reads a gzipped file: venue from the exchange column, BTCUSDT → BTC/USDT, µs arrival time → ms', async () => {
    const { data, events } = await read('binance-futures_trades_2024-01-01_BTCUSDT.csv.gz', TRADES, { gzip: true })
    expect(data.info).toMatchObject({ format: 'tardis-trades-csv', gzip: true, venue: 'binance-futures', symbol: undefined })
    const base = { kind: 'trade', venue: 'binance-futures', symbol: 'BTC/USDT' } as const
    expect(events).toEqual<TradeTick[]>([
      { ...base, timestamp: 1704067200104, price: 42314, amount: 0.002, side: 'buy', id: '4447811730' },
      { ...base, timestamp: 1704067200104, price: 42313.9, amount: 0.125, side: 'sell', id: '4447811731' },
      { ...base, timestamp: 1704067200110, price: 42313.9, amount: 0.01 }, // no id, side unknown
    ])
  })

  it('lets --venue and --symbol override the columns', async () => {
    const { events } = await read('binance-futures_trades_2024-01-02_BTCUSDT.csv', TRADES, { venue: 'binance-usdm', symbol: 'BTC/USDT:USDT' })
    expect(events.map((e) => [e.venue, e.symbol])).toEqual(Array(3).fill(['binance-usdm', 'BTC/USDT:USDT']))
  })

  it.each([
    ['a bad side', [TRADES[0]!, TRADES[1]!, TRADES[2]!.replace(',sell,', ',long,')], `FILE:3: field 'side': expected "buy", "sell" or "unknown", got "long"`],
    ['a time in ms with a fraction', [TRADES[0]!, TRADES[1]!.replace('1704067200104512', '1704067200104.512')], `FILE:2: field 'local_timestamp': expected a time in µs, got "1704067200104.512"`],
    ['a negative amount', [TRADES[0]!, TRADES[1]!.replace(',0.002', ',-0.002')], `FILE:2: field 'amount': expected a number > 0, got "-0.002"`],
    ['a missing exchange', [TRADES[0]!, TRADES[1]!.replace('binance-futures', '')], `FILE:2: field 'exchange': missing`],
    ['rows out of order', [TRADES[0]!, TRADES[3]!, TRADES[1]!], "FILE:3: timestamp 1704067200104 is earlier than the previous row's 1704067200110 (rows must be in time order)"],
    ['a header without price', ['exchange,symbol,timestamp,local_timestamp,id,side,amount', 'x,BTCUSDT,1,1,1,buy,1'], 'FILE:1: header lacks column(s) price'],
  ])('refuses %s in one line naming file, line and field', async (_label, rows, message) => {
    const { path, error } = await failure('binance-futures_trades_2024-01-03_BTCUSDT.csv', rows, { format: 'tardis-trades-csv' })
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toBe(message.replace('FILE', path))
  })

  it('asks for --symbol when a symbol does not split, even with skipBadRows (every row would go)', async () => {
    const rows = [TRADES_HEADER, 'deribit,BTC-PERPETUAL,1704067200101000,1704067200104512,1,buy,42314.5,100']
    const { path, error } = await failure('deribit_trades_2024-01-01_BTC-PERPETUAL.csv', rows, { skipBadRows: true })
    expect(error).toEqual(new InputError(`${path}:2: field 'symbol': cannot tell BASE/QUOTE from "BTC-PERPETUAL"; pass --symbol (e.g. BTC/USD:BTC)`))
    const { data, events } = await read('deribit_trades_2024-01-01_BTC-PERPETUAL.csv', rows, { symbol: 'BTC/USD:BTC' })
    expect(data.info.symbol).toBe('BTC/USD:BTC')
    expect(events).toEqual([{ kind: 'trade', venue: 'deribit', symbol: 'BTC/USD:BTC', timestamp: 1704067200104, price: 42314.5, amount: 100, side: 'buy', id: '1' }])
  })

  it('refuses one --symbol for a file of several instruments', async () => {
    const rows = [TRADES_HEADER, 'deribit,BTC-27DEC24,1,1000,1,buy,42314.5,100', 'deribit,BTC-28MAR25,2,2000,2,buy,43314.5,100']
    const { path, error } = await failure('deribit_trades_2024-01-01_FUTURES.csv', rows, { symbol: 'BTC/USD:BTC' })
    expect(error).toEqual(new InputError(`${path}:3: field 'symbol': the file holds BTC-27DEC24 and BTC-28MAR25; a fixed symbol would merge them`))
  })
})

describe('Tardis quotes', () => {
  it('reads BTC-USD as BTC/USD, ask and bid in their own columns', async () => {
    const { data, events } = await read('coinbase_quotes_2024-01-01_BTC-USD.csv', QUOTES)
    expect(data.info).toMatchObject({ format: 'tardis-quotes-csv', venue: 'coinbase' })
    const base = { kind: 'quote', venue: 'coinbase', symbol: 'BTC/USD' } as const
    expect(events).toEqual<QuoteTick[]>([
      { ...base, timestamp: 1704067200015, bid: 42290, bidSize: 1.25, ask: 42290.01, askSize: 0.5 },
      { ...base, timestamp: 1704067200215, bid: 42290.01, bidSize: 0.75, ask: 42290.02, askSize: 0.4 },
    ])
  })

  it.each([
    ['an empty ask (one-sided book)', [QUOTES[0]!, QUOTES[1]!, 'coinbase,BTC-USD,1704067200312345,1704067200315001,,,42290.00,1.25'], `FILE:3: field 'ask_amount': missing`],
    ['a crossed quote', [QUOTES[0]!, QUOTES[1]!.replace('42290.01', '42289.99')], `FILE:2: field 'ask_price': 42289.99 is below bid_price 42290 (crossed quote)`],
  ])('refuses %s in one line', async (_label, rows, message) => {
    const { path, error } = await failure('coinbase_quotes_2024-01-02_BTC-USD.csv', rows)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toBe(message.replace('FILE', path))
  })

  it('counts and skips bad rows with skipBadRows', async () => {
    const rows = [...QUOTES, 'coinbase,BTC-USD,1704067200312345,1704067200315001,0.4,abc,42290.01,0.75']
    const { path, data, events } = await read('coinbase_quotes_2024-01-03_BTC-USD.csv', rows, { skipBadRows: true })
    expect(events).toHaveLength(2)
    expect(data.stats).toMatchObject({ rows: 3, events: 2, badRows: 1, badRowMessages: [`${path}:4: field 'ask_price': expected a number, got "abc"`] })
  })
})

describe('Tardis book snapshots', () => {
  it('reads book_snapshot_5 rows as whole-book snapshots, skipping empty levels', async () => {
    const { data, events } = await read('binance-futures_book_snapshot_5_2024-01-01_BTCUSDT.csv', SNAPSHOTS)
    expect(data.info.format).toBe('tardis-book-snapshot-csv')
    const base = { kind: 'book', venue: 'binance-futures', symbol: 'BTC/USDT', snapshot: true } as const
    expect(events).toEqual<BookUpdate[]>([
      {
        ...base,
        timestamp: 1704067200107,
        asks: [[42314, 1.714], [42314.5, 5.4], [42315.6, 0.238], [42316.1, 0.077], [42317.9, 0.918]],
        bids: [[42313.9, 10.896], [42313.1, 0.2], [42312.8, 0.2], [42312.7, 0.98], [42312.6, 0.111]],
      },
      { ...base, timestamp: 1704067200291, asks: [[42314, 1.2], [42314.5, 5.4]], bids: [[42313.9, 10.9]] },
    ])
  })

  it.each([
    ['levels out of order', [SNAPSHOTS[0]!, SNAPSHOTS[1]!.replace('42315.6,0.238', '42314.2,0.238')], `FILE:2: field 'asks[2].price': 42314.2 is not above the level before it (42314.5)`],
    ['a level with a price and no amount', [SNAPSHOTS[0]!, SNAPSHOTS[2]!.replace(',5.4,,', ',,,')], `FILE:2: field 'asks[1].amount': missing`],
    ['a header with no levels', [snapshotHeader(0), 'binance-futures,BTCUSDT,1,1'], 'FILE:1: header lacks column(s) asks[0].price, asks[0].amount, bids[0].price, bids[0].amount'],
  ])('refuses %s in one line', async (_label, rows, message) => {
    const { path, error } = await failure('binance-futures_book_snapshot_5_2024-01-02_BTCUSDT.csv', rows, { format: 'tardis-book-snapshot-csv' })
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toBe(message.replace('FILE', path))
  })
})

describe('Tardis incremental_book_L2', () => {
  it('groups rows into snapshots and deltas, sorted bids down and asks up', async () => {
    const { data, events } = await read('deribit_incremental_book_L2_2024-01-01_BTC-PERPETUAL.csv.gz', L2, { symbol: 'BTC/USD:BTC', gzip: true })
    expect(data.info).toMatchObject({ format: 'tardis-incremental-book-csv', venue: 'deribit', symbol: 'BTC/USD:BTC' })
    expect(data.stats).toMatchObject({ rows: 11, events: 4, badRows: 0 })
    const base = { kind: 'book', venue: 'deribit', symbol: 'BTC/USD:BTC' } as const
    expect(events).toEqual<BookUpdate[]>([
      { ...base, timestamp: 1704067200355, snapshot: true, bids: [[42300, 25000], [42299.5, 3000]], asks: [[42300.5, 18640], [42301, 1190]] },
      { ...base, timestamp: 1704067200520, snapshot: false, bids: [[42300, 0], [42299, 500]], asks: [[42300.5, 18000]] },
      { ...base, timestamp: 1704067200608, snapshot: false, bids: [], asks: [[42302, 100]] },
      { ...base, timestamp: 1704067260100, snapshot: true, bids: [[42349.5, 20]], asks: [[42350, 10]] },
    ])
  })

  it.each([
    ['a bad is_snapshot', [L2[0]!, L2[1]!, L2[2]!.replace(',true,', ',yes,')], `FILE:3: field 'is_snapshot': expected true or false, got "yes"`],
    ['a bad side', [L2[0]!, L2[1]!.replace(',ask,', ',buy,')], `FILE:2: field 'side': expected "bid" or "ask", got "buy"`],
    ['a negative amount', [L2[0]!, L2[1]!, L2[5]!.replace(',0', ',-1')], `FILE:3: field 'amount': expected a number >= 0, got "-1"`],
    ['a row earlier than the one before', [L2[0]!, L2[8]!, L2[5]!], "FILE:3: timestamp 1704067200520 is earlier than the previous row's 1704067200608 (rows must be in time order)"],
  ])('refuses %s in one line naming file, line and field', async (_label, rows, message) => {
    const { path, error } = await failure('deribit_incremental_book_L2_2024-01-02_BTC-PERPETUAL.csv', rows, { symbol: 'BTC/USD:BTC' })
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toBe(message.replace('FILE', path))
  })

  it('skips a bad level with skipBadRows and keeps the rest of its event', async () => {
    const rows = [L2[0]!, ...L2.slice(1, 5), L2[5]!.replace(',bid,', ',b,'), L2[6]!]
    const { data, events } = await read('deribit_incremental_book_L2_2024-01-03_BTC-PERPETUAL.csv', rows, { symbol: 'BTC/USD:BTC', skipBadRows: true })
    expect(data.stats).toMatchObject({ rows: 6, events: 2, badRows: 1 })
    expect(events[1]).toMatchObject({ snapshot: false, bids: [[42299, 500]], asks: [] })
  })
})

describe('Tardis detection and symbols', () => {
  it.each([
    ['binance-futures_trades_2024-01-01_BTCUSDT.csv.gz', TRADES_HEADER, 'tardis-trades-csv'],
    ['x.csv', QUOTES_HEADER, 'tardis-quotes-csv'],
    ['binance-futures_book_snapshot_25_2024-01-01_BTCUSDT.csv.gz', snapshotHeader(25), 'tardis-book-snapshot-csv'],
    ['x.csv', snapshotHeader(5), 'tardis-book-snapshot-csv'],
    ['deribit_incremental_book_L2_2024-01-01_BTC-PERPETUAL.csv.gz', L2_HEADER, 'tardis-incremental-book-csv'],
  ])('%s → %s', (path, header, want) => {
    expect(detectFormat(path, `${header}\n`)).toBe(want)
  })

  it('refuses liquidations, which carry the trades columns, unless told', async () => {
    expect(() => detectFormat('binance-futures_liquidations_2024-01-01_BTCUSDT.csv.gz', `${TRADES_HEADER}\n`)).toThrow(
      new InputError('binance-futures_liquidations_2024-01-01_BTCUSDT.csv.gz: Tardis liquidations (trades\' columns, but forced closes only); pass --format tardis-trades-csv to read them as trades anyway'),
    )
    const { events } = await read('binance-futures_liquidations_2024-01-01_BTCUSDT.csv', TRADES.slice(0, 2), { format: 'tardis-trades-csv' })
    expect(events).toHaveLength(1)
  })

  it.each([
    ['BTCUSDT', 'BTC/USDT'],
    ['ETHBTC', 'ETH/BTC'],
    ['btcusdt', 'BTC/USDT'],
    ['BTC-USD', 'BTC/USD'],
    ['ETH_BTC', 'ETH/BTC'],
    ['BTC/USDT:USDT', 'BTC/USDT:USDT'],
    ['BTC-PERPETUAL', undefined],
    ['BTC-USDT-SWAP', undefined],
    ['BTCUSD_PERP', undefined],
    ['ETH-27DEC24', undefined],
    ['BTC-31MAY24-70000-C', undefined],
    ['FOO', undefined],
  ])('ccxtSymbolOf(%s) = %s', (raw, want) => {
    expect(ccxtSymbolOf(raw)).toBe(want)
  })
})
