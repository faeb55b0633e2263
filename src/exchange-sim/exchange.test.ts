import { describe, expect, it } from 'vitest'
import type { SimOrder } from './accounts.js'
import { BinanceError } from './binance-error.js'
import { SimExchange } from './exchange.js'
import type { SimExchangeOptions } from './exchange.js'
import { symbolSpec } from './symbols.js'

function exchange(over: Partial<SimExchangeOptions> = {}): SimExchange {
  return new SimExchange({
    ...over,
    seed: 5,
    symbols: [symbolSpec('BTC/USDT')],
    accounts: [{ apiKey: 'K', secret: 'S' }],
    balances: { USDT: '1000000', BTC: '1' },
    makerFee: '0.0005',
    takerFee: '0.001',
    maker: { scale: 1, offset: 0, stepBps: 2, levels: 5, tradeProbability: 0 },
    now: () => 1_700_000_000_000,
  })
}

/** The exchange, account K and its BTCUSDT market: where most cases start. */
function market(over: Partial<SimExchangeOptions> = {}) {
  const ex = exchange(over)
  return { ex, a: ex.account('K')!, s: ex.symbol('BTCUSDT') }
}

describe('SimExchange', () => {
  it('locks a resting buy (with the largest fee) and releases it on cancel', () => {
    const ex = exchange()
    const a = ex.account('K')!
    const o = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000.00' })
    expect(o.status).toBe('NEW')
    expect(a.balance('USDT').locked.toString()).toBe('500.5')
    ex.cancelOrder(a, 'BTCUSDT', String(o.id), undefined)
    expect(a.balance('USDT').locked.toString()).toBe('0')
    expect(a.balance('USDT').free.toString()).toBe('1000000')
  })

  it('charges maker and taker commissions in the quote asset, exactly', () => {
    const { ex, a, s } = market()
    const bestAsk = s.book.bestAsk()!
    const ask = s.inst.tickSize.mul(bestAsk - 1)
    const sell = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: ask.toFixed(2) })
    ex.outsideTrade('BTCUSDT', 'buy', '0.004', ask.toFixed(2))
    expect(sell.status).toBe('PARTIALLY_FILLED')
    const fill = sell.fills[0]!
    expect(fill.isMaker).toBe(true)
    expect(fill.commission.toString()).toBe(fill.quoteQty.mul('0.0005').toDecimalPlaces(8, 0).toString())
    expect(a.balance('BTC').locked.toString()).toBe('0.006')
    expect(a.balance('USDT').free.toString()).toBe(fill.quoteQty.sub(fill.commission).add(1000000).toString())
    const buy = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002' })
    expect(buy.status).toBe('FILLED')
    expect(buy.fills.every((f) => !f.isMaker && f.commission.eq(f.quoteQty.mul('0.001').toDecimalPlaces(8, 0)))).toBe(true)
  })

  it.each([
    [{ quantity: '0.000015', price: '50000.00' }, -1013, 'LOT_SIZE'],
    [{ quantity: '0.001', price: '50000.001' }, -1013, 'PRICE_FILTER'],
    [{ quantity: '0.0001', price: '100.00' }, -1013, 'NOTIONAL'],
    [{ quantity: '100', price: '50000.00' }, -2010, 'insufficient balance'],
    [{ quantity: '0.001', price: '1e5' }, -1100, 'Illegal characters'],
    [{ price: '50000.00' }, -1102, 'quantity'],
  ])('rejects %j with %i', (p, code, msg) => {
    const ex = exchange()
    const run = (): unknown => ex.placeOrder(ex.account('K')!, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', ...p })
    expect(run).toThrow(BinanceError)
    expect(run).toThrow(msg)
    try {
      run()
    } catch (e) {
      expect((e as BinanceError).code).toBe(code)
    }
  })

  it("prevents self-trades like Binance's default (EXPIRE_MAKER): the account's resting order expires, no trade", () => {
    const { ex, a, s } = market()
    const ask = s.inst.tickSize.mul(s.book.bestAsk()! - 1).toFixed(2)
    const sell = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: ask })
    const buy = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: ask })
    expect(sell.status).toBe('EXPIRED_IN_MATCH')
    expect(sell.fills).toHaveLength(0)
    expect(buy.fills.every((f) => f.orderId === buy.id)).toBe(true)
    expect(a.trades.filter((t) => t.orderId === sell.id)).toHaveLength(0)
    expect(a.balance('BTC').locked.toString()).toBe('0')
  })

  it('with self-trade prevention NONE, trades an account with itself: two fills, a buy and a sell, under one trade id', () => {
    const { ex, a, s } = market({ selfTradePrevention: 'NONE' })
    const ask = s.inst.tickSize.mul(s.book.bestAsk()! - 1).toFixed(2)
    const sell = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: ask })
    const buy = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: ask })
    expect(buy.status).toBe('FILLED')
    expect(sell.status).toBe('PARTIALLY_FILLED')
    const [b] = buy.fills
    const [m] = sell.fills
    expect(b!.tradeId).toBe(m!.tradeId)
    expect([b!.side, b!.isMaker, m!.side, m!.isMaker]).toEqual(['buy', false, 'sell', true])
    expect(a.trades.filter((t) => t.tradeId === b!.tradeId)).toHaveLength(2)
    expect(sell.selfTradePreventionMode).toBe('NONE')
  })

  it('works STOP_LOSS and STOP_LOSS_LIMIT orders off the book until the last trade reaches the stop, as Binance does', () => {
    const { ex, a, s } = market()
    const tick = s.inst.tickSize
    const bid = tick.mul(s.book.bestBid()!)
    const stop = bid.sub(tick.mul(20)).toFixed(2)
    const stopMarket = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: stop })
    const stopLimit = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: '0.01', price: bid.sub(tick.mul(60)).toFixed(2), stopPrice: stop })
    expect([stopMarket.status, stopMarket.waiting, stopLimit.waiting]).toEqual(['NEW', true, true])
    expect(a.balance('BTC').locked.toString()).toBe('0.02') // held from placement
    expect(a.openOrders('BTCUSDT').map((o) => o.id)).toEqual([stopMarket.id, stopLimit.id])
    // A trade above the stop fires nothing; one at the stop fires both, in arrival order.
    ex.outsideTrade('BTCUSDT', 'sell', '0.001', bid.toFixed(2))
    expect(stopMarket.waiting).toBe(true)
    ex.moveTo('BTCUSDT', bid.mul('0.99').toNumber())
    ex.outsideTrade('BTCUSDT', 'sell', '0.001')
    expect(s.tape.at(-1)!.price.lte(stop)).toBe(true)
    expect(stopMarket.status).toBe('FILLED')
    expect(stopMarket.fills.every((f) => f.price.lte(stop))).toBe(true)
    expect(stopLimit.waiting).toBe(false)
    expect(['NEW', 'PARTIALLY_FILLED', 'FILLED']).toContain(stopLimit.status)
    // Refused: a stop that would fire at once, a missing stopPrice, a stopPrice on a plain order.
    const last = s.tape.at(-1)!.price
    expect(() => ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: last.add(tick).toFixed(2) })).toThrow('Stop price would trigger immediately.')
    expect(() => ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01' })).toThrow(/stopPrice/)
    expect(() => ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: bid.toFixed(2), stopPrice: stop })).toThrow(/stopPrice/)
  })

  it('trails a STOP_LOSS with trailingDelta (Binance basis points) from the high since it arrived, and fires when the price comes back that far', () => {
    const { ex, a, s } = market()
    ex.outsideTrade('BTCUSDT', 'buy', '0.001')
    const start = s.tape.at(-1)!.price
    const trail = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', trailingDelta: '100' })
    expect([trail.status, trail.waiting, trail.trailExtreme?.toString(), trail.trailingTime]).toEqual(['NEW', true, start.toString(), 1_700_000_000_000])
    // Up 3%: the high moves up and the trigger with it (1% under it); a 0.5% dip fires nothing.
    const mid = start.toNumber()
    ex.moveTo('BTCUSDT', mid * 1.03)
    ex.outsideTrade('BTCUSDT', 'buy', '0.001')
    const high = trail.trailExtreme!
    expect(high.gt(start)).toBe(true)
    ex.moveTo('BTCUSDT', high.toNumber() * 0.995)
    ex.outsideTrade('BTCUSDT', 'sell', '0.001')
    expect([trail.waiting, trail.trailExtreme!.eq(high)]).toEqual([true, true])
    // Back 1.5% from the high (still above where it started): it fires and sells at the market.
    ex.moveTo('BTCUSDT', high.toNumber() * 0.985)
    ex.outsideTrade('BTCUSDT', 'sell', '0.001')
    expect([trail.waiting, trail.status]).toEqual([false, 'FILLED'])
    expect(trail.fills.every((f) => f.price.lt(high.mul('0.99')) && f.price.gt(start))).toBe(true)
    // A trailingDelta outside Binance's TRAILING_DELTA filter, or on a plain order, is refused.
    expect(() => ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', trailingDelta: '5' })).toThrow('Filter failure: TRAILING_DELTA')
    expect(() => ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', trailingDelta: '1.5' })).toThrow(/trailingDelta/)
    expect(() => ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', price: '1.00', quantity: '0.01', trailingDelta: '100' })).toThrow(/trailingDelta/)
  })

  it('a trailing buy follows the low; a TAKE_PROFIT with a stopPrice starts trailing only once the price falls to it', () => {
    const { ex, a, s } = market()
    ex.outsideTrade('BTCUSDT', 'sell', '0.001')
    const start = s.tape.at(-1)!.price
    const tick = s.inst.tickSize
    const activation = start.mul('0.98').div(tick).floor().mul(tick)
    const buy = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'BUY', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: activation.toFixed(2), trailingDelta: '200' })
    expect([buy.waiting, buy.trailExtreme, buy.trailingTime]).toEqual([true, undefined, -1])
    // Down 3%: past the activation price, it trails the low; 1% back up fires nothing, 2.5% fires it.
    ex.moveTo('BTCUSDT', start.toNumber() * 0.97)
    ex.outsideTrade('BTCUSDT', 'sell', '0.001')
    const low = buy.trailExtreme!
    expect(low.lte(activation)).toBe(true)
    ex.moveTo('BTCUSDT', low.toNumber() * 1.01)
    ex.outsideTrade('BTCUSDT', 'buy', '0.001')
    expect(buy.waiting).toBe(true)
    ex.moveTo('BTCUSDT', low.toNumber() * 1.025)
    ex.outsideTrade('BTCUSDT', 'buy', '0.001')
    expect(buy.status).toBe('FILLED')
  })

  it('an OCO list holds the quantity once; the leg that fires expires the other, and canceling one cancels both', () => {
    const { ex, a, s } = market()
    ex.outsideTrade('BTCUSDT', 'buy', '0.001')
    const last = s.tape.at(-1)!.price
    const tick = s.inst.tickSize
    const at = (f: string): string => last.mul(f).div(tick).floor().mul(tick).toFixed(2)
    // The whole 1 BTC under a stop and a take-profit: two plain orders cannot both hold it.
    const stop = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '1', stopPrice: at('0.98') })
    expect(() => ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'TAKE_PROFIT', quantity: '1', stopPrice: at('1.02') })).toThrow(/insufficient balance/)
    ex.cancelOrder(a, 'BTCUSDT', String(stop.id), undefined)
    const oco = (listClientOrderId: string, aboveType = 'TAKE_PROFIT') =>
      ex.placeOrderList(a, {
        symbol: 'BTCUSDT',
        side: 'SELL',
        quantity: '1',
        listClientOrderId,
        above: aboveType === 'LIMIT_MAKER' ? { type: aboveType, price: at('1.02'), clientOrderId: `${listClientOrderId}-tp` } : { type: aboveType, stopPrice: at('1.02'), clientOrderId: `${listClientOrderId}-tp` },
        below: { type: 'STOP_LOSS', stopPrice: at('0.98'), clientOrderId: `${listClientOrderId}-sl` },
      })
    const first = oco('l1')
    const [sl, tp] = first.orders as [SimOrder, SimOrder]
    expect([sl.type, tp.type, sl.orderListId, tp.orderListId, sl.status, tp.status]).toEqual(['STOP_LOSS', 'TAKE_PROFIT', first.id, first.id, 'NEW', 'NEW'])
    expect([a.balance('BTC').free.toString(), a.balance('BTC').locked.toString()]).toEqual(['0', '1'])
    // Canceling one leg cancels the list and frees the coin.
    ex.cancelOrder(a, 'BTCUSDT', undefined, 'l1-tp')
    expect([sl.status, tp.status, first.status, a.balance('BTC').locked.toString()]).toEqual(['CANCELED', 'CANCELED', 'ALL_DONE', '0'])
    // The price falls through the stop: it sells the coin, the take-profit expires, nothing stays locked.
    const second = oco('l2')
    ex.moveTo('BTCUSDT', last.toNumber() * 0.97)
    ex.outsideTrade('BTCUSDT', 'sell', '0.001')
    const [sl2, tp2] = second.orders as [SimOrder, SimOrder]
    expect([sl2.status, tp2.status, second.status]).toEqual(['FILLED', 'EXPIRED', 'ALL_DONE'])
    expect([a.balance('BTC').free.toString(), a.balance('BTC').locked.toString()]).toEqual(['0', '0'])
    // Refused: a stop above a sell, a repeated client id.
    expect(() => ex.placeOrderList(a, { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.1', above: { type: 'STOP_LOSS', stopPrice: at('1.02') }, below: { type: 'STOP_LOSS', stopPrice: at('0.98') } })).toThrow(/aboveType/)
  })

  it('an OCO whose LIMIT_MAKER leg trades on the book expires its stop', () => {
    const { ex, a, s } = market()
    const tick = s.inst.tickSize
    const ask = tick.mul(s.book.bestAsk()!)
    const list = ex.placeOrderList(a, {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.5',
      above: { type: 'LIMIT_MAKER', price: ask.sub(tick).toFixed(2) },
      below: { type: 'STOP_LOSS', stopPrice: ask.mul('0.95').div(tick).floor().mul(tick).toFixed(2) },
    })
    const [sl, tp] = list.orders as [SimOrder, SimOrder]
    ex.outsideTrade('BTCUSDT', 'buy', '0.2', ask.sub(tick).toFixed(2))
    expect([tp.status, tp.executedQty.toString(), sl.status]).toEqual(['PARTIALLY_FILLED', '0.2', 'EXPIRED'])
    expect(a.balance('BTC').locked.toString()).toBe('0.3')
    ex.cancelOrder(a, 'BTCUSDT', String(tp.id), undefined)
    expect([a.balance('BTC').free.toString(), a.balance('BTC').locked.toString()]).toEqual(['0.8', '0'])
  })

  it('cancels a waiting take-profit, releasing what it held; a narrower orderTypes refuses stops', () => {
    const { ex, a, s } = market()
    const high = s.inst.tickSize.mul(s.book.bestAsk()! + 50).toFixed(2)
    const tp = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'SELL', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: high })
    expect(a.balance('BTC').locked.toString()).toBe('0.01')
    expect(ex.cancelOrder(a, 'BTCUSDT', String(tp.id), undefined).status).toBe('CANCELED')
    expect(a.balance('BTC').locked.toString()).toBe('0')
    ex.outsideTrade('BTCUSDT', 'buy', '1000', high)
    expect(tp.fills).toHaveLength(0)
    const plain = exchange({ orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER'] })
    expect(() => plain.placeOrder(plain.account('K')!, { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '1.00' })).toThrow('Order type not supported for this symbol.')
  })

  it('expires a FOK that cannot fill completely and refuses a crossing LIMIT_MAKER', () => {
    const { ex, a, s } = market()
    const ask = s.inst.tickSize.mul(s.book.bestAsk()!).toFixed(2)
    const askLots = s.book.lotsAt('sell', s.book.bestAsk()!)
    const tooMuch = s.inst.stepSize.mul(askLots + 1).toString()
    const fok = ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'FOK', quantity: tooMuch, price: ask })
    expect(fok.status).toBe('EXPIRED')
    expect(fok.fills).toHaveLength(0)
    expect(a.balance('USDT').free.toString()).toBe('1000000')
    expect(() => ex.placeOrder(a, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.001', price: ask })).toThrow('Order would immediately match and take.')
  })
})
