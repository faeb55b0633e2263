import { describe, expect, it } from 'vitest'
import { EventBus, SimulatedClock } from '../engine/index.js'
import type { EngineEvents, OrderIntent } from '../engine/index.js'
import { Ledger } from '../ledger/index.js'
import { RequestTimeout, dec, makeInstrument } from '../model/index.js'
import type { MarketEvent, Trade } from '../model/index.js'
import { RiskEngine, RiskGateway } from '../risk/index.js'
import type { PreTradeRisk } from '../risk/index.js'
import { SimulatedVenue } from '../venues/index.js'
import type { OrderRequest, Venue, VenueFeature, VenueListener, VenueOrder } from '../venues/index.js'
import { clientOrderId } from './client-order-id.js'
import { OrderEmulator } from './emulator.js'
import type { EmulatedOrder } from './emulator.js'
import { OrderManager } from './order-manager.js'
import type { OrderManagerOptions } from './order-manager.js'

const BTC = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.001', minCost: '5', makerFee: '0.001', takerFee: '0.002' })

/** A real simulated venue whose createOrder responses can be lost after the venue received the order. */
class LossyVenue implements Venue {
  created = 0
  dropNext = false
  /** Like a REST-only venue: no pushed order updates (trades still arrive). */
  muteOrderUpdates = false
  /** Off: like an exchange without stop, trailing or time-in-force orders. */
  nativeOptions = true
  /** On: takes a bracket's exits as one order list (`createOrderList`), recorded in `lists`. */
  orderLists = false
  readonly lists: string[] = []
  constructor(readonly inner: SimulatedVenue) {}
  supports(feature: VenueFeature): boolean {
    if (feature === 'oco') return this.orderLists
    return this.nativeOptions && this.inner.supports(feature)
  }
  async createOrderList(legs: readonly [OrderRequest, OrderRequest], listClientOrderId: string): Promise<VenueOrder[]> {
    this.lists.push(`${listClientOrderId}: ${legs.map((l) => l.clientOrderId).join(' ')}`)
    const acks = [await this.inner.createOrder(legs[0]), await this.inner.createOrder(legs[1])]
    if (this.dropNext) {
      this.dropNext = false
      throw new RequestTimeout('response lost')
    }
    return acks
  }
  get id(): string {
    return this.inner.id
  }
  instruments() {
    return this.inner.instruments()
  }
  instrument(symbol: string) {
    return this.inner.instrument(symbol)
  }
  subscribe(listener: VenueListener): void {
    this.inner.subscribe({
      onTrade: (t) => listener.onTrade(t),
      onOrder: (o) => {
        if (!this.muteOrderUpdates) listener.onOrder(o)
      },
    })
  }
  async createOrder(request: OrderRequest): Promise<VenueOrder> {
    this.created++
    const ack = await this.inner.createOrder(request)
    if (this.dropNext) {
      this.dropNext = false
      throw new RequestTimeout('response lost')
    }
    return ack
  }
  cancelOrder(id: string, symbol: string) {
    return this.inner.cancelOrder(id, symbol)
  }
  fetchOrder(id: string, symbol: string) {
    return this.inner.fetchOrder(id, symbol)
  }
  fetchOpenOrders(symbol?: string) {
    return this.inner.fetchOpenOrders(symbol)
  }
  fetchMyTrades(symbol?: string, since?: number, limit?: number) {
    return this.inner.fetchMyTrades(symbol, since, limit)
  }
  fetchBalance() {
    return this.inner.fetchBalance()
  }
  fetchTime() {
    return this.inner.fetchTime()
  }
}

