/**
 * @module ops/pnl/pnl
 * P&L accounting for a period: gross realized P&L (average cost), fees, other costs, net P&L, unrealized P&L at
 * the period-end marks, order outcomes with reasons, win rate and slippage against the decision price, by
 * strategy, venue, symbol and UTC day. Everything is exact Decimal; ratios (win rate) are numbers.
 *
 * - net P&L = realized (gross) − fees − costs; unrealized P&L = Σ position × end mark − cost basis.
 * - slippage of a fill, bps = (fill − decision) / decision × 10⁴ × (buy ? 1 : −1): worse is positive.
 *   A row's slippage in bps is volume-weighted: Σ s·a·(p − d) / Σ a·d × 10⁴ over fills with a decision price.
 * - win rate = closing fills whose realized P&L net of their own fee is > 0, over all closing fills.
 * - orders are counted in the period they were created: closed (filled), canceled, expired, rejected (by the
 *   venue), denied (by risk), open; fill rate = closed orders / orders that reached the venue (not denied).
 */
import { Decimal, InvariantViolation, ZERO } from '../../model/index.js'
import type { Store } from '../../store/index.js'
import type { CostRecord } from './costs.js'
import type { PnlJson, PnlRowJson } from './json-types.js'
import type { MarkTable } from './marks.js'
import { markKey } from './marks.js'
import type { Period } from './period.js'
import { periodJson } from './period.js'
import { ORDER_OUTCOMES, emptyOrderCounts, replayPnl } from './replay.js'
import type { FillPnl, OrderCounts, OrderOutcome, PnlCell, ReplayResult } from './replay.js'

const BPS = new Decimal(10_000)

/** A breakdown row (or the totals). Money in the report's currency. */
export interface PnlRow {
  /** The strategy, venue, symbol or day; `total` for the totals. */
  readonly key: string
  readonly fills: number
  readonly volume: Decimal
  readonly realizedPnl: Decimal
  readonly fees: Decimal
  readonly costs: Decimal
  /** realizedPnl − fees − costs. */
  readonly netPnl: Decimal
  /** At the period-end marks; undefined for day rows (positions are not split by day). */
  readonly unrealizedPnl: Decimal | undefined
  readonly closingFills: number
  readonly wins: number
  readonly losses: number
  /** wins / closing fills; undefined without closing fills. */
  readonly winRate: number | undefined
  /** Σ s·a·(p − d): > 0 cost us. */
  readonly slippageCost: Decimal
  /** Volume-weighted, worse positive; undefined without fills that have a decision price. */
  readonly slippageBps: Decimal | undefined
  readonly fillsWithDecision: number
  readonly adverseFills: number
  readonly orders: OrderCounts
}

export interface PnlSummary {
  readonly period: Period
  readonly currency: string
  readonly totals: PnlRow
  readonly byStrategy: readonly PnlRow[]
  readonly byVenue: readonly PnlRow[]
  readonly bySymbol: readonly PnlRow[]
  readonly byDay: readonly PnlRow[]
  readonly orderReasons: ReplayResult['orderReasons']
  /** Where the marks for unrealized P&L came from, and the marks of open positions. */
  readonly marks: { readonly source: string; readonly prices: Readonly<Record<string, Decimal>> }
  readonly excludedFills: number
  readonly unvaluedFees: ReadonlyMap<string, Decimal>
  readonly unvaluedCosts: number
  readonly fillsWithoutDecision: number
}

export interface PnlOptions {
  readonly period: Period
  readonly currency?: string | undefined
  readonly marks?: MarkTable | undefined
  /** Says where `marks` came from (a file name), for the output. */
  readonly marksSource?: string | undefined
  readonly costs?: readonly CostRecord[] | undefined
}

/** Slippage of one fill in bps, worse positive; undefined without a decision price. */
export function fillSlippageBps(side: 'buy' | 'sell', price: Decimal, decision: Decimal | undefined): Decimal | undefined {
  if (decision === undefined || decision.isZero()) return undefined
  const bps = price.sub(decision).div(decision).mul(BPS)
  return side === 'buy' ? bps : bps.neg()
}

