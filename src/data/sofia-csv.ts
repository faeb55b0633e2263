/**
 * @module data/sofia-csv
 * Sofia's own market-data CSV: the format tools write (recordings, the synthetic market, benchmarks) and
 * the fastest one to read.
 *
 * Format `sofia-csv`
 * ------------------
 * - UTF-8 text, one event per line, `\n` (or `\r\n`) line ends, `,` separator, no quoting (no field may
 *   contain a comma). Optionally gzip-compressed (`.csv.gz`).
 * - The first line is a header naming the columns. Column order is free; an unknown column is an error
 *   (a typo must not silently drop data). Canonical header, as written by `writeSofiaCsv`:
 *
 *       timestamp,venue,symbol,kind,price,amount,side,bid,bid_size,ask,ask_size
 *
 * - Columns:
 *   | column    | rows   | required | meaning                                                         |
 *   |-----------|--------|----------|-----------------------------------------------------------------|
 *   | timestamp | all    | yes      | integer milliseconds since the Unix epoch, UTC                  |
 *   | kind      | all    | yes      | `trade` or `quote`                                              |
 *   | venue     | all    | no       | venue id (e.g. `binance`); column absent → the `venue` option   |
 *   | symbol    | all    | no       | CCXT symbol (`BTC/USDT`); column absent → the `symbol` option   |
 *   | price     | trade  | trades   | trade price, > 0                                                |
 *   | amount    | trade  | trades   | trade size in base currency, > 0                                |
 *   | side      | trade  | no       | taker side `buy` or `sell`; empty when unknown                  |
 *   | id        | trade  | no       | trade id; empty when unknown                                    |
 *   | bid       | quote  | quotes   | best bid price, > 0                                             |
 *   | bid_size  | quote  | quotes   | size at the best bid, >= 0                                      |
 *   | ask       | quote  | quotes   | best ask price, > 0 and >= bid                                  |
 *   | ask_size  | quote  | quotes   | size at the best ask, >= 0                                      |
 *
 *   Fields a row's kind does not use are left empty. Numbers are plain decimals (`1e-7` style also reads).
 * - Rows are in non-decreasing timestamp order across the whole file (several venues and symbols may
 *   interleave). Blank lines are ignored.
 *
 * Example:
 *
 *       timestamp,venue,symbol,kind,price,amount,side,bid,bid_size,ask,ask_size
 *       1704067200000,alpha,BTC/USDT,quote,,,,42999.5,0.8,43000.5,1.2
 *       1704067200000,alpha,BTC/USDT,trade,43000.5,0.015,buy,,,,
 *
 * The reader avoids per-row splits and regexes: it walks each chunk with indexOf, records field bounds in
 * typed arrays, reuses the previous row's venue/symbol string when the bytes match, and parses decimals
 * with an exact fast path (integer mantissa / power of ten, correctly rounded) before falling back to Number().
 */
import { InputError, type MarketEvent, type QuoteTick, type TradeTick } from '../model/index.js'
import { headerColumns } from './data-format.js'
import { textChunks } from './file-input.js'
import { RowError, fieldError, missingField, type ReaderContext } from './reader-context.js'

export const SOFIA_CSV_COLUMNS = [
  'timestamp',
  'venue',
  'symbol',
  'kind',
  'price',
  'amount',
  'side',
  'bid',
  'bid_size',
  'ask',
  'ask_size',
  'id',
] as const
type Column = (typeof SOFIA_CSV_COLUMNS)[number]

/** The header `writeSofiaCsv` writes (all columns but the optional `id`). */
export const SOFIA_CSV_HEADER = 'timestamp,venue,symbol,kind,price,amount,side,bid,bid_size,ask,ask_size'

// Slot numbers: index into SOFIA_CSV_COLUMNS.
const TS = 0
const VENUE = 1
const SYMBOL = 2
const KIND = 3
const PRICE = 4
const AMOUNT = 5
const SIDE = 6
const BID = 7
const BID_SIZE = 8
const ASK = 9
const ASK_SIZE = 10
const ID = 11
const SLOTS = SOFIA_CSV_COLUMNS.length

