/**
 * @module store/rows
 * What every store implementation shares: the column lists and the conversions between port objects and
 * table rows, the normalisation of a write batch (done before any I/O, so a batch that cannot be encoded
 * writes nothing), the audit continuity check, the duplicate-fill error, and what the read filters select.
 */
import { GENESIS_HASH, bodyText, jsonText, recordBody } from '../chain/record.js'
import type { AuditRecord } from '../chain/record.js'
import { DuplicateFill, InvariantViolation, ORDER_STATES, TERMINAL_STATES } from '../model/index.js'
import type { OrderSide, OrderState, OrderType } from '../model/index.js'
import type {
  AuditRange,
  FillFilter,
  StoredAuditRecord,
  StoredDeposit,
  StoredFill,
  StoredOrder,
  StoredReport,
  StoredStrategyVersion,
  WriteBatch,
} from './store.js'

/** A row as the drivers take it, in the column order of its table spec. */
export type Cell = string | number | null
export type Row = Cell[]
/** A row as the drivers return it (PostgreSQL returns BIGINT as a string, hence the `Number()`s below). */
export type DbRow = Record<string, unknown>

export type ColumnType = 'text' | 'bigint'
export interface Column {
  readonly name: string
  readonly type: ColumnType
}
export interface TableSpec {
  readonly table: string
  readonly columns: readonly Column[]
  /** Upsert on these keys (every other column is replaced); absent: plain insert. */
  readonly conflictKeys?: readonly string[]
}

const t = (name: string): Column => ({ name, type: 'text' })
const n = (name: string): Column => ({ name, type: 'bigint' })

/** JSON text of a value; `undefined` is stored as `null` so every row holds valid JSON. */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null'
}

/** A value back from the JSON text of its column. */
export function fromJson(text: unknown): unknown {
  return JSON.parse(String(text)) as unknown
}

const str = (v: unknown): string => String(v)
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

/** One field of a port object as one column: how its value becomes a cell and comes back from one. */
interface FieldCodec<V> {
  readonly column: Column
  encode(value: V): Cell
  decode(cell: unknown): V
}

/** A text column; `V` narrows the string to the field's union (an order's side, a fill's maker flag). */
const text = <V extends string = string>(name: string): FieldCodec<V> => ({
  column: t(name),
  encode: (v) => v,
  decode: (c) => str(c) as V,
})
/** A nullable text column; an absent value (an old row, an optional field) is stored as NULL. */
const textOrNull = (name: string): FieldCodec<string | null> => ({
  column: t(name),
  encode: (v) => v ?? null,
  decode: strOrNull,
})
/** A BIGINT column (PostgreSQL returns BIGINT as a string, hence the `Number()`). */
const int = (name: string): FieldCodec<number> => ({ column: n(name), encode: (v) => v, decode: (c) => Number(c) })
/** A text column holding a value's JSON. */
const json = (name: string): FieldCodec<unknown> => ({ column: t(name), encode: toJson, decode: fromJson })

/** Every field of `T`, in column order, with its codec. */
type Fields<T> = { readonly [K in keyof T]-?: FieldCodec<T[K]> }

/** A table whose rows are one port object each: its spec, and the two conversions written once from its fields. */
export interface ObjectTable<T> extends TableSpec {
  /** The object as a row, in column order. */
  readonly row: (value: T) => Row
  /** The object a row holds (a row as the drivers return it, keyed by column name). */
  readonly fromRow: (r: DbRow) => T
}

function objectTable<T>(table: string, fields: Fields<T>, conflictKeys?: readonly string[]): ObjectTable<T> {
  const entries = Object.entries(fields) as [keyof T & string, FieldCodec<unknown>][]
  const codecs = entries.map(([key, codec]) => ({ key, codec, name: codec.column.name }))
  return {
    table,
    columns: codecs.map((c) => c.codec.column),
    ...(conflictKeys === undefined ? {} : { conflictKeys }),
    row: (value) => codecs.map((c) => c.codec.encode(value[c.key])),
    fromRow: (r) => {
      const out: Partial<Record<keyof T, unknown>> = {}
      for (const c of codecs) out[c.key] = c.codec.decode(r[c.name])
      return out as T
    },
  }
}

