/**
 * @module data/tardis-csv
 * Tardis.dev downloadable CSV (`<exchange>_<data type>_<date>_<symbol>.csv.gz`), one event per row:
 * - `trades` `exchange,symbol,timestamp,local_timestamp,id,side,price,amount` → TradeTick;
 * - `quotes` `exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount` → QuoteTick;
 * - `book_snapshot_N` `exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price,
 *   bids[0].amount,…` (top N levels, empty when the book is thinner) → a BookUpdate snapshot.
 * Plus what the incremental book reader shares: times, venue, symbol and header checks.
 *
 * Times are µs since the epoch. Events are stamped with `local_timestamp` (when Tardis received the message),
 * cut to ms: files are in that order, while the exchange's `timestamp` can step back between messages, and a
 * backtest should see data when it arrived. The venue is the `exchange` column, the symbol the `symbol`
 * column in CCXT form where it splits without guessing (`BTCUSDT` → `BTC/USDT`, `BTC-USD` → `BTC/USD`);
 * anything else (`BTC-PERPETUAL`, `BTC-USDT-SWAP`, options) needs `symbol` from the caller. The split says
 * nothing of the market type: binance-futures' `BTCUSDT` reads as `BTC/USDT`, not `BTC/USDT:USDT`.
 */
import { InputError, type BookLevel, type BookUpdate, type MarketEvent, type QuoteTick, type TradeTick } from '../model/index.js'
import { readCsvRows, type CsvHeaderCheck } from './csv-rows.js'
import { headerColumns } from './data-format.js'
import { ccxtSymbolOf } from './file-name.js'
import { RowError, checkPositive, fieldError, missingField, textNumber, type ReaderContext } from './reader-context.js'

/** The columns every Tardis CSV starts with. */
export const TARDIS_KEY_COLUMNS = ['exchange', 'symbol', 'timestamp', 'local_timestamp'] as const

/** A Tardis µs time in ms (cut to the ms it falls in). */
export function tardisTime(text: string | undefined, field: string): number {
  const v = textNumber(text, field)
  if (!Number.isSafeInteger(v) || v < 0) throw fieldError(field, 'a time in µs', text)
  return Math.floor(v / 1000)
}

/**
 * Reads the header into the index of each wanted column (files may add columns; order is not relied on).
 * Throws InputError naming what is missing.
 */
export function tardisHeader(ctx: ReaderContext, wanted: readonly string[], into: number[]): CsvHeaderCheck {
  return (line, lineNo) => {
    const names = headerColumns(line)
    const missing = wanted.filter((c) => !names.includes(c))
    if (missing.length > 0) throw new InputError(`${ctx.file}:${lineNo}: header lacks column(s) ${missing.join(', ')}`)
    into.length = 0
    for (const c of wanted) into.push(names.indexOf(c))
    return true
  }
}

/** A row's venue, symbol and event time (`local_timestamp`, in ms). */
export interface TardisRowKey {
  readonly venue: string
  readonly symbol: string
  readonly timestamp: number
}

/**
 * The venue and symbol of each row: the row's `exchange` unless the caller fixed the venue, the row's symbol
 * in CCXT form unless the caller fixed it. The last raw → CCXT pair is kept, since rows repeat it.
 */
export class TardisMarket {
  private rawSymbol: string | undefined
  private symbol = ''

  /** The last row's key, reused: a new object per row would be garbage for every event read. */
  private readonly key = { venue: '', symbol: '', timestamp: 0 }

  constructor(private readonly ctx: ReaderContext) {}

  /**
   * A row's key columns (TARDIS_KEY_COLUMNS, at `at[0..3]`), checked in column order; the event time is
   * `local_timestamp`, the exchange's `timestamp` is only checked. The object is reused by the next row.
   */
  rowKey(f: readonly string[], at: readonly number[], lineNo: number): TardisRowKey {
    const key = this.key
    key.venue = this.venueOf(f[at[0]!])
    key.symbol = this.symbolOf(f[at[1]!], lineNo)
    tardisTime(f[at[2]!], 'timestamp')
    key.timestamp = tardisTime(f[at[3]!], 'local_timestamp')
    return key
  }

