/**
 * @module execution/mode-router.test
 * The router's copies (the canary's share on the exchange) in what the end-to-end tests cannot time: a cancel
 * asked for while a copy is still unanswered, cancels that fail again and again, and a copy whose own order
 * is done on the simulator. The "exchange" here is a second simulator behind a gate that holds answers back
 * and fails cancels on demand.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { SimulatedClock } from '../engine/index.js'
import { ExchangeNotAvailable, dec, makeInstrument } from '../model/index.js'
import { SimulatedVenue } from '../venues/index.js'
import type { OrderRequest, Venue, VenueOrder } from '../venues/index.js'
import { ModeRouter } from './mode-router.js'

const T0 = 1_700_000_000_000
const SYMBOL = 'BTC/USDT'
const btc = makeInstrument({ symbol: SYMBOL, tickSize: '0.01', stepSize: '0.001', minCost: '1' })

/**
 * A simulator as the exchange: new orders wait on their way for `release` after `hold`, and the next
 * `failCancels` cancels fail. Like the local exchange's simulator, a cancel is answered "open" and confirmed
 * by a push once the clock moves on.
 */
function gatedExchange(clock: SimulatedClock) {
  const inner = new SimulatedVenue({ id: 'x', clock, instruments: [btc], balances: { USDT: '100000', BTC: '10' } })
  let held: (() => void)[] | undefined
  const state = { failCancels: 0, cancelsSent: 0 }
  const venue: Venue = {
    id: 'x',
    instruments: () => inner.instruments(),
    instrument: (s) => inner.instrument(s),
    subscribe: (l) => inner.subscribe(l),
    createOrder: (req: OrderRequest): Promise<VenueOrder> => {
      if (held === undefined) return inner.createOrder(req)
      // On its way: it reaches the exchange on release.
      return new Promise((resolve, reject) => held!.push(() => void inner.createOrder(req).then(resolve, reject)))
    },
    cancelOrder: (id, symbol) => {
      state.cancelsSent++
      if (state.failCancels > 0) {
        state.failCancels--
        return Promise.reject(new ExchangeNotAvailable('503 Service Unavailable'))
      }
      return inner.cancelOrder(id, symbol)
    },
    fetchOrder: (id, symbol) => inner.fetchOrder(id, symbol),
    fetchOpenOrders: (symbol) => inner.fetchOpenOrders(symbol),
    fetchMyTrades: (symbol, since, limit) => inner.fetchMyTrades(symbol, since, limit),
    fetchBalance: () => inner.fetchBalance(),
    fetchTime: () => inner.fetchTime(),
  }
  const hold = (): void => {
    held = []
  }
  const release = (): void => {
    const waiting = held ?? []
    held = undefined
    for (const r of waiting) r()
  }
  return { inner, venue, state, hold, release }
}

const tickers: NodeJS.Timeout[] = []
afterEach(() => {
  for (const t of tickers.splice(0)) clearInterval(t)
})

/** A canary router whose simulated clock follows the wall clock (so both simulators confirm cancels). */
function canary() {
  const clock = new SimulatedClock(T0)
  const started = Date.now()
  tickers.push(setInterval(() => clock.advanceTo(Math.max(clock.now(), T0 + Date.now() - started)), 5))
  const exchange = gatedExchange(clock)
  const audit: { type: string; payload: unknown }[] = []
  const router = new ModeRouter({
    id: 'x',
    mode: 'canary',
    clock,
    instruments: [btc],
    balances: { USDT: '100000', BTC: '10' },
    live: exchange.venue,
    canaryPercentage: 50,
    reportingCurrency: 'USDT',
    audit: (type, _actor, payload) => audit.push({ type, payload }),
  })
  let n = 0
  const buy = (price: string): OrderRequest => ({ clientOrderId: `c${++n}`, symbol: SYMBOL, type: 'limit', side: 'buy', amount: dec('1'), price: dec(price) })
  const working = async (): Promise<string[]> => (await exchange.inner.fetchOpenOrders()).map((o) => o.clientOrderId)
  return { clock, exchange, router, audit, buy, working }
}

const settle = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('the mode router in canary: copies on the exchange', () => {
  it('a cancel asked for while the copy is unanswered is sent once the exchange answers', async () => {
    const c = canary()
    c.exchange.hold()
    const req = c.buy('90')
    await c.router.createOrder(req)
    await c.router.cancelOrder(req.clientOrderId, SYMBOL)
    await settle()
    // Nothing asked of an order the exchange has not answered for (it would only hear "unknown order").
    expect(c.exchange.state.cancelsSent).toBe(0)
    expect(await c.working()).toEqual([])
    c.exchange.release()
    await settle()
    expect(c.exchange.state.cancelsSent).toBe(1)
    expect(await c.working()).toEqual([])
    expect((await c.router.cancelOwnOrders(undefined, 1_000)).requested).toBe(0)
  })

  it('cancelOwnOrders retries failing cancels, reports a copy pending while it still works, and settled once the exchange confirms', async () => {
    const c = canary()
    for (const p of ['90', '91', '92']) await c.router.createOrder(c.buy(p))
    await settle()
    expect(await c.working()).toHaveLength(3)
    c.exchange.state.failCancels = 100
    const failing = await c.router.cancelOwnOrders(undefined, 300)
    expect(failing.requested).toBe(3)
    expect(failing.pending).toHaveLength(3)
    expect(failing.canceled).toEqual([])
    expect(Object.values(failing.errors)[0]).toMatch(/503/)
    expect(await c.working()).toHaveLength(3)
    c.exchange.state.failCancels = 0
    const settled = await c.router.cancelOwnOrders(undefined, 10_000)
    expect(settled.pending).toEqual([])
    expect([...settled.canceled].sort()).toEqual(['c1', 'c2', 'c3'])
    expect(await c.working()).toEqual([])
  })

  it("a copy's remainder is cancelled once its order is done on the simulator: the exchange holds no order the strategy does not", async () => {
    const c = canary()
    const req = c.buy('100')
    await c.router.createOrder(req)
    await settle()
    expect(await c.working()).toEqual([req.clientOrderId])
    // The market trades through the limit on the simulator's leg only: the session's order fills there.
    c.router.onMarket({ venue: 'x', symbol: SYMBOL, kind: 'trade', timestamp: c.clock.now(), price: 99, amount: 5 })
    await settle()
    expect((await c.router.simulator.fetchOrder(req.clientOrderId, SYMBOL)).status).toBe('closed')
    expect(await c.working()).toEqual([])
    expect((await c.exchange.inner.fetchOrder(req.clientOrderId, SYMBOL)).status).toBe('canceled')
    expect(c.audit.filter((a) => a.type === 'canary.order')).toHaveLength(1)
  })
})
