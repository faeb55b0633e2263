/**
 * @module exchange-sim/binance-format
 * The simulator's state in Binance SPOT's JSON shapes (REST answers and WebSocket events), as ccxt's
 * `binance` class parses them. Numbers are strings with 8 decimals, as Binance prints them.
 */
import type { Decimal } from '../model/index.js'
import type { Account, SimFill, SimOrder } from './accounts.js'
import type { DepthUpdate, ExecutionType, OrderList, PublicTrade, SimExchange, SimSymbol } from './exchange.js'
import { TRAILING_DELTA_MAX, TRAILING_DELTA_MIN } from './exchange.js'

export const f8 = (d: Decimal): string => d.toFixed(8)

export function exchangeInfo(ex: SimExchange): object {
  return {
    timezone: 'UTC',
    serverTime: ex.now(),
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
    ],
    exchangeFilters: [],
    symbols: [...ex.symbols.values()].map((s) => symbolInfo(s, ex.orderTypes)),
  }
}

function symbolInfo(s: SimSymbol, orderTypes: readonly string[]): object {
  const i = s.inst
  const stops = orderTypes.some((t) => t.startsWith('STOP_LOSS') || t.startsWith('TAKE_PROFIT'))
  return {
    symbol: s.id,
    status: 'TRADING',
    baseAsset: i.base,
    baseAssetPrecision: 8,
    quoteAsset: i.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: [...orderTypes],
    icebergAllowed: false,
    ocoAllowed: stops,
    otoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    // Trailing stops (trailingDelta) and OCO lists ride on the stop and take-profit types.
    allowTrailingStop: stops,
    cancelReplaceAllowed: false,
    amendAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: f8(s.minPrice), maxPrice: f8(s.maxPrice), tickSize: f8(i.tickSize) },
      { filterType: 'LOT_SIZE', minQty: f8(i.minAmount), maxQty: f8(s.maxQty), stepSize: f8(i.stepSize) },
      { filterType: 'MARKET_LOT_SIZE', minQty: f8(i.minAmount), maxQty: f8(s.maxQty), stepSize: f8(i.stepSize) },
      { filterType: 'NOTIONAL', minNotional: f8(i.minCost), applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
      { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: TRAILING_DELTA_MIN, maxTrailingAboveDelta: TRAILING_DELTA_MAX, minTrailingBelowDelta: TRAILING_DELTA_MIN, maxTrailingBelowDelta: TRAILING_DELTA_MAX },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'NONE',
    allowedSelfTradePreventionModes: ['NONE'],
  }
}

const BINANCE_SIDE = { buy: 'BUY', sell: 'SELL' } as const