  venueOf(raw: string | undefined): string {
    if (this.ctx.venueFixed) return this.ctx.venue
    if (raw === undefined || raw === '') throw missingField('exchange')
    return raw
  }

  symbolOf(raw: string | undefined, lineNo: number): string {
    if (raw === undefined || raw === '') throw missingField('symbol')
    if (raw === this.rawSymbol) return this.symbol
    const first = this.rawSymbol
    this.rawSymbol = raw
    if (this.ctx.symbolFixed && this.ctx.symbol !== undefined) {
      // One symbol for the whole file: rows of two instruments under it would make one market of both.
      if (first !== undefined) {
        throw new InputError(`${this.ctx.file}:${lineNo}: field 'symbol': the file holds ${first} and ${raw}; a fixed symbol would merge them`)
      }
      this.symbol = this.ctx.symbol
      return this.symbol
    }
    const symbol = ccxtSymbolOf(raw)
    if (symbol === undefined) {
      // Not a bad row to skip: every row of the instrument has it.
      throw new InputError(`${this.ctx.file}:${lineNo}: field 'symbol': cannot tell BASE/QUOTE from ${JSON.stringify(raw)}; pass --symbol (e.g. BTC/USD:BTC)`)
    }
    this.symbol = symbol
    return symbol
  }
}

const TRADE_COLUMNS = [...TARDIS_KEY_COLUMNS, 'id', 'side', 'price', 'amount'] as const
const QUOTE_COLUMNS = [...TARDIS_KEY_COLUMNS, 'ask_amount', 'ask_price', 'bid_price', 'bid_amount'] as const

function takerSide(text: string | undefined): 'buy' | 'sell' | undefined {
  if (text === 'buy' || text === 'sell') return text
  if (text === 'unknown' || text === '' || text === undefined) return undefined
  throw fieldError('side', '"buy", "sell" or "unknown"', text)
}

/**
 * A Tardis file of fixed columns (`columns`, found by name): each row's key read and checked, the rest of the
 * row read by `row`, which finds the wanted columns at `at` (`at[4]` is the first after the key).
 */
async function* readTardisRows<E extends MarketEvent>(
  ctx: ReaderContext,
  columns: readonly string[],
  row: (f: readonly string[], at: readonly number[], key: TardisRowKey) => E,
): AsyncGenerator<E[], void, undefined> {
  const market = new TardisMarket(ctx)
  const at: number[] = []
  yield* readCsvRows<E>(ctx, {
    header: tardisHeader(ctx, columns, at),
    row: (f, lineNo) => row(f, at, market.rowKey(f, at, lineNo)),
  })
}

export async function* readTardisTradesCsv(ctx: ReaderContext): AsyncGenerator<TradeTick[], void, undefined> {
  yield* readTardisRows<TradeTick>(ctx, TRADE_COLUMNS, (f, at, { venue, symbol, timestamp }) => {
    const id = f[at[4]!]
    const side = takerSide(f[at[5]!])
    const price = checkPositive(textNumber(f[at[6]!], 'price'), 'price', f[at[6]!])
    const amount = checkPositive(textNumber(f[at[7]!], 'amount'), 'amount', f[at[7]!])
    // Literal objects, not spreads (with spreads the reader ran about 3× slower); exactOptionalPropertyTypes: no `side: undefined`.
    if (side !== undefined && id) return { kind: 'trade', venue, symbol, timestamp, price, amount, side, id }
    if (side !== undefined) return { kind: 'trade', venue, symbol, timestamp, price, amount, side }
    if (id) return { kind: 'trade', venue, symbol, timestamp, price, amount, id }
    return { kind: 'trade', venue, symbol, timestamp, price, amount }
  })
}

