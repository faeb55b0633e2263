/**
 * @module audit/verify.test
 * Every kind of damage is named with the right seq and reason, on the calling thread and through the
 * worker pool that long chains use.
 */
import { describe, expect, it } from 'vitest'
import { AuditLog } from './audit-log.js'
import { chainHash, GENESIS_HASH } from '../chain/record.js'
import { verifyChain } from './verify.js'
import type { VerifiableRecord, VerifyResult } from './verify.js'

type Mutable = { -readonly [K in keyof VerifiableRecord]: VerifiableRecord[K] }

/** A chain as a store returns it: payload parsed back from JSON text, body verbatim. */
function chain(n: number): Mutable[] {
  const log = new AuditLog()
  for (let i = 1; i <= n; i++) {
    log.append(i % 2 ? 'order.submitted' : 'fill', i % 3 ? 'system' : 'strategy:mm', { id: `o${i}`, price: `${i}.25`, side: 'buy' }, 1_000 + i)
  }
  return log.drain().map((r) => ({ ...r, payload: JSON.parse(JSON.stringify(r.payload)) as unknown }))
}

/** The same records as a JSONL file gives them: no body. */
function withoutBody(records: Mutable[]): Mutable[] {
  return records.map(({ body: _body, ...r }) => r)
}

const at = (records: Mutable[], seq: number): Mutable => records[seq - 1] as Mutable

/** A tampering that edits record `seq` in place and keeps the rest of the chain as it is. */
const editing =
  (seq: number, edit: (record: Mutable) => void) =>
  (records: Mutable[]): Mutable[] => {
    edit(at(records, seq))
    return records
  }

function bad(result: VerifyResult): { seq: number; reason: string; count: number } {
  if (result.ok) throw new Error('expected a broken chain')
  return { seq: result.firstBad.seq, reason: result.firstBad.reason, count: result.count }
}

describe('verifyChain', () => {
  it('accepts an intact chain and reports its head', async () => {
    const records = chain(10)
    expect(await verifyChain([records.slice(0, 4), records.slice(4)], { fromGenesis: true })).toEqual({
      ok: true,
      count: 10,
      head: { seq: 10, hash: at(records, 10).hash },
    })
    expect(await verifyChain([withoutBody(records)])).toMatchObject({ ok: true, count: 10 })
  })

  it('accepts an empty chain', async () => {
    expect(await verifyChain([])).toEqual({ ok: true, count: 0, head: null })
  })

  const cases: [string, (r: Mutable[]) => Mutable[], { seq: number; reason: string; count: number }][] = [
    ['an edited payload byte (column and body)', editing(5, (x) => {
      x.body = (x.body as string).replace('5.25', '5.26')
      x.payload = { ...(x.payload as object), price: '5.26' }
    }), { seq: 5, reason: 'hash_mismatch', count: 4 }],
    ['an edited stored hash', editing(7, (x) => {
      x.hash = 'f'.repeat(64)
    }), { seq: 7, reason: 'hash_mismatch', count: 6 }],
    ['a changed prevHash', editing(5, (x) => {
      x.prevHash = 'a'.repeat(64)
    }), { seq: 5, reason: 'broken_link', count: 4 }],
    ['a first record not linked to genesis', editing(1, (x) => {
      x.prevHash = 'a'.repeat(64)
    }), { seq: 1, reason: 'broken_link', count: 0 }],
    ['a deleted record', (r) => r.filter((x) => x.seq !== 5), { seq: 6, reason: 'gap', count: 4 }],
    ['two deleted records', (r) => r.filter((x) => x.seq !== 5 && x.seq !== 6), { seq: 7, reason: 'gap', count: 4 }],
    ['a deleted last-but-one record', (r) => r.filter((x) => x.seq !== 9), { seq: 10, reason: 'gap', count: 8 }],
    ['two swapped records', (r) => [...r.slice(0, 4), at(r, 6), at(r, 5), ...r.slice(6)], { seq: 6, reason: 'reordered', count: 4 }],
    ['a record moved back', (r) => [...r.slice(0, 7), at(r, 3), ...r.slice(7)], { seq: 3, reason: 'reordered', count: 7 }],
    ['a duplicated record', (r) => [...r.slice(0, 5), at(r, 5), ...r.slice(5)], { seq: 5, reason: 'duplicate', count: 5 }],
    ['a payload column changed but not the body', editing(3, (x) => {
      x.payload = { id: 'o3', price: '999', side: 'buy' }
    }), { seq: 3, reason: 'body_mismatch', count: 2 }],
    ['an actor column changed but not the body', editing(4, (x) => {
      x.actor = 'operator:mallory'
    }), { seq: 4, reason: 'body_mismatch', count: 3 }],
    ['a ts column changed but not the body', editing(8, (x) => {
      x.ts = 1
    }), { seq: 8, reason: 'body_mismatch', count: 7 }],
    ['a type column changed but not the body', editing(2, (x) => {
      x.type = 'nothing'
    }), { seq: 2, reason: 'body_mismatch', count: 1 }],
  ]
  it.each(cases)('names %s', async (_name, tamper, expected) => {
    expect(bad(await verifyChain([tamper(chain(10))], { fromGenesis: true }))).toEqual(expected)
  })

  it('detects column edits from the body-less form (JSONL) as hash mismatches', async () => {
    const records = withoutBody(chain(10))
    at(records, 6).payload = { id: 'o6', price: '6.26', side: 'buy' }
    expect(bad(await verifyChain([records]))).toEqual({ seq: 6, reason: 'hash_mismatch', count: 5 })
  })

  it('names the column that differs from the body', async () => {
    const records = chain(3)
    at(records, 2).actor = 'operator:mallory'
    const result = await verifyChain([records])
    expect(result.ok ? '' : result.firstBad.detail).toBe('column actor differs from the hashed body')
  })

  it('accepts a range as anchored on its first prevHash, unless the whole chain is required', async () => {
    const tail = chain(10).slice(3)
    expect(await verifyChain([tail])).toMatchObject({ ok: true, count: 7, head: { seq: 10 } })
    expect(bad(await verifyChain([tail], { fromGenesis: true }))).toEqual({ seq: 4, reason: 'gap', count: 0 })
  })

  it('reports the last good record, where a restore can cut', async () => {
    const records = chain(10)
    at(records, 6).hash = GENESIS_HASH
    const result = await verifyChain([records])
    expect(result.ok ? null : result.lastGood).toEqual({ seq: 5, hash: at(records, 5).hash })
  })

  it('accepts a payload the native serializer cannot write (bigint) through canonicalJson', async () => {
    const log = new AuditLog()
    const r = log.append('t', 'system', { n: 1 }, 1)
    const odd = { ...r, payload: { n: 1n } }
    // A bigint column differs from the body's number 1: still caught, and no crash.
    expect(bad(await verifyChain([[odd]]))).toMatchObject({ reason: 'body_mismatch' })
  })
})

