/**
 * The operator's day as one end-to-end test on the local exchange, run the way an operator runs it: the
 * shipped configuration copied as the README says (sofia.example.yaml → sofia.yaml with the exchange,
 * config/alerts.example.yaml → config/alerts.yaml with its notifiers pointed at a local receiver), the
 * runbook's variables (MAX_DAILY_LOSS), `sofia serve` live, and the CLI and the API for everything else.
 *
 * Morning checks; a market maker holding inventory; the exchange answers 503 to every cancel; a price crash
 * trips the daily-loss limit in AUTO. Read from the exchange's own order list: no order created after the
 * trip, nothing working 15 s after the exchange recovers. The webhook receives the trip, the incident record
 * exists. End of day: `reconcile --live` is clean, `report daily` and `report eod` work with the shipped
 * rules, and `pnl` counts exactly the exchange's fills as live (0 simulated). Recovery the same day: shadow
 * (nothing reaches the exchange; deactivation is refused while the KILL_SWITCH file exists, then allowed with
 * the loss acknowledged; the simulated leg fills, `pnl` counts them as simulated and no live fill), the size
 * the shipped DailyLoss80 rule halved restored, then a registered version (v2, twice the session's size)
 * rolled out through canary at 10% and 50% to live, read from the order sizes at the exchange. The audit
 * chain verifies at the end.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { execFile } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, REPO, cliEnv } from './helpers.js'
import { control, sleep, startSim, stopSim, waitFor } from './sim.js'
import type { Sim } from './sim.js'

const SYMBOL = 'BTC/USDT'
const KEY = 'DAYKEY'
const SECRET = 'DAYSECRET'
const ENV = { MAX_DAILY_LOSS: '15' }
const home = mkdtempSync(join(tmpdir(), 'sofia-operator-day-'))
const dataDir = join(home, 'var')
let sim: Sim | undefined
let receiver: Server | undefined
const received: { path: string; body: string }[] = []
let serve: ChildProcess | undefined

type SimOrder = { clientOrderId: string; status: string; side: string; type: string; time: number; origQty: string }

beforeAll(async () => {
  sim = await startSim(['--tick-ms', '50', '--seed', '31', '--symbols', SYMBOL, '--trade-probability', '0', '--api-key', KEY, '--api-secret', SECRET, '--balance', 'USDT=100000', '--balance', 'BTC=10'])
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += String(d)))
    req.on('end', () => {
      received.push({ path: req.url ?? '', body })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve))
  const port = (receiver.address() as { port: number }).port
  const hook = `http://127.0.0.1:${port}`
  // As the README says: copy the examples, then fill in the exchange and where notifications go.
  const example = readFileSync(join(REPO, 'sofia.example.yaml'), 'utf8')
  writeFileSync(join(home, 'sofia.yaml'), `${example}\nexchange:\n  id: binance\n  apiKey: ${KEY}\n  apiSecret: ${SECRET}\n  urls:\n    api: ${sim.url}\n`.replace(/^mode: .*$/m, 'mode: live'))
  mkdirSync(join(home, 'config'))
  const alerts = readFileSync(join(REPO, 'config', 'alerts.example.yaml'), 'utf8')
    .replace('https://ops.example.com/sofia/alerts', `${hook}/webhook`)
    .replace('https://hooks.slack.com/services/T000/B000/XXXXXXXX', `${hook}/slack`)
    .replace('# url: https://events.pagerduty.com/v2/enqueue', `url: ${hook}/pagerduty`)
    .replace('host: smtp.example.com', 'host: 127.0.0.1')
    .replace('port: 587', `port: ${port}`)
  writeFileSync(join(home, 'config', 'alerts.yaml'), alerts)
  // The desk's roll-out stages for a same-day recovery (the runbook's table is for a new version: weeks per stage).
  const stages = ['shadow, capital_pct: 0, min_duration: 1h', 'canary-1, capital_pct: 10, min_duration: 1h', 'canary-2, capital_pct: 50, min_duration: 1h', 'production, capital_pct: 100, min_duration: ongoing']
  writeFileSync(join(home, 'config', 'canary.yaml'), `stages:\n${stages.map((x) => `  - { name: ${x} }\n`).join('')}`)
}, 30_000)

afterAll(async () => {
  if (serve !== undefined && serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL')
  await new Promise<void>((resolve) => (receiver === undefined ? resolve() : receiver.close(() => resolve())))
  await stopSim(sim)
})

/** The CLI in the operator's home, without blocking this process (the session under test answers it). */
async function sofia(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args, '--data-dir', dataDir], { cwd: home, env: cliEnv(ENV), timeout: 60_000 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

const exchangeOrders = (): Promise<SimOrder[]> => control<SimOrder[]>(sim!, 'GET', `/sim/orders?apiKey=${KEY}`)
const working = async (): Promise<SimOrder[]> => (await exchangeOrders()).filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')

describe("the operator's day", () => {
  it('morning checks, a crash that trips the kill switch while cancels fail, end of day, and recovery through shadow, canary and live', async () => {
    // ---- Morning checks -------------------------------------------------------------------------------
    // (The desk's setup, done once: an operator token, which also creates the store.)
    const token = await sofia(['tokens', 'create', '--name', 'ops', '--role', 'operator', '--json'])
    expect(token.code, token.stderr).toBe(0)
    const bearer = (JSON.parse(token.stdout) as { token: string }).token
    const preflight = await sofia(['preflight'])
    expect(preflight.code, preflight.stdout + preflight.stderr).toBe(0)
    const before = await sofia(['status'])
    expect(before.stdout).toContain('session: none running')

    // ---- The session -----------------------------------------------------------------------------------
    const args = ['serve', '--strategy', 'market-maker', '--param', 'venue=xsim', '--param', `symbol=${SYMBOL}`, '--param', 'amount=0.01', '--param', 'spreadBps=40']
    args.push('--param', 'maxInventory=0.2', '--symbols', SYMBOL, '--venue', 'xsim', '--port', '0', '--data-dir', dataDir)
    serve = spawn(process.execPath, [CLI, ...args], { cwd: home, env: cliEnv(ENV) })
    let out = ''
    let err = ''
    serve.stdout!.on('data', (d: Buffer) => (out += String(d)))
    serve.stderr!.on('data', (d: Buffer) => (err += String(d)))
    const exited = new Promise<number | null>((resolve) => serve!.once('exit', resolve))
    expect(await waitFor(() => out.includes('\n') || serve!.exitCode !== null, 30_000), err).toBe(true)
    const { url, mode } = JSON.parse(out.split('\n')[0]!) as { url: string; mode: string }
    expect(mode).toBe('live')
    const api = async <T = Record<string, unknown>>(path: string, method = 'GET', body?: unknown): Promise<T> => {
      const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
      return (await res.json()) as T
    }
    type Orders = { orders: { side: string; price: string; state: string }[] }
    type Positions = { positions: { symbol: string; amount: string }[] }
    const position = async (): Promise<number> => Number((await api<Positions>('/positions')).positions.find((p) => p.symbol === SYMBOL)?.amount ?? 0)

    try {
      // The maker quotes 20 bps from the mid; outside sellers sweep the book down to its bid until it holds 0.04 BTC.
      expect(await waitFor(async () => (await api<Orders>('/orders')).orders.some((o) => o.side === 'buy' && o.state === 'open'), 20_000), err).toBe(true)
      for (let i = 0; i < 40 && (await position()) < 0.04; i++) {
        const bid = (await api<Orders>('/orders')).orders.find((o) => o.side === 'buy' && o.state === 'open')
        if (bid !== undefined) await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side: 'sell', amount: '1000', price: bid.price })
        await sleep(300)
      }
      const inventory = await position()
      expect(inventory).toBeGreaterThanOrEqual(0.04)
      expect(await waitFor(async () => (await working()).length > 0, 10_000)).toBe(true)

      // ---- The incident: cancels fail, the price crashes, the daily-loss limit trips (AUTO) ------------
      await control(sim!, 'POST', '/sim/faults', { serverError: { probability: 1, status: 503, endpoints: ['DELETE /api/v3/order', 'DELETE /api/v3/openOrders'] } })
      const book = await control<{ bids: [string, string][] }>(sim!, 'GET', `/api/v3/depth?symbol=BTCUSDT&limit=1`)
      await control(sim!, 'POST', '/sim/market', { symbol: SYMBOL, price: Math.round(Number(book.bids[0]![0]) * 0.96) })
      type Status = { killSwitch: { active: boolean; trigger?: string; since?: number } }
      expect(await waitFor(async () => (await api<Status>('/status')).killSwitch.active, 15_000), err).toBe(true)
      const ks = (await api<Status>('/status')).killSwitch
      expect(ks.trigger).toBe('daily_loss')
      const tripAt = ks.since!
      await sleep(Math.max(0, tripAt + 5_000 - Date.now()))
      await control(sim!, 'POST', '/sim/faults', {})
      const recoveredAt = Date.now()
      expect(await waitFor(async () => (await working()).length === 0, 15_000), err).toBe(true)
      const settledMs = Date.now() - recoveredAt
      // No order created after the trip: every order at the exchange was decided by Sofia before it.
      const created = await sofia(['status', '--json'])
      expect(created.code, created.stderr).toBe(0)
      const Database = (await import('better-sqlite3')).default
      const db = new Database(join(dataDir, 'sofia.db'), { readonly: true })
      const createdAt = new Map((db.prepare('select client_order_id, created_at from orders').all() as { client_order_id: string; created_at: number }[]).map((r) => [r.client_order_id, r.created_at]))
      db.close()
      const atExchange = await exchangeOrders()
      expect(atExchange.filter((o) => !createdAt.has(o.clientOrderId)).map((o) => o.clientOrderId)).toEqual([])
      expect(atExchange.filter((o) => createdAt.get(o.clientOrderId)! > tripAt).map((o) => [o.side, o.type, o.status])).toEqual([])
      // The trip reached the webhook, and the incident record exists.
      expect(await waitFor(() => received.some((r) => r.path === '/webhook' && /kill.?switch|daily.?loss/i.test(r.body)), 10_000), JSON.stringify(received.map((r) => r.path))).toBe(true)
      const incidents = readdirSync(join(dataDir, 'incidents')).filter((f) => f.endsWith('.json'))
      expect(incidents.length).toBeGreaterThan(0)
      expect(JSON.parse(readFileSync(join(dataDir, 'incidents', incidents.at(-1)!), 'utf8'))).toMatchObject({ trigger: 'daily_loss' })
      expect(existsSync(join(home, 'KILL_SWITCH'))).toBe(true)
      const halted = await sofia(['status'])
      expect(halted.stdout).toMatch(/kill switch: ACTIVE \(daily_loss/)

      // ---- End of day ------------------------------------------------------------------------------------
      const reconcile = await sofia(['reconcile', '--live', '--no-halt', '--json'])
      expect(reconcile.code, reconcile.stdout.slice(0, 2000) + reconcile.stderr).toBe(0)
      expect((JSON.parse(reconcile.stdout) as { status: string }).status).toBe('ok')
      const daily = await sofia(['report', 'daily', '--no-send'])
      expect(daily.code, daily.stderr).toBe(0)
      const eod = await sofia(['report', 'eod', '--no-send', '--json'])
      expect(eod.code, eod.stderr).toBe(0)
      expect((JSON.parse(eod.stdout.trim().split('\n').at(-1)!) as { reconciliation: { status: string } }).reconciliation.status).toBe('ok')
      type Pnl = { live: { fills: number }; simulated: { fills: number } }
      const exchangeFills = (await control<unknown[]>(sim!, 'GET', `/sim/trades?apiKey=${KEY}`)).length
      const pnlDay = JSON.parse((await sofia(['pnl', '--period', 'today', '--json'])).stdout) as Pnl
      expect(pnlDay.live.fills).toBe(exchangeFills)
      expect(pnlDay.simulated.fills).toBe(0)

      // ---- Recovery the same day: shadow, then canary at 10% and 50%, then live ----------------------------
      const toShadow = await sofia(['shadow', 'rollback', '--reason', 'recover in shadow'])
      expect(toShadow.code, toShadow.stdout + toShadow.stderr).toBe(0)
      const shadowAt = Date.now()
      type Leg = { fills: number }
      type Shadow = { mode: string; shadowOrders: number; legs: { sim: Leg; live: Leg } }
      expect(await waitFor(async () => (await api<Shadow>('/shadow/status')).shadowOrders >= 2, 15_000), err).toBe(true)
      expect((await api<Shadow>('/shadow/status')).mode).toBe('shadow')
      // The market comes down through the shadow bid: the simulated leg fills, the exchange sees nothing of ours.
      const shadowBid = (await api<Orders>('/orders')).orders.find((o) => o.side === 'buy' && o.state === 'open')
      expect(shadowBid, JSON.stringify((await api<Orders>('/orders')).orders)).toBeDefined()
      await control(sim!, 'POST', '/sim/market', { symbol: SYMBOL, price: Math.floor(Number(shadowBid!.price) * 0.998) })
      expect(await waitFor(async () => (await api<Shadow>('/shadow/status')).legs.sim.fills > 0, 15_000), err).toBe(true)
      expect((await exchangeOrders()).filter((o) => o.time >= shadowAt)).toEqual([])
      const pnlShadow = JSON.parse((await sofia(['pnl', '--period', 'today', '--json'])).stdout) as Pnl
      expect(pnlShadow.live.fills).toBe(exchangeFills)
      expect(pnlShadow.simulated.fills).toBeGreaterThan(0)
      // The version to recover with: the market maker at 0.02 (the session's own parameters say 0.01), rolled out
      // from shadow. The session takes the roll-out over within 5 s and runs v2's parameters.
      const registered = await sofia(['registry', 'register', '--strategy', 'market-maker', '--strategy-version', 'v2', '--param', 'amount=0.02', '--skip-validation', '--reason', 'recovery version'])
      expect(registered.code, registered.stdout + registered.stderr).toBe(0)
      const rollout = await sofia(['canary', 'start', 'shadow', '--strategy', 'market-maker', '--strategy-version', 'v2', '--reason', 'recovery: shadow'])
      expect(rollout.code, rollout.stdout + rollout.stderr).toBe(0)
      expect(await waitFor(() => err.includes('canary market-maker v2: stage shadow in effect'), 15_000), out + err).toBe(true)
      expect(err).toContain('canary market-maker: now running v2')
      const refused = await sofia(['kill-switch', 'deactivate', '--reason', 'recovered', '--acknowledge-loss'])
      expect(refused.code).toBe(1)
      expect(refused.stdout + refused.stderr).toContain('KILL_SWITCH')
      rmSync(join(home, 'KILL_SWITCH'))
      const resumed = await sofia(['kill-switch', 'deactivate', '--reason', 'recovered', '--acknowledge-loss'])
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0)
      // The shipped rule DailyLoss80 (action reduce_size) halved the size during the crash; the operator restores it.
      type Override = { positionOverride: { account: string } }
      expect((await api<Override>('/shadow/status')).positionOverride.account).toBe('0.5')
      const fullSize = await sofia(['risk', 'override', '--multiplier', '1'])
      expect(fullSize.code, fullSize.stdout + fullSize.stderr).toBe(0)
      // Each stage reaches the exchange as v2's 0.02 times the stage's share (config/canary.yaml): never the
      // session's own 0.01.
      const sizes: string[] = []
      for (const [stage, qty] of [['canary_1', '0.00200000'], ['canary-2', '0.01000000'], ['production', '0.02000000']] as const) {
        const moved = await sofia(['canary', 'start', stage, '--strategy', 'market-maker', '--strategy-version', 'v2', '--reason', `recovery: ${stage}`])
        expect(moved.code, moved.stdout + moved.stderr).toBe(0)
        const movedAt = Date.now()
        expect(await waitFor(async () => (await exchangeOrders()).some((o) => o.time >= movedAt && o.origQty === qty), 20_000), `${stage}: ${err}`).toBe(true)
        sizes.push(`${stage} ${qty}`)
      }
      const sent = (await exchangeOrders()).filter((o) => o.time >= shadowAt).map((o) => o.origQty)
      expect(sent.filter((q) => !['0.00200000', '0.01000000', '0.02000000'].includes(q))).toEqual([])
      const pnlAfter = JSON.parse((await sofia(['pnl', '--period', 'today', '--json'])).stdout) as Pnl
      expect(pnlAfter.live.fills).toBe((await control<unknown[]>(sim!, 'GET', `/sim/trades?apiKey=${KEY}`)).length)
      console.log(
        `operator-day: inventory ${inventory} BTC; trip ${ks.trigger}; 0 orders created after it; all settled ${settledMs} ms after the 503s ended; ` +
          `${exchangeFills} exchange fills at EOD = pnl live fills; shadow ${pnlShadow.simulated.fills} simulated fills, 0 live; recovery with v2: ${sizes.join(', ')}`,
      )
    } finally {
      serve.kill('SIGTERM')
      await exited
    }
    const verify = await sofia(['audit', 'verify'])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
  }, 240_000)
})
