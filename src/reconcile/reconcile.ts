/**
 * @module reconcile/reconcile
 * Internal fills against the exchange's own trade records (DESIGN §7). Pure: two streams of trades in, one
 * report out. The exchange side is held (an index by venue and trade id, one slot per record); the internal
 * side streams past it, and only its unmatched records are kept, so memory is linear in the exchange side
 * plus the discrepancies. Matching is by the venue's trade id, then, for what is left, by (order id, time
 * within a window, amount). A trade id with two exchange records on opposite sides is a self-trade (both orders
 * ours, no self-trade prevention): each half matches the internal record of its side. Field comparisons are
 * exact (see exact-compare): equal decimal strings, the common case, cost one string comparison.
 */
import { Decimal, InputError, dec } from '../model/index.js'
import type { DecimalLike } from '../model/index.js'
import { BEYOND, EQUAL, ExactSum, WITHIN, closeness, difference, relativeDifference } from './exact-compare.js'
import type { Closeness } from './exact-compare.js'
import { DISCREPANCY_TYPES } from './report.js'
import type { Discrepancy, DiscrepancyType, MatchedBy, MatchedDifference, PositionLine, ReconciliationReport } from './report.js'
import { moneyText, serializeTrade } from './trade-record.js'
import type { TradeRecord } from './trade-record.js'

/** Records one by one, or (async sources) in batches: readers batch to keep the per-record cost down. */
export type TradeSource = Iterable<TradeRecord> | AsyncIterable<TradeRecord | readonly TradeRecord[]>

/** Amounts per key (symbol, asset, `venue|symbol`: whatever both maps use). */
export type AmountMap = ReadonlyMap<string, DecimalLike> | Readonly<Record<string, DecimalLike>>

export interface ReconcileOptions {
  /** Relative price tolerance: |internal − exchange| ≤ tolerance × |exchange|. Default 0.001 (0.1%). */
  readonly priceTolerance?: DecimalLike
  /** Relative amount tolerance. Default 0: exact. */
  readonly amountTolerance?: DecimalLike
  /** Relative fee tolerance. Default 0: exact. */
  readonly feeTolerance?: DecimalLike
  /** How far apart (ms) two fills of one order may be and still match without a common trade id. Default 1000. */
  readonly timeWindowMs?: number
  /** The venue of records that carry none (a CCXT file). Default ''. */
  readonly venue?: string
  /** Only trades with from ≤ timestamp < to count. */
  readonly from?: number
  readonly to?: number
  /** Net positions per key from each side (e.g. the ledger and the exchange's positions). */
  readonly positions?: { readonly internal: AmountMap; readonly exchange: AmountMap }
  /** Balances per asset from each side (e.g. the ledger and fetchBalance totals). */
  readonly balances?: { readonly internal: AmountMap; readonly exchange: AmountMap }
  /** How the report names the inputs. */
  readonly sources?: { readonly internal?: string; readonly exchange?: string }
  readonly now?: () => number
}

const UNMATCHED = 0
const MATCHED = 1
/** A repeated exchange record: reported, never matched, not counted in positions. */
const REPEATED = 2

interface PositionSums {
  readonly internal: ExactSum
  readonly exchange: ExactSum
}

function tolerance(name: string, value: DecimalLike | undefined, fallback: string): Decimal {
  let d: Decimal
  try {
    d = dec(value ?? fallback)
  } catch {
    throw new InputError(`${name}: expected a number ≥ 0, got '${String(value)}'`)
  }
  if (!d.isFinite() || d.isNegative()) throw new InputError(`${name}: expected a number ≥ 0, got '${String(value)}'`)
  return d
}

function entries(map: AmountMap): [string, DecimalLike][] {
  return map instanceof Map ? [...(map as ReadonlyMap<string, DecimalLike>)] : Object.entries(map)
}

