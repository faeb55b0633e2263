/**
 * A stop on an exchange that cannot take one, end to end: `sofia exchange-sim` takes LIMIT, MARKET and LIMIT_MAKER
 * only, so a live `sofia run` (the real ccxt) works a strategy's reduce-only stop itself. Read from the exchange's
 * own order list: the stop is not sent while it waits; it is kept in the store across a SIGKILL and a restart;
 * when the price falls through it, one market sell reaches the exchange and the account is flat again.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cliEnv, sofia } from './helpers.js'
import { control, startSim, stopSim, waitFor } from './sim.js'
import type { Sim } from './sim.js'

const SYMBOL = 'BTC/USDT'
let sim: Sim | undefined
const children: ChildProcess[] = []

interface SimOrder {
  clientOrderId: string
  side: string
  type: string
  status: string
  executedQty: string
  origQty: string
  stopPrice: string
  orderListId: number
}

/** Enters 0.01 BTC (never while holding it, nor after its stop traded), then protects it with a reduce-only stop 1% under the fill. */
const STRATEGY = `import { defineStrategy, z } from 'sofia'

export default defineStrategy({
  name: 'stop-guard',
  params: z.object({ venue: z.string().default('xsim'), symbol: z.string().default('BTC/USDT'), replace: z.enum(['yes', 'no']).default('no') }),
  create: (p) => {
    let done = false
    const maybeEnter = (ctx) => {
      if (done || ctx.openOrders(p.venue, p.symbol).length > 0 || ctx.position(p.venue, p.symbol).gt(0) || ctx.lastPrice(p.venue, p.symbol) === undefined) return
      ctx.submit({ venue: p.venue, symbol: p.symbol, side: 'buy', type: 'market', amount: 0.01, tag: 'entry' })
    }
    const mine = (ctx) => ctx.openOrders(p.venue, p.symbol).map((o) => o.tag + ' ' + o.state + ' ' + o.side + ' ' + o.options.triggerPrice).join(', ')
    return {
      onStart: (ctx) => ctx.log('open orders at start: [' + mine(ctx) + ']'),
      onOrder: (order, ctx) => {
        if (order.tag === 'stop' && order.state === 'canceled') ctx.log('heard: stop ' + order.clientOrderId + ' canceled')
      },
      onTrade: (_t, ctx) => maybeEnter(ctx),
      onQuote: (_q, ctx) => maybeEnter(ctx),
      onFill(_trade, order, ctx) {
        if (order.tag === 'stop') done = true
        if (order.tag !== 'entry' || order.state !== 'closed') return
        const stop = order.average.toNumber() * 0.99
        const id = ctx.submit({ venue: order.venue, symbol: order.symbol, side: 'sell', type: 'market', amount: order.filled, triggerPrice: stop, reduceOnly: true, tag: 'stop' })
        ctx.log('open orders after the stop: [' + mine(ctx) + ']')
        if (p.replace !== 'yes') return
        // Cancelled by its id and placed again: the strategy holds its stop whether the exchange or Sofia works it.
        ctx.cancel(id)
        ctx.log('open orders after cancelling it: [' + mine(ctx) + ']')
        ctx.submit({ venue: order.venue, symbol: order.symbol, side: 'sell', type: 'market', amount: order.filled, triggerPrice: stop, reduceOnly: true, tag: 'stop' })
      },
    }
  },
})
`

let native: Sim | undefined

beforeAll(async () => {
  // An exchange without native stops (LIMIT, MARKET and LIMIT_MAKER only), and one with Binance's.
  sim = await startSim(['--tick-ms', '50', '--seed', '23', '--symbols', SYMBOL, '--trade-probability', '1', '--order-types', 'LIMIT,MARKET,LIMIT_MAKER', '--account', 'E1:S1', '--balance', 'USDT=1000000', '--balance', 'BTC=100'])
  native = await startSim(['--tick-ms', '50', '--seed', '23', '--symbols', SYMBOL, '--trade-probability', '1', '--account', 'E1:S1', '--balance', 'USDT=1000000', '--balance', 'BTC=100'])
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await stopSim(sim)
  await stopSim(native)
})

