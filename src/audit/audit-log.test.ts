/**
 * @module audit/audit-log.test
 * Appending links and hashes records; secrets never reach the chain.
 */
import { describe, expect, it } from 'vitest'
import { Decimal, InvariantViolation } from '../model/index.js'
import { AuditLog } from './audit-log.js'
import { canonicalJson, chainHash, GENESIS_HASH, recordBody } from '../chain/record.js'
import { REDACTED, redactSecrets, sanitizePayload } from './redact.js'
import { verifyChain } from './verify.js'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditKey, CHECKPOINT, HeadAnchor } from '../chain/anchor.js'
import type { SignedHead } from '../chain/anchor.js'

describe('AuditLog', () => {
  it('starts at genesis and links every record to the one before', () => {
    const log = new AuditLog()
    const a = log.append('order.submitted', 'strategy:s1', { id: 'o1' }, 1000)
    const b = log.append('fill', 'system', { id: 'o1', price: new Decimal('10.5') }, 1001)
    expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH })
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash })
    expect(b.body).toBe(recordBody(b))
    expect(b.hash).toBe(chainHash(a.hash, b.body))
    expect(log.head).toEqual({ seq: 2, hash: b.hash })
  })

  it('builds exactly the canonical body, including integer-like keys and toJSON members', () => {
    const log = new AuditLog()
    for (const payload of [{ b: 1, a: [1, { d: 2, c: undefined }] }, { 10: 'x', 9: 'y', a: 1 }, null, 'text', 42, [new Date(5)]]) {
      const r = log.append('t', 'a"ctor', payload, 7)
      expect(r.body).toBe(canonicalJson({ seq: r.seq, ts: 7, type: 't', actor: 'a"ctor', payload }))
    }
  })

  it('records an absent payload as null', () => {
    const r = new AuditLog().append('t', 'system', undefined, 1)
    expect(r.payload).toBeNull()
    expect(r.body).toBe('{"actor":"system","payload":null,"seq":1,"ts":1,"type":"t"}')
  })

  it('continues a stored chain from its head', () => {
    const first = new AuditLog()
    first.append('a', 'system', {}, 1)
    const head = first.head
    const next = new AuditLog(head).append('b', 'system', {}, 2)
    expect(next).toMatchObject({ seq: 2, prevHash: head.hash })
  })

  it('drain hands over the pending records once', () => {
    const log = new AuditLog()
    log.append('a', 'system', {}, 1)
    log.append('b', 'system', {}, 2)
    expect(log.pendingCount).toBe(2)
    expect(log.drain().map((r) => r.seq)).toEqual([1, 2])
    expect(log.drain()).toEqual([])
    expect(log.append('c', 'system', {}, 3).seq).toBe(3)
  })

  it('refuses a payload without a canonical form and leaves no hole in the chain', () => {
    const log = new AuditLog()
    expect(() => log.append('a', 'system', { x: NaN }, 1)).toThrow(InvariantViolation)
    expect(log.head.seq).toBe(0)
    expect(log.append('a', 'system', {}, 1).seq).toBe(1)
  })

  it('keeps later changes to the caller’s object out of the record', async () => {
    const log = new AuditLog()
    const payload = { qty: '1' }
    log.append('a', 'system', payload, 1)
    payload.qty = '2'
    expect(await verifyChain([log.drain()])).toMatchObject({ ok: true, count: 1 })
  })

  it('verifies what it wrote', async () => {
    const log = new AuditLog()
    for (let i = 0; i < 1000; i++) log.append('tick', 'system', { i, price: `${i}.5` }, i)
    expect(await verifyChain([log.drain()], { fromGenesis: true })).toMatchObject({ ok: true, count: 1000, head: { seq: 1000 } })
  })
})

