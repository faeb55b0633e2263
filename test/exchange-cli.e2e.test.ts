/**
 * End-to-end: the exchange commands of the `sofia` CLI against `sofia exchange-sim` (child processes on
 * loopback): preflight passing and failing clearly, `data download` with resume, a live `sofia run` whose
 * fills reconcile with the exchange's own trade record, and `sofia shadow status`.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../src/store/index.js'
import { CLI, REPO, cliEnv, sofia } from './helpers.js'
import { control, startSim, stopSim } from './sim.js'
import type { Sim } from './sim.js'

let sim: Sim | undefined
let home: string

beforeAll(async () => {
  sim = await startSim(['--tick-ms', '50', '--seed', '8', '--symbols', 'BTC/USDT', '--trade-probability', '1', '--api-key', 'CK', '--api-secret', 'CS', '--balance', 'USDT=100000', '--balance', 'BTC=10'])
  home = mkdtempSync(join(tmpdir(), 'sofia-xcli-'))
  // A store to check.
  const store = await openStore({ dataDir: home, create: true })
  await store.close()
})
afterAll(async () => {
  await stopSim(sim)
})

const env = (extra: Record<string, string> = {}): Record<string, string> => ({ MODE: 'live', EXCHANGE: 'binance', API_KEY: 'CK', API_SECRET: 'CS', ...extra })

describe('sofia preflight', () => {
  it('passes against the local exchange, one line per check', () => {
    const r = sofia(['preflight', '--url', sim!.url, '--data-dir', home, '--min-free-mb', '1'], { env: env({ MAX_DAILY_LOSS: '500' }) })
    expect(r.stdout).toMatch(/^\[PASS\] environment: /m)
    expect(r.stdout).toMatch(/^\[PASS\] exchange: binance reachable: 1 markets/m)
    expect(r.stdout).toMatch(/^\[PASS\] clock: drift -?\d+ ms/m)
    expect(r.stdout).toMatch(/^\[PASS\] api key: valid/m)
    expect(r.stdout).toMatch(/^\[PASS\] database: /m)
    expect(r.stdout).toMatch(/^\[PASS\] kill switch: inactive/m)
    expect(r.stdout).toMatch(/^\[PASS\] disk: /m)
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const json = JSON.parse(sofia(['preflight', '--json', '--url', sim!.url, '--data-dir', home, '--min-free-mb', '1'], { env: env() }).stdout) as { ok: boolean; checks: { name: string; status: string }[] }
    expect(json.ok).toBe(true)
    expect(json.checks.find((c) => c.name === 'risk limits')?.status).toBe('WARN')
  })

  it('fails clearly with a wrong key, an unreachable exchange, or a missing variable', () => {
    const wrong = sofia(['preflight', '--url', sim!.url, '--data-dir', home, '--min-free-mb', '1'], { env: env({ API_SECRET: 'nope' }) })
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toMatch(/^\[FAIL\] api key: refused: AuthenticationError/m)
    expect(wrong.stdout).not.toContain('nope')
    const down = sofia(['preflight', '--url', 'http://127.0.0.1:9', '--data-dir', home, '--min-free-mb', '1', '--timeout-ms', '1000'], { env: env() })
    expect(down.code).toBe(1)
    expect(down.stdout).toMatch(/^\[FAIL\] exchange: binance unreachable: /m)
    const missing = sofia(['preflight', '--url', sim!.url, '--data-dir', home, '--min-free-mb', '1'], { env: { MODE: 'live', EXCHANGE: 'binance' } })
    expect(missing.code).toBe(1)
    expect(missing.stdout).toMatch(/^\[FAIL\] environment: mode live needs API_KEY, API_SECRET/m)
  })
})

describe('sofia data download', () => {
  it('downloads candles page by page into the OHLCV JSON, and a re-run resumes after the last one', () => {
    const out = mkdtempSync(join(tmpdir(), 'sofia-dl-'))
    const since = new Date(Date.now() - 50 * 60_000).toISOString()
    const first = sofia(['data', 'download', '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1m', '--since', since, '--until', String(Date.now() - 20 * 60_000), '--out', out, '--url', sim!.url, '--json'])
    expect(first.code, first.stderr).toBe(0)
    const r1 = JSON.parse(first.stdout) as { file: string; candles: number; added: number }
    expect(r1.file).toBe(join(out, 'binance_BTC-USDT_1m.json'))
    expect(r1.candles).toBeGreaterThanOrEqual(25)
    const second = sofia(['data', 'download', '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1m', '--since', since, '--out', out, '--url', sim!.url, '--json'])
    const r2 = JSON.parse(second.stdout) as { candles: number; added: number; resumedFrom: number }
    expect(r2.resumedFrom).toBeGreaterThan(0)
    expect(r2.candles).toBe(r1.candles + r2.added)
    const rows = JSON.parse(readFileSync(r1.file, 'utf8')) as number[][]
    for (let i = 1; i < rows.length; i++) expect(rows[i]![0]! - rows[i - 1]![0]!).toBe(60_000)
    // The backtester reads it.
    const bt = sofia(['backtest', '--data', r1.file, '--strategy', 'sma-cross', '--param', 'fast=2', '--param', 'slow=4', '--param', 'amount=0.001', '--json'])
    expect(bt.code, bt.stderr).toBe(0)
  })
})

describe('sofia run (live on the local exchange) + shadow status + reconcile', () => {
  it('records fills that reconcile with zero discrepancies against the exchange record', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sofia-run-'))
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--mode', 'live', '--url', sim!.url, '--venue', 'xsim', '--strategy', 'market-maker', '--param', 'venue=xsim', '--param', 'symbol=BTC/USDT', '--param', 'amount=0.002', '--param', 'spreadBps=1', '--duration', '6', '--data-dir', dataDir, '--json'],
      { cwd: REPO, env: cliEnv(env()), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)))
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)))
    // Outside flow through the market so the maker's quotes fill.
    const pump = setInterval(() => {
      void control(sim!, 'POST', '/sim/trade', { symbol: 'BTC/USDT', side: Math.random() < 0.5 ? 'buy' : 'sell', amount: '0.004' }).catch(() => undefined)
    }, 300)
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    clearInterval(pump)
    expect(code, stderr).toBe(0)
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { mode: string; fills: number }
    expect(summary.mode).toBe('live')
    const status = sofia(['shadow', 'status', '--data-dir', dataDir, '--json'])
    expect(JSON.parse(status.stdout)).toMatchObject({ mode: 'live', venue: 'xsim' })
    const exchangeFile = join(dataDir, 'exchange-trades.json')
    writeFileSync(exchangeFile, JSON.stringify(await control(sim!, 'GET', '/sim/trades?apiKey=CK')))
    expect(existsSync(exchangeFile)).toBe(true)
    const rec = sofia(['reconcile', '--exchange-file', exchangeFile, '--venue', 'xsim', '--data-dir', dataDir, '--no-halt', '--json'])
    const report = JSON.parse(rec.stdout) as { status: string; discrepancies?: unknown[]; summary?: { discrepancies?: number } }
    expect(rec.code, rec.stdout + rec.stderr).toBe(0)
    expect(report.status).toBe('ok')
    expect(summary.fills).toBeGreaterThan(0)

    // The same through the exchange's own API (fetchMyTrades), and as the runbook's EOD step.
    const live = sofia(['reconcile', '--live', '--url', sim!.url, '--data-dir', dataDir, '--no-halt', '--json'], { env: env() })
    expect(live.code, live.stdout + live.stderr).toBe(0)
    const liveReport = JSON.parse(live.stdout) as { status: string; inputs: { exchange: { source: string; records: number } } }
    expect(liveReport.status).toBe('ok')
    expect(liveReport.inputs.exchange.source).toMatch(/^exchange:binance@http:\/\/127\.0\.0\.1/)
    expect(liveReport.inputs.exchange.records).toBe(summary.fills)
    const cwd = mkdtempSync(join(tmpdir(), 'sofia-eod-'))
    writeFileSync(join(cwd, 'sofia.yaml'), `exchange:\n  id: binance\n  urls:\n    api: ${sim!.url}\n`)
    const eod = sofia(['report', 'eod', '--data-dir', dataDir, '--no-send', '--json'], { cwd, env: { API_KEY: 'CK', API_SECRET: 'CS' } })
    expect(eod.code, eod.stdout + eod.stderr).toBe(0)
    const eodJson = JSON.parse(eod.stdout.trim().split('\n').at(-1)!) as { reconciliation: { status: string } }
    expect(eodJson.reconciliation.status).toBe('ok')
  }, 90_000)
})
