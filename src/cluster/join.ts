/**
 * @module cluster/join
 * How a trading session takes part in a cluster: the settings it joins with, the account leases of a session
 * on an exchange, the market data it may take from the cluster, and the join itself (before it trades).
 */
import { createHash } from 'node:crypto'
import type { AuditPayload } from '../audit/index.js'
import type { ExchangeSessionOptions, Trader } from '../system/index.js'
import type { CcxtExchangeSpec } from '../venues/index.js'
import type { NodeBus } from './events.js'
import { NatsFeed, ensureMarketStream, publishMarketData } from './market-data.js'
import { ClusterNode } from './node.js'
import type { AccountLease, ClusterNodeOptions, ClusterSafety } from './node.js'

export const MARKET_DATA_SOURCES = ['exchange', 'publish', 'nats'] as const
export type MarketDataSource = (typeof MARKET_DATA_SOURCES)[number]

export interface ClusterSettings {
  readonly servers: string
  readonly nodeId: string
  readonly failClosedMs: number
  readonly marketData: MarketDataSource
}

/** What a node tells the cluster of the session it runs. */
export interface ClusterMember {
  readonly safety: ClusterSafety
  readonly mode: () => string
  readonly strategies: readonly string[]
  readonly api?: () => string | undefined
  readonly leases?: readonly AccountLease[]
  readonly bus?: NodeBus
  readonly audit?: <T extends 'cluster.joined' | 'cluster.left'>(type: T, payload: AuditPayload<T>) => void
  readonly store?: NonNullable<ClusterNodeOptions['store']>
}

/** What a trading session tells the cluster of itself: its safety layer, strategies, market data and audit chain. */
export function sessionMember(
  trader: Trader,
  mode: () => string,
  o: { readonly store: NonNullable<ClusterNodeOptions['store']>; readonly leases?: readonly AccountLease[] | undefined; readonly api?: () => string },
): ClusterMember {
  return {
    safety: trader.safety,
    mode,
    strategies: trader.runners.map((r) => r.strategy.id),
    bus: trader.engine.bus,
    audit: (type, payload) => trader.persistence?.audit(type, 'system', payload),
    store: o.store,
    ...(o.leases !== undefined ? { leases: o.leases } : {}),
    ...(o.api !== undefined ? { api: o.api } : {}),
  }
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

/** The session's feed from the cluster (`--market-data nats`), or undefined for the exchange's own. */
export function clusterMarketData(settings: ClusterSettings | undefined): ExchangeSessionOptions['marketData'] {
  if (settings?.marketData !== 'nats') return undefined
  return (o) => new NatsFeed({ servers: settings.servers, ...o })
}

/**
 * Joins the cluster before the session trades. With `--market-data publish`, every market event of the session's
 * bus is published to the cluster from then on.
 */
export async function joinCluster(settings: ClusterSettings, member: ClusterMember, log: (line: string) => void): Promise<ClusterNode> {
  const node = await ClusterNode.join({
    servers: settings.servers,
    nodeId: settings.nodeId,
    failClosedMs: settings.failClosedMs,
    safety: member.safety,
    mode: member.mode,
    strategies: member.strategies,
    ...(member.api !== undefined ? { api: member.api } : {}),
    ...(member.leases !== undefined ? { leases: member.leases } : {}),
    ...(member.audit !== undefined ? { audit: member.audit } : {}),
    ...(member.bus !== undefined ? { bus: member.bus } : {}),
    ...(member.store !== undefined ? { store: member.store } : {}),
    log,
  })
  if (settings.marketData === 'publish' && member.bus !== undefined) {
    try {
      await ensureMarketStream(node.connection)
    } catch (error) {
      await node.leave()
      throw error
    }
    publishMarketData(node.connection, member.bus)
    log(`cluster: publishing this session's market data on sofia.md.>`)
  }
  return node
}
