/**
 * @module data/reader-context
 * What `openMarketData` hands each format reader, and the shared row-level helpers: a bad field becomes a
 * `RowError` whose message the batcher prefixes with file and line (or record).
 */
import type { MarketEvent } from '../model/index.js'
import type { EventBatcher } from './event-batcher.js'
import type { MutableReadStats } from './read-stats.js'

export interface ReaderContext {
  /** File system path to open. */
  readonly path: string
  /** The path as the user wrote it, for messages. */
  readonly file: string
  readonly gzip: boolean
  /** Venue stamped on every event (rows that carry their own venue override it unless `venueFixed`). */
  readonly venue: string
  /** True when the caller passed `venue`, which then beats the Tardis `exchange` column. */
  readonly venueFixed: boolean
  /** Symbol from options or the file name; rows that carry a symbol use theirs unless `symbolFixed`. */
  readonly symbol: string | undefined
  /** True when the caller passed `symbol`, which then beats what rows say. */
  readonly symbolFixed: boolean
  readonly timeframe: string | undefined
  readonly batcher: EventBatcher
  readonly stats: MutableReadStats
}

export type FormatReader = (ctx: ReaderContext) => AsyncGenerator<MarketEvent[], void, undefined>

/** One bad field or row; the message is the part after `file:line: `. */
export class RowError extends Error {}

/** Quotes a raw value for a message, shortened so one huge bad row cannot flood a terminal. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

export function fieldError(field: string, expected: string, got: unknown): RowError {
  return new RowError(`field '${field}': expected ${expected}, got ${shown(got)}`)
}

export function missingField(field: string): RowError {
  return new RowError(`field '${field}': missing`)
}

/** A finite number from a JSON value. */
export function jsonNumber(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (value === undefined) throw missingField(field)
  throw fieldError(field, 'a number', value)
}

/** A finite number from CSV text (`Number('')` is 0, so empty is checked first). */
export function textNumber(text: string | undefined, field: string): number {
  if (text === undefined || text.length === 0) throw missingField(field)
  const v = Number(text)
  if (!Number.isFinite(v)) throw fieldError(field, 'a number', text)
  return v
}

/** An integer millisecond timestamp. */
export function checkTimestamp(ts: number, field: string, raw: unknown): number {
  if (!Number.isInteger(ts) || ts < 0) throw fieldError(field, 'a timestamp in ms', raw)
  return ts
}

export function checkPositive(v: number, field: string, raw: unknown): number {
  if (!(v > 0)) throw fieldError(field, 'a number > 0', raw)
  return v
}

/** ISO 8601 date, or date and time (`T` or a space between), optional fraction and zone (`Z`, `+01:00`, `+0100`, `+01`). */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time, read as UTC when it has no zone (a market-data
 * file in local time is a bug waiting to happen); a fraction finer than ms is cut. Undefined unless the text is
 * such a date with a real calendar day and clock time: `Date.parse` alone would take `1/2/2024` (which day?),
 * `Jan 2 2024`, and roll `2024-02-30` over to March.
 */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO_8601.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined
  let t = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')))
  if (new Date(t).getUTCDate() !== day) return undefined
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const offset = Number(zone.slice(1, 3)) * 60 + Number(zone.replace(':', '').slice(3, 5) || '0')
    t -= (zone.startsWith('-') ? -offset : offset) * 60_000
  }
  return t
}

/** Timestamp text: integer ms, or an ISO 8601 date-time (UTC when it has no zone; see `parseIsoTime`). */
export function textTimestamp(text: string | undefined, field: string): number {
  if (text === undefined || text.length === 0) throw missingField(field)
  const n = Number(text)
  if (Number.isFinite(n)) return checkTimestamp(n, field, text)
  const t = parseIsoTime(text)
  if (t === undefined || t < 0) throw fieldError(field, 'a timestamp in ms or ISO 8601', text)
  return t
}

/**
 * Drives a row converter over the batcher: bad rows are reported (or skipped), good ones pushed. Returns
 * false when the reader should stop (past `to`).
 */
export function pushRow(batcher: EventBatcher, position: number, convert: () => MarketEvent): boolean {
  let event: MarketEvent
  try {
    event = convert()
  } catch (error) {
    if (!(error instanceof RowError)) throw error
    batcher.bad(position, error.message)
    return true
  }
  return batcher.push(event, position)
}
