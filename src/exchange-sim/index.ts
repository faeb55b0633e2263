/**
 * @module exchange-sim
 * `sofia exchange-sim`: a local exchange that speaks Binance SPOT (REST + WebSocket) so the real ccxt
 * `binance` class trades against it, backed by Sofia's matching engine and a seeded market, with fault
 * injection for testing what Sofia does when an exchange misbehaves.
 */
export { SimExchange, MARKET_OWNER, symbolId } from './exchange.js'
export type { SimExchangeOptions, SymbolSpec, NewOrderParams, ExchangeListener, PublicTrade, DepthUpdate } from './exchange.js'
export { BINANCE_ORDER_TYPES, SELF_TRADE_PREVENTION } from './accounts.js'
export type { BinanceOrderType, SelfTradePrevention } from './accounts.js'
export { ExchangeSimServer } from './server.js'
export type { ExchangeSimServerOptions } from './server.js'
export { FaultInjector, parseFaultConfig, loadFaultFile, SERVER_ERROR_STATUSES } from './faults.js'
export type { FaultConfig, FaultRule, FaultDecision, ServerErrorStatus } from './faults.js'
export { BinanceError } from './binance-error.js'
export { hmacHex, verifySignedRequest } from './signature.js'
