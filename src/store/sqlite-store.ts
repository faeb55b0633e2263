/**
 * @module store/sqlite-store
 * The embedded default store: one SQLite file (better-sqlite3), WAL journal, `synchronous=FULL` so a
 * committed batch survives power loss, prepared statements, one IMMEDIATE transaction per batch.
 *
 * Opening never changes a file that is not ours: the file is inspected read-only first (not SQLite, someone
 * else's tables, a schema newer than this code, a migration gap, a lock held elsewhere → one-line InputError),
 * and only then switched to WAL and migrated.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { InputError } from '../model/index.js'
import { MIGRATIONS, SCHEMA_MIGRATIONS_SQL, pendingMigrations } from './migrations.js'
import { checkIntegrity, checkIntegrityInBackground } from './sqlite-integrity.js'
import type { BackgroundCheck, IntegrityLevel } from './sqlite-integrity.js'
import type { Migration } from './migrations.js'
import {
  AUDIT,
  FILLS,
  PLAIN_WRITES,
  auditFromRow,
  auditHeadFromRow,
  checkAuditContinuity,
  duplicateFill,
  encodeBatch,
  fillRowKey,
  settle,
} from './rows.js'
import type { Cell, DbRow, EncodedBatch, PlainWriteField, TableSpec } from './rows.js'
import { SqlReads } from './sql-reads.js'
import type { SqlDialect } from './sql-reads.js'
import type { Store, StoredAuditRecord, WriteBatch } from './store.js'

export interface SqliteStoreOptions {
  /** Create the file (and its directory) when missing. Default true. */
  readonly create?: boolean
  /** FULL (default) fsyncs the WAL on every commit; NORMAL may lose the last commits on power loss. */
  readonly synchronous?: 'FULL' | 'NORMAL'
  /** How long to wait for another process's lock before failing. Default 2000 ms. */
  readonly busyTimeoutMs?: number
  /** The migration list (tests inject longer ones). Default: MIGRATIONS. */
  readonly migrations?: readonly Migration[]
  /** Accept an existing 0-byte file as a new database (default false: it is refused as damaged). */
  readonly allowEmpty?: boolean
  /**
   * The structural check run on open (`PRAGMA quick_check`, or `integrity_check` for 'full', which also
   * checks every index against its table): a damaged database is refused before anything reads or trades on
   * it. Default 'quick'.
   */
  readonly integrity?: IntegrityLevel | 'none'
  /**
   * Run that check in a worker thread, beside the caller's own reading, when opening changes nothing (no
   * migration is pending; otherwise it runs on open, before the migration writes). The caller must await
   * `integrityChecked` before it acts on what it read. For readers such as `sofia audit verify`.
   */
  readonly backgroundIntegrity?: boolean
}

type Stmt = Database.Statement<unknown[], DbRow>

interface Statements {
  /** The insert (or upsert) of each plain field of a batch, in PLAIN_WRITES order. */
  readonly plain: readonly (readonly [PlainWriteField, Stmt])[]
  readonly insertFill: Stmt
  readonly maxFillId: Stmt
  readonly deleteState: Stmt
  readonly raiseSequence: Stmt
  readonly insertAudit: Stmt
  /** AUDIT_CHUNK rows per statement: one call into SQLite per chunk instead of per record. */
  readonly insertAuditChunk: Stmt
  readonly auditHead: Stmt
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * Turns the SQLite errors a user can cause (wrong file, lock held elsewhere) into one-line InputErrors
 * naming the file; anything else is returned unchanged.
 */
export function sqliteInputError(path: string, error: unknown): unknown {
  const code = errorCode(error) ?? ''
  const detail = error instanceof Error ? error.message : String(error)
  if (code === 'SQLITE_NOTADB') return new InputError(`database ${path} is not a SQLite database (${detail})`, { cause: error })
  if (code.startsWith('SQLITE_CORRUPT') || /malformed/.test(detail)) {
    // SQLite may quote the damaged bytes: keep the message to one printable line.
    const what = detail.replace(/ - near .*$/s, '').replace(/[^\x20-\x7e]/g, '?').slice(0, 160)
    return new InputError(`database ${path} is corrupt (${what}); nothing was read from it — restore it from a backup (sofia backup restore)`, { cause: error })
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new InputError(`database ${path} is locked by another process`, { cause: error })
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
    return new InputError(`cannot open database ${path} (${detail})`, { cause: error })
  }
  return error
}

/** Multi-row inserts of audit records: measured ~1.5× faster than one statement per record. */
const AUDIT_CHUNK = 50

function insertSql(spec: TableSpec, prefix: readonly string[] = [], rows = 1): string {
  const cols = [...prefix, ...spec.columns.map((c) => c.name)]
  const tuple = `(${cols.map(() => '?').join(', ')})`
  const base = `INSERT INTO ${spec.table} (${cols.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`
  if (spec.conflictKeys === undefined) return base
  const keys = new Set(spec.conflictKeys)
  const set = cols.filter((c) => !keys.has(c)).map((c) => `${c} = excluded.${c}`)
  return `${base} ON CONFLICT (${spec.conflictKeys.join(', ')}) DO UPDATE SET ${set.join(', ')}`
}

/** SQLite's placeholders are positional and its text sorts by bytes by default. */
const SQLITE: SqlDialect = { param: () => '?', text: (column) => column }

export class SqliteStore extends SqlReads implements Store {
  readonly kind = 'sqlite' as const
  readonly location: string
  private readonly db: Database.Database
  private readonly migrations: readonly Migration[]
  private statements: Statements | undefined
  private readonly applyBatch: Database.Transaction<(e: EncodedBatch) => void>
  private background: BackgroundCheck | undefined

