/**
 * End-to-end: `sofia exchange-sim` as a child process on an ephemeral loopback port, traded by the real,
 * unmodified ccxt `binance` class (REST and pro WebSocket) through `ccxtBinanceClient`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import ccxt from 'ccxt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { ccxtBinanceClient, type BinanceClient } from '../src/venues/ccxt-client.js'
import { Decimal } from '../src/model/index.js'
import { CLI, REPO, cliEnv } from './helpers.js'

interface Sim {
  url: string
  ws: string
  apiKey: string
  apiSecret: string
  proc: ChildProcess
}

const running: Sim[] = []

async function startSim(args: string[]): Promise<Sim> {
  const proc = spawn(process.execPath, [CLI, 'exchange-sim', '--port', '0', '--host', '127.0.0.1', ...args], { cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    proc.stdout.on('data', (d: Buffer) => {
      out += String(d)
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(out.slice(0, nl))
    })
    proc.stderr.on('data', (d: Buffer) => (err += String(d)))
    proc.on('exit', (code) => reject(new Error(`exchange-sim exited ${code}: ${err}`)))
  })
  const info = JSON.parse(line) as { event: string; url: string; ws: string; apiKey: string; apiSecret: string }
  expect(info.event).toBe('listening')
  const sim = { ...info, proc }
  running.push(sim)
  return sim
}

async function control(sim: Sim, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(sim.url + path, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) })
  expect(res.status).toBe(200)
  return res.json()
}

const clients: BinanceClient[] = []
function client(sim: Sim, overrides: Record<string, unknown> = {}, key = sim.apiKey, secret = sim.apiSecret): BinanceClient {
  const c = ccxtBinanceClient(sim.url, key, secret, overrides)
  clients.push(c)
  return c
}

/** The ccxt exception a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

let sim: Sim
let ex: BinanceClient
let tradesOut: string

beforeAll(async () => {
  tradesOut = join(mkdtempSync(join(tmpdir(), 'sofia-xsim-')), 'trades.jsonl')
  sim = await startSim(['--tick-ms', '0', '--seed', '7', '--api-key', 'KEY1', '--api-secret', 'SECRET1', '--account', 'KEY2:SECRET2', '--balance', 'USDT=100000', '--balance', 'BTC=1', '--trades-out', tradesOut])
  ex = client(sim)
  await ex.loadMarkets()
})

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  for (const s of running) s.proc.kill('SIGTERM')
})

describe('exchange-sim: trading through ccxt binance', () => {
  it('loads spot markets with precision and limits from exchangeInfo', () => {
    const m = ex.market('BTC/USDT')
    expect(m.spot).toBe(true)
    expect(m.precision).toMatchObject({ price: 0.01, amount: 0.00001 })
    expect(m.limits.amount?.min).toBe(0.0001)
    expect(m.limits.cost?.min).toBe(5)
    expect(Object.keys(ex.markets ?? {}).sort()).toEqual(['BTC/USDT', 'ETH/USDT'])
  })

  it('serves time, order book, trades and candles', async () => {
    expect(Math.abs((await ex.fetchTime())! - Date.now())).toBeLessThan(2000)
    const book = await ex.fetchOrderBook('BTC/USDT', 5)
    expect(book.bids).toHaveLength(5)
    expect(book.bids[0]![0]!).toBeLessThan(book.asks[0]![0]!)
    const candles = await ex.fetchOHLCV('BTC/USDT', '5m', undefined, 10)
    expect(candles).toHaveLength(10)
    expect(Array.isArray(await ex.fetchTrades('BTC/USDT'))).toBe(true)
  })

  it('rests a limit order and fills it as maker when the market moves through it', async () => {
    const book = await ex.fetchOrderBook('BTC/USDT', 1)
    const bid = book.bids[0]![0]! - 50
    const order = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, bid, { clientOrderId: 'rest-1' })
    expect(order.status).toBe('open')
    expect((await ex.fetchOpenOrders('BTC/USDT')).map((o) => o.clientOrderId)).toContain('rest-1')
    await control(sim, 'POST', '/sim/market', { symbol: 'BTC/USDT', price: bid - 200 })
    const done = await ex.fetchOrder(String(order.id), 'BTC/USDT')
    expect(done.status).toBe('closed')
    expect(done.filled).toBe(0.002)
    const trades = await ex.fetchMyTrades('BTC/USDT')
    const mine = trades.filter((t) => t.order === order.id)
    expect(mine.every((t) => t.takerOrMaker === 'maker' && t.price === bid)).toBe(true)
  })

  it('partially fills, cancels, and leaves balance change = fills − fees exactly', async () => {
    const before = await ex.fetchBalance()
    const book = await ex.fetchOrderBook('BTC/USDT', 1)
    const ask = book.asks[0]![0]! - 0.01 // inside the spread: first in line
    const order = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.01, ask, { clientOrderId: 'part-1' })
    expect(order.status).toBe('open')
    expect((await ex.fetchBalance()).BTC?.used).toBe(0.01)
    await control(sim, 'POST', '/sim/trade', { symbol: 'BTC/USDT', side: 'buy', amount: '0.004', price: String(ask) })
    const partial = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'part-1' })
    expect(partial).toMatchObject({ status: 'open', filled: 0.004, remaining: 0.006 })
    const canceled = await ex.cancelOrder(String(order.id), 'BTC/USDT')
    expect(canceled.status).toBe('canceled')
    const after = await ex.fetchBalance()
    const fills = (await ex.fetchMyTrades('BTC/USDT')).filter((t) => t.order === order.id)
    expect(fills).toHaveLength(1)
    const info = fills[0]!.info as { quoteQty: string; commission: string; qty: string }
    const d = (v: number | undefined): Decimal => new Decimal(String(v ?? 0))
    expect(d(after.USDT?.total).sub(d(before.USDT?.total)).toString()).toBe(new Decimal(info.quoteQty).sub(info.commission).toString())
    expect(d(before.BTC?.total).sub(d(after.BTC?.total)).toString()).toBe(new Decimal(info.qty).toString())
    expect(after.BTC?.used).toBe(0)
  })

  it('fills a market order with Binance fills (commission in quote) and finds it by client order id', async () => {
    const before = await ex.fetchBalance()
    const order = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.003, undefined, { clientOrderId: 'mkt-1' })
    expect(order).toMatchObject({ status: 'closed', filled: 0.003 })
    expect(order.trades.length).toBeGreaterThan(0)
    expect(order.fee?.currency).toBe('USDT')
    const byClientId = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'mkt-1' })
    expect(byClientId.id).toBe(order.id)
    const after = await ex.fetchBalance()
    const cost = new Decimal(String(order.cost))
    const fee = new Decimal(String(order.fee?.cost ?? 0))
    expect(new Decimal(String(before.USDT?.total)).sub(String(after.USDT?.total)).toString()).toBe(cost.add(fee).toString())
  })

  it('keeps its own trade record, equal to what ccxt fetches (GET /sim/trades and --trades-out)', async () => {
    const mine = await ex.fetchMyTrades('BTC/USDT')
    const record = (await control(sim, 'GET', '/sim/trades?apiKey=KEY1')) as { id: string; amount: number; fee: { cost: number } }[]
    expect(record.map((t) => [t.id, t.amount, t.fee.cost])).toEqual(mine.map((t) => [t.id, t.amount, t.fee?.cost]))
    await sleep(50)
    const lines = readFileSync(tradesOut, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(record.length)
  })
})

describe('exchange-sim: Binance errors raise the right ccxt classes', () => {
  it('InsufficientFunds, InvalidOrder (LOT_SIZE, PRICE_FILTER, duplicate id), BadRequest (NOTIONAL)', async () => {
    expect(await failure(ex.createOrder('BTC/USDT', 'limit', 'buy', 10, 50_000))).toBeInstanceOf(ccxt.InsufficientFunds)
    expect(await failure(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.00002, 50_000))).toBeInstanceOf(ccxt.InvalidOrder)
    expect(await failure(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 100_000_000))).toBeInstanceOf(ccxt.InvalidOrder)
    // ccxt maps -1013 without LOT_SIZE/PRICE_FILTER in the body to BadRequest, as against Binance itself.
    expect(await failure(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.0001, 100))).toBeInstanceOf(ccxt.BadRequest)
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 40_000, { clientOrderId: 'dup-1' })
    const dup = await failure(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 40_000, { clientOrderId: 'dup-1' }))
    expect(dup).toBeInstanceOf(ccxt.InvalidOrder)
    expect(dup.message).toContain('Duplicate order sent.')
  })

  it('OrderNotFound on fetch (-2013) and on cancel (-2011)', async () => {
    expect(await failure(ex.fetchOrder('987654', 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound)
    expect(await failure(ex.cancelOrder('987654', 'BTC/USDT'))).toBeInstanceOf(ccxt.OrderNotFound)
  })

  it('AuthenticationError for an unknown key and for a bad signature; InvalidNonce outside recvWindow', async () => {
    expect(await failure(client(sim, {}, 'NOPE', 'x').fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    expect(await failure(client(sim, {}, 'KEY1', 'wrong-secret').fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError)
    const late = client(sim, { options: { timeDifference: 30_000 } })
    expect(await failure(late.fetchBalance())).toBeInstanceOf(ccxt.InvalidNonce)
  })

  it('keeps balances per API key', async () => {
    const other = client(sim, {}, 'KEY2', 'SECRET2')
    const b = await other.fetchBalance()
    expect(b.USDT?.total).toBe(100000)
    expect(await other.fetchOpenOrders('BTC/USDT')).toHaveLength(0)
  })
})

describe('exchange-sim: fault injection', () => {
  it('adds latency', async () => {
    await control(sim, 'POST', '/sim/faults', { latencyMs: 150 })
    const t0 = performance.now()
    await ex.fetchTime()
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140)
    await control(sim, 'POST', '/sim/faults', {})
  })

  it('answers 429 with Retry-After, then succeeds after waiting', async () => {
    await control(sim, 'POST', '/sim/faults', { rateLimit: { next: 1, retryAfterS: 1 } })
    const err = await failure(ex.fetchTime())
    expect(err).toBeInstanceOf(ccxt.DDoSProtection)
    const headers = ex.last_response_headers as Record<string, string>
    const retryAfter = Number(headers['Retry-After'] ?? headers['retry-after'])
    expect(retryAfter).toBe(1)
    await sleep(retryAfter * 1000)
    expect(await ex.fetchTime()).toBeGreaterThan(0)
  })

  it('5xx → ExchangeNotAvailable (a NetworkError); 504 → RequestTimeout', async () => {
    await control(sim, 'POST', '/sim/faults', { serverError: { next: 1, status: 503 } })
    const err = await failure(ex.fetchOrderBook('BTC/USDT'))
    expect(err).toBeInstanceOf(ccxt.ExchangeNotAvailable)
    expect(err).toBeInstanceOf(ccxt.NetworkError)
    await control(sim, 'POST', '/sim/faults', { serverError: { next: 1, status: 504 } })
    expect(await failure(ex.fetchOrderBook('BTC/USDT'))).toBeInstanceOf(ccxt.RequestTimeout)
  })

  it('a request never answered → RequestTimeout', async () => {
    const impatient = client(sim, { timeout: 400 })
    await control(sim, 'POST', '/sim/faults', { timeout: { next: 1 } })
    expect(await failure(impatient.fetchTime())).toBeInstanceOf(ccxt.RequestTimeout)
    expect(await impatient.fetchTime()).toBeGreaterThan(0)
  })

  it('order accepted but the response dropped: ccxt throws, GET order by client id finds exactly one order', async () => {
    await control(sim, 'POST', '/sim/faults', { dropResponse: { next: 1, endpoints: ['POST /api/v3/order'] } })
    const err = await failure(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 41_000, { clientOrderId: 'drop-1' }))
    expect(err).toBeInstanceOf(ccxt.NetworkError)
    const found = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'drop-1' })
    expect(found).toMatchObject({ clientOrderId: 'drop-1', status: 'open', amount: 0.001 })
    const orders = (await control(sim, 'GET', '/sim/orders?apiKey=KEY1')) as { clientOrderId: string }[]
    expect(orders.filter((o) => o.clientOrderId === 'drop-1')).toHaveLength(1)
  })

  it('faults by probability are deterministic for a seed', async () => {
    const outcomes = async (): Promise<string> => {
      await control(sim, 'POST', '/sim/faults', { serverError: { probability: 0.5, status: 500, endpoints: ['GET /api/v3/time'] } })
      let s = ''
      for (let i = 0; i < 12; i++) s += (await ex.fetchTime().then(() => '.', () => 'x'))
      return s
    }
    const first = await outcomes()
    expect(first).toMatch(/x/)
    expect(first).toMatch(/\./)
    // A second simulator with the same seed makes the same decisions.
    const twin = await startSim(['--tick-ms', '0', '--seed', '7', '--api-key', 'KEY1', '--api-secret', 'SECRET1'])
    const twinClient = client(twin)
    await control(twin, 'POST', '/sim/faults', { serverError: { probability: 0.5, status: 500, endpoints: ['GET /api/v3/time'] } })
    let second = ''
    for (let i = 0; i < 12; i++) second += (await twinClient.fetchTime().then(() => '.', () => 'x'))
    expect(second).toBe(first)
    await control(sim, 'POST', '/sim/faults', {})
  })
})

describe('exchange-sim: WebSocket streams', () => {
  let live: Sim
  beforeAll(async () => {
    live = await startSim(['--tick-ms', '20', '--seed', '3', '--trade-probability', '1'])
  })

  it('streams raw Binance trade events and is disconnected on demand and every N ms', async () => {
    const socket = new WebSocket(`${live.ws}/btcusdt@trade`)
    const events: { e: string; s: string }[] = []
    socket.on('message', (d) => events.push(JSON.parse(String(d)) as { e: string; s: string }))
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)))
    await new Promise((r) => socket.once('open', r))
    await sleep(300)
    expect(events.length).toBeGreaterThan(0)
    expect(events[0]).toMatchObject({ e: 'trade', s: 'BTCUSDT' })
    await control(live, 'POST', '/sim/ws-disconnect')
    expect(await closed).toBe(1006)

    await control(live, 'POST', '/sim/faults', { wsDisconnectEveryMs: 200 })
    const again = new WebSocket(`${live.ws}/ethusdt@trade`)
    const t0 = performance.now()
    await new Promise<void>((resolve) => again.on('close', () => resolve()))
    expect(performance.now() - t0).toBeLessThan(1000)
    await control(live, 'POST', '/sim/faults', {})
  })

  it('stale feed: no market data and a frozen book for staleForMs, then it resumes', async () => {
    const socket = new WebSocket(`${live.ws}/btcusdt@depth`)
    const times: number[] = []
    socket.on('message', () => times.push(performance.now()))
    await new Promise((r) => socket.once('open', r))
    await sleep(200)
    expect(times.length).toBeGreaterThan(0)
    await control(live, 'POST', '/sim/faults', { staleForMs: 800 })
    const start = performance.now()
    const c = client(live)
    const b1 = await c.fetchOrderBook('BTC/USDT', 5)
    await sleep(400)
    const b2 = await c.fetchOrderBook('BTC/USDT', 5)
    expect(b2.nonce).toBe(b1.nonce)
    await sleep(700)
    expect(times.filter((t) => t > start + 50 && t < start + 750)).toHaveLength(0)
    expect(times.filter((t) => t > start + 850).length).toBeGreaterThan(0)
    socket.close()
  })

  it('ccxt.pro watchTrades and watchOrderBook work against it', async () => {
    const c = client(live)
    await c.loadMarkets()
    const trades = await c.watchTrades('BTC/USDT')
    expect(trades.length).toBeGreaterThan(0)
    expect(trades[0]!.symbol).toBe('BTC/USDT')
    const book = await c.watchOrderBook('BTC/USDT')
    const again = await c.watchOrderBook('BTC/USDT')
    expect(again.bids.length).toBeGreaterThan(0)
    expect(again.bids[0]![0]!).toBeLessThan(again.asks[0]![0]!)
    expect(book.symbol).toBe('BTC/USDT')
  })

  it('ccxt.pro watchOrders (user data stream over the WS API) sees an order as it is created and filled', async () => {
    const c = client(sim)
    await c.loadMarkets()
    const watching = c.watchOrders('BTC/USDT')
    await sleep(300)
    const placed = await ex.createOrder('BTC/USDT', 'market', 'sell', 0.001, undefined, { clientOrderId: 'ws-1' })
    const seen = await watching
    expect(seen.some((o) => o.clientOrderId === 'ws-1')).toBe(true)
    expect(placed.status).toBe('closed')
  })

  it('--price-scale shifts every price of an instance with the same seed', async () => {
    const [a, b] = await Promise.all([
      startSim(['--tick-ms', '0', '--seed', '11']),
      startSim(['--tick-ms', '0', '--seed', '11', '--price-scale', '1.01']),
    ])
    const [ba, bb] = await Promise.all([client(a).fetchOrderBook('ETH/USDT', 1), client(b).fetchOrderBook('ETH/USDT', 1)])
    const mid = (x: typeof ba): number => (x.bids[0]![0]! + x.asks[0]![0]!) / 2
    expect(mid(bb) / mid(ba)).toBeCloseTo(1.01, 4)
  })
  it('refuses an unknown order type or self-trade prevention mode in one line (exit 2)', () => {
    for (const [args, message] of [
      [['--order-types', 'LIMIT,ICEBERG'], "sofia: --order-types: unknown order type 'ICEBERG' (known: LIMIT, MARKET, LIMIT_MAKER, STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT)"],
      [['--order-types', 'MARKET'], 'sofia: --order-types: LIMIT is required (every Binance symbol takes it)'],
      [['--self-trade-prevention', 'EXPIRE_BOTH'], "sofia: --self-trade-prevention: expected NONE or EXPIRE_MAKER, got 'EXPIRE_BOTH'"],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'exchange-sim', '--port', '0', ...args], { cwd: REPO, env: cliEnv(), encoding: 'utf8', timeout: 20_000 })
      expect(r.status, r.stderr).toBe(2)
      expect(r.stderr.trim()).toBe(message)
    }
  })
})
