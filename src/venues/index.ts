/**
 * @module venues
 * The Venue port, the simulated exchange and the CCXT adapter (the matching engine is in book/).
 */
export type { CancelReport, OrderRequest, VenueOrder, VenueListener, Venue, VenueFeature, VenueFeatureOrder } from './venue.js'
export { OrderBook, SELF_TRADE_MODES } from '../book/index.js'
export type { BookOrder, Match, OrderBookListener, OrderBookOptions, SelfTradeMode, DepthLevel } from '../book/index.js'
export { SimulatedVenue } from './simulated-venue.js'
export type { SimulatedVenueOptions, LatencyModel, LatencyRequest, RestoredOrder } from './simulated-venue.js'
export type { CcxtVenueOptions, RetryPolicy, ReconnectCounter } from './ccxt-venue.js'
export type { CcxtExchange, CcxtExchangeSpec } from './ccxt-exchange.js'
export type { CcxtFeedOptions, LiveFeed } from './ccxt-feed.js'
export { EventQueue } from './event-queue.js'
export type { OhlcvDownload, OhlcvResult, Candle } from './ccxt-ohlcv.js'
// The CCXT adapter's values live in './ccxt.js': importing them loads ccxt (~80 MB, ~0.3 s), which only
// commands that talk to an exchange should pay for. Its types are here (type imports load nothing).
