/**
 * Chaos: `sofia run --mode live` (a market maker) against `sofia exchange-sim` in its own process, killed
 * with SIGKILL at random moments — while starting, resyncing, quoting, with orders in flight and cancels
 * pending — under a seeded mix of exchange faults (429 with Retry-After, 503, requests held past the client's
 * patience, dropped create and cancel responses, WebSocket drops). After the last run the exchange's own
 * record (`GET /sim/orders`, `GET /sim/trades`) is compared with the store: no fill lost or doubled, no client
 * order id sent twice, nothing working on the exchange that the store does not know, positions equal, and
 * the audit chain verifies.
 *
 * CI runs a bounded version. `npm run chaos` runs the long one (CHAOS_LONG=1: ≥ 3,000 fills, ≥ 20 kills), on
 * SQLite, then on PostgreSQL when DATABASE_URL is set (CHAOS_STORE=postgres). Counts are printed as one JSON
 * line (`chaos: {...}`).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Prng } from '../src/engine/index.js'
import { dec } from '../src/model/index.js'
import type { Decimal } from '../src/model/index.js'
import { openStore } from '../src/store/index.js'
import type { Store, StoredOrder } from '../src/store/index.js'
import { CLI, cliEnv, sofia } from './helpers.js'
import { control, sleep, startSim, stopSim } from './sim.js'
import type { Sim } from './sim.js'

const LONG = process.env['CHAOS_LONG'] === '1'
const KILLS = Number(process.env['CHAOS_KILLS'] ?? (LONG ? 24 : 6))
const MIN_FILLS = Number(process.env['CHAOS_FILLS'] ?? (LONG ? 3_000 : 40))
const MAX_MINUTES = Number(process.env['CHAOS_MINUTES'] ?? (LONG ? 20 : 1.5))
/** SQLite always; PostgreSQL too when DATABASE_URL is set (CHAOS_STORE picks one). */
const STORES = process.env['CHAOS_STORE'] !== undefined ? [process.env['CHAOS_STORE']] : process.env['DATABASE_URL'] !== undefined ? ['sqlite', 'postgres'] : ['sqlite']
const SEED = Number(process.env['CHAOS_SEED'] ?? 20261205)
const SYMBOL = 'BTC/USDT'
/** An account per store case, so one run's exchange record is not mixed with another's. */
const ACCOUNTS: Record<string, { key: string; secret: string }> = {
  sqlite: { key: 'CHAOSKEY', secret: 'CHAOSSECRET' },
  postgres: { key: 'CHAOSPG', secret: 'CHAOSPGSECRET' },
}
let account = ACCOUNTS['sqlite']!

interface SimOrder {
  readonly clientOrderId: string
  readonly orderId: number
  readonly status: string
  readonly side: string
  readonly executedQty: string
}
interface SimTrade {
  readonly id: string
  readonly order: string
  readonly clientOrderId?: string
  readonly side: 'buy' | 'sell'
  readonly amount: number
  readonly info: { readonly qty: string }
}

let sim: Sim | undefined
const children: ChildProcess[] = []
/** The store of the case running now: a PostgreSQL URL, or undefined for SQLite in the data directory. */
let databaseUrl: string | undefined

/** A PostgreSQL database of this run's own (created here), so no other test's rows are in it. */
async function freshDatabase(): Promise<string> {
  const base = process.env['DATABASE_URL']
  if (base === undefined) throw new Error('CHAOS_STORE=postgres needs DATABASE_URL')
  const { default: pg } = await import('pg')
  const name = `sofia_chaos_${Date.now()}`
  const client = new pg.Client({ connectionString: base })
  await client.connect()
  await client.query(`CREATE DATABASE ${name}`)
  await client.end()
  const url = new URL(base)
  url.pathname = `/${name}`
  return url.toString()
}

beforeAll(async () => {
  sim = await startSim([
    '--tick-ms', '50', '--seed', String(SEED), '--symbols', SYMBOL, '--trade-probability', '1',
    '--api-key', ACCOUNTS['sqlite']!.key, '--api-secret', ACCOUNTS['sqlite']!.secret, '--account', `${ACCOUNTS['postgres']!.key}:${ACCOUNTS['postgres']!.secret}`,
    '--balance', 'USDT=10000000', '--balance', 'BTC=1000',
  ])
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await stopSim(sim)
})

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    EXCHANGE: 'binance',
    API_KEY: account.key,
    API_SECRET: account.secret,
    KILL_SWITCH: 'OFF',
    MAX_DAILY_LOSS: '100000000',
    MAX_POSITION_USD: '100000000',
    ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
    ...extra,
  }
}

