/**
 * @module bench/store
 * Audit-chain persistence throughput: appending with durability (each batch of 1,000 records one committed,
 * fsynced transaction; building each record's canonical body and chain hash is part of the measured work)
 * and reading back with `iterateAudit`. SQLite on a temporary file (WAL, synchronous=FULL, and NORMAL for
 * comparison); PostgreSQL when `DATABASE_URL` is set (a throw-away schema), else its fields are omitted.
 *
 * Run alone: `npx tsc -p tsconfig.build.json && node dist/bench/store.js [records]`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { GENESIS_HASH, chainHash, recordBody } from '../src/chain/record.js'
import { PostgresStore, SqliteStore } from '../src/store/index.js'
import type { Store, StoredAuditRecord } from '../src/store/index.js'
import { runAsScript } from './script.js'

export interface StoreBenchOptions {
  /** Records appended per engine. Default 200,000. */
  readonly records?: number
  /** Records per transaction. Default 1,000. */
  readonly batch?: number
  /** Default: process.env.DATABASE_URL. */
  readonly databaseUrl?: string
}

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'XRP/USDT', 'SOL/USDT']
const TYPES = ['order.submitted', 'order.filled', 'risk.checked', 'decision']

/** A payload of about 200 bytes of JSON, shaped like an order event. */
function payload(i: number): Record<string, unknown> {
  return {
    clientOrderId: `grid-${String(i).padStart(9, '0')}`,
    venueOrderId: `${1_000_000_000 + i}`,
    symbol: SYMBOLS[i % SYMBOLS.length],
    side: i % 2 === 0 ? 'buy' : 'sell',
    type: 'limit',
    amount: `0.${String(1000 + (i % 9000))}`,
    price: `${30000 + (i % 500)}.${String(i % 100).padStart(2, '0')}`,
    strategyId: 'grid',
    venue: 'binance',
    reason: 'level crossed',
  }
}

/**
 * Appends `records` audit records in batches; returns records/s. Timed per batch: building each record, its
 * canonical body and chain hash, and the durable write. Generating the payloads (the application's work) is not.
 */
async function append(store: Store, records: number, batch: number): Promise<number> {
  let prev = GENESIS_HASH
  let ms = 0
  for (let seq = 1; seq <= records; ) {
    const end = Math.min(records, seq + batch - 1)
    const payloads: Record<string, unknown>[] = []
    for (let i = seq; i <= end; i++) payloads.push(payload(i))
    const t0 = performance.now()
    const chunk: StoredAuditRecord[] = []
    for (const p of payloads) {
      const r = { seq, ts: 1_700_000_000_000 + seq, type: TYPES[seq % TYPES.length] as string, actor: 'strategy:grid', payload: p }
      const body = recordBody(r)
      const hash = chainHash(prev, body)
      chunk.push({ seq: r.seq, ts: r.ts, type: r.type, actor: r.actor, payload: p, prevHash: prev, hash, body })
      prev = hash
      seq++
    }
    await store.write({ audit: chunk })
    ms += performance.now() - t0
  }
  return Math.round(records / (ms / 1000))
}

/** Reads every record back with iterateAudit; returns records/s. */
async function read(store: Store, expected: number): Promise<number> {
  const t0 = performance.now()
  let count = 0
  for await (const page of store.iterateAudit({}, 1000)) count += page.length
  const seconds = (performance.now() - t0) / 1000
  if (count !== expected) throw new Error(`benchStore: read ${count} audit records, expected ${expected}`)
  return Math.round(count / seconds)
}

async function sqlite(records: number, batch: number, synchronous: 'FULL' | 'NORMAL'): Promise<[number, number]> {
  const dir = mkdtempSync(join(tmpdir(), 'sofia-bench-store-'))
  try {
    const store = new SqliteStore(join(dir, 'sofia.db'), { synchronous })
    store.migrate()
    try {
      return [await append(store, records, batch), await read(store, records)]
    } finally {
      await store.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function postgres(url: string, records: number, batch: number): Promise<[number, number]> {
  const schema = `sofia_bench_${process.pid}_${Date.now().toString(36)}`
  const store = await PostgresStore.open(url, { schema })
  try {
    await store.migrate()
    return [await append(store, records, batch), await read(store, records)]
  } finally {
    await store.close()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
  }
}

export async function benchStore(options: StoreBenchOptions = {}): Promise<Record<string, number>> {
  const records = options.records ?? 200_000
  const batch = options.batch ?? 1_000
  const url = options.databaseUrl ?? process.env['DATABASE_URL']
  const [append, read] = await sqlite(records, batch, 'FULL')
  const [normalAppend] = await sqlite(records, batch, 'NORMAL')
  // One record per transaction: the cost of a durable commit on its own.
  const [singleCommit] = await sqlite(Math.min(records, 2_000), 1, 'FULL')
  const [singleCommitNormal] = await sqlite(Math.min(records, 2_000), 1, 'NORMAL')
  const out: Record<string, number> = {
    sqlite_audit_append_per_s: append,
    sqlite_audit_read_per_s: read,
    sqlite_normal_audit_append_per_s: normalAppend,
    sqlite_commits_per_s: singleCommit,
    sqlite_normal_commits_per_s: singleCommitNormal,
    records,
    batch,
  }
  if (url !== undefined && url !== '') {
    const [pgAppend, pgRead] = await postgres(url, records, batch)
    out['pg_audit_append_per_s'] = pgAppend
    out['pg_audit_read_per_s'] = pgRead
  }
  return out
}

runAsScript(import.meta.url, (records) => benchStore(records === undefined ? {} : { records }))
