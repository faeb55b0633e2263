/**
 * Self-trades on an exchange without self-trade prevention, end to end. `sofia exchange-sim
 * --self-trade-prevention NONE` lets an account's orders trade with each other, as Binance does with STP NONE
 * and as exchanges without STP do: one trade id, two fills of ours, a buy and a sell. A live `sofia run` (the
 * real ccxt) crosses its own resting order, first normally, then with the orders' answers held by the exchange
 * and the session SIGKILLed before they come, so that the restart's resync must find both halves.
 * Checked against the exchange's own `/sim/trades`: every (trade id, side) is in the store once, nothing
 * more; `sofia reconcile --live` finds nothing.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CcxtVenue, createCcxtExchange } from '../src/venues/ccxt.js'
import { CLI, cliEnv, sofia } from './helpers.js'
import { control, sleep, startSim, stopSim, waitFor } from './sim.js'
import type { Sim } from './sim.js'

const SYMBOL = 'BTC/USDT'
const ENV = { EXCHANGE: 'binance', API_KEY: 'E1', API_SECRET: 'S1', KILL_SWITCH: 'OFF' }
let sim: Sim | undefined
const children: ChildProcess[] = []

/** Sells 0.001 one tick under the best ask and buys the same at that price: the buy meets our own sell. */
const STRATEGY = `import { defineStrategy, z } from 'sofia'

export default defineStrategy({
  name: 'self-cross',
  params: z.object({ venue: z.string().default('xsim'), symbol: z.string().default('BTC/USDT'), pairs: z.number().default(2) }),
  create: (p) => {
    let sent = 0
    return {
      onQuote(q, ctx) {
        if (sent >= p.pairs || ctx.openOrders(p.venue, p.symbol).length > 0) return
        const tick = ctx.instrument(p.venue, p.symbol).tickSize.toNumber()
        if (q.ask - q.bid < 2 * tick) return
        const price = q.ask - tick
        sent++
        ctx.submit({ venue: p.venue, symbol: p.symbol, side: 'sell', type: 'limit', amount: 0.001, price, tag: 'cross-sell' })
        ctx.submit({ venue: p.venue, symbol: p.symbol, side: 'buy', type: 'limit', amount: 0.001, price, tag: 'cross-buy' })
      },
    }
  },
})
`

interface ExchangeTrade {
  id: string
  order: string
  side: string
  price: number
  amount: number
  clientOrderId: string
}

interface StoredFill {
  trade_id: string
  side: string
  price: string
  amount: string
  client_order_id: string
}

beforeAll(async () => {
  sim = await startSim([
    '--tick-ms', '50', '--step-bps', '0', '--seed', '41', '--symbols', SYMBOL, '--trade-probability', '0', '--self-trade-prevention', 'NONE',
    '--account', 'E1:S1', '--balance', 'USDT=1000000', '--balance', 'BTC=100',
  ])
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await stopSim(sim)
})

function run(dir: string, file: string, pairs: number): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const args = ['run', '--mode', 'live', '--url', sim!.url, '--venue', 'xsim', '--symbols', SYMBOL, '--strategy', file, '--param', `pairs=${pairs}`, '--data-dir', dir]
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: cliEnv(ENV), stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(proc)
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => (err += String(d)))
  return { proc, stderr: () => err, exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) }
}

const exchangeTrades = (): Promise<ExchangeTrade[]> => control<ExchangeTrade[]>(sim!, 'GET', '/sim/trades?apiKey=E1')

function query<T>(dir: string, sql: string): T[] {
  const db = new Database(join(dir, 'sofia.db'), { readonly: true })
  try {
    return db.prepare(sql).all() as T[]
  } finally {
    db.close()
  }
}

const storedFills = (dir: string): StoredFill[] => query<StoredFill>(dir, 'select trade_id, side, price, amount, client_order_id from fills order by id')

/** (trade id, side, price, amount, client id) of each fill, sorted: the same text for the store and the exchange. */
function keys(rows: readonly { id: string; side: string; price: string; amount: string; client: string }[]): string[] {
  return rows.map((r) => `${r.id} ${r.side} ${Number(r.price)} ${Number(r.amount)} ${r.client}`).sort()
}

