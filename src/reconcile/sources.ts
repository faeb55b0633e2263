/**
 * @module reconcile/sources
 * The other three sources of trades: an audit-chain export (its `fill` records), the Sofia store's fills,
 * and a live venue's `fetchMyTrades`, paged by `since`. Each yields batches of TradeRecords.
 */
import { readJsonl } from '../audit/index.js'
import { ExchangeError, InputError } from '../model/index.js'
import type { Trade } from '../model/index.js'
import type { FillFilter, Store, StoredFill } from '../store/index.js'
import { FieldProblem, decimalField, sideField, stringField } from './ccxt-trade.js'
import type { TradeRecord } from './trade-record.js'

/** A stored fill as a TradeRecord (strings stay strings: no Decimal allocation). */
export function storedFillTrade(f: StoredFill): TradeRecord {
  return {
    venue: f.venue,
    id: f.tradeId,
    order: f.venueOrderId,
    clientOrderId: f.clientOrderId,
    timestamp: f.timestamp,
    symbol: f.symbol,
    side: f.side,
    price: f.price,
    amount: f.amount,
    cost: f.cost,
    fee: { cost: f.feeCost, currency: f.feeCurrency },
  }
}

/** The store's fills (optionally filtered), in the store's batches. */
export async function* storeTrades(store: Pick<Store, 'iterateFills'>, filter: FillFilter = {}): AsyncGenerator<TradeRecord[], void, undefined> {
  for await (const batch of store.iterateFills(filter, 5000)) {
    const out = new Array<TradeRecord>(batch.length)
    for (let i = 0; i < batch.length; i++) out[i] = storedFillTrade(batch[i] as StoredFill)
    yield out
  }
}

/** A payload's fee object `{cost, currency}` (a `fill` record's, or a `canary.fill` record's of that form). */
export function payloadFee(f: Record<string, unknown>): { cost: string; currency: string } {
  return { cost: decimalField(f['cost'], 'payload.fee.cost'), currency: typeof f['currency'] === 'string' ? f['currency'] : '' }
}

/**
 * The fields a `fill` and a `canary.fill` payload record alike: client order id, time (the record's `ts` when the
 * payload names none), symbol, side, price and amount.
 */
export function payloadTradeFields(
  p: Record<string, unknown>,
  ts: number,
): Pick<TradeRecord, 'clientOrderId' | 'timestamp' | 'symbol' | 'side' | 'price' | 'amount'> {
  const clientOrderId = p['clientOrderId']
  return {
    clientOrderId: typeof clientOrderId === 'string' ? clientOrderId : null,
    timestamp: typeof p['timestamp'] === 'number' ? p['timestamp'] : ts,
    symbol: stringField(p['symbol'], 'payload.symbol'),
    side: sideField(p['side'], 'payload.side'),
    price: decimalField(p['price'], 'payload.price'),
    amount: decimalField(p['amount'], 'payload.amount'),
  }
}

/** A `fill` audit record's payload as a TradeRecord, timed by the record's `ts` when it names no timestamp. */
export function auditFillTrade(payload: unknown, ts: number): TradeRecord {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new FieldProblem('field \'payload\': expected an object')
  const p = payload as Record<string, unknown>
  const fee = p['fee']
  let feeOut: { cost: string; currency: string } | null = null
  if (fee !== undefined && fee !== null) {
    if (typeof fee !== 'object' || Array.isArray(fee)) throw new FieldProblem(`field 'payload.fee': expected an object {cost, currency}`)
    feeOut = payloadFee(fee as Record<string, unknown>)
  }
  const venueOrderId = p['venueOrderId']
  return {
    venue: stringField(p['venue'], 'payload.venue'),
    id: stringField(p['tradeId'], 'payload.tradeId'),
    // Fill records before venueOrderId was recorded carry none: those match by trade id only.
    order: typeof venueOrderId === 'string' ? venueOrderId : null,
    ...payloadTradeFields(p, ts),
    cost: p['cost'] === undefined || p['cost'] === null ? null : decimalField(p['cost'], 'payload.cost'),
    fee: feeOut,
  }
}

