/**
 * @module ops/pnl/replay
 * The one pass every P&L report is built from: the store's fills are replayed, in time order, through a fresh
 * {@link Ledger} (the one implementation of average cost), deposits and costs interleaved by time. Fills before
 * the window only build positions; fills inside it are measured and summed into cells of
 * (strategy, venue, symbol, UTC day), which the reports then roll up any way they like.
 *
 * Realized P&L is the strategy books' (each strategy's own average cost), so that every breakdown adds up to
 * the same total; where two strategies trade one symbol, the account's pooled average cost would realize a
 * different split between realized and unrealized (see Ledger.totals).
 *
 * Money is in one quote currency (`currency`, default the quote of the first fill). Fills quoted in another
 * currency still move the ledger but are left out of the sums and counted in `excludedFills`.
 */
import { Decimal, InputError, InvariantViolation, ZERO, fillKey, makeInstrument, parseSymbol } from '../../model/index.js'
import type { Instrument, OrderState } from '../../model/index.js'
import { Ledger } from '../../ledger/index.js'
import type { ClosedTrade } from '../../ledger/index.js'
import { fillTrade } from '../../store/index.js'
import type { Store, StoredDeposit, StoredFill } from '../../store/index.js'
import type { CostRecord } from './costs.js'
import type { OrderCounts, OrderOutcome } from './json-types.js'
import { reportSource } from './source.js'
import type { OrderGroup, ReportFill, ReportSource } from './source.js'
import { lookupMark, markKey } from './marks.js'
import type { MarkTable } from './marks.js'
import { DAY_MS, utcDate } from './period.js'

const SEP = '\u0001'
/** Tag of a breakdown row that a cost did not name (an untagged gas fee has no symbol). */
export const UNTAGGED = '-'
/** Drain the ledger's closed trades at least this often; must stay below its `maxClosedTrades`. */
const DRAIN_EVERY = 4096
const MAX_CLOSED = 10_000

export { ORDER_OUTCOMES } from './json-types.js'
export type { OrderCounts, OrderOutcome } from './json-types.js'

export function emptyOrderCounts(): OrderCounts {
  return { closed: 0, canceled: 0, expired: 0, rejected: 0, denied: 0, open: 0 }
}

function outcomeOf(state: OrderState): OrderOutcome {
  switch (state) {
    case 'closed':
    case 'canceled':
    case 'expired':
    case 'rejected':
    case 'denied':
      return state
    case 'created':
    case 'submitted':
    case 'open':
    case 'pending_cancel':
      return 'open'
  }
}

/** Sums over the fills, orders and costs of one (strategy, venue, symbol, UTC day). */
export interface PnlCell {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly day: string
  fills: number
  /** Σ cost (quote notional). */
  volume: Decimal
  /** Gross realized P&L, average cost. */
  realizedPnl: Decimal
  /** Trading fees valued in the currency at fill time. */
  fees: Decimal
  /** Other costs (network, gas, funding …), valued in the currency. */
  costs: Decimal
  closingFills: number
  /** Closing fills whose realized P&L net of their fee is > 0 (< 0 for losses). */
  wins: number
  losses: number
  /** Σ s·a (s = +1 buy, −1 sell). */
  signedAmount: Decimal
  /** Σ s·a·p. */
  signedCost: Decimal
  /** Σ s·a·d, with d = the order's decision price (the fill price where the order has none). */
  signedDecisionCost: Decimal
  /** Σ a·d over fills with a decision price: the weight of the volume-weighted slippage in bps. */
  decisionNotional: Decimal
  /** Σ s·a·(p − d): what slippage cost; > 0 is worse. */
  slippageCost: Decimal
  fillsWithDecision: number
  adverseFills: number
  orders: OrderCounts
}

/** One fill of the window with what it did. */
export interface FillPnl {
  readonly fill: StoredFill
  readonly price: Decimal
  readonly amount: Decimal
  /** Fee valued in the currency; undefined when it could not be valued (no mark for its currency). */
  readonly fee: Decimal | undefined
  readonly decisionPrice: Decimal | undefined
  /** Gross realized P&L of this fill (zero unless it reduced a position). */
  realizedPnl: Decimal
  closing: boolean
}

