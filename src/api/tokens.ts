/**
 * @module api/tokens
 * Bearer tokens of the operator API: roles, how a token looks, and how it is kept. A token is
 * `sofia_` + 43 base64url characters (32 random bytes); only its SHA-256 is stored, one state key per token
 * (`api.tokens.<name>`), so `sofia tokens` and a running server never overwrite each other's changes. The
 * server alone writes the last-use times, under keys of their own (`api.tokens_used.<name>`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { writeAudited } from '../audit/index.js'
import { InputError } from '../model/index.js'
import type { Store, WriteBatch } from '../store/index.js'
import { liveSession } from '../system/index.js'
import type { AuditPayload } from '../audit/index.js'

export const ROLES = ['viewer', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

export const TOKEN_PREFIX = 'sofia_'
export const TOKEN_KEY_PREFIX = 'api.tokens.'
export const TOKEN_USED_PREFIX = 'api.tokens_used.'
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** Least time between two reloads of the token list triggered by unknown tokens, ms. */
const RELOAD_MIN_MS = 250

/** A token as stored: never the token itself. */
export interface StoredToken {
  readonly name: string
  readonly role: Role
  /** SHA-256 of the whole token, hex. */
  readonly hash: string
  readonly createdAt: number
  readonly createdBy: string
  readonly expiresAt: number | null
  readonly revokedAt: number | null
}

/** A token as listed (no hash). */
export interface TokenInfo {
  readonly name: string
  readonly role: Role
  readonly createdAt: number
  readonly createdBy: string
  readonly expiresAt: number | null
  readonly revokedAt: number | null
  readonly lastUsedAt: number | null
}

/** Who called, once the token checked out. */
export interface Principal {
  readonly name: string
  readonly role: Role
  /** `operator:<token name>`: the actor of audit records. */
  readonly actor: string
}

/** Why a presented token is refused (each a 401). */
export type TokenRefusal = 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED'

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed)
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url')
}

export function validTokenName(name: string): string {
  if (!NAME.test(name)) throw new InputError(`token name '${name}': use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`)
  return name
}

function parseStored(value: unknown): StoredToken | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const t = value as Partial<StoredToken>
  if (typeof t.name !== 'string' || typeof t.hash !== 'string' || typeof t.role !== 'string' || !isRole(t.role)) return undefined
  return {
    name: t.name,
    role: t.role,
    hash: t.hash,
    createdAt: typeof t.createdAt === 'number' ? t.createdAt : 0,
    createdBy: typeof t.createdBy === 'string' ? t.createdBy : 'unknown',
    expiresAt: typeof t.expiresAt === 'number' ? t.expiresAt : null,
    revokedAt: typeof t.revokedAt === 'number' ? t.revokedAt : null,
  }
}

/** Every stored token and its last use, from a state snapshot. */
export function tokensIn(state: ReadonlyMap<string, unknown>): { tokens: StoredToken[]; used: Map<string, number> } {
  const tokens: StoredToken[] = []
  const used = new Map<string, number>()
  for (const [key, value] of state) {
    if (key.startsWith(TOKEN_KEY_PREFIX)) {
      const t = parseStored(value)
      if (t !== undefined) tokens.push(t)
    } else if (key.startsWith(TOKEN_USED_PREFIX) && typeof value === 'number') {
      used.set(key.slice(TOKEN_USED_PREFIX.length), value)
    }
  }
  tokens.sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))
  return { tokens, used }
}

export function isUsable(t: StoredToken, now: number): boolean {
  return t.revokedAt === null && (t.expiresAt === null || t.expiresAt > now)
}

/** `sofia tokens create`: stores the hash and returns the token (shown once). A live name is refused. */
/**
 * The audit record of a token change made from the CLI. With a session running, its server records the
 * change instead when it sees it (the running session alone appends to the chain).
 */
async function writeTokenChange<T extends 'api.token.created' | 'api.token.revoked'>(
  store: Store,
  batch: Omit<WriteBatch, 'audit'>,
  type: T,
  actor: string,
  payload: AuditPayload<T>,
  now: number,
): Promise<void> {
  if ((await liveSession(store, now)) !== undefined) return store.write(batch)
  await writeAudited(store, batch, (log) => log.record(type, actor, payload, now))
}

export async function createToken(
  store: Store,
  options: { name: string; role: Role; createdBy: string; expiresInMs?: number; now?: number },
): Promise<{ token: string; record: StoredToken }> {
  const now = options.now ?? Date.now()
  const name = validTokenName(options.name)
  const existing = parseStored(await store.getState(TOKEN_KEY_PREFIX + name))
  if (existing !== undefined && isUsable(existing, now)) {
    throw new InputError(`a token named '${name}' exists; revoke it first or pick another name`)
  }
  const token = newToken()
  const record: StoredToken = {
    name,
    role: options.role,
    hash: hashToken(token),
    createdAt: now,
    createdBy: options.createdBy,
    expiresAt: options.expiresInMs === undefined ? null : now + options.expiresInMs,
    revokedAt: null,
  }
  await writeTokenChange(
    store,
    { state: [{ key: TOKEN_KEY_PREFIX + name, value: record }, { key: TOKEN_USED_PREFIX + name, value: null }] },
    'api.token.created',
    options.createdBy,
    { name, role: record.role, expiresAt: record.expiresAt, via: 'store' },
    now,
  )
  return { token, record }
}