describe('secrets', () => {
  it('never enter a stored body or payload', () => {
    const log = new AuditLog()
    const r = log.append('config.changed', 'operator:ana', {
      exchange: 'binance',
      apiSecret: 'hunter2-secret-text',
      nested: { API_KEY: 'k-123456', password: 'pw', list: [{ accessToken: 'tok' }] },
      change: { key: 'API_SECRET', value: 'from-env-var' },
      passphrase: 'pp',
      privateKey: 'pk',
    }, 1)
    const stored = `${r.body}${JSON.stringify(r.payload)}`
    for (const secret of ['hunter2-secret-text', 'k-123456', '"pw"', 'tok"', 'from-env-var', '"pp"', '"pk"']) {
      expect(stored).not.toContain(secret)
    }
    expect(r.body).toContain('"exchange":"binance"')
    expect(r.body).toContain(`"apiSecret":"${REDACTED}"`)
  })

  it('redactSecrets copies on write only', () => {
    const clean = { a: 1, b: [{ c: 2 }] }
    expect(redactSecrets(clean)).toBe(clean)
    const dirty = { a: 1, creds: { api_key: 'x' } }
    const out = redactSecrets(dirty)
    expect(out).toEqual({ a: 1, creds: { api_key: REDACTED } })
    expect(dirty.creds.api_key).toBe('x')
  })

  it('sanitizePayload serializes natively to the canonical text of the redacted payload', () => {
    const payload = { z: 1, token: 't', a: { y: [1, 'x', null, { q: true, b: 2 }], secretSauce: 's' }, d: new Decimal('3.10') }
    const { value, integerKeys } = sanitizePayload(payload)
    expect(integerKeys).toBe(false)
    expect(JSON.stringify(value)).toBe(canonicalJson(redactSecrets(payload)))
  })
})

describe('AuditLog with a head anchor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-auditlog-anchor-'))
  const key = AuditKey.create(join(dir, 'audit.pem'))

  it('signs the head every N records and on checkpoint(), each signature the record just before it', () => {
    const anchor = new HeadAnchor(key, join(dir, 'heads-a.jsonl'), 10, 3_600_000)
    const log = new AuditLog(undefined, anchor)
    for (let i = 0; i < 25; i++) log.append('x', 'system', { i }, i)
    expect(log.checkpoint()?.type).toBe(CHECKPOINT)
    expect(log.checkpoint()).toBeUndefined() // nothing new to sign
    const records = log.drain()
    const checkpoints = records.filter((r) => r.type === CHECKPOINT)
    expect(checkpoints.map((r) => r.seq)).toEqual([11, 22, 28])
    for (const c of checkpoints) {
      const signed = c.payload as SignedHead
      expect(signed.seq).toBe(c.seq - 1)
      expect(signed.hash).toBe(c.prevHash)
      expect(key.signed(signed)).toBe(true)
      expect(key.signed({ ...signed, seq: signed.seq + 1 })).toBe(false)
    }
    // Only what the store has committed reaches the heads file, and the shippers (a failing one stops nothing).
    const shipped: SignedHead[] = []
    anchor.onHeads(() => {
      throw new Error('notifier down')
    })
    anchor.onHeads((heads) => shipped.push(...heads))
    expect(existsSync(anchor.headsFile)).toBe(false)
    log.committed(records)
    const lines = readFileSync(anchor.headsFile, 'utf8').trim().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as SignedHead).seq)).toEqual([10, 21, 27])
    expect(shipped.map((h) => `${JSON.stringify(h)}`)).toEqual(lines)
  })

  it('signs after the interval only when records came since the last signature', () => {
    const anchor = new HeadAnchor(key, join(dir, 'heads-b.jsonl'), 1000, 50)
    const log = new AuditLog({ seq: 7, hash: 'a'.repeat(64) }, anchor)
    log.checkpointIfDue(Date.now() + 60)
    expect(log.pendingCount).toBe(0)
    log.append('x', 'system', {}, 1)
    log.checkpointIfDue(Date.now())
    expect(log.pendingCount).toBe(1)
    log.checkpointIfDue(Date.now() + 60)
    expect(log.drain().map((r) => r.type)).toEqual(['x', CHECKPOINT])
  })
})
