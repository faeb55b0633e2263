/**
 * @module audit/anchor-check
 * Checks a chain (already verified link by link) against its signed heads: every checkpoint record is a valid
 * signature, by a trusted key, of the record just before it; and the chain still holds every head the heads
 * file and the operator's own copies remember. What fails is named in one line each.
 */
import { existsSync, readFileSync } from 'node:fs'
import { AuditKey, CHECKPOINT, KEY_RECORD } from '../chain/anchor.js'
import type { KeyRotation, SignedHead } from '../chain/anchor.js'
import type { AuditHead } from './audit-log.js'
import type { AuditRecord } from '../chain/record.js'

/** A signed head read from a file, with where it was read. */
export interface HeadLine {
  readonly head: SignedHead
  /** `file:line` */
  readonly where: string
}

export interface AnchorReport {
  readonly ok: boolean
  /** One line each; empty when ok. */
  readonly problems: readonly string[]
  /** Notes that are not problems (a torn last line, records not yet signed, signatures not checked). */
  readonly notes: readonly string[]
  /** Checkpoint records in the chain. */
  readonly signedHeads: number
  readonly newest: SignedHead | null
  /** Records after the newest signed head (a session still running, or a crash before its next signature). */
  readonly unsignedTail: number
  /** Key ids the signatures were checked against (empty: not checked). */
  readonly trustedKeys: readonly string[]
  /** Heads read from the heads file and from `--head` files. */
  readonly headsChecked: number
}

export interface AnchorCheckInput {
  /** The chain's last record (null for an empty chain). */
  readonly chainHead: AuditHead | null
  /** The chain's checkpoint and key records, in seq order (store.auditAnchors()). */
  readonly anchors: readonly AuditRecord[]
  /**
   * The heads file (may be absent on disk). Undefined for a chain that has no heads file of its own to be
   * held against (a JSONL export: only its signatures and `extraHeads` are checked).
   */
  readonly headsFile?: string
  /** Operator-kept heads (`verify --head FILE`), read with readHeadsFile. */
  readonly extraHeads?: readonly HeadLine[]
  /** Keys the verifier holds; rotations recorded in the chain extend this set. */
  readonly keys: readonly AuditKey[]
}

/** Reads a JSONL file of signed heads. A last line cut short by a crash is ignored and noted. */
export function readHeadsFile(file: string): { heads: HeadLine[]; problems: string[]; notes: string[] } {
  const heads: HeadLine[] = []
  const problems: string[] = []
  const notes: string[] = []
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n')
  const torn = !text.endsWith('\n') && text !== '' ? lines.length : -1
  lines.forEach((line, i) => {
    if (line.trim() === '') return
    const where = `${file}:${i + 1}`
    const head = parseHead(line)
    if (head !== undefined) heads.push({ head, where })
    else if (i + 1 === torn) notes.push(`${where}: a last line cut short (a crash while it was written), ignored`)
    else problems.push(`${where}: not a signed head`)
  })
  return { heads, problems, notes }
}

function parseHead(line: string): SignedHead | undefined {
  try {
    const h = JSON.parse(line) as Partial<SignedHead>
    const ok =
      Number.isSafeInteger(h.seq) &&
      typeof h.hash === 'string' &&
      Number.isFinite(h.signedAt) &&
      typeof h.keyId === 'string' &&
      typeof h.sig === 'string'
    return ok ? (h as SignedHead) : undefined
  } catch {
    return undefined
  }
}

function isSignedHead(p: unknown): p is SignedHead {
  return p !== null && typeof p === 'object' && parseHead(JSON.stringify(p)) !== undefined
}

function isRotation(p: unknown): p is KeyRotation {
  const r = p as Partial<KeyRotation> | null
  return (
    r !== null &&
    typeof r === 'object' &&
    typeof r.keyId === 'string' &&
    typeof r.publicKey === 'string' &&
    typeof r.previousKeyId === 'string' &&
    typeof r.previousPublicKey === 'string' &&
    typeof r.endorsement === 'string'
  )
}

const iso = (ms: number): string => new Date(ms).toISOString()
const short = (hash: string): string => `${hash.slice(0, 12)}…`

/**
 * The trusted keys: the verifier's own, plus the keys a recorded rotation links to a trusted one (forward:
 * the new key endorsed by a trusted old one; backward: the old key whose endorsement of a trusted new key
 * verifies with the old public key recorded beside it).
 */
function trustedKeys(own: readonly AuditKey[], anchors: readonly AuditRecord[]): Map<string, AuditKey> {
  const trusted = new Map(own.map((k) => [k.keyId, k]))
  const rotations = anchors.filter((r) => r.type === KEY_RECORD && isRotation(r.payload)).map((r) => r.payload as KeyRotation)
  for (let changed = true; changed; ) {
    changed = false
    for (const r of rotations) {
      let previous: AuditKey
      let next: AuditKey
      try {
        previous = AuditKey.fromPublicPem(r.previousPublicKey)
        next = AuditKey.fromPublicPem(r.publicKey)
      } catch {
        continue
      }
      if (previous.keyId !== r.previousKeyId || next.keyId !== r.keyId || !previous.endorsed(r)) continue
      if (trusted.has(r.previousKeyId) && !trusted.has(r.keyId)) {
        trusted.set(r.keyId, next)
        changed = true
      } else if (trusted.has(r.keyId) && !trusted.has(r.previousKeyId)) {
        trusted.set(r.previousKeyId, previous)
        changed = true
      }
    }
  }
  return trusted
}

