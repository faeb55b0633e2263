/**
 * @module reconcile/legs
 * What a Sofia account did on the exchange, out of records that also hold the simulator's fills.
 *
 * A session on an exchange (`sofia run --mode paper|shadow|canary|live`) records every fill of its primary
 * leg under the same venue id, whichever leg that was (DESIGN §2, system/mode-router):
 *
 * - in shadow and canary modes the primary leg is the simulator: its fills are in the store's fills table
 *   (and the `fill` audit records) but never reached the exchange. Each such order has a `shadow.order`
 *   audit record ({venue, clientOrderId, mode, ...}) written when it was sent;
 * - in canary mode the exchange gets a copy of each intent at CANARY_PERCENTAGE of its size, under the same
 *   client order id; its fills there are only in the audit chain, as `canary.fill` records ({id (the
 *   exchange's trade id), order, clientOrderId, symbol, side, price, amount, fee, feeCurrency, timestamp}).
 *
 * So the internal side of a reconciliation against the exchange is: the recorded fills except those of
 * orders with a `shadow.order` record (and, with `paperSessions`, the fills of paper and backtest sessions, from
 * their `session.started` record to the next session's or to a `mode.changed` away from paper), plus the
 * `canary.fill` records. Any other fill counts
 * as the exchange's: live and testnet, and fills of other venues.
 *
 * Memory: one pass over the audit chain collects the client order ids of the shadow orders (a Set per venue)
 * and counts the canary fills; the fills then stream past that set, and the canary fills are streamed by a
 * second pass over the chain. Nothing else is held.
 */
import type { AuditRecord } from '../audit/index.js'
import { InputError } from '../model/index.js'
import type { FillFilter, Store, StoredFill } from '../store/index.js'
import { FieldProblem, decimalField, stringField } from './ccxt-trade.js'
import type { LegSelection } from './report.js'
import { auditFillTrade, payloadFee, payloadTradeFields, storedFillTrade } from './sources.js'
import type { TradeRecord } from './trade-record.js'

/** The audit records of a chain in seq order, in batches: a store's (`iterateAudit`) or an export's (`readJsonl`). */
export type AuditBatches = () => AsyncIterable<readonly Pick<AuditRecord, 'seq' | 'ts' | 'type' | 'payload'>[]>

export interface ExchangeLegsOptions {
  /** Only this venue's fills (a canary fill whose venue cannot be told is kept: the reconciliation's venue applies). */
  readonly venue?: string
  /** Only canary fills with from ≤ timestamp < to (the fills table is filtered by its own query). */
  readonly from?: number
  readonly to?: number
  /** How errors name the chain (default `audit chain`). */
  readonly label?: string
  /**
   * Count the fills of paper and backtest sessions as simulated too (P&L by leg). Off for reconciliation, which
   * may compare a paper session's fills with a recorded trade file on purpose.
   */
  readonly paperSessions?: boolean
}

const SHADOW_ORDER = 'shadow.order'
const SESSION_STARTED = 'session.started'
const CANARY_FILL = 'canary.fill'
const MODE_CHANGED = 'mode.changed'

function objectPayload(payload: unknown): Record<string, unknown> | undefined {
  return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined
}

/** A `canary.fill` payload as the exchange's trade it records. Its venue is the caller's to tell. */
export function canaryFillTrade(payload: unknown, ts: number, venue: string | undefined): TradeRecord {
  const p = objectPayload(payload)
  if (p === undefined) throw new FieldProblem("field 'payload': expected an object")
  const fee = p['fee']
  let feeOut: { cost: string; currency: string } | null = null
  if (fee !== undefined && fee !== null) {
    if (typeof fee === 'object' && !Array.isArray(fee)) {
      // {cost, currency}, like a `fill` record's.
      feeOut = payloadFee(fee as Record<string, unknown>)
    } else {
      const currency = p['feeCurrency']
      feeOut = { cost: decimalField(fee, 'payload.fee'), currency: typeof currency === 'string' ? currency : '' }
    }
  }
  const order = p['order']
  const named = p['venue']
  const v = typeof named === 'string' && named !== '' ? named : venue
  return {
    ...(v !== undefined ? { venue: v } : {}),
    id: stringField(typeof p['id'] === 'number' ? String(p['id']) : p['id'], 'payload.id'),
    order: typeof order === 'string' && order !== '' ? order : typeof order === 'number' ? String(order) : null,
    ...payloadTradeFields(p, ts),
    cost: null,
    fee: feeOut,
  }
}

/**
 * The exchange legs of the sessions recorded in one audit chain: which recorded fills were the simulator's
 * (left out) and which exchange fills only the audit chain holds (added). Build it with `scan`, then read
 * the trades with `storeTrades` (a store's fills table) or `auditTrades` (the chain's own `fill` records);
 * `selection()` tells what the last pass left out and added.
 */
