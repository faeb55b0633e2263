/**
 * @module venues/ccxt-feed
 * Live market data from an exchange through ccxt.pro: `watchTrades` and `watchOrderBook` per symbol, turned
 * into Sofia's market events (trade ticks; top of book as a quote plus a depth snapshot), as a MarketSource
 * the engine runs on. A dropped stream reconnects with exponential backoff and is counted in
 * `ws_reconnects_total{venue}`. The feed adds nothing while the exchange is silent: a stale feed stays
 * silent, so the safety layer's staleness monitor sees it and stops risk-adding orders. `restart()` drops the
 * feed's websocket connections on purpose (an operator's `POST /ws/restart`): the streams reconnect the same way.
 */
import type { Exchange } from 'ccxt'
import type { MarketSource } from '../engine/index.js'
import type { MarketEvent } from '../model/index.js'
import { closeCcxtExchange } from './ccxt-exchange.js'
import type { ReconnectCounter } from './ccxt-venue.js'
import { EventQueue } from './event-queue.js'

export interface CcxtFeedOptions {
  /** Venue id the events carry. */
  readonly venue: string
  readonly exchange: Exchange
  readonly symbols: readonly string[]
  /** Ends the feed. */
  readonly signal?: AbortSignal
  /** Depth levels per side in book snapshots (default 10; 0 = no book stream). */
  readonly depth?: number
  /** Stream public trades (default true). */
  readonly trades?: boolean
  readonly reconnects?: ReconnectCounter
  readonly onError?: (message: string) => void
  /** Backoff bounds, ms (default 100 → 5 000). */
  readonly backoffMs?: { readonly min: number; readonly max: number }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    })
  })

/** A live market feed a session on an exchange runs on: the exchange's own (CcxtFeed) or the cluster's. */
export interface LiveFeed extends MarketSource {
  /** Events delivered so far. */
  readonly events: number
  /** Stream reconnects so far. */
  readonly reconnectCount: number
  /** Drops and reconnects the feed's connections, when it has its own (an operator's `POST /ws/restart`). */
  restart(waitMs?: number): Promise<{ restarted: boolean; streams: number; reconnects: number }>
  close(): void
}

export class CcxtFeed implements LiveFeed {
  private readonly queue = new EventQueue()
  private started = false
  private done = false
  /** Stream reconnects so far. */
  reconnectCount = 0
  /** `restart()` calls so far. */
  private restarts = 0
  /** Events delivered so far. */
  get events(): number {
    return this.queue.delivered
  }
  /** Wall time of the last event received. */
  lastEventAt = 0
  /** Streams running (one per symbol and kind). */
  private streams = 0

  constructor(private readonly o: CcxtFeedOptions) {
    o.signal?.addEventListener('abort', () => this.close())
  }

  close(): void {
    this.done = true
    this.queue.close()
  }

  /**
   * Drops the feed's websocket connections (ccxt.pro `close()`): each running stream fails, is counted as a
   * reconnect and resubscribes on a new connection after the backoff. Resolves once every running stream has
   * seen the drop (at most `waitMs`, default 5 s) with the reconnect count so far; `restarted` is false when
   * the feed has ended or its exchange is not a ccxt.pro one (no `close()`).
   */
  async restart(waitMs = 5_000): Promise<{ restarted: boolean; streams: number; reconnects: number }> {
    const ex = this.o.exchange as unknown as { close?: () => Promise<void> }
    if (this.done || typeof ex.close !== 'function') return { restarted: false, streams: this.streams, reconnects: this.reconnectCount }
    const before = this.reconnectCount
    this.restarts++
    await closeCcxtExchange(this.o.exchange)
    const deadline = Date.now() + waitMs
    while (this.started && !this.done && this.reconnectCount - before < this.streams && Date.now() < deadline) await sleep(10)
    return { restarted: true, streams: this.streams, reconnects: this.reconnectCount }
  }

  private push(events: MarketEvent[]): void {
    if (events.length === 0 || this.done) return
    this.lastEventAt = Date.now()
    for (const e of events) this.queue.push(e)
  }

  private start(): void {
    if (this.started) return
    this.started = true
    const { exchange: ex, venue } = this.o
    const depth = this.o.depth ?? 10
    for (const symbol of this.o.symbols) {
      if (this.o.trades ?? true) {
        void this.loop(`trades ${symbol}`, async () => {
          const trades = await ex.watchTrades(symbol)
          this.push(
            trades
              .filter((t) => typeof t.price === 'number' && typeof t.amount === 'number')
              .map((t) => ({ kind: 'trade' as const, venue, symbol, timestamp: t.timestamp ?? Date.now(), price: t.price!, amount: t.amount! })),
          )
        })
      }
      if (depth > 0) {
        void this.loop(`book ${symbol}`, async () => {
          const ob = await ex.watchOrderBook(symbol)
          const bids = ob.bids.slice(0, depth).map(([p, a]) => [Number(p), Number(a)] as [number, number])
          const asks = ob.asks.slice(0, depth).map(([p, a]) => [Number(p), Number(a)] as [number, number])
          const top = bids[0]
          const bottom = asks[0]
          if (top === undefined || bottom === undefined) return
          const timestamp = ob.timestamp ?? Date.now()
          this.push([
            { kind: 'quote', venue, symbol, timestamp, bid: top[0], bidSize: top[1], ask: bottom[0], askSize: bottom[1] },
            { kind: 'book', venue, symbol, timestamp, snapshot: true, bids, asks },
          ])
        })
      }
    }
  }

  private async loop(name: string, step: () => Promise<void>): Promise<void> {
    const min = this.o.backoffMs?.min ?? 100
    const max = this.o.backoffMs?.max ?? 5_000
    let failures = 0
    // The restarts this stream has been through. A stream that was between two watches when `restart()` closed
    // the connections sees no error: its next watch opens a new connection. That is its reconnect too.
    let restartsSeen = this.restarts
    this.streams++
    while (!this.done) {
      try {
        await step()
        failures = 0
        if (restartsSeen !== this.restarts) {
          restartsSeen = this.restarts
          this.reconnectCount++
          this.o.reconnects?.inc({ venue: this.o.venue })
        }
      } catch (error) {
        if (this.done) return
        failures++
        restartsSeen = this.restarts
        this.reconnectCount++
        this.o.reconnects?.inc({ venue: this.o.venue })
        this.o.onError?.(`${this.o.venue}: ${name} stream dropped (${error instanceof Error ? error.message : String(error)}); reconnecting`)
        await sleep(Math.min(max, min * 2 ** Math.min(failures - 1, 10)), this.o.signal)
      }
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<readonly MarketEvent[]> {
    this.start()
    yield* this.queue.batches()
  }
}
