/**
 * @module ledger/ledger
 * The one owner of balances and positions (DESIGN.md §1). Every fill moves balances per (venue, asset) and two
 * average-cost books: the account's (venue, symbol) and the strategy's (strategy, venue, symbol). All money is
 * exact `Decimal`; marks arrive as `number` on the hot path and are converted only when a valuation is asked for.
 *
 * Identities that `verify()` checks exactly:
 * - per (venue, asset): balance = initial + Σ signed fill flows in that asset − Σ fees paid in it;
 * - per (venue, asset): fill flows = Σ position amounts of books with that base − Σ (cost basis − realized)
 *   of books with that quote (positions agree with balances);
 * - per (venue, symbol): the account book and the sum of the strategy books agree on amount,
 *   cost basis − realized, fees, fills and volume;
 * - for the account in one reporting currency: Σ realized (gross) + Σ unrealized at the marks
 *   = equity at the marks − initial balances valued at the same marks + fees valued at the marks.
 */
import { Decimal, ONE, ZERO, dec, fillKey, parseSymbol } from '../model/index.js'
import { DuplicateFill, InputError, InvariantViolation } from '../model/index.js'
import type { Instrument, Trade } from '../model/index.js'
import { EquityCurve, DEFAULT_MAX_EQUITY_POINTS } from './equity-curve.js'
import type { EquityPoint } from './equity-curve.js'
import { LedgerSample, estimateEquity } from './equity-sample.js'
import type { SampleUnit } from './equity-sample.js'
import { PositionBook } from './position-book.js'

/** Wide precision for the checks, so that verifying can never round where the books did not. */
const Wide = Decimal.clone({ precision: 400 })

const SEP = '\u0001'

export interface LedgerOptions {
  /** Currency of `equity()`, the equity curve and the account identity. Default `USDT`. */
  readonly reportingCurrency?: string
  /** Bound of the kept equity curve (see EquityCurve). Default 10 000. */
  readonly maxEquityPoints?: number
  /** How many recent closing fills `closedTrades()` keeps; the counts in `totals()` cover every one. Default 10 000. */
  readonly maxClosedTrades?: number
  /** How many recent (venue, trade id) pairs are remembered to refuse a fill applied twice. Default 100 000. */
  readonly duplicateWindow?: number
}

/** The P&L and activity counts of one book, or summed over several (`Totals`). */
export interface BookSums {
  readonly realizedPnl: Decimal
  readonly fees: Decimal
  /** realizedPnl − fees. */
  readonly netPnl: Decimal
  readonly fills: number
  readonly volume: Decimal
  readonly closingFills: number
  readonly wins: number
  readonly losses: number
  readonly grossProfit: Decimal
  readonly grossLoss: Decimal
}

/** A position book as seen from outside: a snapshot, not a live view. */
export interface PositionSnapshot extends BookSums {
  readonly venue: string
  readonly symbol: string
  readonly base: string
  readonly quote: string
  /** Undefined for the account's book. */
  readonly strategyId: string | undefined
  /** Signed base amount: > 0 long, < 0 short. */
  readonly amount: Decimal
  /** Signed like `amount`, exact, in the quote currency. */
  readonly costBasis: Decimal
  /** |cost basis| / |amount|, rounded to 40 digits; undefined when flat. */
  readonly averagePrice: Decimal | undefined
  /** Fees that could not be valued in the quote at fill time (no mark), per currency. */
  readonly unvaluedFees: Readonly<Record<string, Decimal>>
}

/** An account book in doubles (`Ledger.bookEstimate`): for per-event estimates, never for money. */
export interface BookEstimate {
  readonly venue: string
  readonly symbol: string
  readonly quote: string
  /** Signed base amount. */
  readonly amount: number
  /** |cost basis| / |amount|; 0 when flat. */
  readonly averagePrice: number
  /** Realized P&L − fees, in the quote. */
  readonly realizedNet: number
}

/** Sums over a selection of books, in one quote currency. */
export interface Totals extends BookSums {
  /** The quote currency of the money fields; undefined when nothing matched. */
  readonly quote: string | undefined
}

export interface TotalsFilter {
  /** With a strategy id the strategy books are summed; without, the account books. */
  readonly strategyId?: string
  readonly venue?: string
  readonly symbol?: string
  readonly quote?: string
}

export interface BalanceEntry {
  readonly venue: string
  readonly asset: string
  readonly total: Decimal
  /** Starting point: deposits minus withdrawals. */
  readonly initial: Decimal
  /** Fees paid in this asset. */
  readonly fees: Decimal
}

/** A fill that reduced a strategy's position, with what it realized. */
export interface ClosedTrade {
  readonly tradeId: string
  readonly timestamp: number
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly side: 'buy' | 'sell'
  readonly price: Decimal
  /** Base amount of the position closed by this fill (less than the fill's amount when it went through zero). */
  readonly closedAmount: Decimal
  readonly realizedGross: Decimal
  /** The whole fill's fee in the quote currency. */
  readonly fee: Decimal
  readonly netPnl: Decimal
}

export interface UnvaluedBalance {
  readonly venue: string
  readonly asset: string
  readonly amount: Decimal
}

export interface EquityValuation {
  readonly currency: string
  /** Σ balances valued in `currency`, excluding `unvalued`. */
  readonly total: Decimal
  readonly byVenue: Readonly<Record<string, Decimal>>
  /** Non-zero balances with no mark to value them. */
  readonly unvalued: readonly UnvaluedBalance[]
}

