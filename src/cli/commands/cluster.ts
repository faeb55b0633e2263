/**
 * @module cli/commands/cluster
 * `sofia cluster status|halt|resume --nats URL`: the nodes of a cluster and its global kill switch, from any
 * machine that reaches its NATS server (no store needed). `halt` halts every node within about a second (each
 * cancels its orders); `resume` lifts the halt on every node whose own checks allow it (each node audits both).
 * `sofia cluster events` prints what the nodes published: order events, fills, state and kill switch changes.
 */
import { randomUUID } from 'node:crypto'
import type { Command } from 'commander'
import { checkNodeId, clusterBuckets, clusterStatus, connectCluster, putHalt, readHalt } from '../../cluster/node.js'
import type { ClusterHalt, ClusterStatus } from '../../cluster/node.js'
import type { KV } from '@nats-io/kv'
import { actorOf } from '../operator-command.js'
import { EVENT_KINDS, readClusterEvents } from '../../cluster/events.js'
import type { EventKind } from '../../cluster/events.js'
import type { ClusterEvent } from '../../cluster/events.js'
import { parseDuration } from '../../config/duration.js'
import { InputError } from '../../model/index.js'
import { parseTime } from '../args.js'

interface Flags {
  nats: string
  reason?: string
  actor?: string
  json?: boolean
}

async function withBuckets<T>(flags: Flags, fn: (cluster: KV, nodes: KV) => Promise<T>): Promise<T> {
  const nc = await connectCluster(flags.nats, 'sofia:cli')
  try {
    const { cluster, nodes } = await clusterBuckets(nc)
    return await fn(cluster, nodes)
  } finally {
    await nc.close()
  }
}

function describeHalt(halt: ClusterHalt | null): string {
  if (halt === null) return 'cluster kill switch: never used'
  const at = new Date(halt.at).toISOString()
  return halt.active
    ? `cluster kill switch ACTIVE since ${at}: ${halt.trigger ?? '?'} by ${halt.actor} on node ${halt.node}: ${halt.reason}`
    : `cluster kill switch INACTIVE since ${at} (by ${halt.actor} on node ${halt.node}: ${halt.reason})`
}