  /**
   * Opens and inspects the file; throws InputError (having changed nothing) when it is not a Sofia database
   * this code can use. Call `migrate()` before use (`openStore` does both).
   */
  constructor(file: string, options: SqliteStoreOptions = {}) {
    super(SQLITE)
    this.location = file
    this.migrations = options.migrations ?? MIGRATIONS
    const create = options.create !== false
    const dir = dirname(file)
    if (!existsSync(dir)) {
      if (!create) throw new InputError(`database directory ${dir} does not exist`)
      mkdirSync(dir, { recursive: true })
    }
    if (existsSync(file)) {
      const st = statSync(file)
      if (st.isDirectory()) throw new InputError(`database ${file} is a directory, not a database file`)
      // Sofia creates its databases whole (see openStore): an existing empty file is damage (a truncation, a
      // failed copy), never a new store. Taken as new, it would forget a halt and restart order sequences.
      if (st.size === 0 && options.allowEmpty !== true) {
        throw new InputError(`database ${file} is empty (0 bytes): refusing to take it as a new store; if it is meant to be new, delete the file`)
      }
    } else if (!create) {
      throw new InputError(`database ${file} does not exist`)
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 2000
    try {
      this.db = new Database(file, { fileMustExist: !create, timeout: busyTimeoutMs })
    } catch (error) {
      throw sqliteInputError(file, error)
    }
    const level = options.integrity ?? 'quick'
    try {
      const pending = this.inspect()
      if (level !== 'none') {
        // In the background only when opening writes nothing: nothing to migrate, and already in WAL mode.
        const writesNothing = pending === 0 && this.db.pragma('journal_mode', { simple: true }) === 'wal'
        if (options.backgroundIntegrity === true && writesNothing) this.background = checkIntegrityInBackground(file, level)
        else checkIntegrity(this.db, file, level)
      }
      // Only now that the file is known to be ours (or empty) may it be changed.
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`)
    } catch (error) {
      this.background?.stop()
      this.db.close()
      throw sqliteInputError(file, error)
    }
    this.applyBatch = this.db.transaction((e: EncodedBatch) => this.apply(e))
  }

  /** Refuses a file that is not SQLite, holds someone else's tables, or has migrations this code does not know. */
  private inspect(): number {
    const tables = (
      this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as {
        name: string
      }[]
    ).map((r) => r.name)
    if (tables.length === 0) return this.migrations.length
    const columns = tables.includes('schema_migrations')
      ? (this.db.prepare(`SELECT name FROM pragma_table_info('schema_migrations')`).all() as { name: string }[]).map(
          (r) => r.name,
        )
      : []
    if (!['version', 'name', 'applied_at'].every((c) => columns.includes(c))) {
      const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '')
      throw new InputError(
        `database ${this.location} is not a Sofia database (it holds tables ${shown} and no Sofia schema_migrations); refusing to use it`,
      )
    }
    return pendingMigrations(this.location, this.appliedMigrations(), this.migrations).length
  }

  private appliedMigrations(): { version: number; name: string }[] {
    return this.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
      version: number
      name: string
    }[]
  }

  /**
   * Applies the missing migrations, each in its own IMMEDIATE transaction that re-reads what is applied (two
   * processes opening one new file cannot both apply a migration). Takes no write lock when up to date.
   * Returns how many were applied.
   */
  migrate(): number {
    let applied = 0
    try {
      const hasTable = this.db
        .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`)
        .get()
      if (hasTable !== undefined && pendingMigrations(this.location, this.appliedMigrations(), this.migrations).length === 0) {
        return 0
      }
      const step = this.db.transaction((): boolean => {
        this.db.exec(SCHEMA_MIGRATIONS_SQL.sqlite)
        const next = pendingMigrations(this.location, this.appliedMigrations(), this.migrations)[0]
        if (next === undefined) return false
        this.db.exec(next.sqlite)
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(next.version, next.name, Date.now())
        return true
      })
      while (step.immediate()) applied++
    } catch (error) {
      throw sqliteInputError(this.location, error)
    }
    this.statements = undefined
    return applied
  }