const COMMA = 44
const CR = 13
const DOT = 46
const ZERO = 48

/** Exact powers of ten as doubles (10^0 … 10^22 are exactly representable). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i)

/**
 * Parses a plain decimal `text[start, end)` exactly: when the digits fit in 2^53 and there are at most 22
 * decimals, `mantissa / 10^decimals` is one correctly rounded division, the same double `Number()` gives.
 * Anything else (signs, exponents, long digit strings) goes to Number(). NaN for empty or malformed text.
 */
export function parseDecimal(text: string, start: number, end: number): number {
  if (start >= end) return Number.NaN
  let mantissa = 0
  let decimals = -1
  let digits = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - ZERO
    if (c >= 0 && c <= 9) {
      mantissa = mantissa * 10 + c
      digits++
      if (decimals >= 0) decimals++
    } else if (c === DOT - ZERO && decimals < 0) {
      decimals = 0
    } else {
      return Number(text.slice(start, end))
    }
  }
  if (digits === 0) return Number.NaN
  if (digits > 15 || decimals > 22) return Number(text.slice(start, end))
  return decimals <= 0 ? mantissa : mantissa / POW10[decimals]!
}

/**
 * The line parser, as a class: its per-chunk loop is a plain method (not generator code) so V8 optimizes it
 * fully, and its state lives in fields rather than closure captures.
 */
class SofiaCsvParser {
  /** For each file column, the slot it fills. */
  private columnSlots: Int32Array | undefined
  private columnCount = 0
  private readonly starts = new Int32Array(SLOTS)
  private readonly ends = new Int32Array(SLOTS)
  private readonly present = new Uint8Array(SLOTS)
  lineNo = 0
  private readonly defaultVenue: string
  private readonly fixedSymbol: string | undefined
  private lastVenue: string
  private lastSymbol: string

  constructor(private readonly ctx: ReaderContext) {
    this.defaultVenue = ctx.venue
    this.fixedSymbol = ctx.symbolFixed ? ctx.symbol : undefined
    this.lastVenue = ctx.venue
    this.lastSymbol = ctx.symbol ?? ''
  }

  get sawHeader(): boolean {
    return this.columnSlots !== undefined
  }

  /**
   * Parses the lines of `text[from, to)` (complete lines only) into the batcher, moving full batches to
   * `ready`. Returns false once a row lies past the `to` option.
   */
  parseLines(text: string, from: number, to: number, ready: MarketEvent[][]): boolean {
    const b = this.ctx.batcher
    const stats = this.ctx.stats
    const starts = this.starts
    const ends = this.ends
    const n = to
    let pos = from
    while (pos < n) {
      let eol = text.indexOf('\n', pos)
      if (eol === -1 || eol > n) eol = n
      let end = eol
      if (end > pos && text.charCodeAt(end - 1) === CR) end--
      const lineStart = pos
      pos = eol + 1
      this.lineNo++
      const columnSlots = this.columnSlots
      if (columnSlots === undefined) {
        this.readHeader(text.slice(lineStart, end).replace(/^\uFEFF/, ''))
        continue
      }
      if (end === lineStart) continue
      stats.rows++
      // Field bounds into starts/ends by slot. Fields are short, so a charCodeAt scan beats indexOf calls.
      const columnCount = this.columnCount
      let p = lineStart
      let col = 0
      for (; col < columnCount; col++) {
        let c = p
        while (c < end && text.charCodeAt(c) !== COMMA) c++
        const slot = columnSlots[col]!
        starts[slot] = p
        ends[slot] = c
        p = c + 1
        if (c === end) {
          col++
          break
        }
      }
      // A short line leaves its trailing fields empty (columns absent from the header stay empty for good).
      for (let k = col; k < columnCount; k++) {
        const slot = columnSlots[k]!
        starts[slot] = 0
        ends[slot] = 0
      }
      let event: MarketEvent
      try {
        if (p <= end && col === columnCount) throw new RowError(`expected ${columnCount} fields, got more`)
        event = this.convert(text)
      } catch (error) {
        if (!(error instanceof RowError)) throw error
        b.bad(this.lineNo, error.message)
        continue
      }
      if (!b.push(event, this.lineNo)) return false
      if (b.batch.length >= b.batchSize) ready.push(b.take())
    }
    return true
  }

