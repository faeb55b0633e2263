/**
 * @module exchange-sim/exchange
 * The local exchange's core: one price-time OrderBook per symbol (Sofia's matching engine) holding the
 * market maker's ladder and clients' orders, Binance's order rules (filters, time in force, LIMIT_MAKER,
 * duplicate client ids), balances with free/locked and maker/taker commissions charged in the quote asset.
 * It knows nothing of HTTP; the server turns requests into calls here and events into WebSocket messages.
 */
import { Decimal, ZERO, dec, makeInstrument, parseSymbol } from '../model/index.js'
import type { Instrument, OrderSide } from '../model/index.js'
import { OrderBook } from '../book/index.js'
import type { Match, SelfTradeMode } from '../book/index.js'
import { Prng } from '../engine/index.js'
import { Account, BINANCE_ORDER_TYPES, TIME_IN_FORCES } from './accounts.js'
import type { BinanceOrderType, SelfTradePrevention, SimFill, SimOrder, TimeInForce } from './accounts.js'
import { BinanceError, errors, illegalChars, mandatory } from './binance-error.js'
import { Candles } from './candles.js'
import { MarketMaker } from './market-maker.js'
import type { MarketMakerOptions, MarketMakerSpec } from './market-maker.js'

/** Owner of the market maker's and outside takers' orders in the books. */
export const MARKET_OWNER = 'market'
/** Owner of outside takers (`POST /sim/trade`, the market's own trades): never a client's. */
const OUTSIDE_OWNER = 'outside'

export interface SymbolSpec extends MarketMakerSpec {
  readonly symbol: string
  readonly tickSize: string
  readonly stepSize: string
  readonly minCost: string
}

export interface SimExchangeOptions {
  readonly seed: number
  readonly symbols: readonly SymbolSpec[]
  readonly accounts: readonly { apiKey: string; secret: string }[]
  readonly balances: Readonly<Record<string, string>>
  readonly makerFee: string
  readonly takerFee: string
  readonly maker: MarketMakerOptions
  readonly now?: () => number
  /**
   * What happens when a client's order meets its own account's resting order. Default `EXPIRE_MAKER`,
   * Binance's default: the resting one expires. `NONE`: they trade, and the account gets two fills, a buy and
   * a sell, under one trade id (what an exchange without self-trade prevention does).
   */
  readonly selfTradePrevention?: SelfTradePrevention
  /**
   * The order types the exchange takes (each symbol's `orderTypes`). Default: all of Binance spot's that it
   * implements, stop and take-profit orders included; a narrower list makes a venue that has no native stops.
   */
  readonly orderTypes?: readonly BinanceOrderType[]
}

export interface PublicTrade {
  readonly id: number
  readonly price: Decimal
  readonly qty: Decimal
  readonly time: number
  readonly isBuyerMaker: boolean
}

export interface DepthUpdate {
  readonly firstId: number
  readonly lastId: number
  readonly time: number
  readonly bids: [Decimal, Decimal][]
  readonly asks: [Decimal, Decimal][]
}

export type ExecutionType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED'

export interface ExchangeListener {
  onOrderUpdate?(account: Account, order: SimOrder, execType: ExecutionType, fill: SimFill | undefined): void
  onBalances?(account: Account, assets: readonly string[]): void
  onPublicTrade?(symbolId: string, trade: PublicTrade): void
  onDepthUpdate?(symbolId: string, update: DepthUpdate): void
}

export interface NewOrderParams {
  readonly symbol?: string | undefined
  readonly side?: string | undefined
  readonly type?: string | undefined
  readonly timeInForce?: string | undefined
  readonly quantity?: string | undefined
  readonly quoteOrderQty?: string | undefined
  readonly price?: string | undefined
  readonly stopPrice?: string | undefined
  readonly trailingDelta?: string | undefined
  readonly newClientOrderId?: string | undefined
}

/** One leg of `POST /api/v3/orderList/oco` (Binance's `above…` or `below…` parameters). */
export interface OrderListLegParams {
  readonly type?: string | undefined
  readonly price?: string | undefined
  readonly stopPrice?: string | undefined
  readonly trailingDelta?: string | undefined
  readonly timeInForce?: string | undefined
  readonly clientOrderId?: string | undefined
}

export interface NewOrderListParams {
  readonly symbol?: string | undefined
  readonly side?: string | undefined
  readonly quantity?: string | undefined
  readonly listClientOrderId?: string | undefined
  readonly above: OrderListLegParams
  readonly below: OrderListLegParams
}

/** An OCO order list: its orders (the below leg first) and Binance's list order status. */
export interface OrderList {
  readonly id: number
  readonly listClientOrderId: string
  readonly symbolId: string
  readonly time: number
  readonly orders: SimOrder[]
  status: 'EXECUTING' | 'ALL_DONE'
}

