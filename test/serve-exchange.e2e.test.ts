/**
 * End-to-end: `sofia serve` hosting a session on an exchange (`sofia exchange-sim`, child processes on
 * loopback) instead of the synthetic market: the deployment routes operate it — /shadow/status follows the
 * router's mode (changed by `sofia shadow promote` through the store's control channel), POST
 * /shadow/rollback takes it back to shadow and POST /ws/restart reconnects the feed, both audited with the
 * operator's token — viewers may read but not act, and SIGTERM ends it with exit 0.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sofia } from './helpers.js'
import { callApi, createToken, startServe, stopServe, until as untilDefined } from './serve.js'
import type { ApiAnswer, Served } from './serve.js'
import { startSim, stopSim } from './sim.js'
import type { Sim } from './sim.js'

const KEYS = { EXCHANGE: 'binance', API_KEY: 'SVK', API_SECRET: 'SVS' }
const dir = mkdtempSync(join(tmpdir(), 'sofia-serve-x-'))
const tokens: Record<string, string> = {}
let sim: Sim | undefined
let server: Served | undefined

const call = (method: string, path: string, token?: string, body?: unknown): Promise<ApiAnswer> => callApi(server!.url, method, path, token, body)
const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> =>
  untilDefined(what, fn, 10_000, { everyMs: 50, detail: () => `server stderr: ${server!.stderr()}` })

/** When the server last saw a market event (from /health's feeds check), wall ms. */
async function lastMarketEventAt(): Promise<number | undefined> {
  const health = await call('GET', '/health')
  const feeds = (health.json['checks'] as { name: string; detail: string }[] | undefined)?.find((c) => c.name === 'feeds')
  const ago = /last market event (\d+) ms ago/.exec(feeds?.detail ?? '')?.[1]
  return ago === undefined ? undefined : Date.now() - Number(ago)
}

/** The server's diagnostic report (SIGUSR2): its JavaScript stack and the active handles of its event loop. */
async function whatKeepsItAlive(): Promise<string> {
  server!.child.kill('SIGUSR2')
  await new Promise((r) => setTimeout(r, 2_000))
  const file = readdirSync(dir).find((f) => f.startsWith('report.') && f.endsWith('.json'))
  if (file === undefined) return 'no diagnostic report was written'
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { javascriptStack?: { stack?: string[] }; libuv?: { type: string; is_active: boolean; remoteEndpoint?: unknown }[] }
  const handles = (report.libuv ?? []).filter((h) => h.is_active).map((h) => `${h.type}${h.remoteEndpoint !== undefined ? ` ${JSON.stringify(h.remoteEndpoint)}` : ''}`)
  return `active handles: ${handles.join(', ')}; stack: ${(report.javascriptStack?.stack ?? []).slice(0, 8).join(' | ')}`
}

beforeAll(async () => {
  sim = await startSim(['--tick-ms', '50', '--seed', '11', '--symbols', 'BTC/USDT', '--trade-probability', '1', '--api-key', KEYS.API_KEY, '--api-secret', KEYS.API_SECRET, '--balance', 'USDT=100000', '--balance', 'BTC=10'])
  for (const [name, role] of [['t', 'operator'], ['v', 'viewer']] as const) tokens[role] = createToken(dir, name, role)
  const args = ['--mode', 'shadow', '--url', sim.url, '--symbols', 'BTC/USDT', '--strategy', 'market-maker', '--param', 'venue=xsim', '--param', 'symbol=BTC/USDT']
  args.push('--param', 'amount=0.002', '--param', 'spreadBps=1', '--venue', 'xsim', '--port', '0', '--data-dir', dir)
  // A diagnostic report on SIGUSR2: if the session ever fails to stop, the test says what kept it alive.
  server = await startServe(args, { cwd: dir, env: KEYS, node: ['--report-on-signal', `--report-directory=${dir}`], timeoutMs: 20_000 })
  expect(server.line).toMatchObject({ event: 'listening', mode: 'shadow' })
})

afterAll(async () => {
  await stopServe(server)
  await stopSim(sim)
})

