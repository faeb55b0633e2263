/**
 * @module exchange-sim/binance-error
 * Binance's REST error answers: `{code, msg}` with the HTTP status Binance uses. The codes and messages are
 * the ones ccxt's `binance` class maps to its exception classes (see `exceptions` in ccxt's binance.js), so a
 * client raises the same class against the simulator as against Binance.
 */

export class BinanceError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly status = 400,
  ) {
    super(msg)
    this.name = 'BinanceError'
  }

  body(): { code: number; msg: string } {
    return { code: this.code, msg: this.message }
  }
}

/** -1102: ccxt BadRequest. */
export function mandatory(param: string): BinanceError {
  return new BinanceError(-1102, `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`)
}

/** -1100: ccxt BadRequest. */
export function illegalChars(param: string): BinanceError {
  return new BinanceError(-1100, `Illegal characters found in parameter '${param}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`)
}

export const errors = {
  /** ccxt AuthenticationError. */
  apiKeyFormat: () => new BinanceError(-2014, 'API-key format invalid.', 401),
  /** ccxt AuthenticationError (DDoSProtection once the same client has authenticated successfully). */
  invalidApiKey: () => new BinanceError(-2015, 'Invalid API-key, IP, or permissions for action.', 401),
  /** ccxt AuthenticationError. */
  badSignature: () => new BinanceError(-1022, 'Signature for this request is not valid.'),
  /** ccxt InvalidNonce (a NetworkError). */
  timestampAhead: () => new BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  timestampOutside: () => new BinanceError(-1021, 'Timestamp for this request is outside of the recvWindow.'),
  /** ccxt BadRequest. */
  recvWindowTooLarge: () => new BinanceError(-1131, 'recvWindow must be less than 60000'),
  /** ccxt BadSymbol. */
  invalidSymbol: () => new BinanceError(-1121, 'Invalid symbol.'),
  /** ccxt InvalidOrder (ccxt matches the filter name in the body). */
  filter: (name: 'LOT_SIZE' | 'PRICE_FILTER' | 'NOTIONAL' | 'MARKET_LOT_SIZE' | 'TRAILING_DELTA') => new BinanceError(-1013, `Filter failure: ${name}`),
  /** ccxt InsufficientFunds (matched on the exact message). */
  insufficientBalance: () => new BinanceError(-2010, 'Account has insufficient balance for requested action.'),
  /** ccxt InvalidOrder. */
  duplicateOrder: () => new BinanceError(-2010, 'Duplicate order sent.'),
  /** ccxt OrderImmediatelyFillable (an InvalidOrder). */
  wouldTake: () => new BinanceError(-2010, 'Order would immediately match and take.'),
  /** ccxt OrderNotFound. */
  unknownOrder: () => new BinanceError(-2011, 'Unknown order sent.'),
  /** ccxt OrderNotFound. */
  noSuchOrder: () => new BinanceError(-2013, 'Order does not exist.'),
  /** ccxt BadRequest. */
  badInterval: () => new BinanceError(-1120, 'Invalid interval.'),
  badSide: () => new BinanceError(-1117, 'Invalid side.'),
  badType: () => new BinanceError(-1116, 'Invalid orderType.'),
  badTimeInForce: () => new BinanceError(-1115, 'Invalid timeInForce.'),
  timeInForceNotRequired: () => new BinanceError(-1106, "Parameter 'timeInForce' sent when not required."),
  /** ccxt AuthenticationError. */
  noListenKey: () => new BinanceError(-1125, 'This listenKey does not exist.'),
  /** HTTP 429; ccxt DDoSProtection (its handleErrors checks the status before the code). */
  rateLimited: () =>
    new BinanceError(-1003, 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates to avoid polling the API.', 429),
} as const
