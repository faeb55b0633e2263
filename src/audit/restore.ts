/**
 * @module audit/restore
 * `sofia audit restore`: cuts the chain back to before a time (or to before the first bad record, if damage
 * comes earlier), keeping a prefix that verifies. The removed tail goes to a JSONL side file first, so nothing
 * is lost; only then are the records deleted.
 */
import { existsSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import { InputError } from '../model/index.js'
import type { StoredAuditRecord } from '../store/index.js'
import { untilTs, writeJsonl } from './export.js'
import type { AuditStore } from './export.js'
import { verifyChain } from './verify.js'
import type { BadRecord } from './verify.js'

export interface RestoreSummary {
  /** Records kept (seq 1…kept). */
  readonly kept: number
  readonly removed: number
  /** Where the removed records are; null when nothing was removed. */
  readonly sideFile: string | null
  /** The first bad record, when damage before `beforeTs` decided the cut. */
  readonly firstBad: BadRecord | null
}

/**
 * Keeps the records before the first one with ts ≥ `beforeTs`, or fewer: only up to the last good record
 * before the first bad one. Refuses to overwrite an existing side file. Sofia must not be writing to the
 * store meanwhile (a record appended between the export and the delete would still be saved: the side file
 * is rewritten from what the delete returned if the two differ).
 */
export async function restoreBefore(store: AuditStore, beforeTs: number, sideFilePath: string): Promise<RestoreSummary> {
  if (existsSync(sideFilePath)) throw new InputError(`side file ${sideFilePath} already exists; choose another --side-file`)
  const result = await verifyChain(untilTs(store.iterateAudit(), beforeTs), { fromGenesis: true })
  const keep = result.ok ? (result.head?.seq ?? 0) : (result.lastGood?.seq ?? 0)
  const firstBad = result.ok ? null : result.firstBad
  const head = await store.auditHead()
  if (head === undefined || head.seq <= keep) return { kept: keep, removed: 0, sideFile: null, firstBad }

  const saved = await writeJsonl(sideFilePath, store.iterateAudit({ fromSeq: keep + 1 }))
  const removed = await store.truncateAuditAfter(keep)
  if (removed.length !== saved.count || removed[removed.length - 1]?.seq !== saved.lastSeq) {
    // Records changed between the two steps: the delete's own list is the truth.
    await writeJsonl(`${sideFilePath}.tmp-rewrite`, single(removed))
    await rename(`${sideFilePath}.tmp-rewrite`, sideFilePath)
  }
  return { kept: keep, removed: removed.length, sideFile: sideFilePath, firstBad }
}

async function* single(records: StoredAuditRecord[]): AsyncIterable<StoredAuditRecord[]> {
  yield records
}
