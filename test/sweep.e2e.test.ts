/**
 * `sofia sweep`: every combination of a grid, across worker threads, gives exactly what `sofia backtest` gives
 * for those parameters; the result does not depend on the number of workers; a user's strategy file sweeps
 * too; bad grids are one line, exit 2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA, sofia } from './helpers.js'

const LTC_5M = join(SHARED_DATA, 'candles/bittrex_LTC-BTC_5m_2018-01-10_2018-01-30.json')

interface Sweep {
  strategy: string
  results: { params: Record<string, string>; netPnl: string; fills: number; orders: number; sharpe: number | null; maxDrawdown: string; maxDrawdownPct: number }[]
}

function sweep(args: string[], cwd?: string): Sweep {
  const r = sofia(['sweep', ...args, '--json'], cwd !== undefined ? { cwd } : {})
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as Sweep
}

describe('sofia sweep', () => {
  it('runs every combination in grid order, each exactly as sofia backtest would, whatever the workers', () => {
    const args = ['--strategy', 'sma-cross', '--grid', 'fast=5,10,20', '--grid', 'slow=40,60', '--data', LTC_5M]
    const two = sweep([...args, '--workers', '2'])
    expect(two.results.map((r) => [r.params['fast'], r.params['slow']])).toEqual([
      ['5', '40'],
      ['5', '60'],
      ['10', '40'],
      ['10', '60'],
      ['20', '40'],
      ['20', '60'],
    ])
    expect(sweep([...args, '--workers', '1']).results).toEqual(two.results)
    for (const pick of [two.results[1]!, two.results[4]!]) {
      const b = sofia(['backtest', '--strategy', 'sma-cross', '--param', `fast=${pick.params['fast']}`, '--param', `slow=${pick.params['slow']}`, '--data', LTC_5M, '--store', 'none', '--json'])
      const report = JSON.parse(b.stdout) as { netPnl: string; fills: number; sharpe: number | null; maxDrawdown: string }
      expect({ netPnl: pick.netPnl, fills: pick.fills, sharpe: pick.sharpe, maxDrawdown: pick.maxDrawdown }).toEqual({
        netPnl: report.netPnl,
        fills: report.fills,
        sharpe: report.sharpe,
        maxDrawdown: report.maxDrawdown,
      })
    }
    const table = sofia(['sweep', ...args])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^fast +slow +net P&L +fills +Sharpe +max DD %$/m)
    expect(table.stdout).toMatch(/^6 runs in [\d.]+ s$/m)
  })

  it('takes --format, --symbol and --venue as sofia backtest does, for a file whose name says nothing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sofia-sweep-fmt-')), 'ticks.csv')
    writeFileSync(file, readFileSync(join(SHARED_DATA, 'trades/kraken_BCH-EUR_trades_2023-01-01.csv')))
    const data = ['--data', file, '--format', 'kraken-trades-csv', '--symbol', 'BCH/EUR', '--venue', 'kraken']
    const r = sweep(['--strategy', 'sma-cross', '--grid', 'fast=3,5', '--param', 'slow=20', ...data])
    const b = sofia(['backtest', '--strategy', 'sma-cross', '--param', 'fast=5', '--param', 'slow=20', ...data, '--store', 'none', '--json'])
    expect(b.code, b.stderr).toBe(0)
    const report = JSON.parse(b.stdout) as { netPnl: string; fills: number }
    expect(report.fills).toBeGreaterThan(0)
    expect([r.results[1]!.netPnl, r.results[1]!.fills]).toEqual([report.netPnl, report.fills])
    const without = sofia(['sweep', '--strategy', 'sma-cross', '--grid', 'fast=3,5', '--data', file])
    expect(without.code).toBe(2)
  })

  it("sweeps a user's strategy file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-sweep-'))
    writeFileSync(
      join(dir, 'rsi.ts'),
      "import { defineStrategy, indicators, z } from 'sofia'\nexport default defineStrategy({ name: 'rsi', params: z.object({ period: z.number().int().default(14), timeframe: z.string().default('5m') }), create: (p) => {\n  const rsi = new indicators.RSI(p.period)\n  return { onBar(bar, ctx) {\n    rsi.add(bar.close)\n    if (!rsi.isStable || ctx.openOrders().length > 0) return\n    const v = Number(rsi.getResult()); const pos = ctx.position(bar.venue, bar.symbol); const inst = ctx.instrument(bar.venue, bar.symbol)\n    if (v < 30 && pos.isZero()) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount: ctx.balance(bar.venue, inst.quote).mul(0.5).div(bar.close * 1.02) })\n    else if (v > 70 && pos.gt(0)) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: pos })\n  } }\n} })\n",
    )
    const s = sweep(['--strategy', './rsi.ts', '--grid', 'period=7,14,21', '--data', LTC_5M], dir)
    expect(s.strategy).toBe('rsi')
    expect(s.results.map((r) => r.params['period'])).toEqual(['7', '14', '21'])
    expect(s.results.every((r) => r.fills > 0)).toBe(true)
    expect(new Set(s.results.map((r) => r.netPnl)).size).toBe(3)
  })

  it.each([
    [['--grid', 'fast'], /^sofia: --grid 'fast': expected KEY=VALUE1,VALUE2,…$/],
    [['--grid', 'fast=5,'], /^sofia: --grid 'fast=5,': expected KEY=VALUE1,VALUE2,…$/],
    [['--grid', 'fast=5,x'], /^sofia: strategy sma-cross: parameter 'fast': expected a positive integer, got "x"$/],
    [['--grid', 'fats=5,10'], /^sofia: strategy sma-cross: unknown parameter 'fats'/],
    [['--grid', 'fast=5,10', '--workers', '0'], /^sofia: --workers: at least 1$/],
  ])('bad input %j: one line, exit 2', (extra, message) => {
    const r = sofia(['sweep', '--strategy', 'sma-cross', '--data', LTC_5M, ...extra])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr.trimEnd()).toMatch(message)
  })
})
