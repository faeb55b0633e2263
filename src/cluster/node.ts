/**
 * @module cluster/node
 * One Sofia node in a cluster over NATS JetStream (`sofia serve|run --nats URL --node-id ID`).
 *
 * What travels, in two JetStream key-value buckets:
 * - `sofia_cluster`, key `halt`: the global kill switch — the last change (active or not, why, by whom, on which
 *   node, when). A trip on any node (API, CLI, KILL_SWITCH file, monitor, alert rule) is put here at once; every
 *   other node watches the key and trips its own switch (trigger `cluster`), which cancels its orders. The value
 *   is durable, so a node that starts or reconnects later reads it and starts halted. A deactivation travels the
 *   same way; each node lifts its own switch through its own checks (a standing breach or a KILL_SWITCH file
 *   keeps that node halted, and its heartbeat says so). Every change is audited by each node's Safety.
 * - `sofia_nodes`, one key per node id: the node's heartbeat (mode, strategies, kill switch, when), put every
 *   second. Entries expire a minute after the last heartbeat; `sofia cluster status` shows their age.
 * - `sofia_leases`, one key per exchange account and symbol a node trades: which node holds it, renewed with each
 *   heartbeat. One account and symbol is traded by one node at a time: a second node is refused at start (exit 2)
 *   while the holder's lease is fresh. The nodes' stores are apart by design, so the lease lives in the one store
 *   they all share.
 * Every change of a node's kill switch is also published as a typed message on `sofia.cluster.<node>.kill_switch`
 * (with the delay from the trip, when it applies another node's), for monitors and the halt-latency bench; its
 * order events, fills and state changes go out beside it (cluster/events, stream `SOFIA_EVENTS`).
 *
 * Fail closed: a node that has no NATS connection for `failClosedMs` (default 10 s; 0 turns it off) halts itself
 * (trigger `cluster`) and so cancels its orders. That halt is the node's own: it is not put in `halt` (the rest of
 * the cluster may be fine), and an operator lifts it on that node once the node is back.
 *
 * Nothing here is in the order path: a node trades on its own session; the cluster only halts it.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { NatsConnection } from '@nats-io/transport-node'
import type { KV, KvWatchInclude } from '@nats-io/kv'
import { InputError } from '../model/index.js'
import type { KillSwitchEvent, KillSwitchState, KillSwitchTrigger } from '../risk/index.js'
import type { ClusterHalt, ClusterStatus, NodeHeartbeat, NodeKillSwitchMessage, NodeStateMessage, NodeStoreRecord } from './types.js'
import { ensureEventsStream, eventSubject, publishNodeEvents } from './events.js'
import type { NodeBus } from './events.js'
import type { AuditPayload } from '../audit/index.js'

export type { ClusterHalt, ClusterStatus, NodeHeartbeat, NodeKillSwitchMessage, NodeStateMessage, NodeStoreRecord } from './types.js'
export type { ClusterEvent, NodeFillMessage, NodeOrderMessage } from './events.js'

// cluster/types spells the kill switch's triggers out (it imports nothing); this fails to compile when they differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameTriggers: Same<KillSwitchTrigger, NonNullable<ClusterHalt['trigger']>> = true
void sameTriggers

export const CLUSTER_BUCKET = 'sofia_cluster'
export const NODES_BUCKET = 'sofia_nodes'
export const LEASES_BUCKET = 'sofia_leases'
export const HALT_KEY = 'halt'
/** `KvWatchInclude.UpdatesOnly` (the value itself: the NATS client is loaded only once a node connects). */
const UPDATES_ONLY: KvWatchInclude = 'updates'
/** The key of a node's store record in the cluster's bucket. */
export const storeKey = (node: string): string => `store.${node}`
/** How often a node puts its heartbeat. */
export const HEARTBEAT_MS = 1_000
/** A heartbeat older than this is stale: the node is gone or cut off (and a new node may take its id). */
export const STALE_MS = 5_000
/** Without NATS for this long a node halts itself (cluster.failClosedAfter). */
export const DEFAULT_FAIL_CLOSED_MS = 10_000
/** How long a heartbeat entry outlives its node in the bucket. */
const NODE_EXPIRY_MS = 60_000
/** How long leaving may take (the last puts, then the drain) before the connection is closed as it is. */
const LEAVE_MS = 2_000
/** How long connecting may take before the node refuses to start. */
const CONNECT_TIMEOUT_MS = 5_000