/** Both sides of the account identity, for tests and reports. */
export interface AccountIdentity {
  readonly currency: string
  /** False when the identity cannot be checked exactly; `reason` says why. */
  readonly applicable: boolean
  readonly reason: string | undefined
  readonly realizedPnl: Decimal
  readonly unrealizedPnl: Decimal
  /** realizedPnl + unrealizedPnl. */
  readonly left: Decimal
  readonly equity: Decimal
  /** Deposits valued at today's marks, so that price moves of untouched holdings cancel out. */
  readonly initialEquity: Decimal
  /** Fees valued at today's marks. */
  readonly fees: Decimal
  /** equity − initialEquity + fees. */
  readonly right: Decimal
}

/** Both sides of the balance identity of one (venue, asset). */
export interface BalanceIdentity {
  readonly venue: string
  readonly asset: string
  readonly balance: Decimal
  readonly initial: Decimal
  /** Σ signed fill flows: base +amount for buys, −amount for sells; quote −cost for buys, +cost for sells. */
  readonly flows: Decimal
  readonly fees: Decimal
  /** initial + flows − fees. */
  readonly expected: Decimal
}

interface AssetAccount {
  readonly venue: string
  readonly asset: string
  total: Decimal
  initial: Decimal
  flows: Decimal
  fees: Decimal
}

interface MarkSlot {
  price: number
  decimal: Decimal | undefined
}

/** Remembers the last `size` keys in insertion order, to refuse repeats within that window. */
class RecentKeys {
  private readonly set = new Set<string>()
  private readonly order: string[] = []
  private head = 0

  constructor(private readonly size: number) {}

  /** Adds the key; false when it was already there. */
  add(key: string): boolean {
    if (this.set.has(key)) return false
    this.set.add(key)
    this.order.push(key)
    if (this.set.size > this.size) {
      this.set.delete(this.order[this.head]!)
      this.head++
      // Drop the consumed prefix now and then, amortized O(1).
      if (this.head > this.size) {
        this.order.splice(0, this.head)
        this.head = 0
      }
    }
    return true
  }

  /** Forgets the keys that `drop` picks (the window then holds the others, in their order). */
  forget(drop: (key: string) => boolean): void {
    const kept = this.order.slice(this.head).filter((key) => !drop(key))
    for (const key of this.set) if (drop(key)) this.set.delete(key)
    this.order.length = 0
    this.order.push(...kept)
    this.head = 0
  }
}

function emptyTotals(quote: string | undefined): Totals {
  return {
    quote,
    realizedPnl: ZERO,
    fees: ZERO,
    netPnl: ZERO,
    fills: 0,
    volume: ZERO,
    closingFills: 0,
    wins: 0,
    losses: 0,
    grossProfit: ZERO,
    grossLoss: ZERO,
  }
}

function snapshot(book: PositionBook): PositionSnapshot {
  const unvaluedFees: Record<string, Decimal> = {}
  if (book.unvaluedFees !== undefined) for (const [c, v] of book.unvaluedFees) unvaluedFees[c] = v
  return {
    venue: book.venue,
    symbol: book.symbol,
    base: book.base,
    quote: book.quote,
    strategyId: book.strategyId,
    amount: book.amount,
    costBasis: book.costBasis,
    averagePrice: book.averagePrice(),
    realizedPnl: book.realizedPnl,
    fees: book.fees,
    netPnl: book.realizedPnl.sub(book.fees),
    fills: book.fills,
    volume: book.volume,
    closingFills: book.closingFills,
    wins: book.wins,
    losses: book.losses,
    grossProfit: book.grossProfit,
    grossLoss: book.grossLoss,
    unvaluedFees,
  }
}

function estimateOf(book: PositionBook): BookEstimate {
  const amount = book.amount.toNumber()
  return {
    venue: book.venue,
    symbol: book.symbol,
    quote: book.quote,
    amount,
    averagePrice: amount === 0 ? 0 : Math.abs(book.costBasis.toNumber() / amount),
    realizedNet: book.realizedPnl.sub(book.fees).toNumber(),
  }
}

function wide(x: Decimal): Decimal {
  return new Wide(x)
}

/** Back to the model's Decimal; the digits are kept as they are (construction never rounds). */
function narrow(x: Decimal): Decimal {
  return new Decimal(x)
}

/**
 * What a sum of amounts × unit values was last made from, row by row, by identity (a unit value undefined: the
 * row left out), with its currency and its total. Decimals never change, so the same objects give the same sum:
 * when no row changed since, the last total is the answer, the very same Decimal.
 */
class SumInputs {
  private readonly values: (Decimal | undefined)[] = []
  private currency: string | undefined = undefined
  private total: Decimal | undefined = undefined
  /** Whether every row set since `begin` is the one of the last sum. */
  private unchanged = false
  /** Whether the last round ended with a total (a round cut short leaves rows of two sums). */
  private complete = false

  /** Starts a round of `rows` rows in `currency`. */
  begin(currency: string, rows: number): void {
    this.unchanged = this.complete && currency === this.currency && this.values.length === 2 * rows
    this.complete = false
    this.currency = currency
    this.values.length = 2 * rows
  }

  /** The last total when no row changed since it was made; else undefined, and the caller sums and `finish`es. */
  kept(): Decimal | undefined {
    if (!this.unchanged) return undefined
    this.complete = true
    return this.total
  }

  /** The next round is summed afresh. */
  reset(): void {
    this.complete = false
    this.values.length = 0
  }

  finish(total: Decimal): Decimal {
    this.total = total
    this.complete = true
    return total
  }

  set(row: number, amount: Decimal, unit: Decimal | undefined): void {
    const at = 2 * row
    if (this.unchanged && (this.values[at] !== amount || this.values[at + 1] !== unit)) this.unchanged = false
    this.values[at] = amount
    this.values[at + 1] = unit
  }

