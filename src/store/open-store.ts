/**
 * @module store/open-store
 * The one way the rest of Sofia gets a store: memory for backtests that keep nothing, PostgreSQL when a
 * `DATABASE_URL` is configured, else the SQLite file under the data directory. Migrated before it is returned.
 */
import { existsSync, linkSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { InputError } from '../model/index.js'
import { MemoryStore } from './memory-store.js'
import { PostgresStore } from './postgres-store.js'
import { closeOnError } from './rows.js'
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
  /** SQLite: the structural check on open (see SqliteStoreOptions.integrity). Default 'quick'. */
  readonly integrity?: 'quick' | 'full'
  /** SQLite: run that check beside the caller's reading (see SqliteStoreOptions.backgroundIntegrity). */
  readonly backgroundIntegrity?: boolean
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
    return migrated(store)
  }
  if (options.file === undefined) {
    if (!existsSync(options.dataDir)) {
      if (!create) throw new InputError(`data directory ${options.dataDir} does not exist`)
      mkdirSync(options.dataDir, { recursive: true })
    }
  }
  const file = options.file ?? join(options.dataDir, 'sofia.db')
  if (create && !existsSync(file)) createWhole(file)
  return migrated(
    new SqliteStore(file, {
      create,
      ...(options.integrity === undefined ? {} : { integrity: options.integrity }),
      ...(options.backgroundIntegrity === undefined ? {} : { backgroundIntegrity: options.backgroundIntegrity }),
    }),
  )
}

/** The store, migrated; one whose migration fails is closed, so no connection or file lock outlives the error. */
async function migrated(store: PostgresStore | SqliteStore): Promise<Store> {
  await closeOnError(() => store.migrate(), () => store.close())
  return store
}

/**
 * Creates a new SQLite store whole: built and migrated beside its final name, then linked into place (a link
 * fails if another process got there first, and that one's file is used). A crash part-way leaves only a
 * stray temporary file, never an empty `sofia.db` that would later be refused as damaged.
 */
function createWhole(file: string): void {
  mkdirSync(dirname(file), { recursive: true })
  const temp = `${file}.creating-${process.pid}`
  for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true })
  const fresh = new SqliteStore(temp, { create: true, allowEmpty: true })
  try {
    fresh.migrate()
  } finally {
    void fresh.close()
  }
  try {
    linkSync(temp, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    rmSync(temp, { force: true })
  }
}