export const ORDERS = objectTable<StoredOrder>(
  'orders',
  {
    clientOrderId: text('client_order_id'),
    strategyId: text('strategy_id'),
    venue: text('venue'),
    symbol: text('symbol'),
    type: text<OrderType>('type'),
    side: text<OrderSide>('side'),
    amount: text('amount'),
    price: textOrNull('price'),
    decisionPrice: textOrNull('decision_price'),
    state: text<OrderState>('state'),
    venueOrderId: textOrNull('venue_order_id'),
    filled: text('filled'),
    cost: text('cost'),
    reason: textOrNull('reason'),
    createdAt: int('created_at'),
    updatedAt: int('updated_at'),
    options: textOrNull('options'),
  },
  ['client_order_id'],
)
/** Without `id`: SQLite prepends it, PostgreSQL generates it. */
export const FILLS = objectTable<StoredFill>('fills', {
  venue: text('venue'),
  tradeId: text('trade_id'),
  clientOrderId: text('client_order_id'),
  venueOrderId: text('venue_order_id'),
  strategyId: text('strategy_id'),
  symbol: text('symbol'),
  side: text<OrderSide>('side'),
  price: text('price'),
  amount: text('amount'),
  cost: text('cost'),
  feeCost: text('fee_cost'),
  feeCurrency: text('fee_currency'),
  takerOrMaker: text<'maker' | 'taker'>('taker_or_maker'),
  timestamp: int('timestamp'),
})
/** Without `id`, like FILLS; `depositFromRow` reads it back. */
export const DEPOSITS = objectTable<Omit<StoredDeposit, 'id'>>('deposits', {
  venue: text('venue'),
  asset: text('asset'),
  amount: text('amount'),
  ts: int('ts'),
  reason: text('reason'),
})
export const STRATEGY_VERSIONS = objectTable<StoredStrategyVersion>(
  'strategy_versions',
  {
    strategy: text('strategy'),
    version: text('version'),
    status: text('status'),
    params: json('params'),
    codeHash: text('code_hash'),
    artifact: json('artifact'),
    validation: json('validation'),
    createdAt: int('created_at'),
  },
  ['strategy', 'version'],
)
export const REPORTS = objectTable<StoredReport>(
  'reports',
  { kind: text('kind'), date: text('date'), path: text('path'), createdAt: int('created_at'), summary: json('summary') },
  ['kind', 'date', 'path'],
)
export const AUDIT: TableSpec = {
  table: 'audit',
  columns: [n('seq'), n('ts'), t('type'), t('actor'), t('payload'), t('body'), t('prev_hash'), t('hash')],
}
export const STATE: TableSpec = { table: 'state', columns: [t('key'), t('value')], conflictKeys: ['key'] }

/** Order states that are not terminal: what `loadOrders({ openOnly: true })` returns. */
export const OPEN_STATES: readonly OrderState[] = ORDER_STATES.filter((s) => !TERMINAL_STATES.has(s))

export const orderRow = ORDERS.row
export const orderFromRow = ORDERS.fromRow
export const fillRow = FILLS.row
export const fillFromRow = FILLS.fromRow
export const depositRow = DEPOSITS.row
export function depositFromRow(r: DbRow): StoredDeposit {
  return { id: Number(r['id']), ...DEPOSITS.fromRow(r) }
}
export const strategyVersionRow = STRATEGY_VERSIONS.row
export const strategyVersionFromRow = STRATEGY_VERSIONS.fromRow
export const reportRow = REPORTS.row
export const reportFromRow = REPORTS.fromRow

/**
 * The payload column is the payload's canonical JSON text, cut out of the body the caller hashed rather than
 * serialized a second time: canonical JSON writes `{"actor":…,"payload":…,"seq":…,"ts":…,"type":…}`, so the
 * payload text sits between a prefix and a suffix rebuilt here from the record's own fields. The columns then
 * rebuild the body byte for byte (`bodyText`), so the body column is left NULL (schema v2); it is kept only
 * for a body they cannot rebuild (no payload, a body not in canonical form), so nothing the caller hashed is lost.
 */
export function auditRow(a: AuditRecord): Row {
  const given = (a as Partial<StoredAuditRecord>).body
  const body = typeof given === 'string' ? given : recordBody(a)
  const actor = jsonText(a.actor)
  const type = jsonText(a.type)
  const payloadAt = 9 + actor.length + 11
  const tail = body.length - (`,"seq":${a.seq},"ts":${a.ts},"type":`.length + type.length + 1)
  if (
    tail > payloadAt &&
    body === bodyText(a.seq, a.ts, type, actor, body.slice(payloadAt, tail))
  ) {
    return [a.seq, a.ts, a.type, a.actor, body.slice(payloadAt, tail), null, a.prevHash, a.hash]
  }
  return [a.seq, a.ts, a.type, a.actor, toJson(a.payload), body, a.prevHash, a.hash]
}

/** The audit record types that anchor the chain: signed heads and signing keys (see audit/anchor.ts). */
export const ANCHOR_RECORD_TYPES: readonly string[] = ['audit.checkpoint', 'audit.key']
/** SQL condition selecting them; the same text as the partial index `audit_anchors`, so both engines use it. */
export const ANCHOR_TYPES = "type IN ('audit.checkpoint', 'audit.key')"