  amount(row: number): Decimal {
    return this.values[2 * row]!
  }

  unit(row: number): Decimal | undefined {
    return this.values[2 * row + 1]
  }
}

export class Ledger {
  readonly reportingCurrency: string
  private readonly accounts = new Map<string, AssetAccount>()
  private readonly accountBooks = new Map<string, PositionBook>()
  private readonly strategyBooks = new Map<string, PositionBook>()
  /**
   * The same accounts and account books as the maps, as arrays: an equity sample (every engine minute) walks
   * them without a Map iterator object each time.
   */
  private readonly accountList: AssetAccount[] = []
  private readonly accountBookList: PositionBook[] = []
  /** The last equity sample, and the rows the next one is gathered in (then compared with the last's). */
  private lastSample: LedgerSample | undefined = undefined
  /** Bumped by every change a sample reads (balances, positions, marks): see `sampleEquity`. */
  private changes = 0
  /** `changes` when `lastSample` was taken. */
  private sampledChanges = -1
  private readonly sampleRows: (Decimal | SampleUnit)[] = []
  /** Where each sample row's unit value is read (see `rowUnitSources`), for which currency and count of slots. */
  private readonly rowUnits: (Decimal | MarkSlot | undefined)[] = []
  private rowUnitsCurrency: string | undefined = undefined
  private rowUnitsSlots = -1
  /** How many mark slots (venue, symbol) exist: a new one can change which slot a valuation reads. */
  private markSlots = 0
  /** Per balance row of a sample: the Decimal whose float is kept, and that float. */
  private readonly floatOf: (Decimal | undefined)[] = []
  private readonly floats: number[] = []
  /** What the last gross exposure was summed from: per account book its amount and its unit value. */
  private readonly exposureInputs = new SumInputs()
  /** `ASSET/CURRENCY` and `ASSET/CURRENCY:CURRENCY` by currency, then asset: a valuation builds no strings. */
  private readonly pairNames = new Map<string, Map<string, readonly [spot: string, linear: string]>>()
  /** symbol → venue → mark. Symbol first so that "this symbol on any venue" is one lookup. */
  private readonly marks = new Map<string, Map<string, MarkSlot>>()
  private curve: EquityCurve
  private readonly maxEquityPoints: number
  private readonly maxClosedTrades: number
  private closed: ClosedTrade[] = []
  private readonly seen: RecentKeys

  constructor(options: LedgerOptions = {}) {
    this.reportingCurrency = options.reportingCurrency ?? 'USDT'
    this.maxEquityPoints = options.maxEquityPoints ?? DEFAULT_MAX_EQUITY_POINTS
    this.curve = new EquityCurve(this.maxEquityPoints)
    this.maxClosedTrades = options.maxClosedTrades ?? 10_000
    this.seen = new RecentKeys(options.duplicateWindow ?? 100_000)
  }

  // ---- balances ------------------------------------------------------------------------------------------

  /** Adds funds from outside (also the initial balance): counted in the starting point, not as P&L. */
  deposit(venue: string, asset: string, amount: Decimal): void {
    if (!amount.isFinite() || !amount.gt(0)) throw new InvariantViolation(`ledger: deposit of ${asset} on ${venue} must be > 0, got ${amount}`)
    const acc = this.account(venue, asset)
    this.changes++
    acc.total = acc.total.add(amount)
    acc.initial = acc.initial.add(amount)
  }

  /** Takes funds out: lowers the starting point as well as the balance. */
  withdraw(venue: string, asset: string, amount: Decimal): void {
    if (!amount.isFinite() || !amount.gt(0)) throw new InvariantViolation(`ledger: withdrawal of ${asset} on ${venue} must be > 0, got ${amount}`)
    const acc = this.account(venue, asset)
    this.changes++
    acc.total = acc.total.sub(amount)
    acc.initial = acc.initial.sub(amount)
  }

  /** Total balance (free + used); zero for an asset never seen. */
  balance(venue: string, asset: string): Decimal {
    return this.accounts.get(venue + SEP + asset)?.total ?? ZERO
  }

  /** Every (venue, asset) ever touched, in the order first seen; optionally one venue's. */
  balances(venue?: string): readonly BalanceEntry[] {
    const out: BalanceEntry[] = []
    for (const a of this.accounts.values()) {
      if (venue !== undefined && a.venue !== venue) continue
      out.push({ venue: a.venue, asset: a.asset, total: a.total, initial: a.initial, fees: a.fees })
    }
    return out
  }

  /**
   * Forgets every balance, book and closed trade of `venue`, and which of its fills were applied (its marks and
   * the equity curve stay): the ledger is then rebuilt from the venue's deposits and fills. For a session whose
   * account on the venue changes from the simulator's to the exchange's (system/account-periods).
   */
  resetVenue(venue: string): void {
    const ofOthers = <T extends { readonly venue: string }>(list: T[]): void => {
      const kept = list.filter((x) => x.venue !== venue)
      list.length = 0
      list.push(...kept)
    }
    for (const map of [this.accounts, this.accountBooks, this.strategyBooks] as Map<string, { readonly venue: string }>[]) {
      for (const [key, value] of map) if (value.venue === venue) map.delete(key)
    }
    ofOthers(this.accountList)
    ofOthers(this.accountBookList)
    this.closed = this.closed.filter((c) => c.venue !== venue)
    const prefix = venue + '\u0000'
    this.seen.forget((key) => key.startsWith(prefix))
    // Every cache of a sample or a sum is by row: the rows are others now.
    this.lastSample = undefined
    this.sampledChanges = -1
    this.sampleRows.length = 0
    this.rowUnits.length = 0
    this.rowUnitsCurrency = undefined
    this.floatOf.length = 0
    this.floats.length = 0
    this.exposureInputs.reset()
    this.changes++
  }

