/**
 * @module chain
 * The audit chain's primitives, below both the audit layer and the stores: a record and its hash, and the signed
 * heads (the audit key, checkpoints and the heads file). They depend on the model alone.
 */
export { GENESIS_HASH, bodyText, canonicalJson, chainHash, jsonText, recordBody } from './record.js'
export type { AuditRecord } from './record.js'
export { AuditKey, CHECKPOINT, HeadAnchor, KEY_RECORD, keyIdOf } from './anchor.js'
export type { KeyRotation, SignedHead } from './anchor.js'