describe('sofia serve --mode shadow on the local exchange', () => {
  it('reports the deployment, follows a promotion by the CLI, rolls back and restarts the feed over HTTP', async () => {
    const shadow = await call('GET', '/shadow/status', tokens['viewer'])
    expect(shadow.status).toBe(200)
    expect(shadow.json).toMatchObject({ mode: 'shadow', deployment: 'shadow', venue: 'xsim', canaryPercentage: 1, canarySkipped: 0 })
    expect(shadow.json['legs']).toMatchObject({ sim: { net: expect.any(String) }, live: { fills: 0 } })
    // The maker quotes in shadow: its orders go to the shadow order log, none to the exchange.
    await until('shadow orders', async () => (((await call('GET', '/shadow/status', tokens['viewer'])).json['shadowOrders'] as number) > 0 ? true : undefined))

    // Viewers read, operators act.
    expect((await call('POST', '/shadow/rollback', tokens['viewer'], { reason: 'no' })).status).toBe(403)
    expect((await call('POST', '/ws/restart', tokens['viewer'], {})).status).toBe(403)

    const promote = sofia(['shadow', 'promote', '--to', 'canary', '--reason', 'e2e', '--actor', 'alice', '--data-dir', dir, '--json'])
    expect(promote.code, promote.stdout + promote.stderr).toBe(0)
    expect(JSON.parse(promote.stdout)).toMatchObject({ ok: true, result: { from: 'shadow', to: 'canary' } })
    expect((await call('GET', '/shadow/status', tokens['viewer'])).json).toMatchObject({ mode: 'canary', deployment: 'canary' })
    expect((await call('GET', '/health')).json).toMatchObject({ status: 'ok', mode: 'canary' })
    // The runbook's next canary step: 50% (the percentage changes; nothing is cancelled).
    const half = sofia(['shadow', 'promote', '--to', 'canary', '--percentage', '50', '--reason', 'step 2', '--actor', 'alice', '--data-dir', dir])
    expect(half.code, half.stdout + half.stderr).toBe(0)
    expect(half.stdout).toBe('mode canary → canary at 50% (0 open orders cancelled)\n')
    expect(sofia(['shadow', 'promote', '--to', 'live', '--percentage', '50', '--data-dir', dir]).stderr).toBe('sofia: --percentage: only with --to canary\n')

    const rollback = await call('POST', '/shadow/rollback', tokens['operator'], { reason: 'e2e rollback' })
    expect(rollback.status, JSON.stringify(rollback.json)).toBe(200)
    expect(rollback.json).toMatchObject({ from: 'canary', to: 'shadow', mode: 'shadow' })
    expect((await call('GET', '/shadow/status', tokens['viewer'])).json).toMatchObject({ mode: 'shadow' })
    expect((await call('GET', '/status', tokens['viewer'])).json).toMatchObject({ mode: 'shadow', running: true })
    const again = await call('POST', '/shadow/rollback', tokens['operator'], { reason: 'twice' })
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({ code: 'CONFLICT', error: expect.stringMatching(/in shadow, not canary or live/) })
    // The CLI with a token goes through the same route (actor: the token).
    expect(sofia(['shadow', 'promote', '--to', 'canary', '--reason', 'again', '--actor', 'alice', '--data-dir', dir]).code).toBe(0)
    const viaCli = sofia(['shadow', 'rollback', '--reason', 'cli via api', '--data-dir', dir, '--json'], { env: { SOFIA_TOKEN: tokens['operator']! } })
    expect(viaCli.code, viaCli.stdout + viaCli.stderr).toBe(0)
    expect(JSON.parse(viaCli.stdout)).toMatchObject({ ok: true, via: 'api', result: { from: 'canary', to: 'shadow' } })

    const restartedAt = Date.now()
    const restart = await call('POST', '/ws/restart', tokens['operator'], {})
    expect(restart.status, JSON.stringify(restart.json)).toBe(200)
    expect(restart.json).toMatchObject({ restarted: true, streams: 2 })
    expect(restart.json['reconnects']).toBeGreaterThanOrEqual(1)
    // The feed delivers again after the drop, and the reconnects of both streams are counted (the answer waits
    // at most 5 s for them; on a loaded machine the second may come after it).
    await until('market events after the restart', async () => ((await lastMarketEventAt()) ?? 0) > restartedAt + 200 ? true : undefined)
    expect((await call('GET', '/health')).status).toBe(200)
    const reconnects = async (): Promise<number> => Number(/^ws_reconnects_total\{venue="xsim"\} (\d+)/m.exec((await call('GET', '/metrics')).json['text'] as string)?.[1])
    await until('both streams reconnected', async () => ((await reconnects()) >= 2 ? true : undefined))

    // The session's other procedures work on the exchange session too.
    const rec = await call('POST', '/reconciliation/positions', tokens['operator'], {})
    expect(rec.status, JSON.stringify(rec.json)).toBe(200)
    const fills = await call('POST', '/reconciliation/run', tokens['operator'], {})
    expect(fills.status, JSON.stringify(fills.json)).toBe(200)
    expect(fills.json['status'], JSON.stringify(fills.json)).toBe('ok')
    expect(rec.json['status'], JSON.stringify(rec.json)).toBe('ok')
    expect(existsSync(join(dir, 'market'))).toBe(true)
  }, 30_000)

  it('stops on SIGTERM with exit 0; the audit chain has the mode changes and the feed restart with their actors', async () => {
    server!.child.kill('SIGTERM')
    const code = await Promise.race([server!.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 20_000))])
    if (code === 'running') throw new Error(`still running 20 s after SIGTERM; ${await whatKeepsItAlive()}; server stderr: ${server!.stderr()}`)
    expect(code, server!.stderr()).toBe(0)
    const stopped = JSON.parse(server!.stdout().trim().split('\n').at(-1)!) as { event: string; mode: string; events: number }
    expect(stopped).toMatchObject({ event: 'stopped', mode: 'shadow' })
    expect(stopped.events).toBeGreaterThan(0)

    const file = join(dir, 'audit.jsonl')
    const exported = sofia(['audit', 'export', '--out', file, '--data-dir', dir])
    expect(exported.code, exported.stderr).toBe(0)
    const records = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; actor: string; payload: Record<string, unknown> })
    const changes = records.filter((r) => r.type === 'mode.changed').map((r) => [r.payload['from'], r.payload['to'], r.actor])
    expect(changes).toEqual([
      ['shadow', 'canary', 'operator:alice'],
      ['canary', 'shadow', 'operator:t'],
      ['shadow', 'canary', 'operator:alice'],
      ['canary', 'shadow', 'operator:t'],
    ])
    expect(records.find((r) => r.type === 'shadow.rollback')).toMatchObject({ actor: 'operator:t', payload: { from: 'canary', to: 'shadow', reason: 'e2e rollback' } })
    expect(records.find((r) => r.type === 'feed.restarted')).toMatchObject({ actor: 'operator:t', payload: { venue: 'xsim', restarted: true } })
    expect(records.filter((r) => r.type === 'api.request' && r.payload['route'] === '/shadow/rollback').map((r) => r.payload['status'])).toEqual([200, 409, 200])
    expect(sofia(['audit', 'verify', '--data-dir', dir]).code).toBe(0)
  }, 45_000)
})
