/**
 * @module audit/verify-sqlite
 * Verifies the audit chain of a SQLite store file at full speed: the seq range is cut into contiguous parts,
 * one per core, and each part is read and checked by a worker thread with its own read-only connection (WAL
 * lets readers run side by side), streaming raw rows. Each body is rebuilt from the columns by concatenation
 * (the payload column is canonical JSON text), so an edit to any column is a hash mismatch; a body still
 * stored (records written before schema v2, or one the columns cannot rebuild) must equal the rebuilt one
 * (body_mismatch). The main thread then checks the joins between parts and names the first bad record with
 * the reasons and messages of verifyChain.
 */
import { availableParallelism } from 'node:os'
import { runInThisContext } from 'node:vm'
import Database from 'better-sqlite3'
import { sqliteWorker } from '../store/index.js'
import type { AuditHead } from './audit-log.js'
import { chainHash, GENESIS_HASH } from '../chain/record.js'
import type { AuditRecord } from '../chain/record.js'
import { bodyDifference, short } from './verify.js'
import type { BadRecord, BadRecordReason, VerifyResult } from './verify.js'

export interface SqliteVerifyOptions {
  /** Parts read in parallel, each by its own worker (default: one per core; 1 = on the calling thread). */
  readonly parts?: number
  /** Chains shorter than this are verified on the calling thread: a worker costs ~40 ms to start. */
  readonly parallelAfter?: number
}

const PARALLEL_AFTER = 100_000
// Records the calling thread reads while a worker starts (~40 ms).
const WORKER_START_RECORDS = 25_000

/** What a scan of one part found: its ends, and the first record that fails a check inside it. */
interface PartResult {
  readonly count: number
  readonly firstSeq: number | null
  readonly firstPrevHash: string | null
  readonly lastSeq: number | null
  readonly lastHash: string | null
  /** Index within the part, the check that failed, the raw row and (hash_mismatch) the computed hash. */
  readonly bad?: { readonly index: number; readonly reason: BadRecordReason; readonly row: unknown[]; readonly computed?: string | undefined }
}

type Scan = (db: Database.Database, hash: (text: string) => string, from: number, to: number) => PartResult

/*
 * The hashed text (prevHash ‖ body), built by SQLite. This is only a fast path: SQLite's json_quote or number
 * formatting may differ from JSON.stringify on rare values, and a row whose text does not hash right, or
 * that has no text (a stored body, a column of the wrong type), is checked again the slow way in JavaScript.
 * It cannot pass a tampered row: with ts a number and type/actor JSON string literals, the concatenation can
 * be split back into its columns in only one way, so a matching hash means the columns are the ones hashed.
 *
 * PLUCK_SQL gives one string per row, `hash ‖ prevHash ‖ body` (both hashes 64 bytes, checked here), so a
 * row costs one string and no array. The sizes are read with octet_length, which SQLite knows without counting
 * characters as length() does; what passes is the same, as a row passes only when its first 64 characters equal
 * a hex digest and the next 64 the previous hash (or, first in a part, a hash the join checks): all ASCII, so
 * each 64-byte column is exactly those characters. A page of n rows in a seq range of n has no gap (seq is the
 * rowid), and each row's seq is its place. A page with a gap is read again by ROWS_SQL, with the seq of each row.
 */
const TEXT = `prev_hash, '{"actor":', json_quote(actor), ',"payload":', payload, ',"seq":', seq, ',"ts":', ts,
    ',"type":', json_quote(type), '}'`
const FAST_ROW = `body IS NULL AND typeof(ts) IN ('integer', 'real') AND typeof(type) = 'text' AND typeof(actor) = 'text'
    AND typeof(payload) = 'text' AND typeof(prev_hash) = 'text' AND typeof(hash) = 'text'`

