/**
 * @module data/parquet
 * Parquet files of trades or candles, read with hyparquet (pure JavaScript, no native build), one row group at
 * a time so memory stays bounded by the file's row groups, not its size.
 *
 * Columns are found by name, case-insensitively, under the names the common sources use:
 * - time: `timestamp`, `time`, `ts`, `datetime`, `date`, `open_time`, `transact_time`; a Parquet TIMESTAMP, or a
 *   number in s, ms, µs or ns (told by its size), or an ISO 8601 text;
 * - trades: `price`, and `amount` / `qty` / `quantity` / `size` / `volume`; optional `side` (buy/sell) or
 *   `is_buyer_maker` (Binance: true means the taker sold), and `id` / `trade_id` / `agg_trade_id`;
 * - candles: `open`, `high`, `low`, `close`, and `volume` (optional).
 * A file with open/high/low/close columns is candles, one with price and an amount column is trades. A bad value
 * is reported as `file: record N: field 'x': …`, N counting rows from 1.
 */
import type * as HyparquetModule from 'hyparquet'
import type { FileMetaData } from 'hyparquet'
import { InputError, type Bar, type TradeTick } from '../model/index.js'
import { makeBar, requireMarket } from './ohlcv.js'
import { checkPositive, fieldError, missingField, parseIsoTime, pushRow, type ReaderContext } from './reader-context.js'

const TIME = ['timestamp', 'time', 'ts', 'datetime', 'date', 'open_time', 'transact_time']
const AMOUNT = ['amount', 'qty', 'quantity', 'size', 'volume', 'base_amount']
const ID = ['id', 'trade_id', 'agg_trade_id']

/** hyparquet, loaded the first time a Parquet file is read (it costs ~40 ms at start-up otherwise). */
type Hyparquet = typeof HyparquetModule

interface Opened {
  readonly lib: Hyparquet
  readonly file: Awaited<ReturnType<Hyparquet['asyncBufferFromFile']>>
  readonly metadata: FileMetaData
  /** Column names as the file spells them, by lower-case name. */
  readonly columns: ReadonlyMap<string, string>
}

async function open(path: string, shownAs: string): Promise<Opened> {
  const lib = await import('hyparquet')
  const file = await lib.asyncBufferFromFile(path)
  let metadata: FileMetaData
  try {
    metadata = await lib.parquetMetadataAsync(file)
  } catch (error) {
    throw new InputError(`${shownAs}: not a readable Parquet file (${error instanceof Error ? error.message : String(error)})`)
  }
  const columns = new Map(lib.parquetSchema(metadata).children.map((c) => [c.element.name.toLowerCase(), c.element.name]))
  return { lib, file, metadata, columns }
}

function pick(o: Opened, names: readonly string[]): string | undefined {
  for (const n of names) {
    const found = o.columns.get(n)
    if (found !== undefined) return found
  }
  return undefined
}

/** Trades or candles, from the columns of a Parquet file; InputError naming the file when neither fits. */
export async function detectParquetFormat(path: string, shownAs: string): Promise<'trades-parquet' | 'ohlcv-parquet'> {
  const o = await open(path, shownAs)
  if (['open', 'high', 'low', 'close'].every((c) => o.columns.has(c))) return 'ohlcv-parquet'
  if (o.columns.has('price') && pick(o, AMOUNT) !== undefined) return 'trades-parquet'
  throw new InputError(`${shownAs}: a Parquet file with neither candle columns (open, high, low, close) nor trade columns (price, amount); it has ${[...o.columns.values()].join(', ')}`)
}

/** Milliseconds from a Parquet value: a Date (TIMESTAMP), a number or bigint in s/ms/µs/ns, or ISO 8601 text. */
function timeOf(value: unknown, field: string): number {
  if (value instanceof Date) {
    const t = value.getTime()
    if (Number.isFinite(t)) return t
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    const v = Number(value)
    if (Number.isFinite(v) && v >= 0) {
      if (v >= 1e17) return Math.floor(v / 1e6) // ns
      if (v >= 1e14) return Math.floor(v / 1e3) // µs
      if (v >= 1e11) return Math.floor(v) // ms
      return Math.round(v * 1000) // s
    }
  } else if (typeof value === 'string') {
    const t = parseIsoTime(value)
    if (t !== undefined) return t
  }
  if (value === null || value === undefined) throw missingField(field)
  throw fieldError(field, 'a time', value instanceof Date ? String(value) : typeof value === 'bigint' ? String(value) : value)
}

