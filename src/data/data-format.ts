/**
 * @module data/data-format
 * The file formats Sofia reads, and how a format is told from a file: the extension narrows it down, the
 * first bytes decide (a `.json` can hold candles, trade rows or CCXT trade objects).
 */
import { basename } from 'node:path'
import { InputError } from '../model/index.js'
import { binanceDumpKind, type BinanceDumpKind } from './file-name.js'

export const DATA_FORMATS = [
  /** freqtrade / CCXT `fetchOHLCV` JSON: `[[ts, o, h, l, c, v], …]` → Bar. */
  'ohlcv-json',
  /** CSV with header `timestamp,open,high,low,close,volume` (or `date,…`; ms or ISO 8601 times) → Bar. */
  'ohlcv-csv',
  /** freqtrade trades list JSON: `[[ts, id, type, side, price, amount, cost], …]` → TradeTick. */
  'trades-json',
  /** CCXT unified Trade objects JSON: `[{timestamp, price, amount, side, id, …}, …]` → TradeTick. */
  'ccxt-trades-json',
  /** Kraken "Time & Sales" CSV without header: `unix_seconds,price,volume` → TradeTick. */
  'kraken-trades-csv',
  /** Binance historical depth CSV (`symbol,timestamp,first_update_id,…`) → BookUpdate. */
  'binance-depth-csv',
  /** Sofia's own CSV of trades and quotes (see sofia-csv.ts) → TradeTick, QuoteTick. */
  'sofia-csv',
  /** data.binance.vision klines, header-less: `open_time,open,high,low,close,volume,close_time,…` → Bar. */
  'binance-klines-csv',
  /** data.binance.vision trades, header-less: `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]` → TradeTick. */
  'binance-trades-csv',
  /** data.binance.vision aggTrades, header-less: `agg_trade_id,price,quantity,first_trade_id,…` → TradeTick. */
  'binance-aggtrades-csv',
  /** Tardis.dev `trades` CSV: `exchange,symbol,timestamp,local_timestamp,id,side,price,amount` → TradeTick. */
  'tardis-trades-csv',
  /** Tardis.dev `quotes` CSV: `exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,…` → QuoteTick. */
  'tardis-quotes-csv',
  /** Tardis.dev `book_snapshot_N` CSV: `…,asks[0].price,asks[0].amount,bids[0].price,…` → BookUpdate snapshots. */
  'tardis-book-snapshot-csv',
  /** Tardis.dev `incremental_book_L2` CSV: `…,is_snapshot,side,price,amount` → BookUpdate snapshots and deltas. */
  'tardis-incremental-book-csv',
  /** Parquet with `timestamp, price, amount[, side][, id]` columns (common names accepted; see parquet.ts) → TradeTick. */
  'trades-parquet',
  /** Parquet with `timestamp, open, high, low, close[, volume]` columns → Bar. */
  'ohlcv-parquet',
] as const
export type DataFormat = (typeof DATA_FORMATS)[number]

/** The formats that hold candles (Bar events) rather than ticks or books. */
export const CANDLE_FORMATS = ['ohlcv-json', 'ohlcv-csv', 'binance-klines-csv', 'ohlcv-parquet'] as const satisfies readonly DataFormat[]

/** A Parquet file, by its name or its magic bytes. */
export function isParquet(path: string, head: string): boolean {
  return /\.parquet$/i.test(path) || head.startsWith('PAR1')
}

export function isCandleFormat(format: DataFormat): boolean {
  return (CANDLE_FORMATS as readonly DataFormat[]).includes(format)
}

/** Columns of the data.binance.vision dumps, in file order (futures files name them in a header line). */
export const BINANCE_KLINE_COLUMNS = [
  'open_time',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'close_time',
  'quote_volume',
  'count',
  'taker_buy_volume',
  'taker_buy_quote_volume',
  'ignore',
] as const
/** The last column (`is_best_match`) is missing from futures files. */
export const BINANCE_TRADE_COLUMNS = ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker', 'is_best_match'] as const
/** The last column (`is_best_match`) is missing from futures files. */
export const BINANCE_AGG_TRADE_COLUMNS = [
  'agg_trade_id',
  'price',
  'quantity',
  'first_trade_id',
  'last_trade_id',
  'transact_time',
  'is_buyer_maker',
  'is_best_match',
] as const

const BINANCE_DUMP_FORMATS: Record<BinanceDumpKind, DataFormat> = {
  klines: 'binance-klines-csv',
  trades: 'binance-trades-csv',
  aggTrades: 'binance-aggtrades-csv',
}

export function isDataFormat(value: string): value is DataFormat {
  return (DATA_FORMATS as readonly string[]).includes(value)
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n')
  return (nl === -1 ? text : text.slice(0, nl)).replace(/^\uFEFF/, '').trim()
}

/** Header names of a candle CSV's time column, in the order tried when a file has several. */
export const OHLCV_TIME_COLUMNS = ['timestamp', 'datetime', 'date', 'time', 'open_time'] as const

/** Column names of a header line, lower-cased. */
export function headerColumns(line: string): string[] {
  return line.split(',').map((c) => c.trim().toLowerCase())
}

const isNumber = (c: string | undefined): boolean => c !== undefined && c !== '' && Number.isFinite(Number(c))
const isBoolean = (c: string | undefined): boolean => c === 'true' || c === 'false'