/** A strategy book at a point in time. */
export interface BookState {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly amount: Decimal
  readonly costBasis: Decimal
  readonly realizedPnl: Decimal
}

export interface EquitySamplePoint {
  readonly timestamp: number
  /** Balances valued at the marks of the time, minus the window's costs so far. */
  readonly equity: Decimal
}

export interface ValuedCost {
  readonly record: CostRecord
  /** In the currency; undefined when it could not be valued. */
  readonly value: Decimal | undefined
}

export interface ReplayOptions {
  /** Window start, inclusive (undefined: from the first fill). */
  readonly from?: number | undefined
  /** Window end, exclusive (undefined: no end). */
  readonly to?: number | undefined
  /** Quote currency the money is in; default the quote of the first fill. */
  readonly currency?: string | undefined
  /** Marks at the window end that override the last fill prices. */
  readonly endMarks?: MarkTable | undefined
  readonly costs?: readonly CostRecord[] | undefined
  /** Keep one FillPnl per window fill (CSV export). */
  readonly keepFills?: boolean
  /** Keep the best and worst this-many closing fills by realized P&L net of their fee. */
  readonly topFills?: number
  /** Sample an equity curve of about this many points over the window (needs `from` and `to`). */
  readonly equityPoints?: number
}

export interface ReplayResult {
  readonly currency: string
  readonly from: number | undefined
  readonly to: number | undefined
  readonly cells: readonly PnlCell[]
  /** Strategy books at the window start and end, by (strategy, venue, symbol) key. */
  readonly startBooks: ReadonlyMap<string, BookState>
  readonly endBooks: ReadonlyMap<string, BookState>
  /** "venue:symbol" → last fill price before the window. */
  readonly startMarks: ReadonlyMap<string, Decimal>
  /** "venue:symbol" → mark at the window end, and where it came from. */
  readonly endMarks: ReadonlyMap<string, { readonly price: Decimal; readonly source: 'file' | 'last_fill' }>
  readonly fills: readonly FillPnl[]
  /** Closing fills with the highest net (> 0) and lowest net (< 0), best (worst) first; see `topFills`. */
  readonly topWinners: readonly FillPnl[]
  readonly topLosers: readonly FillPnl[]
  /** Non-closed orders of the window by state and reason. */
  readonly orderReasons: readonly { readonly state: OrderOutcome; readonly reason: string; readonly count: number }[]
  readonly equity: readonly EquitySamplePoint[]
  readonly costs: readonly ValuedCost[]
  readonly excludedFills: number
  readonly otherQuotes: readonly string[]
  /** Fees that could not be valued in the currency, per fee currency. */
  readonly unvaluedFees: ReadonlyMap<string, Decimal>
  /** Fills of the window with no decision price on their order (their slippage counts as zero). */
  readonly fillsWithoutDecision: number
}

export function bookKey(strategyId: string, venue: string, symbol: string): string {
  return strategyId + SEP + venue + SEP + symbol
}

/** The sums of one side (buys or sells) of a cell. */
interface SideSums {
  cost: Decimal
  amount: Decimal
  /** Σ a·d and Σ a·p over the fills that have a decision price. */
  decisionCost: Decimal
  costWithDecision: Decimal
}

function newSideSums(): SideSums {
  return { cost: ZERO, amount: ZERO, decisionCost: ZERO, costWithDecision: ZERO }
}

/** A cell while the replay fills it: the counts of a PnlCell, with buys and sells apart. */
interface CellAcc
  extends Pick<
    PnlCell,
    | 'strategyId'
    | 'venue'
    | 'symbol'
    | 'day'
    | 'fills'
    | 'realizedPnl'
    | 'fees'
    | 'costs'
    | 'closingFills'
    | 'wins'
    | 'losses'
    | 'fillsWithDecision'
    | 'adverseFills'
    | 'orders'
  > {
  readonly buy: SideSums
  readonly sell: SideSums
}

