/**
 * @module store/postgres-store
 * The store on PostgreSQL (node-postgres pool), for desks that outgrow one process: the same tables,
 * migrations and semantics as SQLite. A batch is one transaction with one multi-row statement per table;
 * appends to the audit chain are serialized by a transaction-scoped advisory lock, so several processes
 * sharing the database cannot fork the chain.
 *
 * `search_path` is set in the connection's startup options, so every pooled connection is in the right
 * schema from its first statement (a `SET` after connect could race the first query).
 */
import type { Pool, PoolClient } from 'pg'
import { InputError, InvariantViolation } from '../model/index.js'
import type { OrderSide } from '../model/index.js'
import { MIGRATIONS, SCHEMA_MIGRATIONS_SQL, pendingMigrations } from './migrations.js'
import type { Migration } from './migrations.js'
import {
  AUDIT,
  DEPOSITS,
  FILLS,
  PLAIN_WRITES,
  auditFromRow,
  auditHeadFromRow,
  checkAuditContinuity,
  closeOnError,
  duplicateFill,
  encodeBatch,
  fillRowKey,
} from './rows.js'
import type { Cell, DbRow, EncodedBatch, Row, TableSpec } from './rows.js'
import { SqlReads } from './sql-reads.js'
import type { SqlDialect } from './sql-reads.js'
import type { Store, StoredAuditRecord, WriteBatch } from './store.js'

export interface PostgresStoreOptions {
  /** Schema holding Sofia's tables (lower-case identifier). Default `public`. */
  readonly schema?: string
  /** Create the schema when missing. Default true. */
  readonly create?: boolean
  /** Give up connecting after this long. Default 5000 ms. */
  readonly connectionTimeoutMs?: number
  /** Pool size. Default 4: Sofia writes from one loop; reads are short. */
  readonly poolSize?: number
  /** The migration list (tests inject longer ones). Default: MIGRATIONS. */
  readonly migrations?: readonly Migration[]
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** `postgres://user@host:port/db`: the URL without password or query, safe to print. */
export function safePostgresUrl(databaseUrl: string): string {
  let url: URL
  try {
    url = new URL(databaseUrl)
  } catch {
    throw new InputError('DATABASE_URL is not a valid URL (expected postgres://user[:password]@host[:port]/database)')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InputError(`DATABASE_URL must start with postgres:// (got ${url.protocol}//)`)
  }
  const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`
  return `postgres://${user}${url.hostname}:${url.port === '' ? '5432' : url.port}${url.pathname}`
}

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: unknown } | null
  if (typeof e?.code === 'string') return e.code
  // Node reports a refused dual-stack connect as an AggregateError whose parts carry the code.
  if (Array.isArray(e?.errors)) return errorCode(e.errors[0])
  return undefined
}

function connectReason(error: unknown, timeoutMs: number): string {
  const code = errorCode(error)
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return code
  const message = error instanceof Error ? error.message : String(error)
  if (/timeout/i.test(message)) return `timed out after ${timeoutMs} ms`
  return message
}

/** PostgreSQL parses every statement, so a schema goes in quoted; the name is validated before. */
const q = (ident: string): string => `"${ident}"`

/**
 * `INSERT … SELECT … FROM json_populate_recordset(…)`: the whole batch as one JSON parameter, one statement.
 * Measured faster than `unnest` over text arrays (node-postgres escapes every quote of an array element in
 * JavaScript; JSON.stringify is native) and than multi-row VALUES. Strings and integers round-trip exactly.
 * Tables whose id is generated keep batch order through `WITH ORDINALITY … ORDER BY`.
 */
function insertSql(spec: TableSpec): string {
  const cols = spec.columns.map((c) => c.name).join(', ')
  const source = `json_populate_recordset(NULL::${spec.table}, $1::json)`
  const ordered = spec === FILLS || spec === DEPOSITS
  let sql = ordered
    ? `INSERT INTO ${spec.table} (${cols}) SELECT ${cols} FROM ${source} WITH ORDINALITY AS u ORDER BY u.ordinality`
    : `INSERT INTO ${spec.table} (${cols}) SELECT ${cols} FROM ${source}`
  if (spec.conflictKeys !== undefined) {
    const keys = new Set(spec.conflictKeys)
    const set = spec.columns.filter((c) => !keys.has(c.name)).map((c) => `${c.name} = excluded.${c.name}`)
    sql += ` ON CONFLICT (${spec.conflictKeys.join(', ')}) DO UPDATE SET ${set.join(', ')}`
  }
  return sql
}