/**
 * The fills recorded in an audit-chain JSONL export (`sofia audit export`): the payloads of its `fill`
 * records, timed by the record's `ts`. A file with no fill record is an InputError: `no trades in FILE`.
 */
export async function* auditTrades(path: string, options: { label?: string } = {}): AsyncGenerator<TradeRecord[], void, undefined> {
  const file = options.label ?? path
  let count = 0
  for await (const batch of readJsonl(path)) {
    const out: TradeRecord[] = []
    for (const r of batch) {
      if (r.type !== 'fill') continue
      try {
        out.push(auditFillTrade(r.payload, r.ts))
      } catch (error) {
        if (error instanceof FieldProblem) throw new InputError(`${file}: seq ${r.seq}: ${error.message}`)
        throw error
      }
    }
    count += out.length
    if (out.length > 0) yield out
  }
  if (count === 0) throw new InputError(`no trades in ${file}`)
}

/** What reconciliation needs of a live venue: CCXT's `fetchMyTrades`, giving Sofia Trades. */
export interface TradeHistory {
  fetchMyTrades(symbol?: string, since?: number, limit?: number): Promise<readonly Trade[]>
}

export interface VenueTradesOptions {
  /** One pass per symbol; omitted: one pass over all symbols (where the venue allows it). */
  readonly symbols?: readonly string[]
  readonly since?: number
  /** Exclusive. */
  readonly until?: number
  /** Page size. Default 500. */
  readonly limit?: number
}

/** A trade id with its side: a self-trade is one trade id with two fills of ours, a buy and a sell. */
const sided = (t: TradeRecord): string => `${t.id}\u0000${t.side}`

/**
 * A venue's trades, paged by `since`. Without `since`, the venue's whole history in one call (a venue pages its
 * own history to the end; asked for "the last N" it would give only those). A page continues from its last timestamp (not one past it: more trades
 * may share that millisecond than the page held), skipping the ids already seen at that millisecond; a page
 * holding nothing new asks again with twice the page size.
 */
export async function* venueTrades(venue: TradeHistory, options: VenueTradesOptions = {}): AsyncGenerator<TradeRecord[], void, undefined> {
  const pageSize = options.limit ?? 500
  const until = options.until ?? Infinity
  for (const symbol of options.symbols ?? [undefined]) {
    if (options.since === undefined) {
      // The whole history: the venue reads it to the end itself (a page of "the last N" would be all it gave).
      const all = (await venue.fetchMyTrades(symbol)).filter((t) => t.timestamp < until)
      for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize)
      continue
    }
    let since = options.since
    let limit = pageSize
    let boundary = -Infinity
    let seenAtBoundary = new Set<string>()
    for (;;) {
      const page = await venue.fetchMyTrades(symbol, since, limit)
      const fresh = page.filter((t) => !(t.timestamp === boundary && seenAtBoundary.has(sided(t))) && t.timestamp < until)
      if (fresh.length > 0) yield fresh.slice()
      if (page.length < limit) break
      const last = page.reduce((m, t) => Math.max(m, t.timestamp), -Infinity)
      if (last >= until) break
      if (fresh.length === 0) {
        // A full page of one millisecond, all seen: only a bigger page can reach past it. Skipping ahead
        // would silently lose trades, and a reconciliation must not.
        limit *= 2
        if (limit > pageSize * 64) {
          throw new ExchangeError(`more than ${limit / 2} trades at ${new Date(last).toISOString()}: cannot page past them by time`)
        }
        continue
      }
      if (last !== boundary) seenAtBoundary = new Set()
      for (const t of page) if (t.timestamp === last) seenAtBoundary.add(sided(t))
      boundary = last
      since = last
    }
  }
}