export function checkAnchors(input: AnchorCheckInput): AnchorReport {
  const problems: string[] = []
  const notes: string[] = []
  const trusted = trustedKeys(input.keys, input.anchors)
  const checkSig = trusted.size > 0
  if (!checkSig) notes.push('signatures not checked: no audit key here (set SOFIA_AUDIT_KEY, or pass --public-key FILE)')

  /** Problems with a signed head's signature, or undefined when it verifies (or cannot be checked). */
  const signatureProblem = (h: SignedHead): string | undefined => {
    if (!checkSig) return undefined
    const key = trusted.get(h.keyId)
    if (key === undefined) return `signed by key ${h.keyId}, which is not a trusted key`
    return key.signed(h) ? undefined : 'the signature does not verify (re-hashed, or forged without the key)'
  }

  // 1. Every checkpoint in the chain signs the record just before it.
  const checkpoints = new Map<number, SignedHead>()
  // Checkpoints whose signature verified: a remembered head identical to one needs no second verification.
  const verified = new Set<SignedHead>()
  let newest: SignedHead | null = null
  for (const r of input.anchors) {
    if (r.type !== CHECKPOINT) continue
    if (!isSignedHead(r.payload)) {
      problems.push(`checkpoint at seq ${r.seq}: its payload is not a signed head`)
      continue
    }
    const h = r.payload
    checkpoints.set(r.seq, h)
    if (h.seq !== r.seq - 1 || h.hash !== r.prevHash) {
      problems.push(`checkpoint at seq ${r.seq}: it signs seq ${h.seq} hash ${short(h.hash)}, but the record before it is seq ${r.seq - 1} hash ${short(r.prevHash)} (the chain was rewritten)`)
      continue
    }
    const bad = signatureProblem(h)
    if (bad !== undefined) problems.push(`checkpoint at seq ${r.seq}: ${bad}`)
    else verified.add(h)
    newest = h
  }

  // 2. Every remembered head is still in the chain.
  const remembered: HeadLine[] = [...(input.extraHeads ?? [])]
  let fileHeads = 0
  if (input.headsFile === undefined) {
    // An export: no heads file belongs to it.
  } else if (existsSync(input.headsFile)) {
    const read = readHeadsFile(input.headsFile)
    problems.push(...read.problems)
    notes.push(...read.notes)
    remembered.push(...read.heads)
    fileHeads = read.heads.length
  } else if (checkpoints.size > 0) {
    problems.push(
      `heads file ${input.headsFile} is missing, but the chain holds ${checkpoints.size} signed heads: its end cannot be checked (restore the file, or check against your own copy with --head FILE)`,
    )
  }
  const last = input.chainHead?.seq ?? 0
  for (const { head: h, where } of remembered) {
    const inChain = checkpoints.get(h.seq + 1)
    const bad = inChain !== undefined && verified.has(inChain) && sameHead(inChain, h) ? undefined : signatureProblem(h)
    if (bad !== undefined) {
      problems.push(`${where}: head for seq ${h.seq}: ${bad}`)
      continue
    }
    if (h.seq + 1 > last) {
      problems.push(
        `${where}: a head signed at ${iso(h.signedAt)} for seq ${h.seq}, but the chain ends at seq ${last}: records ${last + 1}–${h.seq + 1} at least are missing (deleted or truncated)`,
      )
      continue
    }
    if (inChain === undefined || inChain.hash !== h.hash || inChain.sig !== h.sig) {
      problems.push(`${where}: the head signed at ${iso(h.signedAt)} for seq ${h.seq} (hash ${short(h.hash)}) is not in the chain: the chain was rewritten`)
    }
  }

  // 3. The heads file has every signed head but the newest few (a crash between the commit and the file).
  if (fileHeads > 0) {
    const inFile = new Set(remembered.map((l) => l.head.seq))
    const lastInFile = Math.max(...remembered.map((l) => l.head.seq))
    const lagging = [...checkpoints.values()].filter((h) => !inFile.has(h.seq))
    const gaps = lagging.filter((h) => h.seq < lastInFile)
    if (gaps.length > 0) problems.push(`heads file ${input.headsFile} lacks ${gaps.length} signed head(s) the chain holds (first: seq ${gaps[0]!.seq}): the file was edited`)
    if (lagging.length > gaps.length) notes.push(`${lagging.length - gaps.length} signed head(s) at the end of the chain are not in the heads file yet (a stop before the file was written)`)
  }

  const unsignedTail = newest === null ? last : last - (newest.seq + 1)
  if (newest !== null && unsignedTail > 0) notes.push(`${unsignedTail} record(s) after the newest signed head (seq ${newest.seq}) are not signed yet`)
  return {
    ok: problems.length === 0,
    problems,
    notes,
    signedHeads: checkpoints.size,
    newest,
    unsignedTail,
    trustedKeys: checkSig ? [...trusted.keys()] : [],
    headsChecked: remembered.length,
  }
}

/** The same signed head: every field the signature covers, and the signature. */
function sameHead(a: SignedHead, b: SignedHead): boolean {
  return a.seq === b.seq && a.hash === b.hash && a.signedAt === b.signedAt && a.keyId === b.keyId && a.sig === b.sig
}