interface Acc {
  fills: number
  volume: Decimal
  realizedPnl: Decimal
  fees: Decimal
  costs: Decimal
  unrealizedPnl: Decimal | undefined
  closingFills: number
  wins: number
  losses: number
  slippageCost: Decimal
  decisionNotional: Decimal
  fillsWithDecision: number
  adverseFills: number
  orders: OrderCounts
}

function emptyAcc(withUnrealized: boolean): Acc {
  return {
    fills: 0,
    volume: ZERO,
    realizedPnl: ZERO,
    fees: ZERO,
    costs: ZERO,
    unrealizedPnl: withUnrealized ? ZERO : undefined,
    closingFills: 0,
    wins: 0,
    losses: 0,
    slippageCost: ZERO,
    decisionNotional: ZERO,
    fillsWithDecision: 0,
    adverseFills: 0,
    orders: emptyOrderCounts(),
  }
}

function addCell(a: Acc, c: PnlCell): void {
  a.fills += c.fills
  a.volume = a.volume.add(c.volume)
  a.realizedPnl = a.realizedPnl.add(c.realizedPnl)
  a.fees = a.fees.add(c.fees)
  a.costs = a.costs.add(c.costs)
  a.closingFills += c.closingFills
  a.wins += c.wins
  a.losses += c.losses
  a.slippageCost = a.slippageCost.add(c.slippageCost)
  a.decisionNotional = a.decisionNotional.add(c.decisionNotional)
  a.fillsWithDecision += c.fillsWithDecision
  a.adverseFills += c.adverseFills
  for (const o of ORDER_OUTCOMES) a.orders[o] += c.orders[o]
}

function toRow(key: string, a: Acc): PnlRow {
  return {
    key,
    fills: a.fills,
    volume: a.volume,
    realizedPnl: a.realizedPnl,
    fees: a.fees,
    costs: a.costs,
    netPnl: a.realizedPnl.sub(a.fees).sub(a.costs),
    unrealizedPnl: a.unrealizedPnl,
    closingFills: a.closingFills,
    wins: a.wins,
    losses: a.losses,
    winRate: a.closingFills > 0 ? a.wins / a.closingFills : undefined,
    slippageCost: a.slippageCost,
    slippageBps: a.decisionNotional.isZero() ? undefined : a.slippageCost.div(a.decisionNotional).mul(BPS),
    fillsWithDecision: a.fillsWithDecision,
    adverseFills: a.adverseFills,
    orders: a.orders,
  }
}

function group(replay: ReplayResult, keyOf: (c: { strategyId: string; venue: string; symbol: string }) => string, withUnrealized: boolean): PnlRow[] {
  const accs = new Map<string, Acc>()
  const acc = (key: string): Acc => {
    let a = accs.get(key)
    if (a === undefined) {
      a = emptyAcc(withUnrealized)
      accs.set(key, a)
    }
    return a
  }
  for (const c of replay.cells) addCell(acc(keyOf(c)), c)
  if (withUnrealized) {
    for (const b of replay.endBooks.values()) {
      const u = unrealized(replay, b.venue, b.symbol, b.amount, b.costBasis)
      if (u.isZero()) continue
      const a = acc(keyOf(b))
      a.unrealizedPnl = (a.unrealizedPnl ?? ZERO).add(u)
    }
  }
  return [...accs].sort(([a], [b]) => a.localeCompare(b)).map(([key, a]) => toRow(key, a))
}

/** amount × end mark − cost basis (zero when flat). */
export function unrealized(replay: ReplayResult, venue: string, symbol: string, amount: Decimal, costBasis: Decimal): Decimal {
  if (amount.isZero()) return ZERO
  const mark = replay.endMarks.get(markKey(venue, symbol))
  // A position implies a fill, so a mark always exists; its absence is corrupt state.
  if (mark === undefined) throw new InvariantViolation(`pnl: position in ${symbol} on ${venue} but no fill price to mark it`)
  return amount.mul(mark.price).sub(costBasis)
}