export async function* readTardisQuotesCsv(ctx: ReaderContext): AsyncGenerator<QuoteTick[], void, undefined> {
  yield* readTardisRows<QuoteTick>(ctx, QUOTE_COLUMNS, (f, at, { venue, symbol, timestamp }) => {
    // An empty side (a one-sided book) is missing: a QuoteTick has both.
    const askSize = textNumber(f[at[4]!], 'ask_amount')
    if (askSize < 0) throw fieldError('ask_amount', 'a number >= 0', f[at[4]!])
    const ask = checkPositive(textNumber(f[at[5]!], 'ask_price'), 'ask_price', f[at[5]!])
    const bid = checkPositive(textNumber(f[at[6]!], 'bid_price'), 'bid_price', f[at[6]!])
    const bidSize = textNumber(f[at[7]!], 'bid_amount')
    if (bidSize < 0) throw fieldError('bid_amount', 'a number >= 0', f[at[7]!])
    if (ask < bid) throw new RowError(`field 'ask_price': ${ask} is below bid_price ${bid} (crossed quote)`)
    return { kind: 'quote', venue, symbol, timestamp, bid, bidSize, ask, askSize }
  })
}

/** Columns of book_snapshot_N, level by level; the depth is what the header has. */
function snapshotHeader(ctx: ReaderContext, at: number[], depth: { levels: number }): CsvHeaderCheck {
  return (line, lineNo) => {
    const names = headerColumns(line)
    let levels = 0
    while (names.includes(`asks[${levels}].price`) || names.includes(`bids[${levels}].price`)) levels++
    const wanted: string[] = [...TARDIS_KEY_COLUMNS]
    for (let i = 0; i < levels; i++) wanted.push(`asks[${i}].price`, `asks[${i}].amount`, `bids[${i}].price`, `bids[${i}].amount`)
    const missing = wanted.filter((c) => !names.includes(c))
    if (levels === 0) missing.push('asks[0].price', 'asks[0].amount', 'bids[0].price', 'bids[0].amount')
    if (missing.length > 0) throw new InputError(`${ctx.file}:${lineNo}: header lacks column(s) ${missing.join(', ')}`)
    at.length = 0
    for (const c of wanted) at.push(names.indexOf(c))
    depth.levels = levels
    return true
  }
}

/** The levels of one side, best first; an empty level (both fields) ends nothing but adds nothing. */
function snapshotSide(f: readonly string[], at: readonly number[], levels: number, side: 'asks' | 'bids'): BookLevel[] {
  const out: BookLevel[] = []
  const offset = side === 'asks' ? 0 : 2
  for (let i = 0; i < levels; i++) {
    const priceText = f[at[4 + i * 4 + offset]!]
    const amountText = f[at[5 + i * 4 + offset]!]
    if ((priceText === '' || priceText === undefined) && (amountText === '' || amountText === undefined)) continue
    const priceField = `${side}[${i}].price`
    const price = checkPositive(textNumber(priceText, priceField), priceField, priceText)
    const amountField = `${side}[${i}].amount`
    const amount = checkPositive(textNumber(amountText, amountField), amountField, amountText)
    const prev = out.at(-1)
    if (prev !== undefined && (side === 'asks' ? price <= prev[0] : price >= prev[0])) {
      throw new RowError(`field '${priceField}': ${price} is not ${side === 'asks' ? 'above' : 'below'} the level before it (${prev[0]})`)
    }
    out.push([price, amount])
  }
  return out
}

export async function* readTardisBookSnapshotCsv(ctx: ReaderContext): AsyncGenerator<BookUpdate[], void, undefined> {
  const market = new TardisMarket(ctx)
  const at: number[] = []
  const depth = { levels: 0 }
  yield* readCsvRows<BookUpdate>(ctx, {
    header: snapshotHeader(ctx, at, depth),
    row: (f, lineNo) => {
      const { venue, symbol, timestamp } = market.rowKey(f, at, lineNo)
      const asks = snapshotSide(f, at, depth.levels, 'asks')
      const bids = snapshotSide(f, at, depth.levels, 'bids')
      return { kind: 'book', venue, symbol, timestamp, snapshot: true, bids, asks }
    },
  })
}