  private readHeader(line: string): void {
    const ctx = this.ctx
    const names = headerColumns(line)
    this.columnCount = names.length
    const slots = new Int32Array(names.length)
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      const slot = (SOFIA_CSV_COLUMNS as readonly string[]).indexOf(name)
      if (slot === -1) {
        throw new InputError(`${ctx.file}:1: unknown column '${name}' (known: ${SOFIA_CSV_COLUMNS.join(', ')})`)
      }
      if (this.present[slot] === 1) throw new InputError(`${ctx.file}:1: column '${name}' appears twice`)
      this.present[slot] = 1
      slots[i] = slot
    }
    for (const required of ['timestamp', 'kind'] as const) {
      if (this.present[SOFIA_CSV_COLUMNS.indexOf(required)] !== 1) {
        throw new InputError(`${ctx.file}:1: header lacks the '${required}' column`)
      }
    }
    if (this.present[SYMBOL] !== 1 && ctx.symbol === undefined) {
      throw new InputError(`${ctx.file}: no 'symbol' column and no symbol from the file name; pass a symbol`)
    }
    this.columnSlots = slots
  }

  private num(text: string, slot: number, name: Column): number {
    const s = this.starts[slot]!
    const e = this.ends[slot]!
    const v = parseDecimal(text, s, e)
    if (v === v && v !== Infinity && v !== -Infinity) return v
    if (s >= e) throw missingField(name)
    throw fieldError(name, 'a number', text.slice(s, e))
  }

  private positive(text: string, slot: number, name: Column): number {
    const v = this.num(text, slot, name)
    if (v > 0) return v
    throw fieldError(name, 'a number > 0', text.slice(this.starts[slot]!, this.ends[slot]!))
  }

  private nonNegative(text: string, slot: number, name: Column): number {
    const v = this.num(text, slot, name)
    if (v >= 0) return v
    throw fieldError(name, 'a number >= 0', text.slice(this.starts[slot]!, this.ends[slot]!))
  }

  /** Converts the line whose field bounds are in starts/ends. Throws RowError on bad data. */
  private convert(text: string): MarketEvent {
    const starts = this.starts
    const ends = this.ends
    const present = this.present
    // Timestamp: digits only, parsed inline (it is the one field every row has).
    const ts0 = starts[TS]!
    const ts1 = ends[TS]!
    if (ts0 >= ts1) throw missingField('timestamp')
    let ts = 0
    for (let i = ts0; i < ts1; i++) {
      const c = text.charCodeAt(i) - ZERO
      if (c < 0 || c > 9) throw fieldError('timestamp', 'an integer timestamp in ms', text.slice(ts0, ts1))
      ts = ts * 10 + c
    }

    let venue = this.lastVenue
    if (present[VENUE] === 1) {
      const s = starts[VENUE]!
      const len = ends[VENUE]! - s
      if (len === 0) venue = this.defaultVenue
      else if (len !== venue.length || !text.startsWith(venue, s)) venue = this.lastVenue = text.slice(s, s + len)
    }
    let symbol = this.fixedSymbol ?? this.lastSymbol
    if (this.fixedSymbol === undefined && present[SYMBOL] === 1) {
      const s = starts[SYMBOL]!
      const len = ends[SYMBOL]! - s
      if (len === 0) {
        if (this.ctx.symbol === undefined) throw missingField('symbol')
        symbol = this.ctx.symbol
      } else if (len !== symbol.length || !text.startsWith(symbol, s)) symbol = this.lastSymbol = text.slice(s, s + len)
    }

    const k0 = starts[KIND]!
    const kLen = ends[KIND]! - k0
    if (kLen === 5 && text.startsWith('trade', k0)) {
      const price = this.positive(text, PRICE, 'price')
      const amount = this.positive(text, AMOUNT, 'amount')
      let side: 'buy' | 'sell' | undefined
      if (present[SIDE] === 1) {
        const s0 = starts[SIDE]!
        const sLen = ends[SIDE]! - s0
        if (sLen === 3 && text.startsWith('buy', s0)) side = 'buy'
        else if (sLen === 4 && text.startsWith('sell', s0)) side = 'sell'
        else if (sLen !== 0) throw fieldError('side', '"buy", "sell" or empty', text.slice(s0, s0 + sLen))
      }
      const id = present[ID] === 1 && ends[ID]! > starts[ID]! ? text.slice(starts[ID]!, ends[ID]!) : undefined
      if (side !== undefined) {
        return id === undefined
          ? ({ kind: 'trade', venue, symbol, timestamp: ts, price, amount, side } satisfies TradeTick)
          : ({ kind: 'trade', venue, symbol, timestamp: ts, price, amount, side, id } satisfies TradeTick)
      }
      return id === undefined
        ? ({ kind: 'trade', venue, symbol, timestamp: ts, price, amount } satisfies TradeTick)
        : ({ kind: 'trade', venue, symbol, timestamp: ts, price, amount, id } satisfies TradeTick)
    }
    if (kLen === 5 && text.startsWith('quote', k0)) {
      const bid = this.positive(text, BID, 'bid')
      const bidSize = this.nonNegative(text, BID_SIZE, 'bid_size')
      const ask = this.positive(text, ASK, 'ask')
      const askSize = this.nonNegative(text, ASK_SIZE, 'ask_size')
      if (ask < bid) throw new RowError(`field 'ask': ${ask} is below bid ${bid} (crossed quote)`)
      return { kind: 'quote', venue, symbol, timestamp: ts, bid, bidSize, ask, askSize } satisfies QuoteTick
    }
    if (kLen === 0) throw missingField('kind')
    throw fieldError('kind', '"trade" or "quote"', text.slice(k0, k0 + kLen))
  }
}

