/**
 * @module cluster/market-data
 * Market data fan-out over JetStream: one node's exchange feed, published, feeds the other nodes' sessions.
 *
 * - `sofia serve|run --nats URL --market-data publish`: the node trades on its own exchange feed and publishes every
 *   market event it receives on `sofia.md.<venue>.<symbol>`, kept a minute in the memory stream `SOFIA_MD`.
 * - `--market-data nats`: the node opens no market-data connection to the exchange; its session runs on those
 *   subjects (new events only, in order; an ordered consumer per symbol resumes by itself after a reconnect). A
 *   publisher that stops, or a lost NATS connection, leaves the feed silent: the session's staleness monitor then
 *   sees it exactly as it sees a silent exchange feed, and holds the strategies that depend on it to reducing orders.
 */
import type { ConsumerMessages } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { MarketEvent } from '../model/index.js'
import { EventQueue } from '../venues/index.js'
import type { LiveFeed } from '../venues/index.js'
import { connectCluster } from './node.js'

export const MARKET_STREAM = 'SOFIA_MD'
/** How long the stream keeps an event (a late consumer starts with new events anyway). */
const KEEP_MS = 60_000

/** The subject of one venue's and symbol's events (a symbol's `/` and other non-token characters become `_`). */
export function marketSubject(venue: string, symbol: string): string {
  const token = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_')
  return `sofia.md.${token(venue)}.${token(symbol)}`
}

/** Creates the stream when it is missing. */
export async function ensureMarketStream(nc: NatsConnection): Promise<void> {
  // The NATS client is loaded where it is first used: commands that never reach NATS do not load it.
  const [{ DiscardPolicy, StorageType, jetstreamManager }, { nanos }] = await Promise.all([import('@nats-io/jetstream'), import('@nats-io/transport-node')])
  const jsm = await jetstreamManager(nc)
  try {
    await jsm.streams.info(MARKET_STREAM)
  } catch {
    await jsm.streams.add({ name: MARKET_STREAM, subjects: ['sofia.md.>'], storage: StorageType.Memory, max_age: nanos(KEEP_MS), discard: DiscardPolicy.Old })
  }
}

/** Publishes every market event of a session's bus; returns the function that stops it. */
export function publishMarketData(nc: NatsConnection, bus: { on(kind: 'market', listener: (e: MarketEvent) => void): () => void }): () => void {
  return bus.on('market', (e) => {
    if (!nc.isClosed()) nc.publish(marketSubject(e.venue, e.symbol), JSON.stringify(e))
  })
}

export interface NatsFeedOptions {
  readonly servers: string
  readonly venue: string
  readonly symbols: readonly string[]
  readonly signal?: AbortSignal
  readonly onError?: (message: string) => void
}

/** A session's market data from the cluster instead of the exchange. */
export class NatsFeed implements LiveFeed {
  private readonly queue = new EventQueue()
  private done = false
  private nc: NatsConnection | undefined
  private readonly consumers: ConsumerMessages[] = []
  /** Events delivered so far. */
  get events(): number {
    return this.queue.delivered
  }
  /** Reconnects to NATS so far (the ordered consumers resume by themselves). */
  reconnectCount = 0

  constructor(private readonly o: NatsFeedOptions) {
    o.signal?.addEventListener('abort', () => this.close())
  }

  close(): void {
    if (this.done) return
    this.done = true
    for (const c of this.consumers) void c.close()
    void this.nc?.close()
    this.queue.close()
  }

  /** The cluster's feed has no connection of its own to drop: the publisher's is the exchange's. */
  restart(): Promise<{ restarted: boolean; streams: number; reconnects: number }> {
    return Promise.resolve({ restarted: false, streams: this.consumers.length, reconnects: 0 })
  }

  private async start(): Promise<void> {
    const nc = await connectCluster(this.o.servers, `sofia:market-data:${this.o.venue}`)
    this.nc = nc
    if (this.done) return void (await nc.close())
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'reconnect') this.reconnectCount++
    })()
    await ensureMarketStream(nc)
    const { DeliverPolicy, jetstream } = await import('@nats-io/jetstream')
    const js = jetstream(nc)
    for (const symbol of this.o.symbols) {
      const consumer = await js.consumers.get(MARKET_STREAM, { filter_subjects: marketSubject(this.o.venue, symbol), deliver_policy: DeliverPolicy.New })
      const messages = await consumer.consume({ max_messages: 1_000 })
      this.consumers.push(messages)
      void (async () => {
        for await (const m of messages) {
          if (this.done) return
          this.queue.push(m.json<MarketEvent>())
        }
      })().catch((error: unknown) => this.o.onError?.(`market data from the cluster (${symbol}): ${error instanceof Error ? error.message : String(error)}`))
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<readonly MarketEvent[]> {
    await this.start()
    yield* this.queue.batches()
  }
}