function isAsync(source: TradeSource): source is AsyncIterable<TradeRecord | readonly TradeRecord[]> {
  return typeof (source as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
}

/** Reconciles `internal` against `exchange`. */
export async function reconcile(internal: TradeSource, exchange: TradeSource, options: ReconcileOptions = {}): Promise<ReconciliationReport> {
  const r = new Reconciler(options)
  await feed(exchange, r, false)
  await feed(internal, r, true)
  return r.finish()
}

async function feed(source: TradeSource, r: Reconciler, internal: boolean): Promise<void> {
  if (Array.isArray(source)) {
    const list = source as readonly TradeRecord[]
    for (let i = 0; i < list.length; i++) r.take(list[i] as TradeRecord, internal)
    return
  }
  if (!isAsync(source)) {
    for (const t of source) r.take(t, internal)
    return
  }
  for await (const item of source) {
    if (Array.isArray(item)) {
      const batch = item as readonly TradeRecord[]
      for (let i = 0; i < batch.length; i++) r.take(batch[i] as TradeRecord, internal)
    } else r.take(item as TradeRecord, internal)
  }
}

/** How far a matched pair's price, amount or fee may differ, and what a discrepancy beyond it says. */
interface FieldTolerance {
  readonly field: 'price' | 'amount' | 'fee'
  readonly dec: Decimal
  /** The same as a float, for closeness's fast path. */
  readonly n: number
  readonly beyond: string
}

/** `whenZero` says what differs when no difference is tolerated; without it the tolerance (0) is named. */
function fieldTolerance(field: FieldTolerance['field'], dec: Decimal, whenZero?: string): FieldTolerance {
  const n = dec.toNumber()
  return { field, dec, n, beyond: n === 0 && whenZero !== undefined ? whenZero : `${field} beyond the tolerance of ${dec.toString()}` }
}

/** The state of one reconciliation; `take` is the per-record hot path. */
class Reconciler {
  private readonly priceTol: FieldTolerance
  private readonly amountTol: FieldTolerance
  private readonly feeTol: FieldTolerance
  private readonly window: number
  private readonly defaultVenue: string
  private readonly from: number
  private readonly to: number

  /** venue → trade id → index into `exRecords`. */
  private readonly exIndex = new Map<string, Map<string, number>>()
  /**
   * venue → trade id → the other side of a self-trade: a second exchange record under an id already held,
   * on the other side, is the other half of one trade (both orders ours, no self-trade prevention), not a
   * repeat.
   */
  private readonly exOtherSide = new Map<string, Map<string, number>>()
  private readonly exRecords: TradeRecord[] = []
  private readonly exState: number[] = []
  /** Exchange records that another repeats → the internal record they matched, once known. */
  private readonly repeatedFirst = new Map<number, TradeRecord | undefined>()
  private readonly repeats: [first: number, repeat: number][] = []
  /** venue → trade id → internal records not matched by id (kept for the fallback and the report). */
  private readonly inUnmatched = new Map<string, Map<string, TradeRecord>>()
  private inCount = 0
  private exCount = 0

  /** venue → symbol → net positions. */
  private readonly sums = new Map<string, Map<string, PositionSums>>()
  /** `venue|symbol` → trade-level discrepancies there (they explain a derived position difference). */
  private readonly troubled = new Map<string, number>()

  private readonly discrepancies: Discrepancy[] = []
  private readonly differences: MatchedDifference[] = []
  private pairsById = 0
  private pairsByOrder = 0
  private matched = 0
  private matchedWithDifference = 0

  constructor(private readonly options: ReconcileOptions) {
    this.priceTol = fieldTolerance('price', tolerance('priceTolerance', options.priceTolerance, '0.001'))
    this.amountTol = fieldTolerance('amount', tolerance('amountTolerance', options.amountTolerance, '0'), 'amounts differ')
    this.feeTol = fieldTolerance('fee', tolerance('feeTolerance', options.feeTolerance, '0'), 'fees differ')
    this.window = options.timeWindowMs ?? 1000
    this.defaultVenue = options.venue ?? ''
    this.from = options.from ?? -Infinity
    this.to = options.to ?? Infinity
  }

  take(t: TradeRecord, internal: boolean): void {
    const ts = t.timestamp
    if (ts < this.from || ts >= this.to) return
    if (internal) this.takeInternal(t)
    else this.takeExchange(t)
  }

  private takeExchange(t: TradeRecord): void {
    this.exCount++
    const venue = t.venue ?? this.defaultVenue
    let ids = this.exIndex.get(venue)
    if (ids === undefined) {
      ids = new Map()
      this.exIndex.set(venue, ids)
    }
    const at = this.exRecords.length
    this.exRecords.push(t)
    const first = ids.get(t.id)
    if (first !== undefined) {
      if ((this.exRecords[first] as TradeRecord).side !== t.side && this.exOtherSide.get(venue)?.has(t.id) !== true) {
        let other = this.exOtherSide.get(venue)
        if (other === undefined) this.exOtherSide.set(venue, (other = new Map()))
        other.set(t.id, at)
        this.exState.push(UNMATCHED)
        this.position(venue, t).exchange.add(moneyText(t.amount), t.side === 'sell')
        return
      }
      this.exState.push(REPEATED)
      this.repeats.push([first, at])
      if (!this.repeatedFirst.has(first)) this.repeatedFirst.set(first, undefined)
      return
    }
    ids.set(t.id, at)
    this.exState.push(UNMATCHED)
    this.position(venue, t).exchange.add(moneyText(t.amount), t.side === 'sell')
  }

  private takeInternal(t: TradeRecord): void {
    this.inCount++
    const venue = t.venue ?? this.defaultVenue
    let at = this.exIndex.get(venue)?.get(t.id)
    if (at !== undefined && (this.exRecords[at] as TradeRecord).side !== t.side) at = this.exOtherSide.get(venue)?.get(t.id) ?? at
    if (at !== undefined) {
      const e = this.exRecords[at] as TradeRecord
      if (this.exState[at] === MATCHED) {
        this.push('duplicate', venue, t, e, { side: 'internal', detail: `trade id ${t.id} appears more than once in the internal records` })
        return
      }
      this.exState[at] = MATCHED
      if (this.repeatedFirst.size > 0 && this.repeatedFirst.has(at)) this.repeatedFirst.set(at, t)
      this.position(venue, t).internal.add(moneyText(t.amount), t.side === 'sell')
      this.compare(t, e, venue, 'id')
      return
    }
    let ids = this.inUnmatched.get(venue)
    if (ids === undefined) {
      ids = new Map()
      this.inUnmatched.set(venue, ids)
    }
    // Unmatched records are few: the side joins the key only here (a self-trade's two halves stay apart).
    const key = t.side === 'sell' ? `${t.id}\u0000sell` : t.id
    const first = ids.get(key)
    if (first !== undefined) {
      this.pushRecords('duplicate', venue, t.symbol, t.id, [first, t], [], {
        side: 'internal',
        detail: `trade id ${t.id} appears more than once in the internal records`,
      })
      return
    }
    ids.set(key, t)
    this.position(venue, t).internal.add(moneyText(t.amount), t.side === 'sell')
  }

  private position(venue: string, t: TradeRecord): PositionSums {
    let symbols = this.sums.get(venue)
    if (symbols === undefined) {
      symbols = new Map()
      this.sums.set(venue, symbols)
    }
    let p = symbols.get(t.symbol)
    if (p === undefined) {
      p = { internal: new ExactSum(), exchange: new ExactSum() }
      symbols.set(t.symbol, p)
    }
    return p
  }

  /** Compares a matched pair field by field. */
  private compare(i: TradeRecord, e: TradeRecord, venue: string, by: MatchedBy): void {
    if (by === 'id') this.pairsById++
    else this.pairsByOrder++
    let bad = false
    let differs = false
    if (i.side !== e.side) {
      this.push('side_mismatch', venue, i, e, { matchedBy: by, internalValue: i.side, exchangeValue: e.side, detail: `side ${i.side} ≠ ${e.side} on the exchange` })
      bad = true
    }
    if (i.symbol !== e.symbol) {
      this.push('symbol_mismatch', venue, i, e, { matchedBy: by, internalValue: i.symbol, exchangeValue: e.symbol, detail: `symbol ${i.symbol} ≠ ${e.symbol} on the exchange` })
      bad = true
    }
    // The furthest field decides (EQUAL < WITHIN < BEYOND): one beyond its tolerance makes the pair a
    // discrepancy, one within it a match with a difference.
    let furthest = Math.max(
      this.judge(this.priceTol, venue, i, e, by, moneyText(i.price), moneyText(e.price)),
      this.judge(this.amountTol, venue, i, e, by, moneyText(i.amount), moneyText(e.amount)),
    )
    const iFee = i.fee
    const eFee = e.fee
    if (iFee !== undefined && iFee !== null && eFee !== undefined && eFee !== null) {
      const ic = moneyText(iFee.cost)
      const ec = moneyText(eFee.cost)
      if (iFee.currency !== eFee.currency && !(dec(ic).isZero() && dec(ec).isZero())) {
        this.push('fee_mismatch', venue, i, e, {
          matchedBy: by,
          internalValue: `${ic} ${iFee.currency}`,
          exchangeValue: `${ec} ${eFee.currency}`,
          detail: 'fee currencies differ',
        })
        bad = true
      } else {
        furthest = Math.max(furthest, this.judge(this.feeTol, venue, i, e, by, ic, ec))
      }
    }
    if (furthest === BEYOND) bad = true
    else if (furthest === WITHIN) differs = true
    if (!bad) {
      this.matched++
      if (differs) this.matchedWithDifference++
    }
  }

  /**
   * One value of a matched pair against its tolerance: beyond it a `<field>_mismatch` discrepancy, within it
   * a difference the report lists. Returns how close the two were, for the pair's verdict.
   */
  private judge(tol: FieldTolerance, venue: string, i: TradeRecord, e: TradeRecord, by: MatchedBy, a: string, b: string): Closeness {
    const c = closeness(a, b, tol.n, tol.dec)
    if (c === BEYOND) this.pushValues(`${tol.field}_mismatch`, venue, i, e, by, a, b, tol.beyond)
    else if (c === WITHIN) this.difference(tol.field, venue, i, e, by, a, b)
    return c
  }

  private difference(field: MatchedDifference['field'], venue: string, i: TradeRecord, e: TradeRecord, by: MatchedBy, a: string, b: string): void {
    this.differences.push({
      field,
      venue,
      symbol: e.symbol,
      id: i.id,
      exchangeId: e.id,
      matchedBy: by,
      internalValue: a,
      exchangeValue: b,
      relativeDifference: relativeDifference(a, b),
    })
  }

  private pushValues(type: DiscrepancyType, venue: string, i: TradeRecord, e: TradeRecord, by: MatchedBy, a: string, b: string, detail: string): void {
    this.push(type, venue, i, e, { matchedBy: by, internalValue: a, exchangeValue: b, difference: difference(a, b), relativeDifference: relativeDifference(a, b), detail })
  }

  private push(type: DiscrepancyType, venue: string, i: TradeRecord | undefined, e: TradeRecord | undefined, extra: Partial<Discrepancy> & { detail: string }): void {
    const t = (e ?? i) as TradeRecord
    this.pushRecords(type, venue, t.symbol, t.id, i === undefined ? [] : [i], e === undefined ? [] : [e], extra)
  }

  private pushRecords(
    type: DiscrepancyType,
    venue: string,
    symbol: string,
    id: string,
    internal: readonly TradeRecord[],
    exchange: readonly TradeRecord[],
    extra: Partial<Discrepancy> & { detail: string },
  ): void {
    const key = `${venue}|${symbol}`
    this.troubled.set(key, (this.troubled.get(key) ?? 0) + 1)
    this.discrepancies.push({
      type,
      venue,
      symbol,
      id,
      side: null,
      matchedBy: null,
      internalValue: null,
      exchangeValue: null,
      difference: null,
      relativeDifference: null,
      ...extra,
      internal: internal.map((r) => serializeTrade(r, r.venue ?? this.defaultVenue)),
      exchange: exchange.map((r) => serializeTrade(r, r.venue ?? this.defaultVenue)),
    })
  }

  /** The fallback match of what the ids left over, then the leftovers, positions and the report. */
  finish(): ReconciliationReport {
    this.matchByOrder()
    for (const [venue, ids] of this.inUnmatched) {
      for (const t of ids.values()) {
        this.push('missing_exchange', venue, t, undefined, { detail: 'recorded by Sofia, not on the exchange' })
      }
    }
    for (let at = 0; at < this.exRecords.length; at++) {
      if (this.exState[at] !== UNMATCHED) continue
      const e = this.exRecords[at] as TradeRecord
      this.push('missing_internal', e.venue ?? this.defaultVenue, undefined, e, { detail: 'on the exchange, not recorded by Sofia' })
    }
    for (const [first, repeat] of this.repeats) {
      const e = this.exRecords[first] as TradeRecord
      const partner = this.repeatedFirst.get(first)
      this.pushRecords('duplicate', e.venue ?? this.defaultVenue, e.symbol, e.id, partner === undefined ? [] : [partner], [e, this.exRecords[repeat] as TradeRecord], {
        side: 'exchange',
        detail: `trade id ${e.id} appears more than once in the exchange records`,
      })
    }
    const positions = this.positionLines()
    const discrepancies = this.discrepancies.sort(byTimeThenType)
    const byType = Object.fromEntries(DISCREPANCY_TYPES.map((t) => [t, 0])) as Record<DiscrepancyType, number>
    for (const d of discrepancies) byType[d.type]++
    const o = this.options
    return {
      status: discrepancies.length === 0 ? 'ok' : 'discrepancies',
      generatedAt: new Date((o.now ?? Date.now)()).toISOString(),
      inputs: {
        internal: { source: o.sources?.internal ?? 'internal', records: this.inCount },
        exchange: { source: o.sources?.exchange ?? 'exchange', records: this.exCount },
        venue: o.venue ?? null,
        from: o.from ?? null,
        to: o.to ?? null,
        priceTolerance: this.priceTol.dec.toString(),
        amountTolerance: this.amountTol.dec.toString(),
        feeTolerance: this.feeTol.dec.toString(),
        timeWindowMs: this.window,
      },
      counts: {
        matched: this.matched,
        matchedWithDifference: this.matchedWithDifference,
        pairs: this.pairsById + this.pairsByOrder,
        pairsById: this.pairsById,
        pairsByOrder: this.pairsByOrder,
        discrepancies: discrepancies.length,
        byType,
      },
      discrepancies,
      differences: this.differences,
      positions,
    }
  }

  /** Unmatched internal records against unmatched exchange records of the same venue and order id. */
  private matchByOrder(): void {
    const byOrder = new Map<string, number[]>()
    for (let at = 0; at < this.exRecords.length; at++) {
      if (this.exState[at] !== UNMATCHED) continue
      const e = this.exRecords[at] as TradeRecord
      if (e.order === undefined || e.order === null || e.order === '') continue
      const key = `${e.venue ?? this.defaultVenue}|${e.order}`
      const list = byOrder.get(key)
      if (list === undefined) byOrder.set(key, [at])
      else list.push(at)
    }
    if (byOrder.size === 0) return
    for (const [venue, ids] of this.inUnmatched) {
      for (const [id, t] of ids) {
        if (t.order === undefined || t.order === null || t.order === '') continue
        const candidates = byOrder.get(`${venue}|${t.order}`)
        if (candidates === undefined) continue
        const amount = moneyText(t.amount)
        let best = -1
        let bestGap = Infinity
        for (const at of candidates) {
          if (this.exState[at] !== UNMATCHED) continue
          const e = this.exRecords[at] as TradeRecord
          const gap = Math.abs(e.timestamp - t.timestamp)
          if (gap > this.window || gap >= bestGap) continue
          if (closeness(amount, moneyText(e.amount), 0, ZERO_TOLERANCE) !== EQUAL) continue
          best = at
          bestGap = gap
        }
        if (best < 0) continue
        const e = this.exRecords[best] as TradeRecord
        this.exState[best] = MATCHED
        if (this.repeatedFirst.has(best)) this.repeatedFirst.set(best, t)
        ids.delete(id)
        this.compare(t, e, venue, 'order_time_amount')
      }
    }
  }

  private positionLines(): PositionLine[] {
    const lines: PositionLine[] = []
    for (const [venue, symbols] of this.sums) {
      for (const [symbol, p] of symbols) {
        const a = p.internal.value()
        const b = p.exchange.value()
        const mismatch = !a.eq(b)
        const explained = mismatch && (this.troubled.get(`${venue}|${symbol}`) ?? 0) > 0
        const line = positionLine('position', 'trades', venue, symbol, a, b, explained)
        lines.push(line)
        if (mismatch && !explained) {
          this.pushRecords('position_mismatch', venue, symbol, '', [], [], {
            id: null,
            internalValue: line.internal,
            exchangeValue: line.exchange,
            difference: line.difference,
            detail: `net position of ${symbol} differs although every trade matched`,
          })
        }
      }
    }
    const given = [
      ['position', this.options.positions],
      ['balance', this.options.balances],
    ] as const
    for (const [kind, maps] of given) {
      if (maps === undefined) continue
      const internal = new Map(entries(maps.internal))
      const exchange = new Map(entries(maps.exchange))
      for (const key of [...new Set([...internal.keys(), ...exchange.keys()])].sort()) {
        const a = dec(internal.get(key) ?? 0)
        const b = dec(exchange.get(key) ?? 0)
        const line = positionLine(kind, 'given', null, key, a, b, false)
        lines.push(line)
        if (line.status === 'mismatch') {
          this.discrepancies.push({
            type: kind === 'position' ? 'position_mismatch' : 'balance_mismatch',
            venue: null,
            symbol: key,
            id: null,
            side: null,
            matchedBy: null,
            internalValue: line.internal,
            exchangeValue: line.exchange,
            difference: line.difference,
            relativeDifference: b.isZero() ? null : a.sub(b).div(b).toSignificantDigits(12).toString(),
            detail: `${kind} of ${key} differs`,
            internal: [],
            exchange: [],
          })
        }
      }
    }
    return lines
  }
}

const ZERO_TOLERANCE = new Decimal(0)

function positionLine(kind: PositionLine['kind'], source: PositionLine['source'], venue: string | null, key: string, a: Decimal, b: Decimal, explained: boolean): PositionLine {
  const mismatch = !a.eq(b)
  return {
    kind,
    source,
    venue,
    key,
    internal: a.toString(),
    exchange: b.toString(),
    difference: a.sub(b).toString(),
    status: mismatch ? 'mismatch' : 'ok',
    explained,
  }
}

const TYPE_ORDER = new Map<DiscrepancyType, number>(DISCREPANCY_TYPES.map((t, i) => [t, i]))

function timeOf(d: Discrepancy): number {
  return d.internal[0]?.timestamp ?? d.exchange[0]?.timestamp ?? Infinity
}

function byTimeThenType(a: Discrepancy, b: Discrepancy): number {
  return timeOf(a) - timeOf(b) || (TYPE_ORDER.get(a.type) ?? 0) - (TYPE_ORDER.get(b.type) ?? 0) || (a.id ?? '').localeCompare(b.id ?? '')
}
