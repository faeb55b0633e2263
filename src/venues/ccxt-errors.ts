/**
 * @module venues/ccxt-errors
 * CCXT's exceptions translated into Sofia's (model/errors), with secrets redacted from messages and the
 * venue's Retry-After kept on rate limits. The one place that knows ccxt's error classes.
 */
import ccxt from 'ccxt'
import {
  AuthenticationError,
  BadSymbol,
  ExchangeError,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidOrder,
  NetworkError,
  OrderNotFound,
  RateLimitExceeded,
  RequestTimeout,
  SofiaError,
} from '../model/index.js'

/** Removes API keys, secrets and request signatures from a message. */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message.replace(/(signature|apiKey|api_key|secret|X-MBX-APIKEY)=([^&\s"']+)/gi, '$1=***')
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***')
  return out
}

/** Retry-After (seconds or an HTTP date) from ccxt's last response headers, in ms. */
export function retryAfterMs(headers: unknown, now: number = Date.now()): number | undefined {
  if (headers === null || typeof headers !== 'object') return undefined
  const h = headers as Record<string, unknown>
  const raw = h['Retry-After'] ?? h['retry-after']
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined
  const s = Number(raw)
  if (Number.isFinite(s)) return Math.max(0, s * 1000)
  const at = Date.parse(String(raw))
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

export interface ErrorContext {
  /** `binance: createOrder buy 0.1 BTC/USDT` — prefixed to the message. */
  readonly what: string
  readonly secrets: readonly string[]
  readonly headers?: unknown
  /** Currency a refused order needed, named in InsufficientFunds messages. */
  readonly currency?: string
  /** createOrder: a BadRequest (e.g. Binance's NOTIONAL filter) is an invalid order. */
  readonly isOrder?: boolean
}

/** Sofia's error for a ccxt exception; Sofia errors and programming errors pass through unchanged. */
export function mapCcxtError(error: unknown, ctx: ErrorContext): Error {
  if (error instanceof SofiaError) return error
  if (!(error instanceof ccxt.BaseError)) return error instanceof Error ? error : new Error(String(error))
  const raw = redact(error.message, ctx.secrets)
  const msg = `${ctx.what}: ${raw}`
  const options = { cause: new Error(raw) }
  if (error instanceof ccxt.InsufficientFunds) {
    return new InsufficientFunds(ctx.currency !== undefined ? `${ctx.what}: insufficient ${ctx.currency}: ${raw}` : msg, options)
  }
  if (error instanceof ccxt.OrderNotFound) return new OrderNotFound(msg, options)
  if (error instanceof ccxt.InvalidNonce) {
    return new AuthenticationError(`${msg} (the request's timestamp was refused: check the clock drift against the exchange)`, options)
  }
  if (error instanceof ccxt.AuthenticationError) return new AuthenticationError(msg, options)
  if (error instanceof ccxt.BadSymbol) return new BadSymbol(msg, options)
  if (error instanceof ccxt.InvalidOrder) return new InvalidOrder(msg, options)
  if (error instanceof ccxt.BadRequest && ctx.isOrder === true) return new InvalidOrder(msg, options)
  if (error instanceof ccxt.DDoSProtection || error instanceof ccxt.RateLimitExceeded) {
    const after = retryAfterMs(ctx.headers)
    return new RateLimitExceeded(`${msg}${after !== undefined ? ` (retry after ${after} ms)` : ''}`, { ...options, ...(after !== undefined ? { retryAfterMs: after } : {}) })
  }
  if (error instanceof ccxt.RequestTimeout) return new RequestTimeout(msg, options)
  if (error instanceof ccxt.ExchangeNotAvailable) return new ExchangeNotAvailable(msg, options)
  if (error instanceof ccxt.NetworkError) return new NetworkError(msg, options)
  return new ExchangeError(msg, options)
}
