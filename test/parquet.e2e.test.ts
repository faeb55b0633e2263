/**
 * Parquet trades and candles through `sofia backtest`: real files of ../shared/data are written as Parquet (with
 * hyparquet-writer, several row groups, the column names and types other tools use), and the backtest on the
 * Parquet file must give exactly the report of the backtest on the original. A bad value is one line naming the
 * file, the record and the field, exit 2.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parquetWriteFile } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { collectEvents, openMarketData } from '../src/data/index.js'
import type { Bar, TradeTick } from '../src/model/index.js'
import { SHARED_DATA, sofia } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'sofia-parquet-'))

interface Report {
  fills: number
  orders: Record<string, number>
  netPnl: string
  finalEquity: string
  events?: number
}

function backtest(args: string[]): Report & Record<string, unknown> {
  const r = sofia(['backtest', '--store', 'none', '--json', ...args])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as Report & Record<string, unknown>
}

/** The parts of a report that depend on the data only (not on timing or file names). */
const essence = (r: Report & Record<string, unknown>): unknown => ({ events: r.events, fills: r.fills, orders: r.orders, netPnl: r.netPnl, finalEquity: r.finalEquity })

describe('Parquet market data', () => {
  it('trades: a backtest on Parquet (ms INT64 times, side and id, 4 row groups) equals the one on the original JSON', async () => {
    const source = join(SHARED_DATA, 'trades/binance_XRP-ETH_trades_2019-10-11_2019-10-13.json.gz')
    const ticks = (await collectEvents((await openMarketData(source)).source)) as TradeTick[]
    expect(ticks.length).toBeGreaterThan(10_000)
    const file = join(dir, 'binance_XRP-ETH_trades_2019-10-11_2019-10-13.parquet')
    parquetWriteFile({
      filename: file,
      rowGroupSize: Math.ceil(ticks.length / 4),
      columnData: [
        { name: 'timestamp', data: ticks.map((t) => BigInt(t.timestamp)), type: 'INT64' },
        { name: 'price', data: ticks.map((t) => t.price), type: 'DOUBLE' },
        { name: 'amount', data: ticks.map((t) => t.amount), type: 'DOUBLE' },
        { name: 'side', data: ticks.map((t) => t.side ?? null), type: 'STRING' },
        { name: 'id', data: ticks.map((t) => t.id ?? null), type: 'STRING' },
      ],
    })
    const read = (await collectEvents((await openMarketData(file)).source)) as TradeTick[]
    expect(read).toEqual(ticks)
    const original = backtest(['--strategy', 'sma-cross', '--data', source])
    const parquet = backtest(['--strategy', 'sma-cross', '--data', file])
    expect(original.fills).toBeGreaterThan(0)
    expect(essence(parquet)).toEqual(essence(original))
  })

  it('candles: TIMESTAMP times and capitalised column names (Open, High, …) give the same bars and backtest', async () => {
    const source = join(SHARED_DATA, 'candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json')
    const bars = (await collectEvents((await openMarketData(source)).source)) as Bar[]
    const file = join(dir, 'bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.parquet')
    parquetWriteFile({
      filename: file,
      rowGroupSize: 1_000,
      columnData: [
        { name: 'Date', data: bars.map((b) => new Date(b.timestamp)), type: 'TIMESTAMP' },
        { name: 'Open', data: bars.map((b) => b.open), type: 'DOUBLE' },
        { name: 'High', data: bars.map((b) => b.high), type: 'DOUBLE' },
        { name: 'Low', data: bars.map((b) => b.low), type: 'DOUBLE' },
        { name: 'Close', data: bars.map((b) => b.close), type: 'DOUBLE' },
        { name: 'Volume', data: bars.map((b) => b.volume), type: 'DOUBLE' },
      ],
    })
    const data = await openMarketData(file)
    expect(data.info).toMatchObject({ format: 'ohlcv-parquet', venue: 'bittrex', symbol: 'ETH/BTC', timeframe: '5m' })
    expect(await collectEvents(data.source)).toEqual(bars)
    expect(essence(backtest(['--strategy', 'sma-cross', '--data', file]))).toEqual(essence(backtest(['--strategy', 'sma-cross', '--data', source])))
  })

  it('a bad value is one line naming file, record and field (exit 2); a file of other columns says what it has', () => {
    const bad = join(dir, 'kraken_BCH-EUR_trades_bad.parquet')
    parquetWriteFile({
      filename: bad,
      columnData: [
        { name: 'time', data: [1_672_531_200.5, 1_672_531_201, 1_672_531_202], type: 'DOUBLE' },
        { name: 'price', data: [95.1, 95.2, -1], type: 'DOUBLE' },
        { name: 'qty', data: [1, 2, 3], type: 'DOUBLE' },
      ],
    })
    const r = sofia(['backtest', '--strategy', 'sma-cross', '--data', bad, '--store', 'none'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`sofia: ${bad}: record 3: field 'price': expected a number > 0, got -1\n`)
    const other = join(dir, 'other.parquet')
    parquetWriteFile({ filename: other, columnData: [{ name: 'name', data: ['a'], type: 'STRING' }] })
    const o = sofia(['backtest', '--strategy', 'sma-cross', '--data', other, '--store', 'none'])
    expect(o.code).toBe(2)
    expect(o.stderr).toBe(`sofia: ${other}: a Parquet file with neither candle columns (open, high, low, close) nor trade columns (price, amount); it has name\n`)
  })
})