/** Exported for the benchmark's floor: the row text the fast path reads (`hash ‖ prevHash ‖ body`). */
export const PLUCK_SQL = `SELECT CASE WHEN ${FAST_ROW} AND octet_length(hash) = 64 AND octet_length(prev_hash) = 64 THEN concat(hash, ${TEXT}) END
FROM audit WHERE seq > ? AND seq <= ? ORDER BY seq`

const ROWS_SQL = `SELECT seq, prev_hash, hash, CASE WHEN ${FAST_ROW} THEN concat(${TEXT}) END
FROM audit WHERE seq > ? AND seq <= ? ORDER BY seq`

const ROW_SQL = 'SELECT seq, ts, type, actor, payload, prev_hash, hash, body FROM audit WHERE seq = ?'

/*
 * One scan function, as source text, for the worker threads and (small chains) the calling thread alike;
 * plain JavaScript so it runs the same under vitest and from dist/. The first row of a part is checked only
 * on its own (its seq and prevHash are checked against the previous part by the caller). The slow path
 * rebuilds the body exactly as audit/record.ts's bodyText does; `hash` is exactly chainHash.
 */
const SCAN_SOURCE = `(function scan(db, hash, from, to) {
  const plucked = db.prepare(${JSON.stringify(PLUCK_SQL)}).pluck()
  let rows = null
  let byRow = null
  let count = 0
  let firstSeq = null
  let firstPrevHash = null
  let prevSeq = null
  let prevHash = null
  let bad = null
  const row = (seq) => (byRow ??= db.prepare(${JSON.stringify(ROW_SQL)}).raw()).get(seq)
  // Checks one record; text is prevHash ‖ body as SQLite built it, or null (then only the slow way).
  const one = (seq, prev, stored, text) => {
    let reason = null
    let computed
    if (count === 0) {
      firstSeq = seq
      firstPrevHash = prev
    } else if (seq !== prevSeq + 1) {
      reason = 'gap'
    } else if (prev !== prevHash) {
      reason = 'broken_link'
    }
    if (reason === null && (text === null || hash(text) !== stored)) {
      const [, ts, type, actor, payload, , , body] = row(seq)
      if (typeof ts !== 'number' || typeof type !== 'string' || typeof actor !== 'string' || typeof payload !== 'string' ||
          typeof prev !== 'string' || typeof stored !== 'string' || (body !== null && typeof body !== 'string')) {
        reason = 'malformed'
      } else {
        const rebuilt = '{"actor":' + JSON.stringify(actor) + ',"payload":' + payload + ',"seq":' + seq + ',"ts":' + ts +
          ',"type":' + JSON.stringify(type) + '}'
        if (body !== null && body !== rebuilt) {
          reason = 'body_mismatch'
        } else {
          computed = hash(prev + rebuilt)
          if (computed !== stored) reason = 'hash_mismatch'
        }
      }
    }
    if (reason !== null) {
      bad = { index: count, reason, row: row(seq), computed }
      return false
    }
    prevSeq = seq
    prevHash = stored
    count++
    return true
  }
  const result = () => ({ count, firstSeq, firstPrevHash, lastSeq: prevSeq, lastHash: prevHash, ...(bad !== null ? { bad } : {}) })
  for (let lo = from; lo < to; lo = Math.min(lo + 8192, to)) {
    const hi = Math.min(lo + 8192, to)
    const page = plucked.all(lo, hi)
    if (page.length === hi - lo) {
      for (let i = 0; i < page.length; i++) {
        const s = page[i]
        const seq = lo + 1 + i
        // The common case, without a string made but the hashed text: linked (the text starts with the
        // previous hash) and hashing to the stored hash (the row starts with it).
        if (s !== null && count > 0) {
          const stored = s.slice(0, 64)
          if (s.slice(64, 128) === prevHash && hash(s.slice(64)) === stored) {
            prevSeq = seq
            prevHash = stored
            count++
            continue
          }
        }
        // Otherwise (a part's first row, a row the fast path did not pass, or one without text) the row is
        // checked from its own columns, the slow way: the text's slices are the columns only when it passed.
        const r = row(seq)
        if (!one(seq, r[5], r[6], null)) return result()
      }
    } else {
      rows ??= db.prepare(${JSON.stringify(ROWS_SQL)}).raw()
      const page2 = rows.all(lo, hi)
      for (let i = 0; i < page2.length; i++) {
        const r = page2[i]
        if (!one(r[0], r[1], r[2], r[3])) return result()
      }
    }
  }
  return result()
})`