/** A checked order, before it is placed (see `SimExchange.prepare`). */
interface OrderPlan {
  readonly s: SimSymbol
  readonly side: OrderSide
  readonly type: BinanceOrderType
  readonly works: 'MARKET' | 'LIMIT' | 'LIMIT_MAKER'
  readonly timeInForce: TimeInForce
  readonly price: Decimal | undefined
  readonly quoteOrderQty: Decimal | undefined
  readonly stopPrice: Decimal | undefined
  readonly trailingDelta: number
  readonly trigger: boolean
  readonly clientOrderId: string
  readonly ticks: number
  readonly lots: number
  readonly reserve: Decimal
  readonly reserveAsset: string
  readonly last: Decimal
}

/** Binance's TRAILING_DELTA filter: basis points a trailing stop may trail by. */
export const TRAILING_DELTA_MIN = 10
export const TRAILING_DELTA_MAX = 2000

/** Binance's stop and take-profit types: they wait off the book until the last trade price reaches `stopPrice`. */
const TRIGGER_TYPES: ReadonlySet<BinanceOrderType> = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'])

/**
 * Whether a waiting trigger order fires at the last trade price `last`. A stop fires when the price moves
 * against what it protects (a sell at or below its trigger, a buy at or above); a take-profit the other way.
 */
function fires(o: Pick<SimOrder, 'type' | 'side' | 'stopPrice'>, last: Decimal): boolean {
  const stop = o.type === 'STOP_LOSS' || o.type === 'STOP_LOSS_LIMIT'
  const falling = stop === (o.side === 'sell')
  return falling ? last.lte(o.stopPrice) : last.gte(o.stopPrice)
}

/**
 * A trailing order at the last price: it becomes active when its `stopPrice` (if any) is reached, follows the
 * best price since (a sell the high, a buy the low; `high` and `low` are those of the trades just made), and
 * fires when the last price comes back `trailingDelta` basis points from it. True when it fires now.
 */
function trails(o: SimOrder, last: Decimal, high: Decimal, low: Decimal, now: number): boolean {
  if (o.trailExtreme === undefined) {
    if (!o.stopPrice.isZero() && !fires(o, last)) return false
    o.trailExtreme = last
    o.trailingTime = now
  }
  const sell = o.side === 'sell'
  if (sell ? high.gt(o.trailExtreme) : low.lt(o.trailExtreme)) o.trailExtreme = sell ? high : low
  const delta = new Decimal(o.trailingDelta).div(10_000)
  return sell ? last.lte(o.trailExtreme.mul(Decimal.sub(1, delta))) : last.gte(o.trailExtreme.mul(delta.add(1)))
}

export interface SimSymbol {
  readonly id: string
  readonly inst: Instrument
  readonly minPrice: Decimal
  readonly maxPrice: Decimal
  readonly maxQty: Decimal
  readonly book: OrderBook
  readonly maker: MarketMaker
  readonly candles: Candles
  readonly tape: PublicTrade[]
  tradeSeq: number
  updateId: number
  published: { bids: Map<number, number>; asks: Map<number, number> }
  makerOrders: number[]
  /** Stop and take-profit orders waiting for their trigger, in arrival order. */
  stops: SimOrder[]
}

const TAPE_SIZE = 1000
const DECIMAL_RE = /^\d{1,20}(\.\d{1,20})?$/
const ROUND_8 = (d: Decimal): Decimal => d.toDecimalPlaces(8, Decimal.ROUND_UP)

export function symbolId(symbol: string): string {
  const { base, quote } = parseSymbol(symbol)
  return `${base}${quote}`.toUpperCase()
}

/** Binance's self-trade prevention mode → the matching engine's. */
const SELF_TRADE_MODE: Readonly<Record<SelfTradePrevention, SelfTradeMode>> = {
  NONE: 'allow',
  EXPIRE_MAKER: 'expire-maker',
}

export class SimExchange {
  readonly symbols = new Map<string, SimSymbol>()
  readonly accounts = new Map<string, Account>()
  readonly makerFee: Decimal
  readonly takerFee: Decimal
  private readonly maxFee: Decimal
  private readonly listeners: ExchangeListener[] = []
  private readonly orders = new Map<number, SimOrder>()
  private orderSeq = 0
  private listSeq = 0
  private readonly lists = new Map<number, OrderList>()
  private outsideSeq = 0
  private readonly matches: Match[] = []
  /** Resting client orders expired by self-trade prevention during the last book operation. */
  private readonly expiredInMatch: number[] = []
  /** fireStops is running (its own trades must not start it again). */
  private firing = false
  readonly now: () => number
  readonly selfTradePrevention: SelfTradePrevention
  readonly orderTypes: readonly BinanceOrderType[]