/** The subject a node's kill switch changes go out on (`*` for every node). */
export function killSwitchSubject(node: string): string {
  return eventSubject(node, 'kill_switch')
}

/** An exchange account and symbol one node trades. `key` names it without the API key (a hash of it). */
export interface AccountLease {
  readonly key: string
  readonly exchange: string
  readonly symbol: string
}

interface LeaseHolder {
  readonly node: string
  readonly instance: string
  readonly host: string
  readonly pid: number
  readonly exchange: string
  readonly symbol: string
  readonly at: number
}

/** Whether a heartbeat or lease of another process still holds: fresh, and not of a process of this host that is gone. */
function holds(x: { host: string; pid: number; at: number }, now = Date.now()): boolean {
  return now - x.at <= STALE_MS && !(x.host === hostname() && !alive(x.pid))
}

/** The part of a session's Safety a node drives. */
export interface ClusterSafety {
  readonly killSwitch: { state(): KillSwitchState }
  activate(trigger: KillSwitchTrigger, reason: string, actor: string): boolean
  deactivate(reason: string, actor: string): { ok: boolean; blockers: readonly string[] }
  onKillSwitchEvent(listener: (event: KillSwitchEvent) => void): () => void
  /** Changes of trading state and stale-data pauses (published on `sofia.cluster.<node>.state`). */
  onStateChange?(listener: (change: Omit<NodeStateMessage, 'node'>) => void): () => void
}

export interface ClusterNodeOptions {
  /** NATS server URL(s), comma-separated. */
  readonly servers: string
  readonly nodeId: string
  readonly safety: ClusterSafety
  readonly mode: () => string
  readonly strategies: readonly string[]
  readonly api?: () => string | undefined
  /** The node's store: put in the cluster's bucket so that `sofia audit verify --cluster` finds its chain. */
  readonly store?: { readonly kind: string; readonly location: string; readonly headsFile?: string }
  /** The session's bus: its order events, fills and component changes are published to the cluster. */
  readonly bus?: NodeBus
  /** The exchange accounts and symbols this node trades (none for a session on the synthetic market). */
  readonly leases?: readonly AccountLease[]
  /** Appends to the session's audit chain (`cluster.joined`, `cluster.left`): each chain says which node wrote it, when. */
  readonly audit?: <T extends 'cluster.joined' | 'cluster.left'>(type: T, payload: AuditPayload<T>) => void
  /** 0: never halt for a lost connection. */
  readonly failClosedMs?: number
  readonly log: (line: string) => void
}

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/

/** A node id, or the InputError that says what is wrong with it. */
export function checkNodeId(id: string, what = '--node-id'): string {
  if (!NODE_ID.test(id)) throw new InputError(`${what}: '${id}' is not a node id (1–64 letters, digits, '-' or '_')`)
  return id
}

/**
 * Connects to NATS, or says which server could not be reached (InputError: exit 2). A node pings every second
 * so that a cut link is noticed within about 3 s; a process whose event loop a long computation may hold (a
 * sweep worker) passes a longer `pingIntervalMs`.
 */
