/**
 * @module store/migrations.test
 * Which applied migration sets are accepted, which are refused, and with what message.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { MIGRATIONS, latestVersion, pendingMigrations } from './migrations.js'
import type { Migration } from './migrations.js'

const m = (version: number, name = `m${version}`): Migration => ({ version, name, sqlite: '', postgres: '' })
const known = [m(1), m(2), m(3)]
const at = (...versions: number[]): { version: number; name: string }[] => versions.map((v) => ({ version: v, name: `m${v}` }))

describe('pendingMigrations', () => {
  const accepted: [string, { version: number; name: string }[], number[]][] = [
    ['a new database', [], [1, 2, 3]],
    ['a database part way', at(1), [2, 3]],
    ['an up-to-date database', at(1, 2, 3), []],
    ['rows in any order', at(2, 1), [3]],
  ]
  for (const [label, applied, pending] of accepted) {
    it(`accepts ${label}`, () => {
      expect(pendingMigrations('db', applied, known).map((x) => x.version)).toEqual(pending)
    })
  }

  const refused: [string, { version: number; name: string }[], string][] = [
    ['a newer database', at(1, 2, 3, 4), 'database db is at schema version 4 but this Sofia knows only up to 3 (upgrade Sofia)'],
    ['a gap', at(1, 3), 'database db has a gap in its schema migrations: version 2 is missing but 3 is applied'],
    ['a missing first migration', at(2), 'database db has a gap in its schema migrations: version 1 is missing but 2 is applied'],
    [
      'a different migration under a known version',
      [{ version: 1, name: 'm1' }, { version: 2, name: 'other' }],
      "database db has schema migration 2 'other' but this Sofia's migration 2 is 'm2'",
    ],
  ]
  for (const [label, applied, message] of refused) {
    it(`refuses ${label}`, () => {
      expect(() => pendingMigrations('db', applied, known)).toThrow(InputError)
      expect(() => pendingMigrations('db', applied, known)).toThrow(message)
    })
  }

  it('ships migrations numbered 1..n with SQL for both engines', () => {
    expect(MIGRATIONS.map((x) => x.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
    expect(latestVersion()).toBe(MIGRATIONS.length)
    for (const x of MIGRATIONS) {
      expect(x.sqlite.trim()).not.toBe('')
      expect(x.postgres.trim()).not.toBe('')
      // Decimals are never stored as floats.
      expect(x.sqlite + x.postgres).not.toMatch(/\b(REAL|FLOAT|DOUBLE)\b/i)
    }
  })

  it('never changes a shipped migration: a database that applied it has exactly this SQL', () => {
    // Each engine's SQL of each version, hashed as shipped. Change the schema with a new migration instead.
    const sha = (sql: string): string => createHash('sha256').update(sql).digest('hex').slice(0, 16)
    expect(MIGRATIONS.map((x) => [x.version, x.name, sha(x.sqlite), sha(x.postgres)])).toEqual([
      [1, 'initial', '7e0586018f99280e', '05f5a655519b5193'],
      [2, 'audit-body-optional', '9b6f9ba0c626e7f1', '880d1beca4dc0bff'],
      [3, 'audit-anchor-index', '8ee3cbad19501412', '8ee3cbad19501412'],
      [4, 'order-options', 'f7b80eb1c51ddf91', 'f7b80eb1c51ddf91'],
      [5, 'fills-key-side', 'da511e5c8dfc2c36', '92de82e9cc2e2c77'],
    ])
  })
})
