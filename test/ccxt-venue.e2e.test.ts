/**
 * End-to-end: CcxtVenue (the real ccxt package) against `sofia exchange-sim` as a child process on loopback.
 * The venue contract suite runs here with a harness that moves the local exchange's market through its
 * control API and a second account (outside liquidity); each contract test trades on its own account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dec, roundPrice } from '../src/model/index.js'
import type { Decimal, MarketEvent } from '../src/model/index.js'
import { CcxtVenue, createCcxtExchange } from '../src/venues/ccxt.js'
import type { CcxtExchange } from '../src/venues/index.js'
import { venueContract } from '../src/venues/venue.contract.js'
import type { VenueHarness } from '../src/venues/venue.contract.js'
import { control, sleep, startSim, stopSim } from './sim.js'
import type { Sim } from './sim.js'

const SYMBOL = 'BTC/USDT'
const ACCOUNTS = 24
let sim: Sim | undefined
let nextAccount = 1
const venues: CcxtVenue[] = []
const exchanges: CcxtExchange[] = []

beforeAll(async () => {
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ['--account', `K${i + 1}:S${i + 1}`]).flat()
  sim = await startSim(['--tick-ms', '0', '--seed', '5', '--symbols', SYMBOL, '--api-key', 'MM', '--api-secret', 'MMS', '--balance', 'USDT=100000', '--balance', 'BTC=10', ...accounts])
})

afterAll(async () => {
  await Promise.all(venues.map((v) => v.close()))
  await Promise.all(exchanges.map((e) => (e as unknown as { close(): Promise<void> }).close()))
  await stopSim(sim)
})

function exchangeFor(key: string, secret: string, extra: { timeoutMs?: number } = {}): CcxtExchange {
  const ex = createCcxtExchange({ exchangeId: 'binance', apiKey: key, secret, url: sim!.url, ...extra })
  exchanges.push(ex)
  return ex
}

/** Outside liquidity on the MM account: a book we set, taken away while an outside print goes through. */
class OutsideBook {
  private readonly ex: CcxtExchange
  private seq = 0
  constructor() {
    this.ex = exchangeFor('MM', 'MMS')
  }
  async clear(): Promise<Array<{ side: 'buy' | 'sell'; price: number; amount: number }>> {
    const open = await this.ex.fetchOpenOrders(SYMBOL)
    if (open.length > 0) await this.ex.cancelAllOrders(SYMBOL)
    return open.map((o) => ({ side: o.side as 'buy' | 'sell', price: o.price!, amount: o.remaining! }))
  }
  async place(levels: Array<{ side: 'buy' | 'sell'; price: number; amount: number }>): Promise<void> {
    for (const l of levels) {
      if (l.amount <= 0) continue
      await this.ex.createOrder(SYMBOL, 'limit', l.side, l.amount, l.price, { clientOrderId: `mm-${Date.now().toString(36)}-${++this.seq}` })
    }
  }
}

let outside: OutsideBook
let mid: Decimal

async function harness(): Promise<VenueHarness> {
  outside ??= new OutsideBook()
  if (mid === undefined) {
    const book = await exchangeFor('MM', 'MMS').fetchOrderBook(SYMBOL, 1)
    const inst = { tickSize: dec('0.01') } as Parameters<typeof roundPrice>[0]
    mid = roundPrice(inst, dec(String(book.bids[0]![0]!)).add(String(book.asks[0]![0]!)).div(2))
  }
  const n = nextAccount++
  const venue = await CcxtVenue.connect({ id: 'xsim', exchange: exchangeFor(`K${n}`, `S${n}`), symbols: [SYMBOL] })
  venues.push(venue)
  const tick = venue.instrument(SYMBOL).tickSize
  return {
    venue,
    symbol: SYMBOL,
    mid,
    lot: dec('0.001'),
    feed: async (e: MarketEvent) => {
      switch (e.kind) {
        case 'quote':
          await outside.clear()
          await outside.place([
            { side: 'buy', price: e.bid, amount: e.bidSize },
            { side: 'sell', price: e.ask, amount: e.askSize },
          ])
          return
        case 'book':
          await outside.clear()
          await outside.place([...e.bids.map(([price, amount]) => ({ side: 'buy' as const, price, amount })), ...e.asks.map(([price, amount]) => ({ side: 'sell' as const, price, amount }))])
          return
        case 'trade': {
          // A print strictly through a resting price: an outside taker limited one tick short of the print.
          const below = dec(String(e.price)).lt(mid)
          const limit = below ? dec(String(e.price)).add(tick) : dec(String(e.price)).sub(tick)
          const kept = await outside.clear()
          await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side: below ? 'sell' : 'buy', amount: String(e.amount), price: limit.toString() })
          await outside.place(kept)
          return
        }
        case 'bar':
          return
      }
    },
    advance: (ms: number) => sleep(Math.min(ms, 400)),
  }
}