function newCell(strategyId: string, venue: string, symbol: string, day: string): CellAcc {
  return {
    strategyId,
    venue,
    symbol,
    day,
    fills: 0,
    realizedPnl: ZERO,
    fees: ZERO,
    costs: ZERO,
    closingFills: 0,
    wins: 0,
    losses: 0,
    buy: newSideSums(),
    sell: newSideSums(),
    fillsWithDecision: 0,
    adverseFills: 0,
    orders: emptyOrderCounts(),
  }
}

function toCell(c: CellAcc): PnlCell {
  const { buy, sell } = c
  const signedCost = buy.cost.sub(sell.cost)
  const signedDecisionWith = buy.decisionCost.sub(sell.decisionCost)
  const signedCostWith = buy.costWithDecision.sub(sell.costWithDecision)
  return {
    strategyId: c.strategyId,
    venue: c.venue,
    symbol: c.symbol,
    day: c.day,
    fills: c.fills,
    volume: buy.cost.add(sell.cost),
    realizedPnl: c.realizedPnl,
    fees: c.fees,
    costs: c.costs,
    closingFills: c.closingFills,
    wins: c.wins,
    losses: c.losses,
    signedAmount: buy.amount.sub(sell.amount),
    signedCost,
    // Fills without a decision price count at their own price: zero slippage.
    signedDecisionCost: signedDecisionWith.add(signedCost.sub(signedCostWith)),
    decisionNotional: buy.decisionCost.add(sell.decisionCost),
    slippageCost: signedCostWith.sub(signedDecisionWith),
    fillsWithDecision: c.fillsWithDecision,
    adverseFills: c.adverseFills,
    orders: c.orders,
  }
}

/**
 * Decimals of strings that repeat (prices, order sizes, decision prices), parsed once: Decimal instances are
 * immutable, so sharing them is safe, and a map lookup is far cheaper than parsing. Bounded: cleared when full.
 */
class DecimalCache {
  private readonly map = new Map<string, Decimal>()
  constructor(private readonly max: number) {}

  get(value: string, what: () => string): Decimal {
    let d = this.map.get(value)
    if (d === undefined) {
      d = parseDecimal(value, what())
      if (this.map.size >= this.max) this.map.clear()
      this.map.set(value, d)
    }
    return d
  }
}

function parseDecimal(value: string, what: string): Decimal {
  try {
    return new Decimal(value)
  } catch (error) {
    throw new InvariantViolation(`stored ${what} '${value}' is not a decimal`, { cause: error })
  }
}

/** Replays the store (see the module header); `source` defaults to the fastest reader for the store. */
export async function replayPnl(store: Store, options: ReplayOptions = {}, source: ReportSource = reportSource(store)): Promise<ReplayResult> {
  const r = new Replay(options)
  const [orders, deposits] = await Promise.all([source.orderGroups(options.from, options.to), source.deposits()])
  r.setOrders(orders)
  r.setDeposits(deposits)
  for await (const batch of source.fills(options.to)) {
    for (const f of batch) r.fill(f)
  }
  return r.finish()
}

