/**
 * @module audit/export.test
 * JSONL export/import and restore against the real SQLite store and the memory store.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/index.js'
import { AuditLog } from './audit-log.js'
import { exportJsonl, MalformedLine, readJsonl, verifyJsonl } from './export.js'
import { restoreBefore } from './restore.js'
import { verifyChain } from './verify.js'

const T0 = 1_700_000_000_000
let stores: Store[] = []
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()))
  stores = []
})

const tmp = (): string => mkdtempSync(join(tmpdir(), 'sofia-audit-'))

/** A store holding `n` records, one per second from T0. */
async function filled(kind: 'sqlite' | 'memory', n: number): Promise<Store> {
  const dir = tmp()
  const store = await openStore(kind === 'memory' ? { dataDir: dir, memory: true } : { dataDir: dir, file: join(dir, 'sofia.db') })
  stores.push(store)
  const log = new AuditLog()
  for (let i = 0; i < n; i++) {
    log.append('order.submitted', 'strategy:s', { id: `o${i + 1}`, amount: '0.5', apiKey: 'never-stored' }, T0 + i * 1000)
    if (log.pendingCount === 100) await store.write({ audit: log.drain() })
  }
  await store.write({ audit: log.drain() })
  return store
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').trim().split('\n')

for (const kind of ['sqlite', 'memory'] as const) {
  describe(`audit export and restore (${kind} store)`, () => {
    it('exports a chain that verifies on its own, one record per line, without secrets', async () => {
      const store = await filled(kind, 250)
      const out = join(tmp(), 'audit.jsonl')
      expect(await exportJsonl(store, out)).toEqual({ count: 250, firstSeq: 1, lastSeq: 250 })
      const text = readFileSync(out, 'utf8')
      expect(text).not.toContain('never-stored')
      expect(Object.keys(JSON.parse(lines(out)[0] as string) as object)).toEqual(['seq', 'ts', 'type', 'actor', 'payload', 'prevHash', 'hash'])
      expect(await verifyJsonl(out)).toMatchObject({ ok: true, count: 250, head: { seq: 250 } })
      expect(await verifyChain(store.iterateAudit(), { fromGenesis: true })).toMatchObject({ ok: true, count: 250 })
    })

    it('exports a time range that verifies on its own', async () => {
      const store = await filled(kind, 50)
      const out = join(tmp(), 'range.jsonl')
      expect(await exportJsonl(store, out, { fromTs: T0 + 10_000, toTs: T0 + 20_000 })).toEqual({ count: 10, firstSeq: 11, lastSeq: 20 })
      expect(await verifyJsonl(out)).toMatchObject({ ok: true, count: 10, head: { seq: 20 } })
      expect(await exportJsonl(store, join(tmp(), 'none.jsonl'), { fromTs: T0 + 999_000 })).toEqual({ count: 0, firstSeq: null, lastSeq: null })
    })

    it('restores to before a time: the kept prefix verifies, the side file holds exactly the removed records', async () => {
      const store = await filled(kind, 30)
      const before = await collect(store)
      const side = join(tmp(), 'removed.jsonl')
      expect(await restoreBefore(store, T0 + 20_000, side)).toEqual({ kept: 20, removed: 10, sideFile: side, firstBad: null })
      expect(await verifyChain(store.iterateAudit(), { fromGenesis: true })).toMatchObject({ ok: true, count: 20, head: { seq: 20 } })
      expect(lines(side).map((l) => JSON.parse(l) as unknown)).toEqual(
        before.slice(20).map(({ body: _b, ...r }) => r),
      )
      expect(await verifyJsonl(side)).toMatchObject({ ok: true, count: 10 })
      // Nothing after the cut: a second restore removes nothing and writes no file.
      expect(await restoreBefore(store, T0 + 25_000, join(tmp(), 'again.jsonl'))).toMatchObject({ kept: 20, removed: 0, sideFile: null })
    })

    it('refuses to overwrite a side file', async () => {
      const store = await filled(kind, 3)
      const side = join(tmp(), 'exists.jsonl')
      writeFileSync(side, 'keep me\n')
      await expect(restoreBefore(store, T0, side)).rejects.toBeInstanceOf(InputError)
      expect(readFileSync(side, 'utf8')).toBe('keep me\n')
    })
  })
}

describe('restore with damage before the cut (sqlite)', () => {
  it('cuts before the first bad record instead', async () => {
    const store = await filled('sqlite', 30)
    const db = new Database(store.location)
    db.prepare('UPDATE audit SET payload = ? WHERE seq = 8').run('{"id":"forged"}')
    db.close()
    const side = join(tmp(), 'removed.jsonl')
    const result = await restoreBefore(store, T0 + 20_000, side)
    expect(result).toMatchObject({ kept: 7, removed: 23, sideFile: side, firstBad: { seq: 8, reason: 'hash_mismatch' } })
    expect(await verifyChain(store.iterateAudit(), { fromGenesis: true })).toMatchObject({ ok: true, count: 7 })
    expect(lines(side)).toHaveLength(23)
  })
})

describe('readJsonl', () => {
  const good = async (): Promise<string> => {
    const store = await filled('memory', 5)
    const out = join(tmp(), 'good.jsonl')
    await exportJsonl(store, out)
    return out
  }

  it('names file and line of a malformed line', async () => {
    const path = await good()
    const text = lines(path)
    text[2] = '{"seq":3,"ts":1'
    writeFileSync(path, `${text.join('\n')}\n`)
    const read = async (): Promise<void> => {
      for await (const _ of readJsonl(path, { batchSize: 1 })) void _
    }
    await expect(read()).rejects.toThrow(new MalformedLine(path, 3, 'not valid JSON', 3).message)
    await expect(read()).rejects.toBeInstanceOf(InputError)
  })

  it.each([
    ['missing hash', (r: Record<string, unknown>) => delete r['hash'], "'hash' is not a SHA-256 hex digest"],
    ['seq not a number', (r: Record<string, unknown>) => (r['seq'] = 'x'), "'seq' is not a positive integer"],
    ['no payload', (r: Record<string, unknown>) => delete r['payload'], "'payload' is missing"],
  ])('rejects a line with %s', async (_name, edit, problem) => {
    const path = await good()
    const text = lines(path)
    const r = JSON.parse(text[1] as string) as Record<string, unknown>
    edit(r)
    text[1] = JSON.stringify(r)
    writeFileSync(path, `${text.join('\n')}\n`)
    expect(await verifyJsonl(path)).toEqual({
      ok: false,
      count: 1,
      firstBad: { seq: 2, reason: 'malformed', detail: `${path}:2: ${problem}` },
      lastGood: expect.objectContaining({ seq: 1 }) as unknown,
    })
  })

  it('lets verification report a malformed line as the first bad record', async () => {
    const path = await good()
    writeFileSync(path, `${readFileSync(path, 'utf8')}not json\n`)
    expect(await verifyJsonl(path)).toMatchObject({ ok: false, count: 5, firstBad: { seq: 6, reason: 'malformed', detail: `${path}:6: not valid JSON` } })
  })

  it('reports an earlier break before a later malformed line', async () => {
    const path = await good()
    const text = lines(path)
    text.splice(1, 1)
    text.push('garbage')
    writeFileSync(path, `${text.join('\n')}\n`)
    expect(await verifyJsonl(path)).toMatchObject({ ok: false, firstBad: { seq: 3, reason: 'gap' } })
  })
})

async function collect(store: Store): Promise<Awaited<ReturnType<Store['truncateAuditAfter']>>> {
  const out = []
  for await (const batch of store.iterateAudit()) out.push(...batch)
  return out
}
