/**
 * @module audit/anchor
 * Signed, anchored heads. The hash chain proves that nothing inside it changed, but not that it was not cut
 * short, or rebuilt from scratch by someone holding the same hashing code. So, every N records or T seconds
 * and at every session stop, the head of the chain (seq, hash) is signed with an Ed25519 key kept outside the
 * store, and the signature is (1) appended to the chain as an `audit.checkpoint` record and (2) written, once
 * the store has committed it, to an append-only heads file outside the database. Verification checks every
 * signature against a key the verifier trusts, and checks that the chain still reaches every head the heads
 * file (or an operator's own copy) remembers: a deleted tail, a truncation or a re-hash without the key is
 * found and named.
 *
 * A key rotation is an `audit.key` record carrying the new public key, endorsed by the old key, so a verifier
 * holding either key can follow the chain across the rotation.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { appendFileSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { InputError } from '../model/index.js'
import type { AuditRecord } from './record.js'

/** The record type of a signed head. */
export const CHECKPOINT = 'audit.checkpoint'
/** The record type of a key rotation (the new key, endorsed by the previous one). */
export const KEY_RECORD = 'audit.key'

/** A signed head: what a checkpoint record's payload and a heads-file line hold. */
export interface SignedHead {
  /** The record signed: the one just before the checkpoint record. */
  readonly seq: number
  readonly hash: string
  /** Wall time of the signature (ms). */
  readonly signedAt: number
  readonly keyId: string
  /** Ed25519 signature (base64) of `headMessage(...)`. */
  readonly sig: string
}

/** The payload of an `audit.key` record. */
export interface KeyRotation {
  readonly keyId: string
  /** The new public key (SPKI PEM). */
  readonly publicKey: string
  readonly previousKeyId: string
  /** The previous public key (SPKI PEM), so a verifier holding only the new key can trust the old one. */
  readonly previousPublicKey: string
  /** The previous key's signature (base64) of `rotationMessage(...)`. */
  readonly endorsement: string
}

function headMessage(h: Omit<SignedHead, 'sig'>): Buffer {
  return Buffer.from(`sofia-audit-head/1 ${h.seq} ${h.hash} ${h.signedAt} ${h.keyId}`)
}

function rotationMessage(r: Pick<KeyRotation, 'keyId' | 'publicKey' | 'previousKeyId'>): Buffer {
  return Buffer.from(`sofia-audit-key/1 ${r.previousKeyId} ${r.keyId} ${r.publicKey}`)
}

/** First 16 hex digits of SHA-256 of the public key's DER: short enough to read, long enough to tell apart. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)
}

/** An Ed25519 key: the private half to sign (when held), the public half to verify. */
export class AuditKey {
  readonly keyId: string

  private constructor(
    readonly publicKey: KeyObject,
    private readonly privateKey: KeyObject | undefined,
  ) {
    this.keyId = keyIdOf(publicKey)
  }