/** `sofia tokens revoke`: keeps the record (so the token is refused as revoked, and listed). */
export async function revokeToken(store: Store, name: string, actor: string, now: number = Date.now()): Promise<StoredToken> {
  const existing = parseStored(await store.getState(TOKEN_KEY_PREFIX + name))
  if (existing === undefined) throw new InputError(`no token named '${name}' (see sofia tokens list)`)
  if (existing.revokedAt !== null) return existing
  const record = { ...existing, revokedAt: now }
  await writeTokenChange(store, { state: [{ key: TOKEN_KEY_PREFIX + name, value: record }] }, 'api.token.revoked', actor, { name, role: record.role, via: 'store' }, now)
  return record
}

export async function listTokens(store: Store): Promise<TokenInfo[]> {
  const { tokens, used } = tokensIn(await store.loadState())
  return tokens.map((t) => ({
    name: t.name,
    role: t.role,
    createdAt: t.createdAt,
    createdBy: t.createdBy,
    expiresAt: t.expiresAt,
    revokedAt: t.revokedAt,
    lastUsedAt: used.get(t.name) ?? null,
  }))
}

export interface TokenChange {
  readonly name: string
  readonly change: 'created' | 'revoked'
  readonly token: StoredToken
}

/**
 * The server's view of the tokens: refreshed from the store every second and on an unknown token (at most
 * four times a second), so `sofia tokens create` works at once and a revocation within a second. Lookups
 * hash the presented token and compare it with every stored hash in constant time.
 */
export class TokenRegistry {
  private tokens: StoredToken[] = []
  private hashes: Buffer[] = []
  private readonly lastUsed = new Map<string, number>()
  private readonly dirty = new Set<string>()
  private lastLoad = 0
  private loading: Promise<void> | undefined
  private nextReload: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private flushTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly store: Store,
    private readonly options: { readonly onChange?: (change: TokenChange) => void; readonly now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }

  /** Loads the tokens, then keeps them fresh until `stop()`. */
  async start(): Promise<void> {
    await this.reload(true)
    this.timer = setInterval(() => void this.reload(false).catch(() => undefined), 1_000)
    this.timer.unref()
    this.flushTimer = setInterval(() => void this.flushUsage().catch(() => undefined), 10_000)
    this.flushTimer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer)
    await this.flushUsage().catch(() => undefined)
  }

  /** Tokens that would be accepted now. */
  usableCount(): number {
    const now = this.now()
    return this.tokens.filter((t) => isUsable(t, now)).length
  }

  reload(initial = false): Promise<void> {
    this.loading ??= (async () => {
      try {
        const { tokens, used } = tokensIn(await this.store.loadState())
        if (!initial) this.diff(tokens)
        this.tokens = tokens
        this.hashes = tokens.map((t) => Buffer.from(t.hash, 'hex'))
        for (const [name, at] of used) if (!this.lastUsed.has(name)) this.lastUsed.set(name, at)
        this.lastLoad = this.now()
      } finally {
        this.loading = undefined
      }
    })()
    return this.loading
  }

  private diff(next: readonly StoredToken[]): void {
    const onChange = this.options.onChange
    if (onChange === undefined) return
    const before = new Map(this.tokens.map((t) => [t.name, t]))
    for (const t of next) {
      const old = before.get(t.name)
      if (old === undefined || old.hash !== t.hash) onChange({ name: t.name, change: 'created', token: t })
      else if (old.revokedAt === null && t.revokedAt !== null) onChange({ name: t.name, change: 'revoked', token: t })
    }
  }

  /**
   * Checks a presented token. An unknown one is looked up again after a reload before it is refused; reloads
   * are at most one per RELOAD_MIN_MS (a request inside that window waits for the next one, shared), so a
   * token created a moment ago is accepted and a flood of bad tokens costs the store at most a few reads a second.
   */
  async verify(presented: string): Promise<Principal | TokenRefusal> {
    const first = this.lookup(presented)
    if (first !== 'TOKEN_INVALID') return first
    const wait = Math.min(RELOAD_MIN_MS, this.lastLoad + RELOAD_MIN_MS - this.now())
    if (wait <= 0) await this.reload()
    else {
      this.nextReload ??= new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => {
        this.nextReload = undefined
        return this.reload()
      })
      await this.nextReload
    }
    return this.lookup(presented)
  }

  private lookup(presented: string): Principal | TokenRefusal {
    const digest = Buffer.from(hashToken(presented), 'hex')
    let found: StoredToken | undefined
    // Every stored hash is compared, in constant time each, whatever matches.
    for (let i = 0; i < this.hashes.length; i++) {
      if (timingSafeEqual(this.hashes[i]!, digest) && found === undefined) found = this.tokens[i]
    }
    if (found === undefined) return 'TOKEN_INVALID'
    const now = this.now()
    if (found.revokedAt !== null) return 'TOKEN_REVOKED'
    if (found.expiresAt !== null && found.expiresAt <= now) return 'TOKEN_EXPIRED'
    const last = this.lastUsed.get(found.name)
    if (last === undefined || now - last >= 1_000) {
      this.lastUsed.set(found.name, now)
      this.dirty.add(found.name)
    }
    return { name: found.name, role: found.role, actor: `operator:${found.name}` }
  }

  /** Writes the last-use times that changed (keys only the server writes). */
  async flushUsage(): Promise<void> {
    if (this.dirty.size === 0) return
    const names = [...this.dirty]
    this.dirty.clear()
    await this.store.write({ state: names.map((n) => ({ key: TOKEN_USED_PREFIX + n, value: this.lastUsed.get(n) ?? null })) })
  }
}