/** The rows as one JSON array of objects keyed by column name. */
function rowsJson(spec: TableSpec, rows: readonly Row[]): [string] {
  const names = spec.columns.map((c) => c.name)
  const objects = rows.map((row) => {
    const o: Record<string, Cell> = {}
    for (let i = 0; i < names.length; i++) o[names[i] as string] = row[i] ?? null
    return o
  })
  return [JSON.stringify(objects)]
}

/** PostgreSQL's placeholders are numbered and untyped (a keyset tuple must be cast); text sorts by bytes only with COLLATE "C". */
const POSTGRES: SqlDialect = {
  param: (n, bigint = false) => `$${n}${bigint ? '::bigint' : ''}`,
  text: (column) => `${column} COLLATE "C"`,
}

export class PostgresStore extends SqlReads implements Store {
  readonly kind = 'postgres' as const
  readonly location: string
  readonly schema: string
  private readonly server: string
  private readonly migrations: readonly Migration[]
  private readonly create: boolean
  private readonly timeoutMs: number
  private closed = false

  private constructor(
    private readonly pool: Pool,
    server: string,
    schema: string,
    options: PostgresStoreOptions,
  ) {
    super(POSTGRES)
    this.server = server
    this.schema = schema
    this.location = schema === 'public' ? server : `${server}?schema=${schema}`
    this.migrations = options.migrations ?? MIGRATIONS
    this.create = options.create !== false
    this.timeoutMs = options.connectionTimeoutMs ?? 5000
  }