  private account(venue: string, asset: string): AssetAccount {
    const key = venue + SEP + asset
    let acc = this.accounts.get(key)
    if (acc === undefined) {
      acc = { venue, asset, total: ZERO, initial: ZERO, flows: ZERO, fees: ZERO }
      this.accounts.set(key, acc)
      this.accountList.push(acc)
    }
    return acc
  }

  // ---- fills ---------------------------------------------------------------------------------------------

  /**
   * Books one fill of `strategyId` on `instrument`. Throws InvariantViolation on a fill that cannot be real
   * (amount or price ≤ 0, cost ≠ price × amount, symbol mismatch) and DuplicateFill on a (venue, trade id)
   * seen within the duplicate window — both before anything is changed.
   *
   * Fees: the balance of `trade.fee.currency` pays them. For P&L they are valued in the quote at fill time:
   * quote as is, base at the fill price, any other currency at its `FEE/QUOTE` mark (same venue, else any);
   * with no mark the fee is kept per currency in `unvaluedFees` and not in `fees`.
   * Position amounts are the traded amounts: a fee paid in the base leaves the position as traded and shows
   * in the base balance only.
   */
  applyFill(trade: Trade, instrument: Instrument, strategyId: string): void {
    const { venue, symbol, side, price, amount, cost, fee } = trade
    const where = `ledger: fill ${trade.id} on ${venue} ${symbol}`
    if (symbol !== instrument.symbol) throw new InvariantViolation(`${where}: instrument is ${instrument.symbol}`)
    if (side !== 'buy' && side !== 'sell') throw new InvariantViolation(`${where}: side '${String(side)}'`)
    if (strategyId === '') throw new InvariantViolation(`${where}: empty strategy id`)
    if (!amount.isFinite() || !amount.gt(0)) throw new InvariantViolation(`${where}: amount ${amount} must be > 0`)
    if (!price.isFinite() || !price.gt(0)) throw new InvariantViolation(`${where}: price ${price} must be > 0`)
    if (!cost.eq(price.mul(amount))) throw new InvariantViolation(`${where}: cost ${cost} ≠ price ${price} × amount ${amount}`)
    if (!fee.cost.isFinite()) throw new InvariantViolation(`${where}: fee ${fee.cost} is not a number`)
    if (fee.currency === '') throw new InvariantViolation(`${where}: fee without a currency`)
    if (!this.seen.add(fillKey(venue, trade.id, side))) throw new DuplicateFill(`${where}: applied twice`)
    this.changes++

    const buy = side === 'buy'
    const { base, quote } = instrument
    const baseAcc = this.account(venue, base)
    const quoteAcc = this.account(venue, quote)
    const signedAmount = buy ? amount : amount.neg()
    const signedCash = buy ? cost.neg() : cost
    baseAcc.total = baseAcc.total.add(signedAmount)
    baseAcc.flows = baseAcc.flows.add(signedAmount)
    quoteAcc.total = quoteAcc.total.add(signedCash)
    quoteAcc.flows = quoteAcc.flows.add(signedCash)

    let feeValue: Decimal = ZERO
    let feeUnvalued = false
    if (!fee.cost.isZero()) {
      const feeAcc = fee.currency === quote ? quoteAcc : fee.currency === base ? baseAcc : this.account(venue, fee.currency)
      feeAcc.total = feeAcc.total.sub(fee.cost)
      feeAcc.fees = feeAcc.fees.add(fee.cost)
      if (fee.currency === quote) feeValue = fee.cost
      else if (fee.currency === base) feeValue = fee.cost.mul(price)
      else {
        const rate = this.markDecimal(venue, fee.currency + '/' + quote)
        if (rate === undefined) feeUnvalued = true
        else feeValue = fee.cost.mul(rate)
      }
    }

    const accountBook = this.book(this.accountBooks, venue + SEP + symbol, venue, instrument, undefined)
    const strategyBook = this.book(this.strategyBooks, strategyId + SEP + venue + SEP + symbol, venue, instrument, strategyId)
    accountBook.apply(buy, price, amount, cost, feeValue)
    const result = strategyBook.apply(buy, price, amount, cost, feeValue)
    if (feeUnvalued) {
      accountBook.addUnvaluedFee(fee.currency, fee.cost)
      strategyBook.addUnvaluedFee(fee.currency, fee.cost)
    }
    if (!result.closedAmount.isZero()) {
      this.closed.push({
        tradeId: trade.id,
        timestamp: trade.timestamp,
        strategyId,
        venue,
        symbol,
        side,
        price,
        closedAmount: result.closedAmount,
        realizedGross: result.realizedGross,
        fee: feeValue,
        netPnl: result.realizedGross.sub(feeValue),
      })
      // Trim in halves: amortized O(1) and memory bounded by twice the limit.
      if (this.closed.length >= 2 * this.maxClosedTrades) this.closed = this.closed.slice(-this.maxClosedTrades)
    }
  }

  private book(
    books: Map<string, PositionBook>,
    key: string,
    venue: string,
    instrument: Instrument,
    strategyId: string | undefined,
  ): PositionBook {
    let book = books.get(key)
    if (book === undefined) {
      book = new PositionBook(venue, instrument.symbol, instrument.base, instrument.quote, strategyId)
      books.set(key, book)
      if (books === this.accountBooks) this.accountBookList.push(book)
    }
    return book
  }

  // ---- positions and totals ------------------------------------------------------------------------------

