/**
 * @module data/event-batcher
 * The part every file reader shares: it checks time order, applies the `from`/`to` window, collects events
 * into batches, and turns a bad row into either a one-line InputError or a counted skip.
 */
import { InputError, type MarketEvent } from '../model/index.js'
import { MAX_BAD_ROW_MESSAGES, type MutableReadStats } from './read-stats.js'

export interface BatcherOptions {
  /** File name as the user gave it: error messages quote it. */
  readonly file: string
  /** Whether positions are text lines (CSV, 1-based) or array records (JSON, 1-based). */
  readonly unit: 'line' | 'record'
  readonly batchSize: number
  /** Inclusive lower bound on timestamps (ms). */
  readonly from: number
  /** Exclusive upper bound on timestamps (ms). */
  readonly to: number
  readonly skipBadRows: boolean
  readonly stats: MutableReadStats
}

/** Returned by `push` when the row lies at or past `to`: data is in time order, so the reader can stop. */
export const PAST_END = false

export class EventBatcher {
  batch: MarketEvent[] = []
  /** Timestamp of the last good row, for the order check. */
  lastTimestamp = Number.NEGATIVE_INFINITY
  readonly file: string
  readonly batchSize: number
  private readonly unit: 'line' | 'record'
  private readonly from: number
  private readonly to: number
  private readonly skipBadRows: boolean
  private readonly stats: MutableReadStats

  constructor(options: BatcherOptions) {
    this.file = options.file
    this.unit = options.unit
    this.batchSize = options.batchSize
    this.from = options.from
    this.to = options.to
    this.skipBadRows = options.skipBadRows
    this.stats = options.stats
  }

  /** `file:17` for lines, `file: record 17` for JSON records. */
  where(position: number): string {
    return this.unit === 'line' ? `${this.file}:${position}` : `${this.file}: record ${position}`
  }

  /** A bad row: throws InputError, or (with skipBadRows) counts it and returns so the reader moves on. */
  bad(position: number, message: string): void {
    const line = `${this.where(position)}: ${message}`
    if (!this.skipBadRows) throw new InputError(line)
    this.stats.badRows++
    if (this.stats.badRowMessages.length < MAX_BAD_ROW_MESSAGES) this.stats.badRowMessages.push(line)
  }

  /**
   * Adds one event read at `position`. Returns false once the event lies at or past `to` (the reader should
   * stop); an out-of-order event is a bad row.
   */
  push(event: MarketEvent, position: number): boolean {
    const ts = event.timestamp
    if (ts < this.lastTimestamp) {
      this.bad(position, `timestamp ${ts} is earlier than the previous row's ${this.lastTimestamp} (rows must be in time order)`)
      return true
    }
    this.lastTimestamp = ts
    if (ts < this.from) {
      this.stats.filteredOut++
      return true
    }
    if (ts >= this.to) return PAST_END
    this.batch.push(event)
    return true
  }

  get full(): boolean {
    return this.batch.length >= this.batchSize
  }

  /** Hands over the current batch (a fresh array each time: consumers may keep it). */
  take(): MarketEvent[] {
    const out = this.batch
    this.batch = []
    this.stats.events += out.length
    return out
  }
}