function run(dir: string, file: string, on: Sim = sim!, extra: string[] = []): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [CLI, 'run', '--mode', 'live', '--url', on.url, '--venue', 'xsim', '--symbols', SYMBOL, '--strategy', file, '--data-dir', dir, ...extra], {
    cwd: dir,
    env: cliEnv({ EXCHANGE: 'binance', API_KEY: 'E1', API_SECRET: 'S1', KILL_SWITCH: 'OFF' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  children.push(proc)
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => (err += String(d)))
  return { proc, stderr: () => err, exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) }
}

const orders = (on: Sim = sim!): Promise<SimOrder[]> => control<SimOrder[]>(on, 'GET', '/sim/orders?apiKey=E1')

function emulated(dir: string): { id: string; tag: string; triggerPrice: string; reduceOnly: boolean }[] {
  const db = new Database(join(dir, 'sofia.db'), { readonly: true })
  try {
    const row = db.prepare("select value from state where key = 'orders.emulated'").get() as { value: string } | undefined
    return row === undefined ? [] : (JSON.parse(row.value) as { id: string; tag: string; triggerPrice: string; reduceOnly: boolean }[])
  } finally {
    db.close()
  }
}

describe('a stop the exchange cannot take', () => {
  it('waits in Sofia (not on the exchange), survives SIGKILL and a restart, and sends one market sell when the price falls through it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-emulated-'))
    const file = join(dir, 'stop-guard.ts')
    writeFileSync(file, STRATEGY)
    const first = run(dir, file, sim, ['--param', 'replace=yes'])
    expect(await waitFor(async () => (await orders()).some((o) => o.side === 'BUY' && o.status === 'FILLED'), 20_000), first.stderr()).toBe(true)
    expect(await waitFor(() => emulated(dir).length === 1, 10_000), first.stderr()).toBe(true)
    expect(emulated(dir)[0]).toMatchObject({ tag: 'stop', reduceOnly: true })
    // The strategy sees the stop Sofia works among its open orders (not yet sent: state created), and its
    // cancel by id drops it; its lines (ctx.log) reach the session's output.
    expect(first.stderr()).toMatch(/^stop-guard: open orders after the stop: \[stop created sell [\d.]+\]$/m)
    expect(first.stderr()).toMatch(/^stop-guard: open orders after cancelling it: \[\]$/m)
    // It hears of that cancel (onOrder, state canceled) as it would of a venue's.
    expect(first.stderr()).toMatch(/^stop-guard: heard: stop \S+ canceled$/m)
    // Nothing but the entry reached the exchange.
    expect((await orders()).map((o) => [o.side, o.type, o.status])).toEqual([['BUY', 'MARKET', 'FILLED']])
    first.proc.kill('SIGKILL')
    await first.exited
    // No session: `sofia status` reads the store, and shows the stop that waits in Sofia.
    const offline = sofia(['status', '--data-dir', dir], { cwd: dir, env: { KILL_SWITCH: 'OFF' } })
    expect(offline.code, offline.stderr).toBe(0)
    expect(offline.stdout).toMatch(/^emulated orders \(waiting in Sofia, not on the exchange\): 1$/m)
    expect(offline.stdout).toMatch(/^ {2}\S+ stop-guard: xsim BTC\/USDT sell market 0\.01 when price ≤ [\d.]+ \(stop, reduce-only\)$/m)

    const second = run(dir, file)
    expect(await waitFor(() => /open orders at start/.test(second.stderr()), 30_000), second.stderr()).toBe(true)
    expect(second.stderr()).toMatch(/^stop-guard: open orders at start: \[stop created sell [\d.]+\]$/m)
    // The running session answers `sofia status` itself (once it holds its lease), with the same stop.
    type Status = { session: unknown; emulatedOrders: { tag: string; side: string; reduceOnly: boolean }[] }
    const status = (): Status => JSON.parse(sofia(['status', '--data-dir', dir, '--json'], { cwd: dir, env: { KILL_SWITCH: 'OFF' } }).stdout) as Status
    expect(await waitFor(() => status().session !== null, 30_000, 500), second.stderr()).toBe(true)
    expect(status().emulatedOrders).toMatchObject([{ tag: 'stop', side: 'sell', reduceOnly: true }])
    await new Promise((r) => setTimeout(r, 2_000))
    expect(emulated(dir)).toHaveLength(1)
    expect((await orders()).length, second.stderr()).toBe(1) // restarted holding the position: no new entry, the stop still waits
    const book = await control<{ bids: [string, string][] }>(sim!, 'GET', `/api/v3/depth?symbol=BTCUSDT&limit=1`)
    const mid = Number(book.bids[0]![0])
    const stopId = emulated(dir)[0]!.id
    await control(sim!, 'POST', '/sim/market', { symbol: SYMBOL, price: Math.round(mid * 0.97) })
    expect(await waitFor(async () => (await orders()).some((o) => o.side === 'SELL' && o.status === 'FILLED'), 15_000), second.stderr()).toBe(true)
    const all = await orders()
    expect(all.map((o) => [o.side, o.type, o.status])).toEqual([
      ['BUY', 'MARKET', 'FILLED'],
      ['SELL', 'MARKET', 'FILLED'],
    ])
    expect(all[1]!.executedQty).toBe(all[0]!.executedQty)
    // The market sell went out under the stop's own client id: the strategy follows one order, as with a native stop.
    expect(all[1]!.clientOrderId).toBe(stopId)
    expect(await waitFor(() => emulated(dir).length === 0, 5_000)).toBe(true)
    second.proc.kill('SIGTERM')
    await second.exited
    const db = new Database(join(dir, 'sofia.db'), { readonly: true })
    try {
      const types = db.prepare("select type from audit where type like 'order.emulated.%' order by seq").all() as { type: string }[]
      expect(types.map((t) => t.type)).toEqual(['order.emulated.created', 'order.emulated.canceled', 'order.emulated.created', 'order.emulated.triggered'])
    } finally {
      db.close()
    }
  }, 90_000)
})

