/**
 * @module audit/verify
 * Verifies an audit chain read in batches (from a store or a JSONL export) and names the first bad record.
 * Sequence and link checks are sequential and cheap; the cost is one SHA-256 per record, so the loop does
 * nothing else per record that allocates more than a few short strings.
 */
import { canonicalJson, chainHash, GENESIS_HASH, jsonText, recordBody } from '../chain/record.js'
import type { AuditRecord } from '../chain/record.js'
import type { AuditHead } from './audit-log.js'
import { defaultHashWorkers, HashPool } from './hash-pool.js'
import type { HashCheck } from './hash-pool.js'

export const BAD_RECORD_REASONS = [
  'hash_mismatch',
  'broken_link',
  'gap',
  'reordered',
  'duplicate',
  'body_mismatch',
  'malformed',
] as const
export type BadRecordReason = (typeof BAD_RECORD_REASONS)[number]

export interface BadRecord {
  readonly seq: number
  readonly reason: BadRecordReason
  readonly detail: string
}

export type VerifyResult =
  | { readonly ok: true; readonly count: number; readonly head: AuditHead | null }
  | {
      readonly ok: false
      /** Records checked and found good before the bad one. */
      readonly count: number
      readonly firstBad: BadRecord
      /** The last good record before the bad one (where a restore can cut), or null. */
      readonly lastGood: AuditHead | null
    }

/** A record as read: from a store it carries the exact body text that was hashed; from JSONL it does not. */
export type VerifiableRecord = AuditRecord & { readonly body?: string }

export interface VerifyOptions {
  /**
   * The records are a whole chain: the first must be seq 1 linked to genesis. Without it, a first record
   * with seq > 1 (an export of a range) is accepted as the anchor and its prevHash trusted.
   */
  readonly fromGenesis?: boolean
  /** Called after each batch with the number of records checked so far. */
  readonly onProgress?: (count: number) => void
  /**
   * Worker threads checking hashes beside the sequential checks (default: one per core but one; 0 = none).
   * They start only once a chain proves long enough to repay their start-up.
   */
  readonly workers?: number
}

// Chains shorter than this verify on the calling thread alone: a worker costs ~30 ms to start.
const PARALLEL_AFTER = 50_000
const CHUNK = 4096
// Chunks in flight per worker: enough to keep it busy, few enough to bound memory.
const INFLIGHT_PER_WORKER = 4

interface Chunk {
  /** Index (records checked before it) and seq of its first record. */
  readonly start: number
  readonly seqs: number[]
  readonly prev: string[]
  readonly bodies: string[]
  readonly hashes: string[]
}

/**
 * Checks, record by record: seq continues the previous one (lower → reordered, equal → duplicate, higher →
 * gap), prevHash is the previous hash (broken_link), hash = SHA-256(prevHash ‖ body) (hash_mismatch) and,
 * when a stored body comes with the record, the columns say what the body says (body_mismatch: else an
 * edited column would go unnoticed). Stops at the first bad record.
 */
