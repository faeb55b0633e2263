/**
 * @module audit/verify-sqlite.test
 * The SQLite fast path against the generic verifier: for every kind of damage, at every place relative to
 * the parts, on the calling thread and in worker threads, it names the same first bad record.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { MIGRATIONS, openStore } from '../store/index.js'
// The v1 schema as it was shipped, to build an old database (not part of the store's public surface).
import { SCHEMA_MIGRATIONS_SQL, latestVersion } from '../store/migrations.js'
import type { Store } from '../store/index.js'
import { AuditLog } from './audit-log.js'
import { verifyChain } from './verify.js'
import type { VerifyResult } from './verify.js'
import { verifySqliteAudit } from './verify-sqlite.js'

const T0 = 1_700_000_000_000
const N = 40
let stores: Store[] = []
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()))
  stores = []
})

function records(n: number): ReturnType<AuditLog['drain']> {
  const log = new AuditLog()
  for (let i = 1; i <= n; i++) {
    log.append(i % 3 ? 'order.submitted' : 'fill', i % 2 ? 'strategy:mm' : 'system', { id: `o${i}`, price: '100.5', n: i, nested: { b: [i, null], a: 'ü' } }, T0 + i * 1000)
  }
  return log.drain()
}

async function filled(n = N): Promise<{ store: Store; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-verify-sqlite-'))
  const file = join(dir, 'sofia.db')
  const store = await openStore({ dataDir: dir, file })
  stores.push(store)
  await store.write({ audit: records(n) })
  return { store, file }
}

function sql(file: string, ...statements: string[]): void {
  const db = new Database(file)
  for (const s of statements) db.exec(s)
  db.close()
}

// With 3 parts and no minimum, 40 records split as seq 1–17 (calling thread), 18–28 and 29–40 (workers).
const MODES = [
  ['on the calling thread', { parts: 1 }],
  ['in three parts (workers)', { parts: 3, parallelAfter: 0 }],
] as const

const DAMAGE: [string, string[]][] = [
  ['a payload edited (first record)', ["UPDATE audit SET payload = replace(payload, '\"o1\"', '\"o9\"') WHERE seq = 1"]],
  ['an actor edited', ["UPDATE audit SET actor = 'operator:mallory' WHERE seq = 5"]],
  ['a type edited at the end of a part', ["UPDATE audit SET type = 'fill' WHERE seq = 17"]],
  ['a ts edited at the start of a part', ['UPDATE audit SET ts = ts + 1 WHERE seq = 18']],
  ['a hash edited in the last record', ["UPDATE audit SET hash = replace(hash, substr(hash, 1, 1), 'x') WHERE seq = 40"]],
  ['a prev_hash edited at a part start', ["UPDATE audit SET prev_hash = replace(prev_hash, substr(prev_hash, 1, 1), 'x') WHERE seq = 29"]],
  ['the first record deleted', ['DELETE FROM audit WHERE seq = 1']],
  ['a record deleted inside a part', ['DELETE FROM audit WHERE seq = 10']],
  ['the first records of a part deleted', ['DELETE FROM audit WHERE seq IN (18, 19)']],
  ['the last record of a part deleted', ['DELETE FROM audit WHERE seq = 28']],
  ['a whole part deleted', ['DELETE FROM audit WHERE seq BETWEEN 18 AND 28']],
  ['two records swapped', ['UPDATE audit SET seq = -1 WHERE seq = 21', 'UPDATE audit SET seq = 21 WHERE seq = 22', 'UPDATE audit SET seq = 22 WHERE seq = -1']],
  ['a record re-hashed after an edit (the next link breaks)', []],
  ['two faults: the first one wins', ['UPDATE audit SET actor = 1 WHERE seq = 33', "UPDATE audit SET payload = '{}' WHERE seq = 12"]],
  ['a stored body (pre-v2) that the columns no longer match', [
    `UPDATE audit SET body = '{"actor":' || json_quote(actor) || ',"payload":' || payload || ',"seq":' || seq || ',"ts":' || ts || ',"type":' || json_quote(type) || '}'`,
    "UPDATE audit SET actor = 'operator:mallory' WHERE seq = 25",
  ]],
  // The fast path reads the hashes' sizes in bytes: a 64-byte hash of fewer characters, or a short one, must fail
  // exactly as verifyChain says.
  ['a hash of 64 bytes but 63 characters', ["UPDATE audit SET hash = 'é' || substr(hash, 3) WHERE seq = 15"]],
  ['a prev_hash of 64 bytes but 63 characters at a part start', ["UPDATE audit SET prev_hash = 'é' || substr(prev_hash, 3) WHERE seq = 18"]],
  ['a prev_hash one character short', ['UPDATE audit SET prev_hash = substr(prev_hash, 2) WHERE seq = 23']],
  ['a stored body that is not the canonical one', ["UPDATE audit SET body = '{\"actor\":\"x\"}' WHERE seq = 31"]],
]

describe('verifySqliteAudit', () => {
  for (const [mode, options] of MODES) {
    describe(mode, () => {
      it('passes an intact chain, and an empty one', async () => {
        const { store, file } = await filled()
        const expected = await verifyChain(store.iterateAudit(), { fromGenesis: true })
        expect(expected).toMatchObject({ ok: true, count: N })
        expect(await verifySqliteAudit(file, options)).toEqual(expected)
        sql(file, 'DELETE FROM audit')
        expect(await verifySqliteAudit(file, options)).toEqual({ ok: true, count: 0, head: null })
      })

      for (const [label, statements] of DAMAGE) {
        it(`names the first bad record as verifyChain does: ${label}`, async () => {
          const { store, file } = await filled()
          if (statements.length === 0) {
            // Rewrite seq 20's payload and recompute its hash: only seq 21's link can tell.
            const db = new Database(file)
            const row = db.prepare('SELECT * FROM audit WHERE seq = 20').get() as Record<string, string | number>
            const { recordBody, chainHash } = await import('../chain/record.js')
            const payload = JSON.parse(String(row['payload'])) as Record<string, unknown>
            const forged = { seq: 20, ts: Number(row['ts']), type: String(row['type']), actor: String(row['actor']), payload: { ...payload, price: '1' } }
            db.prepare('UPDATE audit SET payload = ?, hash = ? WHERE seq = 20').run(
              JSON.stringify(forged.payload),
              chainHash(String(row['prev_hash']), recordBody(forged)),
            )
            db.close()
          }
          sql(file, ...statements)
          const expected = await verifyChain(store.iterateAudit(), { fromGenesis: true })
          expect(expected.ok).toBe(false)
          expect(await verifySqliteAudit(file, options)).toEqual(expected)
        })
      }

      it('reports a ts column that is not a number as malformed', async () => {
        const { file } = await filled()
        sql(file, "UPDATE audit SET ts = 'yesterday' WHERE seq = 7")
        expect(await verifySqliteAudit(file, options)).toEqual({
          ok: false,
          count: 6,
          firstBad: { seq: 7, reason: 'malformed', detail: 'column ts of the wrong type' },
          lastGood: { seq: 6, hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
        })
      })

      it('checks a row that SQLite quotes differently from JSON.stringify the JavaScript way', async () => {
        // U+2028 and U+007F are left as they are by JSON.stringify; whatever SQLite's json_quote does with
        // them, the record must verify.
        const dir = mkdtempSync(join(tmpdir(), 'sofia-verify-sqlite-'))
        const file = join(dir, 'sofia.db')
        const store = await openStore({ dataDir: dir, file })
        stores.push(store)
        const log = new AuditLog()
        log.append('odd\u2028type\u007f', 'operator:\u0001ö', { s: 'x' }, 1.5)
        log.append('t', 'a', null, T0)
        await store.write({ audit: log.drain() })
        expect(await verifySqliteAudit(file, { ...options, parts: Math.min(options.parts, 2) })).toMatchObject({ ok: true, count: 2 })
      })
    })
  }
})

describe('schema v2 migration of the audit table', () => {
  it('keeps only the bodies its columns cannot rebuild, so old damage stays visible', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sofia-verify-sqlite-'))
    const file = join(dir, 'sofia.db')
    // A database as schema v1 wrote it: every body stored.
    const db = new Database(file)
    db.exec(SCHEMA_MIGRATIONS_SQL.sqlite)
    db.exec((MIGRATIONS[0] as (typeof MIGRATIONS)[number]).sqlite)
    db.prepare("INSERT INTO schema_migrations VALUES (1, 'initial', 0)").run()
    const insert = db.prepare('INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    for (const r of records(30)) {
      insert.run(r.seq, r.ts, r.type, r.actor, JSON.stringify(r.payload), r.body, r.prevHash, r.hash)
    }
    // Tampered while at v1: a column edited under its body.
    db.prepare("UPDATE audit SET actor = 'operator:mallory' WHERE seq = 12").run()
    db.close()

    const store = await openStore({ dataDir: dir, file })
    stores.push(store)
    expect(await store.schemaVersion()).toBe(latestVersion())
    const check = new Database(file, { readonly: true })
    expect(check.prepare('SELECT seq FROM audit WHERE body IS NOT NULL').all()).toEqual([{ seq: 12 }])
    check.close()
    const expected: VerifyResult = {
      ok: false,
      count: 11,
      firstBad: { seq: 12, reason: 'body_mismatch', detail: 'column actor differs from the hashed body' },
      lastGood: { seq: 11, hash: (records(11)[10] as { hash: string }).hash },
    }
    expect(await verifyChain(store.iterateAudit(), { fromGenesis: true })).toEqual(expected)
    expect(await verifySqliteAudit(file)).toEqual(expected)
    expect(await verifySqliteAudit(file, { parts: 2, parallelAfter: 0 })).toEqual(expected)
    // New records go on without bodies and verify.
    const log = new AuditLog(await store.auditHead())
    log.append('t', 'a', { x: 1 }, T0)
    await store.write({ audit: log.drain() })
    sql(file, "UPDATE audit SET actor = 'system' WHERE seq = 12")
    expect(await verifySqliteAudit(file, { parts: 2, parallelAfter: 0 })).toMatchObject({ ok: true, count: 31 })
  })
})
