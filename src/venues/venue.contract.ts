/**
 * @module venues/venue.contract
 * The one behaviour suite every Venue implementation runs (the simulated exchange now, the CCXT adapter
 * against a local exchange later). An implementation's test calls `venueContract(name, open)` with a harness
 * that can move its market (`feed`) and let its time pass (`advance`).
 */
import { describe, expect, it } from 'vitest'
import { BadSymbol, InsufficientFunds, InvalidOrder, OrderNotFound, ZERO, sum } from '../model/index.js'
import type { BookLevel, Decimal, MarketEvent, OrderSide, Trade } from '../model/index.js'
import type { OrderRequest, Venue, VenueOrder } from './venue.js'

export interface VenueHarness {
  readonly venue: Venue
  /** A listed symbol; the account holds enough base and quote for a few orders of `lot` around `mid`. */
  readonly symbol: string
  /** A price on the tick, around which the suite places orders. */
  readonly mid: Decimal
  /** A valid order amount (a multiple of the step, above minimum amount and cost at `mid`). */
  readonly lot: Decimal
  /** Makes the venue's external market show this event (its timestamp is the venue's current time). */
  feed(event: MarketEvent): void | Promise<void>
  /** Lets `ms` of venue time pass, so requests in flight arrive. */
  advance(ms: number): void | Promise<void>
}

/** Generous: the slowest implementation's request latency. */
const SETTLE_MS = 1_000