/** One `sofia run --mode live` process; resolves its exit (code, or the signal that ended it). */
function startSession(dataDir: string, extra: readonly string[] = []): { proc: ChildProcess; exited: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const proc = spawn(
    process.execPath,
    [CLI, 'run', '--mode', 'live', '--url', sim!.url, '--venue', 'xsim', '--symbols', SYMBOL, '--strategy', 'market-maker',
      '--param', 'amount=0.001', '--param', 'spreadBps=0.5', '--param', 'refreshMs=150', '--param', 'requoteBps=0.2',
      '--param', 'maxInventory=0.02', '--data-dir', dataDir, ...extra],
    { cwd: dataDir, env: cliEnv(env()), stdio: ['ignore', 'ignore', 'pipe'] },
  )
  children.push(proc)
  let stderr = ''
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-20_000)))
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  )
  return { proc, exited }
}

/** A seeded mix of faults for one round. */
function faultsFor(rng: Prng): Record<string, unknown> {
  const f: Record<string, unknown> = {}
  const p = (x: number): boolean => rng.next() < x
  if (p(0.5)) f['rateLimit'] = { probability: 0.03, retryAfterS: 1 }
  if (p(0.5)) f['serverError'] = { probability: 0.03, status: 503 }
  if (p(0.4)) f['timeout'] = { probability: 0.03, afterMs: 2_500, endpoints: ['POST /api/v3/order', 'DELETE /api/v3/order'] }
  if (p(0.5)) f['dropResponse'] = { probability: 0.05, endpoints: ['POST /api/v3/order', 'DELETE /api/v3/order'] }
  if (p(0.3)) f['wsDisconnectEveryMs'] = 1_500
  return f
}

async function storedOrders(store: Store): Promise<StoredOrder[]> {
  return store.loadOrders()
}