venueContract('CcxtVenue on exchange-sim', harness)

describe('CcxtVenue on exchange-sim: the adapter itself', () => {
  it('loads instruments with tick/step sizes, minimums and fees from exchangeInfo', async () => {
    const h = await harness()
    const inst = h.venue.instrument(SYMBOL)
    expect([inst.tickSize.toString(), inst.stepSize.toString(), inst.minAmount.toString(), inst.minCost.toString()]).toEqual(['0.01', '0.00001', '0.0001', '5'])
    expect(inst.makerFee.toString()).toBe('0.001')
    expect(Math.abs((await h.venue.fetchTime()) - Date.now())).toBeLessThan(2_000)
  })

  it('sends time in force natively (IOC, FOK, post-only as LIMIT_MAKER) and trigger orders as Binance stops', async () => {
    const n = nextAccount++
    const raw = exchangeFor(`K${n}`, `S${n}`)
    const venue = await CcxtVenue.connect({ id: 'xsim', exchange: exchangeFor(`K${n}`, `S${n}`), symbols: [SYMBOL] })
    venues.push(venue)
    expect(['timeInForce', 'postOnly', 'trigger', 'trailing'].map((f) => venue.supports(f as never))).toEqual([true, true, true, true])
    const book = await raw.fetchOrderBook(SYMBOL, 5)
    const bid = dec(String(book.bids[0]![0]!))
    const ask = dec(String(book.asks[0]![0]!))
    const far = roundPrice(venue.instrument(SYMBOL), bid.mul('0.9'))
    const id = (k: string): string => `tif-${n}-${k}`
    const base = { symbol: SYMBOL, type: 'limit' as const, side: 'buy' as const, amount: dec('0.001') }
    // Post-only below the market rests, as Binance's LIMIT_MAKER; at the ask it is refused (it would take).
    const po = await venue.createOrder({ ...base, clientOrderId: id('po'), price: far, options: { timeInForce: 'PO' } })
    expect(po.status).toBe('open')
    const open = await raw.fetchOpenOrders(SYMBOL)
    expect(open.map((o) => (o.info as { type: string }).type)).toEqual(['LIMIT_MAKER'])
    await expect(venue.createOrder({ ...base, clientOrderId: id('po-take'), price: ask, options: { timeInForce: 'PO' } })).rejects.toThrow(/immediately match/)
    // IOC and FOK that cannot trade at their price expire at once, with nothing left on the book.
    const ioc = await venue.createOrder({ ...base, clientOrderId: id('ioc'), price: far, options: { timeInForce: 'IOC' } })
    const fok = await venue.createOrder({ ...base, clientOrderId: id('fok'), price: far, options: { timeInForce: 'FOK' } })
    expect([ioc.status, fok.status]).toEqual(['expired', 'expired'])
    const fetched = await raw.fetchOrder('', SYMBOL, { origClientOrderId: id('ioc') })
    expect(fetched.timeInForce).toBe('IOC')
    expect((await raw.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).toEqual([id('po')])
    // Trigger orders: the direction says which Binance type. A sell falling to its trigger is a stop-loss, a
    // sell rising to it a take-profit; both wait at the exchange off the book, and cancel like any order.
    const inst = venue.instrument(SYMBOL)
    const sell = { symbol: SYMBOL, side: 'sell' as const, amount: dec('0.001') }
    const below = roundPrice(inst, bid.mul('0.95'))
    const above = roundPrice(inst, ask.mul('1.05'))
    const sl = await venue.createOrder({ ...sell, type: 'market', clientOrderId: id('sl'), options: { triggerPrice: below, triggerDirection: 'below' } })
    const slLimit = await venue.createOrder({ ...sell, type: 'limit', price: roundPrice(inst, below.mul('0.99')), clientOrderId: id('sl-limit'), options: { triggerPrice: below, triggerDirection: 'below' } })
    const tp = await venue.createOrder({ ...sell, type: 'limit', price: above, clientOrderId: id('tp'), options: { triggerPrice: above, triggerDirection: 'above' } })
    expect([sl.status, slLimit.status, tp.status]).toEqual(['open', 'open', 'open'])
    const waiting = (await raw.fetchOpenOrders(SYMBOL)).filter((o) => o.clientOrderId !== id('po')).map((o) => [o.clientOrderId, (o.info as { type: string; stopPrice: string }).type, Number((o.info as { stopPrice: string }).stopPrice)])
    expect(waiting).toEqual([
      [id('sl'), 'STOP_LOSS', below.toNumber()],
      [id('sl-limit'), 'STOP_LOSS_LIMIT', below.toNumber()],
      [id('tp'), 'TAKE_PROFIT_LIMIT', above.toNumber()],
    ])
    for (const o of [sl, slLimit, tp, po]) await venue.cancelOrder(o.clientOrderId, SYMBOL)
    expect(await raw.fetchOpenOrders(SYMBOL)).toEqual([])
  })

  it("takes Binance's OCO endpoint through ccxt: one hold for both legs, and canceling the list (or one leg) cancels both", async () => {
    const n = nextAccount++
    const raw = exchangeFor(`K${n}`, `S${n}`) as unknown as {
      privatePostOrderListOco(p: Record<string, unknown>): Promise<{ orderListId: number; listOrderStatus: string; orderReports: { clientOrderId: string; type: string; status: string; orderListId: number }[] }>
      privateDeleteOrderList(p: Record<string, unknown>): Promise<{ listOrderStatus: string; orderReports: { status: string }[] }>
      fetchBalance(): Promise<{ BTC: { free: number; used: number } }>
      fetchOrderBook(s: string, n: number): Promise<{ bids: number[][]; asks: number[][] }>
      fetchOrder(id: string, s: string, p: Record<string, unknown>): Promise<{ status: string }>
    }
    const book = await raw.fetchOrderBook(SYMBOL, 5)
    const mid = (book.bids[0]![0]! + book.asks[0]![0]!) / 2
    const all = (await raw.fetchBalance()).BTC.free
    const oco = (id: string) =>
      raw.privatePostOrderListOco({
        symbol: 'BTCUSDT', side: 'SELL', quantity: String(all), listClientOrderId: id,
        aboveType: 'TAKE_PROFIT', aboveStopPrice: (mid * 1.05).toFixed(2), aboveClientOrderId: `${id}-tp`,
        belowType: 'STOP_LOSS', belowStopPrice: (mid * 0.95).toFixed(2), belowClientOrderId: `${id}-sl`,
      })
    const list = await oco(`oco-${n}`)
    expect([list.listOrderStatus, ...list.orderReports.map((r) => `${r.clientOrderId} ${r.type} ${r.status} ${r.orderListId === list.orderListId}`)]).toEqual([
      'EXECUTING', `oco-${n}-sl STOP_LOSS NEW true`, `oco-${n}-tp TAKE_PROFIT NEW true`,
    ])
    expect((await raw.fetchBalance()).BTC).toMatchObject({ free: 0, used: all })
    const canceled = await raw.privateDeleteOrderList({ symbol: 'BTCUSDT', listClientOrderId: `oco-${n}` })
    expect([canceled.listOrderStatus, ...canceled.orderReports.map((r) => r.status)]).toEqual(['ALL_DONE', 'CANCELED', 'CANCELED'])
    expect((await raw.fetchBalance()).BTC).toMatchObject({ free: all, used: 0 })
    // One leg's cancel (ccxt's cancelOrder) cancels the list.
    await oco(`oco2-${n}`)
    await (raw as unknown as { cancelOrder(id: string, s: string, p: Record<string, unknown>): Promise<unknown> }).cancelOrder('', SYMBOL, { origClientOrderId: `oco2-${n}-sl` })
    expect((await raw.fetchOrder('', SYMBOL, { origClientOrderId: `oco2-${n}-tp` })).status).toBe('canceled')
  })

  it('sends a trailing stop as Binance STOP_LOSS with trailingDelta, which follows the high and fires at the exchange; what Binance cannot take is left to Sofia', async () => {
    const n = nextAccount++
    const raw = exchangeFor(`K${n}`, `S${n}`)
    const venue = await CcxtVenue.connect({ id: 'xsim', exchange: exchangeFor(`K${n}`, `S${n}`), symbols: [SYMBOL] })
    venues.push(venue)
    const sell = { symbol: SYMBOL, side: 'sell' as const }
    // Whole basis points within the TRAILING_DELTA filter (10–2000), trailing the way a stop does: native.
    expect(venue.supports('trailing', { ...sell, options: { trailingPercent: dec('1.5') } })).toBe(true)
    expect(venue.supports('trailing', { ...sell, options: { trailingPercent: dec('1.555') } })).toBe(false)
    expect(venue.supports('trailing', { ...sell, options: { trailingPercent: dec('25') } })).toBe(false)
    expect(venue.supports('trailing', { ...sell, options: { trailingPercent: dec('1'), triggerDirection: 'above' } })).toBe(false)
    const mid = async (): Promise<number> => {
      const book = await raw.fetchOrderBook(SYMBOL, 5)
      return (book.bids[0]![0]! + book.asks[0]![0]!) / 2
    }
    const print = async (price: number, side: 'buy' | 'sell'): Promise<void> => {
      await control(sim!, 'POST', '/sim/market', { symbol: SYMBOL, price })
      await control(sim!, 'POST', '/sim/trade', { symbol: SYMBOL, side, amount: '0.001' })
    }
    const start = await mid()
    await print(start, 'buy')
    const trail = await venue.createOrder({ ...sell, type: 'market', amount: dec('0.002'), clientOrderId: `trail-${n}`, options: { trailingPercent: dec('1.5'), triggerDirection: 'below' } })
    expect(trail.status).toBe('open')
    const info = (await raw.fetchOrder('', SYMBOL, { origClientOrderId: `trail-${n}` })).info as { type: string; trailingDelta: number; status: string }
    expect([info.type, info.trailingDelta, info.status]).toEqual(['STOP_LOSS', 150, 'NEW'])
    // Up 4%, then back 1% from there: still waiting (it trails the high); back 2.5%: it fires and sells.
    await print(start * 1.04, 'buy')
    await print(start * 1.04 * 0.99, 'sell')
    expect((await venue.fetchOrder(`trail-${n}`, SYMBOL)).status).toBe('open')
    await print(start * 1.04 * 0.975, 'sell')
    const done = await venue.fetchOrder(`trail-${n}`, SYMBOL)
    expect([done.status, done.filled.toString()]).toEqual(['closed', '0.002'])
    // The account's only trades: the trailing sell's, above where it started (it protected the rise).
    const trades = await raw.fetchMyTrades(SYMBOL)
    expect(trades.length).toBeGreaterThan(0)
    expect(trades.every((t) => t.side === 'sell' && t.price! > start)).toBe(true)
    await control(sim!, 'POST', '/sim/market', { symbol: SYMBOL, price: start })
  })
})
