/**
 * @module audit
 * The audit chain: records, the in-process writer, verification, JSONL export/import and restore.
 */
export { GENESIS_HASH, bodyText, canonicalJson, recordBody, chainHash } from '../chain/record.js'
export type { AuditRecord } from '../chain/record.js'
export { AUDIT_TYPES, isAuditType, isRecordOf, payloadOf } from './types.js'
export type { AuditEntry, AuditEntryOf, AuditPayload, AuditPayloads, AuditRecordOf, AuditType, AuditWriter, JsonObject, KnownAuditType, OperatorAuditType, OrderIntentPayload, ResyncSummary } from './types.js'
export { AuditLog, writeAudited } from './audit-log.js'
export { AuditKey, CHECKPOINT, HeadAnchor, KEY_RECORD, keyIdOf } from '../chain/anchor.js'
export type { KeyRotation, SignedHead } from '../chain/anchor.js'
export type { AuditHead } from './audit-log.js'
export { REDACTED, SECRET_KEY, redactSecrets, sanitizePayload } from './redact.js'
export { BAD_RECORD_REASONS, verifyChain, bodyMatches } from './verify.js'
export type { BadRecord, BadRecordReason, VerifiableRecord, VerifyOptions, VerifyResult } from './verify.js'
export { verifySqliteAudit } from './verify-sqlite.js'
export type { SqliteVerifyOptions } from './verify-sqlite.js'
export { exportJsonl, jsonlLine, readJsonl, verifyJsonl, writeJsonl, MalformedLine } from './export.js'
export type { AuditStore, ExportSummary, ReadJsonlOptions } from './export.js'
export { restoreBefore } from './restore.js'
export type { RestoreSummary } from './restore.js'
export { checkAnchors, readHeadsFile } from './anchor-check.js'
export type { AnchorCheckInput, AnchorReport, HeadLine } from './anchor-check.js'