/** A stored record; the body is the stored one when there is one, else rebuilt from the columns. */
export function auditFromRow(r: DbRow): StoredAuditRecord {
  const seq = Number(r['seq'])
  const ts = Number(r['ts'])
  const type = str(r['type'])
  const actor = str(r['actor'])
  const payload = str(r['payload'])
  const body = r['body']
  return {
    seq,
    ts,
    type,
    actor,
    payload: JSON.parse(payload) as unknown,
    prevHash: str(r['prev_hash']),
    hash: str(r['hash']),
    body: body === null || body === undefined ? bodyText(seq, ts, jsonText(type), jsonText(actor), payload) : str(body),
  }
}

/** A write batch reduced to rows: one entry per key (the last one wins; sequences keep their maximum). */
export interface EncodedBatch {
  readonly orders: Row[]
  readonly fills: Row[]
  readonly deposits: Row[]
  readonly stateUpserts: Row[]
  readonly stateDeletes: string[]
  readonly sequences: [string, number][]
  readonly audit: Row[]
  readonly strategyVersions: Row[]
  readonly reports: Row[]
  /** Audit records as given, for the continuity check. */
  readonly auditRecords: readonly AuditRecord[]
  readonly empty: boolean
}

/** The fields of an encoded batch written row for row, with no check of their own (plain insert or upsert). */
export type PlainWriteField = 'orders' | 'deposits' | 'stateUpserts' | 'strategyVersions' | 'reports'

/**
 * Which table each plain field of a batch goes to, in the order the SQL stores write them (after the audit
 * records, the fills and the state deletes, before the sequences).
 */
export const PLAIN_WRITES: readonly (readonly [PlainWriteField, TableSpec])[] = [
  ['orders', ORDERS],
  ['deposits', DEPOSITS],
  ['stateUpserts', STATE],
  ['strategyVersions', STRATEGY_VERSIONS],
  ['reports', REPORTS],
]

function lastByKey<T>(items: readonly T[] | undefined, key: (item: T) => string): T[] {
  if (items === undefined || items.length === 0) return []
  const map = new Map<string, T>()
  for (const item of items) {
    const k = key(item)
    // Delete first so the row moves to the end: the order of upserts follows the batch.
    map.delete(k)
    map.set(k, item)
  }
  return [...map.values()]
}

/**
 * Encodes a batch before any I/O: anything that cannot be serialized (a BigInt in a JSON value, a cycle)
 * throws here and nothing is written. Same-key upserts collapse to the last one, because PostgreSQL refuses
 * to upsert one key twice in one statement. The audit records' internal continuity is checked here too.
 */
export function encodeBatch(batch: WriteBatch): EncodedBatch {
  const orders = lastByKey(batch.orders, (o) => o.clientOrderId).map(orderRow)
  const fills = (batch.fills ?? []).map(fillRow)
  const deposits = (batch.deposits ?? []).map(depositRow)
  const stateUpserts: Row[] = []
  const stateDeletes: string[] = []
  for (const { key, value } of lastByKey(batch.state, (s) => s.key)) {
    if (value === null || value === undefined) stateDeletes.push(key)
    else stateUpserts.push([key, toJson(value)])
  }
  const seqMax = new Map<string, number>()
  for (const { strategyId, next } of batch.sequences ?? []) {
    if (!Number.isSafeInteger(next)) throw new InvariantViolation(`sequence for ${strategyId} is not an integer: ${next}`)
    seqMax.set(strategyId, Math.max(seqMax.get(strategyId) ?? next, next))
  }
  const auditRecords = batch.audit ?? []
  checkAuditLinks(auditRecords)
  const audit = auditRecords.map(auditRow)
  const strategyVersions = lastByKey(batch.strategyVersions, (v) => `${v.strategy}\u0000${v.version}`).map(
    strategyVersionRow,
  )
  const reports = lastByKey(batch.reports, (r) => `${r.kind}\u0000${r.date}\u0000${r.path}`).map(reportRow)
  const sequences = [...seqMax.entries()]
  const empty =
    orders.length +
      fills.length +
      deposits.length +
      stateUpserts.length +
      stateDeletes.length +
      sequences.length +
      audit.length +
      strategyVersions.length +
      reports.length ===
    0
  return {
    orders,
    fills,
    deposits,
    stateUpserts,
    stateDeletes,
    sequences,
    audit,
    strategyVersions,
    reports,
    auditRecords,
    empty,
  }
}

