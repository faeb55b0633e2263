/**
 * @module book
 * A price-time priority limit order book and its matching: below both the simulated venue and the local exchange,
 * which match orders the same way. It depends on the model alone.
 */
export { OrderBook, SELF_TRADE_MODES } from './order-book.js'
export type { BookOrder, DepthLevel, Match, OrderBookListener, OrderBookOptions, SelfTradeMode } from './order-book.js'