describe('chaos: SIGKILL and exchange faults against the local exchange', () => {
  it.each(STORES)(`loses no fill, sends no client id twice and leaves nothing working unknown (${KILLS} kills, ≥ ${MIN_FILLS} fills, %s)`, async (STORE) => {
    databaseUrl = STORE === 'postgres' ? await freshDatabase() : undefined
    account = ACCOUNTS[STORE]!
    await control(sim!, 'POST', '/sim/faults', {})
    const rng = new Prng(SEED)
    const dataDir = mkdtempSync(join(tmpdir(), 'sofia-chaos-'))
    // The drill measures the order path under injected faults, so it turns the alert rules off. With the default
    // rules, the first burst of venue errors fires OrderErrorRateHigh, whose pause_strategy leaves the account
    // REDUCING until an operator resumes it: on a desk that is the point, but here every later life would only be
    // denied its orders (the sessions run in dataDir, where sofia run reads config/alerts.yaml).
    mkdirSync(join(dataDir, 'config'))
    writeFileSync(join(dataDir, 'config', 'alerts.yaml'), 'rules: []\n')

    const deadline = Date.now() + MAX_MINUTES * 60_000
    const starts: { code: number | null; signal: string | null }[] = []
    const failures: string[] = []
    let kills = 0
    let fills = 0
    /** Lives in a row that added no fill. */
    let stalled = 0
    let inFlightAtKill = 0
    let pendingCancelAtKill = 0
    const exchangeFills = async (): Promise<SimTrade[]> => control<SimTrade[]>(sim!, 'GET', `/sim/trades?apiKey=${account.key}`)
    while ((kills < KILLS || fills < MIN_FILLS) && Date.now() < deadline) {
      await control(sim!, 'POST', '/sim/faults', faultsFor(rng))
      const s = startSession(dataDir)
      // Mostly short lives (killed while starting, resyncing or just quoting); in the long run some long ones
      // too, so the fills pile up past every page size. On a loaded machine a session can take most of a short
      // life to start: after two lives that added no fill, the next one is given time to trade (CI once saw 34
      // kills and 19 fills in the bound, while a test run beside it held both cores).
      const lifetime =
        (LONG && rng.next() < 0.3 ? 10_000 + Math.floor(rng.next() * 30_000) : 300 + Math.floor(rng.next() * 3_500)) + (stalled >= 2 ? 4_000 : 0)
      const ended = await Promise.race([s.exited, sleep(lifetime).then(() => undefined)])
      if (ended !== undefined) {
        failures.push(`session exited on its own (code ${ended.code}): ${ended.stderr.split('\n').filter((l) => l.trim() !== '').slice(-30).join(' | ')}`)
        break
      }
      s.proc.kill('SIGKILL')
      const r = await s.exited
      starts.push({ code: r.code, signal: r.signal })
      kills++
      const before = fills
      fills = (await exchangeFills()).length
      stalled = fills > before ? 0 : stalled + 1
      // What the killed process left between sent and settled (the store's word; the exchange decides).
      const store = await openStore({ dataDir, ...(databaseUrl !== undefined ? { databaseUrl } : {}), create: false }).catch(() => undefined)
      if (store !== undefined) {
        for (const o of await store.loadOrders({ openOnly: true })) {
          if (o.state === 'submitted') inFlightAtKill++
          if (o.state === 'pending_cancel') pendingCancelAtKill++
        }
        await store.close()
      }
      // Quotes left resting by the killed process fill while nobody watches.
      if (rng.next() < 0.5) await sleep(200 + Math.floor(rng.next() * 800))
    }
    expect(failures).toEqual([])

    // The last session: no faults; it resyncs, trades a moment, and stops cleanly (SIGTERM), cancelling its orders.
    await control(sim!, 'POST', '/sim/faults', {})
    const last = startSession(dataDir)
    await sleep(4_000)
    last.proc.kill('SIGTERM')
    const end = await last.exited
    expect(end.code, end.stderr.slice(-2_000)).toBe(0)

    // ---- the exchange's own record against the store ----
    const orders = await control<SimOrder[]>(sim!, 'GET', `/sim/orders?apiKey=${account.key}`)
    const trades = await exchangeFills()
    const store = await openStore({ dataDir, ...(databaseUrl !== undefined ? { databaseUrl } : {}), create: false })
    try {
      const storeFills = new Map<string, { amount: Decimal; side: string }>()
      for await (const batch of store.iterateFills({ venue: 'xsim' })) for (const f of batch) storeFills.set(f.tradeId, { amount: dec(f.amount), side: f.side })
      const stored = await storedOrders(store)
      const byClientId = new Map(stored.map((o) => [o.clientOrderId, o]))

      const exchangeTradeIds = trades.map((t) => t.id)
      const lost = exchangeTradeIds.filter((id) => !storeFills.has(id))
      const extra = [...storeFills.keys()].filter((id) => !exchangeTradeIds.includes(id))
      const idCounts = new Map<string, number>()
      for (const o of orders) idCounts.set(o.clientOrderId, (idCounts.get(o.clientOrderId) ?? 0) + 1)
      const duplicateIds = [...idCounts].filter(([, n]) => n > 1).map(([id]) => id)
      const working = orders.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')
      const unknownWorking = working.filter((o) => {
        const s = byClientId.get(o.clientOrderId)
        return s === undefined || ['closed', 'canceled', 'expired', 'rejected', 'denied'].includes(s.state)
      })
      const unknownOrders = orders.filter((o) => !byClientId.has(o.clientOrderId))
      const position = (list: Iterable<{ side: string; amount: Decimal }>): Decimal => {
        let p = dec(0)
        for (const t of list) p = t.side === 'buy' ? p.add(t.amount) : p.sub(t.amount)
        return p
      }
      const exchangePosition = position(trades.map((t) => ({ side: t.side, amount: dec(t.info.qty) })))
      const storePosition = position(storeFills.values())
      const verify = sofia(['audit', 'verify', '--data-dir', dataDir], { env: env() })
      const counts = {
        store: STORE,
        kills,
        inFlightAtKill,
        pendingCancelAtKill,
        exchangeOrders: orders.length,
        exchangeFills: trades.length,
        storeFills: storeFills.size,
        lostFills: lost.length,
        extraFills: extra.length,
        duplicateClientIds: duplicateIds.length,
        workingAtEnd: working.length,
        workingUnknownToStore: unknownWorking.length,
        ordersUnknownToStore: unknownOrders.length,
        exchangePosition: exchangePosition.toString(),
        storePosition: storePosition.toString(),
        auditVerify: verify.code,
      }
      console.log(`chaos: ${JSON.stringify(counts)}`)
      expect(kills).toBeGreaterThanOrEqual(Math.min(KILLS, 3))
      // A drill that stopped trading measured nothing: it must reach its count of fills.
      expect(trades.length).toBeGreaterThanOrEqual(MIN_FILLS)
      expect(lost).toEqual([])
      expect(extra).toEqual([])
      // One stored fill per exchange fill (two fills sharing a trade id would hide behind the id checks).
      expect(storeFills.size).toBe(trades.length)
      expect(duplicateIds).toEqual([])
      expect(unknownWorking.map((o) => o.clientOrderId)).toEqual([])
      expect(working.map((o) => o.clientOrderId)).toEqual([])
      expect(unknownOrders.map((o) => o.clientOrderId)).toEqual([])
      expect(storePosition.toString()).toBe(exchangePosition.toString())
      expect(verify.code, verify.stderr + verify.stdout).toBe(0)
      // Every store order the exchange holds agrees with it on the filled amount.
      for (const o of orders) {
        const s = byClientId.get(o.clientOrderId)!
        expect(dec(s.filled).toString(), o.clientOrderId).toBe(dec(o.executedQty).toString())
      }
    } finally {
      await store.close()
    }
  }, (MAX_MINUTES + 3) * 60_000)
})