/** Reads `sofia-csv`. See the module comment for the format. */
export async function* readSofiaCsv(ctx: ReaderContext): AsyncGenerator<MarketEvent[], void, undefined> {
  const parser = new SofiaCsvParser(ctx)
  const b = ctx.batcher
  const ready: MarketEvent[][] = []
  // Each chunk is parsed in place, never sliced or concatenated: V8 reads a flat string faster than a
  // sliced or cons one. Only the line split across two chunks is glued together on its own.
  let carry = ''
  let more = true
  for await (const chunk of textChunks(ctx.path, ctx.gzip)) {
    let start = 0
    if (carry.length > 0) {
      const nl = chunk.indexOf('\n')
      if (nl === -1) {
        carry += chunk
        continue
      }
      const line = carry + chunk.slice(0, nl + 1)
      carry = ''
      start = nl + 1
      more = parser.parseLines(line, 0, line.length, ready)
    }
    const last = chunk.lastIndexOf('\n')
    if (more && last >= start) {
      more = parser.parseLines(chunk, start, last + 1, ready)
      start = last + 1
    }
    if (start < chunk.length) carry = chunk.slice(start)
    for (const batch of ready) yield batch
    ready.length = 0
    if (!more) break
  }
  if (more && carry.length > 0) parser.parseLines(carry, 0, carry.length, ready)
  for (const batch of ready) yield batch
  if (more) {
    if (!parser.sawHeader) throw new InputError(`${ctx.file}: empty file`)
    if (ctx.stats.rows === 0) throw new InputError(`${ctx.file}: no data rows after the header`)
  }
  if (b.batch.length > 0) yield b.take()
}
