/**
 * @module store/sql-reads
 * The reads both SQL stores share: what each query selects, in which order, and how its rows become port
 * objects, written once. An engine brings how it runs a query (`rows`) and how it spells a parameter and a
 * byte-order sort (`SqlDialect`); writes, migrations and opening stay with each engine.
 */
import {
  ANCHOR_TYPES,
  OPEN_STATES,
  auditConditions,
  auditFromRow,
  auditHeadFromRow,
  depositFromRow,
  fillConditions,
  fillFromRow,
  fromJson,
  orderFromRow,
  reportFromRow,
  stateFromRow,
  strategyVersionFromRow,
} from './rows.js'
import type { Cell, Condition, DbRow } from './rows.js'
import type {
  AuditRange,
  FillFilter,
  StoredAuditRecord,
  StoredDeposit,
  StoredFill,
  StoredOrder,
  StoredReport,
  StoredStrategyVersion,
} from './store.js'

/** How an SQL engine writes the parts of a read that differ between engines. */
export interface SqlDialect {
  /** The placeholder of the `n`-th parameter (1-based), typed BIGINT when `bigint` (PostgreSQL must be told). */
  param(n: number, bigint?: boolean): string
  /** A text column sorted in byte order (SQLite's default; PostgreSQL needs `COLLATE "C"`). */
  text(column: string): string
}

/** The parameters of one query, each pushed where its placeholder is written. */
class Params {
  readonly values: Cell[] = []
  constructor(private readonly dialect: SqlDialect) {}
  /** The placeholder of `value`, now the next parameter. */
  add(value: Cell, bigint = false): string {
    return this.dialect.param(this.values.push(value), bigint)
  }
  /** A filter's conditions as WHERE clauses. */
  where(conditions: readonly Condition[], bigint = false): string[] {
    return conditions.map((c) => `${c.column} ${c.op} ${this.add(c.value, bigint)}`)
  }
}

/** The read half of the Store port over an SQL engine. */
export abstract class SqlReads {
  protected constructor(private readonly dialect: SqlDialect) {}

  /** The rows a query returns; what it throws rejects the promise. */
  protected abstract rows(sql: string, params?: readonly Cell[]): Promise<DbRow[]>

  private params(): Params {
    return new Params(this.dialect)
  }

  async loadOrders(filter?: { readonly openOnly?: boolean }): Promise<StoredOrder[]> {
    const p = this.params()
    const where = filter?.openOnly === true ? `WHERE state IN (${OPEN_STATES.map((s) => p.add(s)).join(', ')})` : ''
    const rows = await this.rows(
      `SELECT * FROM orders ${where} ORDER BY created_at, ${this.dialect.text('client_order_id')}`,
      p.values,
    )
    return rows.map(orderFromRow)
  }

  /** Keyset pages on (timestamp, id), one short query each: writes may interleave with the iteration. */
  async *iterateFills(filter: FillFilter = {}, batchSize = 1000): AsyncIterable<StoredFill[]> {
    const p = this.params()
    const where = p.where(fillConditions(filter))
    const cursorAt = p.values.length
    where.push(`(timestamp, id) > (${p.add(Number.MIN_SAFE_INTEGER, true)}, ${p.add(0, true)})`)
    const sql = `SELECT * FROM fills WHERE ${where.join(' AND ')} ORDER BY timestamp, id LIMIT ${p.add(batchSize)}`
    for (;;) {
      const rows = await this.rows(sql, p.values)
      const last = rows[rows.length - 1]
      if (last === undefined) return
      p.values[cursorAt] = Number(last['timestamp'])
      p.values[cursorAt + 1] = Number(last['id'])
      yield rows.map(fillFromRow)
      if (rows.length < batchSize) return
    }
  }

  async countFills(filter: FillFilter = {}): Promise<number> {
    const p = this.params()
    const where = p.where(fillConditions(filter))
    const rows = await this.rows(
      `SELECT COUNT(*) AS n FROM fills ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`,
      p.values,
    )
    return Number(rows[0]?.['n'] ?? 0)
  }

  async loadDeposits(): Promise<StoredDeposit[]> {
    return (await this.rows('SELECT * FROM deposits ORDER BY id')).map(depositFromRow)
  }

  async getState<T = unknown>(key: string): Promise<T | undefined> {
    const row = (await this.rows(`SELECT value FROM state WHERE key = ${this.dialect.param(1)}`, [key]))[0]
    return row === undefined ? undefined : (fromJson(row['value']) as T)
  }

  async loadState(): Promise<Map<string, unknown>> {
    const rows = await this.rows(`SELECT key, value FROM state ORDER BY ${this.dialect.text('key')}`)
    return new Map(rows.map(stateFromRow))
  }

  async loadSequences(): Promise<Map<string, number>> {
    const rows = await this.rows(`SELECT strategy_id, next FROM sequences ORDER BY ${this.dialect.text('strategy_id')}`)
    return new Map(rows.map((r) => [String(r['strategy_id']), Number(r['next'])]))
  }

  async loadStrategyVersions(strategy?: string): Promise<StoredStrategyVersion[]> {
    const p = this.params()
    const where = strategy === undefined ? '' : `WHERE strategy = ${p.add(strategy)}`
    const order = [this.dialect.text('strategy'), 'created_at', this.dialect.text('version')].join(', ')
    const rows = await this.rows(`SELECT * FROM strategy_versions ${where} ORDER BY ${order}`, p.values)
    return rows.map(strategyVersionFromRow)
  }

  async loadReports(kind?: string): Promise<StoredReport[]> {
    const p = this.params()
    const where = kind === undefined ? '' : `WHERE kind = ${p.add(kind)}`
    const order = ['kind', 'date', 'path'].map((c) => this.dialect.text(c)).join(', ')
    const rows = await this.rows(`SELECT * FROM reports ${where} ORDER BY ${order}`, p.values)
    return rows.map(reportFromRow)
  }

  async auditHead(): Promise<{ readonly seq: number; readonly hash: string } | undefined> {
    return auditHeadFromRow((await this.rows('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0])
  }

  async countAudit(): Promise<number> {
    return Number((await this.rows('SELECT COUNT(*) AS n FROM audit'))[0]?.['n'] ?? 0)
  }

  /** Keyset pages on seq (the primary key), starting after `fromSeq - 1`. `toSeq` is inclusive, `toTs` exclusive. */
  async *iterateAudit(range: AuditRange = {}, batchSize = 1000): AsyncIterable<StoredAuditRecord[]> {
    const p = this.params()
    const where = [`seq > ${p.add((range.fromSeq ?? 1) - 1, true)}`, ...p.where(auditConditions(range), true)]
    const sql = `SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${p.add(batchSize)}`
    for (;;) {
      const rows = await this.rows(sql, p.values)
      const last = rows[rows.length - 1]
      if (last === undefined) return
      p.values[0] = Number(last['seq'])
      yield rows.map(auditFromRow)
      if (rows.length < batchSize) return
    }
  }

  async auditAnchors(): Promise<StoredAuditRecord[]> {
    return (await this.rows(`SELECT * FROM audit WHERE ${ANCHOR_TYPES} ORDER BY seq`)).map(auditFromRow)
  }

  async schemaVersion(): Promise<number> {
    return Number((await this.rows('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations'))[0]?.['v'] ?? 0)
  }
}
