/**
 * @module store/open-store
 * The one way the rest of Sofia gets a store: memory for backtests that keep nothing, PostgreSQL when a
 * `DATABASE_URL` is configured, else the SQLite file under the data directory. Migrated before it is returned.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from '../model/index.js'
import { MemoryStore } from './memory-store.js'
import { PostgresStore } from './postgres-store.js'
import { SqliteStore } from './sqlite-store.js'
import type { Store } from './store.js'

export interface OpenStoreOptions {
  /** Where state lives (`--data-dir`, `SOFIA_HOME`); holds `sofia.db` unless `file` says otherwise. */
  readonly dataDir: string
  /** PostgreSQL connection URL (`DATABASE_URL`); wins over the SQLite file. */
  readonly databaseUrl?: string
  /** SQLite file; default `<dataDir>/sofia.db`. */
  readonly file?: string
  /** An in-memory store: nothing is written anywhere. */
  readonly memory?: boolean
  /** PostgreSQL schema; default `public`. */
  readonly schema?: string
  /** Create the data directory, database file or schema when missing. Default true. */
  readonly create?: boolean
}

/** Opens (and migrates) the configured store. Bad locations and foreign or newer databases throw InputError. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.memory === true) return new MemoryStore()
  const create = options.create !== false
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    const store = await PostgresStore.open(options.databaseUrl, {
      create,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    })
    try {
      await store.migrate()
    } catch (error) {
      await store.close()
      throw error
    }
    return store
  }
  if (options.file === undefined) {
    if (!existsSync(options.dataDir)) {
      if (!create) throw new InputError(`data directory ${options.dataDir} does not exist`)
      mkdirSync(options.dataDir, { recursive: true })
    }
  }
  const store = new SqliteStore(options.file ?? join(options.dataDir, 'sofia.db'), { create })
  try {
    store.migrate()
  } catch (error) {
    await store.close()
    throw error
  }
  return store
}
