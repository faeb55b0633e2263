/**
 * @module cli/cluster-option
 * `--nats URL --node-id ID` of `sofia serve` and `sofia run` (or `cluster.nats` / `cluster.nodeId` in
 * sofia.yaml): the session joins the cluster before it trades, and leaves it when it ends.
 */
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { Store } from '../store/index.js'
import { headsFileOf } from './store-option.js'
import type { StoreFlags } from './store-option.js'
import type { Command } from 'commander'
import { ClusterNode, checkNodeId } from '../cluster/node.js'
import type { AccountLease, ClusterNodeOptions, ClusterSafety } from '../cluster/node.js'
import type { CcxtExchangeSpec } from '../venues/index.js'
import { NatsFeed, ensureMarketStream, publishMarketData } from '../cluster/market-data.js'
import type { ExchangeSessionOptions } from '../system/index.js'
import type { NodeBus } from '../cluster/events.js'
import type { SofiaConfig } from '../config/index.js'
import { InputError } from '../model/index.js'

export interface ClusterFlags {
  nats?: string
  nodeId?: string
  marketData?: string
}

export const MARKET_DATA_SOURCES = ['exchange', 'publish', 'nats'] as const
export type MarketDataSource = (typeof MARKET_DATA_SOURCES)[number]

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option('--nats <url>', 'join the cluster on this NATS server (JetStream): one kill switch for every node (default cluster.nats)')
    .option('--node-id <id>', "this node's id in the cluster (default cluster.nodeId, else the host name)")
    .option(
      '--market-data <source>',
      "exchange (default): the exchange's own feed; publish: that feed, also published to the cluster; nats: the cluster's (another node's publish), no feed connection to the exchange",
    )
}

export interface ClusterSettings {
  readonly servers: string
  readonly nodeId: string
  readonly failClosedMs: number
  readonly marketData: MarketDataSource
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

/**
 * The account leases of a session on an exchange: one per symbol, named by a hash of the exchange, its URL, the
 * sandbox flag and the API key (the key itself never leaves the node).
 */
export function accountLeases(spec: CcxtExchangeSpec, symbols: readonly string[]): AccountLease[] {
  const account = createHash('sha256')
    .update([spec.exchangeId, spec.url ?? '', spec.sandbox === true ? 'sandbox' : '', spec.apiKey ?? ''].join('\n'))
    .digest('hex')
    .slice(0, 24)
  return symbols.map((symbol) => ({ key: `${account}.${symbol.replace(/[^A-Za-z0-9_-]/g, '_')}`, exchange: spec.exchangeId, symbol }))
}

/** Where a node's store and signed heads are, for `sofia audit verify --cluster` (absolute paths; no password). */
export function nodeStore(store: Store, flags: StoreFlags): NonNullable<ClusterNodeOptions['store']> {
  return { kind: store.kind, location: store.kind === 'sqlite' ? resolve(store.location) : store.location, headsFile: resolve(headsFileOf(flags)) }
}

/** The session's feed from the cluster (`--market-data nats`), or undefined for the exchange's own. */
export function clusterMarketData(settings: ClusterSettings | undefined): ExchangeSessionOptions['marketData'] {
  if (settings?.marketData !== 'nats') return undefined
  return (o) => new NatsFeed({ servers: settings.servers, ...o })
}

/**
 * Joins the cluster before the session trades. With `--market-data publish`, every market event of the session's
 * bus is published to the cluster from then on.
 */
export async function joinCluster(
  settings: ClusterSettings,
  session: {
    safety: ClusterSafety
    mode: () => string
    strategies: readonly string[]
    api?: () => string | undefined
    leases?: readonly AccountLease[]
    bus?: NodeBus
    audit?: (type: 'cluster.joined' | 'cluster.left', payload: Record<string, unknown>) => void
    store?: NonNullable<ClusterNodeOptions['store']>
  },
  log: (line: string) => void,
): Promise<ClusterNode> {
  const node = await ClusterNode.join({
    servers: settings.servers,
    nodeId: settings.nodeId,
    failClosedMs: settings.failClosedMs,
    safety: session.safety,
    mode: session.mode,
    strategies: session.strategies,
    ...(session.api !== undefined ? { api: session.api } : {}),
    ...(session.leases !== undefined ? { leases: session.leases } : {}),
    ...(session.audit !== undefined ? { audit: session.audit } : {}),
    ...(session.bus !== undefined ? { bus: session.bus } : {}),
    ...(session.store !== undefined ? { store: session.store } : {}),
    log,
  })
  if (settings.marketData === 'publish' && session.bus !== undefined) {
    try {
      await ensureMarketStream(node.connection)
    } catch (error) {
      await node.leave()
      throw error
    }
    publishMarketData(node.connection, session.bus)
    log(`cluster: publishing this session's market data on sofia.md.>`)
  }
  return node
}
