import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../store/index.js'
import { errorReply } from './errors.js'
import { ApiError } from './errors.js'
import { TOKEN_KEY_PREFIX, TokenRegistry, createToken, hashToken, listTokens, revokeToken, roleAtLeast } from './tokens.js'
import { InputError } from '../model/index.js'

describe('API tokens', () => {
  it('stores only the SHA-256 of a sofia_ token of 32 random bytes', async () => {
    const store = new MemoryStore()
    const { token, record } = await createToken(store, { name: 'ci', role: 'viewer', createdBy: 'operator:test' })
    expect(token).toMatch(/^sofia_[A-Za-z0-9_-]{43}$/)
    const state = await store.loadState()
    expect(JSON.stringify([...state])).not.toContain(token.slice(6))
    expect((state.get(TOKEN_KEY_PREFIX + 'ci') as { hash: string }).hash).toBe(hashToken(token))
    expect(record.hash).toHaveLength(64)
    // Without a running session the CLI change is in the audit chain itself.
    expect(await store.countAudit()).toBe(1)
  })

  it('refuses a second live token of the same name and bad names', async () => {
    const store = new MemoryStore()
    await createToken(store, { name: 'ci', role: 'viewer', createdBy: 'operator:test' })
    await expect(createToken(store, { name: 'ci', role: 'admin', createdBy: 'operator:test' })).rejects.toBeInstanceOf(InputError)
    await expect(createToken(store, { name: 'bad name', role: 'admin', createdBy: 'operator:test' })).rejects.toBeInstanceOf(InputError)
    await revokeToken(store, 'ci', 'operator:test')
    await expect(createToken(store, { name: 'ci', role: 'admin', createdBy: 'operator:test' })).resolves.toBeDefined()
  })

  it('verifies, refuses expired and revoked tokens, and records last use', async () => {
    let now = 1_000_000
    const store = new MemoryStore()
    const a = await createToken(store, { name: 'a', role: 'operator', createdBy: 'operator:test', expiresInMs: 60_000, now })
    const registry = new TokenRegistry(store, { now: () => now })
    await registry.reload(true)
    expect(await registry.verify(a.token)).toEqual({ name: 'a', role: 'operator', actor: 'operator:a' })
    expect(await registry.verify(a.token + 'x')).toBe('TOKEN_INVALID')
    now += 60_000
    expect(await registry.verify(a.token)).toBe('TOKEN_EXPIRED')
    const b = await createToken(store, { name: 'b', role: 'admin', createdBy: 'operator:test', now })
    now += 1_000
    // Unknown until reloaded: the registry reloads on a miss.
    expect(await registry.verify(b.token)).toMatchObject({ name: 'b' })
    await revokeToken(store, 'b', 'operator:test', now)
    await registry.reload()
    expect(await registry.verify(b.token)).toBe('TOKEN_REVOKED')
    await registry.flushUsage()
    const list = await listTokens(store)
    expect(list.map((t) => [t.name, t.lastUsedAt !== null, t.revokedAt !== null])).toEqual([
      ['a', true, false],
      ['b', true, true],
    ])
  })

  it.each([
    ['viewer', 'viewer', true],
    ['viewer', 'operator', false],
    ['operator', 'viewer', true],
    ['operator', 'admin', false],
    ['admin', 'operator', true],
  ] as const)('%s is at least %s: %s', (role, needed, ok) => {
    expect(roleAtLeast(role, needed)).toBe(ok)
  })
})

describe('errorReply: one mapping from errors to responses', () => {
  it.each([
    [new ApiError(409, 'DEACTIVATION_BLOCKED', 'blocked', { blockers: ['daily_loss'] }), 409, { error: 'blocked', code: 'DEACTIVATION_BLOCKED', blockers: ['daily_loss'] }],
    [new InputError('bad'), 400, { error: 'bad', code: 'VALIDATION_FAILED' }],
    [Object.assign(new Error('body/x must be string'), { validation: [] }), 400, { error: 'body/x must be string', code: 'VALIDATION_FAILED' }],
    [Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 413, { error: 'too big', code: 'PAYLOAD_TOO_LARGE' }],
    [new TypeError('x is undefined at /secret/path.ts:1'), 500, { error: 'internal error', code: 'INTERNAL' }],
  ])('%s → %i', (error, status, body) => {
    expect(errorReply(error)).toEqual({ status, body })
  })
})
