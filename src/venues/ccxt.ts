/**
 * @module venues/ccxt
 * The CCXT adapter (Venue over ccxt, live feed, candle download, error mapping). A separate entry from
 * `venues/index.ts` because importing it loads ccxt: callers import it lazily, where they talk to an exchange.
 */
export { CcxtVenue, instrumentOf } from './ccxt-venue.js'
export { closeCcxtExchange, createCcxtExchange, TICK_SIZE } from './ccxt-exchange.js'
export { mapCcxtError, redact, retryAfterMs } from './ccxt-errors.js'
export { CcxtFeed } from './ccxt-feed.js'
export { downloadOhlcv, ohlcvFileName } from './ccxt-ohlcv.js'
export { tolerateCcxtStreamErrors } from './ccxt-stream-errors.js'