describe('a stop the exchange takes natively', () => {
  it('goes to the exchange as a STOP_LOSS (nothing emulated), is not sent again after SIGKILL and a restart, and fills there when the price falls through it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-native-stop-'))
    const file = join(dir, 'stop-guard.ts')
    writeFileSync(file, STRATEGY)
    const first = run(dir, file, native)
    const stopAt = async (): Promise<SimOrder | undefined> => (await orders(native)).find((o) => o.type === 'STOP_LOSS')
    expect(await waitFor(async () => (await stopAt()) !== undefined, 20_000), first.stderr()).toBe(true)
    const entry = (await orders(native)).find((o) => o.side === 'BUY')!
    const stop = (await stopAt())!
    expect([entry.type, entry.status]).toEqual(['MARKET', 'FILLED'])
    expect([stop.side, stop.status, stop.origQty]).toEqual(['SELL', 'NEW', entry.executedQty])
    expect(emulated(dir)).toEqual([])
    first.proc.kill('SIGKILL')
    await first.exited

    const second = run(dir, file, native)
    expect(await waitFor(() => /open orders at start/.test(second.stderr()), 30_000), second.stderr()).toBe(true)
    expect(second.stderr()).toMatch(/^stop-guard: open orders at start: \[stop open sell [\d.]+\]$/m)
    const running = (): boolean => (JSON.parse(sofia(['status', '--data-dir', dir, '--json'], { cwd: dir, env: { KILL_SWITCH: 'OFF' } }).stdout) as { session: unknown }).session !== null
    expect(await waitFor(running, 30_000, 500), second.stderr()).toBe(true)
    await new Promise((r) => setTimeout(r, 2_000))
    // Restarted holding the position with its stop at the exchange: nothing new sent.
    expect((await orders(native)).map((o) => [o.side, o.type, o.status]), second.stderr()).toEqual([
      ['BUY', 'MARKET', 'FILLED'],
      ['SELL', 'STOP_LOSS', 'NEW'],
    ])
    const status = sofia(['status', '--data-dir', dir], { cwd: dir, env: { KILL_SWITCH: 'OFF' } })
    expect(status.stdout).toMatch(/^open orders: 1$/m)
    const book = await control<{ bids: [string, string][] }>(native!, 'GET', `/api/v3/depth?symbol=BTCUSDT&limit=1`)
    await control(native!, 'POST', '/sim/market', { symbol: SYMBOL, price: Math.round(Number(book.bids[0]![0]) * 0.97) })
    expect(await waitFor(async () => (await stopAt())?.status === 'FILLED', 15_000), second.stderr()).toBe(true)
    expect((await orders(native)).length).toBe(2)
    // Sofia learns the fill from the exchange: the order is closed in the store and the account is flat.
    const db = (): Database.Database => new Database(join(dir, 'sofia.db'), { readonly: true })
    const settled = (): boolean => {
      const d = db()
      try {
        const row = d.prepare('select state from orders where client_order_id = ?').get(stop.clientOrderId) as { state: string } | undefined
        const net = d.prepare("select coalesce(sum(case side when 'buy' then cast(amount as real) else -cast(amount as real) end), 0) as n from fills").get() as { n: number }
        return row?.state === 'closed' && Math.abs(net.n) < 1e-12
      } finally {
        d.close()
      }
    }
    expect(await waitFor(settled, 10_000), second.stderr()).toBe(true)
    second.proc.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 90_000)
})

