/**
 * @module data/ohlcv
 * OHLCV readers: freqtrade/CCXT JSON rows `[ts, open, high, low, close, volume]` and CSV with a header such as
 * `timestamp,open,high,low,close,volume` or `date,open,high,low,close,volume` (any column order; the time as
 * ms or an ISO 8601 date-time like `2024-01-01 00:00:00`, UTC unless it says otherwise). Both give `Bar`
 * events stamped with the bar's open time.
 * A `null` volume (mark-price candles) reads as 0: the bar exists, nothing traded on it.
 */
import { InputError, timeframeMs, type Bar } from '../model/index.js'
import { csvLineArrays } from './csv-lines.js'
import { OHLCV_TIME_COLUMNS, headerColumns } from './data-format.js'
import { readJsonRecords } from './json-records.js'
import { readNumberRow } from './json-number-row.js'
import {
  RowError,
  checkTimestamp,
  fieldError,
  jsonNumber,
  pushRow,
  shown,
  textNumber,
  textTimestamp,
  type ReaderContext,
} from './reader-context.js'

const OHLCV_FIELDS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const

export function requireMarket(ctx: ReaderContext): { symbol: string; timeframe: string } {
  if (ctx.symbol === undefined) {
    throw new InputError(`${ctx.file}: cannot tell the symbol from the file name; pass a symbol (e.g. BTC/USDT)`)
  }
  if (ctx.timeframe === undefined || timeframeMs(ctx.timeframe) === undefined) {
    const what = ctx.timeframe === undefined ? 'cannot tell the timeframe from the file name' : `bad timeframe '${ctx.timeframe}'`
    throw new InputError(`${ctx.file}: ${what}; pass a timeframe (e.g. 1m, 5m, 1h)`)
  }
  return { symbol: ctx.symbol, timeframe: ctx.timeframe }
}

export function makeBar(
  ctx: ReaderContext,
  symbol: string,
  timeframe: string,
  timestamp: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
): Bar {
  // Funding-rate files reuse the shape with open = rate (which may be negative) and zeros elsewhere; every
  // other row is a price bar, and a price is positive.
  // Four plain tests, not a loop over [name, value] pairs: that loop allocated five arrays per bar.
  if (!(open > 0 && high > 0 && low > 0 && close > 0) && !(high === 0 && low === 0 && close === 0)) {
    if (!(open > 0)) throw fieldError('open', 'a price > 0', open)
    if (!(high > 0)) throw fieldError('high', 'a price > 0', high)
    if (!(low > 0)) throw fieldError('low', 'a price > 0', low)
    throw fieldError('close', 'a price > 0', close)
  }
  if (low > high) throw new RowError(`field 'low': ${low} is above high ${high}`)
  if (volume < 0) throw fieldError('volume', 'a number >= 0', volume)
  return { kind: 'bar', venue: ctx.venue, symbol, timestamp, timeframe, open, high, low, close, volume }
}

export async function* readOhlcvJson(ctx: ReaderContext): AsyncGenerator<Bar[], void, undefined> {
  const { symbol, timeframe } = requireMarket(ctx)
  const fields = new Float64Array(6)
  // A row of six plain numbers is read without JSON.parse; any other row (null volume, strings, a field
  // missing or extra) takes the general path below, which gives the same bar or reports the same error.
  const fast = (text: string): Bar | undefined => {
    if (!readNumberRow(text, fields)) return undefined
    const ts = checkTimestamp(fields[0]!, 'timestamp', fields[0])
    return makeBar(ctx, symbol, timeframe, ts, fields[1]!, fields[2]!, fields[3]!, fields[4]!, fields[5]!)
  }
  yield* readJsonRecords(ctx, (row) => {
    if (!Array.isArray(row)) throw new RowError(`expected a row [timestamp, open, high, low, close, volume], got ${shown(row)}`)
    const r = row as unknown[]
    // Fields are read left to right so the first bad one is the one reported.
    const ts = checkTimestamp(jsonNumber(r[0], 'timestamp'), 'timestamp', r[0])
    const open = jsonNumber(r[1], 'open')
    const high = jsonNumber(r[2], 'high')
    const low = jsonNumber(r[3], 'low')
    const close = jsonNumber(r[4], 'close')
    const v = r[5]
    const volume = v === null ? 0 : jsonNumber(v, 'volume')
    return makeBar(ctx, symbol, timeframe, ts, open, high, low, close, volume)
  }, fast) as AsyncGenerator<Bar[], void, undefined>
}

export async function* readOhlcvCsv(ctx: ReaderContext): AsyncGenerator<Bar[], void, undefined> {
  const { symbol, timeframe } = requireMarket(ctx)
  const b = ctx.batcher
  let lineNo = 0
  let columns: number[] | undefined
  /** The time column's own name, so a bad time is reported under the name the file uses. */
  let timeField = 'timestamp'
  for await (const lines of csvLineArrays(ctx.path, ctx.gzip)) {
    for (const line of lines) {
      lineNo++
      if (columns === undefined) {
        const names = headerColumns(line)
        const time = OHLCV_TIME_COLUMNS.find((c) => names.includes(c))
        if (time !== undefined) timeField = time
        columns = OHLCV_FIELDS.map((f) => names.indexOf(f === 'timestamp' ? (time ?? f) : f))
        const missing = OHLCV_FIELDS.filter((_, i) => columns![i] === -1 && OHLCV_FIELDS[i] !== 'volume').map((f) =>
          f === 'timestamp' ? `a time (${OHLCV_TIME_COLUMNS.join(', ')})` : f,
        )
        if (missing.length > 0) throw new InputError(`${ctx.file}:1: header lacks column(s) ${missing.join(', ')}`)
        continue
      }
      if (line.trim().length === 0) continue
      ctx.stats.rows++
      const cols = columns
      const ok = pushRow(b, lineNo, () => {
        const f = line.split(',')
        const at = (i: number): string | undefined => (cols[i]! === -1 ? undefined : f[cols[i]!]?.trim())
        const ts = textTimestamp(at(0), timeField)
        const open = textNumber(at(1), 'open')
        const high = textNumber(at(2), 'high')
        const low = textNumber(at(3), 'low')
        const close = textNumber(at(4), 'close')
        const vol = at(5)
        const volume = vol === undefined || vol === '' || vol === 'null' ? 0 : textNumber(vol, 'volume')
        return makeBar(ctx, symbol, timeframe, ts, open, high, low, close, volume)
      })
      if (!ok) {
        if (b.batch.length > 0) yield b.take() as Bar[]
        return
      }
      if (b.full) yield b.take() as Bar[]
    }
  }
  if (columns === undefined) throw new InputError(`${ctx.file}: empty file`)
  if (ctx.stats.rows === 0) throw new InputError(`${ctx.file}: no data rows after the header`)
  if (b.batch.length > 0) yield b.take() as Bar[]
}
