/**
 * @module audit/audit-log
 * The in-process writer of the audit chain. `append` links and hashes a record at once (synchronously, so the
 * order of records is the order of decisions); the records wait in a pending list until the system writes
 * them in its next store batch, together with the state change they describe. With a HeadAnchor, the head is
 * signed every N records or T seconds (`checkpointIfDue`) and on `checkpoint()`, as an `audit.checkpoint`
 * record; after the store commits a batch, `committed` anchors those signatures outside the store.
 */
import type { Store, StoredAuditRecord, WriteBatch } from '../store/index.js'
import { InvariantViolation } from '../model/index.js'
import type { AuditRecord } from '../chain/record.js'
import { bodyText, canonicalJson, chainHash, GENESIS_HASH, jsonText } from '../chain/record.js'
import { sanitizePayload } from './redact.js'
import { CHECKPOINT } from '../chain/anchor.js'
import type { HeadAnchor } from '../chain/anchor.js'
import type { AuditPayload, AuditType } from './types.js'

export interface AuditHead {
  readonly seq: number
  readonly hash: string
}

export class AuditLog {
  #seq: number
  #hash: string
  #pending: StoredAuditRecord[] = []
  #ts = 0
  /** Records appended since the last signed head. */
  #unsigned: number
  #lastSigned = Date.now()

  /** Continues a stored chain from its head (`store.auditHead()`), or starts one at genesis. */
  constructor(
    head?: AuditHead,
    readonly anchor?: HeadAnchor,
  ) {
    this.#seq = head?.seq ?? 0
    this.#hash = head?.hash ?? GENESIS_HASH
    // A resumed chain may end in records no signature covers yet (a crash): the next checkpoint covers them.
    this.#unsigned = 0
  }

  /** The last record appended (seq 0 and the genesis hash before the first). */
  get head(): AuditHead {
    return { seq: this.#seq, hash: this.#hash }
  }

  /** Records appended but not yet drained. */
  get pendingCount(): number {
    return this.#pending.length
  }

  /**
   * Appends a record: `payload` is copied with secrets redacted and keys sorted (sanitizePayload), then
   * serialized, linked and hashed; the record holds the copy, so later changes to `payload` do not reach it.
   * Throws InvariantViolation for a payload that has no canonical form (NaN, a function).
   */
  append(type: string, actor: string, payload: unknown, ts: number): StoredAuditRecord {
    if (!Number.isFinite(ts)) throw new InvariantViolation(`audit record time is not a number (${ts})`)
    // No payload is recorded as null: stores keep the column as JSON, where undefined cannot be told from null.
    const sanitized = sanitizePayload(payload)
    const clean = sanitized.value ?? null
    const integerKeys = sanitized.integerKeys
    const seq = this.#seq + 1
    const prevHash = this.#hash
    // recordBody's output, built from the sorted copy with the native serializer (several times faster than
    // canonicalJson); keys like "10" and "9" are ordered numerically by JavaScript, so those go the slow way.
    const payloadJson = integerKeys ? canonicalJson(clean) : JSON.stringify(clean)
    const body = bodyText(seq, ts, jsonText(type), jsonText(actor), payloadJson)
    const hash = chainHash(prevHash, body)
    const record: StoredAuditRecord = { seq, ts, type, actor, payload: clean, prevHash, hash, body }
    // The head moves only once the record is complete: a payload that cannot be serialized leaves no hole.
    this.#seq = seq
    this.#hash = hash
    this.#ts = ts
    this.#pending.push(record)
    if (this.anchor !== undefined && type !== CHECKPOINT && ++this.#unsigned >= this.anchor.everyRecords) this.checkpoint()
    return record
  }

  /**
   * Appends a record of the vocabulary with its type's payload: what Sofia's writers call (`append` takes any
   * type and payload, for the chain's own records, imports and tests).
   */
  record<T extends AuditType>(type: T, actor: string, payload: AuditPayload<T>, ts: number): StoredAuditRecord {
    return this.append(type, actor, payload, ts)
  }

  /**
   * Signs the head (when an anchor is set and records came since the last signature) and appends the signed
   * head as an `audit.checkpoint` record. Called at a session's stop and by operator tools after their records.
   */
  checkpoint(): StoredAuditRecord | undefined {
    if (this.anchor === undefined || this.#unsigned === 0 || this.#seq === 0) return undefined
    const signed = this.anchor.key.signHead({ seq: this.#seq, hash: this.#hash }, Date.now())
    this.#unsigned = 0
    this.#lastSigned = signed.signedAt
    return this.record(CHECKPOINT, 'system', signed, this.#ts)
  }

  /** Signs the head when the anchor's interval has passed with new records; call it before each store write. */
  checkpointIfDue(now = Date.now()): void {
    if (this.anchor !== undefined && this.#unsigned > 0 && now - this.#lastSigned >= this.anchor.everyMs) this.checkpoint()
  }

  /** Tells the anchor which records the store has just made durable (their signed heads go to the heads file). */
  committed(records: readonly AuditRecord[]): void {
    this.anchor?.committed(records)
  }

  /** Returns the pending records, oldest first, and forgets them: the caller writes them to the store. */
  drain(): StoredAuditRecord[] {
    const out = this.#pending
    this.#pending = []
    return out
  }
}

/**
 * One write of an operator tool (no session running): `batch` with the records `append` adds, continuing the
 * stored chain, its new head signed and anchored when the store has an anchor.
 */
export async function writeAudited(store: Store, batch: Omit<WriteBatch, 'audit'>, append: (log: AuditLog) => void): Promise<void> {
  const log = new AuditLog(await store.auditHead(), store.anchor)
  append(log)
  log.checkpoint()
  const audit = log.drain()
  await store.write({ ...batch, audit })
  log.committed(audit)
}
