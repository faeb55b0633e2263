/**
 * `sofia backtest` on the public dump layouts (Binance data.binance.vision, Tardis.dev CSV) and `--format`.
 * No such dump is in ../shared/data and the tests run offline, so the files are made here from real rows of
 * ../shared/data (Binance XRP/ETH 1m candles and aggTrades), laid out as the published formats lay them out.
 * The same rows in another layout must give the same report, to the last digit.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { DATA_FORMATS } from '../src/data/index.js'
import { SHARED_DATA, sofia } from './helpers.js'

type Candle = [number, number, number, number, number, number]
type FreqtradeTrade = [number, string, null, 'buy' | 'sell', number, number, number]

const CANDLES = join(SHARED_DATA, 'candles', 'binance_XRP-ETH_1m_2019-10-11_2019-10-13.json')
const TRADES = join(SHARED_DATA, 'trades', 'binance_XRP-ETH_trades_2019-10-11_2019-10-13.json.gz')

const dir = mkdtempSync(join(tmpdir(), 'sofia-public-formats-'))
const fixed = (x: number): string => x.toFixed(8)

/** Backtests one file; returns the exit code, stderr and the report written by --out (no wall-clock figures). */
function backtest(data: string, args: string[] = []): { code: number; stderr: string; report: Record<string, unknown> | undefined } {
  const out = join(dir, `report-${Math.random().toString(36).slice(2)}.json`)
  const r = sofia(['backtest', '--strategy', 'sma-cross', '--data', data, '--store', 'none', '--json', '--out', out, ...args])
  let report: Record<string, unknown> | undefined
  if (r.code === 0) {
    const { data: _paths, ...rest } = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>
    report = rest
  }
  return { code: r.code, stderr: r.stderr, report }
}

describe('backtests on Binance and Tardis dump layouts', () => {
  let candlesReport: Record<string, unknown>
  let tradesReport: Record<string, unknown>
  const files = {
    klines: join(dir, 'XRPETH-1m-2019-10-11.csv'),
    klinesMicros: join(dir, 'us', 'XRPETH-1m-2019-10-11.csv'),
    aggTrades: join(dir, 'XRPETH-aggTrades-2019-10-11.csv'),
    tardisTrades: join(dir, 'binance_trades_2019-10-11_XRPETH.csv'),
    tardisLiquidations: join(dir, 'binance_liquidations_2019-10-11_XRPETH.csv'),
  }

  beforeAll(() => {
    const candles = JSON.parse(readFileSync(CANDLES, 'utf8')) as Candle[]
    const trades = JSON.parse(gunzipSync(readFileSync(TRADES)).toString('utf8')) as FreqtradeTrade[]
    // klines: open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore
    const kline = (unit: number) => ([t, o, h, l, c, v]: Candle): string =>
      [t * unit, fixed(o), fixed(h), fixed(l), fixed(c), fixed(v), (t + 60_000) * unit - 1, fixed(v * c), 0, fixed(0), fixed(0), 0].join(',')
    writeFileSync(files.klines, `${candles.map(kline(1)).join('\n')}\n`)
    mkdirSync(join(dir, 'us'))
    writeFileSync(files.klinesMicros, `${candles.map(kline(1000)).join('\n')}\n`)
    // aggTrades: agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match
    writeFileSync(
      files.aggTrades,
      `${trades.map(([t, id, , side, p, a]) => [id, fixed(p), fixed(a), id, id, t, side === 'sell' ? 'True' : 'False', 'True'].join(',')).join('\n')}\n`,
    )
    // Tardis trades, arriving 0.123 ms after the exchange's time (the same ms).
    const tardis = ['exchange,symbol,timestamp,local_timestamp,id,side,price,amount']
    for (const [t, id, , side, p, a] of trades) tardis.push(['binance', 'XRPETH', t * 1000, t * 1000 + 123, id, side, p, a].join(','))
    writeFileSync(files.tardisTrades, `${tardis.join('\n')}\n`)
    writeFileSync(files.tardisLiquidations, `${tardis.slice(0, 200).join('\n')}\n`)

    const c = backtest(CANDLES)
    const t = backtest(TRADES)
    expect(c.code).toBe(0)
    expect(t.code).toBe(0)
    candlesReport = c.report!
    tradesReport = t.report!
  })

  it('klines (ms, no header) trade as the same candles in freqtrade JSON do', () => {
    const r = backtest(files.klines)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.report).toMatchObject({ events: 3560, strategies: [{ params: { timeframe: '1m' } }] })
    expect(r.report!['fills']).toBeGreaterThan(0)
    expect(r.report).toEqual(candlesReport)
  })

  it('klines with µs times (spot dumps since 2025) give the same report', () => {
    const r = backtest(files.klinesMicros)
    expect(r.code).toBe(0)
    expect(r.report).toEqual(candlesReport)
  })

  it('aggTrades and Tardis trades give the report of the same trades in freqtrade JSON', () => {
    for (const file of [files.aggTrades, files.tardisTrades]) {
      const r = backtest(file)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.report!['fills']).toBeGreaterThan(0)
      expect(r.report).toEqual(tradesReport)
    }
  })

  it('a malformed row exits 2 with one line naming file, line and field', () => {
    const lines = readFileSync(files.klines, 'utf8').split('\n')
    lines[99] = lines[99]!.replace(/^(\d+),[^,]+,/, '$1,0.0014x,')
    const bad = join(dir, 'XRPETH-1m-2019-10-12.csv')
    writeFileSync(bad, lines.join('\n'))
    const r = backtest(bad)
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(`${bad}:100: field 'open': expected a number, got "0.0014x"`)
  })

  it('--format overrides detection: Tardis liquidations are refused by name, and read as trades when told', () => {
    const refused = backtest(files.tardisLiquidations)
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toContain('pass --format tardis-trades-csv')
    const told = backtest(files.tardisLiquidations, ['--format', 'tardis-trades-csv'])
    expect(told.stderr).toBe('')
    expect(told.code).toBe(0)
    expect(told.report).toMatchObject({ events: 199 })
  })

  it('--format with an unknown name exits 2 with one line listing the formats', () => {
    const r = backtest(files.klines, ['--format', 'bogus'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(`--format: unknown format 'bogus' (one of ${DATA_FORMATS.join(', ')})`)
  })
})