  constructor(options: SimExchangeOptions) {
    this.now = options.now ?? Date.now
    this.selfTradePrevention = options.selfTradePrevention ?? 'EXPIRE_MAKER'
    this.orderTypes = options.orderTypes ?? BINANCE_ORDER_TYPES
    this.makerFee = dec(options.makerFee)
    this.takerFee = dec(options.takerFee)
    this.maxFee = Decimal.max(this.makerFee, this.takerFee)
    for (const a of options.accounts) this.accounts.set(a.apiKey, new Account(a.apiKey, a.secret, options.balances))
    options.symbols.forEach((spec, i) => {
      const step = dec(spec.stepSize)
      const inst = makeInstrument({
        symbol: spec.symbol,
        tickSize: spec.tickSize,
        stepSize: spec.stepSize,
        minAmount: step.mul(10),
        minCost: spec.minCost,
        makerFee: this.makerFee,
        takerFee: this.takerFee,
      })
      // One PRNG stream per symbol (seed and position), so adding a symbol never changes another's path.
      const prng = new Prng((options.seed * 1000 + i) >>> 0)
      const maker = new MarketMaker(inst, spec, options.maker, prng)
      const matches = this.matches
      // Binance's default self-trade prevention (EXPIRE_MAKER): a client's order never trades with its own
      // account's resting order; the resting one expires (EXPIRED_IN_MATCH) and matching goes on.
      const expired = this.expiredInMatch
      const book = new OrderBook({
        selfTrade: SELF_TRADE_MODE[this.selfTradePrevention],
        listener: { onMatch: (m) => void matches.push({ ...m }), onExpire: (orderId, _owner, _lots, resting) => void (resting && expired.push(orderId)) },
      })
      const start = maker.mid
      const candles = new Candles(inst.priceDecimals)
      // An hour of history before now, walked backwards with the symbol's own PRNG stream.
      const history = new Prng((options.seed * 1000 + i + 500) >>> 0)
      const closes: number[] = [start]
      for (let k = 0; k < 119; k++) closes.unshift(closes[0]! * Math.exp((options.maker.stepBps / 1e4) * 15 * history.normal()))
      candles.seed(closes, this.now())
      const id = symbolId(spec.symbol)
      this.symbols.set(id, {
        id,
        inst,
        minPrice: inst.tickSize,
        maxPrice: dec(Math.round(start * 100)).div(inst.tickSize).floor().mul(inst.tickSize),
        maxQty: dec(9_000_000),
        book,
        maker,
        candles,
        tape: [],
        tradeSeq: 0,
        updateId: 1,
        published: { bids: new Map(), asks: new Map() },
        makerOrders: [],
        stops: [],
      })
      this.requote(this.symbols.get(id)!)
    })
  }

  addListener(listener: ExchangeListener): void {
    this.listeners.push(listener)
  }

  symbol(id: string | undefined): SimSymbol {
    if (id === undefined || id === '') throw mandatory('symbol')
    const s = this.symbols.get(id.toUpperCase())
    if (s === undefined) throw errors.invalidSymbol()
    return s
  }

  account(apiKey: string): Account | undefined {
    return this.accounts.get(apiKey)
  }

  // ---- the outside market -------------------------------------------------------------------------------

  /** One step of every symbol: the fair price moves, the maker requotes, maybe an outside trade prints. */
  tick(): void {
    for (const s of this.symbols.values()) {
      s.maker.step()
      this.requote(s)
      const trade = s.maker.outsideTrade()
      if (trade !== undefined) this.outsideTake(s, trade.side, trade.lots, trade.side === 'buy' ? Infinity : -Infinity)
      this.publishDepth(s)
    }
  }

  /** Moves a symbol's market so its mid is `price` and requotes (clients' orders in the way fill). */
  moveTo(id: string, price: number): void {
    const s = this.symbol(id)
    s.maker.moveTo(price)
    this.requote(s)
    this.publishDepth(s)
  }

  /** An outside taker order (IOC) of `amount` at `price` (or at any price). Returns the amount filled. */
  outsideTrade(id: string, side: OrderSide, amount: string, price?: string): Decimal {
    const s = this.symbol(id)
    const lots = dec(amount).div(s.inst.stepSize).floor().toNumber()
    if (!(lots > 0)) throw new BinanceError(-1013, 'Filter failure: LOT_SIZE')
    const limit = price === undefined ? (side === 'buy' ? Infinity : -Infinity) : dec(price).div(s.inst.tickSize).round().toNumber()
    const left = this.outsideTake(s, side, lots, limit)
    this.publishDepth(s)
    return s.inst.stepSize.mul(lots - left)
  }

  private outsideTake(s: SimSymbol, side: OrderSide, lots: number, limit: number): number {
    const left = s.book.take(-++this.outsideSeq, side, limit, lots, OUTSIDE_OWNER)
    this.settle(s)
    return left
  }

  private requote(s: SimSymbol): void {
    for (const id of s.makerOrders) s.book.cancel(id)
    s.makerOrders = []
    for (const q of s.maker.quotes()) {
      const id = -++this.outsideSeq
      if (s.book.add(id, q.side, q.ticks, q.lots, MARKET_OWNER) > 0) s.makerOrders.push(id)
    }
    this.settle(s)
  }

  // ---- client orders ------------------------------------------------------------------------------------

  /** Binance `POST /api/v3/order`. Throws BinanceError on a rejection; returns the order after matching. */
  placeOrder(account: Account, p: NewOrderParams): SimOrder {
    const plan = this.prepare(account, p)
    if (!account.lock(plan.reserveAsset, plan.reserve)) throw errors.insufficientBalance()
    return this.commit(account, plan, plan.reserve, -1)
  }