/**
 * A Binance dump by its first line: a header (futures files), else the shape of the values, told apart by where
 * the first true/false stands (trades: 6th column, aggTrades: 7th).
 */
function sniffBinanceDump(cols: readonly string[]): DataFormat | undefined {
  // Only the whole kline header: `open_time,open,high,low,close,volume` alone is an ordinary candle CSV.
  if (cols.length === BINANCE_KLINE_COLUMNS.length && cols.every((c, i) => c === BINANCE_KLINE_COLUMNS[i])) return 'binance-klines-csv'
  if (cols[0] === 'id' && cols.includes('is_buyer_maker')) return 'binance-trades-csv'
  if (cols[0] === 'agg_trade_id') return 'binance-aggtrades-csv'
  const n = cols.length
  if (n === 12 && cols.every(isNumber)) return 'binance-klines-csv'
  if ((n === 6 || n === 7) && cols.slice(0, 5).every(isNumber) && cols.slice(5).every(isBoolean)) return 'binance-trades-csv'
  if ((n === 7 || n === 8) && cols.slice(0, 6).every(isNumber) && cols.slice(6).every(isBoolean)) return 'binance-aggtrades-csv'
  return undefined
}

/** A Tardis.dev CSV by its header; liquidations share the trades columns and are refused by name. */
function sniffTardis(path: string, cols: readonly string[]): DataFormat | undefined {
  if (cols[0] !== 'exchange' || !cols.includes('local_timestamp')) return undefined
  if (cols.includes('is_snapshot')) return 'tardis-incremental-book-csv'
  if (cols.includes('asks[0].price') || cols.includes('bids[0].price')) return 'tardis-book-snapshot-csv'
  if (cols.includes('ask_price') && cols.includes('bid_price')) return 'tardis-quotes-csv'
  if (cols.includes('id') && cols.includes('side') && cols.includes('price') && cols.includes('amount')) {
    if (/liquidations/i.test(basename(path))) {
      throw new InputError(`${path}: Tardis liquidations (trades' columns, but forced closes only); pass --format tardis-trades-csv to read them as trades anyway`)
    }
    return 'tardis-trades-csv'
  }
  return undefined
}

function sniffCsv(path: string, head: string): DataFormat | undefined {
  const line = firstLine(head)
  const cols = headerColumns(line)
  const tardis = sniffTardis(path, cols)
  if (tardis !== undefined) return tardis
  if (cols.includes('first_update_id') && cols.includes('update_type')) return 'binance-depth-csv'
  if (cols.includes('kind') && cols.includes('timestamp')) return 'sofia-csv'
  const binance = sniffBinanceDump(cols)
  if (binance !== undefined) return binance
  if (OHLCV_TIME_COLUMNS.some((c) => cols.includes(c)) && cols.includes('open') && cols.includes('close')) return 'ohlcv-csv'
  if (cols.length === 3 && cols.every(isNumber)) return 'kraken-trades-csv'
  // A dump whose first row is broken: its name still says what it is, and its reader names the bad field.
  const dump = binanceDumpKind(path)
  return dump === undefined ? undefined : BINANCE_DUMP_FORMATS[dump]
}

function sniffJson(head: string): DataFormat | undefined {
  const m = /^\uFEFF?\s*\[\s*([[{])/.exec(head)
  if (!m) return undefined
  if (m[1] === '{') return 'ccxt-trades-json'
  // The first row's shape: six values are OHLCV, seven are freqtrade trades (whatever the values hold, so a
  // bad value is reported by the right reader under the right field name).
  const first = /^\uFEFF?\s*\[\s*(\[[^[\]]*\])/.exec(head)
  if (first) {
    try {
      const values = JSON.parse(first[1]!) as unknown[]
      if (values.length === 6) return 'ohlcv-json'
      if (values.length === 7) return 'trades-json'
    } catch {
      // Not parseable on its own: fall back to the second value's kind.
    }
  }
  // Look at the second value of the first row: a number means OHLCV, a string (trade id) means trades.
  const row = /^\uFEFF?\s*\[\s*\[\s*[-\d.eE+]+\s*,\s*(["\d-]|null)/.exec(head)
  if (!row) return undefined
  return row[1] === '"' ? 'trades-json' : 'ohlcv-json'
}

/**
 * Picks the format of a file from its name and its first characters (already gunzipped).
 * Throws InputError naming the file when nothing fits.
 */
export function detectFormat(path: string, head: string): DataFormat {
  const name = path.toLowerCase().replace(/\.gz$/, '')
  const trimmed = head.replace(/^\uFEFF/, '').trimStart()
  if (trimmed.length === 0) throw new InputError(`${path}: empty file`)
  if (/^\[\s*\]\s*$/.test(trimmed)) throw new InputError(`${path}: no records (empty array)`)
  const looksJson = trimmed.startsWith('[')
  const format = name.endsWith('.json') || (looksJson && !name.endsWith('.csv')) ? sniffJson(head) : sniffCsv(path, head)
  if (format === undefined) {
    throw new InputError(
      `${path}: cannot tell the data format from the name and first line ${JSON.stringify(firstLine(head).slice(0, 80))}; ` +
        `pass --format (one of ${DATA_FORMATS.join(', ')})`,
    )
  }
  return format
}