/** Enters 0.01 BTC once with a bracket 2% either side of the price it decided at. */
const BRACKETED = `import { defineStrategy, z } from 'sofia'

export default defineStrategy({
  name: 'bracketed',
  params: z.object({ venue: z.string().default('xsim'), symbol: z.string().default('BTC/USDT') }),
  create: (p) => {
    let sent = false
    const maybeEnter = (ctx) => {
      const last = ctx.lastPrice(p.venue, p.symbol)
      if (sent || last === undefined) return
      sent = ctx.submit({ venue: p.venue, symbol: p.symbol, side: 'buy', type: 'market', amount: 0.01, tag: 'entry', stopLossPrice: last * 0.98, takeProfitPrice: last * 1.02 }) !== undefined
    }
    return { onTrade: (_t, ctx) => maybeEnter(ctx), onQuote: (_q, ctx) => maybeEnter(ctx) }
  },
})
`

describe('a bracket on an account that holds only what it bought', () => {
  it("goes to the exchange as one OCO list (two legs, one hold), and the stop that fires expires the take-profit there", async () => {
    // No BTC but what the entry buys: two separate sell orders could not both hold it.
    const bare = await startSim(['--tick-ms', '50', '--seed', '29', '--symbols', SYMBOL, '--trade-probability', '1', '--account', 'E1:S1', '--balance', 'USDT=1000000'])
    try {
      const dir = mkdtempSync(join(tmpdir(), 'sofia-oco-'))
      const file = join(dir, 'bracketed.ts')
      writeFileSync(file, BRACKETED)
      const session = run(dir, file, bare)
      const legs = async (): Promise<SimOrder[]> => (await orders(bare)).filter((o) => o.side === 'SELL')
      expect(await waitFor(async () => (await legs()).length === 2, 20_000), session.stderr()).toBe(true)
      const [sl, tp] = await legs()
      expect([sl!.type, sl!.status, tp!.type, tp!.status], session.stderr()).toEqual(['STOP_LOSS', 'NEW', 'TAKE_PROFIT', 'NEW'])
      expect(sl!.orderListId).toBeGreaterThan(-1)
      expect(tp!.orderListId).toBe(sl!.orderListId)
      const book = await control<{ bids: [string, string][] }>(bare, 'GET', `/api/v3/depth?symbol=BTCUSDT&limit=1`)
      await control(bare, 'POST', '/sim/market', { symbol: SYMBOL, price: Math.round(Number(book.bids[0]![0]) * 0.96) })
      expect(await waitFor(async () => (await legs()).map((o) => o.status).join() === 'FILLED,EXPIRED', 15_000), session.stderr()).toBe(true)
      // Sofia hears it from the exchange: the stop closed, the take-profit expired, the account flat.
      const settled = (): boolean => {
        const d = new Database(join(dir, 'sofia.db'), { readonly: true })
        try {
          const states = d.prepare('select client_order_id as id, state from orders').all() as { id: string; state: string }[]
          const of = (id: string): string | undefined => states.find((r) => r.id === id)?.state
          const net = d.prepare("select coalesce(sum(case side when 'buy' then cast(amount as real) else -cast(amount as real) end), 0) as n from fills").get() as { n: number }
          return of(sl!.clientOrderId) === 'closed' && of(tp!.clientOrderId) === 'expired' && Math.abs(net.n) < 1e-12
        } finally {
          d.close()
        }
      }
      expect(await waitFor(settled, 10_000), session.stderr()).toBe(true)
      session.proc.kill('SIGTERM')
      expect(await session.exited).toBe(0)
    } finally {
      await stopSim(bare)
    }
  }, 60_000)
})
