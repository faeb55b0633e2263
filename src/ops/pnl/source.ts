/**
 * @module ops/pnl/source
 * What the reports read, and two ways to read it: through the Store port (any store), or — for the SQLite
 * store, the embedded default — through a read-only connection of its own. The second exists for speed: the
 * port has no filter by audit record type, so a day of 100,000 fills means reading and parsing 100,000+ audit
 * records to find a handful of risk denials, and it builds full order objects where the reports need a few
 * columns. Direct reads keep the daily report of such a day within its 2-second budget. The queries use the
 * same columns the store's migrations define; the port path stays the reference (both are tested alike).
 */
import Database from 'better-sqlite3'
import type { OrderSide, OrderState } from '../../model/index.js'
import type { Store, StoredDeposit, StoredFill } from '../../store/index.js'
import { utcDate } from './period.js'

/** A fill with the decision price of its order (null when the order has none or is not stored). */
export interface ReportFill extends StoredFill {
  readonly decisionPrice: string | null
}

/** Orders created in a range, counted by (strategy, venue, symbol, UTC day, state, reason). */
export interface OrderGroup {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly day: string
  readonly state: OrderState
  readonly reason: string | null
  readonly count: number
}

/** An audit record the reports care about (risk denials, kill-switch records, alerts). */
export interface RiskAuditRecord {
  readonly ts: number
  readonly type: string
  readonly actor: string
  readonly payload: unknown
}

export interface ReportSource {
  /** Orders with from ≤ createdAt < to (bounds optional), grouped. */
  orderGroups(from: number | undefined, to: number | undefined): Promise<OrderGroup[]>
  deposits(): Promise<StoredDeposit[]>
  /** Fills with timestamp < until (all when undefined), in (timestamp, insertion) order, in batches. */
  fills(until: number | undefined): AsyncIterable<ReportFill[]>
  /** `risk.denied`, `kill_switch.*` and `alert` records with from ≤ ts < to, in seq order. */
  riskAudit(from: number, to: number): Promise<RiskAuditRecord[]>
}

export function isRiskAuditType(type: string): boolean {
  return type === 'risk.denied' || type === 'alert' || type.startsWith('kill_switch.')
}

/** Reads through the Store port. */
export function portSource(store: Store): ReportSource {
  let decisions: Promise<Map<string, string | null>> | undefined
  return {
    async orderGroups(from, to) {
      const groups = new Map<string, OrderGroup>()
      for (const o of await store.loadOrders()) {
        if ((from !== undefined && o.createdAt < from) || (to !== undefined && o.createdAt >= to)) continue
        const day = utcDate(o.createdAt)
        const key = JSON.stringify([o.strategyId, o.venue, o.symbol, day, o.state, o.reason])
        const g = groups.get(key)
        groups.set(key, { strategyId: o.strategyId, venue: o.venue, symbol: o.symbol, day, state: o.state, reason: o.reason, count: (g?.count ?? 0) + 1 })
      }
      return [...groups.values()]
    },
    deposits: () => store.loadDeposits(),
    async *fills(until) {
      decisions ??= store.loadOrders().then((orders) => new Map(orders.map((o) => [o.clientOrderId, o.decisionPrice])))
      const byOrder = await decisions
      for await (const batch of store.iterateFills(until === undefined ? {} : { until }, 5000)) {
        yield batch.map((f) => ({ ...f, decisionPrice: byOrder.get(f.clientOrderId) ?? null }))
      }
    },
    async riskAudit(from, to) {
      const out: RiskAuditRecord[] = []
      for await (const batch of store.iterateAudit({ fromTs: from, toTs: to }, 5000)) {
        for (const r of batch) if (isRiskAuditType(r.type)) out.push({ ts: r.ts, type: r.type, actor: r.actor, payload: r.payload })
      }
      return out
    },
  }
}

type Raw = unknown[]

/** Reads a SQLite store's file directly (read-only); the store stays open beside it. */
export function sqliteSource(store: Store): ReportSource {
  const file = store.location
  const open = (): Database.Database => new Database(file, { readonly: true, fileMustExist: true })
  return {
    orderGroups: (from, to) => {
      const db = open()
      try {
        const rows = db
          .prepare(
            "SELECT strategy_id, venue, symbol, strftime('%Y-%m-%d', created_at / 86400000 * 86400, 'unixepoch') AS day, state, reason, count(*) " +
              'FROM orders WHERE created_at >= ? AND created_at < ? GROUP BY strategy_id, venue, symbol, day, state, reason',
          )
          .raw()
          .all(from ?? Number.MIN_SAFE_INTEGER, to ?? Number.MAX_SAFE_INTEGER) as Raw[]
        return Promise.resolve(
          rows.map((r) => ({
            strategyId: r[0] as string,
            venue: r[1] as string,
            symbol: r[2] as string,
            day: r[3] as string,
            state: r[4] as OrderState,
            reason: (r[5] as string | null) ?? null,
            count: Number(r[6]),
          })),
        )
      } finally {
        db.close()
      }
    },
    deposits: () => store.loadDeposits(),
    async *fills(until) {
      const db = open()
      try {
        const where = until === undefined ? '' : 'WHERE f.timestamp < ?'
        const stmt = db.prepare(
          'SELECT f.venue, f.trade_id, f.client_order_id, f.venue_order_id, f.strategy_id, f.symbol, f.side, f.price, f.amount, f.cost, ' +
            `f.fee_cost, f.fee_currency, f.taker_or_maker, f.timestamp, o.decision_price FROM fills f ` +
            `LEFT JOIN orders o ON o.client_order_id = f.client_order_id ${where} ORDER BY f.timestamp, f.id`,
        )
        let batch: ReportFill[] = []
        // One snapshot for the whole pass (a read transaction): fills written meanwhile are not half-seen.
        for (const r of (until === undefined ? stmt.raw().iterate() : stmt.raw().iterate(until)) as IterableIterator<Raw>) {
          batch.push({
            venue: r[0] as string,
            tradeId: r[1] as string,
            clientOrderId: r[2] as string,
            venueOrderId: r[3] as string,
            strategyId: r[4] as string,
            symbol: r[5] as string,
            side: r[6] as OrderSide,
            price: r[7] as string,
            amount: r[8] as string,
            cost: r[9] as string,
            feeCost: r[10] as string,
            feeCurrency: r[11] as string,
            takerOrMaker: r[12] as 'maker' | 'taker',
            timestamp: Number(r[13]),
            decisionPrice: (r[14] as string | null) ?? null,
          })
          if (batch.length === 5000) {
            yield batch
            batch = []
          }
        }
        if (batch.length > 0) yield batch
      } finally {
        db.close()
      }
    },
    riskAudit: (from, to) => {
      const db = open()
      try {
        const rows = db
          .prepare(
            "SELECT ts, type, actor, payload FROM audit WHERE ts >= ? AND ts < ? AND (type IN ('risk.denied', 'alert') OR type LIKE 'kill\\_switch.%' ESCAPE '\\') ORDER BY seq",
          )
          .raw()
          .all(from, to) as Raw[]
        return Promise.resolve(rows.map((r) => ({ ts: Number(r[0]), type: r[1] as string, actor: r[2] as string, payload: JSON.parse(r[3] as string) as unknown })))
      } finally {
        db.close()
      }
    },
  }
}

/** The fastest source for this store. */
export function reportSource(store: Store): ReportSource {
  return store.kind === 'sqlite' ? sqliteSource(store) : portSource(store)
}