/** Rolls a replay up into the P&L summary. */
export function summarizePnl(replay: ReplayResult, period: Period, marksSource?: string): PnlSummary {
  const total = emptyAcc(true)
  for (const c of replay.cells) addCell(total, c)
  const prices: Record<string, Decimal> = {}
  let fromFile = false
  for (const b of replay.endBooks.values()) {
    if (b.amount.isZero()) continue
    total.unrealizedPnl = total.unrealizedPnl!.add(unrealized(replay, b.venue, b.symbol, b.amount, b.costBasis))
    const key = markKey(b.venue, b.symbol)
    const m = replay.endMarks.get(key)!
    prices[key] = m.price
    if (m.source === 'file') fromFile = true
  }
  const lastFill = 'last fill price per venue:symbol in the store at or before the period end'
  return {
    period,
    currency: replay.currency,
    totals: toRow('total', total),
    byStrategy: group(replay, (c) => c.strategyId, true),
    byVenue: group(replay, (c) => c.venue, true),
    bySymbol: group(replay, (c) => c.symbol, true),
    byDay: dayRows(replay),
    orderReasons: replay.orderReasons,
    marks: { source: fromFile && marksSource !== undefined ? `${marksSource} (else ${lastFill})` : lastFill, prices },
    excludedFills: replay.excludedFills,
    unvaluedFees: replay.unvaluedFees,
    unvaluedCosts: replay.costs.filter((c) => c.value === undefined).length,
    fillsWithoutDecision: replay.fillsWithoutDecision,
  }
}

function dayRows(replay: ReplayResult): PnlRow[] {
  const accs = new Map<string, Acc>()
  for (const c of replay.cells) {
    let a = accs.get(c.day)
    if (a === undefined) {
      a = emptyAcc(false)
      accs.set(c.day, a)
    }
    addCell(a, c)
  }
  return [...accs].sort(([a], [b]) => a.localeCompare(b)).map(([key, a]) => toRow(key, a))
}

/** Replays the store for the period and summarizes it. */
export async function computePnl(store: Store, options: PnlOptions): Promise<PnlSummary> {
  const replay = await replayPnl(store, {
    from: options.period.from,
    to: options.period.to,
    currency: options.currency,
    endMarks: options.marks,
    costs: options.costs,
  })
  return summarizePnl(replay, options.period, options.marksSource)
}

/** Fill rate: closed (fully filled) orders over orders that reached the venue (all but those denied by risk). */
export function fillRate(orders: OrderCounts): number | undefined {
  const reached = orders.closed + orders.canceled + orders.expired + orders.rejected + orders.open
  return reached > 0 ? orders.closed / reached : undefined
}

function dstr(x: Decimal | undefined): string | null {
  return x === undefined ? null : x.toString()
}

/** Rounds for display: at most `places` decimals, trailing zeros dropped. */
export function roundText(x: Decimal | undefined, places = 8): string {
  return x === undefined ? '-' : x.toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN).toString()
}

export function pnlRowJson(r: PnlRow): PnlRowJson {
  return {
    key: r.key,
    fills: r.fills,
    volume: r.volume.toString(),
    realizedPnl: r.realizedPnl.toString(),
    fees: r.fees.toString(),
    costs: r.costs.toString(),
    netPnl: r.netPnl.toString(),
    unrealizedPnl: dstr(r.unrealizedPnl),
    closingFills: r.closingFills,
    wins: r.wins,
    losses: r.losses,
    winRate: r.winRate ?? null,
    slippageCost: r.slippageCost.toString(),
    slippageBps: r.slippageBps === undefined ? null : roundText(r.slippageBps, 4),
    fillsWithDecision: r.fillsWithDecision,
    adverseFills: r.adverseFills,
    orders: r.orders,
    fillRate: fillRate(r.orders) ?? null,
  }
}

export function pnlJson(s: PnlSummary): PnlJson {
  const prices: Record<string, string> = {}
  for (const [k, v] of Object.entries(s.marks.prices)) prices[k] = v.toString()
  const unvaluedFees: Record<string, string> = {}
  for (const [k, v] of s.unvaluedFees) unvaluedFees[k] = v.toString()
  return {
    period: periodJson(s.period),
    currency: s.currency,
    totals: pnlRowJson(s.totals),
    byStrategy: s.byStrategy.map(pnlRowJson),
    byVenue: s.byVenue.map(pnlRowJson),
    bySymbol: s.bySymbol.map(pnlRowJson),
    byDay: s.byDay.map(pnlRowJson),
    orderReasons: s.orderReasons,
    marks: { source: s.marks.source, prices },
    excludedFills: s.excludedFills,
    unvaluedFees,
    unvaluedCosts: s.unvaluedCosts,
    fillsWithoutDecision: s.fillsWithoutDecision,
  }
}