describe('self-trades without self-trade prevention at the exchange', () => {
  it('stores both fills of each self-trade, through a SIGKILL with the orders unanswered, and reconciles clean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-self-trade-'))
    const file = join(dir, 'self-cross.ts')
    writeFileSync(file, STRATEGY)
    // Sofia's own self-trade prevention is switched off, so the exchange sees the crosses.
    writeFileSync(join(dir, 'sofia.yaml'), 'risk:\n  selfTrade: allow\n')

    // 1. Two self-trades while the session runs.
    const first = run(dir, file, 2)
    expect(await waitFor(async () => (await exchangeTrades()).length === 4, 20_000), first.stderr()).toBe(true)
    expect(await waitFor(() => storedFills(dir).length === 4, 10_000), first.stderr()).toBe(true)
    first.proc.kill('SIGTERM')
    expect(await first.exited, first.stderr()).toBe(0)
    const pairs = await exchangeTrades()
    // The exchange's own record: two trade ids, each a buy and a sell of ours.
    expect(new Set(pairs.map((t) => t.id)).size).toBe(2)
    for (const id of new Set(pairs.map((t) => t.id))) expect(pairs.filter((t) => t.id === id).map((t) => t.side).sort()).toEqual(['buy', 'sell'])

    // 2. The exchange holds its answers to the next two placements 4 s; the session is killed before they come.
    await control(sim!, 'POST', '/sim/faults', { timeout: { next: 2, afterMs: 4_000, endpoints: ['POST /api/v3/order'] } })
    const ordersBefore = query<{ n: number }>(dir, 'select count(*) as n from orders')[0]!.n
    const second = run(dir, file, 1)
    expect(await waitFor(() => query<{ n: number }>(dir, 'select count(*) as n from orders')[0]!.n === ordersBefore + 2, 20_000), second.stderr()).toBe(true)
    // Both placements have reached the exchange (which holds them); none is answered yet.
    expect(await waitFor(async () => (await control<{ remainingNext: { timeout?: number } }>(sim!, 'GET', '/sim/faults')).remainingNext.timeout === 0, 5_000)).toBe(true)
    expect((await exchangeTrades()).length).toBe(4)
    second.proc.kill('SIGKILL')
    await second.exited
    await control(sim!, 'POST', '/sim/faults', {})
    expect(await waitFor(async () => (await exchangeTrades()).length === 6, 10_000)).toBe(true)
    expect(storedFills(dir)).toHaveLength(4)

    // 3. A restart that sends nothing: its resync finds both halves of the third self-trade.
    const third = run(dir, file, 0)
    expect(await waitFor(() => storedFills(dir).length >= 6, 20_000), third.stderr()).toBe(true)
    await sleep(1_000)
    third.proc.kill('SIGTERM')
    expect(await third.exited, third.stderr()).toBe(0)

    const exchange = await exchangeTrades()
    expect(exchange).toHaveLength(6)
    expect(new Set(exchange.map((t) => t.id)).size).toBe(3)
    const stored = storedFills(dir)
    expect(keys(stored.map((f) => ({ id: f.trade_id, side: f.side, price: f.price, amount: f.amount, client: f.client_order_id })))).toEqual(
      keys(exchange.map((t) => ({ id: String(t.id), side: t.side, price: String(t.price), amount: String(t.amount), client: t.clientOrderId }))),
    )
    // Nothing left working, and every order settled by the exchange's word.
    const sim0 = await control<{ status: string }[]>(sim!, 'GET', '/sim/orders?apiKey=E1')
    expect(sim0.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED')).toEqual([])
    expect(query<{ state: string }>(dir, "select state from orders where state not in ('closed', 'canceled', 'rejected', 'expired')")).toEqual([])

    const rec = sofia(['reconcile', '--live', '--url', sim!.url, '--data-dir', dir, '--no-halt', '--json'], { env: { MODE: 'live', ...ENV } })
    expect(rec.code, rec.stdout + rec.stderr).toBe(0)
    const report = JSON.parse(rec.stdout) as { status: string; counts: { matched: number }; inputs: { exchange: { records: number } } }
    expect(report.status).toBe('ok')
    expect(report.inputs.exchange.records).toBe(6)
    expect(report.counts.matched).toBe(6)
  }, 120_000)

  it('reads every half through fetchMyTrades when a page ends between the two fills of a self-trade', async () => {
    const exchange = await exchangeTrades()
    expect(exchange.length).toBeGreaterThanOrEqual(6)
    const expected = exchange.map((t) => `${t.id} ${t.side} ${t.clientOrderId}`).sort()
    // Pages of 3 and 5 end on the first half of a pair (ids 1 1 2 | 2 3 3, 1 1 2 2 3 | 3); 4 ends between pairs.
    for (const tradePageSize of [3, 4, 5]) {
      const ccxt = createCcxtExchange({ exchangeId: 'binance', apiKey: 'E1', secret: 'S1', url: sim!.url })
      const venue = await CcxtVenue.connect({ id: 'xsim', exchange: ccxt, symbols: [SYMBOL], watch: false, pollMs: 3_600_000, tradePageSize })
      try {
        const fetched = await venue.fetchMyTrades(SYMBOL, 0)
        expect(fetched.map((t) => `${t.id} ${t.side} ${t.clientOrderId}`).sort(), `page size ${tradePageSize}`).toEqual(expected)
        expect((await venue.fetchMyTrades(SYMBOL)).length, `page size ${tradePageSize}, whole history`).toBe(exchange.length)
      } finally {
        await venue.close()
        await (ccxt as unknown as { close(): Promise<void> }).close()
      }
    }
  })

  it("refuses, by default, an order that would trade with the account's own resting order: nothing reaches the exchange", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-self-trade-prevented-'))
    const file = join(dir, 'self-cross.ts')
    writeFileSync(file, STRATEGY)
    const tradesBefore = (await exchangeTrades()).length
    const ordersBefore = (await control<unknown[]>(sim!, 'GET', '/sim/orders?apiKey=E1')).length
    const session = run(dir, file, 1)
    const denied = () => query<{ state: string; reason: string | null; side: string }>(dir, "select state, reason, side from orders where state = 'denied'")
    expect(await waitFor(() => existsSync(join(dir, 'sofia.db')) && denied().length === 1, 20_000), session.stderr()).toBe(true)
    // The sell rests at the exchange; the buy at the same price was refused before it was sent.
    expect(denied()[0]).toMatchObject({ side: 'buy' })
    expect(denied()[0]!.reason).toMatch(/^SELF_TRADE: buy at [0-9.]+ on xsim:BTC\/USDT would trade with the account's own resting sell \S+ at [0-9.]+$/)
    await sleep(500)
    session.proc.kill('SIGTERM')
    expect(await session.exited, session.stderr()).toBe(0)
    // The exchange's own record: one new order (the sell, cancelled at the stop), no new trade.
    const orders = (await control<{ side: string; status: string }[]>(sim!, 'GET', '/sim/orders?apiKey=E1')).slice(ordersBefore)
    expect(orders.map((o) => `${o.side} ${o.status}`)).toEqual(['SELL CANCELED'])
    expect((await exchangeTrades()).length).toBe(tradesBefore)
  }, 60_000)
})