  /** The account's position on (venue, symbol); flat when never traded. */
  position(venue: string, symbol: string): PositionSnapshot {
    const book = this.accountBooks.get(venue + SEP + symbol)
    return snapshot(book ?? this.flatBook(venue, symbol, undefined))
  }

  /** A strategy's own position on (venue, symbol); flat when never traded. */
  strategyPosition(strategyId: string, venue: string, symbol: string): PositionSnapshot {
    const book = this.strategyBooks.get(strategyId + SEP + venue + SEP + symbol)
    return snapshot(book ?? this.flatBook(venue, symbol, strategyId))
  }

  /**
   * The account's signed amount on (venue, symbol), zero when never traded: `position(...).amount` without
   * building a snapshot (whose average price is a decimal division), for callers that ask on every event.
   */
  positionAmount(venue: string, symbol: string): Decimal {
    return this.accountBooks.get(venue + SEP + symbol)?.amount ?? ZERO
  }

  /** A strategy's signed amount on (venue, symbol), zero when never traded: `strategyPosition(...).amount`, cheaply. */
  strategyPositionAmount(strategyId: string, venue: string, symbol: string): Decimal {
    return this.strategyBooks.get(strategyId + SEP + venue + SEP + symbol)?.amount ?? ZERO
  }

  /**
   * The account's book on (venue, symbol) in doubles, for estimates made on every event and fill (the daily-loss
   * guard); undefined when never traded. Never money: the exact figures are `position(...)`'s.
   */
  bookEstimate(venue: string, symbol: string): BookEstimate | undefined {
    const book = this.accountBooks.get(venue + SEP + symbol)
    return book === undefined ? undefined : estimateOf(book)
  }

  /** Every account book in doubles (see `bookEstimate`), in the order first traded. */
  bookEstimates(): BookEstimate[] {
    return this.accountBookList.map(estimateOf)
  }

  private flatBook(venue: string, symbol: string, strategyId: string | undefined): PositionBook {
    const { base, quote } = parseSymbol(symbol)
    return new PositionBook(venue, symbol, base, quote, strategyId)
  }

  /** The account's books (one per traded venue and symbol, flat ones included), in the order first traded. */
  positions(): readonly PositionSnapshot[] {
    return [...this.accountBooks.values()].map(snapshot)
  }

  /** The strategy books, all or one strategy's. */
  strategyPositions(strategyId?: string): readonly PositionSnapshot[] {
    const out: PositionSnapshot[] = []
    for (const b of this.strategyBooks.values()) if (strategyId === undefined || b.strategyId === strategyId) out.push(snapshot(b))
    return out
  }

  /** Strategy ids that have traded, in the order first seen. */
  strategies(): readonly string[] {
    const ids = new Set<string>()
    for (const b of this.strategyBooks.values()) ids.add(b.strategyId!)
    return [...ids]
  }

  /**
   * Sums books. With `strategyId` the strategy's books are summed, else the account's. Money is in one quote
   * currency: when the selection spans several, pass `quote` (InputError otherwise).
   *
   * Fees, fills, volume, amounts and total P&L (realized + unrealized) of the strategies add up exactly to the
   * account's. Realized P&L alone adds up only where one strategy trades a (venue, symbol): when strategies
   * hold the same symbol at different entry prices, the account's pooled average cost realizes differently
   * from each strategy's own (the difference is still in the books as unrealized).
   */
  totals(filter: TotalsFilter = {}): Totals {
    const books = filter.strategyId === undefined ? this.accountBooks : this.strategyBooks
    let quote: string | undefined
    let t = emptyTotals(undefined)
    for (const b of books.values()) {
      if (filter.strategyId !== undefined && b.strategyId !== filter.strategyId) continue
      if (filter.venue !== undefined && b.venue !== filter.venue) continue
      if (filter.symbol !== undefined && b.symbol !== filter.symbol) continue
      if (filter.quote !== undefined && b.quote !== filter.quote) continue
      if (quote !== undefined && quote !== b.quote) {
        throw new InputError(`ledger totals: books in ${quote} and ${b.quote}; pass a quote currency`)
      }
      quote = b.quote
      t = {
        quote,
        realizedPnl: t.realizedPnl.add(b.realizedPnl),
        fees: t.fees.add(b.fees),
        netPnl: t.netPnl.add(b.realizedPnl).sub(b.fees),
        fills: t.fills + b.fills,
        volume: t.volume.add(b.volume),
        closingFills: t.closingFills + b.closingFills,
        wins: t.wins + b.wins,
        losses: t.losses + b.losses,
        grossProfit: t.grossProfit.add(b.grossProfit),
        grossLoss: t.grossLoss.add(b.grossLoss),
      }
    }
    return t
  }

  /**
   * Σ realized P&L − Σ fees over the account's books quoted in `quote`: `totals({ quote })`'s realizedPnl − fees,
   * the same sums, without the rest of the totals (the daily-loss guard asks for it on every fill).
   */
  realizedNet(quote: string): Decimal {
    let realized = ZERO
    let fees = ZERO
    for (const b of this.accountBookList) {
      if (b.quote !== quote) continue
      realized = realized.add(b.realizedPnl)
      fees = fees.add(b.fees)
    }
    return realized.sub(fees)
  }

  /** The most recent closing fills of strategies (at most `maxClosedTrades`), oldest first. */
  closedTrades(): readonly ClosedTrade[] {
    return this.closed.length <= this.maxClosedTrades ? this.closed.slice() : this.closed.slice(-this.maxClosedTrades)
  }

  // ---- marks and valuation -------------------------------------------------------------------------------