/** The replay's state machine; exported for tests that feed fills without a store. */
export class Replay {
  // The store's (venue, trade id) key already refuses duplicates: the ledger need not remember 100,000 of them.
  private readonly ledger = new Ledger({ maxClosedTrades: MAX_CLOSED, duplicateWindow: 16 })
  private readonly from: number
  private readonly to: number
  private currency: string | undefined
  private readonly instruments = new Map<string, Instrument>()
  private orderGroups: readonly OrderGroup[] = []
  private deposits: StoredDeposit[] = []
  private depositAt = 0
  private readonly costs: CostRecord[]
  private costAt = 0
  private readonly cells = new Map<string, CellAcc>()
  /** symbol → venue → last fill price. */
  private readonly lastPrice = new Map<string, Map<string, Decimal>>()
  private inWindow = false
  private startBooks = new Map<string, BookState>()
  private startMarks = new Map<string, Decimal>()
  private lastClosed: ClosedTrade | undefined
  private sinceDrain = 0
  /** fillKey(venue, tradeId, side) → the window fill awaiting its realized P&L (until the next drain). */
  private pending = new Map<string, { cell: CellAcc; row: FillPnl }>()
  private readonly winners: { row: FillPnl; net: Decimal }[] = []
  private readonly losers: { row: FillPnl; net: Decimal }[] = []
  private readonly rows: FillPnl[] = []
  private readonly reasons = new Map<string, { state: OrderOutcome; reason: string; count: number }>()
  private readonly equity: EquitySamplePoint[] = []
  private readonly equityBucket: number
  private nextSample = Number.POSITIVE_INFINITY
  private lastWindowTs: number | undefined
  private windowCosts = ZERO
  private readonly valuedCosts: ValuedCost[] = []
  private excluded = 0
  private readonly quotes = new Set<string>()
  private readonly unvaluedFees = new Map<string, Decimal>()
  private withoutDecision = 0
  private dayStart = Number.NaN
  private readonly decimals = new DecimalCache(50_000)
  private dayText = ''

  constructor(private readonly options: ReplayOptions) {
    this.from = options.from ?? Number.NEGATIVE_INFINITY
    this.to = options.to ?? Number.POSITIVE_INFINITY
    this.currency = options.currency
    this.costs = [...(options.costs ?? [])].sort((a, b) => a.ts - b.ts)
    const points = options.equityPoints ?? 0
    this.equityBucket = points > 0 && options.from !== undefined && options.to !== undefined ? Math.max(1, Math.floor((options.to - options.from) / points)) : 0
  }

  /** The window's orders, grouped (see ReportSource.orderGroups). */
  setOrders(groups: readonly OrderGroup[]): void {
    this.orderGroups = groups
  }

  setDeposits(deposits: readonly StoredDeposit[]): void {
    this.deposits = [...deposits].sort((a, b) => a.ts - b.ts)
  }

  /** Feeds one fill; fills must come in time order. */
  fill(f: ReportFill): void {
    if (f.timestamp >= this.to) return
    this.advance(f.timestamp)
    const inst = this.instrument(f.symbol)
    this.currency ??= inst.quote
    const measured = this.inWindow && inst.quote === this.currency
    if (this.inWindow && !measured) {
      this.excluded++
      this.quotes.add(inst.quote)
    }
    const price = this.decimals.get(f.price, () => `price of fill ${f.tradeId}`)
    const amount = this.decimals.get(f.amount, () => `amount of fill ${f.tradeId}`)
    const cost = parseDecimal(f.cost, `cost of fill ${f.tradeId}`)
    const feeCost = parseDecimal(f.feeCost, `fee of fill ${f.tradeId}`)
    const feeOther = f.feeCurrency !== inst.quote && f.feeCurrency !== inst.base && !feeCost.isZero()
    if (feeOther) this.markFeeCurrency(f.venue, f.feeCurrency, inst.quote)
    this.ledger.applyFill(fillTrade(f, { price, amount, cost, feeCost }), inst, f.strategyId)
    this.setLastPrice(f.venue, f.symbol, price)
    if (measured) this.measure(f, inst, price, amount, cost, feeCost, feeOther)
    if (++this.sinceDrain >= DRAIN_EVERY) this.drain()
  }

