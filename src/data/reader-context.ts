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
  /** Venue stamped on every event (rows that carry their own venue override it). */
  readonly venue: string
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

/**
 * Timestamp text: integer ms, or an ISO 8601 date-time (read as UTC when it has no offset, because a
 * market-data file in local time is a bug waiting to happen).
 */
export function textTimestamp(text: string | undefined, field: string): number {
  if (text === undefined || text.length === 0) throw missingField(field)
  const n = Number(text)
  if (Number.isFinite(n)) return checkTimestamp(n, field, text)
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`
  const t = Date.parse(iso.includes('T') || !iso.includes(' ') ? iso : iso.replace(' ', 'T'))
  if (!Number.isFinite(t)) throw fieldError(field, 'a timestamp in ms or ISO 8601', text)
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