describe('verifyChain on long chains (worker pool)', () => {
  const N = 120_000
  const big = chain(N)

  function tampered(edits: (r: Mutable[]) => void): Mutable[] {
    const copy = big.map((r) => ({ ...r }))
    edits(copy)
    return copy
  }
  const batches = (records: Mutable[]): Mutable[][] => {
    const out: Mutable[][] = []
    for (let i = 0; i < records.length; i += 1000) out.push(records.slice(i, i + 1000))
    return out
  }

  it('verifies an intact chain with and without workers alike', async () => {
    const expected = { ok: true, count: N, head: { seq: N, hash: at(big, N).hash } }
    expect(await verifyChain(batches(big), { workers: 1 })).toEqual(expected)
    expect(await verifyChain(batches(big), { workers: 0 })).toEqual(expected)
  })

  it('names a hash mismatch found by a worker, with the good count before it', async () => {
    const records = tampered((r) => {
      at(r, 100_001).hash = chainHash(GENESIS_HASH, 'forged')
    })
    const result = await verifyChain(batches(records), { workers: 1 })
    expect(bad(result)).toEqual({ seq: 100_001, reason: 'hash_mismatch', count: 100_000 })
    expect(result.ok ? null : result.lastGood).toEqual({ seq: 100_000, hash: at(records, 100_000).hash })
  })

  it('reports an earlier hash mismatch (worker) before a later broken link (main thread)', async () => {
    const records = tampered((r) => {
      at(r, 70_000).hash = 'f'.repeat(64)
      at(r, 70_001).prevHash = 'f'.repeat(64)
      at(r, 90_000).prevHash = 'e'.repeat(64)
    })
    expect(bad(await verifyChain(batches(records), { workers: 1 }))).toEqual({ seq: 70_000, reason: 'hash_mismatch', count: 69_999 })
  })

  it('reports an earlier broken link before a later hash mismatch', async () => {
    const records = tampered((r) => {
      at(r, 60_000).prevHash = 'e'.repeat(64)
      at(r, 90_000).hash = 'f'.repeat(64)
    })
    expect(bad(await verifyChain(batches(records), { workers: 1 }))).toEqual({ seq: 60_000, reason: 'broken_link', count: 59_999 })
  })
})