export async function connectCluster(servers: string, name: string, options: { pingIntervalMs?: number } = {}): Promise<NatsConnection> {
  const list = servers.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (list.length === 0) throw new InputError('--nats: no server given')
  // The NATS client is loaded where it is first used: commands that never reach NATS do not load it.
  const { connect } = await import('@nats-io/transport-node')
  try {
    return await connect({
      servers: list,
      name,
      timeout: CONNECT_TIMEOUT_MS,
      // Reconnect for as long as the process lives; fail-closed bounds what a long outage may do.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      // A cut link with no close (a dead peer, a partition) is noticed within about 3 s.
      pingInterval: options.pingIntervalMs ?? 1_000,
      maxPingOut: 2,
    })
  } catch (error) {
    throw new InputError(`--nats ${servers}: cannot connect: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

/** The two buckets (created when missing). */
export async function clusterBuckets(nc: NatsConnection): Promise<{ cluster: KV; nodes: KV; leases: KV }> {
  const { Kvm } = await import('@nats-io/kv')
  const kvm = new Kvm(nc)
  const cluster = await kvm.create(CLUSTER_BUCKET, { history: 64 })
  const nodes = await kvm.create(NODES_BUCKET, { history: 1, ttl: NODE_EXPIRY_MS })
  const leases = await kvm.create(LEASES_BUCKET, { history: 1, ttl: NODE_EXPIRY_MS })
  return { cluster, nodes, leases }
}

function parse<T>(value: { string(): string } | null): T | null {
  if (value === null) return null
  try {
    return JSON.parse(value.string()) as T
  } catch {
    return null
  }
}

/** Runs `fn`, giving up on it (errors included) after `ms`. */
async function within(ms: number, fn: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([fn().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

/** Whether a process of this host is alive (a node killed here a moment ago gives its id back at once). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The keys of a bucket, each once: the listing is a consumer over the bucket's stream, so a key put again while
 * it runs (a heartbeat, every second) can come twice.
 */
async function keysOf(kv: KV, filter?: string): Promise<string[]> {
  const keys = new Set<string>()
  for await (const key of await kv.keys(filter)) keys.add(key)
  return [...keys]
}

export async function readHalt(cluster: KV): Promise<ClusterHalt | null> {
  const entry = await cluster.get(HALT_KEY)
  return entry === null || entry.operation !== 'PUT' ? null : parse<ClusterHalt>(entry)
}

/** Every node's last heartbeat, with its age. */
export async function clusterStatus(cluster: KV, nodes: KV, now = Date.now()): Promise<ClusterStatus> {
  const list: (NodeHeartbeat & { ageMs: number; stale: boolean })[] = []
  for (const key of await keysOf(nodes)) {
    const entry = await nodes.get(key)
    const beat = entry === null || entry.operation !== 'PUT' ? null : parse<NodeHeartbeat>(entry)
    if (beat !== null) list.push({ ...beat, ageMs: Math.max(0, now - beat.at), stale: now - beat.at > STALE_MS })
  }
  list.sort((a, b) => a.id.localeCompare(b.id))
  return { halt: await readHalt(cluster), nodes: list }
}

/** Every node's store record, by node id (nodes that are gone included). */
export async function nodeStores(cluster: KV): Promise<NodeStoreRecord[]> {
  const out: NodeStoreRecord[] = []
  for (const key of await keysOf(cluster, 'store.>')) {
    const entry = await cluster.get(key)
    const record = entry === null || entry.operation !== 'PUT' ? null : parse<NodeStoreRecord>(entry)
    if (record !== null) out.push(record)
  }
  return out.sort((a, b) => a.node.localeCompare(b.node))
}

/** Puts a change of the global kill switch (`sofia cluster halt|resume`, and each node's own changes). */
export async function putHalt(cluster: KV, halt: ClusterHalt): Promise<void> {
  await cluster.put(HALT_KEY, JSON.stringify(halt))
}

export class ClusterNode {
  readonly instance = randomUUID()
  private readonly startedAt = Date.now()
  /** What the kill switch is being changed for now: another node's change, or this node's fail-closed halt. */
  private applying: ClusterHalt | 'fail-closed' | undefined
  private failTimer: NodeJS.Timeout | undefined
  private beatTimer: NodeJS.Timeout | undefined
  private stopped = false
  /** A change of this node's not yet put (NATS was away): the newest one wins. */
  private unsent: ClusterHalt | undefined
  private applied = { count: 0, lastDelayMs: null as number | null }
  private unlisten: (() => void) | undefined
  /** False from a disconnect until the reconnect. */
  private connected = true
  /** This node's kill switch is its own fail-closed halt (until it is lifted). */
  private failedClosed = false
  /** The newest revision of the `halt` key applied (or seen) here. */
  private seenRevision = 0
  /** A newer revision a beat read and the watch had not brought yet: applied by the next beat if it still has not. */
  private missed = 0

  private constructor(
    private readonly o: ClusterNodeOptions,
    private readonly nc: NatsConnection,
    private readonly cluster: KV,
    private readonly nodes: KV,
    private readonly leases: KV,
  ) {}

  /** Takes every account lease, or refuses (InputError) naming the node that trades one of them now. */
  private async takeLeases(): Promise<void> {
    for (const lease of this.o.leases ?? []) {
      for (let attempt = 1; ; attempt++) {
        const entry = await this.leases.get(lease.key)
        const holder = entry === null || entry.operation !== 'PUT' ? null : parse<LeaseHolder>(entry)
        if (holder !== null && holder.instance !== this.instance && holds(holder)) {
          throw new InputError(
            `${lease.exchange} ${lease.symbol} on this account is traded by node ${holder.node} (pid ${holder.pid} on ${holder.host}); one account and symbol is traded by one node at a time`,
          )
        }
        try {
          const value = JSON.stringify(this.holder(lease))
          // Compare-and-set: of two nodes starting at once, one wins and the other looks again.
          if (entry === null) await this.leases.create(lease.key, value)
          else await this.leases.update(lease.key, value, entry.revision)
          break
        } catch (error) {
          if (attempt >= 5) throw error
        }
      }
    }
  }

  private holder(lease: AccountLease): LeaseHolder {
    return { node: this.o.nodeId, instance: this.instance, host: hostname(), pid: process.pid, exchange: lease.exchange, symbol: lease.symbol, at: Date.now() }
  }

  /**
   * Connects, refuses a node id another live process holds, brings this node's kill switch in line with the
   * cluster's (a halted cluster halts it before it trades), then watches and beats. InputError: exit 2.
   */
  static async join(o: ClusterNodeOptions): Promise<ClusterNode> {
    checkNodeId(o.nodeId)
    const nc = await connectCluster(o.servers, `sofia:${o.nodeId}`)
    try {
      const { cluster, nodes, leases } = await clusterBuckets(nc)
      const other = parse<NodeHeartbeat>(await nodes.get(o.nodeId))
      if (other !== null && holds(other)) {
        throw new InputError(
          `--node-id ${o.nodeId}: in use by pid ${other.pid} on ${other.host} (heartbeat ${((Date.now() - other.at) / 1000).toFixed(1)} s ago); give this node another id`,
        )
      }
      await ensureEventsStream(nc)
      const node = new ClusterNode(o, nc, cluster, nodes, leases)
      await node.takeLeases()
      await node.start()
      return node
    } catch (error) {
      await nc.close().catch(() => undefined)
      throw error
    }
  }

  get id(): string {
    return this.o.nodeId
  }

  /** The node's NATS connection (market data fan-out publishes on it). */
  get connection(): NatsConnection {
    return this.nc
  }

  status(): Promise<ClusterStatus> {
    return clusterStatus(this.cluster, this.nodes)
  }

  private async start(): Promise<void> {
    // Listening and watching before reading: a change made while this node reads the cluster's state is seen
    // (applying one twice changes nothing).
    const offs = [this.o.safety.onKillSwitchEvent((event) => this.onEvent(event))]
    if (this.o.bus !== undefined) offs.push(publishNodeEvents(this.nc, this.o.nodeId, this.o.bus))
    const onState = this.o.safety.onStateChange?.((change) => this.publishState(change))
    if (onState !== undefined) offs.push(onState)
    this.unlisten = () => offs.forEach((off) => off())
    const watch = await this.cluster.watch({ key: HALT_KEY, include: UPDATES_ONLY })
    this.applyEntry(await this.cluster.get(HALT_KEY), 'start')
    void this.watchHalt(watch)
    void this.watchConnection()
    if (this.o.store !== undefined) {
      const record: NodeStoreRecord = { node: this.o.nodeId, host: hostname(), ...this.o.store, at: Date.now() }
      await this.cluster.put(storeKey(this.o.nodeId), JSON.stringify(record))
    }
    await this.beat()
    this.beatTimer = setInterval(() => void this.beat(), HEARTBEAT_MS)
    this.beatTimer.unref()
    this.o.audit?.('cluster.joined', {
      node: this.o.nodeId,
      instance: this.instance,
      host: hostname(),
      pid: process.pid,
      leases: (this.o.leases ?? []).map((l) => `${l.exchange} ${l.symbol}`),
      halt: (await readHalt(this.cluster))?.active === true,
    })
    this.o.log(`cluster: node ${this.o.nodeId} joined ${this.o.servers}`)
  }

  /** Leaves: stops beating, removes the heartbeat, closes the connection. The kill switch stays as it is. */
  async leave(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.o.audit?.('cluster.left', { node: this.o.nodeId, instance: this.instance })
    this.unlisten?.()
    if (this.beatTimer !== undefined) clearInterval(this.beatTimer)
    if (this.failTimer !== undefined) clearTimeout(this.failTimer)
    if (this.nc.isClosed()) return
    // Bounded: a node cut off from NATS must still stop (its heartbeat and leases then expire by themselves).
    if (this.connected) {
      await within(LEAVE_MS, async () => {
        await this.flushUnsent()
        await this.nodes.delete(this.o.nodeId)
        for (const lease of this.o.leases ?? []) await this.leases.delete(lease.key)
      })
      await within(LEAVE_MS, () => this.nc.drain())
    }
    if (!this.nc.isClosed()) await this.nc.close().catch(() => undefined)
  }

  /**
   * Watches the cluster's kill switch for as long as the node lives: a watch that ends (its stream lost, say) is
   * opened again, and each beat reads the key too, so a change the watch missed is applied within about 2 s.
   */
  private async watchHalt(first: Awaited<ReturnType<KV['watch']>>): Promise<void> {
    let watch: Awaited<ReturnType<KV['watch']>> | undefined = first
    while (!this.stopped) {
      try {
        watch ??= await this.cluster.watch({ key: HALT_KEY, include: UPDATES_ONLY })
        for await (const entry of watch) this.applyEntry(entry, 'live')
      } catch (error) {
        this.o.log(`cluster: watching the cluster's kill switch failed: ${error instanceof Error ? error.message : String(error)}`)
      }
      watch = undefined
      if (this.stopped) return
      this.o.log("cluster: the watch on the cluster's kill switch ended; watching again")
      await new Promise((r) => setTimeout(r, 1_000).unref())
    }
  }

  /** Applies a revision of the `halt` key once: the watch, the beat's read and a reconnect may each bring it. */
  private applyEntry(entry: { revision: number; operation: string; string(): string } | null, how: 'start' | 'live' | 'catch-up'): void {
    if (entry === null || entry.operation !== 'PUT' || entry.revision <= this.seenRevision) return
    this.seenRevision = entry.revision
    this.apply(parse<ClusterHalt>(entry), how)
  }

  /**
   * A change of another node (or of `sofia cluster`): `live` as it happens, or found later (`start`, `catch-up`:
   * at start, after a reconnect, or by a beat when the watch missed it).
   */
  private apply(halt: ClusterHalt | null, how: 'start' | 'live' | 'catch-up'): void {
    if (halt === null || halt.instance === this.instance || this.stopped) return
    const local = this.o.safety.killSwitch.state()
    this.applying = halt
    try {
      if (halt.active && !local.active) {
        const changed = this.o.safety.activate('cluster', `cluster halt from node ${halt.node}: ${halt.reason}`, halt.actor)
        if (changed) this.applied = { count: this.applied.count + 1, lastDelayMs: how === 'start' ? null : Math.max(0, Date.now() - halt.at) }
      } else if (!halt.active && local.active) {
        // Found later, a resume lifts only a halt the cluster put here before it: not this node's own halt (a
        // fail-closed halt while it was cut off, an operator's), nor one newer than the resume.
        if (how !== 'live' && (local.trigger !== 'cluster' || (local.since ?? 0) > halt.at || this.failedClosed)) return
        const r = this.o.safety.deactivate(`cluster resume from node ${halt.node}: ${halt.reason}`, halt.actor)
        if (!r.ok) this.o.log(`cluster: the resume from node ${halt.node} does not lift this node's halt: ${r.blockers.join('; ')}`)
      }
    } finally {
      this.applying = undefined
    }
  }

  /**
   * Every change of this node's kill switch is published as a typed message on `sofia.cluster.<node>.kill_switch`
   * (with the delay from the trip when it applies another node's). A change of this node's own is the cluster's
   * from now on: it is put in `halt`.
   */
  private onEvent(event: KillSwitchEvent): void {
    const from = this.applying
    if (event.action === 'deactivated') this.failedClosed = false
    const message: NodeKillSwitchMessage = {
      node: this.o.nodeId,
      action: event.action,
      trigger: event.trigger,
      reason: event.reason,
      actor: event.actor,
      at: event.at,
      ...(typeof from === 'object' ? { from: from.node, delayMs: Math.max(0, Date.now() - from.at) } : {}),
    }
    if (!this.nc.isClosed()) this.nc.publish(killSwitchSubject(this.o.nodeId), JSON.stringify(message))
    if (from !== undefined) return
    this.unsent = {
      active: event.action === 'activated',
      trigger: event.trigger,
      reason: event.reason,
      actor: event.actor,
      node: this.o.nodeId,
      instance: this.instance,
      at: event.at,
    }
    void this.flushUnsent()
  }

  private publishState(change: Omit<NodeStateMessage, 'node'>): void {
    if (this.nc.isClosed()) return
    const message: NodeStateMessage = { node: this.o.nodeId, ...change }
    this.nc.publish(eventSubject(this.o.nodeId, 'state'), JSON.stringify(message))
  }

  private async flushUnsent(): Promise<void> {
    const halt = this.unsent
    if (halt === undefined || this.nc.isClosed()) return
    try {
      await putHalt(this.cluster, halt)
      if (this.unsent === halt) this.unsent = undefined
    } catch (error) {
      // Kept for the reconnect (watchConnection puts it then).
      this.o.log(`cluster: could not put the kill switch change yet: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private async watchConnection(): Promise<void> {
    const bound = this.o.failClosedMs ?? DEFAULT_FAIL_CLOSED_MS
    for await (const s of this.nc.status()) {
      if (this.stopped) return
      if (s.type === 'disconnect' || s.type === 'staleConnection') {
        this.connected = false
        this.o.log(`cluster: lost NATS (${s.type})${bound > 0 ? `; this node halts itself after ${bound / 1000} s without it` : ''}`)
        if (bound > 0 && this.failTimer === undefined) {
          this.failTimer = setTimeout(() => this.failClosed(bound), bound)
          this.failTimer.unref()
        }
      } else if (s.type === 'reconnect') {
        this.connected = true
        if (this.failTimer !== undefined) clearTimeout(this.failTimer)
        this.failTimer = undefined
        this.o.log('cluster: NATS is back')
        await this.flushUnsent()
        try {
          this.applyEntry(await this.cluster.get(HALT_KEY), 'catch-up')
        } catch (error) {
          this.o.log(`cluster: could not read the cluster's kill switch after reconnecting: ${String(error)}`)
        }
        await this.beat()
      }
    }
  }

  private failClosed(bound: number): void {
    this.failTimer = undefined
    if (this.stopped) return
    this.applying = 'fail-closed'
    try {
      this.failedClosed = this.o.safety.activate('cluster', `no connection to the cluster (NATS) for ${bound / 1000} s: this node halts itself (fail closed)`, 'system:cluster')
    } finally {
      this.applying = undefined
    }
  }

  private async beat(): Promise<void> {
    if (this.stopped || this.nc.isClosed()) return
    const ks = this.o.safety.killSwitch.state()
    const api = this.o.api?.()
    const beat: NodeHeartbeat = {
      id: this.o.nodeId,
      instance: this.instance,
      host: hostname(),
      pid: process.pid,
      mode: this.o.mode(),
      strategies: this.o.strategies,
      killSwitch: { active: ks.active, trigger: ks.trigger, reason: ks.reason },
      startedAt: this.startedAt,
      at: Date.now(),
      ...(api !== undefined ? { api } : {}),
      haltsApplied: this.applied,
    }
    try {
      // The watch brings a change within milliseconds; one it has not brought a beat later is applied here.
      const halt = await this.cluster.get(HALT_KEY)
      if (halt !== null && halt.revision > this.seenRevision) {
        if (this.missed !== 0 && this.missed <= halt.revision) this.applyEntry(halt, 'catch-up')
        else this.missed = halt.revision
      } else this.missed = 0
      await this.nodes.put(this.o.nodeId, JSON.stringify(beat))
      for (const lease of this.o.leases ?? []) await this.leases.put(lease.key, JSON.stringify(this.holder(lease)))
    } catch {
      // Away: the status watch halts the node if it lasts.
    }
  }
}