/** A plain-text table with right-aligned numbers. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n'
}

/** The columns of a P&L table, each with its heading and how a row fills it (amounts rounded for reading). */
const PNL_COLUMNS: readonly (readonly [string, (r: PnlRow) => string])[] = [
  ['', (r) => r.key],
  ['fills', (r) => String(r.fills)],
  ['volume', (r) => roundText(r.volume, 2)],
  ['realized', (r) => roundText(r.realizedPnl, 4)],
  ['fees', (r) => roundText(r.fees, 4)],
  ['costs', (r) => roundText(r.costs, 4)],
  ['net', (r) => roundText(r.netPnl, 4)],
  ['unrealized', (r) => roundText(r.unrealizedPnl, 4)],
  ['win rate', (r) => (r.winRate === undefined ? '-' : `${(r.winRate * 100).toFixed(1)}%`)],
  ['slip bps', (r) => roundText(r.slippageBps, 2)],
  ['orders ok/fail', (r) => `${r.orders.closed}/${r.orders.rejected + r.orders.denied}`],
]

/**
 * P&L rows as a table of the named columns (every column when none are named), one row per entry and the
 * totals last: the header and the rows' cells, for text, Markdown and HTML alike.
 */
export function pnlTable(
  rows: readonly PnlRow[],
  totals: PnlRow,
  names?: readonly string[],
): { header: string[]; rows: string[][] } {
  const columns = names === undefined ? PNL_COLUMNS : PNL_COLUMNS.filter(([name]) => names.includes(name))
  return {
    header: columns.map(([name]) => name),
    rows: [...rows, totals].map((r) => columns.map(([, cell]) => cell(r))),
  }
}

/** The P&L summary as text tables (amounts rounded for reading; --json keeps every digit). */
export function formatPnl(s: PnlSummary): string {
  const p = periodJson(s.period)
  let out = `P&L ${s.period.label} (UTC ${p.from ?? 'start'} → ${p.to ?? 'end'}) in ${s.currency}\n`
  out += `net ${s.totals.netPnl} = realized ${s.totals.realizedPnl} − fees ${s.totals.fees} − costs ${s.totals.costs}; unrealized ${s.totals.unrealizedPnl?.toString() ?? '0'}\n`
  out += `marks for unrealized P&L: ${s.marks.source}\n`
  const section = (title: string, rows: readonly PnlRow[]): string => {
    const table = pnlTable(rows, s.totals)
    return `\n${title}\n${textTable([title.replace(/^by /, ''), ...table.header.slice(1)], table.rows)}`
  }
  out += section('by strategy', s.byStrategy)
  out += section('by venue', s.byVenue)
  out += section('by symbol', s.bySymbol)
  out += section('by day', s.byDay)
  const o = s.totals.orders
  out += `\norders: ${o.closed} closed, ${o.canceled} canceled, ${o.expired} expired, ${o.rejected} rejected, ${o.denied} denied, ${o.open} open\n`
  for (const r of s.orderReasons) out += `  ${r.state} ×${r.count}: ${r.reason}\n`
  if (s.fillsWithoutDecision > 0) out += `${s.fillsWithoutDecision} fills had no decision price (slippage counted as 0)\n`
  if (s.excludedFills > 0) out += `${s.excludedFills} fills in other quote currencies left out\n`
  for (const [c, v] of s.unvaluedFees) out += `fees of ${v} ${c} could not be valued in ${s.currency} (left out)\n`
  if (s.unvaluedCosts > 0) out += `${s.unvaluedCosts} costs could not be valued in ${s.currency} (left out)\n`
  return out
}

/** Per-fill slippage for CSV rows and top lists. */
export function rowSlippageBps(r: FillPnl): Decimal | undefined {
  return fillSlippageBps(r.fill.side, r.price, r.decisionPrice)
}

export type { OrderOutcome }