  /**
   * Connects and inspects the schema; throws one-line InputErrors (without the password) when the server
   * cannot be reached or the schema is not a Sofia schema this code can use. Call `migrate()` before use.
   */
  static async open(databaseUrl: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    // `?schema=NAME` in the URL selects the schema, as the store's location writes it: one PostgreSQL database can
    // hold several stores (a cluster's nodes each have their own), each reached with its own DATABASE_URL.
    const server = safePostgresUrl(databaseUrl)
    const url = new URL(databaseUrl)
    const inUrl = url.searchParams.get('schema')
    url.searchParams.delete('schema')
    const schema = options.schema ?? inUrl ?? 'public'
    if (!SCHEMA_NAME.test(schema)) {
      throw new InputError(`PostgreSQL schema name '${schema}' is not a lower-case identifier ([a-z_][a-z0-9_]*)`)
    }
    const extra = url.searchParams.get('options')
    url.searchParams.set('options', `${extra === null ? '' : `${extra} `}-c search_path=${schema}`)
    const timeoutMs = options.connectionTimeoutMs ?? 5000
    // Loaded here, not at start-up: a CLI command on the SQLite store never pays for the driver.
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({
      connectionString: url.toString(),
      connectionTimeoutMillis: timeoutMs,
      max: options.poolSize ?? 4,
    })
    // An idle pooled connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined)
    const store = new PostgresStore(pool, server, schema, options)
    await closeOnError(() => store.inspect(), () => pool.end())
    return store
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect()
    } catch (error) {
      throw new InputError(`cannot connect to PostgreSQL at ${this.server}: ${connectReason(error, this.timeoutMs)}`, {
        cause: error,
      })
    }
  }

  protected async rows(sql: string, params: readonly Cell[] = []): Promise<DbRow[]> {
    const client = await this.connect()
    try {
      return (await client.query<DbRow>(sql, [...params])).rows
    } finally {
      client.release()
    }
  }

  private async tables(client: PoolClient): Promise<string[]> {
    const r = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [this.schema],
    )
    return r.rows.map((row) => row.table_name)
  }

  private async applied(client: PoolClient): Promise<{ version: number; name: string }[]> {
    const r = await client.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    )
    return r.rows.map((row) => ({ version: Number(row.version), name: row.name }))
  }

  /** Refuses someone else's tables and migrations this code does not know; changes nothing. */
  private async inspect(): Promise<void> {
    const client = await this.connect()
    try {
      const tables = await this.tables(client)
      if (tables.length === 0) {
        if (!this.create) {
          const exists = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [this.schema])
          if (exists.rowCount === 0) throw new InputError(`PostgreSQL schema ${this.schema} does not exist at ${this.server}`)
        }
        return
      }
      const cols = (
        await client.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'schema_migrations'`,
          [this.schema],
        )
      ).rows.map((r) => r.column_name)
      if (!['version', 'name', 'applied_at'].every((c) => cols.includes(c))) {
        const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '')
        throw new InputError(
          `database ${this.location} is not a Sofia database (schema ${this.schema} holds tables ${shown} and no Sofia schema_migrations); refusing to use it`,
        )
      }
      pendingMigrations(this.location, await this.applied(client), this.migrations)
    } finally {
      client.release()
    }
  }

  /**
   * Applies the missing migrations, each in its own transaction under an advisory lock (several processes
   * may start at once against a new database). Returns how many were applied.
   */
  async migrate(): Promise<number> {
    let applied = 0
    const client = await this.connect()
    try {
      const tables = await this.tables(client)
      if (
        tables.includes('schema_migrations') &&
        pendingMigrations(this.location, await this.applied(client), this.migrations).length === 0
      ) {
        return 0
      }
      for (;;) {
        await client.query('BEGIN')
        try {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sofia.migrate.${this.schema}`])
          if (this.create) await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(this.schema)}`)
          await client.query(SCHEMA_MIGRATIONS_SQL.postgres)
          const next = pendingMigrations(this.location, await this.applied(client), this.migrations)[0]
          if (next === undefined) {
            await client.query('COMMIT')
            return applied
          }
          await client.query(next.postgres)
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            next.version,
            next.name,
            Date.now(),
          ])
          await client.query('COMMIT')
          applied++
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined)
          throw error
        }
      }
    } finally {
      client.release()
    }
  }

  async write(batch: WriteBatch): Promise<void> {
    const e = encodeBatch(batch)
    if (e.empty) return
    const client = await this.connect()
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      try {
        await this.apply(client, e)
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
        })
        throw error
      }
    } finally {
      // A connection that could not roll back is discarded rather than returned to the pool mid-transaction.
      client.release(broken)
    }
  }

  private async apply(client: PoolClient, e: EncodedBatch): Promise<void> {
    if (e.audit.length > 0) {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sofia.audit.${this.schema}`])
      const head = await client.query<DbRow>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')
      checkAuditContinuity(auditHeadFromRow(head.rows[0]), e.auditRecords)
      try {
        await client.query(insertSql(AUDIT), rowsJson(AUDIT, e.audit))
      } catch (error) {
        if (errorCode(error) === '23505') {
          throw new InvariantViolation('audit records were appended concurrently by another writer; batch not written', {
            cause: error,
          })
        }
        throw error
      }
    }
    if (e.fills.length > 0) {
      try {
        await client.query(insertSql(FILLS), rowsJson(FILLS, e.fills))
      } catch (error) {
        if (errorCode(error) === '23505') {
          // detail: `Key (venue, trade_id, side)=(binance, 42, buy) already exists.`
          const detail = String((error as { detail?: unknown }).detail ?? '')
          const m = /=\((.*), (.*), (buy|sell)\) already exists/.exec(detail)
          const key = m === null ? fillRowKey(e.fills[0] as Row) : { venue: m[1] as string, tradeId: m[2] as string, side: m[3] as OrderSide }
          throw duplicateFill(key, { cause: error })
        }
        throw error
      }
    }
    if (e.stateDeletes.length > 0) await client.query('DELETE FROM state WHERE key = ANY($1::text[])', [e.stateDeletes])
    for (const [field, spec] of PLAIN_WRITES) {
      const rows = e[field]
      if (rows.length > 0) await client.query(insertSql(spec), rowsJson(spec, rows))
    }
    if (e.sequences.length > 0) {
      await client.query(
        `INSERT INTO sequences (strategy_id, next) SELECT * FROM unnest($1::text[], $2::bigint[])
         ON CONFLICT (strategy_id) DO UPDATE SET next = GREATEST(sequences.next, excluded.next)`,
        [e.sequences.map((s) => s[0]), e.sequences.map((s) => s[1])],
      )
    }
  }

  async truncateAuditAfter(seq: number): Promise<StoredAuditRecord[]> {
    const client = await this.connect()
    try {
      await client.query('BEGIN')
      try {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sofia.audit.${this.schema}`])
        const removed = await client.query<DbRow>('DELETE FROM audit WHERE seq > $1 RETURNING *', [seq])
        await client.query('COMMIT')
        return removed.rows.map(auditFromRow).sort((a, b) => a.seq - b.seq)
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw error
      }
    } finally {
      client.release()
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }
}
