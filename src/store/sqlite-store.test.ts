/**
 * @module store/sqlite-store.test
 * The store contract against SQLite files, then what only SQLite has: durability settings, migrations on a
 * real file, and every bad file refused in one line without a byte of it changed.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { DuplicateFill, InputError } from '../model/index.js'
import { MIGRATIONS, latestVersion } from './migrations.js'
import type { Migration } from './migrations.js'
import { MemoryStore } from './memory-store.js'
import { openStore } from './open-store.js'
import { SqliteStore } from './sqlite-store.js'
import { collect, makeAudit, makeFill, makeOrder, storeContract } from './store.contract.js'

const root = mkdtempSync(join(tmpdir(), 'sofia-sqlite-'))
let n = 0
const newDir = (): string => join(root, `d${++n}`)
afterAll(() => rmSync(root, { recursive: true, force: true }))

storeContract('sqlite', () => openStore({ dataDir: newDir() }), undefined, {
  reopen: (s) => openStore({ dataDir: root, file: s.location, create: false }),
})

/** The bytes and mtime of a file and the names in its directory: "nothing written" means all three unchanged. */
function snapshot(file: string): { bytes: Buffer; mtimeMs: number; siblings: string[] } {
  return { bytes: readFileSync(file), mtimeMs: statSync(file).mtimeMs, siblings: readdirSync(join(file, '..')).sort() }
}

async function refusal(open: () => Promise<unknown>): Promise<InputError> {
  const error = await open().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(InputError)
  return error as InputError
}

/** A migrated Sofia database file, closed. */
async function sofiaFile(): Promise<string> {
  const dir = newDir()
  const store = await openStore({ dataDir: dir })
  await store.write({ orders: [makeOrder('a')], audit: makeAudit(2) })
  await store.close()
  return join(dir, 'sofia.db')
}