/** The batch's own records must be consecutive and linked, whatever the stored head is. */
function checkAuditLinks(records: readonly AuditRecord[]): void {
  for (let i = 1; i < records.length; i++) {
    const prev = records[i - 1] as AuditRecord
    const r = records[i] as AuditRecord
    if (r.seq !== prev.seq + 1) {
      throw new InvariantViolation(`audit record seq ${r.seq} does not follow seq ${prev.seq} in the same batch`)
    }
    if (r.prevHash !== prev.hash) {
      throw new InvariantViolation(`audit record seq ${r.seq} prevHash does not match the hash of seq ${prev.seq}`)
    }
  }
}

/**
 * The first record of a batch must continue the stored head: seq = head + 1 and prevHash = head hash (the
 * genesis hash and seq 1 on an empty chain). Called inside the write transaction, so nothing is written.
 */
export function checkAuditContinuity(
  head: { readonly seq: number; readonly hash: string } | undefined,
  records: readonly AuditRecord[],
): void {
  const first = records[0]
  if (first === undefined) return
  const expectedSeq = (head?.seq ?? 0) + 1
  const expectedPrev = head?.hash ?? GENESIS_HASH
  if (first.seq !== expectedSeq) {
    throw new InvariantViolation(
      `audit record seq ${first.seq} does not continue the stored chain: expected seq ${expectedSeq}`,
    )
  }
  if (first.prevHash !== expectedPrev) {
    throw new InvariantViolation(
      `audit record seq ${first.seq} prevHash ${first.prevHash.slice(0, 12)}… does not match the stored head hash ${expectedPrev.slice(0, 12)}…`,
    )
  }
}

/** What makes a fill unique (the fills table's primary key): its venue, venue trade id and side. */
export interface FillRowKey {
  readonly venue: string
  readonly tradeId: string
  readonly side: OrderSide
}

const fillColumn = (name: string): number => FILLS.columns.findIndex((c) => c.name === name)
const [VENUE_AT, TRADE_ID_AT, SIDE_AT] = ['venue', 'trade_id', 'side'].map(fillColumn) as [number, number, number]

/** The unique key of a fill as `fillRow` encodes it, found by its FILLS column names. */
export function fillRowKey(row: Row): FillRowKey {
  return { venue: String(row[VENUE_AT]), tradeId: String(row[TRADE_ID_AT]), side: String(row[SIDE_AT]) as OrderSide }
}

/** The error every store throws for a fill already stored (or twice in one batch): the batch is not written. */
export function duplicateFill(key: FillRowKey, options?: { readonly cause?: unknown }): DuplicateFill {
  return new DuplicateFill(
    `fill ${key.venue} trade ${key.tradeId} ${key.side} is already stored (duplicate venue trade id and side); batch not written`,
    options,
  )
}

/** A synchronous store operation as a promise: what it throws (mapped when asked) becomes the rejection. */
export function settle<T>(fn: () => T, mapError: (error: unknown) => unknown = (error) => error): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (error) {
    return Promise.reject(mapError(error) as Error)
  }
}

/** Runs `step`; when it throws, `close`s first (no connection or file lock outlives the error) and rethrows. */
export async function closeOnError(step: () => unknown, close: () => Promise<void>): Promise<void> {
  try {
    await step()
  } catch (error) {
    await close()
    throw error
  }
}

/** The audit chain's head as a store reads it from the record with the highest seq (none: an empty chain). */
export function auditHeadFromRow(r: DbRow | undefined): { seq: number; hash: string } | undefined {
  return r === undefined ? undefined : { seq: Number(r['seq']), hash: String(r['hash']) }
}

/** A state key and its value, from a `state` row. */
export function stateFromRow(r: DbRow): [string, unknown] {
  return [str(r['key']), fromJson(r['value'])]
}

/** One condition of a read filter, `column op value`: what a filter means, stated once for every store. */
export interface Condition {
  readonly column: string
  readonly op: '=' | '>=' | '<' | '<='
  readonly value: Cell
}

function conditions(...candidates: [string, Condition['op'], Cell | undefined][]): Condition[] {
  const out: Condition[] = []
  for (const [column, op, value] of candidates) if (value !== undefined) out.push({ column, op, value })
  return out
}

/** The fills a FillFilter selects (`since` inclusive, `until` exclusive). */
export function fillConditions(f: FillFilter): Condition[] {
  return conditions(
    ['venue', '=', f.venue],
    ['strategy_id', '=', f.strategyId],
    ['symbol', '=', f.symbol],
    ['timestamp', '>=', f.since],
    ['timestamp', '<', f.until],
  )
}

/**
 * The audit records an AuditRange selects, but for `fromSeq`: the SQL stores start their seq cursor there
 * instead. `toSeq` is inclusive, `toTs` exclusive.
 */
export function auditConditions(a: AuditRange): Condition[] {
  return conditions(['seq', '<=', a.toSeq], ['ts', '>=', a.fromTs], ['ts', '<', a.toTs])
}
