/**
 * @module test/audit-cli.e2e.test
 * `sofia audit` as operators run it: a store written the way the system writes it, then tampered with
 * directly in SQLite. Needs `npm run build`.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeEach, describe, expect, it } from 'vitest'
import { AuditLog } from '../src/audit/index.js'
import { openStore } from '../src/store/index.js'
import { sofia } from './helpers.js'

const T0 = Date.parse('2024-03-01T00:00:00Z')
let dir: string
let db: string

async function populate(n: number): Promise<void> {
  const store = await openStore({ dataDir: dir, file: db })
  const log = new AuditLog()
  for (let i = 1; i <= n; i++) {
    log.append(i % 2 ? 'order.submitted' : 'fill', 'strategy:mm', { clientOrderId: `c${i}`, price: '100.5', apiSecret: 'sk-live-123' }, T0 + i * 60_000)
  }
  await store.write({ audit: log.drain() })
  await store.close()
}

function sql(statement: string, ...params: unknown[]): void {
  const conn = new Database(db)
  conn.prepare(statement).run(...params)
  conn.close()
}

/** Edits seq 9's actor column; `sofia audit verify --json` then exits 1 with 8 good records and seq 9 bad for `reason`. */
function expectEditedActorCaught(reason: string, detail: unknown): void {
  sql(`UPDATE audit SET actor = 'operator:mallory' WHERE seq = 9`)
  const r = sofia(['audit', 'verify', '--data-dir', dir, '--json'])
  expect(r.code).toBe(1)
  expect(JSON.parse(r.stdout)).toEqual({ ok: false, count: 8, firstBad: { seq: 9, reason, detail } })
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sofia-audit-cli-'))
  db = join(dir, 'sofia.db')
  await populate(12)
})

describe('sofia audit verify', () => {
  it('exits 0 on an intact chain', () => {
    const r = sofia(['audit', 'verify', '--data-dir', dir])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^audit chain intact: 12 records, head seq 12 hash [0-9a-f]{12}…\nsigned heads: none \(not anchored yet\)\n$/)
  })

  it('exits 1 naming the first bad record (payload edited)', () => {
    sql(`UPDATE audit SET payload = replace(payload, 'c5', 'c6') WHERE seq = 5`)
    const r = sofia(['audit', 'verify', '--db', db])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^audit chain broken at seq 5: hash_mismatch \(stored hash [0-9a-f]{12}… but the record hashes to [0-9a-f]{12}…\)\n4 good records before it\n$/)
  })

  it('exits 1 on an edited column, and says so as JSON', () => {
    expectEditedActorCaught('hash_mismatch', expect.stringMatching(/^stored hash [0-9a-f]{12}… but the record hashes to [0-9a-f]{12}…$/) as unknown)
  })

  it('exits 1 on a column edited under a body stored before schema v2, naming the column', () => {
    // What a record written by schema v1 looks like: the body stored beside the columns.
    sql(`UPDATE audit SET body = '{"actor":"' || actor || '","payload":' || payload || ',"seq":' || seq || ',"ts":' || ts || ',"type":"' || type || '"}' WHERE seq >= 7`)
    expect(sofia(['audit', 'verify', '--data-dir', dir]).code).toBe(0)
    expectEditedActorCaught('body_mismatch', 'column actor differs from the hashed body')
  })

  it('exits 1 on a deleted record (gap)', () => {
    sql('DELETE FROM audit WHERE seq = 3')
    const r = sofia(['audit', 'verify', '--data-dir', dir])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('audit chain broken at seq 4: gap (seq 3 missing: seq 2 is followed by seq 4)')
  })

  it('exits 2 when there is no database, and creates none', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sofia-empty-'))
    const r = sofia(['audit', 'verify', '--data-dir', empty])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`sofia: no Sofia database at ${join(empty, 'sofia.db')} (nothing recorded yet, or wrong --data-dir)\n`)
    expect(existsSync(join(empty, 'sofia.db'))).toBe(false)
  })
})

describe('sofia audit export / tail / restore', () => {
  it('exports a range that verifies on its own (--file)', () => {
    const out = join(dir, 'range.jsonl')
    const r = sofia(['audit', 'export', '--out', out, '--from', new Date(T0 + 3 * 60_000).toISOString(), '--to', String(T0 + 8 * 60_000), '--db', db])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`exported 5 audit records (seq 3–7) to ${out}\n`)
    expect(readFileSync(out, 'utf8')).not.toContain('sk-live-123')
    const v = sofia(['audit', 'verify', '--file', out, '--json'])
    expect(v.code).toBe(0)
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, count: 5, head: { seq: 7 } })
  })

  it('exits 2 on a bad --from, with one line', () => {
    const r = sofia(['audit', 'export', '--out', join(dir, 'x.jsonl'), '--from', 'last tuesday', '--data-dir', dir])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("sofia: --from: expected an ISO 8601 date or epoch ms, got 'last tuesday'\n")
  })

  it('exits 1 on a JSONL file with a malformed line, naming file and line', () => {
    const out = join(dir, 'all.jsonl')
    expect(sofia(['audit', 'export', '--out', out, '--db', db]).code).toBe(0)
    const text = readFileSync(out, 'utf8').split('\n')
    text[3] = '{"seq":4,'
    writeFileSync(out, text.join('\n'))
    const r = sofia(['audit', 'verify', '--file', out])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(`audit chain broken at seq 4: malformed (${out}:4: not valid JSON)`)
  })

  it('tails the last records, one line each, secrets redacted', () => {
    const r = sofia(['audit', 'tail', '-n', '3', '--data-dir', dir])
    expect(r.code).toBe(0)
    const rows = r.stdout.trim().split('\n')
    expect(rows).toHaveLength(3)
    expect(rows[0]).toBe(`10  ${new Date(T0 + 600_000).toISOString()}  strategy:mm  fill             apiSecret=[REDACTED] clientOrderId=c10 price=100.5`)
    const json = sofia(['audit', 'tail', '-n', '2', '--json', '--data-dir', dir])
    expect((JSON.parse(json.stdout) as { seq: number }[]).map((x) => x.seq)).toEqual([11, 12])
  })

  it('restores to a verifiable prefix and saves the rest', () => {
    const side = join(dir, 'removed.jsonl')
    const r = sofia(['audit', 'restore', '--before', String(T0 + 10 * 60_000), '--side-file', side, '--data-dir', dir])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`kept 9 records (seq 1–9); removed 3 records, saved to ${side}\n`)
    expect(readFileSync(side, 'utf8').trim().split('\n')).toHaveLength(3)
    expect(sofia(['audit', 'verify', '--data-dir', dir]).stdout).toMatch(/^audit chain intact: 9 records, head seq 9/)
  })
})