  /** The public key as SPKI PEM (what an operator keeps, and what `--public-key` reads). */
  get publicPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString()
  }

  get canSign(): boolean {
    return this.privateKey !== undefined
  }

  /** Reads a key file: a private key (PKCS#8 PEM) or only a public one (SPKI PEM). */
  static read(file: string): AuditKey {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      throw new InputError(`audit key ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
    }
    try {
      if (text.includes('PRIVATE KEY')) {
        const priv = createPrivateKey(text)
        if (priv.asymmetricKeyType !== 'ed25519') throw new Error(`a ${priv.asymmetricKeyType ?? 'unknown'} key, not Ed25519`)
        return new AuditKey(createPublicKey(priv), priv)
      }
      const pub = createPublicKey(text)
      if (pub.asymmetricKeyType !== 'ed25519') throw new Error(`a ${pub.asymmetricKeyType ?? 'unknown'} key, not Ed25519`)
      return new AuditKey(pub, undefined)
    } catch (error) {
      throw new InputError(`audit key ${file}: not an Ed25519 PEM key (${(error as Error).message})`)
    }
  }

  /** A public key from its PEM text (as recorded in a rotation). */
  static fromPublicPem(pem: string): AuditKey {
    return new AuditKey(createPublicKey(pem), undefined)
  }

  /**
   * Creates a new key at `file` (private, mode 0600, its directory 0700) and `file.pub` beside it. Refuses to
   * overwrite: a second process creating the same key at the same moment loses the race and reads the winner's.
   */
  static create(file: string): AuditKey {
    const { privateKey } = generateKeyPairSync('ed25519')
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const temp = `${file}.${process.pid}.tmp`
    writeWhole(temp, pem, 0o600)
    try {
      // A hard link is an exclusive create that never shows a half-written file.
      linkSync(temp, file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      return AuditKey.read(file)
    } finally {
      rmSync(temp, { force: true })
    }
    const key = AuditKey.read(file)
    writeWhole(`${file}.pub`, key.publicPem, 0o644)
    return key
  }

  /** The key at `file`, created there first if there is none. */
  static readOrCreate(file: string): AuditKey {
    return existsSync(file) ? AuditKey.read(file) : AuditKey.create(file)
  }

  signHead(head: { readonly seq: number; readonly hash: string }, signedAt: number): SignedHead {
    if (this.privateKey === undefined) throw new InputError(`audit key ${this.keyId}: only the public key is held, cannot sign`)
    const unsigned = { seq: head.seq, hash: head.hash, signedAt, keyId: this.keyId }
    return { ...unsigned, sig: sign(null, headMessage(unsigned), this.privateKey).toString('base64') }
  }

  /** Whether `h` is this key's signature of its head. */
  signed(h: SignedHead): boolean {
    if (h.keyId !== this.keyId || typeof h.sig !== 'string') return false
    return verify(null, headMessage(h), this.publicKey, Buffer.from(h.sig, 'base64'))
  }

  /** A rotation to `next`, endorsed by this key. */
  endorse(next: AuditKey): KeyRotation {
    if (this.privateKey === undefined) throw new InputError(`audit key ${this.keyId}: only the public key is held, cannot endorse a new key`)
    const unsigned = { keyId: next.keyId, publicKey: next.publicPem, previousKeyId: this.keyId, previousPublicKey: this.publicPem }
    return { ...unsigned, endorsement: sign(null, rotationMessage(unsigned), this.privateKey).toString('base64') }
  }

  /** Whether this key endorsed the rotation `r`. */
  endorsed(r: KeyRotation): boolean {
    if (r.previousKeyId !== this.keyId) return false
    return verify(null, rotationMessage(r), this.publicKey, Buffer.from(r.endorsement, 'base64'))
  }
}

function writeWhole(file: string, text: string, mode: number): void {
  const fd = openSync(file, 'w', mode)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Where heads are signed and anchored: the key, the heads file, and how often a head is signed.
 * `committed` is called with the records a store write has just made durable.
 */
export class HeadAnchor {
  constructor(
    readonly key: AuditKey,
    readonly headsFile: string,
    /** Sign the head after this many records… */
    readonly everyRecords = 1000,
    /** …or this many ms of wall time with new records, whichever comes first. */
    readonly everyMs = 60_000,
  ) {}

  /**
   * Appends the signed heads among just-committed records to the heads file. Not synced: the store's commit
   * already was, so a power cut can only leave the file behind the chain (which verify allows), never ahead.
   */
  committed(records: readonly AuditRecord[]): void {
    let lines = ''
    const heads: SignedHead[] = []
    for (const r of records) {
      if (r.type !== CHECKPOINT) continue
      lines += `${JSON.stringify(r.payload)}\n`
      heads.push(r.payload as SignedHead)
    }
    if (lines === '') return
    mkdirSync(dirname(this.headsFile), { recursive: true })
    appendFileSync(this.headsFile, lines, { mode: 0o644 })
    for (const ship of this.shippers) {
      try {
        ship(heads)
      } catch {
        // Shipping is a further copy, best effort: the heads file and the chain already hold the heads.
      }
    }
  }

  /**
   * Also hands every signed head, once durable, to `ship` (e.g. a notifier): a copy off this machine, which an
   * intruder who can rewrite the database and the heads file cannot reach. It must not block.
   */
  onHeads(ship: (heads: readonly SignedHead[]) => void): void {
    this.shippers.push(ship)
  }

  private readonly shippers: ((heads: readonly SignedHead[]) => void)[] = []
}

