/**
 * @module store/memory-store
 * The store in plain maps and arrays, for backtests and tests that need no file. Same semantics as the SQL
 * stores, down to the JSON round trip of values (rows are kept encoded, exactly as a database would hold
 * them), so code tested against it behaves the same on SQLite and PostgreSQL.
 */
import { fillKey } from '../model/index.js'
import {
  ANCHOR_RECORD_TYPES,
  AUDIT,
  DEPOSITS,
  FILLS,
  OPEN_STATES,
  ORDERS,
  REPORTS,
  STRATEGY_VERSIONS,
  auditConditions,
  auditFromRow,
  auditHeadFromRow,
  checkAuditContinuity,
  depositFromRow,
  duplicateFill,
  encodeBatch,
  fillConditions,
  fillFromRow,
  fillRowKey,
  fromJson,
  orderFromRow,
  reportFromRow,
  settle,
  strategyVersionFromRow,
} from './rows.js'
import type { Condition, DbRow, Row, TableSpec } from './rows.js'
import { latestVersion } from './migrations.js'
import type {
  AuditRange,
  FillFilter,
  Store,
  StoredAuditRecord,
  StoredDeposit,
  StoredFill,
  StoredOrder,
  StoredReport,
  StoredStrategyVersion,
  WriteBatch,
} from './store.js'

function toDbRow(spec: TableSpec, row: Row): DbRow {
  const out: DbRow = {}
  spec.columns.forEach((c, i) => (out[c.name] = row[i]))
  return out
}

function fillKeyOf(row: Row): string {
  const { venue, tradeId, side } = fillRowKey(row)
  return fillKey(venue, tradeId, side)
}

