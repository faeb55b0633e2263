/**
 * End-to-end: backtests started over HTTP from a running `sofia serve` (the dashboard's Backtests page uses
 * these routes). A real candle file put in `<data-dir>/data/` is backtested with `sma-cross`; the report kept
 * by the server is the report `sofia backtest --json` gives for the same file, run on its own. A second run
 * while one is going answers 409; bad input answers 400 naming the field; a viewer may read but not start one.
 * A user's strategy file in the strategies directory runs as it is now, and a registered version of it runs with
 * its registered parameters and code (kept in the store) after the file was edited.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dec } from '../src/model/index.js'
import { SHARED_DATA, sofia } from './helpers.js'
import { createToken, startServe, stopServe } from './serve.js'
import type { Served } from './serve.js'
import { stepper } from './strategies.js'

const CANDLES = join(SHARED_DATA, 'candles/binance_XRP-ETH_5m_2019-10-11_2019-10-13.json')
const dir = mkdtempSync(join(tmpdir(), 'sofia-backtests-api-'))
const tokens: Record<string, string> = {}
let server: Served | undefined

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(server!.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

beforeAll(async () => {
  mkdirSync(join(dir, 'data'))
  copyFileSync(CANDLES, join(dir, 'data', basename(CANDLES)))
  for (const [name, role] of [['op', 'operator'], ['view', 'viewer']] as const) tokens[role] = createToken(dir, name, role)
  // A user's strategy (./strategies, the default strategyDir), registered as v1 and then edited.
  mkdirSync(join(dir, 'strategies'))
  writeFileSync(join(dir, 'strategies', 'stepper.ts'), stepper('50'))
  const reg = sofia(['registry', 'register', '--strategy', 'stepper', '--strategy-version', 'v1', '--param', 'every=20', '--skip-validation', '--reason', 'e2e', '--data-dir', dir], { cwd: dir })
  if (reg.code !== 0) throw new Error(reg.stderr)
  writeFileSync(join(dir, 'strategies', 'stepper.ts'), stepper('25'))
  server = await startServe(['--port', '0', '--data-dir', dir, '--step-ms', '50'], { cwd: dir })
})

afterAll(async () => {
  await stopServe(server, 'SIGTERM')
})

describe('backtests over the operator API', () => {
  it('runs sofia backtest on a file of the data directory and keeps the same report the CLI gives', async () => {
    const list = await call('GET', '/backtests', tokens['viewer']!)
    expect(list.status).toBe(200)
    expect(list.json).toMatchObject({ running: null, runs: [], data: ['synthetic', basename(CANDLES)] })

    const started = await call('POST', '/backtests', tokens['operator']!, { strategy: 'sma-cross', data: basename(CANDLES), params: { fast: '5' } })
    expect(started.status, JSON.stringify(started.json)).toBe(202)
    const id = started.json['id'] as string
    // One at a time.
    const second = await call('POST', '/backtests', tokens['operator']!, { strategy: 'sma-cross', data: 'synthetic' })
    expect([second.status, second.json['code']]).toEqual([409, 'CONFLICT'])

    let run: Record<string, unknown> = {}
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      run = (await call('GET', `/backtests/${id}`, tokens['viewer']!)).json
      if (run['status'] !== 'running') break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(run['status'], JSON.stringify(run)).toBe('done')
    expect(run).toMatchObject({ strategy: 'sma-cross', data: basename(CANDLES), params: { fast: '5' }, actor: 'operator:op' })

    const cli = sofia(['backtest', '--strategy', 'sma-cross', '--data', CANDLES, '--param', 'fast=5', '--store', 'none', '--json'])
    expect(cli.code, cli.stderr).toBe(0)
    const expected = JSON.parse(cli.stdout) as Record<string, unknown>
    const report = run['report'] as Record<string, unknown>
    for (const key of ['events', 'fills', 'netPnl', 'fees', 'finalEquity', 'orders', 'positions', 'balances']) expect(report[key], key).toEqual(expected[key])
    expect(report['fills']).toBeGreaterThan(0)

    // Its equity curve and every fill, for the page's chart and table: the fills add up to the report's position
    // and fee-less volume, the curve ends at the report's final equity.
    const series = run['series'] as { currency: string; equity: { t: number; equity: string }[]; fills: { side: string; price: string; amount: string; symbol: string }[]; fillsLeftOut: number }
    expect(series.fills).toHaveLength(report['fills'] as number)
    expect(series.fillsLeftOut).toBe(0)
    const net = series.fills.reduce((sum, f) => (f.side === 'buy' ? sum.add(f.amount) : sum.sub(f.amount)), dec(0))
    const positions = report['positions'] as { amount: string }[]
    expect(net.toString()).toBe(positions.reduce((sum, p) => sum.add(p.amount), dec(0)).toString())
    const volume = series.fills.reduce((sum, f) => sum.add(dec(f.price).mul(f.amount)), dec(0))
    expect(volume.toString()).toBe(dec(report['volume'] as string).toString())
    expect(series.equity.length).toBeGreaterThan(1)
    expect(series.equity.at(-1)!.equity).toBe(report['finalEquity'])
    expect(series.currency).toBe(report['currency'])
    // The file's candles for the price chart: the file's own bars, merged up to at most 1,500 candles.
    const rows = JSON.parse(readFileSync(CANDLES, 'utf8')) as number[][]
    const [market, ...others] = (series as unknown as { markets: { source: string; timeframe: string; candles: { time: number; open: number; high: number; low: number; close: number }[] }[] }).markets
    expect(others).toHaveLength(0)
    expect(market!.source).toBe('bars')
    expect(market!.candles.length).toBeLessThanOrEqual(1_500)
    expect(market!.candles[0]).toMatchObject({ time: rows[0]![0], open: rows[0]![1] })
    expect(market!.candles.at(-1)!.close).toBe(rows.at(-1)![4])
    expect(Math.max(...market!.candles.map((c) => c.high))).toBe(Math.max(...rows.map((r) => r[2]!)))
    expect(Math.min(...market!.candles.map((c) => c.low))).toBe(Math.min(...rows.map((r) => r[3]!)))

    const after = (await call('GET', '/backtests', tokens['viewer']!)).json
    expect((after['runs'] as { id: string; status: string; summary: Record<string, unknown> }[])[0]).toMatchObject({ id, status: 'done', summary: { netPnl: expected['netPnl'], fills: expected['fills'] } })
  }, 90_000)

  it("runs a user's strategy file as it is now, and a registered version of it as registered", async () => {
    const op = tokens['operator']!
    const list = (await call('GET', '/backtests', tokens['viewer']!)).json
    expect(list['strategies']).toContainEqual({ name: 'stepper', description: 'strategy file stepper.ts', params: [], file: true })
    expect(list['versions']).toEqual([{ strategy: 'stepper', version: 'v1', status: 'registered', params: { every: '20' } }])

    const finish = async (body: unknown): Promise<{ run: Record<string, unknown>; amounts: string[] }> => {
      const started = await call('POST', '/backtests', op, body)
      expect(started.status, JSON.stringify(started.json)).toBe(202)
      let run: Record<string, unknown> = {}
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        run = (await call('GET', `/backtests/${started.json['id'] as string}`, tokens['viewer']!)).json
        if (run['status'] !== 'running') break
      }
      expect(run['status'], JSON.stringify(run) + server!.stderr().slice(-3000)).toBe('done')
      const fills = (run['series'] as { fills: { amount: string }[] }).fills
      return { run, amounts: [...new Set(fills.map((f) => f.amount))] }
    }
    const data = basename(CANDLES)
    const version = await finish({ strategy: 'stepper', version: 'v1', data })
    expect(version.run).toMatchObject({ strategy: 'stepper', version: 'v1', params: {} })
    expect((version.run['report'] as { strategies: unknown[] }).strategies).toEqual([{ id: 'stepper', name: 'stepper', params: { every: '20', timeframe: '5m' }, version: 'v1' }])
    expect(version.amounts).toEqual(['50']) // the registered code, not the edited file
    const now = await finish({ strategy: 'stepper', data, params: { every: '20' } })
    expect(now.amounts).toEqual(['25'])

    const bad = async (body: unknown): Promise<string> => {
      const r = await call('POST', '/backtests', op, body)
      expect(r.status).toBe(400)
      return r.json['error'] as string
    }
    expect(await bad({ strategy: 'stepper', version: 'v9', data })).toMatch(/^body\/version: strategy stepper has no registered version 'v9'/)
    expect(await bad({ strategy: 'stepper', version: 'v1', data, params: { every: '3' } })).toMatch(/^body\/params: a registered version runs with its own parameters/)
  }, 120_000)

  it('answers bad input with 400 naming the field, a viewer with 403, an unknown run with 404', async () => {
    const op = tokens['operator']!
    const bad = async (body: unknown): Promise<string> => {
      const r = await call('POST', '/backtests', op, body)
      expect(r.status).toBe(400)
      return r.json['error'] as string
    }
    expect(await bad({ strategy: 'nope', data: 'synthetic' })).toMatch(/^body\/strategy: unknown strategy 'nope'/)
    expect(await bad({ strategy: 'sma-cross', data: '../sofia.db' })).toMatch(/^body\/data: no file '\.\.\/sofia\.db'/)
    expect(await bad({ strategy: 'sma-cross', data: 'synthetic', params: { bogus: '1' } })).toMatch(/^body\/params\/bogus: sma-cross has no parameter 'bogus'/)
    expect((await call('POST', '/backtests', tokens['viewer']!, { strategy: 'sma-cross', data: 'synthetic' })).status).toBe(403)
    expect((await call('GET', '/backtests/00000000-0000-4000-8000-000000000000', tokens['viewer']!)).status).toBe(404)
  })
})