function formatStatus(s: ClusterStatus): string {
  const head = ['node', 'heartbeat', 'mode', 'kill switch', 'strategies', 'host/pid', 'api']
  const rows = s.nodes.map((n) => [
    n.id,
    `${(n.ageMs / 1000).toFixed(1)} s ago${n.stale ? ' (STALE)' : ''}`,
    n.mode,
    n.killSwitch.active ? `HALTED (${n.killSwitch.trigger ?? '?'})` : 'active',
    n.strategies.join(',') || '-',
    `${n.host}/${n.pid}`,
    n.api ?? '-',
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return `${describeHalt(s.halt)}\n${s.nodes.length === 0 ? 'no node has a heartbeat in the last minute\n' : `${[line(head), ...rows.map(line)].join('\n')}\n`}`
}

interface EventFlags {
  nats: string
  node?: string
  kind?: string
  since?: string
  follow?: boolean
  json?: boolean
}

function parseKinds(value: string): EventKind[] {
  const kinds = value.split(',').map((k) => k.trim())
  for (const k of kinds) {
    if (!(EVENT_KINDS as readonly string[]).includes(k)) throw new InputError(`--kind: unknown kind '${k}' (one or more of ${EVENT_KINDS.join(', ')})`)
  }
  return kinds as EventKind[]
}

/** `--since 1h` (that long ago) or a time (ISO 8601 or epoch ms). */
export function parseSince(value: string, now = Date.now()): number {
  // A duration (30m, 1h30m, 1500ms) has a unit after each number; a time is digits only or has '-' or ':'.
  if (/^(\d+(\.\d+)?[a-z]+)+$/i.test(value)) {
    try {
      return now - parseDuration(value)
    } catch (error) {
      throw new InputError(`--since: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return parseTime('--since', value)
}

/** One line for a person: when, node, kind, and what happened. */
export function describeEvent(e: ClusterEvent): string {
  const at = new Date(e.message.at).toISOString()
  const head = `${at}  ${e.message.node}  ${e.kind.padEnd(11)}`
  switch (e.kind) {
    case 'order': {
      const { event, reason, order: o } = e.message
      return `${head}${event} ${o.clientOrderId} ${o.strategyId} ${o.side} ${o.amount} ${o.symbol} ${o.type}${o.price !== null ? ` @ ${o.price}` : ''} → ${o.state} (filled ${o.filled})${reason !== undefined ? `: ${reason}` : ''}`
    }
    case 'fill': {
      const f = e.message.fill
      return `${head}${f.tradeId} ${f.clientOrderId} ${f.strategyId} ${f.side} ${f.amount} ${f.symbol} @ ${f.price} fee ${f.feeCost} ${f.feeCurrency}`
    }
    case 'state': {
      const m = e.message
      return `${head}${m.what} ${m.subject} → ${m.state}${m.reason !== null ? `: ${m.reason}` : ''} (by ${m.actor})`
    }
    case 'kill_switch': {
      const m = e.message
      return `${head}${m.action} ${m.trigger ?? ''}: ${m.reason} (by ${m.actor}${m.from !== undefined ? `, from node ${m.from} after ${m.delayMs ?? '?'} ms` : ''})`
    }
  }
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').summary("a cluster's nodes and its global kill switch (over NATS)")
  const common = (cmd: Command): Command => cmd.requiredOption('--nats <url>', 'NATS server of the cluster').option('--json', 'print JSON')

  common(cluster.command('status').summary('every node: heartbeat age, mode, kill switch, strategies; and the global kill switch')).action(async (flags: Flags) => {
    const s = await withBuckets(flags, (c, n) => clusterStatus(c, n))
    process.stdout.write(flags.json === true ? `${JSON.stringify(s)}\n` : formatStatus(s))
  })

  common(
    cluster
      .command('events')
      .summary("what the nodes published: order events, fills, state and kill switch changes (kept a week)")
      .option('--node <id>', 'one node only')
      .option('--kind <kinds>', `some kinds only, comma-separated: ${EVENT_KINDS.join(', ')}`)
      .option('--since <when>', 'from a time (ISO 8601, epoch ms) or that long ago (30m, 1h, 2d); default: all that is kept')
      .option('--follow', 'go on printing new messages until interrupted'),
  ).action(async (flags: EventFlags) => {
    const kinds = flags.kind !== undefined ? parseKinds(flags.kind) : undefined
    const since = flags.since !== undefined ? parseSince(flags.since) : undefined
    if (flags.node !== undefined) checkNodeId(flags.node, '--node')
    const nc = await connectCluster(flags.nats, 'sofia:cli')
    const abort = new AbortController()
    const onSignal = (): void => abort.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      await readClusterEvents(
        nc,
        { ...(flags.node !== undefined ? { node: flags.node } : {}), ...(kinds !== undefined ? { kinds } : {}), ...(since !== undefined ? { since } : {}), follow: flags.follow === true, signal: abort.signal },
        (e) => process.stdout.write(flags.json === true ? `${JSON.stringify({ ...e.message, kind: e.kind, seq: e.seq })}\n` : `${describeEvent(e)}\n`),
      )
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await nc.close()
    }
  })

  // `halt` and `resume`: one change of the global kill switch, with the reason and actor every node records.
  const change = (name: string, summary: string, active: boolean): void => {
    common(
      cluster
        .command(name)
        .summary(summary)
        .requiredOption('--reason <text>', 'why (recorded by every node with your name)')
        .option('--actor <name>', 'who is acting (default: your user name)'),
    ).action(async (flags: Flags) => {
      const halt: ClusterHalt = {
        active,
        trigger: active ? 'manual' : null,
        reason: flags.reason!,
        actor: actorOf(flags),
        node: 'cli',
        instance: randomUUID(),
        at: Date.now(),
      }
      const before = await withBuckets(flags, async (c) => {
        const was = await readHalt(c)
        await putHalt(c, halt)
        return was
      })
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ before, halt })}\n`)
      else process.stdout.write(`${describeHalt(halt)}\n`)
    })
  }
  change('halt', 'halt every node (each cancels its orders); nodes that start later start halted', true)
  change('resume', "lift the cluster's halt on every node whose own checks allow it (see sofia cluster status)", false)
}