/** A row a filter's conditions select (compared as the SQL stores compare them). */
function matches(r: DbRow, conditions: readonly Condition[]): boolean {
  return conditions.every(({ column, op, value }) => {
    const v = r[column]
    switch (op) {
      case '=':
        return v === value
      case '>=':
        return (v as number) >= (value as number)
      case '<':
        return (v as number) < (value as number)
      case '<=':
        return (v as number) <= (value as number)
    }
  })
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Rows in the order `ORDER BY columns` gives on the SQL stores: numbers by value, text by `cmp`. */
function orderBy(...columns: string[]): (a: DbRow, b: DbRow) => number {
  return (a, b) => {
    for (const column of columns) {
      const x = a[column]
      const y = b[column]
      const d = typeof x === 'number' && typeof y === 'number' ? x - y : cmp(String(x), String(y))
      if (d !== 0) return d
    }
    return 0
  }
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const
  readonly location = 'memory'
  private readonly orders = new Map<string, DbRow>()
  private readonly fills: DbRow[] = []
  private readonly fillKeys = new Set<string>()
  private readonly deposits: DbRow[] = []
  private readonly state = new Map<string, string>()
  private readonly sequences = new Map<string, number>()
  private readonly strategyVersions = new Map<string, DbRow>()
  private readonly reports = new Map<string, DbRow>()
  /** In seq order. */
  private audit: DbRow[] = []
  private nextDepositId = 1
  private closed = false

  write(batch: WriteBatch): Promise<void> {
    return settle(() => this.writeSync(batch))
  }

  /** Validates everything first, then applies: a refused batch leaves no trace. */
  writeSync(batch: WriteBatch): void {
    this.assertOpen()
    const e = encodeBatch(batch)
    if (e.empty) return
    const seen = new Set<string>()
    for (const row of e.fills) {
      const key = fillKeyOf(row)
      if (this.fillKeys.has(key) || seen.has(key)) {
        throw duplicateFill(fillRowKey(row))
      }
      seen.add(key)
    }
    checkAuditContinuity(this.head(), e.auditRecords)

    for (const row of e.orders) this.orders.set(String(row[0]), toDbRow(ORDERS, row))
    for (const row of e.fills) {
      const r = toDbRow(FILLS, row)
      r['id'] = this.fills.length + 1
      this.fills.push(r)
      this.fillKeys.add(fillKeyOf(row))
    }
    for (const row of e.deposits) {
      const r = toDbRow(DEPOSITS, row)
      r['id'] = this.nextDepositId++
      this.deposits.push(r)
    }
    for (const key of e.stateDeletes) this.state.delete(key)
    for (const [key, value] of e.stateUpserts) this.state.set(String(key), String(value))
    for (const [id, next] of e.sequences) this.sequences.set(id, Math.max(this.sequences.get(id) ?? next, next))
    for (const row of e.audit) this.audit.push(toDbRow(AUDIT, row))
    for (const row of e.strategyVersions) {
      this.strategyVersions.set(`${String(row[0])}\u0000${String(row[1])}`, toDbRow(STRATEGY_VERSIONS, row))
    }
    for (const row of e.reports) {
      this.reports.set(`${String(row[0])}\u0000${String(row[1])}\u0000${String(row[2])}`, toDbRow(REPORTS, row))
    }
  }

  loadOrders(filter?: { readonly openOnly?: boolean }): Promise<StoredOrder[]> {
    this.assertOpen()
    const open = new Set<string>(OPEN_STATES)
    const rows = [...this.orders.values()].filter((r) => filter?.openOnly !== true || open.has(String(r['state'])))
    rows.sort(orderBy('created_at', 'client_order_id'))
    return Promise.resolve(rows.map(orderFromRow))
  }

  async *iterateFills(filter: FillFilter = {}, batchSize = 1000): AsyncIterable<StoredFill[]> {
    this.assertOpen()
    // Array order is id (insertion) order and the sort is stable: (timestamp, id) order.
    const conditions = fillConditions(filter)
    const rows = this.fills.filter((r) => matches(r, conditions))
    rows.sort((a, b) => (a['timestamp'] as number) - (b['timestamp'] as number))
    for (let i = 0; i < rows.length; i += batchSize) yield rows.slice(i, i + batchSize).map(fillFromRow)
  }

  countFills(filter: FillFilter = {}): Promise<number> {
    this.assertOpen()
    const conditions = fillConditions(filter)
    return Promise.resolve(this.fills.filter((r) => matches(r, conditions)).length)
  }

  loadDeposits(): Promise<StoredDeposit[]> {
    this.assertOpen()
    return Promise.resolve(this.deposits.map(depositFromRow))
  }

  getState<T = unknown>(key: string): Promise<T | undefined> {
    this.assertOpen()
    const text = this.state.get(key)
    return Promise.resolve(text === undefined ? undefined : (fromJson(text) as T))
  }

  loadState(): Promise<Map<string, unknown>> {
    this.assertOpen()
    const keys = [...this.state.keys()].sort(cmp)
    return Promise.resolve(new Map(keys.map((k) => [k, fromJson(this.state.get(k))])))
  }

  loadSequences(): Promise<Map<string, number>> {
    this.assertOpen()
    return Promise.resolve(new Map([...this.sequences.entries()].sort((a, b) => cmp(a[0], b[0]))))
  }

  loadStrategyVersions(strategy?: string): Promise<StoredStrategyVersion[]> {
    this.assertOpen()
    const rows = [...this.strategyVersions.values()].filter((r) => strategy === undefined || r['strategy'] === strategy)
    rows.sort(orderBy('strategy', 'created_at', 'version'))
    return Promise.resolve(rows.map(strategyVersionFromRow))
  }

  loadReports(kind?: string): Promise<StoredReport[]> {
    this.assertOpen()
    const rows = [...this.reports.values()].filter((r) => kind === undefined || r['kind'] === kind)
    rows.sort(orderBy('kind', 'date', 'path'))
    return Promise.resolve(rows.map(reportFromRow))
  }

  auditHead(): Promise<{ readonly seq: number; readonly hash: string } | undefined> {
    this.assertOpen()
    return Promise.resolve(this.head())
  }

  countAudit(): Promise<number> {
    this.assertOpen()
    return Promise.resolve(this.audit.length)
  }

  async *iterateAudit(range: AuditRange = {}, batchSize = 1000): AsyncIterable<StoredAuditRecord[]> {
    this.assertOpen()
    const conditions = auditConditions(range)
    if (range.fromSeq !== undefined) conditions.push({ column: 'seq', op: '>=', value: range.fromSeq })
    const rows = this.audit.filter((r) => matches(r, conditions))
    for (let i = 0; i < rows.length; i += batchSize) yield rows.slice(i, i + batchSize).map(auditFromRow)
  }

  auditAnchors(): Promise<StoredAuditRecord[]> {
    this.assertOpen()
    return Promise.resolve(this.audit.filter((r) => ANCHOR_RECORD_TYPES.includes(r['type'] as string)).map(auditFromRow))
  }

  truncateAuditAfter(seq: number): Promise<StoredAuditRecord[]> {
    this.assertOpen()
    const removed = this.audit.filter((r) => (r['seq'] as number) > seq)
    this.audit = this.audit.filter((r) => (r['seq'] as number) <= seq)
    return Promise.resolve(removed.map(auditFromRow))
  }

  schemaVersion(): Promise<number> {
    this.assertOpen()
    return Promise.resolve(latestVersion())
  }

  close(): Promise<void> {
    this.closed = true
    return Promise.resolve()
  }

  private head(): { readonly seq: number; readonly hash: string } | undefined {
    return auditHeadFromRow(this.audit[this.audit.length - 1])
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the memory store is closed')
  }
}