export function venueContract(name: string, open: () => Promise<VenueHarness>): void {
  describe(`${name} venue (contract)`, () => {
    let seq = 0
    const runTag = Date.now().toString(36)

    async function setup() {
      const h = await open()
      const { venue, symbol } = h
      const inst = venue.instrument(symbol)
      const orders: VenueOrder[] = []
      const trades: Trade[] = []
      const log: string[] = []
      venue.subscribe({
        onOrder: (o) => {
          orders.push(o)
          log.push(`order:${o.clientOrderId}:${o.status}:${o.filled.toString()}`)
        },
        onTrade: (t) => {
          trades.push(t)
          log.push(`trade:${t.clientOrderId}:${t.amount.toString()}`)
        },
      })
      const tick = inst.tickSize
      /** `mid` moved by n ticks. */
      const px = (n: number): Decimal => h.mid.add(tick.mul(n))
      const lots = (n: number): Decimal => h.lot.mul(n)
      const id = (): string => `ct-${runTag}-${++seq}`
      const request = (side: OrderSide, amount: Decimal, price?: Decimal): OrderRequest =>
        price === undefined
          ? { clientOrderId: id(), symbol, type: 'market', side, amount }
          : { clientOrderId: id(), symbol, type: 'limit', side, amount, price }
      const now = () => venue.fetchTime()
      const base = { venue: venue.id, symbol }
      const trade = async (price: Decimal, amount: Decimal) =>
        h.feed({ ...base, kind: 'trade', timestamp: await now(), price: price.toNumber(), amount: amount.toNumber() })
      const quote = async (bid: Decimal, ask: Decimal, size: Decimal) =>
        h.feed({
          ...base,
          kind: 'quote',
          timestamp: await now(),
          bid: bid.toNumber(),
          bidSize: size.toNumber(),
          ask: ask.toNumber(),
          askSize: size.toNumber(),
        })
      const book = async (bids: Array<[Decimal, Decimal]>, asks: Array<[Decimal, Decimal]>) => {
        const level = ([p, a]: [Decimal, Decimal]): BookLevel => [p.toNumber(), a.toNumber()]
        await h.feed({ ...base, kind: 'book', timestamp: await now(), snapshot: true, bids: bids.map(level), asks: asks.map(level) })
      }
      const settle = () => h.advance(SETTLE_MS)
      const balance = async (ccy: string) => {
        const b = (await venue.fetchBalance())[ccy]
        return b ?? { free: ZERO, used: ZERO, total: ZERO }
      }
      // A quiet two-sided market around mid, so limits a few ticks away rest.
      await quote(px(-1), px(1), lots(100))
      return { h, venue, symbol, inst, orders, trades, log, px, lots, request, trade, quote, book, settle, balance }
    }

    it('lists its instruments and refuses an unknown symbol', async () => {
      const { venue, symbol, lots, px } = await setup()
      expect(venue.instruments().map((i) => i.symbol)).toContain(symbol)
      expect(() => venue.instrument('NOPE/NOWHERE')).toThrow(BadSymbol)
      const order: OrderRequest = { clientOrderId: `ct-${runTag}-bad-symbol`, symbol: 'NOPE/NOWHERE', type: 'limit', side: 'buy', amount: lots(1), price: px(0) }
      await expect(venue.createOrder(order)).rejects.toBeInstanceOf(BadSymbol)
    })

    it('refuses an order beyond the free balance with InsufficientFunds and a rejected update', async () => {
      const { venue, inst, request, px, orders, balance } = await setup()
      const before = await balance(inst.quote)
      const amount = before.free.div(px(-5)).mul(2).div(inst.stepSize).floor().add(1).mul(inst.stepSize)
      const req = request('buy', amount, px(-5))
      const err: unknown = await venue.createOrder(req).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(InsufficientFunds)
      expect((err as Error).message).toContain(inst.quote)
      expect(orders.find((o) => o.clientOrderId === req.clientOrderId)?.status).toBe('rejected')
      expect((await balance(inst.quote)).free.eq(before.free)).toBe(true)
      await expect(venue.createOrder(request('sell', (await balance(inst.base)).free.add(inst.stepSize), px(5)))).rejects.toBeInstanceOf(
        InsufficientFunds,
      )
    })

    it('refuses malformed orders with InvalidOrder', async () => {
      const { venue, inst, request, px, lots } = await setup()
      await expect(venue.createOrder(request('buy', lots(1), px(-5).add(inst.tickSize.div(2))))).rejects.toBeInstanceOf(InvalidOrder)
      await expect(venue.createOrder(request('buy', lots(1).add(inst.stepSize.div(2)), px(-5)))).rejects.toBeInstanceOf(InvalidOrder)
      await expect(venue.createOrder(request('buy', ZERO, px(-5)))).rejects.toBeInstanceOf(InvalidOrder)
      const noPrice: OrderRequest = { ...request('buy', lots(1)), type: 'limit' }
      await expect(venue.createOrder(noPrice)).rejects.toBeInstanceOf(InvalidOrder)
    })

    it('rests a limit order, then fills it as maker on a print that trades through it', async () => {
      const { venue, inst, request, px, lots, trade, settle, trades, log } = await setup()
      const req = request('buy', lots(2), px(-5))
      const created = await venue.createOrder(req)
      expect(created.clientOrderId).toBe(req.clientOrderId)
      expect(created.status).toBe('open')
      await settle()
      expect((await venue.fetchOpenOrders()).map((o) => o.clientOrderId)).toContain(req.clientOrderId)
      await trade(px(-5), lots(10)) // at the limit: not through it
      expect(trades).toHaveLength(0)
      await trade(px(-6), lots(10))
      await settle()
      expect(trades).toHaveLength(1)
      const t = trades[0]!
      expect(t).toMatchObject({ clientOrderId: req.clientOrderId, side: 'buy', takerOrMaker: 'maker', venue: venue.id })
      expect(t.price.eq(px(-5))).toBe(true)
      expect(t.amount.eq(lots(2))).toBe(true)
      expect(t.cost.eq(px(-5).mul(lots(2)))).toBe(true)
      expect(t.fee.currency).toBe(inst.quote)
      expect(t.fee.cost.eq(t.cost.mul(inst.makerFee))).toBe(true)
      const final = await venue.fetchOrder(req.clientOrderId, req.symbol)
      expect(final.status).toBe('closed')
      expect(final.remaining.isZero()).toBe(true)
      // The accept comes first, and each trade comes before the order update that reflects it.
      const mine = log.filter((l) => l.includes(req.clientOrderId))
      expect(mine[0]).toBe(`order:${req.clientOrderId}:open:0`)
      const at = mine.indexOf(`trade:${req.clientOrderId}:${lots(2).toString()}`)
      expect(mine[at + 1]).toBe(`order:${req.clientOrderId}:closed:${lots(2).toString()}`)
    })

    it('fills partially and keeps the remainder open', async () => {
      const { venue, request, px, lots, trade, settle } = await setup()
      const req = request('sell', lots(5), px(5))
      await venue.createOrder(req)
      await settle()
      await trade(px(6), lots(2))
      await settle()
      const o = await venue.fetchOrder(req.clientOrderId, req.symbol)
      expect(o.status).toBe('open')
      expect(o.filled.eq(lots(2))).toBe(true)
      expect(o.remaining.eq(lots(3))).toBe(true)
      expect(o.cost.eq(px(5).mul(lots(2)))).toBe(true)
    })

    it('releases the reserved balance on cancel', async () => {
      const { venue, inst, request, px, lots, settle, balance, orders, trade, trades } = await setup()
      const before = await balance(inst.quote)
      const req = request('buy', lots(3), px(-5))
      await venue.createOrder(req)
      const reserved = await balance(inst.quote)
      expect(reserved.used.gt(before.used)).toBe(true)
      expect(reserved.free.lt(before.free)).toBe(true)
      expect(reserved.total.eq(before.total)).toBe(true)
      await settle()
      await venue.cancelOrder(req.clientOrderId, req.symbol)
      await settle()
      expect((await venue.fetchOrder(req.clientOrderId, req.symbol)).status).toBe('canceled')
      expect(orders.at(-1)).toMatchObject({ clientOrderId: req.clientOrderId, status: 'canceled' })
      const after = await balance(inst.quote)
      expect(after.free.eq(before.free)).toBe(true)
      expect(after.used.eq(before.used)).toBe(true)
      expect((await venue.fetchOpenOrders()).map((o) => o.clientOrderId)).not.toContain(req.clientOrderId)
      await expect(venue.cancelOrder(req.clientOrderId, req.symbol)).rejects.toBeInstanceOf(OrderNotFound)
      // Gone from the book too: a print through its price no longer fills it.
      await trade(px(-6), lots(10))
      await settle()
      expect(trades.filter((t) => t.clientOrderId === req.clientOrderId)).toHaveLength(0)
    })

    it('fills a market order against the depth, level by level, with the taker fee', async () => {
      const { venue, inst, request, px, lots, book, settle, trades } = await setup()
      await book(
        [[px(-1), lots(10)]],
        [
          [px(1), lots(1)],
          [px(2), lots(5)],
        ],
      )
      const req = request('buy', lots(3))
      await venue.createOrder(req)
      await settle()
      const mine = trades.filter((t) => t.clientOrderId === req.clientOrderId)
      expect(mine.map((t) => [t.price.toString(), t.amount.toString(), t.takerOrMaker])).toEqual([
        [px(1).toString(), lots(1).toString(), 'taker'],
        [px(2).toString(), lots(2).toString(), 'taker'],
      ])
      for (const t of mine) expect(t.fee.cost.eq(t.cost.mul(inst.takerFee))).toBe(true)
      const o = await venue.fetchOrder(req.clientOrderId, req.symbol)
      expect(o.status).toBe('closed')
      expect(o.cost.eq(px(1).mul(lots(1)).add(px(2).mul(lots(2))))).toBe(true)
    })

    it('refuses a second order with a client id it has seen, and keeps the first', async () => {
      const { venue, request, px, lots, settle } = await setup()
      const req = request('buy', lots(1), px(-5))
      await venue.createOrder(req)
      await expect(venue.createOrder(req)).rejects.toBeInstanceOf(InvalidOrder)
      await expect(venue.createOrder({ ...req, price: px(-6) })).rejects.toBeInstanceOf(InvalidOrder)
      await settle()
      const open = (await venue.fetchOpenOrders(req.symbol)).filter((o) => o.clientOrderId === req.clientOrderId)
      expect(open).toHaveLength(1)
      expect(open[0]!.price?.eq(px(-5))).toBe(true)
    })

    it('looks orders up by client id', async () => {
      const { venue, symbol, request, px, lots } = await setup()
      const req = request('sell', lots(1), px(7))
      const created = await venue.createOrder(req)
      const fetched = await venue.fetchOrder(req.clientOrderId, symbol)
      expect(fetched).toMatchObject({ id: created.id, clientOrderId: req.clientOrderId, side: 'sell', type: 'limit' })
      expect(fetched.amount.eq(lots(1))).toBe(true)
      await expect(venue.fetchOrder(`ct-${runTag}-never-sent`, symbol)).rejects.toBeInstanceOf(OrderNotFound)
      await expect(venue.cancelOrder(`ct-${runTag}-never-sent`, symbol)).rejects.toBeInstanceOf(OrderNotFound)
    })

    it('returns its fills from fetchMyTrades, filtered by symbol, since and limit', async () => {
      const { venue, symbol, request, px, lots, trade, settle, trades } = await setup()
      const start = await venue.fetchTime()
      await venue.createOrder(request('buy', lots(1), px(-3)))
      await venue.createOrder(request('buy', lots(1), px(-4)))
      await settle()
      await trade(px(-5), lots(5))
      await settle()
      expect(trades).toHaveLength(2)
      const mine = await venue.fetchMyTrades(symbol, start)
      expect(mine.map((t) => t.id)).toEqual(trades.map((t) => t.id))
      expect(await venue.fetchMyTrades(symbol, start, 1)).toHaveLength(1)
      expect(await venue.fetchMyTrades(symbol, trades.at(-1)!.timestamp + 1)).toHaveLength(0)
      expect(await venue.fetchMyTrades('NOPE/NOWHERE', start)).toHaveLength(0)
    })

    it('keeps balances exact through a sequence of fills (sum identity)', async () => {
      const { venue, inst, request, px, lots, trade, book, settle, balance } = await setup()
      const start = await venue.fetchTime()
      const base0 = await balance(inst.base)
      const quote0 = await balance(inst.quote)
      await book(
        [[px(-1), lots(4)]],
        [
          [px(1), lots(2)],
          [px(3), lots(2)],
        ],
      )
      await venue.createOrder(request('buy', lots(3))) // market, two levels
      await venue.createOrder(request('sell', lots(1))) // market, into the bid
      await settle()
      const restingSell = request('sell', lots(4), px(4))
      await venue.createOrder(restingSell)
      await venue.createOrder(request('buy', lots(2), px(-4)))
      await settle()
      await trade(px(5), lots(3)) // partial on the resting sell
      await trade(px(-5), lots(9)) // the resting buy, fully
      await settle()
      await venue.cancelOrder(restingSell.clientOrderId, restingSell.symbol)
      await settle()
      const fills = await venue.fetchMyTrades(inst.symbol, start)
      expect(fills.length).toBeGreaterThanOrEqual(5)
      const buys = fills.filter((t) => t.side === 'buy')
      const sells = fills.filter((t) => t.side === 'sell')
      const base1 = await balance(inst.base)
      const quote1 = await balance(inst.quote)
      const baseDelta = sum(buys.map((t) => t.amount)).sub(sum(sells.map((t) => t.amount)))
      const quoteDelta = sum(sells.map((t) => t.cost))
        .sub(sum(buys.map((t) => t.cost)))
        .sub(sum(fills.map((t) => t.fee.cost)))
      expect(base1.total.sub(base0.total).toString()).toBe(baseDelta.toString())
      expect(quote1.total.sub(quote0.total).toString()).toBe(quoteDelta.toString())
      for (const b of [base1, quote1]) expect(b.free.add(b.used).eq(b.total)).toBe(true)
      expect(base1.used.eq(base0.used)).toBe(true)
      expect(quote1.used.eq(quote0.used)).toBe(true)
      for (const t of fills) {
        expect(t.cost.eq(t.price.mul(t.amount))).toBe(true)
        expect(t.fee.cost.eq(t.cost.mul(t.takerOrMaker === 'maker' ? inst.makerFee : inst.takerFee))).toBe(true)
      }
    })
  })
}
