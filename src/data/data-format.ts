/**
 * @module data/data-format
 * The file formats Sofia reads, and how a format is told from a file: the extension narrows it down, the
 * first bytes decide (a `.json` can hold candles, trade rows or CCXT trade objects).
 */
import { InputError } from '../model/index.js'

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
] as const
export type DataFormat = (typeof DATA_FORMATS)[number]

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

function sniffCsv(head: string): DataFormat | undefined {
  const line = firstLine(head)
  const cols = headerColumns(line)
  if (cols.includes('first_update_id') && cols.includes('update_type')) return 'binance-depth-csv'
  if (cols.includes('kind') && cols.includes('timestamp')) return 'sofia-csv'
  if (OHLCV_TIME_COLUMNS.some((c) => cols.includes(c)) && cols.includes('open') && cols.includes('close')) return 'ohlcv-csv'
  if (cols.length === 3 && cols.every((c) => c !== '' && Number.isFinite(Number(c)))) return 'kraken-trades-csv'
  return undefined
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
  const format = name.endsWith('.json') || (looksJson && !name.endsWith('.csv')) ? sniffJson(head) : sniffCsv(head)
  if (format === undefined) {
    throw new InputError(
      `${path}: cannot tell the data format from the name and first line ${JSON.stringify(firstLine(head).slice(0, 80))}; ` +
        `pass --format (one of ${DATA_FORMATS.join(', ')})`,
    )
  }
  return format
}
