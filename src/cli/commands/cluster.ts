/**
 * @module cli/commands/cluster
 * `sofia cluster status|halt|resume --nats URL`: the nodes of a cluster and its global kill switch, from any
 * machine that reaches its NATS server (no store needed). `halt` halts every node within about a second (each
 * cancels its orders); `resume` lifts the halt on every node whose own checks allow it (each node audits both).
 */
import { randomUUID } from 'node:crypto'
import type { Command } from 'commander'
import { clusterBuckets, clusterStatus, connectCluster, putHalt, readHalt } from '../../cluster/node.js'
import type { ClusterHalt, ClusterStatus } from '../../cluster/node.js'
import type { KV } from '@nats-io/kv'
import { actorOf } from '../operator-command.js'

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

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').summary("a cluster's nodes and its global kill switch (over NATS)")
  const common = (cmd: Command): Command => cmd.requiredOption('--nats <url>', 'NATS server of the cluster').option('--json', 'print JSON')

  common(cluster.command('status').summary('every node: heartbeat age, mode, kill switch, strategies; and the global kill switch')).action(async (flags: Flags) => {
    const s = await withBuckets(flags, (c, n) => clusterStatus(c, n))
    process.stdout.write(flags.json === true ? `${JSON.stringify(s)}\n` : formatStatus(s))
  })

  const change = (active: boolean) => async (flags: Flags) => {
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
  }

  common(
    cluster
      .command('halt')
      .summary('halt every node (each cancels its orders); nodes that start later start halted')
      .requiredOption('--reason <text>', 'why (recorded by every node with your name)')
      .option('--actor <name>', 'who is acting (default: your user name)'),
  ).action(change(true))

  common(
    cluster
      .command('resume')
      .summary("lift the cluster's halt on every node whose own checks allow it (see sofia cluster status)")
      .requiredOption('--reason <text>', 'why (recorded by every node with your name)')
      .option('--actor <name>', 'who is acting (default: your user name)'),
  ).action(change(false))
}
