/**
 * @module test/reports-shipped-config.e2e.test
 * Every report command with the shipped configuration in place, copied as README says (sofia.example.yaml →
 * sofia.yaml, config/*.example.* → config/*), after a live session on `sofia exchange-sim`. The shipped alert
 * rules name maxDailyLoss; reports must resolve it from the configuration as `sofia serve` does. Needs
 * `npm run build`.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, sofiaAsync } from './helpers.js'
import type { CliResult } from './helpers.js'
import { control, startSim, stopSim } from './sim.js'
import type { Sim } from './sim.js'

let sim: Sim | undefined
let dir: string
const env = (extra: Record<string, string> = {}): Record<string, string> => ({ EXCHANGE: 'binance', API_KEY: 'RK', API_SECRET: 'RS', MAX_DAILY_LOSS: '500', ...extra })

/** The CLI as a child process without blocking this process (a webhook receiver here must answer meanwhile). */
const run = (args: readonly string[], extra: Record<string, string> = {}): Promise<CliResult> => sofiaAsync(args, { cwd: dir, env: env(extra) })

beforeAll(async () => {
  sim = await startSim(['--tick-ms', '50', '--seed', '13', '--symbols', 'BTC/USDT', '--trade-probability', '1', '--api-key', 'RK', '--api-secret', 'RS', '--balance', 'USDT=100000', '--balance', 'BTC=10'])
  dir = mkdtempSync(join(tmpdir(), 'sofia-shipped-'))
  copyFileSync(join(REPO, 'sofia.example.yaml'), join(dir, 'sofia.yaml'))
  mkdirSync(join(dir, 'config'))
  for (const f of readdirSync(join(REPO, 'config')).filter((n) => n.includes('.example.'))) copyFileSync(join(REPO, 'config', f), join(dir, 'config', f.replace('.example.', '.')))
  expect(existsSync(join(dir, 'config', 'alerts.yaml'))).toBe(true)
  // A short live session so that the reports have exchange fills to show and reconcile.
  const pump = setInterval(() => {
    void control(sim!, 'POST', '/sim/trade', { symbol: 'BTC/USDT', side: Math.random() < 0.5 ? 'buy' : 'sell', amount: '0.004' }).catch(() => undefined)
  }, 300)
  const session = await run(['run', '--mode', 'live', '--url', sim.url, '--venue', 'xsim', '--strategy', 'market-maker', '--param', 'venue=xsim', '--param', 'symbol=BTC/USDT', '--param', 'amount=0.002', '--param', 'spreadBps=1', '--duration', '5', '--data-dir', 'data', '--json'])
  clearInterval(pump)
  expect(session.code, session.stderr).toBe(0)
  expect((JSON.parse(session.stdout.trim().split('\n').at(-1)!) as { fills: number }).fills).toBeGreaterThan(0)
}, 120_000)
afterAll(async () => {
  await stopSim(sim)
})

describe('report commands with the shipped configuration', () => {
  it('report daily --no-send, report eod against the exchange, report attribution, pnl and pnl export all exit 0', async () => {
    for (const args of [
      ['report', 'daily', '--data-dir', 'data', '--no-send'],
      ['report', 'daily', '--data-dir', 'data', '--no-send', '--config', 'sofia.yaml'],
      ['report', 'eod', '--data-dir', 'data', '--no-send', '--url', sim!.url, '--config', 'sofia.yaml'],
      ['report', 'attribution', '--data-dir', 'data', '--config', 'sofia.yaml'],
      ['pnl', '--data-dir', 'data'],
      ['pnl', 'export', '--csv', 'fills.csv', '--data-dir', 'data'],
    ]) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0)
    }
    expect(readFileSync(join(dir, 'fills.csv'), 'utf8').split('\n').length).toBeGreaterThan(2)
    const eod = await run(['report', 'eod', '--data-dir', 'data', '--no-send', '--url', sim!.url, '--json'])
    expect(eod.code, eod.stderr).toBe(0)
    expect(JSON.parse(eod.stdout.trim().split('\n').at(-1)!)).toMatchObject({ reconciliation: { status: 'ok' } })
  }, 120_000)

  it('report daily sends through the shipped rules (maxDailyLoss from MAX_DAILY_LOSS), and names it when unset', async () => {
    const received: string[] = []
    const server: Server = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += String(d)))
      req.on('end', () => {
        received.push(body)
        res.end('ok')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    // The shipped rules, with the shipped notifiers replaced by a local webhook.
    const file = join(dir, 'config', 'alerts.yaml')
    const shipped = readFileSync(file, 'utf8')
    writeFileSync(file, `${shipped.slice(0, shipped.indexOf('\nnotifiers:'))}\nnotifiers:\n  webhook:\n    url: http://127.0.0.1:${port}/hook\n`)
    try {
      const sent = await run(['report', 'daily', '--data-dir', 'data', '--json'])
      expect(sent.code, sent.stderr).toBe(0)
      expect((JSON.parse(sent.stdout) as { send: unknown }).send).toEqual({ sent: true, reason: null })
      expect(received.length).toBe(1)
      expect(received[0]).toContain('Sofia daily report')
      // Unset, the rules that name it are off (as the built-in daily-loss rules are): the report still goes out.
      const unset = await run(['report', 'daily', '--data-dir', 'data', '--json'], { MAX_DAILY_LOSS: '' })
      expect(unset.code, unset.stderr).toBe(0)
      expect((JSON.parse(unset.stdout) as { send: unknown }).send).toEqual({ sent: true, reason: null })
    } finally {
      writeFileSync(file, shipped)
      await new Promise((resolve) => server.close(resolve))
    }
  }, 120_000)
})
