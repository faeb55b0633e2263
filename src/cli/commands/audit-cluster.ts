/**
 * @module cli/commands/audit-cluster
 * `sofia audit verify --cluster --nats URL`: every node's audit chain, from one machine. Each node keeps its own
 * chain in its own store (a SQLite file on its host, or its own schema of the shared PostgreSQL database) and
 * puts where it is in the cluster's bucket at every join (key `store.<node>`, kept after the node is gone). This
 * verifies each chain as `sofia audit verify` does — every link and hash, the signed heads against the audit key,
 * and, on the node's own host, that the chain still reaches every head its heads file remembers — and says which
 * node's chain it could not reach from here. Exit 0 only when every node's chain was checked and is intact.
 */
import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { clusterBuckets, connectCluster, nodeStores } from '../../cluster/node.js'
import type { NodeStoreRecord } from '../../cluster/node.js'
import type { AnchorReport, AuditKey, HeadLine, VerifyResult } from '../../audit/index.js'
import { openStore, safePostgresUrl } from '../../store/index.js'
import type { Store } from '../../store/index.js'

export interface NodeChainReport {
  readonly node: string
  readonly host: string
  readonly kind: string
  readonly location: string
  /** False when the chain could not be reached from here (`reason` says why). */
  readonly checked: boolean
  readonly ok: boolean
  readonly count?: number
  readonly head?: { readonly seq: number; readonly hash: string } | null
  readonly firstBad?: { readonly seq: number; readonly reason: string; readonly detail: string }
  readonly anchors?: AnchorReport
  readonly reason?: string
}

/** Why a node's chain was not verified: out of reach from here (not checked), or refused (gone, damaged). */
interface NotOpened {
  readonly checked: boolean
  readonly reason: string
}

/** Opens a node's store read-only from here, or says why it cannot. */
async function openNodeStore(r: NodeStoreRecord, integrity: 'quick' | 'full'): Promise<Store | NotOpened> {
  if (r.kind === 'sqlite') {
    if (r.host !== hostname()) return { checked: false, reason: `a SQLite store on host ${r.host}: verify it there (sofia audit verify --db ${r.location})` }
    if (!existsSync(r.location)) return { checked: true, reason: `its store ${r.location} is gone` }
    return openStore({ dataDir: dirname(r.location), file: r.location, create: false, integrity })
  }
  if (r.kind === 'postgres') {
    // This machine's DATABASE_URL carries the credentials when it names the same server; the record has none.
    const url = new URL(r.location)
    const schema = url.searchParams.get('schema') ?? 'public'
    url.searchParams.delete('schema')
    const mine = process.env['DATABASE_URL']
    const sameServer = mine !== undefined && mine !== '' && safePostgresUrl(mine) === safePostgresUrl(r.location)
    return openStore({ dataDir: '.', databaseUrl: sameServer ? mine : url.toString(), schema, create: false })
  }
  return { checked: false, reason: `a store of kind '${r.kind}' this version cannot open` }
}

/** Verifies every node's chain the cluster knows of. */
export async function verifyClusterChains(
  nats: string,
  o: {
    integrity: 'quick' | 'full'
    extraHeads: readonly HeadLine[]
    keys: readonly AuditKey[]
    verify: (store: Store, o: { headsFile?: string; extraHeads: readonly HeadLine[]; keys: readonly AuditKey[] }) => Promise<{ result: VerifyResult; anchors: AnchorReport | undefined }>
  },
): Promise<NodeChainReport[]> {
  const nc = await connectCluster(nats, 'sofia:cli')
  let records: NodeStoreRecord[]
  try {
    records = await nodeStores((await clusterBuckets(nc)).cluster)
  } finally {
    await nc.close()
  }
  const reports: NodeChainReport[] = []
  for (const r of records) {
    const base = { node: r.node, host: r.host, kind: r.kind, location: r.location }
    let store: Store | NotOpened
    try {
      store = await openNodeStore(r, o.integrity)
    } catch (error) {
      // A damaged or foreign store is refused by opening it: that chain fails.
      reports.push({ ...base, checked: true, ok: false, reason: error instanceof Error ? error.message : String(error) })
      continue
    }
    if ('reason' in store) {
      reports.push({ ...base, checked: store.checked, ok: false, reason: store.reason })
      continue
    }
    try {
      const headsFile = r.host === hostname() ? r.headsFile : undefined
      const { result, anchors } = await o.verify(store, { ...(headsFile !== undefined ? { headsFile } : {}), extraHeads: o.extraHeads, keys: o.keys })
      reports.push(
        result.ok
          ? { ...base, checked: true, ok: anchors?.ok ?? true, count: result.count, head: result.head, ...(anchors !== undefined ? { anchors } : {}) }
          : { ...base, checked: true, ok: false, count: result.count, firstBad: result.firstBad },
      )
    } finally {
      await store.close()
    }
  }
  return reports
}

/** One line per node, then the verdict. */
export function describeClusterChains(reports: readonly NodeChainReport[]): string {
  if (reports.length === 0) return 'no node has put its store in this cluster (nodes put it when they join)\n'
  let out = ''
  const width = Math.max(...reports.map((r) => r.node.length))
  for (const r of reports) {
    const head = `${r.node.padEnd(width)}  ${r.kind} ${r.location}`
    if (r.firstBad !== undefined) out += `${head}: chain BROKEN at seq ${r.firstBad.seq}: ${r.firstBad.reason} (${r.firstBad.detail}); ${r.count ?? 0} good records before it\n`
    else if (r.reason !== undefined) out += `${head}: ${r.checked ? 'REFUSED' : 'NOT CHECKED'}: ${r.reason}\n`
    else {
      const a = r.anchors
      const signed = a === undefined || a.newest === null ? 'no signed head yet' : `${a.signedHeads} signed heads, newest for seq ${a.newest.seq}`
      out += `${head}: ${r.ok ? 'intact' : 'links intact, signed heads NOT'}: ${r.count} records, head seq ${r.head?.seq ?? '-'}; ${signed}\n`
      for (const p of a?.problems ?? []) out += `  problem: ${p}\n`
    }
  }
  const intact = reports.filter((r) => r.ok).length
  const unchecked = reports.filter((r) => !r.checked).length
  out += `cluster audit: ${reports.length} node${reports.length === 1 ? '' : 's'}, ${intact} chain${intact === 1 ? '' : 's'} intact${unchecked > 0 ? `, ${unchecked} not checked from here` : ''}\n`
  return out
}