  /**
   * Sets the mark price of (venue, symbol). Hot path: stores the number and drops the cached Decimal, nothing
   * else; the conversion (shortest round-trip string, so 0.1 is exactly 0.1) happens on the next valuation.
   * Cheap enough per tick, but valuations only read the latest mark, so marking at sampling time is as good.
   */
  mark(venue: string, symbol: string, price: number): void {
    // A NaN or non-positive mark would poison every valuation after it: refuse it here.
    if (!(price > 0 && price < Infinity)) throw new InvariantViolation(`ledger: mark ${price} for ${symbol} on ${venue}`)
    let byVenue = this.marks.get(symbol)
    if (byVenue === undefined) {
      byVenue = new Map()
      this.marks.set(symbol, byVenue)
    }
    const slot = byVenue.get(venue)
    if (slot === undefined) {
      byVenue.set(venue, { price, decimal: undefined })
      this.markSlots++
      this.changes++
    }
    else if (slot.price !== price) {
      slot.price = price
      slot.decimal = undefined
      this.changes++
    }
  }

  /** The latest mark as set (a number), on this venue only. */
  markPrice(venue: string, symbol: string): number | undefined {
    return this.marks.get(symbol)?.get(venue)?.price
  }

  /** The mark of `symbol` on `venue`, else on the venue that marked it first; undefined when none. */
  markDecimal(venue: string, symbol: string): Decimal | undefined {
    const slot = this.markSlot(venue, symbol)
    if (slot === undefined) return undefined
    slot.decimal ??= dec(slot.price)
    return slot.decimal
  }

  private markSlot(venue: string, symbol: string): MarkSlot | undefined {
    const byVenue = this.marks.get(symbol)
    if (byVenue === undefined) return undefined
    const slot = byVenue.get(venue)
    if (slot !== undefined) return slot
    for (const s of byVenue.values()) return s
    return undefined
  }

  /** Value of one unit of `asset` in `currency` on `venue`: 1 for the currency itself, else the ASSET/CURRENCY mark. */
  /**
   * One unit of `asset` in `currency`: the mark of ASSET/CURRENCY, else of the linear contract settled in the
   * currency (ASSET/CURRENCY:CURRENCY), whose fills booked the asset (a perpetual-only data file marks no spot).
   */
  private unitValue(venue: string, asset: string, currency: string): Decimal | undefined {
    if (asset === currency) return ONE
    const [spot, linear] = this.pairs(asset, currency)
    return this.markDecimal(venue, spot) ?? this.markDecimal(venue, linear)
  }

  /** Where `unitValue` reads its value: ONE, or the mark slot (whose price a sample keeps as a number). */
  private unitSource(venue: string, asset: string, currency: string): Decimal | MarkSlot | undefined {
    if (asset === currency) return ONE
    const [spot, linear] = this.pairs(asset, currency)
    return this.markSlot(venue, spot) ?? this.markSlot(venue, linear)
  }

  private pairs(asset: string, currency: string): readonly [spot: string, linear: string] {
    let byAsset = this.pairNames.get(currency)
    if (byAsset === undefined) {
      byAsset = new Map()
      this.pairNames.set(currency, byAsset)
    }
    let names = byAsset.get(asset)
    if (names === undefined) {
      const spot = asset + '/' + currency
      names = [spot, spot + ':' + currency]
      byAsset.set(asset, names)
    }
    return names
  }

  /**
   * Unrealized P&L of the account's (or with `strategyId` the strategy's) position at the mark, in the quote:
   * amount × mark − cost basis. Zero when flat; undefined when not flat and the symbol has no mark anywhere.
   */
  unrealizedPnl(venue: string, symbol: string, strategyId?: string): Decimal | undefined {
    const book =
      strategyId === undefined ? this.accountBooks.get(venue + SEP + symbol) : this.strategyBooks.get(strategyId + SEP + venue + SEP + symbol)
    if (book === undefined || book.amount.isZero()) return ZERO
    const m = this.markDecimal(venue, symbol)
    return m === undefined ? undefined : book.amount.mul(m).sub(book.costBasis)
  }

  /**
   * Balances valued in `currency`: the currency at 1, any other asset at the mark of ASSET/CURRENCY on the same
   * venue, else on any venue (the first that marked it); otherwise excluded and listed in `unvalued`.
   * Zero balances need no mark. Exact: marks enter as Decimals of their shortest round-trip string.
   */
  equity(currency: string = this.reportingCurrency): EquityValuation {
    let total = ZERO
    const byVenue: Record<string, Decimal> = {}
    const unvalued: UnvaluedBalance[] = []
    for (const a of this.accounts.values()) {
      if (a.total.isZero()) continue
      const v = this.unitValue(a.venue, a.asset, currency)
      if (v === undefined) {
        unvalued.push({ venue: a.venue, asset: a.asset, amount: a.total })
        continue
      }
      const value = a.total.mul(v)
      total = total.add(value)
      byVenue[a.venue] = (byVenue[a.venue] ?? ZERO).add(value)
    }
    return { currency, total, byVenue, unvalued }
  }

  /**
   * Σ |amount| × value of the base in `currency` over the account's positions (unvalued ones left out). It
   * returns the last total itself when no position and no mark moved since the last call (risk checks ask for
   * it at every order).
   */
  grossExposure(currency: string = this.reportingCurrency): Decimal {
    const books = this.accountBookList
    const inputs = this.exposureInputs
    inputs.begin(currency, books.length)
    for (let i = 0; i < books.length; i++) {
      const b = books[i]!
      inputs.set(i, b.amount, b.amount.isZero() ? undefined : this.unitValue(b.venue, b.base, currency))
    }
    const kept = inputs.kept()
    if (kept !== undefined) return kept
    let total = ZERO
    for (let i = 0; i < books.length; i++) {
      const v = inputs.unit(i)
      if (v === undefined) continue
      const amount = inputs.amount(i)
      const value = (amount.isNegative() ? amount.neg() : amount).mul(v)
      // One position (the common case) is its own total: no addition to zero.
      total = total === ZERO ? value : total.add(value)
    }
    return inputs.finish(total)
  }

