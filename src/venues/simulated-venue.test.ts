/**
 * @module venues/simulated-venue.test
 * The simulated exchange: the shared venue contract, then what only a simulator has (latency, liquidity
 * consumption, fallbacks for thin market data, self-trade handling).
 */
import { describe, expect, it } from 'vitest'
import { SimulatedClock } from '../engine/index.js'
import { InvalidOrder, dec, makeInstrument } from '../model/index.js'
import type { Decimal, MarketEvent, OrderSide, Trade } from '../model/index.js'
import { SimulatedVenue } from './simulated-venue.js'
import type { SimulatedVenueOptions } from './simulated-venue.js'
import { venueContract } from './venue.contract.js'
import type { OrderRequest, VenueOrder } from './venue.js'

const T0 = 1_700_000_000_000
const SYMBOL = 'BTC/USDT'
const btc = () => makeInstrument({ symbol: SYMBOL, tickSize: '0.01', stepSize: '0.001', minCost: '1', makerFee: '0.001', takerFee: '0.002' })

function simulated(options: Partial<SimulatedVenueOptions> = {}) {
  const clock = new SimulatedClock(T0)
  const venue = new SimulatedVenue({
    id: 'sim',
    clock,
    instruments: [btc(), makeInstrument({ symbol: 'ETH/USDT', tickSize: '0.01', stepSize: '0.01' })],
    balances: { USDT: '100000', BTC: '10' },
    latencyMs: 5,
    ...options,
  })
  const orders: VenueOrder[] = []
  const trades: Trade[] = []
  venue.subscribe({ onOrder: (o) => orders.push(o), onTrade: (t) => trades.push(t) })
  const feed = (e: MarketEvent): void => {
    clock.advanceTo(e.timestamp)
    venue.onMarket(e)
  }
  const at = (ms: number): void => clock.advanceTo(T0 + ms)
  const advance = (ms: number): void => clock.advanceTo(clock.now() + ms)
  const base = { venue: 'sim', symbol: SYMBOL }
  const trade = (price: number, amount: number, ts = clock.now()): void => feed({ ...base, kind: 'trade', timestamp: ts, price, amount })
  const quote = (bid: number, ask: number, size: number, ts = clock.now()): void =>
    feed({ ...base, kind: 'quote', timestamp: ts, bid, bidSize: size, ask, askSize: size })
  const book = (bids: Array<[number, number]>, asks: Array<[number, number]>, ts = clock.now()): void =>
    feed({ ...base, kind: 'book', timestamp: ts, snapshot: true, bids, asks })
  let n = 0
  const order = (side: OrderSide, amount: string, price?: string): OrderRequest =>
    price === undefined
      ? { clientOrderId: `c${++n}`, symbol: SYMBOL, type: 'market', side, amount: dec(amount) }
      : { clientOrderId: `c${++n}`, symbol: SYMBOL, type: 'limit', side, amount: dec(amount), price: dec(price) }
  const total = async (ccy: string): Promise<Decimal> => (await venue.fetchBalance())[ccy]!.total
  /** Sends `req` and lets `waitMs` pass (by default the default latency, 5 ms: the order has reached the venue). */
  const send = async (req: OrderRequest, waitMs = 5): Promise<VenueOrder> => {
    const sent = await venue.createOrder(req)
    advance(waitMs)
    return sent
  }
  return { clock, venue, orders, trades, feed, at, advance, trade, quote, book, order, total, send }
}

venueContract('simulated', async () => {
  const s = simulated()
  return Promise.resolve({
    venue: s.venue,
    symbol: SYMBOL,
    mid: dec('100'),
    lot: dec('0.1'),
    feed: s.feed,
    advance: s.advance,
  })
})

