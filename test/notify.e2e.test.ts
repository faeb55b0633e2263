/**
 * @module test/notify.e2e.test
 * `sofia notify --severity S "text"` (the runbook's notify_emergency) against a local webhook receiver:
 * delivered → exit 0; the receiver failing every attempt → exit 1; a severity below every notifier's
 * minimum → exit 1; bad usage → exit 2. And a session of `sofia run` on the local exchange notifies the
 * webhook when its kill switch trips, and evaluates the alert rules of config/alerts.yaml, as `sofia serve`
 * does. Needs `npm run build`.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cliEnv, sofiaAsync } from './helpers.js'
import { startSim, stopSim, waitFor } from './sim.js'
import type { CliResult } from './helpers.js'

let server: Server
let port: number
let status = 200
const received: { path: string; body: string }[] = []

/** From now on the receiver answers `code`, and has received nothing yet. */
function receiverAnswers(code: number): void {
  status = code
  received.length = 0
}

/** The CLI without blocking this process: the receiver here must answer meanwhile. */
const run = (cwd: string, args: readonly string[]): Promise<CliResult> => sofiaAsync(args, { cwd })

/** A working directory whose config/alerts.yaml has one webhook to the local receiver (and these `rules:` lines). */
function home(minSeverity: string, rules = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-notify-'))
  mkdirSync(join(dir, 'config'))
  writeFileSync(
    join(dir, 'config', 'alerts.yaml'),
    `notifiers:\n  webhook:\n    url: http://127.0.0.1:${port}/hook\n    minSeverity: ${minSeverity}\n  delivery:\n    attempts: 2\n    timeout: 2s\n    backoff: 50ms\n${rules}`,
  )
  return dir
}

/** `sofia run --mode live` of a market maker on the local exchange `sim`, from `dir`. */
function liveSession(dir: string, simUrl: string): { stderr: () => string; stop: () => Promise<number | null> } {
  const env = cliEnv({ EXCHANGE: 'binance', API_KEY: 'NK', API_SECRET: 'NS', KILL_SWITCH: 'OFF' })
  const session = spawn(process.execPath, [CLI, 'run', '--mode', 'live', '--url', simUrl, '--venue', 'xsim', '--strategy', 'market-maker', '--param', 'amount=0.001', '--param', 'spreadBps=50', '--data-dir', join(dir, 'var')], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  session.stderr.on('data', (d: Buffer) => (stderr += String(d)))
  const exited = new Promise<number | null>((resolve) => session.once('exit', (code) => resolve(code)))
  return {
    stderr: () => stderr,
    stop: async () => {
      session.kill('SIGINT')
      return exited
    },
  }
}

const SIM_ARGS = ['--tick-ms', '50', '--seed', '3', '--symbols', 'BTC/USDT', '--api-key', 'NK', '--api-secret', 'NS', '--balance', 'USDT=100000', '--balance', 'BTC=10']

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += String(d)))
    req.on('end', () => {
      received.push({ path: req.url ?? '', body })
      res.statusCode = status
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  port = typeof address === 'object' && address !== null ? address.port : 0
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

describe('sofia notify', () => {
  it('delivers a critical message to the webhook and exits 0', async () => {
    receiverAnswers(200)
    const r = await run(home('warning'), ['notify', '--severity', 'critical', 'EMERGENCY: trading halted by the operator'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('critical message delivered by webhook\n')
    expect(received).toHaveLength(1)
    expect(received[0]!.path).toBe('/hook')
    expect(received[0]!.body).toContain('EMERGENCY: trading halted by the operator')
    expect(received[0]!.body).toContain('critical')
  })

  it('exits 1 naming the notifier when every attempt fails', async () => {
    receiverAnswers(503)
    const r = await run(home('info'), ['notify', '--severity', 'warning', 'feed degraded'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('sofia: not delivered by webhook\n')
    expect(received).toHaveLength(2) // both configured attempts reached the receiver
  })

  it('exits 1 when no notifier takes the severity, and 2 on bad usage', async () => {
    receiverAnswers(200)
    const below = await run(home('critical'), ['notify', '--severity', 'info', 'fyi'])
    expect(below.code).toBe(1)
    expect(below.stderr).toBe('sofia: no notifier takes info messages (configured: webhook in config/alerts.yaml)\n')
    expect(received).toHaveLength(0)
    const bad = await run(home('info'), ['notify', '--severity', 'urgent', 'x'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe("sofia: --severity: expected info, warning or critical, got 'urgent'\n")
  })
})

describe('sofia run', () => {
  it('notifies the webhook of config/alerts.yaml when its kill switch trips', async () => {
    receiverAnswers(200)
    const sim = await startSim(SIM_ARGS)
    const dir = home('warning')
    const session = liveSession(dir, sim.url)
    try {
      // Trading, then halted from another process through the control channel.
      expect(await waitFor(() => session.stderr().includes('resync'), 20_000, 100), session.stderr()).toBe(true)
      const halt = await run(dir, ['kill-switch', 'activate', '--reason', 'desk: halt for the notify test', '--data-dir', join(dir, 'var')])
      expect(halt.code, halt.stderr).toBe(0)
      expect(await waitFor(() => received.some((r) => r.body.includes('desk: halt for the notify test')), 15_000, 100), session.stderr()).toBe(true)
      const hook = received.find((r) => r.body.includes('desk: halt for the notify test'))!
      expect(hook.path).toBe('/hook')
      expect(hook.body).toContain('critical')
    } finally {
      expect(await session.stop()).toBe(0)
      await stopSim(sim)
    }
  }, 60_000)

  it('evaluates the alert rules of config/alerts.yaml: a rule on its own order counter fires and is delivered', async () => {
    receiverAnswers(200)
    const sim = await startSim(SIM_ARGS)
    const rule = "rules:\n  - name: OrdersSent\n    metric: trading_orders_total\n    labels: { status: submitted }\n    op: '>'\n    threshold: 0\n    severity: warning\n    action: notify\n"
    const dir = home('warning', rule)
    const session = liveSession(dir, sim.url)
    try {
      const fired = (): { rule?: string; state?: string; severity?: string } | undefined =>
        received.map((r) => JSON.parse(r.body) as { rule?: string; state?: string; severity?: string }).find((a) => a.rule === 'OrdersSent')
      expect(await waitFor(() => fired() !== undefined, 30_000, 100), session.stderr()).toBe(true)
      expect(fired()).toMatchObject({ state: 'firing', severity: 'warning' })
    } finally {
      expect(await session.stop()).toBe(0)
      await stopSim(sim)
    }
  }, 60_000)
})