  // ---- equity curve --------------------------------------------------------------------------------------

  /**
   * Appends an equity point in the reporting currency (unvalued balances left out, see `equity`). Call it at
   * the sampling interval you want statistics for; memory stays bounded by time-bucket downsampling.
   *
   * The sample keeps its rows (balances, amounts, marks) and a float estimate; the curve makes its exact equity
   * only when the float cannot settle it (a possible new peak or deeper fall) or hands the point out. When no
   * balance and no mark moved since the last sample (samples between bars: a 1m sampler over 5m candles, or a
   * quiet market) it is the last sample itself, which the curve skips.
   */
  sampleEquity(timestamp: number): void {
    // Nothing booked or marked since the last sample (a timer that fires again between two events): the
    // same sample again, without reading every account and book to find that out.
    const last = this.lastSample
    if (last !== undefined && this.sampledChanges === this.changes) {
      this.curve.add(timestamp, last)
      return
    }
    this.curve.add(timestamp, this.takeSample(this.reportingCurrency))
    this.sampledChanges = this.changes
  }

  private takeSample(currency: string): LedgerSample {
    const accounts = this.accountList
    const books = this.accountBookList
    const units = this.rowUnitSources(currency)
    const rows = this.sampleRows
    if (rows.length !== 2 * units.length) rows.length = 2 * units.length
    let r = 0
    for (let i = 0; i < accounts.length; i++) {
      const total = accounts[i]!.total
      const u = units[i]
      rows[r++] = total
      rows[r++] = total.isZero() || u === undefined ? undefined : u === ONE ? ONE : (u as MarkSlot).price
    }
    for (let i = 0; i < books.length; i++) {
      const amount = books[i]!.amount
      const u = units[accounts.length + i]
      rows[r++] = amount
      rows[r++] = amount.isZero() || u === undefined ? undefined : u === ONE ? ONE : (u as MarkSlot).price
    }
    const last = this.lastSample
    if (last?.same(currency, accounts.length, rows)) return last
    const { estimate, error } = estimateEquity(accounts.length, rows, this.balanceFloat)
    return (this.lastSample = new LedgerSample(currency, accounts.length, rows.slice(), estimate, error))
  }

  /**
   * Per row of a sample (accounts, then account books), where its unit value is read: ONE, the mark slot that
   * `unitValue` would read, or none. Slots are kept and their prices change in place, so this is made again only
   * when a row, a slot or the currency is new (which slot `unitValue` picks depends on which slots exist).
   */
  private rowUnitSources(currency: string): readonly (Decimal | MarkSlot | undefined)[] {
    const accounts = this.accountList
    const books = this.accountBookList
    const units = this.rowUnits
    if (currency === this.rowUnitsCurrency && this.rowUnitsSlots === this.markSlots && units.length === accounts.length + books.length) return units
    units.length = 0
    for (const a of accounts) units.push(this.unitSource(a.venue, a.asset, currency))
    for (const b of books) units.push(this.unitSource(b.venue, b.base, currency))
    this.rowUnitsCurrency = currency
    this.rowUnitsSlots = this.markSlots
    return units
  }

  /** A balance's float by row, kept while the row holds the same Decimal (balances change only on fills). */
  private readonly balanceFloat = (row: number, d: Decimal): number => {
    if (this.floatOf[row] !== d) {
      this.floatOf[row] = d
      this.floats[row] = d.toNumber()
    }
    return this.floats[row]!
  }

  /**
   * Starts the equity curve (and its drawdown) afresh from the next sample: for a ledger that now holds another
   * account (system/account-periods), whose history is not the old one's.
   */
  restartEquityCurve(): void {
    this.curve = new EquityCurve(this.maxEquityPoints)
    this.lastSample = undefined
    this.sampledChanges = -1
  }

  /** The kept equity curve, oldest first. */
  equityCurve(): readonly EquityPoint[] {
    return this.curve.points()
  }

  /** Maximum drawdown over every sample ever taken (exact even where the kept curve was downsampled). */
  maxDrawdown(): { readonly amount: Decimal; readonly fraction: number } {
    return { amount: this.curve.maxDrawdown, fraction: this.curve.maxDrawdownFraction }
  }

  // ---- identities ----------------------------------------------------------------------------------------

  /** The balance identity of one (venue, asset): balance against initial + flows − fees. */
  balanceIdentity(venue: string, asset: string): BalanceIdentity {
    const a = this.accounts.get(venue + SEP + asset)
    if (a === undefined) return { venue, asset, balance: ZERO, initial: ZERO, flows: ZERO, fees: ZERO, expected: ZERO }
    const expected = narrow(wide(a.initial).add(a.flows).sub(a.fees))
    return { venue, asset, balance: a.total, initial: a.initial, flows: a.flows, fees: a.fees, expected }
  }