describe('SimulatedVenue', () => {
  it('does not match an order before it arrives', async () => {
    const s = simulated({ latencyMs: 50 })
    s.quote(99.99, 100.01, 1)
    const req = s.order('buy', '0.5', '99.50')
    await s.venue.createOrder(req)
    expect(s.orders).toHaveLength(0)
    s.trade(99, 5, T0 + 10)
    expect(s.trades).toHaveLength(0)
    s.at(50)
    expect(s.orders.map((o) => o.status)).toEqual(['open'])
    s.trade(99, 5, T0 + 60)
    expect(s.trades.map((t) => t.timestamp)).toEqual([T0 + 60])
  })

  it('draws latency from a seeded model, deterministically', async () => {
    const run = async () => {
      const s = simulated({ latencyMs: ({ random }) => 10 + Math.floor(random() * 90), seed: 7 })
      s.quote(99.99, 100.01, 1)
      for (let i = 0; i < 3; i++) await s.venue.createOrder(s.order('buy', '0.1', '99.00'))
      const seen: number[] = []
      s.venue.subscribe({ onOrder: () => seen.push(s.clock.now()), onTrade: () => {} })
      s.at(1_000)
      return seen
    }
    const first = await run()
    expect(first).toHaveLength(3)
    expect(first.every((t) => t >= T0 + 10 && t < T0 + 100)).toBe(true)
    expect(await run()).toEqual(first)
  })

  it('applies a cancel on arrival: a fill in between wins', async () => {
    const s = simulated({ latencyMs: 20 })
    s.quote(99.99, 100.01, 1)
    const req = s.order('sell', '1', '100.50')
    await s.venue.createOrder(req)
    s.at(20)
    const ack = await s.venue.cancelOrder(req.clientOrderId, SYMBOL)
    expect(ack.status).toBe('open')
    s.trade(101, 2, T0 + 30)
    s.at(100)
    expect(s.orders.map((o) => o.status)).toEqual(['open', 'closed'])
    expect((await s.venue.fetchOrder(req.clientOrderId, SYMBOL)).status).toBe('closed')
    expect((await s.venue.fetchBalance())['BTC']!.used.isZero()).toBe(true)
  })

  it('cancels an order whose cancel overtakes it', async () => {
    let calls = 0
    const s = simulated({ latencyMs: () => (calls++ === 0 ? 100 : 10) })
    s.quote(99.99, 100.01, 1)
    const req = s.order('buy', '1', '99.00')
    await s.venue.createOrder(req)
    await s.venue.cancelOrder(req.clientOrderId, SYMBOL)
    s.at(200)
    expect(s.orders.map((o) => o.status)).toEqual(['canceled'])
    expect((await s.venue.fetchBalance())['USDT']!.used.isZero()).toBe(true)
  })

  it('consumes the liquidity it takes until the next book update', async () => {
    const s = simulated()
    s.book([[99.99, 1]], [[100.01, 0.3]])
    await s.send(s.order('buy', '0.2'))
    const second = s.order('buy', '0.2')
    await s.send(second)
    expect(s.trades.map((t) => t.amount.toString())).toEqual(['0.2', '0.1'])
    const o = await s.venue.fetchOrder(second.clientOrderId, SYMBOL)
    expect(o.status).toBe('canceled')
    expect(o.filled.toString()).toBe('0.1')
    s.book([[99.99, 1]], [[100.01, 0.3]])
    await s.send(s.order('buy', '0.3'))
    expect(s.trades.map((t) => t.amount.toString())).toEqual(['0.2', '0.1', '0.3'])
  })

  it('cancels a market order that finds no liquidity at all', async () => {
    const s = simulated()
    s.book([], [[100.01, 1]])
    const req = s.order('sell', '0.1')
    await s.venue.createOrder(req)
    expect((await s.venue.fetchBalance())['BTC']!.used.toString()).toBe('0.1')
    s.advance(5)
    expect(s.orders.map((o) => [o.status, o.filled.toString()])).toEqual([
      ['open', '0'],
      ['canceled', '0'],
    ])
    expect((await s.venue.fetchBalance())['BTC']!.used.isZero()).toBe(true)
  })

  it('charges the taker fee on the part that takes and the maker fee on the part that rests', async () => {
    const s = simulated()
    s.quote(99.99, 100.01, 0.4)
    await s.send(s.order('buy', '1', '100.05'))
    s.trade(100.0, 5)
    expect(s.trades.map((t) => [t.takerOrMaker, t.price.toString(), t.amount.toString(), t.fee.cost.toString()])).toEqual([
      ['taker', '100.01', '0.4', '0.080008'],
      ['maker', '100.05', '0.6', '0.06003'],
    ])
    expect((await s.total('USDT')).toString()).toBe(dec('100000').sub('40.004').sub('0.080008').sub('60.03').sub('0.06003').toString())
    expect((await s.total('BTC')).toString()).toBe('11')
  })

  it('fills a resting order when the top of book crosses it, up to the displayed size, at its own price', async () => {
    const s = simulated()
    s.quote(99.99, 100.01, 1)
    await s.send(s.order('buy', '1', '99.95'))
    s.quote(99.9, 99.94, 0.25)
    expect(s.trades.map((t) => [t.price.toString(), t.amount.toString(), t.takerOrMaker])).toEqual([['99.95', '0.25', 'maker']])
    s.quote(99.9, 99.94, 0.25) // a new quote: new liquidity
    expect(s.trades).toHaveLength(2)
  })

  it('fills a resting order when a depth level crosses it, consuming the level', async () => {
    const s = simulated()
    s.quote(99.99, 100.01, 1)
    await s.send(s.order('sell', '1', '100.05'))
    s.book(
      [
        [100.1, 0.2],
        [100.06, 0.3],
        [100.0, 5],
      ],
      [[100.2, 1]],
    )
    expect(s.trades.map((t) => t.amount.toString())).toEqual(['0.2', '0.3'])
    expect(s.trades.every((t) => t.price.eq(dec('100.05')))).toBe(true)
    const taker = s.order('sell', '0.25')
    await s.send(taker)
    // The two crossed levels are used up; the market sell takes from the 100.00 level.
    expect(s.trades.at(-1)!.price.toString()).toBe('100')
  })

  it('fills the rest of a resting order on a bar that trades through it', async () => {
    const s = simulated()
    s.trade(100, 0.1)
    await s.send(s.order('buy', '2', '99.50'))
    s.feed({ kind: 'bar', venue: 'sim', symbol: SYMBOL, timestamp: s.clock.now(), timeframe: '1m', open: 100, high: 100.5, low: 99.5, close: 100, volume: 1 })
    expect(s.trades).toHaveLength(0)
    s.feed({ kind: 'bar', venue: 'sim', symbol: SYMBOL, timestamp: s.clock.now(), timeframe: '1m', open: 100, high: 100.5, low: 99.4, close: 99.8, volume: 1 })
    expect(s.trades.map((t) => t.amount.toString())).toEqual(['2'])
  })

  it('falls back to the last trade moved by the slippage when no book is known', async () => {
    const s = simulated({ slippageBps: 10 })
    s.trade(100, 0.1)
    await s.venue.createOrder(s.order('buy', '1'))
    await s.send(s.order('sell', '1'))
    expect(s.trades.map((t) => [t.side, t.price.toString()])).toEqual([
      ['buy', '100.1'],
      ['sell', '99.9'],
    ])
  })

  it('refuses a market buy when no price is known to reserve against', async () => {
    const s = simulated()
    const req = s.order('buy', '0.1')
    await expect(s.venue.createOrder(req)).rejects.toBeInstanceOf(InvalidOrder)
    expect(s.orders.map((o) => o.status)).toEqual(['rejected'])
  })

  it('never lets a market buy spend more than it reserved', async () => {
    const s = simulated({ balances: { USDT: '1000', BTC: '0' } })
    s.book(
      [[99, 1]],
      [
        [100, 1],
        [150, 100],
      ],
    )
    const req = s.order('buy', '9.5')
    await s.send(req)
    const o = await s.venue.fetchOrder(req.clientOrderId, SYMBOL)
    expect(o.status).toBe('canceled')
    expect(o.filled.lt(dec('9.5'))).toBe(true)
    const usdt = (await s.venue.fetchBalance())['USDT']!
    expect(usdt.total.gte(0)).toBe(true)
    expect(usdt.used.isZero()).toBe(true)
  })

  it('matches our own orders against each other by price-time priority', async () => {
    const s = simulated()
    s.book([[90, 1]], [[110, 1]])
    const sell = s.order('sell', '0.5', '100.00')
    await s.send(sell)
    const buy = s.order('buy', '0.5', '101.00')
    await s.send(buy)
    expect(s.trades.map((t) => [t.clientOrderId, t.takerOrMaker, t.price.toString()])).toEqual([
      [sell.clientOrderId, 'maker', '100'],
      [buy.clientOrderId, 'taker', '100'],
    ])
    expect((await s.total('BTC')).toString()).toBe('10')
  })

  it('expires the taker under self-trade prevention when asked to', async () => {
    const s = simulated({ selfTrade: 'expire-taker' })
    s.book([[90, 1]], [[110, 1]])
    await s.send(s.order('sell', '0.5', '100.00'))
    const buy = s.order('buy', '0.5', '101.00')
    await s.send(buy)
    expect(s.trades).toHaveLength(0)
    expect((await s.venue.fetchOrder(buy.clientOrderId, SYMBOL)).status).toBe('expired')
    expect((await s.venue.fetchBalance())['USDT']!.used.isZero()).toBe(true)
  })

  it('ignores events of other venues and unlisted symbols', async () => {
    const s = simulated()
    s.quote(99.99, 100.01, 1)
    await s.send(s.order('buy', '1', '99.50'))
    s.feed({ kind: 'trade', venue: 'other', symbol: SYMBOL, timestamp: s.clock.now(), price: 90, amount: 10 })
    s.feed({ kind: 'trade', venue: 'sim', symbol: 'XRP/USDT', timestamp: s.clock.now(), price: 90, amount: 10 })
    expect(s.trades).toHaveLength(0)
  })

  it('numbers orders and trades deterministically', async () => {
    const s = simulated()
    s.trade(100, 1)
    const o = await s.send(s.order('buy', '0.1'))
    expect(o.id).toBe('sim-O1')
    expect(s.trades.map((t) => [t.id, t.order])).toEqual([['sim-T1', 'sim-O1']])
    expect(await s.venue.fetchTime()).toBe(s.clock.now())
  })

  it('lets a listener place an order from inside a fill without re-entering the match', async () => {
    const s = simulated()
    s.quote(99.99, 100.01, 1)
    const placed: string[] = []
    s.venue.subscribe({
      onOrder: () => {},
      onTrade: (t) => {
        if (placed.length === 0) placed.push(t.id)
        void s.venue.createOrder({ clientOrderId: `re-${t.id}`, symbol: SYMBOL, type: 'limit', side: 'sell', amount: dec('0.1'), price: dec('105') })
      },
    })
    await s.send(s.order('buy', '0.2'))
    s.advance(5)
    expect((await s.venue.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).toEqual(['re-sim-T1'])
  })

  it('keeps every working order but only the most recent finished orders and fills', async () => {
    const s = simulated({ keepFinished: 4, keepTrades: 3 })
    s.trade(100, 1_000)
    const resting = await s.send(s.order('buy', '0.1', '90'))
    const rejected = s.order('buy', '0.1', '0.001')
    await expect(s.venue.createOrder(rejected)).rejects.toBeInstanceOf(InvalidOrder)
    const filled: OrderRequest[] = []
    for (let i = 0; i < 9; i++) {
      const req = s.order(i % 2 === 0 ? 'buy' : 'sell', '0.1')
      filled.push(req)
      await s.send(req)
      s.trade(100, 1_000)
    }
    const cancelled = await s.send(s.order('sell', '0.1', '200'))
    await s.venue.cancelOrder(cancelled.clientOrderId, SYMBOL)
    s.advance(5)
    expect(s.trades).toHaveLength(9)

    // The order resting since before all of them is still known, open, and the only open one.
    expect((await s.venue.fetchOrder(resting.clientOrderId, SYMBOL)).status).toBe('open')
    expect((await s.venue.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual([resting.clientOrderId])
    // Finished: the rejected one, 9 filled and 1 cancelled. The 4 most recent are kept (up to twice as many
    // while the list is trimmed lazily), the oldest are forgotten as an exchange archives them.
    expect((await s.venue.fetchOrder(cancelled.clientOrderId, SYMBOL)).status).toBe('canceled')
    for (const req of filled.slice(-3)) expect((await s.venue.fetchOrder(req.clientOrderId, SYMBOL)).status).toBe('closed')
    await expect(s.venue.fetchOrder(rejected.clientOrderId, SYMBOL)).rejects.toThrow(/no order/)
    await expect(s.venue.fetchOrder(filled[0]!.clientOrderId, SYMBOL)).rejects.toThrow(/no order/)
    // A kept finished order's client id is still refused; the open one's too.
    await expect(s.venue.createOrder({ ...filled.at(-1)!, clientOrderId: filled.at(-1)!.clientOrderId })).rejects.toThrow(/duplicate clientOrderId/)
    await expect(s.venue.createOrder(s.order('buy', '0.1', '90'))).resolves.toBeDefined()
    await expect(s.venue.createOrder({ ...s.order('buy', '0.1', '90'), clientOrderId: resting.clientOrderId })).rejects.toThrow(/duplicate clientOrderId/)
    // Fills: at most twice keepTrades, the most recent last.
    const fills = await s.venue.fetchMyTrades(SYMBOL)
    expect(fills.length).toBeGreaterThanOrEqual(3)
    expect(fills.length).toBeLessThan(6)
    expect(fills.map((t) => t.id)).toEqual(s.trades.slice(-fills.length).map((t) => t.id))
  })
})

describe('restoring a venue after a restart', () => {
  it('puts a partly filled working order back with its funds reserved, and it fills on', async () => {
    const s = simulated({ idPrefix: 'sim-r1-', balances: { USDT: '1000', BTC: '0' } })
    s.venue.restoreOrder({
      clientOrderId: 'old-1',
      venueOrderId: 'sim-O7',
      symbol: SYMBOL,
      side: 'buy',
      price: dec('100'),
      amount: dec('2'),
      filled: dec('0.5'),
      cost: dec('50'),
      timestamp: T0,
    })
    const bal = (await s.venue.fetchBalance())['USDT']!
    // 1.5 remaining × 100 × (1 + max(maker 0.1%, taker 0.2%)) = 150.3 reserved.
    expect(bal.used.toString()).toBe('150.3')
    expect((await s.venue.fetchOpenOrders()).map((o) => [o.clientOrderId, o.id, o.remaining.toString()])).toEqual([['old-1', 'sim-O7', '1.5']])
    s.trade(99.5, 3, T0 + 10)
    const o = await s.venue.fetchOrder('old-1', SYMBOL)
    expect(o.status).toBe('closed')
    expect(o.filled.toString()).toBe('2')
    expect(s.trades.map((t) => t.id)).toEqual(['sim-r1-T1'])
    expect(s.trades[0]!.amount.toString()).toBe('1.5')
    const after = (await s.venue.fetchBalance())['USDT']!
    expect(after.used.toString()).toBe('0')
    // 1000 − 150 cost − 0.15 maker fee
    expect(after.total.toString()).toBe('849.85')
    await expect(s.venue.createOrder({ ...s.order('buy', '1', '1'), clientOrderId: 'old-1' })).rejects.toBeInstanceOf(InvalidOrder)
  })
})

describe('SimulatedVenue order types', () => {
  const bar = (s: ReturnType<typeof simulated>, ts: number, open: number, high: number, low: number, close: number): void =>
    s.feed({ venue: 'sim', symbol: SYMBOL, kind: 'bar', timestamp: T0 + ts, timeframe: '1m', open, high, low, close, volume: 10 })
  const last = (s: ReturnType<typeof simulated>, id: string): VenueOrder | undefined => s.orders.filter((o) => o.clientOrderId === id).at(-1)

  it('IOC takes what the book shows and expires the rest; FOK all or nothing; PO expires rather than take', async () => {
    const s = simulated({ latencyMs: 0 })
    s.book([[99, 1]], [[100, 0.3]])
    const ioc = { ...s.order('buy', '0.5', '100.00'), options: { timeInForce: 'IOC' as const } }
    await s.send(ioc, 1)
    expect(last(s, ioc.clientOrderId)).toMatchObject({ status: 'expired', reason: 'immediate-or-cancel: the rest expired' })
    expect(last(s, ioc.clientOrderId)!.filled.toString()).toBe('0.3')
    s.book([[99, 1]], [[100, 0.3]])
    const fokTooBig = { ...s.order('buy', '0.5', '100.00'), options: { timeInForce: 'FOK' as const } }
    await s.send(fokTooBig, 1)
    expect(last(s, fokTooBig.clientOrderId)).toMatchObject({ status: 'expired', reason: 'fill-or-kill: it cannot fill completely now' })
    expect(last(s, fokTooBig.clientOrderId)!.filled.toString()).toBe('0')
    const fok = { ...s.order('buy', '0.3', '100.00'), options: { timeInForce: 'FOK' as const } }
    await s.send(fok, 1)
    expect(last(s, fok.clientOrderId)!.status).toBe('closed')
    s.book([[99, 1]], [[100, 1]])
    const po = { ...s.order('buy', '0.1', '100.00'), options: { timeInForce: 'PO' as const } }
    const poRest = { ...s.order('buy', '0.1', '99.50'), options: { timeInForce: 'PO' as const } }
    await s.venue.createOrder(po)
    await s.send(poRest, 1)
    expect(last(s, po.clientOrderId)).toMatchObject({ status: 'expired', reason: 'post-only: it would take liquidity' })
    expect(last(s, poRest.clientOrderId)!.status).toBe('open')
    expect(s.trades.filter((t) => t.clientOrderId === po.clientOrderId)).toHaveLength(0)
  })

  it('a stop-market waits without reserving, fires on the print that reaches it and fills as a taker', async () => {
    const s = simulated({ latencyMs: 0, balances: { USDT: '0', BTC: '1' } })
    s.trade(100, 1)
    const stop = { ...s.order('sell', '1'), options: { triggerPrice: dec('95'), triggerDirection: 'below' as const } }
    await s.send(stop, 1)
    expect(last(s, stop.clientOrderId)).toMatchObject({ status: 'open', triggerPrice: dec('95') })
    expect((await s.venue.fetchBalance())['BTC']!.free.toString()).toBe('1')
    s.trade(96, 1)
    expect(s.trades).toHaveLength(0)
    s.trade(94.5, 1)
    expect(s.trades.map((t) => [t.price.toString(), t.amount.toString(), t.takerOrMaker])).toEqual([['94.45', '1', 'taker']])
    expect(last(s, stop.clientOrderId)!.status).toBe('closed')
  })

  it('on bars a stop fills at its trigger, or at the open after a gap, moved by the slippage', async () => {
    const s = simulated({ latencyMs: 0, slippageBps: 10 })
    bar(s, 0, 100, 101, 99, 100)
    const stop = { ...s.order('sell', '1'), options: { triggerPrice: dec('95'), triggerDirection: 'below' as const } }
    const gapped = { ...s.order('sell', '1'), options: { triggerPrice: dec('97'), triggerDirection: 'below' as const } }
    await s.send(stop, 1)
    bar(s, 60_000, 100, 100.5, 96, 99) // neither reached
    await s.send(gapped, 1)
    expect(s.trades).toHaveLength(0)
    bar(s, 120_000, 94, 99, 93, 98) // opens below both: each fills at the open, 94 × 0.999
    expect(s.trades.map((t) => [t.clientOrderId, t.price.toString()])).toEqual([
      [stop.clientOrderId, '93.9'],
      [gapped.clientOrderId, '93.9'],
    ])
    const s2 = simulated({ latencyMs: 0, slippageBps: 10 })
    bar(s2, 0, 100, 101, 99, 100)
    const stop2 = { ...s2.order('sell', '1'), options: { triggerPrice: dec('95'), triggerDirection: 'below' as const } }
    await s2.venue.createOrder(stop2)
    s2.advance(1)
    bar(s2, 60_000, 99, 100, 90, 99.5) // trades through 95 and recovers: filled at 95 × 0.999, not at the close
    expect(s2.trades.map((t) => t.price.toString())).toEqual(['94.9'])
  })

  it('a bar touching both legs of a bracket fires the stop and cancels the take-profit (one-cancels-other)', async () => {
    const s = simulated({ latencyMs: 0, slippageBps: 0 })
    bar(s, 0, 100, 101, 99, 100)
    const sl = { ...s.order('sell', '1'), options: { triggerPrice: dec('95'), triggerDirection: 'below' as const, parentId: 'entry-1' } }
    const tp = { ...s.order('sell', '1'), options: { triggerPrice: dec('110'), triggerDirection: 'above' as const, parentId: 'entry-1' } }
    await s.venue.createOrder(tp)
    await s.send(sl, 1)
    bar(s, 60_000, 100, 111, 94, 105)
    expect(s.trades.map((t) => [t.clientOrderId, t.price.toString()])).toEqual([[sl.clientOrderId, '95']])
    expect(last(s, tp.clientOrderId)).toMatchObject({ status: 'canceled', reason: 'one-cancels-other' })
  })

  it('a trailing stop follows the high and fires when the price comes back by its percent', async () => {
    const s = simulated({ latencyMs: 0, slippageBps: 0 })
    bar(s, 0, 100, 100, 100, 100)
    const trail = { ...s.order('sell', '1'), options: { trailingPercent: dec('5') } }
    await s.send(trail, 1)
    bar(s, 60_000, 100, 120, 115, 118) // trail rises to 114
    expect(s.trades).toHaveLength(0)
    bar(s, 120_000, 118, 119, 113, 116) // reaches 114
    expect(s.trades.map((t) => t.price.toString())).toEqual(['114'])
  })

  it('a triggered order without the funds when it fires expires, and a cancel takes a waiting one out', async () => {
    const s = simulated({ latencyMs: 0, balances: { USDT: '0', BTC: '0.5' } })
    s.trade(100, 1)
    const stop = { ...s.order('sell', '1'), options: { triggerPrice: dec('95'), triggerDirection: 'below' as const } }
    const other = { ...s.order('sell', '0.5'), options: { triggerPrice: dec('90'), triggerDirection: 'below' as const } }
    await s.venue.createOrder(stop)
    await s.send(other, 1)
    await s.venue.cancelOrder(other.clientOrderId, SYMBOL)
    s.advance(1)
    expect(last(s, other.clientOrderId)!.status).toBe('canceled')
    s.trade(89, 1)
    expect(last(s, stop.clientOrderId)).toMatchObject({ status: 'expired' })
    expect(last(s, stop.clientOrderId)!.reason).toMatch(/^triggered without the funds: needed 1 BTC, free 0.5$/)
    expect(s.trades).toHaveLength(0)
  })
})