// Must hash exactly as record.ts's chainHash does (SHA-256 of prevHash ‖ body, hex).
const HASH_SOURCE = `(function () {
  const crypto = require('node:crypto')
  return typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex')
})()`

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const scan = ${SCAN_SOURCE}
const hash = ${HASH_SOURCE}
const db = new Database(workerData.file, { readonly: true, fileMustExist: true })
try {
  parentPort.postMessage(scan(db, hash, workerData.from, workerData.to))
} finally {
  db.close()
}
`

let inThreadScan: Scan | undefined

/**
 * Verifies the audit chain in the SQLite store file `file` (schema v1 or later) from genesis, with the
 * semantics of `verifyChain(store.iterateAudit(), { fromGenesis: true })`: gap, broken_link, hash_mismatch,
 * body_mismatch (a stored body that the columns do not rebuild exactly) and malformed (a column of the wrong
 * type). Records cannot be duplicated or out of order in SQLite (seq is the primary key, read in order).
 * Reads a snapshot up to the head at the time of the call; records appended meanwhile are not checked.
 */
export async function verifySqliteAudit(file: string, options: SqliteVerifyOptions = {}): Promise<VerifyResult> {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const range = db.prepare('SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM audit').get() as { lo: number | null; hi: number | null }
    if (range.lo === null || range.hi === null) return { ok: true, count: 0, head: null }
    const lo = range.lo - 1
    const hi = range.hi
    const wanted = Math.max(1, Math.floor(options.parts ?? availableParallelism()))
    const parts = hi - lo < (options.parallelAfter ?? PARALLEL_AFTER) ? 1 : wanted
    if (parts === 1) return join([scanInThread(db, lo, hi)])
    // The calling thread reads the first part while workers read the others: one thread fewer to start. It
    // takes a larger share, as the workers start reading only once they are up (WORKER_START_RECORDS late).
    const headStart = Math.min(WORKER_START_RECORDS, Math.floor((hi - lo) / (2 * parts)))
    const first = lo + Math.floor((hi - lo - headStart) / parts) + headStart
    const bounds = [lo, ...Array.from({ length: parts - 1 }, (_, i) => first + Math.floor(((hi - first) * i) / (parts - 1))), hi]
    const workers = bounds.slice(1, -1).map((from, i) => scanInWorker(file, from, bounds[i + 2] as number))
    // Rejections are awaited below; until then they must not count as unhandled.
    for (const w of workers) w.catch(() => undefined)
    const mine = scanInThread(db, lo, first)
    return join([mine, ...(await Promise.all(workers))])
  } finally {
    db.close()
  }
}

const hashText = (text: string): string => chainHash('', text)

function scanInThread(db: Database.Database, from: number, to: number): PartResult {
  inThreadScan ??= runInThisContext(SCAN_SOURCE) as Scan
  return inThreadScan(db, hashText, from, to)
}

function scanInWorker(file: string, from: number, to: number): Promise<PartResult> {
  return sqliteWorker<PartResult>(WORKER_SOURCE, { file, from, to }, `audit verification worker for seq ${from + 1}–${to}`).result
}

/** Puts the parts together in seq order: checks each join, and returns the first bad record overall. */
function join(results: readonly PartResult[]): VerifyResult {
  let count = 0
  let prevSeq = 0
  let prevHash = GENESIS_HASH
  const fail = (seq: number, reason: BadRecordReason, detail: string): VerifyResult => ({
    ok: false,
    count,
    firstBad: { seq, reason, detail },
    lastGood: count === 0 ? null : { seq: prevSeq, hash: prevHash },
  })
  for (const part of results) {
    if (part.firstSeq !== null && part.firstPrevHash !== null) {
      const seq = part.firstSeq
      if (seq !== prevSeq + 1) {
        const expected = prevSeq + 1
        const missing = seq - 1 === expected ? `seq ${expected}` : `seq ${expected}–${seq - 1}`
        const where = count === 0 ? `the chain starts at seq ${seq}` : `seq ${prevSeq} is followed by seq ${seq}`
        return fail(seq, 'gap', `${missing} missing: ${where}`)
      }
      if (part.firstPrevHash !== prevHash) {
        return count === 0
          ? fail(seq, 'broken_link', `the first record's prevHash ${short(part.firstPrevHash)} is not the genesis hash`)
          : fail(seq, 'broken_link', `prevHash ${short(part.firstPrevHash)} is not the hash of seq ${prevSeq} (${short(prevHash)})`)
      }
    }
    if (part.bad !== undefined) {
      if (part.bad.index > 0) {
        count += part.bad.index
        prevSeq = part.lastSeq as number
        prevHash = part.lastHash as string
      }
      const bad = describe(part.bad, prevSeq, prevHash)
      return fail(bad.seq, bad.reason, bad.detail)
    }
    if (part.lastSeq !== null && part.lastHash !== null) {
      count += part.count
      prevSeq = part.lastSeq
      prevHash = part.lastHash
    }
  }
  const head: AuditHead | null = count === 0 ? null : { seq: prevSeq, hash: prevHash }
  return { ok: true, count, head }
}

