/**
 * End-to-end: `sofia backtest --strategy NAME --strategy-version ID` runs a registered version as registered:
 * its parameters and its code, kept in the store, after the user's file has been edited. The reference is a
 * backtest of a copy of the file as it was registered, with the same parameters: the two reports agree to
 * the last digit, and the fills' sizes (written in the code) are the registered code's, not the edited file's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA, sofia } from './helpers.js'
import { stepper } from './strategies.js'

const DATA = join(SHARED_DATA, 'candles', 'bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json')

describe('sofia backtest --strategy-version', () => {
  it('runs the registered parameters and code after the file was edited, and refuses what it cannot run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-backtest-version-'))
    const home = ['--data-dir', join(dir, 'var')]
    writeFileSync(join(dir, 'stepper.ts'), stepper('0.5'))
    writeFileSync(join(dir, 'as-registered.ts'), stepper('0.5').replace("name: 'stepper'", "name: 'as-registered'"))
    const reg = sofia(['registry', 'register', '--strategy', 'stepper.ts', '--strategy-version', 'v1', '--param', 'every=20', '--skip-validation', '--reason', 'e2e', ...home], { cwd: dir })
    expect(reg.code, reg.stderr).toBe(0)
    writeFileSync(join(dir, 'stepper.ts'), stepper('0.25')) // tuned after registration

    const run = (args: string[]): { report: Record<string, unknown>; amounts: string[] } => {
      const series = join(dir, `series-${Math.random()}.json`)
      const r = sofia(['backtest', ...args, '--data', DATA, '--store', 'none', '--json', '--series', series, ...home], { cwd: dir })
      expect(r.code, r.stderr).toBe(0)
      const fills = (JSON.parse(readFileSync(series, 'utf8')) as { fills: { amount: string }[] }).fills
      return { report: JSON.parse(r.stdout) as Record<string, unknown>, amounts: [...new Set(fills.map((f) => f.amount))] }
    }
    const version = run(['--strategy', 'stepper', '--strategy-version', 'v1'])
    const reference = run(['--strategy', 'as-registered.ts', '--param', 'every=20'])
    const edited = run(['--strategy', 'stepper.ts', '--param', 'every=20'])

    expect(version.report['strategies']).toEqual([{ id: 'stepper', name: 'stepper', params: { every: '20', timeframe: '5m' }, version: 'v1' }])
    expect(version.amounts).toEqual(['0.5'])
    expect(edited.amounts).toEqual(['0.25'])
    const figures = (r: Record<string, unknown>): unknown[] => ['netPnl', 'realizedPnl', 'fees', 'volume', 'fills', 'orders', 'finalEquity'].map((k) => r[k])
    expect(figures(version.report)).toEqual(figures(reference.report))
    expect(version.report['fills']).toBeGreaterThan(10)
    // The same version given by its file's path.
    expect(run(['--strategy', 'stepper.ts', '--strategy-version', 'v1']).report['netPnl']).toBe(version.report['netPnl'])

    const withParam = sofia(['backtest', '--strategy', 'stepper', '--strategy-version', 'v1', '--param', 'every=3', '--data', DATA, '--store', 'none', ...home], { cwd: dir })
    expect(withParam.code).toBe(2)
    expect(withParam.stderr.trim().split('\n')).toHaveLength(1)
    expect(withParam.stderr).toContain('--param')
    const unknown = sofia(['backtest', '--strategy', 'stepper', '--strategy-version', 'v9', '--data', DATA, '--store', 'none', ...home], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("no version 'v9'")
    const noStore = sofia(['backtest', '--strategy', 'stepper', '--strategy-version', 'v1', '--data', DATA, '--store', 'none', '--data-dir', join(dir, 'elsewhere')], { cwd: dir })
    expect(noStore.code).toBe(2)
  })
})