function setup(options: { beforeSend?: () => void | Promise<void>; onEmulated?: OrderManagerOptions['onEmulated']; risk?: PreTradeRisk } = {}) {
  const clock = new SimulatedClock(1_000)
  const bus = new EventBus<EngineEvents>()
  const sim = new SimulatedVenue({ id: 'sim', clock, instruments: [BTC], balances: { USDT: '10000', BTC: '1' } })
  const venue = new LossyVenue(sim)
  const ledger = new Ledger({ reportingCurrency: 'USDT' })
  ledger.deposit('sim', 'USDT', dec('10000'))
  ledger.deposit('sim', 'BTC', dec('1'))
  let last: number | undefined
  const fills: Trade[] = []
  const denied: string[] = []
  bus.on('fill', ({ order, trade }) => {
    ledger.applyFill(trade, BTC, order.strategyId)
    fills.push(trade)
  })
  bus.on('denied', ({ code }) => denied.push(code))
  const oms = new OrderManager({
    bus,
    clock,
    venues: [venue],
    risk: options.risk ?? new RiskGateway(),
    ...(options.beforeSend !== undefined ? { beforeSend: options.beforeSend } : {}),
    ...(options.onEmulated !== undefined ? { onEmulated: options.onEmulated } : {}),
    accountView: {
      now: () => clock.now(),
      instrument: () => BTC,
      lastPrice: () => last,
      totalBalance: (v, a) => ledger.balance(v, a),
      position: (v, s) => ledger.position(v, s).amount,
      grossExposure: () => dec(0),
      dailyPnl: () => dec(0),
      equity: () => dec(10000),
      tradingState: () => 'ACTIVE',
    },
  })
  const feed = (e: MarketEvent): void => {
    clock.advanceTo(e.timestamp)
    if (e.kind === 'trade') last = e.price
    sim.onMarket(e)
    bus.publish('market', e)
  }
  const quote = (ts: number, bid: number, ask: number): void =>
    feed({ kind: 'quote', venue: 'sim', symbol: 'BTC/USDT', timestamp: ts, bid, bidSize: 5, ask, askSize: 5 })
  const intent = (over: Partial<OrderIntent> = {}): OrderIntent => ({
    strategyId: 'strat',
    venue: 'sim',
    symbol: 'BTC/USDT',
    side: 'buy',
    type: 'limit',
    amount: dec('0.1'),
    price: dec('100.00'),
    ...over,
  })
  return { clock, bus, sim, venue, ledger, oms, feed, quote, intent, fills, denied, setLast: (p: number) => (last = p) }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('OrderManager with the simulated venue', () => {
  it('gives deterministic client ids from (strategy, sequence)', () => {
    const { oms, intent } = setup()
    const a = oms.submit(intent())
    const b = oms.submit(intent())
    expect(a.clientOrderId).toBe(clientOrderId('strat', 0))
    expect(b.clientOrderId).toBe(clientOrderId('strat', 1))
    expect(clientOrderId('strat', 0)).toBe(clientOrderId('strat', 0))
    expect(clientOrderId('strat', 0)).not.toBe(clientOrderId('strat2', 0))
    expect(clientOrderId('a-very-long-strategy-name-that-goes-on-and-on', 123456789).length).toBeLessThanOrEqual(36)
  })

  it('resolves a lost createOrder response by looking the order up, never by sending again', async () => {
    const { oms, venue, intent, quote, clock, fills } = setup()
    quote(1_000, 99.5, 100.5)
    venue.dropNext = true
    venue.muteOrderUpdates = true
    const order = oms.submit(intent())
    clock.advanceTo(1_001) // the order arrives at the venue and rests
    await settle()
    await settle()
    // Only the lookup by client id can have told the order manager that the order is working.
    expect(venue.created).toBe(1)
    expect(order.state).toBe('open')
    expect(order.venueOrderId).toBeDefined()
    // It then fills normally: one order, one fill.
    quote(2_000, 98.0, 99.0)
    await settle()
    expect(order.state).toBe('closed')
    expect(fills).toHaveLength(1)
    expect(venue.created).toBe(1)
    expect((await venue.fetchOpenOrders()).length).toBe(0)
  })

  it('marks an order rejected when the lookup says the venue never got it', async () => {
    const { oms, intent, venue } = setup()
    // Make the venue refuse the request, then lose the refusal: the lookup finds nothing.
    const inner = venue.inner
    venue.createOrder = async () => {
      venue.created++
      throw new RequestTimeout('no answer')
    }
    const order = oms.submit(intent())
    await settle()
    await settle()
    expect(order.state).toBe('rejected')
    expect(order.reason).toMatch(/not received by venue/)
    expect((await inner.fetchOpenOrders()).length).toBe(0)
  })

  it('settles an order canceled while its record is still being written as canceled, never asking the venue', async () => {
    const writes: (() => void)[] = []
    const { oms, intent, venue, clock } = setup({ beforeSend: () => new Promise<void>((resolve) => writes.push(resolve)) })
    let cancels = 0
    const cancelOrder = venue.cancelOrder.bind(venue)
    venue.cancelOrder = (id, symbol) => {
      cancels++
      return cancelOrder(id, symbol)
    }
    const order = oms.submit(intent())
    oms.cancel(order.clientOrderId)
    const report = oms.cancelAllConfirmed(undefined, 1_000)
    expect(order.isTerminal).toBe(false)
    writes.shift()!() // the record lands
    await settle()
    clock.advanceTo(1_001)
    await settle()
    expect(order.state).toBe('canceled')
    expect(venue.created).toBe(0)
    expect(cancels).toBe(0)
    expect(oms.counters).toMatchObject({ canceled: 1, rejected: 0 })
    expect((await report).canceled).toEqual([order.clientOrderId])
    // The next order, not canceled, is sent once its record lands.
    const next = oms.submit(intent())
    writes.shift()!()
    await settle()
    expect(venue.created).toBe(1)
    expect(next.state).not.toBe('canceled')
  })

  it('denies before the venue: the venue never sees a denied order', async () => {
    const { oms, intent, venue, denied } = setup()
    const tooBig = oms.submit(intent({ amount: dec('1000') }))
    const offTick = oms.submit(intent({ price: dec('100.001') }))
    const tiny = oms.submit(intent({ amount: dec('0.001') }))
    await settle()
    expect([tooBig.state, offTick.state, tiny.state]).toEqual(['denied', 'denied', 'denied'])
    expect(denied).toEqual(['INSUFFICIENT_BALANCE', 'PRICE_PRECISION', 'NOTIONAL_BELOW_MIN'])
    expect(venue.created).toBe(0)
    expect(oms.counters.denied).toBe(3)
  })

  it('reserves balance for open orders so risk sees only what is free', async () => {
    const { oms, intent, clock } = setup()
    oms.submit(intent({ amount: dec('50'), price: dec('100.00') })) // 5000 + 0.2% fee reserved
    clock.advanceTo(1_001)
    await settle()
    expect(oms.freeBalance('sim', 'USDT').toString()).toBe('4990')
    const second = oms.submit(intent({ amount: dec('50'), price: dec('100.00') }))
    expect(second.state).toBe('denied')
  })

  it('holds back only what is left of a partly filled buy, after each fill', async () => {
    const { oms, intent, clock, feed, ledger } = setup()
    const order = oms.submit(intent({ amount: dec('30'), price: dec('100.00') }))
    clock.advanceTo(1_001)
    await settle()
    expect(oms.freeBalance('sim', 'USDT').toString()).toBe('6994') // 10000 − 30 × 100 × 1.002
    for (const [ts, left] of [[1_002, '20'], [1_003, '10']] as const) {
      feed({ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: ts, price: 99.5, amount: 10 })
      await settle()
      expect(order.remaining.toString()).toBe(left)
      // What the ledger holds, less remaining × price × (1 + taker fee) for the rest of the order.
      expect(oms.freeBalance('sim', 'USDT').toString()).toBe(ledger.balance('sim', 'USDT').sub(dec(left).mul(100).mul('1.002')).toString())
    }
  })

  it('cancels an open order and frees its reservation', async () => {
    const { oms, intent, clock } = setup()
    const order = oms.submit(intent())
    clock.advanceTo(1_001)
    await settle()
    oms.cancel(order.clientOrderId)
    clock.advanceTo(1_002)
    await settle()
    expect(order.state).toBe('canceled')
    expect(oms.openOrders()).toHaveLength(0)
    expect(oms.freeBalance('sim', 'USDT').toString()).toBe('10000')
  })
})

describe('OrderManager: self-trade prevention', () => {
  it("refuses an order that would meet the account's own resting order, counting a pending cancel until the venue confirms it", async () => {
    const { oms, intent, clock, venue, denied } = setup({ risk: new RiskEngine({ preventSelfTrade: true }) })
    const ask = oms.submit(intent({ side: 'sell', price: dec('101.00'), strategyId: 'maker' }))
    clock.advanceTo(1_001)
    await settle()
    expect(ask.state).toBe('open')
    expect(oms.submit(intent({ price: dec('101.00') })).state).toBe('denied')
    expect(oms.submit(intent({ price: dec('102.00') })).state).toBe('denied')
    const bid = oms.submit(intent({ price: dec('100.99') }))
    expect(bid.state).not.toBe('denied')
    expect(oms.submit(intent({ side: 'sell', type: 'market', amount: dec('0.1') })).state).toBe('denied')
    // A stop waits off the book: it is not a cross now.
    const stop = oms.submit(intent({ side: 'sell', type: 'market', options: { triggerPrice: dec('90') } }))
    expect(stop.state).not.toBe('denied')
    expect(denied).toEqual(['SELF_TRADE', 'SELF_TRADE', 'SELF_TRADE'])
    expect(oms.restingOwn('sim', 'BTC/USDT')).toEqual({ buy: { price: dec('100.99'), clientOrderId: bid.clientOrderId }, sell: { price: dec('101'), clientOrderId: ask.clientOrderId } })

    oms.cancel(ask.clientOrderId)
    expect(ask.state).toBe('pending_cancel')
    expect(oms.submit(intent({ price: dec('101.00') })).state).toBe('denied')
    clock.advanceTo(1_002)
    await settle()
    expect(ask.state).toBe('canceled')
    expect(oms.submit(intent({ price: dec('101.00') })).state).not.toBe('denied')
    expect(venue.created).toBe(4)
  })
})

describe('OrderManager: order options', () => {
  /** A market intent (the setup's intent is a limit order). */
  const market = (intent: (over?: Partial<OrderIntent>) => OrderIntent, over: Partial<OrderIntent>): OrderIntent => {
    const { price: _price, ...rest } = intent({ type: 'market', ...over })
    return rest
  }
  /** A market buy of 0.1 at 100 with a stop-loss at 95 and a take-profit at 110, filled. */
  const enterWithBracket = async (oms: OrderManager, feed: (e: MarketEvent) => void, intent: (over?: Partial<OrderIntent>) => OrderIntent) => {
    const trade = (ts: number, price: number): void => feed({ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: ts, price, amount: 1 })
    trade(1_000, 100)
    const entry = oms.submit(market(intent, { decisionPrice: dec('100'), tag: 'entry', options: { stopLossPrice: dec('95'), takeProfitPrice: dec('110') } }))
    await settle()
    trade(1_001, 100)
    await settle()
    return { entry, trade }
  }
  it('places a bracket once the entry fills; the stop that trades cancels the take-profit, and the account is flat', async () => {
    const { oms, feed, intent, ledger, sim, bus } = setup()
    // Whoever hears of the fill that closes an order no longer finds it open.
    const openAtFill: string[] = []
    bus.on('fill', ({ order }) => openAtFill.push(`${order.tag} ${order.state} ${oms.openOrders().includes(order)} ${oms.openOrderCount({ strategyId: 'strat' })}`))
    const { entry, trade } = await enterWithBracket(oms, feed, intent)
    expect(openAtFill).toEqual(['entry closed false 0'])
    expect(entry.state).toBe('closed')
    const exits = oms.openOrders()
    expect(exits.map((o) => [o.tag, o.side, o.amount.toString(), o.options.triggerPrice?.toString(), o.options.triggerDirection, o.options.reduceOnly, o.options.parentId])).toEqual([
      ['stop-loss', 'sell', '0.1', '95', 'below', true, entry.clientOrderId],
      ['take-profit', 'sell', '0.1', '110', 'above', true, entry.clientOrderId],
    ])
    trade(1_010, 94)
    await settle()
    trade(1_020, 94)
    await settle()
    expect(exits.map((o) => o.state)).toEqual(['closed', 'canceled'])
    expect(ledger.position('sim', 'BTC/USDT').amount.toString()).toBe('0')
    expect((await sim.fetchOpenOrders()).length).toBe(0)
  })

  it('denies what the venue cannot do, a nonsensical combination, and a reduce-only order that would not reduce', () => {
    const { oms, venue, intent, denied, setLast } = setup()
    setLast(100)
    venue.nativeOptions = false
    const ioc = oms.submit(intent({ options: { timeInForce: 'IOC' } }))
    expect(ioc.reason).toBe('INVALID_ORDER: venue sim does not take timeInForce IOC')
    venue.nativeOptions = true
    const both = oms.submit(intent({ side: 'sell', options: { triggerPrice: dec('90'), trailingPercent: dec('1') } }))
    expect(both.reason).toBe('INVALID_ORDER: give triggerPrice or trailingPercent, not both')
    const reduce = oms.submit(intent({ side: 'sell', options: { reduceOnly: true } }))
    expect(reduce.reason).toBe('REDUCE_ONLY_ORDER: reduce-only sell 0.1 would not reduce position 0 on sim:BTC/USDT')
    expect(venue.created).toBe(0)
    expect(denied).toEqual(['INVALID_ORDER', 'INVALID_ORDER', 'REDUCE_ONLY_ORDER'])
  })

  it("sends a bracket's exits as one order list where the venue takes them; a lost answer is resolved by looking up each exit, never by sending again", async () => {
    const { oms, feed, intent, venue } = setup()
    venue.orderLists = true
    const trade = (ts: number, price: number): void => feed({ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: ts, price, amount: 1 })
    trade(1_000, 100)
    const entry = oms.submit(market(intent, { decisionPrice: dec('100'), tag: 'entry', options: { stopLossPrice: dec('95'), takeProfitPrice: dec('110') } }))
    await settle()
    venue.dropNext = true
    venue.muteOrderUpdates = true
    trade(1_001, 100)
    await settle()
    await settle()
    const exits = oms.openOrders()
    expect(exits.map((o) => [o.tag, o.state, o.venueOrderId !== undefined])).toEqual([
      ['stop-loss', 'open', true],
      ['take-profit', 'open', true],
    ])
    expect(venue.lists).toEqual([`${entry.clientOrderId}: ${exits.map((o) => o.clientOrderId).join(' ')}`])
    expect(venue.created).toBe(1) // the entry; the exits went only as the list
  })

  it('emulates a bracket for a venue without trigger orders: nothing sent until the stop fires, then one market sell; the take-profit is dropped', async () => {
    const changes: string[] = []
    const { oms, feed, intent, ledger, venue, bus } = setup({ onEmulated: (list, change, e) => changes.push(`${change} ${e.tag} (${list.length} left)`) })
    venue.nativeOptions = false
    const { entry, trade } = await enterWithBracket(oms, feed, intent)
    expect(entry.state).toBe('closed')
    expect(oms.openOrders()).toEqual([])
    expect(oms.emulator.list().map((e) => [e.tag, e.side, e.amount, e.triggerPrice, e.direction, e.reduceOnly])).toEqual([
      ['stop-loss', 'sell', '0.1', '95', 'below', true],
      ['take-profit', 'sell', '0.1', '110', 'above', true],
    ])
    expect(venue.created).toBe(1)
    // Its strategy finds them as orders (nothing sent: state created), by id too.
    expect(oms.waiting({ strategyId: 'strat' }).map((o) => [o.tag, o.state, o.status, o.side, o.options.triggerPrice?.toString(), o.options.reduceOnly, o.options.parentId])).toEqual([
      ['stop-loss', 'created', 'open', 'sell', '95', true, entry.clientOrderId],
      ['take-profit', 'created', 'open', 'sell', '110', true, entry.clientOrderId],
    ])
    const stopId = oms.emulator.list()[0]!.id
    const takeProfitId = oms.emulator.list()[1]!.id
    expect(oms.order(stopId)).toBe(oms.waiting()[0])
    expect(oms.waiting({ strategyId: 'other' })).toEqual([])
    const dropped: string[] = []
    bus.on('emulatedCanceled', ({ order, reason }) => dropped.push(`${order.clientOrderId} ${order.tag} ${order.state}: ${reason}`))
    trade(1_010, 96)
    expect(venue.created).toBe(1)
    trade(1_020, 94.9)
    await settle()
    trade(1_030, 94.9)
    await settle()
    expect(venue.created).toBe(2)
    expect(oms.emulator.size).toBe(0)
    expect(changes).toEqual(['created stop-loss (1 left)', 'created take-profit (2 left)', 'canceled take-profit (0 left)', 'triggered stop-loss (0 left)'])
    expect(ledger.position('sim', 'BTC/USDT').amount.toString()).toBe('0')
    // The stop went out under its own id and closed; the take-profit's strategy heard it was canceled.
    expect(oms.order(stopId)?.state).toBe('closed')
    expect(dropped).toEqual([`${takeProfitId} take-profit canceled: one-cancels-other: ${stopId} fired`])
  })

  it("a trailing stop's best price is handed on to be kept (at most once a second) and comes back with the list after a restart", () => {
    const kept: { change: string; extreme: number | null }[] = []
    let stored: readonly EmulatedOrder[] = []
    const first = setup({ onEmulated: (list, change, e) => ((stored = list), kept.push({ change, extreme: list.find((x) => x.id === e.id)?.extreme ?? null })) })
    first.venue.nativeOptions = false
    first.setLast(100)
    first.oms.submit(market(first.intent, { side: 'sell', options: { trailingPercent: dec('5') } }))
    const trade = (ts: number, price: number): void => first.feed({ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: ts, price, amount: 1 })
    trade(2_000, 104)
    trade(2_500, 106) // within the second: not handed on
    trade(3_100, 108)
    expect(kept).toEqual([
      { change: 'created', extreme: 100 },
      { change: 'trailed', extreme: 104 },
      { change: 'trailed', extreme: 108 },
    ])
    // What a new session starts from: it trails from 108, so a fall to 102.5 (5% under 108 is 102.6) fires it.
    const fired: number[] = []
    const restored = new OrderEmulator({ fire: (_e, level) => (fired.push(level), 'sent'), onChange: () => undefined }, stored)
    expect(restored.list().map((e) => e.extreme)).toEqual([108])
    restored.onMarket({ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: 4_000, price: 102.5, amount: 1 })
    expect(fired).toEqual([108 * 0.95])
  })

  it('emulated orders are cancelled at once by cancel-all (the kill switch) and by their id, and follow a trailing stop', () => {
    const { oms, intent, venue, setLast, feed } = setup()
    venue.nativeOptions = false
    setLast(100)
    const a = oms.submit(market(intent, { side: 'buy', options: { triggerPrice: dec('120') } }))
    const b = oms.submit(market(intent, { side: 'buy', options: { trailingPercent: dec('2') } }))
    expect(oms.emulator.list().map((e) => [e.id, e.direction, e.extreme])).toEqual([
      [a.clientOrderId, 'above', null],
      [b.clientOrderId, 'above', 100],
    ])
    feed({ kind: 'trade', venue: 'sim', symbol: 'BTC/USDT', timestamp: 2_000, price: 90, amount: 1 })
    expect(oms.emulator.list()[1]!.extreme).toBe(90) // a buy trails the low: fires at 91.8
    oms.cancel(a.clientOrderId)
    expect(oms.emulator.list().map((e) => e.id)).toEqual([b.clientOrderId])
    expect(oms.cancelAll()).toBe(1)
    expect(oms.emulator.size).toBe(0)
    expect(venue.created).toBe(0)
  })
})
