/**
 * @module cli/cluster-option
 * `--nats URL --node-id ID` of `sofia serve` and `sofia run` (or `cluster.nats` / `cluster.nodeId` in
 * sofia.yaml): the session joins the cluster before it trades, and leaves it when it ends.
 */
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { Store } from '../store/index.js'
import { headsFileOf } from './store-option.js'
import type { StoreFlags } from './store-option.js'
import type { Command } from 'commander'
import { checkNodeId } from '../cluster/node.js'
import type { ClusterNodeOptions } from '../cluster/node.js'
import { MARKET_DATA_SOURCES } from '../cluster/join.js'
import type { ClusterSettings, MarketDataSource } from '../cluster/join.js'
import type { SofiaConfig } from '../config/index.js'
import { InputError } from '../model/index.js'

export interface ClusterFlags {
  nats?: string
  nodeId?: string
  marketData?: string
}

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option('--nats <url>', 'join the cluster on this NATS server (JetStream): one kill switch for every node (default cluster.nats)')
    .option('--node-id <id>', "this node's id in the cluster (default cluster.nodeId, else the host name)")
    .option(
      '--market-data <source>',
      "exchange (default): the exchange's own feed; publish: that feed, also published to the cluster; nats: the cluster's (another node's publish), no feed connection to the exchange",
    )
}

/** The cluster the flags and configuration select, or undefined for a single node. Checked before anything starts. */
export function clusterSettings(flags: ClusterFlags, config: SofiaConfig): ClusterSettings | undefined {
  const servers = flags.nats ?? config.cluster?.nats
  const marketData = flags.marketData ?? 'exchange'
  if (!(MARKET_DATA_SOURCES as readonly string[]).includes(marketData)) throw new InputError(`--market-data: expected one of ${MARKET_DATA_SOURCES.join(', ')}, got '${marketData}'`)
  if (servers === undefined) {
    const stray = flags.nodeId !== undefined ? '--node-id' : flags.marketData !== undefined ? '--market-data' : undefined
    if (stray !== undefined) throw new InputError(`${stray}: only with --nats URL (or cluster.nats in sofia.yaml)`)
    return undefined
  }
  const nodeId = checkNodeId(flags.nodeId ?? config.cluster?.nodeId ?? hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64), flags.nodeId !== undefined ? '--node-id' : 'cluster.nodeId')
  return { servers, nodeId, failClosedMs: config.cluster?.failClosedAfterMs ?? 10_000, marketData: marketData as MarketDataSource }
}

/** Where a node's store and signed heads are, for `sofia audit verify --cluster` (absolute paths; no password). */
export function nodeStore(store: Store, flags: StoreFlags): NonNullable<ClusterNodeOptions['store']> {
  return { kind: store.kind, location: store.kind === 'sqlite' ? resolve(store.location) : store.location, headsFile: resolve(headsFileOf(flags)) }
}
