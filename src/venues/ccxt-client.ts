/**
 * @module venues/ccxt-client
 * The ccxt client for the local exchange: the real, unmodified `binance` class (its `pro` variant, so the
 * WebSocket methods work too) with every Binance URL pointed at the simulator. Sofia's CCXT adapter uses
 * this to trade against `sofia exchange-sim`.
 *
 * What a client must configure, and why:
 * - `urls.api.*`: every REST base (`public`, `private`, `v1`, `sapi`, `fapi*`, …) rewritten to the simulator's
 *   origin keeping Binance's paths, so nothing ever leaves the host; `urls.api.ws.spot` = `<ws>/ws` (market
 *   streams) and `urls.api.ws['ws-api'].spot` = `<ws>/ws-api/v3` (spot user data: ccxt subscribes with
 *   `userDataStream.subscribe.signature`).
 * - `options.fetchMarkets: { types: ['spot'] }`: otherwise loadMarkets also calls the futures exchangeInfo
 *   (`fapi`, `dapi`); `fetchMargins: false`: otherwise it calls `sapi/v1/margin/allPairs`;
 *   `fetchCurrencies: false`: otherwise loadMarkets calls `sapi/v1/capital/config/getall` when keys are set.
 * - `options.defaultType: 'spot'`.
 * - `enableRateLimit: false` by default: ccxt's client-side throttle (50 ms per request unit for binance)
 *   would dominate loopback latency; pass `{ enableRateLimit: true }` to keep it.
 * - `httpAgent`: an `http.Agent`, without which ccxt refuses `ws://` URLs (NotSupported).
 * Note that ccxt turns -2015 into DDoSProtection (not AuthenticationError) once the same client instance has
 * made one successful private call.
 */
import { Agent } from 'node:http'
import ccxt from 'ccxt'

export type BinanceClient = InstanceType<typeof ccxt.pro.binance>

function rewrite(value: unknown, origin: string): unknown {
  if (typeof value === 'string') {
    const u = new URL(value)
    return origin + u.pathname.replace(/\/$/, '')
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = rewrite(v, origin)
    return out
  }
  return value
}

/**
 * A ccxt `binance` (pro) client for the simulator at `url` (`http://host:port`). `overrides` are merged into
 * the ccxt config (e.g. `{ timeout: 1000 }`).
 */
export function ccxtBinanceClient(url: string, apiKey: string, secret: string, overrides: Record<string, unknown> = {}): BinanceClient {
  const origin = url.replace(/\/$/, '')
  const wsOrigin = origin.replace(/^http/, 'ws')
  const defaults = new ccxt.pro.binance().urls['api'] as Record<string, unknown>
  const { ws: _ws, ...rest } = defaults
  const api = rewrite(rest, origin) as Record<string, unknown>
  const ws = {
    spot: `${wsOrigin}/ws`,
    margin: `${wsOrigin}/ws`,
    'ws-api': { spot: `${wsOrigin}/ws-api/v3` },
  }
  const { options: extraOptions, ...extra } = overrides
  return new ccxt.pro.binance({
    apiKey,
    secret,
    enableRateLimit: false,
    // ccxt refuses plain ws:// URLs unless it has an http.Agent for them (it expects wss:// in production).
    httpAgent: new Agent({ keepAlive: true }),
    urls: { api: { ...api, ws } },
    options: {
      defaultType: 'spot',
      fetchMarkets: { types: ['spot'] },
      fetchMargins: false,
      fetchCurrencies: false,
      adjustForTimeDifference: false,
      ...(typeof extraOptions === 'object' && extraOptions !== null ? extraOptions : {}),
    },
    ...extra,
  })
}