  /**
   * Binance `POST /api/v3/orderList/oco`: two orders on one quantity, one above the market and one below
   * (a sell: a take-profit or LIMIT_MAKER above, a stop below; a buy the other way round). They hold the
   * funds once, the larger of the two; when one starts working (its trigger fires, or it trades on the book)
   * the other expires, and canceling either cancels both.
   */
  placeOrderList(account: Account, p: NewOrderListParams): OrderList {
    const s = this.symbol(p.symbol)
    if (p.side !== 'BUY' && p.side !== 'SELL') throw p.side === undefined ? mandatory('side') : errors.badSide()
    const legs = (['above', 'below'] as const).map((where) => {
      const l = p[where]
      if (l.type === undefined) throw mandatory(`${where}Type`)
      const sellAbove = (p.side === 'SELL') === (where === 'above')
      const types = sellAbove ? ['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] : ['STOP_LOSS', 'STOP_LOSS_LIMIT']
      if (!types.includes(l.type)) throw new BinanceError(-1106, `Parameter '${where}Type' is invalid for a ${p.side} order list: one of ${types.join(', ')}.`)
      // Placed below leg first: the ids the two would be given.
      const newClientOrderId = l.clientOrderId ?? `sim-${this.orderSeq + (where === 'below' ? 1 : 2)}`
      return this.prepare(account, { symbol: p.symbol, side: p.side, type: l.type, quantity: p.quantity, price: l.price, stopPrice: l.stopPrice, trailingDelta: l.trailingDelta, timeInForce: l.timeInForce, newClientOrderId })
    }) as [OrderPlan, OrderPlan]
    if (legs[0].clientOrderId === legs[1].clientOrderId) throw errors.duplicateOrder()
    const listClientOrderId = p.listClientOrderId ?? `list-${this.listSeq + 1}`
    if (!/^[.A-Z:/a-z0-9_-]{1,36}$/.test(listClientOrderId)) throw illegalChars('listClientOrderId')
    const hold = Decimal.max(legs[0].reserve, legs[1].reserve)
    if (!account.lock(legs[0].reserveAsset, hold)) throw errors.insufficientBalance()
    const list: OrderList = { id: ++this.listSeq, listClientOrderId, symbolId: s.id, time: this.now(), orders: [], status: 'EXECUTING' }
    this.lists.set(list.id, list)
    // The below leg first (Binance lists it first); it holds the funds for both.
    list.orders.push(this.commit(account, legs[1], hold, list.id))
    if (list.orders[0]!.status === 'NEW') list.orders.push(this.commit(account, legs[0], ZERO, list.id))
    return list
  }

  /** The order list an order belongs to, if any. */
  orderList(order: SimOrder): OrderList | undefined {
    return order.orderListId < 0 ? undefined : this.lists.get(order.orderListId)
  }

  /**
   * One leg of an order list starts working (fired, or trading on the book): the others expire, and what they
   * held passes to it.
   */
  private activate(order: SimOrder): void {
    const list = this.orderList(order)
    if (list === undefined || list.status !== 'EXECUTING') return
    list.status = 'ALL_DONE'
    const account = this.accounts.get(order.account)!
    const s = this.symbol(order.symbolId)
    for (const other of list.orders) {
      if (other === order || (other.status !== 'NEW' && other.status !== 'PARTIALLY_FILLED')) continue
      order.reserved = order.reserved.add(other.reserved)
      other.reserved = ZERO
      if (other.waiting) s.stops.splice(s.stops.indexOf(other), 1)
      else s.book.cancel(other.id)
      this.finish(account, other, 'EXPIRED')
    }
  }

  /** Binance `DELETE /api/v3/orderList`: cancels every order of the list still open. */
  cancelOrderList(account: Account, symbol: string | undefined, orderListId: string | undefined, listClientOrderId: string | undefined): OrderList {
    const s = this.symbol(symbol)
    if (orderListId === undefined && listClientOrderId === undefined) throw new BinanceError(-1102, "Param 'orderListId' or 'listClientOrderId' must be sent, but both were empty/null!")
    const list = [...this.lists.values()].find(
      (l) => l.symbolId === s.id && l.orders[0]?.account === account.apiKey && (orderListId !== undefined ? String(l.id) === orderListId : l.listClientOrderId === listClientOrderId),
    )
    if (list === undefined || list.status !== 'EXECUTING') throw new BinanceError(-2011, 'Order list does not exist.')
    this.cancelList(account, s, list)
    return list
  }

  private cancelList(account: Account, s: SimSymbol, list: OrderList): void {
    list.status = 'ALL_DONE'
    for (const o of list.orders) {
      if (o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED') continue
      if (o.waiting) s.stops.splice(s.stops.indexOf(o), 1)
      else s.book.cancel(o.id)
      this.finish(account, o, 'CANCELED')
    }
    this.publishDepth(s)
    this.emitBalances(account, [s.inst.base, s.inst.quote])
  }

  /** Checks an order and works out what it must hold; nothing changes. Throws BinanceError on a rejection. */
  private prepare(account: Account, p: NewOrderParams): OrderPlan {
    const s = this.symbol(p.symbol)
    const inst = s.inst
    if (p.side === undefined) throw mandatory('side')
    if (p.side !== 'BUY' && p.side !== 'SELL') throw errors.badSide()
    const side: OrderSide = p.side === 'BUY' ? 'buy' : 'sell'
    if (p.type === undefined) throw mandatory('type')
    if (!(BINANCE_ORDER_TYPES as readonly string[]).includes(p.type)) throw errors.badType()
    const type = p.type as BinanceOrderType
    if (!this.orderTypes.includes(type)) throw new BinanceError(-1013, 'Order type not supported for this symbol.')
    const trigger = TRIGGER_TYPES.has(type)
    // The order as it trades once working: a stop or take-profit becomes a market or a limit order.
    const works: 'MARKET' | 'LIMIT' | 'LIMIT_MAKER' = type === 'MARKET' || type === 'STOP_LOSS' || type === 'TAKE_PROFIT' ? 'MARKET' : type === 'LIMIT_MAKER' ? 'LIMIT_MAKER' : 'LIMIT'
    let timeInForce: TimeInForce = 'GTC'
    if (works === 'LIMIT') {
      if (p.timeInForce === undefined) throw mandatory('timeInForce')
      if (!(TIME_IN_FORCES as readonly string[]).includes(p.timeInForce)) throw errors.badTimeInForce()
      timeInForce = p.timeInForce as TimeInForce
    } else if (p.timeInForce !== undefined) throw errors.timeInForceNotRequired()
    const decimal = (name: string, value: string | undefined): Decimal | undefined => {
      if (value === undefined) return undefined
      if (!DECIMAL_RE.test(value)) throw illegalChars(name)
      return dec(value)
    }
    const quantity = decimal('quantity', p.quantity)
    const quoteOrderQty = decimal('quoteOrderQty', p.quoteOrderQty)
    const price = decimal('price', p.price)
    const stopPrice = decimal('stopPrice', p.stopPrice)
    if (works !== 'MARKET' && price === undefined) throw mandatory('price')
    if (works === 'MARKET' && price !== undefined) throw new BinanceError(-1106, "Parameter 'price' sent when not required.")
    let trailingDelta = 0
    if (p.trailingDelta !== undefined) {
      if (!trigger) throw new BinanceError(-1106, "Parameter 'trailingDelta' sent when not required.")
      if (!/^\d{1,9}$/.test(p.trailingDelta)) throw illegalChars('trailingDelta')
      trailingDelta = Number(p.trailingDelta)
      if (trailingDelta < TRAILING_DELTA_MIN || trailingDelta > TRAILING_DELTA_MAX) throw errors.filter('TRAILING_DELTA')
    }
    if (trigger && stopPrice === undefined && trailingDelta === 0) throw mandatory('stopPrice')
    if (!trigger && stopPrice !== undefined) throw new BinanceError(-1106, "Parameter 'stopPrice' sent when not required.")
    if (quantity === undefined && !(type === 'MARKET' && quoteOrderQty !== undefined)) throw mandatory('quantity')
    for (const x of [price, stopPrice]) {
      if (x !== undefined && (!x.mod(inst.tickSize).isZero() || x.lt(s.minPrice) || x.gt(s.maxPrice))) throw errors.filter('PRICE_FILTER')
    }
    const last = s.tape.at(-1)?.price ?? dec(s.maker.mid.toFixed(inst.priceDecimals))
    // A trailing order's stopPrice is where it starts trailing: reached already, it trails from now.
    if (trigger && trailingDelta === 0 && fires({ type, side, stopPrice: stopPrice! }, last)) throw new BinanceError(-2010, 'Stop price would trigger immediately.')
    if (quantity !== undefined) {
      if (!quantity.mod(inst.stepSize).isZero() || quantity.lt(inst.minAmount) || quantity.gt(s.maxQty)) throw errors.filter('LOT_SIZE')
    }
    const refPrice = price ?? stopPrice ?? last
    const notional = quantity !== undefined ? quantity.mul(refPrice) : (quoteOrderQty ?? ZERO)
    if (notional.lt(inst.minCost)) throw errors.filter('NOTIONAL')
    const clientOrderId = p.newClientOrderId ?? `sim-${this.orderSeq + 1}`
    if (!/^[.A-Z:/a-z0-9_-]{1,36}$/.test(clientOrderId)) throw illegalChars('newClientOrderId')
    if (account.openByClientId.has(clientOrderId)) throw errors.duplicateOrder()
    const ticks = price !== undefined ? price.div(inst.tickSize).toNumber() : 0
    if (type === 'LIMIT_MAKER') {
      const best = side === 'buy' ? s.book.bestAsk() : s.book.bestBid()
      if (best !== undefined && (side === 'buy' ? ticks >= best : ticks <= best)) throw errors.wouldTake()
    }

    // What the order must hold: base for a sell; for a buy, the quote at the limit (or what the book would
    // cost) plus the largest commission, rounded up to Binance's 8 decimals.
    let lots = quantity !== undefined ? quantity.div(inst.stepSize).toNumber() : 0
    let reserve: Decimal
    if (side === 'sell') {
      if (quantity === undefined) lots = this.lotsForQuote(s, 'sell', quoteOrderQty ?? ZERO)
      reserve = inst.stepSize.mul(lots)
    } else if (type === 'MARKET') {
      if (quantity === undefined) lots = this.lotsForQuote(s, 'buy', quoteOrderQty ?? ZERO)
      reserve = ROUND_8(this.costToTake(s, 'buy', lots).mul(this.maxFee.add(1)))
    } else {
      // A market stop buy holds its trigger's worth (a trailing one the last price's); what it costs beyond that
      // when it fires comes from free.
      reserve = ROUND_8(refPrice.mul(quantity!).mul(this.maxFee.add(1)))
    }
    if (lots <= 0) throw errors.filter('LOT_SIZE')
    const reserveAsset = side === 'buy' ? inst.quote : inst.base
    return { s, side, type, works, timeInForce, price, quoteOrderQty, stopPrice, trailingDelta, trigger, clientOrderId, ticks, lots, reserve, reserveAsset, last }
  }

  /** Places a prepared order holding `held` (already locked), in order list `listId` (-1: none). */
  private commit(account: Account, plan: OrderPlan, held: Decimal, listId: number): SimOrder {
    const { s, side, type, works, timeInForce, price, quoteOrderQty, stopPrice, trailingDelta, trigger, clientOrderId, ticks, lots, reserveAsset, last } = plan
    const inst = s.inst
    const now = this.now()
    const order: SimOrder = {
      id: ++this.orderSeq,
      account: account.apiKey,
      clientOrderId,
      symbolId: s.id,
      symbol: inst.symbol,
      side,
      type,
      timeInForce,
      price: price ?? ZERO,
      origQty: inst.stepSize.mul(lots),
      quoteOrderQty: quoteOrderQty ?? ZERO,
      executedQty: ZERO,
      cumQuote: ZERO,
      status: 'NEW',
      time: now,
      updateTime: now,
      reserved: held,
      reserveAsset,
      fills: [],
      stopPrice: stopPrice ?? ZERO,
      waiting: trigger,
      trailingDelta,
      trailExtreme: undefined,
      trailingTime: -1,
      orderListId: listId,
      selfTradePreventionMode: this.selfTradePrevention,
    }
    this.orders.set(order.id, order)
    account.orders.set(order.id, order)
    account.openByClientId.set(clientOrderId, order)
    account.byClientId.set(clientOrderId, order)
    this.emitOrder(account, order, 'NEW', undefined)

    if (trigger) {
      s.stops.push(order)
      if (trailingDelta > 0) trails(order, last, last, last, now)
    } else this.work(s, account, order, works, timeInForce, ticks, lots)
    this.publishDepth(s)
    this.emitBalances(account, [inst.base, inst.quote])
    return order
  }

  /** Puts a working order on the book (or takes with it), then settles what it matched. */
  private work(s: SimSymbol, account: Account, order: SimOrder, works: 'MARKET' | 'LIMIT' | 'LIMIT_MAKER', timeInForce: TimeInForce, ticks: number, lots: number): void {
    const side = order.side
    const fok = works === 'LIMIT' && timeInForce === 'FOK'
    if (fok && this.lotsAvailable(s, side, ticks) < lots) {
      this.finish(account, order, 'EXPIRED')
      return
    }
    let left: number
    if (works === 'MARKET') left = s.book.market(order.id, side, lots, account.apiKey)
    else if (works === 'LIMIT' && timeInForce !== 'GTC') left = s.book.take(order.id, side, ticks, lots, account.apiKey)
    else left = s.book.add(order.id, side, ticks, lots, account.apiKey)
    this.settle(s)
    if (order.status === 'NEW' || order.status === 'PARTIALLY_FILLED') {
      const rests = works !== 'MARKET' && timeInForce === 'GTC'
      if (left > 0 && !rests) this.finish(account, order, 'EXPIRED')
    }
  }

  /**
   * Stop and take-profit orders whose trigger the last trade price has reached start working, in arrival
   * order, as market or limit orders (Binance triggers on the last price). What they trade can fire others.
   */
  private fireStops(s: SimSymbol, high: Decimal, low: Decimal): void {
    if (this.firing) return
    this.firing = true
    try {
      for (;;) {
        const last = s.tape.at(-1)?.price
        const now = this.now()
        const at = last === undefined ? -1 : s.stops.findIndex((o) => (o.trailingDelta > 0 ? trails(o, last, high, low, now) : fires(o, last)))
        if (at < 0) return
        const [order] = s.stops.splice(at, 1) as [SimOrder]
        const account = this.accounts.get(order.account)
        if (account === undefined || order.status !== 'NEW') continue
        order.waiting = false
        order.updateTime = this.now()
        this.activate(order)
        const works = order.type === 'STOP_LOSS' || order.type === 'TAKE_PROFIT' ? 'MARKET' : 'LIMIT'
        const ticks = works === 'LIMIT' ? order.price.div(s.inst.tickSize).toNumber() : 0
        this.work(s, account, order, works, order.timeInForce, ticks, order.origQty.div(s.inst.stepSize).toNumber())
        this.emitBalances(account, [s.inst.base, s.inst.quote])
      }
    } finally {
      this.firing = false
    }
  }

  /** Binance `DELETE /api/v3/order`. */
  cancelOrder(account: Account, symbol: string | undefined, orderId: string | undefined, origClientOrderId: string | undefined): SimOrder {
    const s = this.symbol(symbol)
    const order = this.findOrder(account, s.id, orderId, origClientOrderId)
    if (order === undefined || (order.status !== 'NEW' && order.status !== 'PARTIALLY_FILLED')) throw errors.unknownOrder()
    const list = this.orderList(order)
    if (list !== undefined && list.status === 'EXECUTING') {
      // Canceling one order of a list cancels the list (Binance).
      this.cancelList(account, s, list)
      return order
    }
    if (order.waiting) s.stops.splice(s.stops.indexOf(order), 1)
    else s.book.cancel(order.id)
    this.finish(account, order, 'CANCELED')
    this.publishDepth(s)
    this.emitBalances(account, [s.inst.base, s.inst.quote])
    return order
  }

  /** Binance `GET /api/v3/order`. */
  getOrder(account: Account, symbol: string | undefined, orderId: string | undefined, origClientOrderId: string | undefined): SimOrder {
    const s = this.symbol(symbol)
    const order = this.findOrder(account, s.id, orderId, origClientOrderId)
    if (order === undefined) throw errors.noSuchOrder()
    return order
  }

  private findOrder(account: Account, symbolId: string, orderId: string | undefined, clientId: string | undefined): SimOrder | undefined {
    if (orderId === undefined && clientId === undefined) {
      throw new BinanceError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
    }
    let order: SimOrder | undefined
    if (orderId !== undefined) {
      if (!/^\d+$/.test(orderId)) throw illegalChars('orderId')
      order = account.orders.get(Number(orderId))
      if (order !== undefined && clientId !== undefined && order.clientOrderId !== clientId) order = undefined
    } else if (clientId !== undefined) order = account.byClientId.get(clientId)
    return order?.symbolId === symbolId ? order : undefined
  }

  // ---- matching results ---------------------------------------------------------------------------------

  /** Applies the matches the book reported: public trades, candles, and fills of clients' orders. */
  private settle(s: SimSymbol): void {
    for (const orderId of this.expiredInMatch.splice(0)) {
      const order = this.orders.get(orderId)
      const account = order === undefined ? undefined : this.accounts.get(order.account)
      if (order !== undefined && account !== undefined && (order.status === 'NEW' || order.status === 'PARTIALLY_FILLED')) this.finish(account, order, 'EXPIRED_IN_MATCH')
    }
    if (this.matches.length === 0) return
    const batch = this.matches.splice(0)
    const touched = new Set<Account>()
    let high = ZERO
    let low: Decimal | undefined
    for (const m of batch) {
      const price = s.inst.tickSize.mul(m.price)
      if (price.gt(high)) high = price
      if (low === undefined || price.lt(low)) low = price
      const qty = s.inst.stepSize.mul(m.lots)
      const time = this.now()
      const trade: PublicTrade = { id: ++s.tradeSeq, price, qty, time, isBuyerMaker: m.takerSide === 'sell' }
      s.tape.push(trade)
      if (s.tape.length > TAPE_SIZE) s.tape.splice(0, s.tape.length - TAPE_SIZE)
      s.candles.add(time, price.toNumber(), qty.toNumber(), m.takerSide === 'buy')
      for (const l of this.listeners) l.onPublicTrade?.(s.id, trade)
      if (m.makerOwner !== MARKET_OWNER && m.makerOwner !== OUTSIDE_OWNER) this.fill(s, m.makerId, trade, true, touched)
      if (m.takerOwner !== MARKET_OWNER && m.takerOwner !== OUTSIDE_OWNER) this.fill(s, m.takerId, trade, false, touched)
    }
    for (const account of touched) this.emitBalances(account, [s.inst.base, s.inst.quote])
    if (s.stops.length > 0) this.fireStops(s, high, low!)
  }

  private fill(s: SimSymbol, orderId: number, trade: PublicTrade, isMaker: boolean, touched: Set<Account>): void {
    const order = this.orders.get(orderId)
    const account = order === undefined ? undefined : this.accounts.get(order.account)
    if (order === undefined || account === undefined) return
    if (order.orderListId >= 0) this.activate(order)
    const quoteQty = trade.price.mul(trade.qty)
    const commission = ROUND_8(quoteQty.mul(isMaker ? this.makerFee : this.takerFee))
    const inst = s.inst
    if (order.side === 'buy') {
      account.spendReserved(order, quoteQty.add(commission))
      account.credit(inst.base, trade.qty)
    } else {
      account.spendReserved(order, trade.qty)
      account.credit(inst.quote, quoteQty.sub(commission))
    }
    const fill: SimFill = {
      tradeId: trade.id,
      orderId: order.id,
      clientOrderId: order.clientOrderId,
      symbolId: s.id,
      symbol: inst.symbol,
      side: order.side,
      price: trade.price,
      qty: trade.qty,
      quoteQty,
      commission,
      commissionAsset: inst.quote,
      time: trade.time,
      isMaker,
    }
    order.fills.push(fill)
    account.trades.push(fill)
    order.executedQty = order.executedQty.add(trade.qty)
    order.cumQuote = order.cumQuote.add(quoteQty)
    order.updateTime = trade.time
    touched.add(account)
    if (order.executedQty.gte(order.origQty)) this.finish(account, order, 'FILLED', fill)
    else {
      order.status = 'PARTIALLY_FILLED'
      this.emitOrder(account, order, 'TRADE', fill)
    }
  }

  /** Ends an order: releases what it still holds and forgets it as open. */
  private finish(account: Account, order: SimOrder, status: 'FILLED' | 'CANCELED' | 'EXPIRED' | 'EXPIRED_IN_MATCH', fill?: SimFill): void {
    order.status = status
    order.updateTime = this.now()
    account.release(order)
    if (account.openByClientId.get(order.clientOrderId) === order) account.openByClientId.delete(order.clientOrderId)
    this.emitOrder(account, order, status === 'FILLED' ? 'TRADE' : status === 'EXPIRED_IN_MATCH' ? 'EXPIRED' : status, fill)
  }

  // ---- book walks ---------------------------------------------------------------------------------------

  /** Lots on the opposite side at `ticks` or better. */
  private lotsAvailable(s: SimSymbol, side: OrderSide, ticks: number): number {
    const { bids, asks } = s.book.depth()
    let lots = 0
    for (const [p, l] of side === 'buy' ? asks : bids) {
      if (side === 'buy' ? p > ticks : p < ticks) break
      lots += l
    }
    return lots
  }

  /** Quote currency to take `lots` from the opposite side (the walk stops where the book ends). */
  private costToTake(s: SimSymbol, side: OrderSide, lots: number): Decimal {
    const { bids, asks } = s.book.depth()
    let left = lots
    let cost = ZERO
    for (const [p, l] of side === 'buy' ? asks : bids) {
      if (left <= 0) break
      const n = Math.min(l, left)
      cost = cost.add(s.inst.tickSize.mul(p).mul(s.inst.stepSize.mul(n)))
      left -= n
    }
    return cost
  }

  /** Lots a market order spending `quote` takes. */
  private lotsForQuote(s: SimSymbol, side: OrderSide, quote: Decimal): number {
    const { bids, asks } = s.book.depth()
    let left = quote
    let lots = 0
    for (const [p, l] of side === 'buy' ? asks : bids) {
      const lotCost = s.inst.tickSize.mul(p).mul(s.inst.stepSize)
      const n = Math.min(l, left.div(lotCost).floor().toNumber())
      lots += n
      left = left.sub(lotCost.mul(n))
      if (n < l) break
    }
    return lots
  }

  // ---- market data --------------------------------------------------------------------------------------

  /** Order book snapshot with the update id it reflects (`GET /api/v3/depth`). */
  depth(id: string | undefined, limit: number): { lastUpdateId: number; bids: [Decimal, Decimal][]; asks: [Decimal, Decimal][] } {
    const s = this.symbol(id)
    this.publishDepth(s)
    const d = s.book.depth(limit)
    const conv = (levels: [number, number][]): [Decimal, Decimal][] => levels.map(([p, l]) => [s.inst.tickSize.mul(p), s.inst.stepSize.mul(l)])
    return { lastUpdateId: s.updateId, bids: conv(d.bids), asks: conv(d.asks) }
  }

  /** Emits a diff-depth update when the book changed since the last one. */
  publishDepth(s: SimSymbol): void {
    const d = s.book.depth()
    const diff = (levels: [number, number][], prev: Map<number, number>): { next: Map<number, number>; changes: [Decimal, Decimal][] } => {
      const next = new Map(levels)
      const changes: [Decimal, Decimal][] = []
      for (const [p, l] of next) if (prev.get(p) !== l) changes.push([s.inst.tickSize.mul(p), s.inst.stepSize.mul(l)])
      for (const p of prev.keys()) if (!next.has(p)) changes.push([s.inst.tickSize.mul(p), ZERO])
      return { next, changes }
    }
    const b = diff(d.bids, s.published.bids)
    const a = diff(d.asks, s.published.asks)
    if (b.changes.length === 0 && a.changes.length === 0) return
    s.published = { bids: b.next, asks: a.next }
    const firstId = s.updateId + 1
    s.updateId = firstId
    const update: DepthUpdate = { firstId, lastId: firstId, time: this.now(), bids: b.changes, asks: a.changes }
    for (const l of this.listeners) l.onDepthUpdate?.(s.id, update)
  }

  private emitOrder(account: Account, order: SimOrder, execType: ExecutionType, fill: SimFill | undefined): void {
    for (const l of this.listeners) l.onOrderUpdate?.(account, order, execType, fill)
  }

  private emitBalances(account: Account, assets: readonly string[]): void {
    for (const l of this.listeners) l.onBalances?.(account, assets)
  }
}