  /**
   * Both sides of the account identity in `currency`. Applicable when every position is quoted in `currency`
   * and every balance that moved has a mark; computed in wide precision so that only the books can be inexact.
   */
  accountIdentity(currency: string = this.reportingCurrency): AccountIdentity {
    let reason: string | undefined
    let realized: Decimal = new Wide(0)
    let unrealized: Decimal = new Wide(0)
    for (const b of this.accountBooks.values()) {
      if (b.quote !== currency) {
        reason ??= `${b.symbol} on ${b.venue} is quoted in ${b.quote}, not ${currency}`
        continue
      }
      realized = realized.add(b.realizedPnl)
      if (b.amount.isZero()) continue
      const m = this.markDecimal(b.venue, b.symbol)
      if (m === undefined) {
        reason ??= `no mark for ${b.symbol} (position on ${b.venue})`
        continue
      }
      unrealized = unrealized.add(wide(b.amount).mul(m).sub(b.costBasis))
    }
    let equity: Decimal = new Wide(0)
    let initialEquity: Decimal = new Wide(0)
    let fees: Decimal = new Wide(0)
    for (const a of this.accounts.values()) {
      if (a.total.isZero() && a.initial.isZero() && a.fees.isZero()) continue
      const v = this.unitValue(a.venue, a.asset, currency)
      if (v === undefined) {
        // An asset that only sits there cancels out of equity − initial; one that moved needs a value.
        if (!wide(a.total).sub(a.initial).add(a.fees).isZero()) reason ??= `no mark for ${a.asset}/${currency} (balance on ${a.venue})`
        continue
      }
      equity = equity.add(wide(a.total).mul(v))
      initialEquity = initialEquity.add(wide(a.initial).mul(v))
      fees = fees.add(wide(a.fees).mul(v))
    }
    const left = realized.add(unrealized)
    const right = equity.sub(initialEquity).add(fees)
    return {
      currency,
      applicable: reason === undefined,
      reason,
      realizedPnl: narrow(realized),
      unrealizedPnl: narrow(unrealized),
      left: narrow(left),
      equity: narrow(equity),
      initialEquity: narrow(initialEquity),
      fees: narrow(fees),
      right: narrow(right),
    }
  }

  /**
   * Checks every identity in the module header exactly; throws InvariantViolation naming the venue and asset
   * (or symbol) of the first that fails. The account identity is checked when applicable (see
   * `accountIdentity`), and returned.
   */
  verify(currency: string = this.reportingCurrency): AccountIdentity {
    // Per (venue, asset): balance against its history, and fill flows against the position books.
    const flowsFromBooks = new Map<string, Decimal>()
    const addFlow = (key: string, x: Decimal): void => {
      flowsFromBooks.set(key, (flowsFromBooks.get(key) ?? new Wide(0)).add(x))
    }
    for (const b of this.accountBooks.values()) {
      addFlow(b.venue + SEP + b.base, b.amount)
      addFlow(b.venue + SEP + b.quote, wide(b.realizedPnl).sub(b.costBasis))
    }
    for (const [key, a] of this.accounts) {
      const expected = wide(a.initial).add(a.flows).sub(a.fees)
      if (!expected.eq(a.total)) {
        throw new InvariantViolation(
          `ledger: balance of ${a.asset} on ${a.venue} is ${a.total}, expected initial ${a.initial} + fills ${a.flows} − fees ${a.fees} = ${expected}`,
        )
      }
      const fromBooks = flowsFromBooks.get(key) ?? ZERO
      if (!fromBooks.eq(a.flows)) {
        throw new InvariantViolation(`ledger: fills in ${a.asset} on ${a.venue} sum to ${a.flows} but the positions account for ${fromBooks}`)
      }
    }
    // Per (venue, symbol): the account's book against the sum of the strategies' books.
    const sums = new Map<string, { amount: Decimal; paid: Decimal; fees: Decimal; volume: Decimal; fills: number }>()
    for (const b of this.strategyBooks.values()) {
      const key = b.venue + SEP + b.symbol
      const s = sums.get(key) ?? { amount: new Wide(0), paid: new Wide(0), fees: new Wide(0), volume: new Wide(0), fills: 0 }
      s.amount = s.amount.add(b.amount)
      s.paid = s.paid.add(b.costBasis).sub(b.realizedPnl)
      s.fees = s.fees.add(b.fees)
      s.volume = s.volume.add(b.volume)
      s.fills += b.fills
      sums.set(key, s)
    }
    for (const [key, b] of this.accountBooks) {
      const s = sums.get(key)
      const where = `ledger: ${b.symbol} on ${b.venue}`
      if (s === undefined) throw new InvariantViolation(`${where}: account position without a strategy position`)
      if (!s.amount.eq(b.amount)) throw new InvariantViolation(`${where}: account amount ${b.amount} ≠ Σ strategies ${s.amount}`)
      if (!s.paid.eq(wide(b.costBasis).sub(b.realizedPnl))) {
        throw new InvariantViolation(`${where}: account cost basis − realized ${b.costBasis.sub(b.realizedPnl)} ≠ Σ strategies ${s.paid}`)
      }
      if (!s.fees.eq(b.fees)) throw new InvariantViolation(`${where}: account fees ${b.fees} ≠ Σ strategies ${s.fees}`)
      if (!s.volume.eq(b.volume) || s.fills !== b.fills) {
        throw new InvariantViolation(`${where}: account volume/fills ${b.volume}/${b.fills} ≠ Σ strategies ${s.volume}/${s.fills}`)
      }
    }
    if (sums.size !== this.accountBooks.size) throw new InvariantViolation('ledger: a strategy position has no account position')
    const identity = this.accountIdentity(currency)
    if (identity.applicable && !identity.left.eq(identity.right)) {
      throw new InvariantViolation(
        `ledger: account identity in ${currency} fails: realized ${identity.realizedPnl} + unrealized ${identity.unrealizedPnl} = ${identity.left}` +
          ` ≠ equity ${identity.equity} − initial ${identity.initialEquity} + fees ${identity.fees} = ${identity.right}`,
      )
    }
    return identity
  }
}