  private measure(f: ReportFill, inst: Instrument, price: Decimal, amount: Decimal, cost: Decimal, feeCost: Decimal, feeOther: boolean): void {
    // The ledger's valuation of the fee, repeated here because it reports it only for closing fills.
    let fee: Decimal | undefined
    if (feeCost.isZero() || f.feeCurrency === inst.quote) fee = feeCost
    else if (f.feeCurrency === inst.base) fee = feeCost.mul(price)
    else {
      const rate = feeOther ? this.ledger.markDecimal(f.venue, `${f.feeCurrency}/${inst.quote}`) : undefined
      if (rate !== undefined) fee = feeCost.mul(rate)
      else this.unvaluedFees.set(f.feeCurrency, (this.unvaluedFees.get(f.feeCurrency) ?? ZERO).add(feeCost))
    }
    const buy = f.side === 'buy'
    const cell = this.cell(f.strategyId, f.venue, f.symbol, f.timestamp)
    // Buys and sells are summed apart and combined once at the end: fewer Decimal operations per fill.
    cell.fills++
    if (fee !== undefined) cell.fees = cell.fees.add(fee)
    const sums = buy ? cell.buy : cell.sell
    sums.cost = sums.cost.add(cost)
    sums.amount = sums.amount.add(amount)
    const rawDecision = f.decisionPrice
    let decisionPrice: Decimal | undefined
    if (rawDecision !== null) {
      decisionPrice = this.decimals.get(rawDecision, () => `decision price of order ${f.clientOrderId}`)
      if (!decisionPrice.gt(0)) decisionPrice = undefined
    }
    if (decisionPrice === undefined) this.withoutDecision++
    else {
      const decisionCost = decisionPrice.mul(amount)
      sums.decisionCost = sums.decisionCost.add(decisionCost)
      sums.costWithDecision = sums.costWithDecision.add(cost)
      cell.fillsWithDecision++
      if (buy ? cost.gt(decisionCost) : cost.lt(decisionCost)) cell.adverseFills++
    }
    const row: FillPnl = { fill: f, price, amount, fee, decisionPrice, realizedPnl: ZERO, closing: false }
    if (this.options.keepFills === true) this.rows.push(row)
    this.pending.set(fillKey(f.venue, f.tradeId, f.side), { cell, row })
    this.lastWindowTs = f.timestamp
    if (f.timestamp >= this.nextSample) {
      this.sample(f.timestamp)
      this.nextSample = f.timestamp + this.equityBucket
    }
  }

  /** Applies deposits and costs up to `ts`, and opens the window when `ts` reaches it. */
  private advance(ts: number): void {
    if (!this.inWindow && ts >= this.from) this.openWindow()
    while (this.depositAt < this.deposits.length && this.deposits[this.depositAt]!.ts <= ts) this.deposit(this.deposits[this.depositAt++]!)
    while (this.costAt < this.costs.length && this.costs[this.costAt]!.ts <= ts) this.cost(this.costs[this.costAt++]!)
  }

  private openWindow(): void {
    // Deposits and costs strictly before the window belong to the state it starts from.
    while (this.depositAt < this.deposits.length && this.deposits[this.depositAt]!.ts < this.from) this.deposit(this.deposits[this.depositAt++]!)
    while (this.costAt < this.costs.length && this.costs[this.costAt]!.ts < this.from) this.costAt++
    this.drain()
    this.inWindow = true
    this.startBooks = this.books()
    this.startMarks = this.marksNow()
    if (this.equityBucket > 0) {
      this.sample(this.from)
      this.nextSample = this.from + this.equityBucket
    }
  }

  private deposit(d: StoredDeposit): void {
    const amount = parseDecimal(d.amount, `deposit ${d.id ?? ''} amount`)
    if (amount.isPos() && !amount.isZero()) this.ledger.deposit(d.venue, d.asset, amount)
    else if (amount.isNeg() && !amount.isZero()) this.ledger.withdraw(d.venue, d.asset, amount.neg())
  }

  private cost(c: CostRecord): void {
    if (c.ts < this.from || c.ts >= this.to) return
    // Currency is known once a fill has been seen; a cost before any fill takes the option's or its own.
    const currency = (this.currency ??= c.currency)
    let value: Decimal | undefined
    if (c.currency === currency) value = c.amount
    else {
      const byVenue = this.lastPrice.get(`${c.currency}/${currency}`)
      const rate = byVenue === undefined ? undefined : ((c.venue === undefined ? undefined : byVenue.get(c.venue)) ?? byVenue.values().next().value)
      if (rate !== undefined) value = c.amount.mul(rate)
    }
    this.valuedCosts.push({ record: c, value })
    if (value === undefined) return
    const cell = this.cell(c.strategyId ?? UNTAGGED, c.venue ?? UNTAGGED, c.symbol ?? UNTAGGED, c.ts)
    cell.costs = cell.costs.add(value)
    this.windowCosts = this.windowCosts.add(value)
  }