/** The message for a bad record found inside a part, as verifyChain words it. */
function describe(bad: NonNullable<PartResult['bad']>, prevSeq: number, prevHash: string): BadRecord {
  const [seq, ts, type, actor, payload, prev, hash, body] = bad.row
  const at = Number(seq)
  switch (bad.reason) {
    case 'gap': {
      const expected = prevSeq + 1
      const missing = at - 1 === expected ? `seq ${expected}` : `seq ${expected}–${at - 1}`
      return { seq: at, reason: 'gap', detail: `${missing} missing: seq ${prevSeq} is followed by seq ${at}` }
    }
    case 'broken_link':
      return {
        seq: at,
        reason: 'broken_link',
        detail: `prevHash ${short(String(prev))} is not the hash of seq ${prevSeq} (${short(prevHash)})`,
      }
    case 'hash_mismatch':
      return {
        seq: at,
        reason: 'hash_mismatch',
        detail: `stored hash ${short(String(hash))} but the record hashes to ${short(bad.computed ?? '')}`,
      }
    case 'body_mismatch': {
      let parsed: unknown
      try {
        parsed = JSON.parse(String(payload))
      } catch {
        return { seq: at, reason: 'body_mismatch', detail: 'the payload column is not JSON' }
      }
      const record: AuditRecord = {
        seq: at,
        ts: Number(ts),
        type: String(type),
        actor: String(actor),
        payload: parsed,
        prevHash: String(prev),
        hash: String(hash),
      }
      return { seq: at, reason: 'body_mismatch', detail: bodyDifference(record, String(body)) }
    }
    case 'malformed': {
      const names = ['seq', 'ts', 'type', 'actor', 'payload', 'prev_hash', 'hash', 'body']
      const wrong = names.filter((_, i) => {
        const v = bad.row[i]
        if (i <= 1) return typeof v !== 'number'
        return i === 7 ? v !== null && typeof v !== 'string' : typeof v !== 'string'
      })
      return { seq: at, reason: 'malformed', detail: `column${wrong.length > 1 ? 's' : ''} ${wrong.join(', ')} of the wrong type` }
    }
    case 'reordered':
    case 'duplicate':
      break
  }
  return { seq: at, reason: bad.reason, detail: 'unexpected' }
}