export async function verifyChain(
  batches: AsyncIterable<readonly VerifiableRecord[]> | Iterable<readonly VerifiableRecord[]>,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const workers = options.workers ?? defaultHashWorkers()
  let pool: HashPool | undefined
  let count = 0
  let started = false
  let prevSeq = 0
  let prevHash = GENESIS_HASH
  // A record whose seq jumps ahead is a gap unless the next record goes back (then records were swapped),
  // so the verdict on it waits for one more record.
  let skipped: VerifiableRecord | undefined
  // With the pool, hashes are checked later than the rest: `count` is then the number of records that passed
  // every check but the hash, and a hash failure found in an earlier chunk takes precedence.
  let chunk: Chunk | undefined
  const inflight: { readonly chunk: Chunk; readonly result: Promise<HashCheck> }[] = []

  const dispatch = (): void => {
    if (chunk === undefined || pool === undefined) return
    inflight.push({ chunk, result: pool.check(chunk.prev, chunk.bodies, chunk.hashes) })
    chunk = undefined
  }
  /** The first hash failure among the chunks in flight, oldest first, leaving at most `keep` in flight. */
  const settle = async (keep: number): Promise<VerifyResult | undefined> => {
    while (inflight.length > keep) {
      const { chunk: c, result } = inflight.shift() as (typeof inflight)[number]
      const check = await result
      if (check.bad >= 0) {
        const i = check.bad
        const seq = c.seqs[i] as number
        const firstBad: BadRecord = {
          seq,
          reason: 'hash_mismatch',
          detail: `stored hash ${short(c.hashes[i] as string)} but the record hashes to ${short(check.computed ?? '')}`,
        }
        const lastGood = c.start + i === 0 ? null : { seq: seq - 1, hash: c.prev[i] as string }
        return { ok: false, count: c.start + i, firstBad, lastGood }
      }
    }
    return undefined
  }
  const fail = async (seq: number, reason: BadRecordReason, detail: string): Promise<VerifyResult> => {
    dispatch()
    return (
      (await settle(0)) ?? {
        ok: false,
        count,
        firstBad: { seq, reason, detail },
        lastGood: count === 0 ? null : { seq: prevSeq, hash: prevHash },
      }
    )
  }
  const gapOrReorder = (r: VerifiableRecord, next: VerifiableRecord | undefined): Promise<VerifyResult> => {
    const expected = started ? prevSeq + 1 : 1
    if (next !== undefined && next.seq < r.seq) {
      return fail(r.seq, 'reordered', `seq ${r.seq} comes before seq ${next.seq}`)
    }
    const missing = r.seq - 1 === expected ? `seq ${expected}` : `seq ${expected}–${r.seq - 1}`
    const where = started ? `seq ${prevSeq} is followed by seq ${r.seq}` : `the chain starts at seq ${r.seq}`
    return fail(r.seq, 'gap', `${missing} missing: ${where}`)
  }

  try {
    for await (const batch of batches) {
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i] as VerifiableRecord
        if (skipped !== undefined) return await gapOrReorder(skipped, r)
        if (!started) {
          if (r.seq === 1) {
            if (r.prevHash !== GENESIS_HASH) {
              return await fail(1, 'broken_link', `the first record's prevHash ${short(r.prevHash)} is not the genesis hash`)
            }
          } else if (options.fromGenesis === true) {
            skipped = r
            continue
          }
        } else if (r.seq !== prevSeq + 1) {
          if (r.seq === prevSeq) return await fail(r.seq, 'duplicate', `seq ${r.seq} appears twice`)
          if (r.seq < prevSeq) return await fail(r.seq, 'reordered', `seq ${r.seq} comes after seq ${prevSeq}`)
          skipped = r
          continue
        } else if (r.prevHash !== prevHash) {
          return await fail(
            r.seq,
            'broken_link',
            `prevHash ${short(r.prevHash)} is not the hash of seq ${prevSeq} (${short(prevHash)})`,
          )
        }
        let body = r.body
        if (body === undefined) {
          try {
            body = recordBody(r)
          } catch (error) {
            return await fail(r.seq, 'malformed', error instanceof Error ? error.message : String(error))
          }
        } else if (!bodyMatches(r, body)) {
          return await fail(r.seq, 'body_mismatch', bodyDifference(r, body))
        }
        if (pool === undefined) {
          const hash = chainHash(r.prevHash, body)
          if (hash !== r.hash) {
            return await fail(r.seq, 'hash_mismatch', `stored hash ${short(r.hash)} but the record hashes to ${short(hash)}`)
          }
        } else {
          chunk ??= { start: count, seqs: [], prev: [], bodies: [], hashes: [] }
          chunk.seqs.push(r.seq)
          chunk.prev.push(r.prevHash)
          chunk.bodies.push(body)
          chunk.hashes.push(r.hash)
          if (chunk.seqs.length === CHUNK) {
            dispatch()
            const bad = await settle(workers * INFLIGHT_PER_WORKER)
            if (bad !== undefined) return bad
          }
        }
        started = true
        prevSeq = r.seq
        prevHash = r.hash
        count++
        if (pool === undefined && workers > 0 && count === PARALLEL_AFTER) pool = new HashPool(workers)
      }
      options.onProgress?.(count)
    }
    if (skipped !== undefined) return await gapOrReorder(skipped, undefined)
    dispatch()
    return (await settle(0)) ?? { ok: true, count, head: count === 0 ? null : { seq: prevSeq, hash: prevHash } }
  } finally {
    // Chunks still in flight after an early verdict are of no interest; their rejection on close is expected.
    for (const { result } of inflight) result.catch(() => undefined)
    await pool?.close()
  }
}

/**
 * Whether the columns of `r` serialize to `body`. The canonical body is
 * `{"actor":…,"payload":…,"seq":…,"ts":…,"type":…}` (sorted keys), so the scalar columns are compared as
 * text around the payload, and the payload first with the native JSON.stringify, which gives the canonical
 * text whenever the payload was parsed from canonical JSON (keys already in order); only when that differs
 * is the slower canonicalJson consulted.
 */
export function bodyMatches(r: AuditRecord, body: string): boolean {
  const actor = anyJson(r.actor)
  const tail = `,"seq":${r.seq},"ts":${r.ts},"type":${anyJson(r.type)}}`
  if (r.payload === undefined) return body === `{"actor":${actor}${tail}`
  // `{"actor":` is 9 characters, `,"payload":` 11.
  const payloadAt = 9 + actor.length + 11
  const payloadLength = body.length - payloadAt - tail.length
  if (
    payloadLength <= 0 ||
    !body.startsWith('{"actor":') ||
    !body.startsWith(actor, 9) ||
    !body.startsWith(',"payload":', 9 + actor.length) ||
    !body.endsWith(tail)
  ) {
    return false
  }
  let payload: string | undefined
  try {
    payload = JSON.stringify(r.payload)
  } catch {
    // bigint and the like: only canonicalJson knows how to write them.
  }
  if (payload !== undefined && payload.length === payloadLength && body.startsWith(payload, payloadAt)) return true
  try {
    payload = canonicalJson(r.payload)
  } catch {
    return false
  }
  return payload.length === payloadLength && body.startsWith(payload, payloadAt)
}

/** jsonText, for a column that may hold anything (a record read from a damaged file). */
function anyJson(value: unknown): string {
  return typeof value === 'string' ? jsonText(value) : String(JSON.stringify(value))
}

/** Which columns differ from the body, for the message (only on the failure path). */
export function bodyDifference(r: AuditRecord, body: string): string {
  let decoded: Record<string, unknown>
  try {
    decoded = JSON.parse(body) as Record<string, unknown>
  } catch {
    return 'the stored body is not JSON'
  }
  const fields = (['seq', 'ts', 'type', 'actor', 'payload'] as const).filter((k) => {
    try {
      return canonicalJson(decoded[k]) !== canonicalJson(r[k])
    } catch {
      return true
    }
  })
  return fields.length === 0
    ? 'the stored body is not in canonical form'
    : `column${fields.length > 1 ? 's' : ''} ${fields.join(', ')} differ${fields.length > 1 ? '' : 's'} from the hashed body`
}

/** First 12 hex digits: enough to tell hashes apart in a message. */
export function short(hash: string): string {
  return typeof hash === 'string' && hash.length > 12 ? `${hash.slice(0, 12)}…` : String(hash)
}