export class ExchangeLegs {
  /** venue → client order ids of the orders whose primary leg was the simulator (shadow, canary). */
  private readonly shadow = new Map<string, Set<string>>()
  private shadowOrderCount = 0
  /** Symbols of the canary fills (in range, of the venue): their exchange history has to be fetched too. */
  private readonly canarySymbols = new Set<string>()
  private readonly canaryVenues = new Set<string>()
  private canaryCount = 0
  /**
   * When sessions whose whole account is the simulator ran (`session.started` with mode paper or backtest, until
   * the next session starts): their fills are simulated whatever venue they name. Sorted, few (one per session).
   */
  private readonly simulatedSpans: { from: number; to: number }[] = []
  private sessions = 0
  private kept = 0
  private excluded = 0
  private added = 0
  private passed = false

  private constructor(
    private readonly audit: AuditBatches,
    private readonly options: ExchangeLegsOptions,
  ) {}

  /** One pass over the chain: the shadow orders' client ids, and what canary fills there are. */
  static async scan(audit: AuditBatches, options: ExchangeLegsOptions = {}): Promise<ExchangeLegs> {
    const legs = new ExchangeLegs(audit, options)
    await legs.read()
    return legs
  }

  /** Whether a recorded fill of `venue` belongs to an order the simulator took as the primary leg. */
  isSimulated(venue: string | undefined, clientOrderId: string | null | undefined, timestamp?: number): boolean {
    if (timestamp !== undefined && this.inSimulatedSession(timestamp)) return true
    if (clientOrderId === undefined || clientOrderId === null || clientOrderId === '') return false
    if (venue === undefined) {
      for (const ids of this.shadow.values()) if (ids.has(clientOrderId)) return true
      return false
    }
    return this.shadow.get(venue)?.has(clientOrderId) === true
  }

