/**
 * @module store/sqlite-integrity.test
 * The structural check beside a reader: a damaged store opened with `backgroundIntegrity` is refused through
 * `integrityChecked` with the same one line as on open; where opening would write (a migration is pending),
 * the check still runs on open, before the write.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { MIGRATIONS } from './migrations.js'
import { openStore } from './open-store.js'
import { SqliteStore } from './sqlite-store.js'
import { makeAudit } from './store.contract.js'

const root = mkdtempSync(join(tmpdir(), 'sofia-integrity-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Whether SQLite's own full check finds `file` sound; a file that cannot be read at all is not. */
function sound(file: string): boolean {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true })
    try {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[]
      return rows.length === 1 && rows[0]?.integrity_check === 'ok'
    } finally {
      db.close()
    }
  } catch {
    return false
  }
}

/** Opens without any check: whether Sofia's inspection on open passes (so only the integrity check can refuse). */
function opensUnchecked(file: string): boolean {
  try {
    void new SqliteStore(file, { create: false, integrity: 'none' }).close()
    return true
  } catch {
    return false
  }
}

describe('the integrity check beside a reader', async () => {
  const goodFile = join(root, 'good', 'sofia.db')
  const store = await openStore({ dataDir: join(root, 'good'), file: goodFile })
  await store.write({ audit: makeAudit(3_000) })
  await store.close()

  // A copy damaged one page at a time from the end (64 bytes flipped) until SQLite's check fails on a file that
  // still opens: the case only the integrity check can catch.
  const bytes = readFileSync(goodFile)
  const pageSize = 4096
  const damagedFile = join(root, 'bad', 'sofia.db')
  let found = false
  for (let page = bytes.length / pageSize - 1; page > 1 && !found; page--) {
    const copy = Buffer.from(bytes)
    for (let i = 0; i < 64; i++) copy[page * pageSize + 200 + i]! ^= 0xff
    rmSync(join(root, 'bad'), { recursive: true, force: true })
    mkdirSync(join(root, 'bad'))
    writeFileSync(damagedFile, copy)
    found = !sound(damagedFile) && opensUnchecked(damagedFile)
  }

  it('a damaged file opens, and integrityChecked refuses it in one line', async () => {
    expect(found).toBe(true)
    const bytesBefore = readFileSync(damagedFile)
    const opened = await openStore({ dataDir: join(root, 'bad'), file: damagedFile, create: false, integrity: 'full', backgroundIntegrity: true })
    try {
      const error = await opened.integrityChecked?.then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(InputError)
      expect((error as Error).message).toMatch(new RegExp(`^database ${damagedFile} (is damaged|is corrupt)[^\\n]*$`))
    } finally {
      await opened.close()
    }
    expect(readFileSync(damagedFile).equals(bytesBefore)).toBe(true)
  })

  it('the same file is refused on open without backgroundIntegrity', async () => {
    await expect(openStore({ dataDir: join(root, 'bad'), file: damagedFile, create: false, integrity: 'full' })).rejects.toThrow(/is (damaged|corrupt)/)
  })

  it('where a migration is pending, the check runs on open, before the migration could write', () => {
    const later = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'later', sqlite: 'CREATE TABLE later (x)', postgres: 'CREATE TABLE later (x)' }]
    expect(() => new SqliteStore(damagedFile, { create: false, integrity: 'full', backgroundIntegrity: true, migrations: later })).toThrow(/is (damaged|corrupt)/)
  })

  it('a sound file: integrityChecked resolves', async () => {
    const opened = await openStore({ dataDir: join(root, 'good'), file: goodFile, create: false, integrity: 'full', backgroundIntegrity: true })
    try {
      await expect(opened.integrityChecked).resolves.toBeUndefined()
    } finally {
      await opened.close()
    }
  })
})