  private cell(strategyId: string, venue: string, symbol: string, ts: number): CellAcc {
    // Fills come in time order: the day's text is computed once per day, not per fill.
    if (!(ts >= this.dayStart && ts < this.dayStart + DAY_MS)) {
      this.dayStart = Math.floor(ts / DAY_MS) * DAY_MS
      this.dayText = utcDate(ts)
    }
    return this.cellOfDay(strategyId, venue, symbol, this.dayText)
  }

  private cellOfDay(strategyId: string, venue: string, symbol: string, day: string): CellAcc {
    const key = strategyId + SEP + venue + SEP + symbol + SEP + day
    let cell = this.cells.get(key)
    if (cell === undefined) {
      cell = newCell(strategyId, venue, symbol, day)
      this.cells.set(key, cell)
    }
    return cell
  }

  private instrument(symbol: string): Instrument {
    let inst = this.instruments.get(symbol)
    if (inst === undefined) {
      parseSymbol(symbol)
      // Only symbol, base and quote matter to the ledger; tick and step are placeholders.
      inst = makeInstrument({ symbol, tickSize: '1e-18', stepSize: '1e-18' })
      this.instruments.set(symbol, inst)
    }
    return inst
  }

  private setLastPrice(venue: string, symbol: string, price: Decimal): void {
    let byVenue = this.lastPrice.get(symbol)
    if (byVenue === undefined) {
      byVenue = new Map()
      this.lastPrice.set(symbol, byVenue)
    }
    byVenue.set(venue, price)
  }

  private markFeeCurrency(venue: string, currency: string, quote: string): void {
    const symbol = `${currency}/${quote}`
    const byVenue = this.lastPrice.get(symbol)
    if (byVenue === undefined) return
    const venueForMark = byVenue.has(venue) ? venue : byVenue.keys().next().value!
    this.ledger.mark(venueForMark, symbol, byVenue.get(venueForMark)!.toNumber())
  }

  private marksNow(): Map<string, Decimal> {
    const out = new Map<string, Decimal>()
    for (const [symbol, byVenue] of this.lastPrice) for (const [venue, price] of byVenue) out.set(markKey(venue, symbol), price)
    return out
  }

  private books(): Map<string, BookState> {
    const out = new Map<string, BookState>()
    for (const b of this.ledger.strategyPositions()) {
      if (b.quote !== this.currency) continue
      const strategyId = b.strategyId!
      out.set(bookKey(strategyId, b.venue, b.symbol), {
        strategyId,
        venue: b.venue,
        symbol: b.symbol,
        amount: b.amount,
        costBasis: b.costBasis,
        realizedPnl: b.realizedPnl,
      })
    }
    return out
  }

  private sample(ts: number): void {
    for (const [symbol, byVenue] of this.lastPrice) for (const [venue, price] of byVenue) this.ledger.mark(venue, symbol, price.toNumber())
    const value = this.ledger.equity(this.currency ?? this.ledger.reportingCurrency).total.sub(this.windowCosts)
    const last = this.equity[this.equity.length - 1]
    if (last !== undefined && last.timestamp === ts) this.equity[this.equity.length - 1] = { timestamp: ts, equity: value }
    else this.equity.push({ timestamp: ts, equity: value })
  }