/** `GET /api/v3/order` and `openOrders` rows. */
export function orderJson(o: SimOrder): object {
  return {
    symbol: o.symbolId,
    orderId: o.id,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    price: f8(o.price),
    origQty: f8(o.origQty),
    executedQty: f8(o.executedQty),
    cummulativeQuoteQty: f8(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: BINANCE_SIDE[o.side],
    stopPrice: f8(o.stopPrice),
    icebergQty: '0.00000000',
    time: o.time,
    updateTime: o.updateTime,
    isWorking: !o.waiting && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'),
    workingTime: o.waiting ? -1 : o.time,
    origQuoteOrderQty: f8(o.quoteOrderQty),
    selfTradePreventionMode: o.selfTradePreventionMode,
    ...trailing(o),
  }
}

/** A trailing order's Binance fields. */
function trailing(o: SimOrder): object {
  return o.trailingDelta === 0 ? {} : { trailingDelta: o.trailingDelta, trailingTime: o.trailingTime }
}

/** `POST /api/v3/order` answer, by `newOrderRespType` (FULL by default for MARKET and LIMIT). */
export function newOrderJson(o: SimOrder, respType: string): object {
  const ack = { symbol: o.symbolId, orderId: o.id, orderListId: o.orderListId, clientOrderId: o.clientOrderId, transactTime: o.time }
  if (respType === 'ACK') return ack
  const result = {
    ...ack,
    price: f8(o.price),
    origQty: f8(o.origQty),
    executedQty: f8(o.executedQty),
    origQuoteOrderQty: f8(o.quoteOrderQty),
    cummulativeQuoteQty: f8(o.cumQuote),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: BINANCE_SIDE[o.side],
    workingTime: o.waiting ? -1 : o.time,
    selfTradePreventionMode: o.selfTradePreventionMode,
    ...(o.stopPrice.isZero() ? {} : { stopPrice: f8(o.stopPrice) }),
    ...trailing(o),
  }
  if (respType === 'RESULT') return result
  return {
    ...result,
    fills: o.fills.map((f) => ({ price: f8(f.price), qty: f8(f.qty), commission: f8(f.commission), commissionAsset: f.commissionAsset, tradeId: f.tradeId })),
  }
}

/** An OCO order list, as `POST /api/v3/orderList/oco` and `DELETE /api/v3/orderList` answer (orders as `report`). */
export function orderListJson(l: OrderList, report: (o: SimOrder) => object): object {
  const done = l.status === 'ALL_DONE'
  return {
    orderListId: l.id,
    contingencyType: 'OCO',
    listStatusType: done ? 'ALL_DONE' : 'EXEC_STARTED',
    listOrderStatus: done ? 'ALL_DONE' : 'EXECUTING',
    listClientOrderId: l.listClientOrderId,
    transactionTime: l.time,
    symbol: l.symbolId,
    orders: l.orders.map((o) => ({ symbol: o.symbolId, orderId: o.id, clientOrderId: o.clientOrderId })),
    orderReports: l.orders.map(report),
  }
}

export function cancelJson(o: SimOrder): object {
  const { time: _time, updateTime: _u, isWorking: _w, workingTime: _wt, stopPrice: _s, icebergQty: _i, ...rest } = orderJson(o) as Record<string, unknown>
  return { ...rest, origClientOrderId: o.clientOrderId, transactTime: o.updateTime }
}

/** `GET /api/v3/myTrades` rows. */
export function myTradeJson(t: SimFill): object {
  return {
    symbol: t.symbolId,
    id: t.tradeId,
    orderId: t.orderId,
    orderListId: -1,
    price: f8(t.price),
    qty: f8(t.qty),
    quoteQty: f8(t.quoteQty),
    commission: f8(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.time,
    isBuyer: t.side === 'buy',
    isMaker: t.isMaker,
    isBestMatch: true,
  }
}

/** The same fill in CCXT's unified trade format (`GET /sim/trades`, `--trades-out`). */
export function unifiedTrade(t: SimFill): object {
  return {
    id: String(t.tradeId),
    order: String(t.orderId),
    clientOrderId: t.clientOrderId,
    timestamp: t.time,
    datetime: new Date(t.time).toISOString(),
    symbol: t.symbol,
    type: undefined,
    side: t.side,
    takerOrMaker: t.isMaker ? 'maker' : 'taker',
    price: t.price.toNumber(),
    amount: t.qty.toNumber(),
    cost: t.quoteQty.toNumber(),
    fee: { cost: t.commission.toNumber(), currency: t.commissionAsset },
    info: { price: f8(t.price), qty: f8(t.qty), quoteQty: f8(t.quoteQty), commission: f8(t.commission) },
  }
}

export function publicTradeJson(t: PublicTrade): object {
  return { id: t.id, price: f8(t.price), qty: f8(t.qty), quoteQty: f8(t.price.mul(t.qty)), time: t.time, isBuyerMaker: t.isBuyerMaker, isBestMatch: true }
}

export function aggTradeJson(t: PublicTrade): object {
  return { a: t.id, p: f8(t.price), q: f8(t.qty), f: t.id, l: t.id, T: t.time, m: t.isBuyerMaker, M: true }
}

export function accountJson(ex: SimExchange, a: Account): object {
  const maker = ex.makerFee.mul(10_000).toNumber()
  const taker = ex.takerFee.mul(10_000).toNumber()
  return {
    makerCommission: maker,
    takerCommission: taker,
    buyerCommission: 0,
    sellerCommission: 0,
    commissionRates: { maker: f8(ex.makerFee), taker: f8(ex.takerFee), buyer: '0.00000000', seller: '0.00000000' },
    canTrade: true,
    canWithdraw: false,
    canDeposit: false,
    brokered: false,
    requireSelfTradePrevention: false,
    preventSor: false,
    updateTime: ex.now(),
    accountType: 'SPOT',
    balances: [...a.balances.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([asset, b]) => ({ asset, free: f8(b.free), locked: f8(b.locked) })),
    permissions: ['SPOT'],
    uid: 1,
  }
}

// ---- WebSocket events -----------------------------------------------------------------------------------

export function tradeEvent(symbolId: string, t: PublicTrade): object {
  return { e: 'trade', E: t.time, s: symbolId, t: t.id, p: f8(t.price), q: f8(t.qty), T: t.time, m: t.isBuyerMaker, M: true }
}

export function aggTradeEvent(symbolId: string, t: PublicTrade): object {
  return { e: 'aggTrade', E: t.time, s: symbolId, a: t.id, p: f8(t.price), q: f8(t.qty), f: t.id, l: t.id, T: t.time, m: t.isBuyerMaker, M: true }
}

export function depthEvent(symbolId: string, u: DepthUpdate): object {
  const levels = (l: [Decimal, Decimal][]): string[][] => l.map(([p, q]) => [f8(p), f8(q)])
  return { e: 'depthUpdate', E: u.time, s: symbolId, U: u.firstId, u: u.lastId, b: levels(u.bids), a: levels(u.asks) }
}

export function bookTickerEvent(ex: SimExchange, symbolId: string): object | undefined {
  const d = ex.depth(symbolId, 1)
  const bid = d.bids[0]
  const ask = d.asks[0]
  if (bid === undefined || ask === undefined) return undefined
  return { u: d.lastUpdateId, s: symbolId, b: f8(bid[0]), B: f8(bid[1]), a: f8(ask[0]), A: f8(ask[1]) }
}

export function executionReport(o: SimOrder, x: ExecutionType, fill: SimFill | undefined, now: number): object {
  return {
    e: 'executionReport',
    E: now,
    s: o.symbolId,
    c: o.clientOrderId,
    S: BINANCE_SIDE[o.side],
    o: o.type,
    f: o.timeInForce,
    q: f8(o.origQty),
    p: f8(o.price),
    P: f8(o.stopPrice),
    F: '0.00000000',
    g: o.orderListId,
    C: x === 'CANCELED' ? o.clientOrderId : '',
    x,
    X: o.status,
    r: 'NONE',
    i: o.id,
    l: fill === undefined ? '0.00000000' : f8(fill.qty),
    z: f8(o.executedQty),
    L: fill === undefined ? '0.00000000' : f8(fill.price),
    n: fill === undefined ? '0' : f8(fill.commission),
    N: fill === undefined ? null : fill.commissionAsset,
    T: fill?.time ?? o.updateTime,
    t: fill?.tradeId ?? -1,
    I: 0,
    w: !o.waiting && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'),
    m: fill?.isMaker ?? false,
    M: false,
    O: o.time,
    Z: f8(o.cumQuote),
    Y: fill === undefined ? '0.00000000' : f8(fill.quoteQty),
    Q: f8(o.quoteOrderQty),
    W: o.time,
    V: 'NONE',
  }
}

export function accountPositionEvent(a: Account, assets: readonly string[], now: number): object {
  return {
    e: 'outboundAccountPosition',
    E: now,
    u: now,
    B: assets.map((asset) => {
      const b = a.balance(asset)
      return { a: asset, f: f8(b.free), l: f8(b.locked) }
    }),
  }
}
