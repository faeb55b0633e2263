import { describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { DATA_FORMATS } from './data-format.js'
import { collectEvents, openMarketData, type OpenMarketDataOptions } from './open-market-data.js'
import { tempFile, tempPath } from './test-helpers.js'

async function readAll(path: string, options: OpenMarketDataOptions = {}): Promise<unknown[]> {
  const data = await openMarketData(path, options)
  return collectEvents(data.source)
}

const SOFIA_HEADER = 'timestamp,venue,symbol,kind,price,amount,side,bid,bid_size,ask,ask_size'

interface BadCase {
  name: string
  file: string
  content: string
  options?: OpenMarketDataOptions
  /** Message with `FILE` standing for the path. */
  message: string
}

const BAD: BadCase[] = [
  {
    name: 'ohlcv-json: a negative price',
    file: 'binance_BTC-USDT_1m_x.json',
    content: '[[1637193600000,100,101,99,100.5,3],[1637193660000,-1,101,99,100.5,3]]',
    message: `FILE: record 2: field 'open': expected a price > 0, got -1`,
  },
  {
    name: 'ohlcv-json: a string price is named by its own field',
    file: 'binance_BTC-USDT_1m_x.json',
    content: '[[1637193600000,"abc",101,99,100.5,3]]',
    message: `FILE: record 1: field 'open': expected a number, got "abc"`,
  },
  {
    name: 'sofia-csv: bad number',
    file: 'x.csv',
    content: `${SOFIA_HEADER}\n1000,alpha,BTC/USDT,trade,abc,1,buy,,,,\n`,
    message: `FILE:2: field 'price': expected a number, got "abc"`,
  },
  {
    name: 'sofia-csv: missing field',
    file: 'x.csv',
    content: `${SOFIA_HEADER}\n1000,alpha,BTC/USDT,quote,,,,100,1,101,2\n1001,alpha,BTC/USDT,quote,,,,100,1\n`,
    message: `FILE:3: field 'ask': missing`,
  },
  {
    name: 'sofia-csv: out of order',
    file: 'x.csv',
    content: `${SOFIA_HEADER}\n1000,alpha,BTC/USDT,trade,10,1,buy,,,,\n999,alpha,BTC/USDT,trade,10,1,sell,,,,\n`,
    message: 'FILE:3: timestamp 999 is earlier than the previous row\'s 1000 (rows must be in time order)',
  },
  {
    name: 'sofia-csv: bad kind',
    file: 'x.csv',
    content: `${SOFIA_HEADER}\n1000,alpha,BTC/USDT,trad,10,1,buy,,,,\n`,
    message: `FILE:2: field 'kind': expected "trade" or "quote", got "trad"`,
  },
  {
    name: 'sofia-csv: crossed quote',
    file: 'x.csv',
    content: `${SOFIA_HEADER}\n1000,alpha,BTC/USDT,quote,,,,101,1,100,1\n`,
    message: `FILE:2: field 'ask': 100 is below bid 101 (crossed quote)`,
  },
  {
    name: 'sofia-csv: unknown column',
    file: 'x.csv',
    content: 'timestamp,kind,prcie\n1,trade,1\n',
    options: { symbol: 'BTC/USDT' },
    message: `FILE:1: unknown column 'prcie' (known: timestamp, venue, symbol, kind, price, amount, side, bid, bid_size, ask, ask_size, id)`,
  },
  {
    name: 'sofia-csv: header only',
    file: 'x.csv',
    content: `${SOFIA_HEADER}\n`,
    message: 'FILE: no data rows after the header',
  },
  {
    name: 'ohlcv-json: bad number in record 2',
    file: 'binance_BTC-USDT_1m.json',
    content: '[[60000,1,2,0.5,1.5,10],\n[120000,1,"x",0.5,1.5,10]]',
    message: `FILE: record 2: field 'high': expected a number, got "x"`,
  },
  {
    name: 'ohlcv-json: missing field',
    file: 'binance_BTC-USDT_1m.json',
    content: '[[60000,1,2,0.5]]',
    message: `FILE: record 1: field 'close': missing`,
  },
  {
    name: 'ohlcv-json: out of order',
    file: 'binance_BTC-USDT_1m.json',
    content: '[[120000,1,2,0.5,1.5,10],[60000,1,2,0.5,1.5,10]]',
    message: "FILE: record 2: timestamp 60000 is earlier than the previous row's 120000 (rows must be in time order)",
  },
  {
    name: 'ohlcv-json: truncated',
    file: 'binance_BTC-USDT_1m.json',
    content: '[[60000,1,2,0.5,1.5,10],[120000,1,2',
    message: 'FILE: record 2: file ends inside the array (truncated?)',
  },
  {
    name: 'ohlcv-json: no timeframe',
    file: 'btc.json',
    content: '[[60000,1,2,0.5,1.5,10]]',
    options: { symbol: 'BTC/USDT' },
    message: 'FILE: cannot tell the timeframe from the file name; pass a timeframe (e.g. 1m, 5m, 1h)',
  },
  {
    name: 'ohlcv-json: empty array',
    file: 'binance_BTC-USDT_1m.json',
    content: '[ ]',
    message: 'FILE: no records (empty array)',
  },
  {
    name: 'trades-json.gz: bad side',
    file: 'binance_BTC-USDT_trades.json.gz',
    content: '[[1000,"1",null,"long",100,1,100]]',
    message: `FILE: record 1: field 'side': expected "buy", "sell" or null, got "long"`,
  },
  {
    name: 'ccxt-trades-json: not an object',
    file: 'binance_BTC-USDT_trades.json',
    content: '[{"timestamp":1000,"price":1,"amount":1},[1]]',
    message: 'FILE: record 2: expected a CCXT trade object {timestamp, price, amount, side, id}, got [1]',
  },
  {
    name: 'kraken: negative volume',
    file: 'kraken_BCH-EUR_trades.csv',
    content: '1672531436,90.54,1\n1672531437,90.5,-2\n',
    message: `FILE:2: field 'volume': expected a number > 0, got "-2"`,
  },
  {
    name: 'ohlcv-csv: bad ISO time',
    file: 'kraken_BTC-EUR_1h.csv',
    content: 'timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1,3\nyesterday,1,2,0.5,1,3\n',
    message: `FILE:3: field 'timestamp': expected a timestamp in ms or ISO 8601, got "yesterday"`,
  },
  {
    name: 'ohlcv-csv: a date that is not ISO 8601 (which day is 1/2/2024?)',
    file: 'kraken_BTC-EUR_1h.csv',
    content: 'date,open,high,low,close,volume\n2024-01-01 00:00:00,1,2,0.5,1,3\n1/2/2024 00:00,1,2,0.5,1,3\n',
    message: `FILE:3: field 'date': expected a timestamp in ms or ISO 8601, got "1/2/2024 00:00"`,
  },
  {
    name: 'ohlcv-csv: a day that does not exist',
    file: 'kraken_BTC-EUR_1h.csv',
    content: 'datetime,open,high,low,close,volume\n2023-02-29T00:00:00Z,1,2,0.5,1,3\n',
    message: `FILE:2: field 'datetime': expected a timestamp in ms or ISO 8601, got "2023-02-29T00:00:00Z"`,
  },
  {
    name: 'ohlcv-csv read as told: no time column',
    file: 'kraken_BTC-EUR_1h.csv',
    content: 'when,open,high,low,close,volume\n2024-01-01,1,2,0.5,1,3\n',
    options: { format: 'ohlcv-csv' },
    message: 'FILE:1: header lacks column(s) a time (timestamp, datetime, date, time, open_time)',
  },
  {
    name: 'binance-depth: bad side',
    file: 'binance_BTCUSDT_depth.csv',
    content: 'symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\nBTCUSDT,1,1,1,x,snap,100,1,-1\n',
    message: `FILE:2: field 'side': expected "b" or "a", got "x"`,
  },
]

describe('bad input', () => {
  it.each(BAD)('$name', async (c) => {
    const path = tempFile(c.file, c.content, { gzip: c.file.endsWith('.gz') })
    const error = await readAll(path, c.options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toBe(c.message.replace('FILE', path))
  })

  it('names a missing file', async () => {
    const path = tempPath('nope.csv')
    await expect(openMarketData(path)).rejects.toThrow(new InputError(`no such file: ${path}`))
  })

  it.each([
    ['zero bytes', ''],
    ['whitespace only', '  \n\n'],
  ])('rejects an empty file (%s)', async (_label, content) => {
    const path = tempFile('empty.csv', content)
    await expect(openMarketData(path)).rejects.toThrow(new InputError(`${path}: empty file`))
  })

  it('rejects corrupt gzip data with the file name', async () => {
    const good = tempFile('binance_BTC-USDT_trades.json.gz', '[[1000,"1",null,"buy",100,1,100]]', { gzip: true })
    const { readFileSync, writeFileSync } = await import('node:fs')
    const bytes = readFileSync(good)
    const path = tempPath('binance_BTC-USDT_trades2.json.gz')
    writeFileSync(path, bytes.subarray(0, bytes.length - 12))
    const error = await readAll(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `))
  })

  it('rejects an unknown format and a symbol it cannot infer', async () => {
    const path = tempFile('mystery.txt', 'hello,world\n')
    await expect(openMarketData(path)).rejects.toThrow(
      new InputError(`${path}: cannot tell the data format from the name and first line "hello,world"; pass --format (one of ${DATA_FORMATS.join(', ')})`),
    )
    const trades = tempFile('trades.json', '[[1000,"1",null,"buy",100,1,100]]')
    await expect(readAll(trades)).rejects.toThrow(`${trades}: cannot tell the symbol from the file name; pass a symbol (e.g. BTC/USDT)`)
  })

  it('counts and skips bad rows with skipBadRows, keeping the first messages', async () => {
    const rows = [SOFIA_HEADER]
    for (let i = 0; i < 30; i++) {
      rows.push(`${1000 + i},alpha,BTC/USDT,trade,10,1,buy,,,,`)
      rows.push(`${1000 + i},alpha,BTC/USDT,trade,ten,1,buy,,,,`)
    }
    rows.push('5,alpha,BTC/USDT,trade,10,1,buy,,,,') // out of order
    const path = tempFile('skip.csv', rows.join('\n') + '\n')
    const data = await openMarketData(path, { skipBadRows: true })
    const events = await collectEvents(data.source)
    expect(events).toHaveLength(30)
    expect(data.stats).toMatchObject({ rows: 61, events: 30, badRows: 31 })
    expect(data.stats.badRowMessages).toHaveLength(10)
    expect(data.stats.badRowMessages[0]).toBe(`${path}:3: field 'price': expected a number, got "ten"`)
  })

  it('skips bad JSON records too', async () => {
    const path = tempFile('binance_BTC-USDT_5m.json', '[[0,1,1,1,1,1],[300000,1,,1,1,1],[600000,1,1,1,1,null]]')
    const data = await openMarketData(path, { skipBadRows: true })
    expect(await collectEvents(data.source)).toHaveLength(2)
    expect(data.stats.badRows).toBe(1)
    expect(data.stats.badRowMessages[0]).toMatch(new RegExp(`record 2: not valid JSON`))
  })

  it('names the file of a line or a record too long to be market data, instead of running out of string', async () => {
    const huge = 'x'.repeat(65 * 2 ** 20)
    const csv = tempFile('kraken_BCH-EUR_trades.csv', `1672531436,90.54,1\n${huge}`)
    await expect(readAll(csv)).rejects.toThrow(new InputError(`${csv}: no line break in 64 MiB from character 19: not a line-based data file`))
    const json = tempFile('binance_BTC-USDT_1m.json', `[[60000,1,2,0.5,1.5,10],["${huge}"]]`)
    await expect(readAll(json)).rejects.toThrow(new InputError(`${json}: record 2 is longer than 64 MiB`))
  })

  it('reads a file as the format given, and names the formats when the one given is unknown', async () => {
    // Kraken-shaped rows read as Sofia CSV: the header check then says what is wrong, in that format's words.
    const path = tempFile('kraken_BCH-EUR_trades.csv', '1672531436,90.54,1\n')
    const forced = await openMarketData(path, { format: 'sofia-csv' })
    expect(forced.info.format).toBe('sofia-csv')
    await expect(collectEvents(forced.source)).rejects.toThrow(`${path}:1: unknown column '1672531436'`)
    const bogus = { format: 'bogus' } as unknown as OpenMarketDataOptions
    await expect(openMarketData(path, bogus)).rejects.toThrow(new InputError(`${path}: unknown format 'bogus' (one of ${DATA_FORMATS.join(', ')})`))
  })

  it.each([
    [{ batchSize: 0 }, 'batchSize must be a positive integer, got 0'],
    [{ timeframe: '7x' }, "bad timeframe '7x' (expected e.g. 1m, 5m, 1h, 1d)"],
    [{ from: 10, to: 5 }, 'to (5) is before from (10)'],
  ] as const)('rejects bad options %j', async (options, message) => {
    const path = tempFile('kraken_BCH-EUR_trades.csv', '1672531436,90.54,1\n')
    await expect(openMarketData(path, options)).rejects.toThrow(new InputError(message))
  })
})
