/**
 * @module venues/ccxt-exchange
 * Builds the ccxt (pro) exchange instance a CcxtVenue or CcxtFeed talks to: the exchange class by id, the
 * keys, sandbox mode (`MODE=testnet`), and base URLs pointed elsewhere (the local exchange). Verbose logging
 * stays off so keys and signed requests never reach a log.
 */
import ccxt from 'ccxt'
import type { Exchange } from 'ccxt'
import { ccxtBinanceClient } from './ccxt-client.js'
import { InputError } from '../model/index.js'

export type CcxtExchange = Exchange

export interface CcxtExchangeSpec {
  /** CCXT id, e.g. `binance`. */
  readonly exchangeId: string
  readonly apiKey?: string
  readonly secret?: string
  readonly password?: string
  /** The exchange's sandbox (CCXT `setSandboxMode`). */
  readonly sandbox?: boolean
  /** REST base URL replacing the exchange's own (the local exchange); binance-compatible only. */
  readonly url?: string
  /** Request timeout, ms (ccxt default 10 000). */
  readonly timeoutMs?: number
  /**
   * How long after signing the exchange may accept a request, ms (Binance `recvWindow`; ccxt default 10 000).
   * It also bounds how long an unanswered order may still appear: smaller settles lost orders sooner.
   */
  readonly recvWindowMs?: number
  /** ccxt's client-side rate limiter (default on for real exchanges, off for a local URL). */
  readonly enableRateLimit?: boolean
}

/** A ccxt.pro instance (WebSocket methods available) for the spec. */
export function createCcxtExchange(spec: CcxtExchangeSpec): CcxtExchange {
  const id = spec.exchangeId.toLowerCase()
  const overrides: Record<string, unknown> = {
    verbose: false,
    ...(spec.timeoutMs !== undefined ? { timeout: spec.timeoutMs } : {}),
    ...(spec.enableRateLimit !== undefined ? { enableRateLimit: spec.enableRateLimit } : {}),
    ...(spec.password !== undefined ? { password: spec.password } : {}),
    options: {
      warnOnFetchOpenOrdersWithoutSymbol: false,
      ...(spec.recvWindowMs !== undefined ? { recvWindow: spec.recvWindowMs } : {}),
      // ccxt delays each new websocket dial to a URL by its own backoff (1 s doubling to 60 s, forgotten only
      // after 30 s without a dial), on top of the market feed's own (venues/ccxt-feed). An operator's feed
      // restarts count as dials, so a few of them in a row left the feed silent for 8 s and more. The feed's
      // backoff is the one that applies.
      ws: { backoff: { base: 0 } },
    },
  }
  let exchange: Exchange
  if (spec.url !== undefined) {
    if (id !== 'binance') throw new InputError(`exchange.urls.api: a URL override is supported for binance-compatible exchanges only, not '${id}'`)
    exchange = ccxtBinanceClient(spec.url, spec.apiKey ?? '', spec.secret ?? '', overrides) as unknown as Exchange
    if (spec.sandbox === true) {
      // Sandbox mode swaps urls.api for urls.test: keep the local exchange in both.
      const urls = exchange.urls as Record<string, unknown>
      urls['test'] = structuredClone(urls['api'])
      exchange.setSandboxMode(true)
    }
    return exchange
  }
  const pro = ccxt.pro as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>
  const rest = ccxt as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>
  const Ctor = pro[id] ?? rest[id]
  if (typeof Ctor !== 'function' || !(ccxt.exchanges as readonly string[]).includes(id)) {
    throw new InputError(`exchange.id: '${spec.exchangeId}' is not a ccxt exchange`)
  }
  exchange = new Ctor({
    enableRateLimit: true,
    ...(spec.apiKey !== undefined ? { apiKey: spec.apiKey } : {}),
    ...(spec.secret !== undefined ? { secret: spec.secret } : {}),
    ...overrides,
  })
  if (spec.sandbox === true) exchange.setSandboxMode(true)
  return exchange
}

/** ccxt's TICK_SIZE precision mode (precision values are tick/step sizes, not decimal places). */
export const TICK_SIZE = 4

interface WsClientLike {
  readonly connection?: { terminate?: () => void }
}

/**
 * Closes a ccxt.pro instance's websocket connections (`close()`), waiting at most `timeoutMs` (default 2 s).
 * ccxt's close waits for each server's answer to the close frame, and the `ws` library gives a silent peer
 * 30 s; a stopping session must not. Past the bound the sockets are terminated, which ends them at once.
 * Resolves true when the close completed within the bound. A REST-only instance (no `close()`) resolves true.
 */
export async function closeCcxtExchange(exchange: Exchange, timeoutMs = 2_000): Promise<boolean> {
  const ex = exchange as unknown as { close?: () => Promise<void>; clients?: Record<string, WsClientLike> }
  if (typeof ex.close !== 'function') return true
  // ccxt's close forgets its clients at once: keep them to terminate if it does not finish in time.
  const clients = Object.values(ex.clients ?? {})
  let timer: NodeJS.Timeout | undefined
  const closed = await Promise.race([
    ex.close().then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ])
  clearTimeout(timer)
  if (!closed) for (const c of clients) c.connection?.terminate?.()
  return closed
}