describe('sqlite store', () => {
  it('defaults to <dataDir>/sofia.db, creating the directory, in WAL mode with synchronous=FULL', async () => {
    const dir = join(newDir(), 'nested', 'var')
    const store = await openStore({ dataDir: dir })
    try {
      expect(store.kind).toBe('sqlite')
      expect(store.location).toBe(join(dir, 'sofia.db'))
      expect(existsSync(join(dir, 'sofia.db'))).toBe(true)
      expect((store as SqliteStore).settings()).toEqual({ journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 2000 })
    } finally {
      await store.close()
    }
    const normal = new SqliteStore(join(dir, 'sofia.db'), { synchronous: 'NORMAL' })
    expect(normal.settings().synchronous).toBe('NORMAL')
    await normal.close()
  })

  it('opens a memory store when asked, touching no directory', async () => {
    const dir = newDir()
    const store = await openStore({ dataDir: dir, memory: true })
    expect(store).toBeInstanceOf(MemoryStore)
    expect(existsSync(dir)).toBe(false)
  })

  it('applies missing migrations once, each recorded in schema_migrations', async () => {
    const file = await sofiaFile()
    const next = latestVersion() + 1
    const v5: Migration = {
      version: next,
      name: 'add-notes',
      sqlite: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);',
      postgres: 'CREATE TABLE notes (id BIGINT PRIMARY KEY, text TEXT NOT NULL);',
    }
    const store = new SqliteStore(file, { migrations: [...MIGRATIONS, v5] })
    expect(store.migrate()).toBe(1)
    expect(store.migrate()).toBe(0)
    expect(await store.schemaVersion()).toBe(next)
    expect(await store.loadOrders()).toHaveLength(1)
    await store.close()
    const db = new Database(file, { readonly: true })
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual([
      { version: 1, name: 'initial' },
      { version: 2, name: 'audit-body-optional' },
      { version: 3, name: 'audit-anchor-index' },
      { version: 4, name: 'order-options' },
      { version: 5, name: 'fills-key-side' },
      { version: next, name: 'add-notes' },
    ])
    db.close()
    // This build (which knows only up to the version before) now refuses the file.
    await expect(openStore({ dataDir: root, file })).rejects.toThrow(
      `database ${file} is at schema version ${next} but this Sofia knows only up to ${next - 1} (upgrade Sofia)`,
    )
  })

  it('upgrades a version-4 store to the (venue, trade id, side) fill key with every fill, id and order kept', async () => {
    const dir = newDir()
    mkdirSync(dir)
    const file = join(dir, 'sofia.db')
    const old = new SqliteStore(file, { migrations: MIGRATIONS.filter((m) => m.version <= 4) })
    old.migrate()
    const fills = [makeFill('t2', { timestamp: 5 }), makeFill('t1', { timestamp: 5 }), makeFill('t3', { timestamp: 1 })]
    await old.write({ fills })
    // Under the old key a self-trade's second half was refused.
    await expect(old.write({ fills: [makeFill('t1', { side: 'sell', timestamp: 5 })] })).rejects.toBeInstanceOf(DuplicateFill)
    await old.close()
    const store = await openStore({ dataDir: dir, file })
    expect(await store.schemaVersion()).toBe(latestVersion())
    const { items } = await collect(store.iterateFills())
    expect(items).toEqual([fills[2], fills[0], fills[1]])
    await store.write({ fills: [makeFill('t1', { side: 'sell', timestamp: 5 })] })
    expect((await collect(store.iterateFills())).items.map((f) => `${f.tradeId} ${f.side}`)).toEqual(['t3 buy', 't2 buy', 't1 buy', 't1 sell'])
    await store.close()
  })

  describe('refuses bad input in one line and writes nothing', () => {
    it('a file that is not SQLite', async () => {
      const dir = newDir()
      mkdirSync(dir)
      const file = join(dir, 'sofia.db')
      writeFileSync(file, randomBytes(8192))
      const before = snapshot(file)
      const error = await refusal(() => openStore({ dataDir: dir }))
      expect(error.message).toBe(`database ${file} is not a SQLite database (file is not a database)`)
      expect(snapshot(file)).toEqual(before)
    })

    it('a SQLite database that is not Sofia’s', async () => {
      const dir = newDir()
      mkdirSync(dir)
      const file = join(dir, 'sofia.db')
      const db = new Database(file)
      db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x')")
      db.close()
      const before = snapshot(file)
      const error = await refusal(() => openStore({ dataDir: dir }))
      expect(error.message).toBe(
        `database ${file} is not a Sofia database (it holds tables customers and no Sofia schema_migrations); refusing to use it`,
      )
      expect(snapshot(file)).toEqual(before)
      const check = new Database(file, { readonly: true })
      expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'customers' }])
      expect(check.pragma('journal_mode', { simple: true })).toBe('delete')
      check.close()
    })

    // A migration row this code does not know: past the latest version, or past a version never applied.
    it.each([
      {
        name: 'a database at a newer schema version',
        version: latestVersion() + 1,
        label: 'future',
        message: (file: string) =>
          `database ${file} is at schema version ${latestVersion() + 1} but this Sofia knows only up to ${latestVersion()} (upgrade Sofia)`,
      },
      {
        name: 'a gap in the applied migrations',
        version: latestVersion() + 2,
        label: 'later',
        message: (file: string) =>
          `database ${file} has a gap in its schema migrations: version ${latestVersion() + 1} is missing but ${latestVersion() + 2} is applied`,
      },
    ])('$name', async ({ version, label, message }) => {
      const file = await sofiaFile()
      const db = new Database(file)
      db.prepare(`INSERT INTO schema_migrations VALUES (${version}, '${label}', 0)`).run()
      db.close()
      const before = snapshot(file)
      const error = await refusal(() => openStore({ dataDir: root, file }))
      expect(error.message).toBe(message(file))
      expect(snapshot(file).bytes).toEqual(before.bytes)
    })

    it('a migration that is not the one this code has under that version', async () => {
      const file = await sofiaFile()
      const db = new Database(file)
      db.prepare("UPDATE schema_migrations SET name = 'other' WHERE version = 1").run()
      db.close()
      const error = await refusal(() => openStore({ dataDir: root, file }))
      expect(error.message).toBe(
        `database ${file} has schema migration 1 'other' but this Sofia's migration 1 is 'initial'`,
      )
    })

    it('a database locked by another process (at open)', async () => {
      const file = await sofiaFile()
      const holder = new Database(file)
      holder.pragma('locking_mode = EXCLUSIVE')
      holder.exec('BEGIN EXCLUSIVE')
      holder.prepare("INSERT INTO state VALUES ('held', '1')").run()
      try {
        const started = Date.now()
        const error = await refusal(async () => new SqliteStore(file, { busyTimeoutMs: 300 }))
        expect(error.message).toBe(`database ${file} is locked by another process`)
        expect(Date.now() - started).toBeLessThan(2000)
      } finally {
        holder.exec('ROLLBACK')
        holder.close()
      }
    })

    it('a database locked by another process (at write), leaving the batch unwritten', async () => {
      const file = await sofiaFile()
      const store = new SqliteStore(file, { busyTimeoutMs: 300 })
      store.migrate()
      const holder = new Database(file)
      holder.exec('BEGIN IMMEDIATE')
      holder.prepare("INSERT INTO state VALUES ('held', '1')").run()
      try {
        await expect(store.write({ orders: [makeOrder('b')] })).rejects.toThrow(
          `database ${file} is locked by another process`,
        )
      } finally {
        holder.exec('ROLLBACK')
        holder.close()
      }
      expect(await store.loadOrders()).toHaveLength(1)
      await store.write({ orders: [makeOrder('b')] })
      expect(await store.loadOrders()).toHaveLength(2)
      await store.close()
    })

    it('a missing data directory with create: false', async () => {
      const dir = newDir()
      await expect(openStore({ dataDir: dir, create: false })).rejects.toThrow(`data directory ${dir} does not exist`)
      expect(existsSync(dir)).toBe(false)
      const file = join(dir, 'x', 'sofia.db')
      await expect(openStore({ dataDir: root, file, create: false })).rejects.toThrow(
        `database directory ${join(dir, 'x')} does not exist`,
      )
    })

    it('a missing database file with create: false', async () => {
      const dir = newDir()
      mkdirSync(dir)
      await expect(openStore({ dataDir: dir, create: false })).rejects.toThrow(
        `database ${join(dir, 'sofia.db')} does not exist`,
      )
      expect(readdirSync(dir)).toEqual([])
    })

    it('a directory where the database file should be', async () => {
      const dir = newDir()
      mkdirSync(join(dir, 'sofia.db'), { recursive: true })
      await expect(openStore({ dataDir: dir })).rejects.toThrow(
        `database ${join(dir, 'sofia.db')} is a directory, not a database file`,
      )
    })
  })
})
