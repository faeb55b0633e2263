/**
 * End-to-end: the order path (Trader → risk → order manager → CcxtVenue → real ccxt) against
 * `sofia exchange-sim` with injected faults. Each case checks that no order is duplicated at the exchange,
 * the order ends in the right state, and (where failures repeat) the venue's circuit breaker opens; resync
 * repairs what the session missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WallClock } from '../src/engine/index.js'
import type { MarketSource } from '../src/engine/index.js'
import { dec } from '../src/model/index.js'
import type { MarketEvent, Order } from '../src/model/index.js'
import { createMetrics } from '../src/observability/index.js'
import { ContinuousReconciler, DEFAULT_RISK, Trader, resync } from '../src/system/index.js'
import { CcxtVenue, createCcxtExchange } from '../src/venues/ccxt.js'
import { control, sleep, startSim, stopSim, waitFor } from './sim.js'
import type { Sim } from './sim.js'

const SYMBOL = 'BTC/USDT'
let sim: Sim | undefined
let account = 0
const closers: Array<() => Promise<void> | void> = []

beforeAll(async () => {
  const accounts = Array.from({ length: 16 }, (_, i) => ['--account', `F${i + 1}:FS${i + 1}`]).flat()
  sim = await startSim(['--tick-ms', '0', '--seed', '9', '--symbols', SYMBOL, '--balance', 'USDT=100000', '--balance', 'BTC=10', ...accounts])
})

afterAll(async () => {
  for (const c of closers.reverse()) await c()
  await stopSim(sim)
})

/** A market source that yields nothing until stopped (the session runs on requests alone). */
function idle(signal: AbortSignal): MarketSource {
  return {
    [Symbol.asyncIterator](): AsyncIterator<readonly MarketEvent[]> {
      return {
        next: async () => {
          await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())))
          return { done: true, value: undefined }
        },
      }
    },
  }
}

async function session(options: { watch?: boolean; pollMs?: number; timeoutMs?: number; recvWindowMs?: number } = {}) {
  const n = ++account
  const key = `F${n}`
  const metrics = createMetrics({ processMetrics: false })
  const exchange = createCcxtExchange({ exchangeId: 'binance', apiKey: key, secret: `FS${n}`, url: sim!.url, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), recvWindowMs: options.recvWindowMs ?? 2_000 })
  const venue = await CcxtVenue.connect({
    id: 'xsim',
    exchange,
    symbols: [SYMBOL],
    retry: { baseMs: 50 },
    reconnects: metrics.wsReconnects,
    ...(options.watch !== undefined ? { watch: options.watch } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
  })
  const trader = Trader.inMemory({
    clock: new WallClock(),
    venues: [{ id: 'xsim', instruments: venue.instruments(), balances: { USDT: '100000', BTC: '10' }, venue }],
    strategies: [],
    reportingCurrency: 'USDT',
    equitySampleMs: 60_000,
    riskSettings: { ...DEFAULT_RISK, breakers: { ...DEFAULT_RISK.breakers, failures: 3 } },
  })
  const stop = new AbortController()
  const running = trader.run(idle(stop.signal))
  closers.push(async () => {
    stop.abort()
    await running
    await venue.close()
  })
  await sleep(20)
  const book = await exchange.fetchOrderBook(SYMBOL, 1)
  const bid = dec(String(book.bids[0]![0]!))
  const ask = dec(String(book.asks[0]![0]!))
  let seq = 0
  const submit = (side: 'buy' | 'sell', type: 'limit' | 'market', amount: string, price?: string): Order =>
    trader.orders.submit({ strategyId: `f${n}`, venue: 'xsim', symbol: SYMBOL, side, type, amount: dec(amount), ...(price !== undefined ? { price: dec(price) } : {}), tag: String(++seq) })
  const atExchange = async (clientOrderId: string) =>
    (await control<Array<{ clientOrderId: string; status: string }>>(sim!, 'GET', `/sim/orders?apiKey=${key}`)).filter((o) => o.clientOrderId === clientOrderId)
  const faults = (f: object) => control(sim!, 'POST', '/sim/faults', f)
  return { trader, venue, exchange, metrics, key, bid, ask, submit, atExchange, faults }
}

