/**
 * @module data/trades-json
 * Trade readers for JSON arrays: freqtrade's trades list `[ts, id, type, side, price, amount, cost]` and
 * CCXT unified Trade objects `{timestamp, symbol, id, side, price, amount, …}`. Both give `TradeTick`s.
 */
import { InputError, type TradeTick } from '../model/index.js'
import { readJsonRecords } from './json-records.js'
import {
  RowError,
  checkPositive,
  checkTimestamp,
  fieldError,
  jsonNumber,
  missingField,
  shown,
  type ReaderContext,
} from './reader-context.js'

function side(value: unknown): 'buy' | 'sell' | undefined {
  if (value === 'buy' || value === 'sell') return value
  if (value === null || value === undefined || value === '') return undefined
  throw fieldError('side', '"buy", "sell" or null', value)
}

function tradeId(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (value === null || value === undefined) return undefined
  throw fieldError('id', 'a string or number', value)
}

function tick(
  venue: string,
  symbol: string,
  timestamp: number,
  price: number,
  amount: number,
  s: 'buy' | 'sell' | undefined,
  id: string | undefined,
): TradeTick {
  // Spread the optionals only when present: exactOptionalPropertyTypes forbids `side: undefined`.
  if (s !== undefined && id !== undefined) return { kind: 'trade', venue, symbol, timestamp, price, amount, side: s, id }
  if (s !== undefined) return { kind: 'trade', venue, symbol, timestamp, price, amount, side: s }
  if (id !== undefined) return { kind: 'trade', venue, symbol, timestamp, price, amount, id }
  return { kind: 'trade', venue, symbol, timestamp, price, amount }
}

export async function* readFreqtradeTradesJson(ctx: ReaderContext): AsyncGenerator<TradeTick[], void, undefined> {
  const symbol = ctx.symbol
  if (symbol === undefined) {
    throw new InputError(`${ctx.file}: cannot tell the symbol from the file name; pass a symbol (e.g. BTC/USDT)`)
  }
  yield* readJsonRecords(ctx, (row) => {
    if (!Array.isArray(row)) throw new RowError(`expected a row [timestamp, id, type, side, price, amount, cost], got ${shown(row)}`)
    const r = row as unknown[]
    const ts = checkTimestamp(jsonNumber(r[0], 'timestamp'), 'timestamp', r[0])
    const price = checkPositive(jsonNumber(r[4], 'price'), 'price', r[4])
    const amount = checkPositive(jsonNumber(r[5], 'amount'), 'amount', r[5])
    return tick(ctx.venue, symbol, ts, price, amount, side(r[3]), tradeId(r[1]))
  }) as AsyncGenerator<TradeTick[], void, undefined>
}

export async function* readCcxtTradesJson(ctx: ReaderContext): AsyncGenerator<TradeTick[], void, undefined> {
  yield* readJsonRecords(ctx, (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RowError(`expected a CCXT trade object {timestamp, price, amount, side, id}, got ${shown(value)}`)
    }
    const t = value as Record<string, unknown>
    const ts = checkTimestamp(jsonNumber(t['timestamp'], 'timestamp'), 'timestamp', t['timestamp'])
    const price = checkPositive(jsonNumber(t['price'], 'price'), 'price', t['price'])
    const amount = checkPositive(jsonNumber(t['amount'], 'amount'), 'amount', t['amount'])
    const own = t['symbol']
    const symbol = ctx.symbolFixed ? ctx.symbol : typeof own === 'string' && own.length > 0 ? own : ctx.symbol
    if (symbol === undefined) throw missingField('symbol')
    return tick(ctx.venue, symbol, ts, price, amount, side(t['side']), tradeId(t['id']))
  }) as AsyncGenerator<TradeTick[], void, undefined>
}
