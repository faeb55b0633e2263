/**
 * @module cli/store-option
 * How every command finds the store: `--db FILE` (a SQLite file), else `DATABASE_URL` (PostgreSQL), else
 * the SQLite file under `--data-dir` (default `$SOFIA_HOME`, else `./var`). Read-only commands open with
 * `create: false`, so a wrong directory says so instead of leaving an empty database behind.
 */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import { AuditKey, HeadAnchor } from '../audit/index.js'
import { InputError } from '../model/index.js'
import { openStore } from '../store/index.js'
import type { Store } from '../store/index.js'

export interface StoreFlags {
  dataDir?: string
  db?: string
}

/** Adds `--data-dir` and `--db` to a command. */
export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'where Sofia keeps its state (default $SOFIA_HOME or ./var)')
    .option('--db <file>', 'a SQLite database file (instead of <data-dir>/sofia.db or $DATABASE_URL)')
}

/** The data directory the flags and environment select. */
export function dataDirOf(flags: { dataDir?: string }): string {
  return flags.dataDir ?? (process.env['SOFIA_HOME'] || './var')
}

/** The SQLite file the flags select, or undefined when DATABASE_URL selects PostgreSQL. */
export function sqliteFileOf(flags: StoreFlags): string | undefined {
  if (flags.db !== undefined) return flags.db
  if (process.env['DATABASE_URL']) return undefined
  return join(dataDirOf(flags), 'sofia.db')
}

export interface StoreOpenOptions {
  readonly create: boolean
  readonly integrity?: 'quick' | 'full'
  /** SQLite: the structural check runs beside the caller's reading, which must await `store.integrityChecked`. */
  readonly backgroundIntegrity?: boolean
}

/**
 * Opens the selected store. With `create: false` a missing SQLite database is an InputError (exit 2) naming
 * the file, instead of a new empty one.
 */
export async function openStoreFromFlags(flags: StoreFlags, options: StoreOpenOptions): Promise<Store> {
  // A session (or any writer) checks every page and index before it trusts the store with orders: a damaged
  // index would hide working orders. Readers check the structure only (a quarter to half the time).
  const store = await openSelectedStore(flags, { ...options, integrity: options.integrity ?? (options.create ? 'full' : 'quick') })
  // Writers sign the chain's heads. A read-only open signs with a key that exists, and never creates one.
  const keyFile = auditKeyFile()
  if (options.create || existsSync(keyFile)) {
    try {
      store.anchor = new HeadAnchor(AuditKey.readOrCreate(keyFile), headsFileOf(flags))
    } catch (error) {
      await store.close()
      throw error
    }
  }
  return store
}

/** Opens the selected store (read-only unless `create`), runs `use` with it, and closes it. */
export async function withStore<T>(flags: StoreFlags, use: (store: Store) => Promise<T>, options: StoreOpenOptions = { create: false }): Promise<T> {
  const store = await openStoreFromFlags(flags, options)
  try {
    return await use(store)
  } finally {
    await store.close()
  }
}

async function openSelectedStore(flags: StoreFlags, options: StoreOpenOptions): Promise<Store> {
  const databaseUrl = process.env['DATABASE_URL']
  if (flags.db === undefined && databaseUrl) {
    return openStore({ dataDir: dataDirOf(flags), databaseUrl, create: options.create })
  }
  const file = sqliteFileOf(flags) as string
  if (!options.create && !existsSync(file)) {
    const hint = flags.db === undefined ? 'nothing recorded yet, or wrong --data-dir' : 'check --db'
    throw new InputError(`no Sofia database at ${file} (${hint})`)
  }
  return openStore({ dataDir: flags.db === undefined ? dataDirOf(flags) : dirname(file), file, create: options.create, ...(options.integrity === undefined ? {} : { integrity: options.integrity }), ...(options.backgroundIntegrity === true ? { backgroundIntegrity: true } : {}) })
}

/**
 * The audit signing key: `$SOFIA_AUDIT_KEY` (or `audit.keyFile`), else `$XDG_CONFIG_HOME/sofia/audit-ed25519.pem`
 * (`~/.config/sofia/…`): outside the data directory, so a copy or backup of the data never carries it.
 */
export function auditKeyFile(): string {
  const configured = process.env['SOFIA_AUDIT_KEY']
  if (configured) return configured
  const base = process.env['XDG_CONFIG_HOME'] || join(homedir(), '.config')
  return join(base, 'sofia', 'audit-ed25519.pem')
}

/** The heads file: `$SOFIA_AUDIT_HEADS` (or `audit.headsFile`), else `audit-heads.jsonl` beside the database. */
export function headsFileOf(flags: StoreFlags): string {
  const configured = process.env['SOFIA_AUDIT_HEADS']
  if (configured) return configured
  return join(flags.db === undefined ? dataDirOf(flags) : dirname(flags.db), 'audit-heads.jsonl')
}

/** The keys signatures are checked against: the audit key (when this machine has it) and any --public-key. */
export function verifierKeys(publicKeys: readonly string[]): AuditKey[] {
  const keys = publicKeys.map((file) => AuditKey.read(file))
  const own = auditKeyFile()
  if (existsSync(own)) keys.push(AuditKey.read(own))
  else if (existsSync(`${own}.pub`)) keys.push(AuditKey.read(`${own}.pub`))
  return keys
}
