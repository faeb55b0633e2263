/**
 * Backtests that work the first time on real data: the default `sma-cross`, with no parameters, trades every
 * candle file in ../shared/data on the data's own timeframe, is never refused for funds, and its equity adds
 * up to its P&L. A funding-rate file (candle-shaped, not prices) is refused in one line. Runtime monitors act
 * only when configured, and the report then says what they did.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Decimal } from '../src/model/index.js'
import { SHARED_DATA, sofia } from './helpers.js'

interface Report {
  strategies: { id: string; params: Record<string, string> }[]
  initialEquity: string
  finalEquity: string
  netPnl: string
  orders: { submitted: number; denied: number; rejected: number; filled: number }
  fills: number
  notTraded: { rejected: Record<string, number>; denied: Record<string, number> }
  stateChanges: { at: string; what: string; cause: string }[]
  monitors: string[]
}

const CANDLES = join(SHARED_DATA, 'candles')
const files = readdirSync(CANDLES).filter((f) => f.endsWith('.json') || f.endsWith('.csv') || f.endsWith('.gz'))

function backtest(file: string, args: string[] = [], cwd?: string): { code: number; stdout: string; stderr: string } {
  return sofia(['backtest', '--strategy', 'sma-cross', '--data', join(CANDLES, file), '--store', 'none', '--json', ...args], cwd !== undefined ? { cwd } : {})
}

describe('the default sma-cross on every candle file of ../shared/data', () => {
  it('finds candle files to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(5)
  })

  for (const file of files) {
    if (/funding/.test(file)) {
      it(`${file}: refused in one line, exit 2 (funding rates are not prices)`, () => {
        const r = backtest(file)
        expect(r.code).toBe(2)
        expect(r.stdout).toBe('')
        expect(r.stderr.trim().split('\n')).toHaveLength(1)
        expect(r.stderr).toContain(file)
        expect(r.stderr).toMatch(/funding-rate rows/)
      })
      continue
    }
    it(`${file}: trades on the data's timeframe with no rejection or denial, and equity adds up`, () => {
      const r = backtest(file)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const report = JSON.parse(r.stdout) as Report
      const timeframe = /_(\d+[mhdw])[_-]/.exec(file)![1]
      expect(report.strategies[0]!.params['timeframe']).toBe(timeframe)
      expect(report.fills).toBeGreaterThan(0)
      expect(report.orders.rejected).toBe(0)
      expect(report.orders.denied).toBe(0)
      expect(report.notTraded).toEqual({ rejected: {}, denied: {} })
      expect(report.monitors).toEqual([])
      expect(report.stateChanges).toEqual([])
      // Every held asset is valued (a perpetual-only file marks its contract, not a spot pair).
      expect(new Decimal(report.finalEquity).sub(report.initialEquity).toString()).toBe(new Decimal(report.netPnl).toString())
      // A starting balance that makes sense in the quote: 1 BTC, 10 ETH, 10,000 USDT (not 10,000 BTC).
      const quote = /-([A-Z]+)(?:-[A-Z]+)?_\d+[mhdw]/.exec(file)![1]
      expect(report.initialEquity).toBe({ BTC: '1', ETH: '10', USDT: '10000' }[quote!])
    })
  }

  it('an explicit timeframe wins over the data\'s', () => {
    const r = backtest('binance_XRP-ETH_5m_2019-10-11_2019-10-13.json', ['--param', 'timeframe=1m'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    expect(report.strategies[0]!.params['timeframe']).toBe('1m')
    expect(report.fills).toBe(0)
  })
})

describe('Sharpe and Sortino', () => {
  it('are n/a (null) on a run too short to annualize, and figures on a long one', () => {
    const short = backtest('binance_XRP-ETH_5m_2019-10-11_2019-10-13.json', ['--to', '2019-10-11T00:20:00Z'])
    expect(short.code).toBe(0)
    expect(JSON.parse(short.stdout)).toMatchObject({ sharpe: null, sortino: null })
    const text = sofia(['backtest', '--strategy', 'sma-cross', '--data', join(CANDLES, 'binance_XRP-ETH_5m_2019-10-11_2019-10-13.json'), '--to', '2019-10-11T00:20:00Z', '--store', 'none'])
    expect(text.stdout).toMatch(/^Sharpe +n\/a \(too few equity samples\)$/m)
    const long = JSON.parse(backtest('binance_XRP-ETH_5m_2019-10-11_2019-10-13.json').stdout) as { sharpe: unknown }
    expect(typeof long.sharpe).toBe('number')
  })
})

describe('runtime monitors in a backtest', () => {
  it('act when risk.monitors is configured: the report lists them, the trip, and the denials it caused', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sofia-bt-monitors-'))
    writeFileSync(join(cwd, 'sofia.yaml'), 'risk:\n  monitors:\n    drawdownPct: { warning: 0.02, critical: 0.05 }\n')
    const r = backtest('bittrex_LTC-BTC_5m_2018-01-10_2018-01-30.json', [], cwd)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as Report
    expect(report.monitors).toContain('drawdown')
    expect(report.stateChanges[0]).toMatchObject({ what: 'kill switch activated' })
    expect(report.stateChanges[0]!.cause).toMatch(/^drawdown: drawdown critical/)
    expect(report.orders.denied).toBeGreaterThan(0)
    expect(report.notTraded.denied['TRADING_HALTED']).toBe(report.orders.denied)
    const text = sofia(['backtest', '--strategy', 'sma-cross', '--data', join(CANDLES, 'bittrex_LTC-BTC_5m_2018-01-10_2018-01-30.json'), '--store', 'none'], { cwd })
    expect(text.stdout).toMatch(/^trading state\n {2}2018-\S+ {2}kill switch activated: drawdown: /m)
    expect(text.stdout).toMatch(/^ {2}denied \d+×: TRADING_HALTED$/m)
  })
})
