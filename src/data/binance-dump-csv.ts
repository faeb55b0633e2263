/**
 * @module data/binance-dump-csv
 * Binance's public data dumps (data.binance.vision), CSV without a header (futures files start with one, which
 * is checked and skipped):
 * - klines `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,
 *   taker_buy_quote_volume,ignore` → Bar, the timeframe from the file name (`BTCUSDT-1m-2024-01-01.csv`);
 * - trades `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]` → TradeTick;
 * - aggTrades `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker
 *   [,is_best_match]` → TradeTick.
 * Times are ms, except spot files from 2025 on, which hold µs; each value is told by its size (`binanceTime`).
 * `is_buyer_maker` true means the buyer's order rested and the seller took it: the taker side is `sell`.
 * Columns the events do not carry (quote volumes, counts, first/last trade ids) are not read.
 */
import { InputError, type Bar, type TradeTick } from '../model/index.js'
import { readCsvRows, type CsvHeaderCheck } from './csv-rows.js'
import { BINANCE_AGG_TRADE_COLUMNS, BINANCE_KLINE_COLUMNS, BINANCE_TRADE_COLUMNS, headerColumns } from './data-format.js'
import { makeBar, requireMarket } from './ohlcv.js'
import { RowError, checkPositive, fieldError, missingField, textNumber, type ReaderContext } from './reader-context.js'

/** A time at or above this is µs: ms reach it only in the year 5138, µs passed it in 1973. */
export const BINANCE_MICROS_FROM = 1e14

/** A dump's time in ms, from ms or µs (µs are cut to the ms they fall in). */
export function binanceTime(text: string | undefined, field: string): number {
  const v = textNumber(text, field)
  if (!Number.isSafeInteger(v) || v < 0) throw fieldError(field, 'a time in ms or µs', text)
  return v >= BINANCE_MICROS_FROM ? Math.floor(v / 1000) : v
}

function takerSide(text: string | undefined, field: string): 'buy' | 'sell' {
  switch (text) {
    case 'True':
    case 'true':
      return 'sell'
    case 'False':
    case 'false':
      return 'buy'
    case undefined:
    case '':
      throw missingField(field)
    default:
      throw fieldError(field, 'true or false', text)
  }
}

function requireSymbol(ctx: ReaderContext): string {
  if (ctx.symbol === undefined) throw new InputError(`${ctx.file}: cannot tell the symbol from the file name; pass --symbol (e.g. BTC/USDT)`)
  return ctx.symbol
}

/**
 * A header line is optional; when the first line is one (its first field is not a number), it must name the
 * format's columns in order: a dump of another kind is refused here rather than misread row by row.
 */
function optionalHeader(ctx: ReaderContext, columns: readonly string[], required: number): CsvHeaderCheck {
  return (line, lineNo) => {
    const comma = line.indexOf(',')
    const first = (comma === -1 ? line : line.slice(0, comma)).trim()
    if (first !== '' && Number.isFinite(Number(first))) return false
    const names = headerColumns(line)
    const fits = names.length >= required && names.length <= columns.length && names.every((n, i) => n === columns[i])
    if (!fits) throw new InputError(`${ctx.file}:${lineNo}: header ${JSON.stringify(line.slice(0, 80))} is not ${columns.slice(0, required).join(',')}`)
    return true
  }
}

function tooMany(f: readonly string[], columns: readonly string[]): RowError {
  return new RowError(`expected ${columns.length} fields (${columns.join(',')}), got ${f.length}`)
}

export async function* readBinanceKlinesCsv(ctx: ReaderContext): AsyncGenerator<Bar[], void, undefined> {
  const { symbol, timeframe } = requireMarket(ctx)
  const columns = BINANCE_KLINE_COLUMNS
  yield* readCsvRows<Bar>(ctx, {
    header: optionalHeader(ctx, columns, columns.length),
    row: (f) => {
      if (f.length > columns.length) throw tooMany(f, columns)
      const ts = binanceTime(f[0], 'open_time')
      const open = textNumber(f[1], 'open')
      const high = textNumber(f[2], 'high')
      const low = textNumber(f[3], 'low')
      const close = textNumber(f[4], 'close')
      const volume = textNumber(f[5], 'volume')
      // The close time checks that the columns are where they should be (a shifted row has a price here).
      if (binanceTime(f[6], 'close_time') < ts) throw fieldError('close_time', `a time at or after open_time ${ts}`, f[6])
      // A row cut short (a truncated download) is bad even when the columns it lost are not read.
      if (f.length < columns.length) throw missingField(columns[f.length]!)
      return makeBar(ctx, symbol, timeframe, ts, open, high, low, close, volume)
    },
  })
}

export function readBinanceTradesCsv(ctx: ReaderContext): AsyncGenerator<TradeTick[], void, undefined> {
  return readBinanceTicks(ctx, BINANCE_TRADE_COLUMNS, 'time')
}

export function readBinanceAggTradesCsv(ctx: ReaderContext): AsyncGenerator<TradeTick[], void, undefined> {
  return readBinanceTicks(ctx, BINANCE_AGG_TRADE_COLUMNS, 'transact_time')
}

/**
 * A trades or an aggTrades file: both start id, price, quantity and differ only in their columns' names and
 * where the time stands (the maker flag is found by its name), so one reader serves both.
 */
async function* readBinanceTicks(
  ctx: ReaderContext,
  columns: readonly string[],
  timeColumn: string,
): AsyncGenerator<TradeTick[], void, undefined> {
  const symbol = requireSymbol(ctx)
  const venue = ctx.venue
  const [idColumn, priceColumn, amountColumn] = columns as readonly [string, string, string]
  const timeAt = columns.indexOf(timeColumn)
  const sideAt = columns.indexOf('is_buyer_maker')
  yield* readCsvRows<TradeTick>(ctx, {
    header: optionalHeader(ctx, columns, columns.length - 1),
    row: (f) => {
      if (f.length > columns.length) throw tooMany(f, columns)
      const id = f[0]
      if (id === undefined || id === '') throw missingField(idColumn)
      const price = checkPositive(textNumber(f[1], priceColumn), priceColumn, f[1])
      const amount = checkPositive(textNumber(f[2], amountColumn), amountColumn, f[2])
      const timestamp = binanceTime(f[timeAt], timeColumn)
      const side = takerSide(f[sideAt], 'is_buyer_maker')
      return { kind: 'trade', venue, symbol, timestamp, price, amount, side, id }
    },
  })
}