  /** Whether `ts` falls in a paper or backtest session (binary search over the spans). */
  private inSimulatedSession(ts: number): boolean {
    const spans = this.simulatedSpans
    let lo = 0
    let hi = spans.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const span = spans[mid]!
      if (ts < span.from) hi = mid - 1
      else if (ts >= span.to) lo = mid + 1
      else return true
    }
    return false
  }

  /** No fill is the simulator's: no shadow order, no canary fill, no paper or backtest session. */
  get nothingSimulated(): boolean {
    return this.simulatedSpans.length === 0 && this.shadow.size === 0 && this.canaryCount === 0
  }

  /** Every fill is the simulator's: every session was paper or backtest (with `paperSessions`), none reached an exchange. */
  get everythingSimulated(): boolean {
    return this.sessions > 0 && this.simulatedSpans.length === this.sessions && this.canaryCount === 0
  }

  /** The symbols of the canary fills in range. */
  get symbols(): ReadonlySet<string> {
    return this.canarySymbols
  }

  /** The venues of the canary fills in range (those that could be told). */
  get venues(): ReadonlySet<string> {
    return this.canaryVenues
  }

  /** What the last completed pass (or the scan, before any) left out and added. */
  selection(): LegSelection {
    return {
      exchangeLegsOnly: true,
      kept: this.kept,
      excludedSimulated: this.excluded,
      canaryFills: this.passed ? this.added : this.canaryCount,
      shadowOrders: this.shadowOrderCount,
    }
  }

  /** The store's fills (filtered) less the simulator's, then the canary's exchange fills. */
  async *storeTrades(store: Pick<Store, 'iterateFills'>, filter: FillFilter = {}): AsyncGenerator<TradeRecord[], void, undefined> {
    let kept = 0
    let excluded = 0
    for await (const batch of store.iterateFills(filter, 5000)) {
      const out: TradeRecord[] = []
      for (let i = 0; i < batch.length; i++) {
        const f = batch[i] as StoredFill
        if (this.isSimulated(f.venue, f.clientOrderId, f.timestamp)) excluded++
        else {
          out.push(storedFillTrade(f))
          kept++
        }
      }
      if (out.length > 0) yield out
    }
    const added = yield* this.canaryTrades()
    this.done(kept, excluded, added)
  }

  /**
   * The chain's own `fill` records (an audit export: `sofia audit export`) less the simulator's, and its
   * `canary.fill` records, in one pass (the shadow ids are known from the scan).
   */
  async *auditTrades(): AsyncGenerator<TradeRecord[], void, undefined> {
    let kept = 0
    let excluded = 0
    let added = 0
    let read = 0
    const only = this.options.venue
    for await (const batch of this.audit()) {
      const out: TradeRecord[] = []
      for (const r of batch) {
        if (r.type === 'fill' || r.type === CANARY_FILL) read++
        if (r.type === 'fill') {
          const t = this.parse(r, () => auditFillTrade(r.payload, r.ts))
          if (only !== undefined && t.venue !== only) continue
          if (!this.inRange(t.timestamp)) continue
          if (this.isSimulated(t.venue, t.clientOrderId, r.ts)) excluded++
          else {
            out.push(t)
            kept++
          }
        } else if (r.type === CANARY_FILL) {
          const t = this.canary(r)
          if (t === undefined) continue
          out.push(t)
          added++
        }
      }
      if (out.length > 0) yield out
    }
    if (read === 0) throw new InputError(`no trades in ${this.options.label ?? 'the audit chain'}`)
    this.done(kept, excluded, added)
  }

  private done(kept: number, excluded: number, added: number): void {
    this.kept = kept
    this.excluded = excluded
    this.added = added
    this.passed = true
  }

  /** The canary's exchange fills (in range, of the venue), from a pass over the chain; returns how many. */
  private async *canaryTrades(): AsyncGenerator<TradeRecord[], number, undefined> {
    let n = 0
    for await (const batch of this.audit()) {
      const out: TradeRecord[] = []
      for (const r of batch) {
        if (r.type !== CANARY_FILL) continue
        const t = this.canary(r)
        if (t !== undefined) out.push(t)
      }
      n += out.length
      if (out.length > 0) yield out
    }
    return n
  }

  private async read(): Promise<void> {
    const only = this.options.venue
    let open: { from: number; to: number } | undefined
    for await (const batch of this.audit()) {
      for (const r of batch) {
        if (r.type === SESSION_STARTED) {
          // A session ends where the next one starts (a crash writes no stop record).
          if (open !== undefined) open.to = r.ts
          this.sessions++
          const mode = objectPayload(r.payload)?.['mode']
          open = this.options.paperSessions === true && (mode === 'paper' || mode === 'backtest') ? { from: r.ts, to: Infinity } : undefined
          if (open !== undefined) this.simulatedSpans.push(open)
        } else if (r.type === MODE_CHANGED && this.options.paperSessions === true) {
          // A session on an exchange switched from paper (its account the simulator's) to another mode, or back.
          const to = objectPayload(r.payload)?.['to']
          if (to === 'paper' && open === undefined) {
            open = { from: r.ts, to: Infinity }
            this.simulatedSpans.push(open)
          } else if (to !== 'paper' && open !== undefined) {
            open.to = r.ts
            open = undefined
          }
        } else if (r.type === SHADOW_ORDER) {
          // Every venue's: a canary fill (which names no venue) is placed by its shadow order's.
          const p = objectPayload(r.payload)
          const venue = p?.['venue']
          const id = p?.['clientOrderId']
          if (typeof venue !== 'string' || typeof id !== 'string' || id === '') continue
          let ids = this.shadow.get(venue)
          if (ids === undefined) {
            ids = new Set()
            this.shadow.set(venue, ids)
          }
          if (!ids.has(id)) {
            ids.add(id)
            if (only === undefined || venue === only) this.shadowOrderCount++
          }
        } else if (r.type === CANARY_FILL) {
          const t = this.canary(r)
          if (t === undefined) continue
          this.canaryCount++
          this.canarySymbols.add(t.symbol)
          if (t.venue !== undefined) this.canaryVenues.add(t.venue)
        }
      }
    }
  }

  /** A `canary.fill` record as a trade of its venue; undefined when out of range or of another venue. */
  private canary(r: Pick<AuditRecord, 'seq' | 'ts' | 'type' | 'payload'>): TradeRecord | undefined {
    const clientOrderId = objectPayload(r.payload)?.['clientOrderId']
    const t = this.parse(r, () => canaryFillTrade(r.payload, r.ts, typeof clientOrderId === 'string' ? this.venueOf(clientOrderId) : undefined))
    if (!this.inRange(t.timestamp)) return undefined
    const only = this.options.venue
    if (only !== undefined && t.venue !== undefined && t.venue !== only) return undefined
    return t
  }

  /** The venue of a shadow order (the canary's copy went to that venue's exchange). */
  private venueOf(clientOrderId: string): string | undefined {
    for (const [venue, ids] of this.shadow) if (ids.has(clientOrderId)) return venue
    return undefined
  }

  private inRange(ts: number): boolean {
    return ts >= (this.options.from ?? -Infinity) && ts < (this.options.to ?? Infinity)
  }

  private parse(r: Pick<AuditRecord, 'seq' | 'type'>, read: () => TradeRecord): TradeRecord {
    try {
      return read()
    } catch (error) {
      if (error instanceof FieldProblem) throw new InputError(`${this.options.label ?? 'audit chain'}: seq ${r.seq} (${r.type}): ${error.message}`)
      throw error
    }
  }
}
