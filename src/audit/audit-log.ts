/**
 * @module audit/audit-log
 * The in-process writer of the audit chain. `append` links and hashes a record at once (synchronously, so the
 * order of records is the order of decisions); the records wait in a pending list until the system writes
 * them in its next store batch, together with the state change they describe.
 */
import type { StoredAuditRecord } from '../store/index.js'
import { InvariantViolation } from '../model/index.js'
import { bodyText, canonicalJson, chainHash, GENESIS_HASH, jsonText } from './record.js'
import { sanitizePayload } from './redact.js'

export interface AuditHead {
  readonly seq: number
  readonly hash: string
}

export class AuditLog {
  #seq: number
  #hash: string
  #pending: StoredAuditRecord[] = []

  /** Continues a stored chain from its head (`store.auditHead()`), or starts one at genesis. */
  constructor(head?: AuditHead) {
    this.#seq = head?.seq ?? 0
    this.#hash = head?.hash ?? GENESIS_HASH
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
    this.#pending.push(record)
    return record
  }

  /** Returns the pending records, oldest first, and forgets them: the caller writes them to the store. */
  drain(): StoredAuditRecord[] {
    const out = this.#pending
    this.#pending = []
    return out
  }
}