  /** Collects the realized P&L of the closing fills applied since the last drain. */
  private drain(): void {
    this.sinceDrain = 0
    const list = this.ledger.closedTrades()
    let start = 0
    if (this.lastClosed !== undefined) {
      const at = list.lastIndexOf(this.lastClosed)
      if (at < 0 && list.length > 0) throw new InvariantViolation('pnl replay: closed trades were dropped before they were read')
      start = at + 1
    }
    if (list.length > 0) this.lastClosed = list[list.length - 1]
    for (let i = start; i < list.length; i++) {
      const t = list[i]!
      const p = this.pending.get(fillKey(t.venue, t.tradeId, t.side))
      if (p === undefined) continue // before the window, or in another currency
      const cell = p.cell
      cell.realizedPnl = cell.realizedPnl.add(t.realizedGross)
      cell.closingFills++
      const net = p.row.fee === undefined ? t.realizedGross : t.realizedGross.sub(p.row.fee)
      if (net.isPos() && !net.isZero()) {
        cell.wins++
        this.keepTop(this.winners, p.row, net, 1)
      } else if (net.isNeg() && !net.isZero()) {
        cell.losses++
        this.keepTop(this.losers, p.row, net, -1)
      }
      p.row.realizedPnl = t.realizedGross
      p.row.closing = true
    }
    this.pending = new Map()
  }

  /** Keeps `list` the top `topFills` by net × sign, best first; earlier fills win ties. */
  private keepTop(list: { row: FillPnl; net: Decimal }[], row: FillPnl, net: Decimal, sign: 1 | -1): void {
    const n = this.options.topFills ?? 0
    if (n <= 0) return
    const last = list[list.length - 1]
    if (list.length >= n && last !== undefined && net.cmp(last.net) * sign <= 0) return
    let at = list.length
    while (at > 0 && net.cmp(list[at - 1]!.net) * sign > 0) at--
    list.splice(at, 0, { row, net })
    if (list.length > n) list.pop()
  }

  finish(): ReplayResult {
    if (!this.inWindow) this.openWindow()
    this.advance(Math.min(this.to - 1, Number.MAX_SAFE_INTEGER))
    this.drain()
    // Orders of the window, by the UTC day they were created.
    for (const g of this.orderGroups) {
      if (this.currency !== undefined && parseSymbol(g.symbol).quote !== this.currency) continue
      const outcome = outcomeOf(g.state)
      this.cellOfDay(g.strategyId, g.venue, g.symbol, g.day).orders[outcome] += g.count
      if (outcome !== 'closed' && outcome !== 'open') {
        const reason = g.reason ?? '(no reason given)'
        const key = outcome + SEP + reason
        const entry = this.reasons.get(key)
        if (entry === undefined) this.reasons.set(key, { state: outcome, reason, count: g.count })
        else entry.count += g.count
      }
    }
    if (this.equityBucket > 0) {
      const end = this.lastWindowTs ?? this.from
      this.sample(end)
    }
    const endMarks = new Map<string, { price: Decimal; source: 'file' | 'last_fill' }>()
    for (const [key, price] of this.marksNow()) endMarks.set(key, { price, source: 'last_fill' })
    const override = this.options.endMarks
    if (override !== undefined) {
      for (const b of this.ledger.strategyPositions()) {
        const m = lookupMark(override, b.venue, b.symbol)
        if (m !== undefined) endMarks.set(markKey(b.venue, b.symbol), { price: m, source: 'file' })
      }
    }
    if (this.options.currency === undefined && this.quotes.size > 0) {
      throw new InputError(
        `fills are quoted in ${[this.currency, ...this.quotes].join(' and ')}: pass --currency to choose the one to report in`,
      )
    }
    return {
      currency: this.currency ?? this.options.currency ?? this.ledger.reportingCurrency,
      from: this.options.from,
      to: this.options.to,
      cells: [...this.cells.values()].map(toCell),
      startBooks: this.startBooks,
      endBooks: this.books(),
      startMarks: this.startMarks,
      endMarks,
      fills: this.rows,
      topWinners: this.winners.map((w) => w.row),
      topLosers: this.losers.map((w) => w.row),
      orderReasons: [...this.reasons.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
      equity: this.equity,
      costs: this.valuedCosts,
      excludedFills: this.excluded,
      otherQuotes: [...this.quotes],
      unvaluedFees: this.unvaluedFees,
      fillsWithoutDecision: this.withoutDecision,
    }
  }
}
