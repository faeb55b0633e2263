/**
 * @module audit/export
 * JSONL export and import of the audit chain: one record `{seq, ts, type, actor, payload, prevHash, hash}` per
 * line, streamed both ways so a chain of any length never sits in memory. An export of a time range is a
 * contiguous run of seqs, so it verifies on its own (its first prevHash is the anchor).
 */
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { InputError } from '../model/index.js'
import type { Store, StoredAuditRecord } from '../store/index.js'
import type { AuditRecord } from '../chain/record.js'
import { verifyChain } from './verify.js'
import type { VerifyOptions, VerifyResult } from './verify.js'

/** What export and restore need of a store. */
export type AuditStore = Pick<Store, 'iterateAudit' | 'auditHead' | 'truncateAuditAfter'>

export interface ExportSummary {
  readonly count: number
  /** null when nothing was exported. */
  readonly firstSeq: number | null
  readonly lastSeq: number | null
}

/** One JSONL line (without the newline) for a record: the export format. */
export function jsonlLine(r: AuditRecord): string {
  return JSON.stringify({ seq: r.seq, ts: r.ts, type: r.type, actor: r.actor, payload: r.payload, prevHash: r.prevHash, hash: r.hash })
}

/**
 * Writes JSONL lines for records to `path` through a temporary file renamed at the end, so a crash or a
 * failure never leaves a half-written file that looks complete.
 */
export async function writeJsonl(path: string, batches: AsyncIterable<readonly AuditRecord[]>): Promise<ExportSummary> {
  const tmp = `${path}.partial`
  const out = createWriteStream(tmp)
  let count = 0
  let firstSeq: number | null = null
  let lastSeq: number | null = null
  try {
    await once(out, 'open')
    for await (const batch of batches) {
      if (batch.length === 0) continue
      firstSeq ??= (batch[0] as AuditRecord).seq
      lastSeq = (batch[batch.length - 1] as AuditRecord).seq
      count += batch.length
      if (!out.write(`${batch.map(jsonlLine).join('\n')}\n`)) await once(out, 'drain')
    }
    out.end()
    await once(out, 'finish')
    // The side file of a restore must be on disk before the records are deleted.
    await new Promise<void>((resolve, reject) => out.close((e) => (e ? reject(e) : resolve())))
    await rename(tmp, path)
  } catch (error) {
    out.destroy()
    await rm(tmp, { force: true })
    throw error
  }
  return { count, firstSeq, lastSeq }
}

/**
 * Exports the records with `fromTs ≤ ts < toTs` (seq order). The range is taken as the contiguous run of
 * seqs from the first record at or after `fromTs` up to the first at or after `toTs`, so the file verifies
 * even if record times are not monotonic (a clock stepped back).
 */
export async function exportJsonl(
  store: AuditStore,
  outPath: string,
  range: { readonly fromTs?: number; readonly toTs?: number } = {},
): Promise<ExportSummary> {
  let fromSeq = 1
  if (range.fromTs !== undefined) {
    const first = await firstRecord(store.iterateAudit({ fromTs: range.fromTs }, 1))
    if (first === undefined) return writeJsonl(outPath, empty())
    fromSeq = first.seq
  }
  return writeJsonl(outPath, untilTs(store.iterateAudit({ fromSeq }), range.toTs))
}

async function firstRecord(batches: AsyncIterable<readonly StoredAuditRecord[]>): Promise<StoredAuditRecord | undefined> {
  for await (const batch of batches) {
    if (batch.length > 0) return batch[0]
  }
  return undefined
}

async function* empty(): AsyncIterable<StoredAuditRecord[]> {}

/** Stops (without asking the store for more) at the first record with ts ≥ toTs. */
export async function* untilTs<T extends AuditRecord>(batches: AsyncIterable<T[]>, toTs: number | undefined): AsyncIterable<T[]> {
  for await (const batch of batches) {
    if (toTs === undefined) {
      yield batch
      continue
    }
    const end = batch.findIndex((r) => r.ts >= toTs)
    if (end < 0) {
      yield batch
      continue
    }
    if (end > 0) yield batch.slice(0, end)
    return
  }
}

export interface ReadJsonlOptions {
  readonly batchSize?: number
  /**
   * What a malformed line does: throw its InputError (default), or end the records there after handing the
   * error to this callback (verification reports it as the first bad record).
   */
  readonly onMalformed?: (error: MalformedLine) => void
}

/** A line that is not a record; the message names file and line. */
export class MalformedLine extends InputError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
    /** The seq the line claims, when it says one. */
    readonly seq: number | undefined,
  ) {
    super(`${file}:${line}: ${problem}`)
  }
}

const HASH = /^[0-9a-f]{64}$/

/** Reads a JSONL export in batches, checking each line's shape (not the chain: that is verifyChain's job). */
export async function* readJsonl(path: string, options: ReadJsonlOptions = {}): AsyncIterable<AuditRecord[]> {
  const batchSize = options.batchSize ?? 2000
  const input = createReadStream(path, { encoding: 'utf8' })
  const lines = createInterface({ input, crlfDelay: Infinity })
  let lineNo = 0
  let batch: AuditRecord[] = []
  try {
    for await (const line of lines) {
      lineNo++
      if (line.trim() === '') continue
      const parsed = parseLine(line)
      if (typeof parsed === 'string') {
        const seq = /"seq"\s*:\s*(\d+)/.exec(line)?.[1]
        const error = new MalformedLine(path, lineNo, parsed, seq === undefined ? undefined : Number(seq))
        if (options.onMalformed === undefined) throw error
        options.onMalformed(error)
        break
      }
      batch.push(parsed)
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error
    throw new InputError(`${path}: ${(error as Error).message}`, { cause: error })
  } finally {
    lines.close()
    input.destroy()
  }
  if (batch.length > 0) yield batch
}

/** The record on a line, or what is wrong with it. */
function parseLine(line: string): AuditRecord | string {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return 'not valid JSON'
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object'
  const r = value as Record<string, unknown>
  if (!Number.isSafeInteger(r['seq']) || (r['seq'] as number) < 1) return "'seq' is not a positive integer"
  if (typeof r['ts'] !== 'number' || !Number.isFinite(r['ts'])) return "'ts' is not a number"
  if (typeof r['type'] !== 'string') return "'type' is not a string"
  if (typeof r['actor'] !== 'string') return "'actor' is not a string"
  if (!('payload' in r)) return "'payload' is missing"
  if (typeof r['prevHash'] !== 'string' || !HASH.test(r['prevHash'])) return "'prevHash' is not a SHA-256 hex digest"
  if (typeof r['hash'] !== 'string' || !HASH.test(r['hash'])) return "'hash' is not a SHA-256 hex digest"
  return r as unknown as AuditRecord
}

/**
 * Verifies a JSONL export on its own. A malformed line counts as the first bad record (reason `malformed`,
 * with its file:line) unless the chain already broke before it.
 */
export async function verifyJsonl(path: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  let malformed: MalformedLine | undefined
  const result = await verifyChain(readJsonl(path, { onMalformed: (e) => (malformed = e) }), options)
  if (!result.ok || malformed === undefined) return result
  const bad = malformed as MalformedLine
  return {
    ok: false,
    count: result.count,
    firstBad: { seq: bad.seq ?? (result.head?.seq ?? 0) + 1, reason: 'malformed', detail: bad.message },
    lastGood: result.head,
  }
}