function numberOf(value: unknown, field: string): number {
  const v = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  if (Number.isFinite(v)) return v
  if (value === null || value === undefined) throw missingField(field)
  throw fieldError(field, 'a number', typeof value === 'bigint' ? String(value) : value)
}

/** Rows of one row group as arrays, in the order of `columns`. */
function readGroup(o: Opened, columns: string[], rowStart: number, rowEnd: number): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    o.lib.parquetRead({ file: o.file, metadata: o.metadata, columns, rowStart, rowEnd, onComplete: (rows) => resolve(rows as unknown[][]) }).catch(reject)
  })
}

async function* readRows<E extends TradeTick | Bar>(ctx: ReaderContext, o: Opened, columns: string[], convert: (row: unknown[]) => E): AsyncGenerator<E[], void, undefined> {
  const b = ctx.batcher
  let record = 0
  let rowStart = 0
  for (const group of o.metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows)
    const rows = await readGroup(o, columns, rowStart, rowEnd)
    rowStart = rowEnd
    for (const row of rows) {
      record++
      ctx.stats.rows++
      if (!pushRow(b, record, () => convert(row))) {
        if (b.batch.length > 0) yield b.take() as E[]
        return
      }
      if (b.full) yield b.take() as E[]
    }
  }
  if (record === 0) throw new InputError(`${ctx.file}: no rows`)
  if (b.batch.length > 0) yield b.take() as E[]
}

export async function* readTradesParquet(ctx: ReaderContext): AsyncGenerator<TradeTick[], void, undefined> {
  const symbol = ctx.symbol
  if (symbol === undefined) throw new InputError(`${ctx.file}: cannot tell the symbol from the file name; pass a symbol (e.g. BTC/USDT)`)
  const o = await open(ctx.path, ctx.file)
  const time = pick(o, TIME)
  const amount = pick(o, AMOUNT)
  if (time === undefined) throw new InputError(`${ctx.file}: no time column (one of ${TIME.join(', ')})`)
  if (amount === undefined || !o.columns.has('price')) throw new InputError(`${ctx.file}: no price and amount columns`)
  const side = o.columns.get('side')
  const maker = o.columns.get('is_buyer_maker')
  const id = pick(o, ID)
  const columns = [time, o.columns.get('price')!, amount, ...(side !== undefined ? [side] : maker !== undefined ? [maker] : []), ...(id !== undefined ? [id] : [])]
  const hasSide = side !== undefined || maker !== undefined
  const venue = ctx.venue
  yield* readRows<TradeTick>(ctx, o, columns, (r) => {
    const timestamp = timeOf(r[0], time)
    const price = checkPositive(numberOf(r[1], 'price'), 'price', r[1])
    const size = checkPositive(numberOf(r[2], amount), amount, r[2])
    const tick: { -readonly [K in keyof TradeTick]: TradeTick[K] } = { kind: 'trade', venue, symbol, timestamp, price, amount: size }
    if (hasSide) {
      const v = r[3]
      if (side !== undefined) {
        const s = typeof v === 'string' ? v.toLowerCase() : v
        if (s !== 'buy' && s !== 'sell') throw fieldError(side, 'buy or sell', v)
        tick.side = s
      } else {
        if (typeof v !== 'boolean') throw fieldError(maker!, 'true or false', v)
        tick.side = v ? 'sell' : 'buy'
      }
    }
    const raw = id === undefined ? undefined : r[hasSide ? 4 : 3]
    if (raw !== undefined && raw !== null) tick.id = String(raw)
    return tick
  })
}

export async function* readOhlcvParquet(ctx: ReaderContext): AsyncGenerator<Bar[], void, undefined> {
  const { symbol, timeframe } = requireMarket(ctx)
  const o = await open(ctx.path, ctx.file)
  const time = pick(o, TIME)
  if (time === undefined) throw new InputError(`${ctx.file}: no time column (one of ${TIME.join(', ')})`)
  const volume = o.columns.get('volume')
  const columns = [time, ...['open', 'high', 'low', 'close'].map((c) => o.columns.get(c)!), ...(volume !== undefined ? [volume] : [])]
  yield* readRows<Bar>(ctx, o, columns, (r) => {
    const ts = timeOf(r[0], time)
    const [open, high, low, close] = [1, 2, 3, 4].map((i) => numberOf(r[i], columns[i]!.toLowerCase())) as [number, number, number, number]
    return makeBar(ctx, symbol, timeframe, ts, open, high, low, close, volume === undefined ? 0 : numberOf(r[5], 'volume'))
  })
}