describe('faults on the order path', () => {
  it('latency: the order is acknowledged late, once', async () => {
    const s = await session()
    await s.faults({ latencyMs: 300 })
    const t0 = Date.now()
    const o = s.submit('buy', 'limit', '0.001', s.bid.sub(100).toString())
    expect(await waitFor(() => o.state === 'open', 5_000)).toBe(true)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    await s.faults({})
    expect(await s.atExchange(o.clientOrderId)).toHaveLength(1)
  })

  it('429 with Retry-After: reads wait and retry; an order refused with 429 is looked up, not resent', async () => {
    const s = await session()
    await s.faults({ rateLimit: { next: 1, retryAfterS: 1, endpoints: ['GET /api/v3/openOrders'] } })
    const t0 = Date.now()
    await s.venue.fetchOpenOrders(SYMBOL)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950)
    await s.faults({ rateLimit: { next: 1, retryAfterS: 1, endpoints: ['POST /api/v3/order'] } })
    const o = s.submit('buy', 'limit', '0.001', s.bid.sub(100).toString())
    // Not declared rejected while the exchange could still accept it (recvWindow 2 s + 1 s skew).
    await sleep(1_000)
    expect(o.state).toBe('submitted')
    expect(await waitFor(() => o.state === 'rejected', 10_000)).toBe(true)
    expect(o.reason).toMatch(/not received by venue: RateLimitExceeded/)
    expect(await s.atExchange(o.clientOrderId)).toHaveLength(0)
    await s.faults({})
  })

  it('5xx on every order: each rejected after a lookup, none at the exchange, the breaker opens', async () => {
    const s = await session()
    await s.faults({ serverError: { next: 3, status: 503, endpoints: ['POST /api/v3/order'] } })
    const orders: Order[] = []
    for (let i = 0; i < 3; i++) {
      const o = s.submit('buy', 'limit', '0.001', s.bid.sub(100 + i).toString())
      orders.push(o)
      expect(await waitFor(() => o.state === 'rejected', 10_000)).toBe(true)
      expect(o.reason).toMatch(/ExchangeNotAvailable/)
    }
    for (const o of orders) expect(await s.atExchange(o.clientOrderId)).toHaveLength(0)
    const breaker = s.trader.safety.breakers.list(Date.now()).find((b) => b.key === 'venue:xsim')
    expect(breaker?.state).toBe('open')
    const denied = s.submit('buy', 'limit', '0.001', s.bid.sub(100).toString())
    expect(denied.state).toBe('denied')
    expect(denied.reason).toMatch(/circuit breaker venue:xsim is open/)
    await s.faults({})
  })

  it('a request never answered: RequestTimeout, lookup finds nothing, rejected, nothing at the exchange', async () => {
    const s = await session({ timeoutMs: 500 })
    await s.faults({ timeout: { next: 1, endpoints: ['POST /api/v3/order'] } })
    const o = s.submit('buy', 'limit', '0.001', s.bid.sub(100).toString())
    expect(await waitFor(() => o.state === 'rejected', 10_000)).toBe(true)
    expect(o.reason).toMatch(/RequestTimeout/)
    expect(await s.atExchange(o.clientOrderId)).toHaveLength(0)
    await s.faults({})
  })

  it('a dropped response: the order is found by client id, exactly one exists, and its fill arrives', async () => {
    const s = await session()
    await s.faults({ dropResponse: { next: 1, endpoints: ['POST /api/v3/order'] } })
    const price = s.bid.add(s.ask).div(2).toDecimalPlaces(2).toString()
    const o = s.submit('buy', 'limit', '0.002', price)
    expect(await waitFor(() => o.state === 'open', 5_000)).toBe(true)
    expect(await s.atExchange(o.clientOrderId)).toHaveLength(1)
    await s.faults({})
    await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side: 'sell', amount: '0.002', price })
    expect(await waitFor(() => o.state === 'closed', 5_000)).toBe(true)
    expect(o.filled.toString()).toBe('0.002')
    expect(await s.atExchange(o.clientOrderId)).toHaveLength(1)
  })

  it('a WebSocket disconnect: the user stream reconnects (counted) and later fills still arrive', async () => {
    const s = await session()
    const price = s.bid.add(s.ask).div(2).toDecimalPlaces(2).toString()
    await control(sim!, 'POST', '/sim/ws-disconnect')
    expect(await waitFor(() => s.venue.reconnectCount > 0, 5_000)).toBe(true)
    expect((await s.metrics.wsReconnects.get()).values.find((v) => v.labels['venue'] === 'xsim')?.value ?? 0).toBeGreaterThan(0)
    await sleep(500)
    const o = s.submit('sell', 'limit', '0.001', price)
    expect(await waitFor(() => o.state === 'open', 5_000)).toBe(true)
    await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side: 'buy', amount: '0.001', price })
    expect(await waitFor(() => o.state === 'closed', 8_000)).toBe(true)
    expect(s.trader.orders.counters.fills).toBe(1)
  })

  it('resync: fills and closes the session missed are applied, an order the exchange never got is closed', async () => {
    // No stream and no poll: the session learns nothing after each request's answer.
    const s = await session({ watch: false, pollMs: 3_600_000 })
    const price = s.bid.add(s.ask).div(2).toDecimalPlaces(2).toString()
    const filled = s.submit('buy', 'limit', '0.003', price)
    const canceled = s.submit('buy', 'limit', '0.001', s.bid.sub(150).toString())
    expect(await waitFor(() => filled.state === 'open' && canceled.state === 'open', 5_000)).toBe(true)
    await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side: 'sell', amount: '0.003', price })
    await s.exchange.cancelOrder('', SYMBOL, { origClientOrderId: canceled.clientOrderId })
    // An order whose send and lookup both went unanswered stays "submitted".
    await s.faults({ serverError: { next: 5, status: 502, endpoints: ['POST /api/v3/order', 'GET /api/v3/order'] } })
    const lost = s.submit('buy', 'limit', '0.001', s.bid.sub(160).toString())
    await sleep(1_500)
    await s.faults({})
    expect([filled.state, canceled.state]).toEqual(['open', 'open'])
    expect(lost.state).toBe('submitted')
    const summary = await resync(s.trader, s.venue, { actor: 'test' })
    expect(summary).toMatchObject({ fillsApplied: 1, ordersUpdated: 2, ordersClosed: 1 })
    expect(filled.state).toBe('closed')
    expect(filled.filled.toString()).toBe('0.003')
    expect(canceled.state).toBe('canceled')
    expect(lost.state).toBe('rejected')
    expect(s.trader.ledger.position('xsim', SYMBOL).amount.toString()).toBe('0.003')
    // Again: nothing left to repair.
    expect(await resync(s.trader, s.venue, { actor: 'test' })).toMatchObject({ fillsApplied: 0, ordersUpdated: 0, ordersClosed: 0 })
  })

  it('a cancel answered 503: retried with backoff until the exchange confirms it; never reported cancelled before', async () => {
    const s = await session()
    const o = s.submit('buy', 'limit', '0.001', s.bid.sub(120).toString())
    expect(await waitFor(() => o.state === 'open', 5_000)).toBe(true)
    await s.faults({ serverError: { probability: 1, status: 503, endpoints: ['DELETE /api/v3/order', 'GET /api/v3/order'] } })
    const during = await s.trader.orders.cancelAllConfirmed(undefined, 1_500)
    expect(during.requested).toBe(1)
    expect(during.canceled).toEqual([])
    expect(during.pending).toEqual([o.clientOrderId])
    expect(during.errors[o.clientOrderId]).toMatch(/ExchangeNotAvailable|503/)
    expect(o.isTerminal).toBe(false)
    expect((await s.atExchange(o.clientOrderId))[0]?.status).toBe('NEW')
    await s.faults({})
    // Retried on its own: confirmed by the exchange once it answers again.
    expect(await waitFor(() => o.state === 'canceled', 10_000)).toBe(true)
    expect((await s.atExchange(o.clientOrderId))[0]?.status).toBe('CANCELED')
  })

  it('a cancel that overtakes its order (held 1.5 s): looked up and retried until the order arrives, then cancelled', async () => {
    const s = await session()
    await s.faults({ timeout: { next: 1, afterMs: 1_500, endpoints: ['POST /api/v3/order'] } })
    const o = s.submit('buy', 'limit', '0.001', s.bid.sub(130).toString())
    await sleep(200)
    expect(o.state).toBe('submitted')
    s.trader.orders.cancel(o.clientOrderId)
    expect(await waitFor(() => o.isTerminal, 10_000)).toBe(true)
    expect(o.state).toBe('canceled')
    const at = await s.atExchange(o.clientOrderId)
    expect(at).toHaveLength(1)
    expect(at[0]!.status).toBe('CANCELED')
  })

  it('an order held past the client timeout and then accepted: found by client id and managed, not declared rejected', async () => {
    const s = await session({ timeoutMs: 500 })
    await s.faults({ timeout: { next: 1, afterMs: 1_200, endpoints: ['POST /api/v3/order'] } })
    const o = s.submit('buy', 'limit', '0.001', s.bid.sub(140).toString())
    expect(await waitFor(() => o.state === 'open', 10_000)).toBe(true)
    expect(o.venueOrderId).toBeDefined()
    const at = await s.atExchange(o.clientOrderId)
    expect(at).toHaveLength(1)
    s.trader.orders.cancel(o.clientOrderId)
    expect(await waitFor(() => o.state === 'canceled', 5_000)).toBe(true)
  })

  it('more fills than one page (1,000): fetchMyTrades, the fill backstop and reconciliation read them all', async () => {
    const s = await session({ watch: false, pollMs: 3_600_000 })
    const inst = s.venue.instrument(SYMBOL)
    const n = 1_150
    const price = s.bid.add(s.ask).div(2).toDecimalPlaces(2).toString()
    const since = Date.now() - 1_000
    const o = s.submit('buy', 'limit', inst.stepSize.mul(n).toString(), price)
    expect(await waitFor(() => o.state === 'open', 5_000)).toBe(true)
    for (let i = 0; i < n; i++) await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side: 'sell', amount: inst.stepSize.toString(), price })
    const exchangeTrades = (await control<Array<{ order: string }>>(sim!, 'GET', `/sim/trades?apiKey=${s.key}`)).filter((t) => t.order === o.venueOrderId)
    expect(exchangeTrades).toHaveLength(n)
    const fetched = await s.venue.fetchMyTrades(SYMBOL, since)
    expect(fetched.filter((t) => t.clientOrderId === o.clientOrderId)).toHaveLength(n)
    expect(new Set(fetched.map((t) => t.id)).size).toBe(fetched.length)
    expect((await s.venue.fetchMyTrades(SYMBOL)).filter((t) => t.clientOrderId === o.clientOrderId)).toHaveLength(n)
    // The session saw none of them (no stream, no poll): resync applies every one, exactly once.
    const summary = await resync(s.trader, s.venue, { actor: 'test' })
    expect(summary.fillsApplied).toBe(n)
    expect(o.state).toBe('closed')
    expect(o.filled.toString()).toBe(inst.stepSize.mul(n).toString())
    const { venueTrades } = await import('../src/reconcile/index.js')
    let count = 0
    for await (const batch of venueTrades(s.venue, { symbols: [SYMBOL] })) count += batch.filter((t) => t.clientOrderId === o.clientOrderId).length
    expect(count).toBe(n)
  })

  it('a trade made on the account outside Sofia: reported by resync, and taken in as an external fill with adopt', async () => {
    const s = await session({ watch: false, pollMs: 3_600_000 })
    const price = s.bid.add(s.ask).div(2).toDecimalPlaces(2).toString()
    // Someone places and fills an order on the same account by hand (not a Sofia id).
    await s.exchange.createOrder(SYMBOL, 'limit', 'buy', 0.004, Number(price), { clientOrderId: 'web_manual_1' })
    await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side: 'sell', amount: '0.004', price })
    const before = s.trader.ledger.position('xsim', SYMBOL).amount
    const seen = await resync(s.trader, s.venue, { actor: 'test' })
    expect(seen).toMatchObject({ foreignFills: 1, fillsAdopted: 0 })
    expect(s.trader.ledger.position('xsim', SYMBOL).amount.toString()).toBe(before.toString())
    const adopted = await resync(s.trader, s.venue, { actor: 'operator:test', adopt: true })
    expect(adopted).toMatchObject({ fillsAdopted: 1 })
    expect(s.trader.ledger.position('xsim', SYMBOL).amount.toString()).toBe(before.add('0.004').toString())
    expect(s.trader.ledger.strategyPositions().find((p) => p.strategyId === 'external')?.amount.toString()).toBe('0.004')
    // Taken in once.
    expect((await resync(s.trader, s.venue, { actor: 'operator:test', adopt: true })).fillsAdopted).toBe(0)
  })

  it('continuous reconciliation: a resting foreign order is reported once; a balance difference that stands is alerted', async () => {
    const s = await session({ watch: false, pollMs: 3_600_000 })
    const alerts: string[] = []
    const reconciler = new ContinuousReconciler({ trader: s.trader, venueId: 'xsim', assets: new Set(['BTC', 'USDT']), venue: () => s.venue, onAlert: (l) => alerts.push(l) })
    await reconciler.compareBalances()
    expect(alerts).toEqual([])
    await s.exchange.createOrder(SYMBOL, 'limit', 'buy', 0.002, Number(s.bid.sub(300).toString()), { clientOrderId: 'web_rest_1' })
    await reconciler.reconcileOrders()
    await reconciler.reconcileOrders()
    expect(alerts.filter((a) => a.includes('web_rest_1'))).toHaveLength(1)
    // Someone's sell on the account fills: the exchange's balances move, the ledger's do not (not adopted).
    const price = s.bid.add(s.ask).div(2).toDecimalPlaces(2).toString()
    await s.exchange.createOrder(SYMBOL, 'limit', 'sell', 0.003, Number(price), { clientOrderId: 'web_fill_1' })
    await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side: 'buy', amount: '0.003', price })
    await reconciler.compareBalances() // first sighting: may be a fill in flight
    expect(alerts.filter((a) => a.includes('balances differ'))).toHaveLength(0)
    await reconciler.compareBalances()
    expect(alerts.filter((a) => a.includes('balances differ'))).toHaveLength(1)
    expect(alerts.find((a) => a.includes('balances differ'))).toMatch(/BTC ledger 10 vs exchange 9\.997/)
  })
})
