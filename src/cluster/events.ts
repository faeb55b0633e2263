/**
 * @module cluster/events
 * What a node tells the cluster about its trading, as typed messages on `sofia.cluster.<node>.<kind>`:
 * - `order`: every order event (submitted, accepted, filled, canceled, rejected, …) with the order's state after it;
 * - `fill`: every fill;
 * - `state`: changes of trading state (account or strategy), stale-data pauses and component lifecycles;
 * - `kill_switch`: every change of the node's kill switch (published by the node itself).
 *
 * They are kept in the JetStream stream `SOFIA_EVENTS` (file storage, a week, at most 1 GiB, oldest dropped), so
 * `sofia cluster events` can read what every node did, also after the node is gone. A node publishes without
 * waiting for the server's ack: nothing here slows or blocks the order path, and a lost message loses nothing of
 * the node's own (its store and audit chain are the record; these messages are for watching).
 */
import type { NatsConnection } from '@nats-io/transport-node'
import type { JsMsg } from '@nats-io/jetstream'
import type { EngineEvents, OrderFilled, OrderUpdated, ComponentStateChanged } from '../engine/index.js'
import { toStoredFill, toStoredOrder } from '../store/index.js'
import type { StoredFill, StoredOrder } from '../store/index.js'
import type { NodeKillSwitchMessage, NodeStateMessage } from './types.js'

/**
 * An order event of one node, published on `sofia.cluster.<node>.order`: the event, and the order after it as
 * the node's store keeps it.
 */
export interface NodeOrderMessage {
  readonly node: string
  /** The order event: submitted, accepted, filled, canceled, rejected, … */
  readonly event: string
  /** Why, for a denial, rejection or refused cancel. */
  readonly reason?: string
  /** Settles an order of an earlier run at start-up (not an answer of the venue now). */
  readonly recovered?: true
  readonly at: number
  readonly order: StoredOrder
}

/** A fill of one node, published on `sofia.cluster.<node>.fill`, as the node's store keeps it. */
export interface NodeFillMessage {
  readonly node: string
  readonly at: number
  readonly fill: StoredFill
}

/** What `sofia cluster events` reads: one message with its kind (from its subject) and its stream sequence. */
export type ClusterEvent =
  | { readonly kind: 'order'; readonly seq: number; readonly message: NodeOrderMessage }
  | { readonly kind: 'fill'; readonly seq: number; readonly message: NodeFillMessage }
  | { readonly kind: 'state'; readonly seq: number; readonly message: NodeStateMessage }
  | { readonly kind: 'kill_switch'; readonly seq: number; readonly message: NodeKillSwitchMessage }

export const EVENTS_STREAM = 'SOFIA_EVENTS'
const KEEP_MS = 7 * 86_400_000
const MAX_BYTES = 1024 ** 3

