/**
 * @module system/market-recorder
 * Records the market data a session sees — trades and top-of-book quotes, as they reach the engine bus — to
 * `<dir>/YYYY-MM-DD.csv` in `sofia-csv` (one file per UTC day, appended across sessions), so `sofia replay`
 * can rebuild the market context of a past decision. Book updates (the feeds send a quote with each
 * snapshot) and bars (derived) are not recorded.
 *
 * The hot path only pushes the event onto an array. Blocks of events are written off the hot path when the
 * block is full and every second, in arrival order; a timestamp earlier than one already written is written
 * as that one (the file must be in time order, and arrival order is the order the strategies saw).
 * `stop()` writes what is left and closes the file.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { SofiaCsvWriter } from '../data/index.js'
import type { Component, EngineEvents, EventBus } from '../engine/index.js'
import type { MarketEvent } from '../model/index.js'

const DAY_MS = 86_400_000

export interface MarketRecorderOptions {
  /** Directory of the day files (created when missing). */
  readonly dir: string
  readonly bus: EventBus<EngineEvents>
  /** Events per block written at once (default 4,096). */
  readonly blockEvents?: number
  /** Wall-clock interval of block writes even when the block is not full (default 1,000 ms; 0 = never). */
  readonly flushIntervalMs?: number
  /** Told once when recording fails (trading goes on without it). */
  readonly onError?: (line: string) => void
}

/** `YYYY-MM-DD` of a UTC timestamp. */
function utcDay(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10)
}

export class MarketRecorder implements Component {
  readonly name = 'market-recorder'
  private pending: MarketEvent[] = []
  private writing: Promise<void> = Promise.resolve()
  private writer: SofiaCsvWriter | undefined
  private day: string | undefined
  private last = Number.NEGATIVE_INFINITY
  private failed = false
  private timer: NodeJS.Timeout | undefined
  private readonly blockEvents: number
  /** Events recorded (handed to a day file) so far. */
  recorded = 0

  /** Records `trader`'s market data into `dir` for as long as its engine runs. */
  static attach(trader: { readonly engine: { readonly bus: EventBus<EngineEvents>; add(c: Component): void } }, dir: string, onError?: (line: string) => void): MarketRecorder {
    const recorder = new MarketRecorder({ dir, bus: trader.engine.bus, ...(onError !== undefined ? { onError } : {}) })
    trader.engine.add(recorder)
    return recorder
  }

  constructor(private readonly options: MarketRecorderOptions) {
    this.blockEvents = options.blockEvents ?? 4_096
    options.bus.on('market', (e) => {
      if ((e.kind !== 'trade' && e.kind !== 'quote') || this.failed) return
      this.pending.push(e)
      if (this.pending.length >= this.blockEvents) void this.flush()
    })
  }

  /** The day file events of `timestamp` go to. */
  static fileFor(dir: string, timestamp: number): string {
    return join(dir, `${utcDay(timestamp)}.csv`)
  }

  start(): void {
    mkdirSync(this.options.dir, { recursive: true })
    const every = this.options.flushIntervalMs ?? 1_000
    if (every > 0) {
      this.timer = setInterval(() => void this.flush(), every)
      this.timer.unref()
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.flush()
    const writer = this.writer
    this.writer = undefined
    if (writer !== undefined && !this.failed) await this.guard(writer.close())
  }

  /** Writes the pending events; resolves when they (and every earlier block) are in the file. */
  flush(): Promise<void> {
    const block = this.pending
    this.pending = []
    if (block.length > 0) this.writing = this.writing.then(() => (this.failed ? undefined : this.guard(this.writeBlock(block))))
    return this.writing
  }

  private async writeBlock(block: readonly MarketEvent[]): Promise<void> {
    let run: MarketEvent[] = []
    for (const e of block) {
      const ts = e.timestamp < this.last ? this.last : e.timestamp
      this.last = ts
      const day = utcDay(ts)
      if (day !== this.day) {
        if (this.writer !== undefined && run.length > 0) await this.writer.write(run)
        run = []
        await this.writer?.close()
        this.day = day
        this.writer = new SofiaCsvWriter(join(this.options.dir, `${day}.csv`), { append: true })
      }
      run.push(ts === e.timestamp ? e : { ...e, timestamp: ts })
    }
    if (this.writer !== undefined) {
      await this.writer.write(run)
      await this.writer.flush()
    }
    this.recorded += block.length
  }

  private async guard(p: Promise<unknown>): Promise<void> {
    try {
      await p
    } catch (error) {
      this.failed = true
      this.pending = []
      this.options.onError?.(`market recording to ${this.options.dir} stopped: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
