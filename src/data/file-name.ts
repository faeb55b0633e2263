/**
 * @module data/file-name
 * Market metadata guessed from a data file's name, because real files rarely carry it inside:
 * `binance_XRP-ETH_1m_2019-10-11.json` → venue `binance`, symbol `XRP/ETH`, timeframe `1m`;
 * `binance-usdm_XRP-USDT-USDT_5m_….json` → `XRP/USDT:USDT`; freqtrade's own `XRP_ETH-1m.json` → `XRP/ETH`, `1m`;
 * a data.binance.vision dump `BTCUSDT-1m-2024-01-01.csv` → venue `binance`, `BTC/USDT`, `1m`.
 * Options always win over these guesses.
 */
import { basename } from 'node:path'

export interface FileNameHints {
  readonly venue?: string
  readonly symbol?: string
  readonly timeframe?: string
}

/** Quote currencies tried, longest first, to split exchange ids like `BTCUSDT`. */
const KNOWN_QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'DAI', 'USD', 'EUR', 'GBP', 'JPY', 'TRY', 'BTC', 'ETH', 'BNB'] as const

const TIMEFRAME = /^(\d+[smhdw])(?:-[a-z-]+)?$/
const VENUE = /^[a-z][a-z0-9.]*(?:-[a-z0-9]+)*$/
const SYMBOL_DASHED = /^([A-Z0-9]+)-([A-Z0-9]+)(?:-([A-Z0-9]+))?$/
const FREQTRADE_NAME = /^([A-Z0-9]+)_([A-Z0-9]+)(?:_([A-Z0-9]+))?-(\d+[smhdw])/
/** data.binance.vision: `<SYMBOL>-<interval|trades|aggTrades>-<YYYY-MM[-DD]>`; coin-margined symbols look like `BTCUSD_PERP`. */
const BINANCE_DUMP_NAME = /^([A-Z0-9]+(?:_[A-Z0-9]+)?)-(\d+(?:[smhdw]|mo)|trades|aggTrades)-(\d{4}-\d{2}(?:-\d{2})?)$/

/** What a data.binance.vision dump holds, by its name. */
export type BinanceDumpKind = 'klines' | 'trades' | 'aggTrades'

/** Strips `.gz` and the format extension. */
export function stem(path: string): string {
  return basename(path).replace(/\.gz$/i, '').replace(/\.[A-Za-z0-9]+$/, '')
}

/**
 * Turns an exchange-style symbol into CCXT's `BASE/QUOTE`: `XRP-ETH`, `XRP_ETH`, `XRP/ETH` and `BTCUSDT`
 * (split at a known quote currency) all work; anything else is returned unchanged.
 */
export function normalizeSymbol(raw: string): string {
  if (raw.includes('/')) return raw
  const parts = raw.split(/[-_]/)
  if (parts.length === 2 && parts[0] && parts[1]) return `${parts[0]}/${parts[1]}`
  if (parts.length === 3 && parts[0] && parts[1] && parts[2]) return `${parts[0]}/${parts[1]}:${parts[2]}`
  const upper = raw.toUpperCase()
  for (const q of KNOWN_QUOTES) {
    if (upper.length > q.length && upper.endsWith(q)) return `${upper.slice(0, -q.length)}/${q}`
  }
  return raw
}

/**
 * `BASE/QUOTE` for an exchange's symbol when it splits without guessing: `BTCUSDT` and `ETHBTC` at a known quote
 * currency, `BTC-USD` and `ETH_BTC` when the second part is one; a CCXT symbol stays as it is. Undefined for
 * everything else (`BTC-PERPETUAL`, `BTC-USDT-SWAP`, `BTCUSD_PERP`, `ETH-27DEC24`), whose market type a name
 * cannot tell.
 */
export function ccxtSymbolOf(raw: string): string | undefined {
  if (/^[A-Za-z0-9]+\/[A-Za-z0-9]+(?::[A-Za-z0-9]+)?$/.test(raw)) return raw
  const upper = raw.toUpperCase()
  const pair = /^([A-Z0-9]+)[-_]([A-Z0-9]+)$/.exec(upper)
  if (pair) return (KNOWN_QUOTES as readonly string[]).includes(pair[2]!) ? `${pair[1]}/${pair[2]}` : undefined
  if (!/^[A-Z0-9]+$/.test(upper)) return undefined
  const split = normalizeSymbol(upper)
  return split === upper ? undefined : split
}

/** The kind of a data.binance.vision dump from its name (`BTCUSDT-aggTrades-2024-01-01.csv` → `aggTrades`). */
export function binanceDumpKind(path: string): BinanceDumpKind | undefined {
  const m = BINANCE_DUMP_NAME.exec(stem(path))
  if (!m) return undefined
  return m[2] === 'trades' || m[2] === 'aggTrades' ? m[2] : 'klines'
}

export function hintsFromFileName(path: string): FileNameHints {
  const name = stem(path)
  const dump = BINANCE_DUMP_NAME.exec(name)
  if (dump && dump[1] && dump[2]) {
    // The names do not say spot or futures: `binance` is the venue either way, `--venue` says otherwise.
    const symbol = ccxtSymbolOf(dump[1])
    const timeframe = dump[2] === 'trades' || dump[2] === 'aggTrades' ? undefined : dump[2]
    return { venue: 'binance', ...(symbol !== undefined && { symbol }), ...(timeframe !== undefined && { timeframe }) }
  }
  const ft = FREQTRADE_NAME.exec(name)
  if (ft && ft[1] && ft[2] && ft[4]) {
    return { symbol: ft[3] ? `${ft[1]}/${ft[2]}:${ft[3]}` : `${ft[1]}/${ft[2]}`, timeframe: ft[4] }
  }
  const tokens = name.split('_')
  let venue: string | undefined
  let symbol: string | undefined
  let timeframe: string | undefined
  for (const [i, token] of tokens.entries()) {
    if (i === 0 && tokens.length > 1 && VENUE.test(token)) {
      venue = token
      continue
    }
    if (symbol === undefined) {
      const m = SYMBOL_DASHED.exec(token)
      if (m && m[1] && m[2]) {
        symbol = m[3] ? `${m[1]}/${m[2]}:${m[3]}` : `${m[1]}/${m[2]}`
        continue
      }
      if (/^[A-Z0-9]{5,}$/.test(token)) {
        const s = normalizeSymbol(token)
        if (s !== token) {
          symbol = s
          continue
        }
      }
    }
    if (timeframe === undefined) {
      const t = TIMEFRAME.exec(token)
      if (t && t[1]) timeframe = t[1]
    }
  }
  return {
    ...(venue !== undefined && { venue }),
    ...(symbol !== undefined && { symbol }),
    ...(timeframe !== undefined && { timeframe }),
  }
}