  /** The connection's journal mode, synchronous level and busy timeout, for status and preflight output. */
  settings(): { journalMode: string; synchronous: string; busyTimeoutMs: number } {
    const sync = Number(this.db.pragma('synchronous', { simple: true }))
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][sync] ?? String(sync),
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
    }
  }

  private get stmts(): Statements {
    if (this.statements === undefined) {
      const p = (sql: string): Stmt => this.db.prepare<unknown[], DbRow>(sql)
      this.statements = {
        plain: PLAIN_WRITES.map(([field, spec]) => [field, p(insertSql(spec))] as const),
        insertFill: p(insertSql(FILLS, ['id'])),
        maxFillId: p('SELECT COALESCE(MAX(id), 0) AS id FROM fills'),
        deleteState: p('DELETE FROM state WHERE key = ?'),
        raiseSequence: p(
          'INSERT INTO sequences (strategy_id, next) VALUES (?, ?) ON CONFLICT (strategy_id) DO UPDATE SET next = MAX(next, excluded.next)',
        ),
        insertAudit: p(insertSql(AUDIT)),
        insertAuditChunk: p(insertSql(AUDIT, [], AUDIT_CHUNK)),
        auditHead: p('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'),
      }
    }
    return this.statements
  }

  write(batch: WriteBatch): Promise<void> {
    return settle(() => this.writeSync(batch))
  }

  /** One IMMEDIATE transaction: the write lock is taken first, so the audit head read inside stays the head. */
  writeSync(batch: WriteBatch): void {
    const e = encodeBatch(batch)
    if (e.empty) return
    try {
      this.applyBatch.immediate(e)
    } catch (error) {
      throw sqliteInputError(this.location, error)
    }
  }

  private apply(e: EncodedBatch): void {
    const s = this.stmts
    if (e.audit.length > 0) {
      checkAuditContinuity(this.head(), e.auditRecords)
      let i = 0
      for (; i + AUDIT_CHUNK <= e.audit.length; i += AUDIT_CHUNK) s.insertAuditChunk.run(e.audit.slice(i, i + AUDIT_CHUNK).flat())
      for (; i < e.audit.length; i++) s.insertAudit.run(e.audit[i])
    }
    if (e.fills.length > 0) {
      let id = Number((s.maxFillId.get() as DbRow)['id'])
      for (const row of e.fills) {
        try {
          s.insertFill.run(++id, ...row)
        } catch (error) {
          if (errorCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
            throw duplicateFill(fillRowKey(row), { cause: error })
          }
          throw error
        }
      }
    }
    for (const key of e.stateDeletes) s.deleteState.run(key)
    for (const [field, stmt] of s.plain) for (const row of e[field]) stmt.run(row)
    for (const [id, next] of e.sequences) s.raiseSequence.run(id, next)
  }

  private head(): { seq: number; hash: string } | undefined {
    return auditHeadFromRow(this.stmts.auditHead.get())
  }

  private read<T>(fn: () => T): Promise<T> {
    return settle(fn, (error) => sqliteInputError(this.location, error))
  }

  protected rows(sql: string, params: readonly Cell[] = []): Promise<DbRow[]> {
    return this.read(() => this.db.prepare<unknown[], DbRow>(sql).all(...params))
  }

  truncateAuditAfter(seq: number): Promise<StoredAuditRecord[]> {
    return this.read(() =>
      this.db
        .transaction(() => {
          const rows = this.db.prepare<[number], DbRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq').all(seq)
          this.db.prepare('DELETE FROM audit WHERE seq > ?').run(seq)
          return rows.map(auditFromRow)
        })
        .immediate(),
    )
  }

  /**
   * Settles when the structural check opened with `backgroundIntegrity` is done: rejects with the one-line
   * InputError of a damaged file. Already settled when the check ran on open (or was not asked for).
   */
  get integrityChecked(): Promise<void> {
    const check = this.background
    if (check === undefined) return Promise.resolve()
    return check.done.catch((error: unknown) => {
      throw error instanceof InputError ? error : sqliteInputError(this.location, error)
    })
  }

  close(): Promise<void> {
    this.background?.stop()
    if (this.db.open) this.db.close()
    return Promise.resolve()
  }
}
