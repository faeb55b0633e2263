/**
 * @module audit/verify-store
 * A store's whole audit check, as `sofia audit verify` makes it: the chain (a SQLite file read directly, in
 * parallel parts; other stores through the port), then its signed heads. Where the store's structural check
 * runs beside the scan, it decides first: a damaged database is refused whatever the scan found.
 */
import type { Store } from '../store/index.js'
import { checkAnchors } from './anchor-check.js'
import type { AnchorReport, HeadLine } from './anchor-check.js'
import type { AuditKey } from '../chain/anchor.js'
import { verifyChain } from './verify.js'
import type { VerifyResult } from './verify.js'
import { verifySqliteAudit } from './verify-sqlite.js'

export interface StoreVerifyOptions {
  /** The heads file the store's signed heads are appended to (none for a store that has none). */
  readonly headsFile?: string
  /** Operator-kept heads (`verify --head FILE`). */
  readonly extraHeads: readonly HeadLine[]
  /** Keys the signatures are checked against. */
  readonly keys: readonly AuditKey[]
}

/**
 * Verifies a store's chain, then its signed heads against `keys`, the heads file and `extraHeads`. No anchor
 * report when the chain is broken. Throws the store's InputError when its database is damaged.
 */
export async function verifyStore(store: Store, o: StoreVerifyOptions): Promise<{ result: VerifyResult; anchors: AnchorReport | undefined }> {
  const scan = store.kind === 'sqlite' ? verifySqliteAudit(store.location) : verifyChain(store.iterateAudit(undefined, 5000), { fromGenesis: true })
  const [checked, scanned] = await Promise.allSettled([store.integrityChecked ?? Promise.resolve(), scan])
  if (checked.status === 'rejected') throw checked.reason
  if (scanned.status === 'rejected') throw scanned.reason
  const chain = scanned.value
  if (!chain.ok) return { result: chain, anchors: undefined }
  const report = checkAnchors({ chainHead: chain.head, anchors: await store.auditAnchors(), ...(o.headsFile !== undefined ? { headsFile: o.headsFile } : {}), extraHeads: o.extraHeads, keys: o.keys })
  return { result: chain, anchors: report }
}
