/**
 * @module ops/pnl/attribution
 * Where a day's net P&L came from, split into parts that add up to it EXACTLY (Decimal equality, checked
 * every time: a mismatch is corrupt data and throws InvariantViolation).
 *
 * For one strategy book (strategy, venue, symbol) over the day [t0, t1):
 *   q0, q1   signed position at t0 and t1;  m0, m1  marks at t0 and t1 (last fill price of the venue and
 *            symbol before t0, and at t1 — or the --marks file at t1);
 *   fill i   side s_i (+1 buy, −1 sell), amount a_i, price p_i, decision price d_i (the order's; p_i when it
 *            has none), fee f_i (valued in the currency);  C = the day's other costs (gas, funding, …).
 *
 *   net        = realized_day + (U1 − U0) − F − C,   with U = q·m − cost basis (unrealized at the marks)
 *   alpha      = Σ s_i·a_i·(m1 − d_i)     edge of the day's decisions: decision price against the end mark
 *   slippage   = Σ s_i·a_i·(p_i − d_i)    what execution lost against the decision price (> 0 is worse)
 *   inventory  = q0·(m1 − m0)             mark-to-market of the position carried into the day
 *   fees       = Σ f_i,  costs = C
 *
 *   net = alpha − slippage + inventory − fees − costs
 *
 * Why it is exact: the book identity (cost basis − realized = Σ signed fill costs, kept to the last digit by the
 * ledger) gives realized_day + U1 − U0 = q1·m1 − q0·m0 − Σ s_i·a_i·p_i, and q1 = q0 + Σ s_i·a_i; substituting
 * makes both sides the same sum of products of the stored decimals. The by-strategy, by-venue and by-symbol rows
 * are sums of book rows, so they add up the same way.
 */
import { Decimal, InvariantViolation, ZERO } from '../../model/index.js'
import type { Store } from '../../store/index.js'
import type { CostRecord } from './costs.js'
import type { AttributionJson, AttributionRowJson } from './json-types.js'
import type { MarkTable } from './marks.js'
import { markKey } from './marks.js'
import { dayPeriod, periodJson } from './period.js'
import type { Period } from './period.js'
import { bookKey, replayPnl } from './replay.js'
import type { BookState, PnlCell, ReplayResult } from './replay.js'

export const ATTRIBUTION_PARTS = ['alpha', 'slippage', 'inventory', 'fees', 'costs'] as const

export interface AttributionRow {
  readonly key: string
  /** Mark-to-market net P&L of the day: realized + change in unrealized − fees − costs. */
  readonly netPnl: Decimal
  readonly alpha: Decimal
  /** Subtracted: > 0 is a cost. */
  readonly slippage: Decimal
  readonly inventory: Decimal
  /** Subtracted. */
  readonly fees: Decimal
  /** Subtracted. */
  readonly costs: Decimal
  readonly realizedPnl: Decimal
  readonly unrealizedChange: Decimal
}

export interface Attribution {
  readonly period: Period
  readonly currency: string
  readonly totals: AttributionRow
  readonly byStrategy: readonly AttributionRow[]
  readonly byVenue: readonly AttributionRow[]
  readonly bySymbol: readonly AttributionRow[]
  /** One row per (strategy, venue, symbol): key `strategy venue symbol`. */
  readonly byBook: readonly AttributionRow[]
  readonly startMarks: Readonly<Record<string, Decimal>>
  readonly endMarks: Readonly<Record<string, { readonly price: Decimal; readonly source: 'file' | 'last_fill' }>>
}

interface Parts {
  netPnl: Decimal
  alpha: Decimal
  slippage: Decimal
  inventory: Decimal
  fees: Decimal
  costs: Decimal
  realizedPnl: Decimal
  unrealizedChange: Decimal
}

function zeroParts(): Parts {
  return { netPnl: ZERO, alpha: ZERO, slippage: ZERO, inventory: ZERO, fees: ZERO, costs: ZERO, realizedPnl: ZERO, unrealizedChange: ZERO }
}

const PART_KEYS: readonly (keyof Parts)[] = ['netPnl', 'alpha', 'slippage', 'inventory', 'fees', 'costs', 'realizedPnl', 'unrealizedChange']

function addParts(a: Parts, b: Parts): void {
  for (const k of PART_KEYS) a[k] = a[k].add(b[k])
}

