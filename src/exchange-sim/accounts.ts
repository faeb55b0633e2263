/**
 * @module exchange-sim/accounts
 * Accounts of the local exchange, one per API key: balances split into free and locked (what open orders
 * hold), the account's orders and its own trade history (the simulator's independent record for
 * reconciliation tests).
 */
import { Decimal, ZERO, dec } from '../model/index.js'
import type { OrderSide } from '../model/index.js'

export const BINANCE_STATUSES = ['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED', 'EXPIRED_IN_MATCH', 'REJECTED'] as const
export type BinanceStatus = (typeof BINANCE_STATUSES)[number]
export const BINANCE_ORDER_TYPES = ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] as const
export type BinanceOrderType = (typeof BINANCE_ORDER_TYPES)[number]
export const TIME_IN_FORCES = ['GTC', 'IOC', 'FOK'] as const
export type TimeInForce = (typeof TIME_IN_FORCES)[number]

/** One fill of one of an account's orders. */
export interface SimFill {
  readonly tradeId: number
  readonly orderId: number
  readonly clientOrderId: string
  /** Binance symbol id (`BTCUSDT`) and unified symbol (`BTC/USDT`). */
  readonly symbolId: string
  readonly symbol: string
  readonly side: OrderSide
  readonly price: Decimal
  readonly qty: Decimal
  readonly quoteQty: Decimal
  readonly commission: Decimal
  readonly commissionAsset: string
  readonly time: number
  readonly isMaker: boolean
}

export interface SimOrder {
  readonly id: number
  readonly account: string
  readonly clientOrderId: string
  readonly symbolId: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: BinanceOrderType
  readonly timeInForce: TimeInForce
  /** Limit price; zero for market orders. */
  readonly price: Decimal
  readonly origQty: Decimal
  readonly quoteOrderQty: Decimal
  executedQty: Decimal
  cumQuote: Decimal
  status: BinanceStatus
  readonly time: number
  updateTime: number
  /** What this order still holds locked: quote for buys, base for sells. */
  reserved: Decimal
  readonly reserveAsset: string
  readonly fills: SimFill[]
  /** A stop or take-profit order's trigger (`stopPrice`); zero for the others. */
  readonly stopPrice: Decimal
  /** A stop or take-profit order waits (off the book) until the last trade price reaches its trigger. */
  waiting: boolean
  /**
   * Binance's `trailingDelta` in basis points (0: not trailing). A trailing stop follows the best price since it
   * became active (the high for a sell, the low for a buy) and fires when the last price comes back this far.
   * With a `stopPrice` it becomes active only once that is reached.
   */
  readonly trailingDelta: number
  /** A trailing order's best price since it became active; undefined until then. */
  trailExtreme: Decimal | undefined
  /** When a trailing order became active (Binance's `trailingTime`); -1 before. */
  trailingTime: number
  /** The OCO order list it belongs to (Binance's `orderListId`); -1 for none. */
  readonly orderListId: number
  /** Binance's `selfTradePreventionMode` the order was placed under. */
  readonly selfTradePreventionMode: SelfTradePrevention
}

/**
 * Binance's self-trade prevention modes this exchange implements: `EXPIRE_MAKER` (Binance's default) and
 * `NONE` (a client's orders trade with each other). Binance's EXPIRE_TAKER and EXPIRE_BOTH are not offered.
 */
export const SELF_TRADE_PREVENTION = ['NONE', 'EXPIRE_MAKER'] as const
export type SelfTradePrevention = (typeof SELF_TRADE_PREVENTION)[number]

export interface AssetBalance {
  free: Decimal
  locked: Decimal
}

export class Account {
  readonly balances = new Map<string, AssetBalance>()
  readonly orders = new Map<number, SimOrder>()
  /** Open orders by client order id: Binance refuses a second open order with the same id. */
  readonly openByClientId = new Map<string, SimOrder>()
  /** The latest order with each client order id, for `origClientOrderId` look-ups. */
  readonly byClientId = new Map<string, SimOrder>()
  readonly trades: SimFill[] = []
  listenKey: string | undefined

  constructor(
    readonly apiKey: string,
    readonly secret: string,
    starting: Readonly<Record<string, string>>,
  ) {
    for (const [asset, amount] of Object.entries(starting)) this.balances.set(asset, { free: dec(amount), locked: ZERO })
  }

  balance(asset: string): AssetBalance {
    let b = this.balances.get(asset)
    if (b === undefined) {
      b = { free: ZERO, locked: ZERO }
      this.balances.set(asset, b)
    }
    return b
  }

  /** Moves `amount` from free to locked; false (and nothing changes) when free is short. */
  lock(asset: string, amount: Decimal): boolean {
    const b = this.balance(asset)
    if (b.free.lt(amount)) return false
    b.free = b.free.sub(amount)
    b.locked = b.locked.add(amount)
    return true
  }

  /** Releases what an order still holds back to free. */
  release(order: SimOrder): void {
    if (order.reserved.isZero()) return
    const b = this.balance(order.reserveAsset)
    b.locked = b.locked.sub(order.reserved)
    b.free = b.free.add(order.reserved)
    order.reserved = ZERO
  }

  /** Spends up to `need` of what an order holds; the rest of `need`, if any, comes from free. */
  spendReserved(order: SimOrder, need: Decimal): void {
    const b = this.balance(order.reserveAsset)
    const take = Decimal.min(need, order.reserved)
    order.reserved = order.reserved.sub(take)
    b.locked = b.locked.sub(take)
    b.free = b.free.sub(need.sub(take))
  }

  credit(asset: string, amount: Decimal): void {
    const b = this.balance(asset)
    b.free = b.free.add(amount)
  }

  /** Orders still working (NEW or PARTIALLY_FILLED). */
  openOrders(symbolId?: string): SimOrder[] {
    return [...this.openByClientId.values()].filter((o) => symbolId === undefined || o.symbolId === symbolId).sort((a, b) => a.id - b.id)
  }
}