export const EVENT_KINDS = ['order', 'fill', 'state', 'kill_switch'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

/** The subject of one node's messages of one kind (`*` for every node or kind). */
export function eventSubject(node: string, kind: EventKind | '*'): string {
  return `sofia.cluster.${node}.${kind}`
}

/** Creates the stream when it is missing. */
export async function ensureEventsStream(nc: NatsConnection): Promise<void> {
  // The NATS client is loaded where it is first used: commands that never reach NATS do not load it.
  const [{ DiscardPolicy, StorageType, jetstreamManager }, { nanos }] = await Promise.all([import('@nats-io/jetstream'), import('@nats-io/transport-node')])
  const jsm = await jetstreamManager(nc)
  try {
    await jsm.streams.info(EVENTS_STREAM)
  } catch {
    await jsm.streams.add({
      name: EVENTS_STREAM,
      subjects: ['sofia.cluster.*.*'],
      storage: StorageType.File,
      max_age: nanos(KEEP_MS),
      max_bytes: MAX_BYTES,
      discard: DiscardPolicy.Old,
    })
  }
}

export function orderMessage(node: string, u: OrderUpdated): NodeOrderMessage {
  const e = u.event
  return {
    node,
    event: e.type,
    ...('reason' in e ? { reason: e.reason } : {}),
    ...(u.recovered === true ? { recovered: true as const } : {}),
    at: e.timestamp,
    order: toStoredOrder(u.order),
  }
}

export function fillMessage(node: string, f: OrderFilled): NodeFillMessage {
  return { node, at: f.trade.timestamp, fill: toStoredFill(f.trade, f.order.strategyId) }
}

export function componentMessage(node: string, c: ComponentStateChanged, at: number): NodeStateMessage {
  return { node, what: 'component', subject: c.component, state: c.state, reason: c.reason ?? null, actor: 'system', at }
}

/** The session's bus, as far as the cluster listens to it. */
export interface NodeBus {
  on<K extends keyof EngineEvents>(topic: K, handler: (event: EngineEvents[K]) => void): () => void
}

/**
 * Publishes a session's order events, fills and component changes as `node`; returns the function that stops it.
 * A message that cannot go out (the connection is closing) is dropped: the bus and the order path go on.
 */
export function publishNodeEvents(nc: NatsConnection, node: string, bus: NodeBus, now: () => number = Date.now): () => void {
  const send = (kind: EventKind, message: object): void => {
    if (nc.isClosed()) return
    try {
      nc.publish(eventSubject(node, kind), JSON.stringify(message))
    } catch {
      // Closing, or a full outbound buffer while cut off: these messages are for watching; the store keeps the record.
    }
  }
  const offs = [
    bus.on('order', (u) => send('order', orderMessage(node, u))),
    bus.on('fill', (f) => send('fill', fillMessage(node, f))),
    bus.on('component', (c) => send('state', componentMessage(node, c, now()))),
  ]
  return () => {
    for (const off of offs) off()
  }
}

export interface ReadEventsOptions {
  /** One node, or every node. */
  readonly node?: string
  /** Some kinds, or every kind. */
  readonly kinds?: readonly EventKind[]
  /** From this time (ms) on; from the start of the stream without it. */
  readonly since?: number
  /** Go on with new messages until `signal` aborts; without it, stop at the newest message. */
  readonly follow?: boolean
  readonly signal?: AbortSignal
}

/**
 * Reads the cluster's messages in the order the stream took them (an ordered consumer: nothing skipped or repeated).
 * Without `follow`, it returns once the newest message has been given; returns how many were given.
 */
export async function readClusterEvents(nc: NatsConnection, o: ReadEventsOptions, onEvent: (e: ClusterEvent) => void): Promise<number> {
  await ensureEventsStream(nc)
  const { DeliverPolicy, jetstream } = await import('@nats-io/jetstream')
  const js = jetstream(nc)
  const node = o.node ?? '*'
  const kinds = o.kinds ?? EVENT_KINDS
  const consumer = await js.consumers.get(EVENTS_STREAM, {
    // One subject (several need a 2.10 server): kinds not asked for are dropped here.
    filter_subjects: eventSubject(node, kinds.length === 1 ? kinds[0]! : '*'),
    ...(o.since !== undefined
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(o.since).toISOString() }
      : { deliver_policy: DeliverPolicy.All }),
  })
  let count = 0
  const give = (m: JsMsg): void => {
    const kind = m.subject.slice(m.subject.lastIndexOf('.') + 1) as EventKind
    if (!kinds.includes(kind)) return
    try {
      onEvent({ kind, seq: m.seq, message: m.json() } as ClusterEvent)
      count++
    } catch {
      // Not JSON: not a node's message.
    }
  }
  if (o.follow !== true) {
    // Batches until the newest message; a batch that brings nothing in its wait means there is nothing (more).
    for (;;) {
      let got = 0
      let last = false
      const batch = await consumer.fetch({ max_messages: 1_000, expires: 1_000 })
      for await (const m of batch) {
        got++
        give(m)
        if (m.info.pending === 0) {
          last = true
          batch.stop()
        }
      }
      if (got === 0 || last) return count
    }
  }
  const messages = await consumer.consume({ max_messages: 1_000 })
  const stop = (): void => void messages.stop()
  o.signal?.addEventListener('abort', stop, { once: true })
  try {
    for await (const m of messages) give(m)
  } finally {
    o.signal?.removeEventListener('abort', stop)
  }
  return count
}