/** alpha − slippage + inventory − fees − costs. */
export function sumOfParts(r: Pick<AttributionRow, 'alpha' | 'slippage' | 'inventory' | 'fees' | 'costs'>): Decimal {
  return r.alpha.sub(r.slippage).add(r.inventory).sub(r.fees).sub(r.costs)
}

interface BookDay {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  signedAmount: Decimal
  signedCost: Decimal
  signedDecisionCost: Decimal
  realizedFromFills: Decimal
  fees: Decimal
  costs: Decimal
}

/** Splits a replayed day (see the module header). */
export function attribute(replay: ReplayResult, period: Period): Attribution {
  const days = new Map<string, BookDay>()
  const day = (c: Pick<PnlCell, 'strategyId' | 'venue' | 'symbol'>): BookDay => {
    const key = bookKey(c.strategyId, c.venue, c.symbol)
    let d = days.get(key)
    if (d === undefined) {
      d = {
        strategyId: c.strategyId,
        venue: c.venue,
        symbol: c.symbol,
        signedAmount: ZERO,
        signedCost: ZERO,
        signedDecisionCost: ZERO,
        realizedFromFills: ZERO,
        fees: ZERO,
        costs: ZERO,
      }
      days.set(key, d)
    }
    return d
  }
  for (const c of replay.cells) {
    const d = day(c)
    d.signedAmount = d.signedAmount.add(c.signedAmount)
    d.signedCost = d.signedCost.add(c.signedCost)
    d.signedDecisionCost = d.signedDecisionCost.add(c.signedDecisionCost)
    d.realizedFromFills = d.realizedFromFills.add(c.realizedPnl)
    d.fees = d.fees.add(c.fees)
    d.costs = d.costs.add(c.costs)
  }
  for (const b of replay.startBooks.values()) day(b)
  for (const b of replay.endBooks.values()) day(b)

  const books: [BookDay, Parts][] = []
  for (const [key, d] of days) {
    const start = replay.startBooks.get(key)
    const end = replay.endBooks.get(key)
    books.push([d, bookParts(replay, d, start, end)])
  }

  const totals = zeroParts()
  const byStrategy = new Map<string, Parts>()
  const byVenue = new Map<string, Parts>()
  const bySymbol = new Map<string, Parts>()
  const into = (m: Map<string, Parts>, key: string, p: Parts): void => {
    let a = m.get(key)
    if (a === undefined) {
      a = zeroParts()
      m.set(key, a)
    }
    addParts(a, p)
  }
  const byBook: AttributionRow[] = []
  for (const [d, p] of books) {
    addParts(totals, p)
    into(byStrategy, d.strategyId, p)
    into(byVenue, d.venue, p)
    into(bySymbol, d.symbol, p)
    byBook.push({ key: `${d.strategyId} ${d.venue} ${d.symbol}`, ...p })
  }
  const rows = (m: Map<string, Parts>): AttributionRow[] => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([key, p]) => ({ key, ...p }))
  const total: AttributionRow = { key: 'total', ...totals }
  check(total)
  const startMarks: Record<string, Decimal> = {}
  for (const [k, v] of replay.startMarks) startMarks[k] = v
  const endMarks: Record<string, { price: Decimal; source: 'file' | 'last_fill' }> = {}
  for (const [k, v] of replay.endMarks) endMarks[k] = v
  return {
    period,
    currency: replay.currency,
    totals: total,
    byStrategy: rows(byStrategy),
    byVenue: rows(byVenue),
    bySymbol: rows(bySymbol),
    byBook: byBook.sort((a, b) => a.key.localeCompare(b.key)),
    startMarks,
    endMarks,
  }
}

