/**
 * @module store/memory-store
 * The store in plain maps and arrays, for backtests and tests that need no file. Same semantics as the SQL
 * stores, down to the JSON round trip of values (rows are kept encoded, exactly as a database would hold
 * them), so code tested against it behaves the same on SQLite and PostgreSQL.
 */
import { DuplicateFill, fillKey } from '../model/index.js'
import type { OrderSide } from '../model/index.js'
import {
  ANCHOR_RECORD_TYPES,
  AUDIT,
  DEPOSITS,
  FILLS,
  OPEN_STATES,
  ORDERS,
  REPORTS,
  STRATEGY_VERSIONS,
  auditFromRow,
  checkAuditContinuity,
  depositFromRow,
  duplicateFillMessage,
  encodeBatch,
  fillFromRow,
  orderFromRow,
  reportFromRow,
  strategyVersionFromRow,
} from './rows.js'
import type { DbRow, Row, TableSpec } from './rows.js'
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

const fillKeyOf = (row: Row): string => fillKey(String(row[0]), String(row[1]), String(row[6]) as OrderSide)

function matchesFill(r: DbRow, f: FillFilter): boolean {
  const ts = r['timestamp'] as number
  return (
    (f.venue === undefined || r['venue'] === f.venue) &&
    (f.strategyId === undefined || r['strategy_id'] === f.strategyId) &&
    (f.symbol === undefined || r['symbol'] === f.symbol) &&
    (f.since === undefined || ts >= f.since) &&
    (f.until === undefined || ts < f.until)
  )
}

function matchesAudit(r: DbRow, a: AuditRange): boolean {
  const seq = r['seq'] as number
  const ts = r['ts'] as number
  return (
    (a.fromSeq === undefined || seq >= a.fromSeq) &&
    (a.toSeq === undefined || seq <= a.toSeq) &&
    (a.fromTs === undefined || ts >= a.fromTs) &&
    (a.toTs === undefined || ts < a.toTs)
  )
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

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
    try {
      this.writeSync(batch)
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error as Error)
    }
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
        throw new DuplicateFill(duplicateFillMessage(String(row[0]), String(row[1]), String(row[6])))
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
    rows.sort(
      (a, b) =>
        (a['created_at'] as number) - (b['created_at'] as number) ||
        cmp(String(a['client_order_id']), String(b['client_order_id'])),
    )
    return Promise.resolve(rows.map(orderFromRow))
  }

  async *iterateFills(filter: FillFilter = {}, batchSize = 1000): AsyncIterable<StoredFill[]> {
    this.assertOpen()
    // Array order is id (insertion) order and the sort is stable: (timestamp, id) order.
    const rows = this.fills.filter((r) => matchesFill(r, filter))
    rows.sort((a, b) => (a['timestamp'] as number) - (b['timestamp'] as number))
    for (let i = 0; i < rows.length; i += batchSize) yield rows.slice(i, i + batchSize).map(fillFromRow)
  }

  countFills(filter: FillFilter = {}): Promise<number> {
    this.assertOpen()
    return Promise.resolve(this.fills.filter((r) => matchesFill(r, filter)).length)
  }

  loadDeposits(): Promise<StoredDeposit[]> {
    this.assertOpen()
    return Promise.resolve(this.deposits.map(depositFromRow))
  }

  getState<T = unknown>(key: string): Promise<T | undefined> {
    this.assertOpen()
    const text = this.state.get(key)
    return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as T))
  }

  loadState(): Promise<Map<string, unknown>> {
    this.assertOpen()
    const keys = [...this.state.keys()].sort(cmp)
    return Promise.resolve(new Map(keys.map((k) => [k, JSON.parse(this.state.get(k) as string) as unknown])))
  }

  loadSequences(): Promise<Map<string, number>> {
    this.assertOpen()
    return Promise.resolve(new Map([...this.sequences.entries()].sort((a, b) => cmp(a[0], b[0]))))
  }

  loadStrategyVersions(strategy?: string): Promise<StoredStrategyVersion[]> {
    this.assertOpen()
    const rows = [...this.strategyVersions.values()].filter((r) => strategy === undefined || r['strategy'] === strategy)
    rows.sort(
      (a, b) =>
        cmp(String(a['strategy']), String(b['strategy'])) ||
        (a['created_at'] as number) - (b['created_at'] as number) ||
        cmp(String(a['version']), String(b['version'])),
    )
    return Promise.resolve(rows.map(strategyVersionFromRow))
  }

  loadReports(kind?: string): Promise<StoredReport[]> {
    this.assertOpen()
    const rows = [...this.reports.values()].filter((r) => kind === undefined || r['kind'] === kind)
    rows.sort(
      (a, b) =>
        cmp(String(a['kind']), String(b['kind'])) ||
        cmp(String(a['date']), String(b['date'])) ||
        cmp(String(a['path']), String(b['path'])),
    )
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
    const rows = this.audit.filter((r) => matchesAudit(r, range))
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
    const last = this.audit[this.audit.length - 1]
    return last === undefined ? undefined : { seq: last['seq'] as number, hash: String(last['hash']) }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the memory store is closed')
  }
}
