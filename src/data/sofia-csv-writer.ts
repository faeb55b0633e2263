/**
 * @module data/sofia-csv-writer
 * Writes the `sofia-csv` format (see sofia-csv.ts) from trades and quotes, streaming with back-pressure so
 * a generator can write millions of rows in constant memory. Book updates and bars have no row form in
 * this format and are counted as skipped.
 */
import { createWriteStream, statSync, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import type { MarketEvent } from '../model/index.js'
import { SOFIA_CSV_HEADER } from './sofia-csv.js'

/** Rows are joined into blocks this large before touching the stream: one write call per block, not per row. */
const BLOCK_CHARS = 1 << 18

export interface WriteResult {
  /** Data rows written (header excluded). */
  readonly rows: number
  /** Events with no row form (book updates, bars). */
  readonly skipped: number
}

/** One event as a `sofia-csv` line (no newline), or undefined for kinds the format cannot hold. */
export function sofiaCsvRow(e: MarketEvent): string | undefined {
  switch (e.kind) {
    case 'trade':
      return `${e.timestamp},${e.venue},${e.symbol},trade,${e.price},${e.amount},${e.side ?? ''},,,,`
    case 'quote':
      return `${e.timestamp},${e.venue},${e.symbol},quote,,,,${e.bid},${e.bidSize},${e.ask},${e.askSize}`
    case 'book':
    case 'bar':
      return undefined
  }
}

/** Incremental writer: `write` events, then `close()`. */
export class SofiaCsvWriter {
  private readonly out: WriteStream
  private block = ''
  private rowCount = 0
  private skipCount = 0
  private failure: Error | undefined

  /** With `append`, rows go after those of an existing file (its header is kept; a new file gets one). */
  constructor(
    readonly path: string,
    options: { readonly append?: boolean } = {},
  ) {
    const existing = options.append === true && fileSize(path) > 0
    this.out = createWriteStream(path, { highWaterMark: 1 << 20, flags: existing ? 'a' : 'w' })
    this.out.on('error', (error) => {
      this.failure = error
    })
    this.block = existing ? '' : `${SOFIA_CSV_HEADER}\n`
  }

  /** Hands the rows buffered so far to the file (without closing it). */
  async flush(): Promise<void> {
    await this.flushBlock()
  }

  /** Appends events; resolves when the stream can take more (await it to respect back-pressure). */
  async write(events: Iterable<MarketEvent>): Promise<void> {
    for (const e of events) {
      const row = sofiaCsvRow(e)
      if (row === undefined) {
        this.skipCount++
        continue
      }
      this.block += row + '\n'
      this.rowCount++
      if (this.block.length >= BLOCK_CHARS) await this.flushBlock()
    }
  }

  /** Flushes and closes the file. */
  async close(): Promise<WriteResult> {
    await this.flushBlock()
    this.out.end()
    if (!this.out.closed) await once(this.out, 'close')
    if (this.failure) throw this.failure
    return { rows: this.rowCount, skipped: this.skipCount }
  }

  private async flushBlock(): Promise<void> {
    if (this.failure) throw this.failure
    if (this.block.length === 0) return
    const ok = this.out.write(this.block)
    this.block = ''
    // once() also rejects if the stream emits 'error' while we wait.
    if (!ok) await once(this.out, 'drain')
    if (this.failure) throw this.failure
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/**
 * Writes events (an array, any iterable, or a `MarketSource` of batches) to `path` in `sofia-csv`.
 * Events should already be in time order; the reader will insist on it.
 */
export async function writeSofiaCsv(
  path: string,
  events: Iterable<MarketEvent> | AsyncIterable<readonly MarketEvent[]>,
): Promise<WriteResult> {
  const writer = new SofiaCsvWriter(path)
  try {
    if (Symbol.asyncIterator in events) {
      for await (const batch of events) await writer.write(batch)
    } else {
      await writer.write(events)
    }
  } catch (error) {
    await writer.close().catch(() => undefined)
    throw error
  }
  return writer.close()
}