function bookParts(replay: ReplayResult, d: BookDay, start: BookState | undefined, end: BookState | undefined): Parts {
  const where = `attribution: ${d.symbol} on ${d.venue} (${d.strategyId})`
  const q0 = start?.amount ?? ZERO
  const q1 = end?.amount ?? ZERO
  if (!q0.add(d.signedAmount).eq(q1)) throw new InvariantViolation(`${where}: start ${q0} + fills ${d.signedAmount} ≠ end ${q1}`)
  const realized = (end?.realizedPnl ?? ZERO).sub(start?.realizedPnl ?? ZERO)
  if (!realized.eq(d.realizedFromFills)) {
    throw new InvariantViolation(`${where}: realized by the books ${realized} ≠ Σ realized of the fills ${d.realizedFromFills}`)
  }
  const needsEnd = !q1.isZero() || !d.signedAmount.isZero()
  const m1 = needsEnd ? replay.endMarks.get(markKey(d.venue, d.symbol))?.price : undefined
  const m0 = q0.isZero() ? undefined : replay.startMarks.get(markKey(d.venue, d.symbol))
  if (needsEnd && m1 === undefined) throw new InvariantViolation(`${where}: no end-of-day mark`)
  if (!q0.isZero() && m0 === undefined) throw new InvariantViolation(`${where}: no start-of-day mark`)
  const u0 = m0 === undefined ? ZERO : q0.mul(m0).sub(start!.costBasis)
  const u1 = q1.isZero() ? ZERO : q1.mul(m1!).sub(end!.costBasis)
  const unrealizedChange = u1.sub(u0)
  const netPnl = realized.add(unrealizedChange).sub(d.fees).sub(d.costs)
  const parts: Parts = {
    netPnl,
    // Without an end mark Σ s·a is zero (needsEnd), and so is its term.
    alpha: (m1 === undefined ? ZERO : d.signedAmount.mul(m1)).sub(d.signedDecisionCost),
    slippage: d.signedCost.sub(d.signedDecisionCost),
    inventory: m0 === undefined ? ZERO : q0.mul(m1!.sub(m0)),
    fees: d.fees,
    costs: d.costs,
    realizedPnl: realized,
    unrealizedChange,
  }
  check({ key: where, ...parts })
  return parts
}

function check(r: AttributionRow): void {
  const parts = sumOfParts(r)
  if (!parts.eq(r.netPnl)) {
    throw new InvariantViolation(`${r.key}: attribution parts sum to ${parts} but net P&L is ${r.netPnl}`)
  }
}

export interface AttributionOptions {
  /** Start of the UTC day. */
  readonly day: number
  readonly currency?: string | undefined
  readonly marks?: MarkTable | undefined
  readonly costs?: readonly CostRecord[] | undefined
}

export async function computeAttribution(store: Store, options: AttributionOptions): Promise<Attribution> {
  const period = dayPeriod(options.day)
  const replay = await replayPnl(store, {
    from: period.from,
    to: period.to,
    currency: options.currency,
    endMarks: options.marks,
    costs: options.costs,
  })
  return attribute(replay, period)
}

function rowJson(r: AttributionRow): AttributionRowJson {
  return {
    key: r.key,
    netPnl: r.netPnl.toString(),
    alpha: r.alpha.toString(),
    slippage: r.slippage.toString(),
    inventory: r.inventory.toString(),
    fees: r.fees.toString(),
    costs: r.costs.toString(),
    realizedPnl: r.realizedPnl.toString(),
    unrealizedChange: r.unrealizedChange.toString(),
  }
}

export function attributionJson(a: Attribution): AttributionJson {
  const start: Record<string, string> = {}
  for (const [k, v] of Object.entries(a.startMarks)) start[k] = v.toString()
  const end: Record<string, { price: string; source: string }> = {}
  for (const [k, v] of Object.entries(a.endMarks)) end[k] = { price: v.price.toString(), source: v.source }
  return {
    date: a.period.label,
    period: periodJson(a.period),
    currency: a.currency,
    formula: 'netPnl = alpha - slippage + inventory - fees - costs (exact)',
    totals: rowJson(a.totals),
    byStrategy: a.byStrategy.map(rowJson),
    byVenue: a.byVenue.map(rowJson),
    bySymbol: a.bySymbol.map(rowJson),
    byBook: a.byBook.map(rowJson),
    marks: { start, end },
  }
}

export function attributionRowCells(r: AttributionRow, places = 4): string[] {
  const t = (x: Decimal): string => x.toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN).toString()
  return [r.key, t(r.netPnl), t(r.alpha), t(r.slippage.neg()), t(r.inventory), t(r.fees.neg()), t(r.costs.neg())]
}

export const ATTRIBUTION_HEADER = ['', 'net', 'alpha', '−slippage', 'inventory', '−fees', '−costs']
