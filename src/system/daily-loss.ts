/**
 * @module system/daily-loss
 * The daily-loss limit, watched on every market event: a float estimate of today's net P&L (positions marked
 * incrementally, realized P&L and fees refreshed on each fill) against the limit, confirmed exactly with the
 * ledger's Decimal figures before anything is done. In canary the exchange leg is judged instead, exactly, on
 * every fill and at most every 250 ms of price moves. The day's baseline (and the exchange leg's P&L today) are
 * kept in the store, so a restart the same day judges the day, not the session.
 */
import type { BookEstimate } from '../ledger/index.js'
import type { Decimal } from '../model/index.js'
import { ZERO, dec } from '../model/index.js'
import { effectiveDailyLossLimit, utcDayStart } from '../risk/index.js'
import type { Persistence } from './persistence.js'
import { DAILY_BASELINE_KEY, EXCHANGE_LEG_TODAY_KEY } from './safety-types.js'
import type { DailyBaseline, SafetyOptions } from './safety-types.js'

/** A position as floats, for the per-event loss estimate only (never for money that is kept). */
interface FloatPosition {
  readonly qty: number
  readonly avg: number
  mark: number
}

export interface DailyLossOptions
  extends Pick<SafetyOptions, 'clock' | 'ledger' | 'market' | 'monitors' | 'netPnl' | 'equity' | 'exchangeLeg' | 'maxDailyLoss' | 'maxDailyLossPct' | 'baseline' | 'exchangeLegToday' | 'simulatorOnly'> {
  readonly persistence: Persistence | undefined
  /** While halted, nothing is checked. */
  readonly halted: () => boolean
  /** A breach confirmed exactly: `simulated` in shadow (once a day), where it is the simulator's loss. */
  readonly onBreach: (breach: string, simulated: boolean) => void
}

export class DailyLoss {
  private baseline: DailyBaseline | undefined
  /** The end of the current UTC day, ms: the first event past it rolls the day. */
  dayEnd = Number.NEGATIVE_INFINITY
  /** Per venue and symbol with a position: float quantity and average cost for the per-event loss estimate. */
  private readonly exposure = new Map<string, Map<string, FloatPosition>>()
  /** Realized P&L − fees per book quoted in the reporting currency (venue and symbol), and their sum. */
  private readonly realizedByBook = new Map<string, number>()
  private realizedNetF = 0
  /** Positions the baseline left out for want of a price (see `setBaseline`), as "venue symbol". */
  private readonly unvalued = new Set<string>()
  private unrealizedF = 0
  private baselineF = 0
  private lossLimitF = Number.POSITIVE_INFINITY

  constructor(private readonly o: DailyLossOptions) {
    this.baseline = o.baseline
    const legToday = o.exchangeLegToday
    if (legToday !== undefined && legToday.day === utcDayStart(o.clock.now())) this.legCarried = dec(legToday.pnl)
  }

  /**
   * Today's P&L as the pre-trade daily-loss check sees it: zero while the session can only reach its
   * simulator (shadow), whose orders cannot add to the exchange account's loss.
   */
  riskDailyPnl(): Decimal {
    return this.o.simulatorOnly?.() === true ? ZERO : this.dailyPnl()
  }

  /** Today's net P&L, exact (in canary, the exchange leg's: see `exchangeLeg`). */
  dailyPnl(): Decimal {
    const leg = this.o.exchangeLeg
    if (leg !== undefined && leg.judged()) return leg.net().sub(this.legBaseline ?? ZERO).add(this.legCarried)
    const net = this.o.netPnl()
    return this.baseline === undefined ? ZERO : net.sub(this.baseline.net)
  }

  /** The exchange leg's net P&L at the start of the day (or of this session, or at the last acknowledgement). */
  private legBaseline: Decimal | undefined
  /**
   * The exchange leg's P&L today from earlier sessions of the day (the leg's ledger starts empty with each
   * session): kept in the store at most every 250 ms and on every leg check, carried over by a restart.
   */
  private legCarried: Decimal = ZERO
  private legSaved: string | undefined

  /** Keeps the exchange leg's P&L today in the store while it is the judged leg (canary). */
  saveLegDay(now: number): void {
    if (this.o.exchangeLeg?.judged() !== true || this.o.persistence === undefined) return
    const pnl = this.dailyPnl().toString()
    if (pnl === this.legSaved) return
    this.legSaved = pnl
    this.o.persistence.setStateQuiet(EXCHANGE_LEG_TODAY_KEY, { day: utcDayStart(now), pnl })
  }


  /**
   * An operator accepts today's loss so far: the daily baseline moves to the current P&L (recorded with the
   * old and new figures), the hourly loss window starts afresh, and MAX_DAILY_LOSS applies again to any further
   * loss today. Without it a loss-limit
   * halt could only end with the UTC day.
   */
  acknowledge(actor: string, reason: string, breach: string): void {
    const now = this.o.clock.now()
    const before = this.baseline
    this.setBaseline(utcDayStart(now))
    if (this.o.exchangeLeg !== undefined) this.legBaseline = this.o.exchangeLeg.net()
    this.legCarried = ZERO
    this.saveLegDay(now)
    this.recomputeLossLimit()
    this.o.monitors.restartHourlyWindow()
    this.o.monitors.observePnl(now, { dailyPnl: this.dailyPnl(), equity: this.o.equity() })
    this.o.persistence?.audit('risk.daily_loss_acknowledged', actor, { reason, breach, baselineBefore: before?.net ?? null, baselineAfter: this.baseline!.net })
  }


  /**
   * The ledger now holds another account: the exchange's after the simulator's since `simulatedFrom`
   * (system/account-periods). Today's P&L is that account's: the baseline taken on it earlier today stands when
   * the simulated period began today, else it is taken again now; either way the exchange leg's P&L today (the
   * canary's fills, which reach the ledger only as balances) is kept in it. The hourly loss window and the
   * drawdown peak start again from the account now, and the estimate takes its books.
   */
  rebase(now: number, simulatedFrom: number | undefined): void {
    const day = utcDayStart(now)
    const leg = this.o.exchangeLeg
    const legToday = leg === undefined ? ZERO : leg.net().sub(this.legBaseline ?? ZERO).add(this.legCarried)
    this.dayEnd = day + 86_400_000
    this.refreshAll()
    const kept = this.baseline !== undefined && this.baseline.day === day && simulatedFrom !== undefined && simulatedFrom >= day
    if (!kept) this.setBaseline(day)
    if (!legToday.isZero()) {
      const net = dec(this.baseline!.net).sub(legToday)
      this.baseline = { day, net: net.toString() }
      this.baselineF = net.toNumber()
      this.saveBaseline()
    }
    this.legBaseline = leg?.net()
    this.legCarried = ZERO
    this.recomputeLossLimit()
    this.o.monitors.restartHourlyWindow()
    this.o.monitors.observePnl(now, { dailyPnl: this.dailyPnl(), equity: this.o.equity() })
    this.o.monitors.resetDrawdownPeak()
  }

  /** Starts a new UTC day (its baseline), or picks up today's from the store. */
  rollDay(now: number): void {
    const day = utcDayStart(now)
    this.dayEnd = day + 86_400_000
    this.simulatedLossAlerted = false
    this.legBaseline = this.o.exchangeLeg?.net()
    if (this.baseline !== undefined && this.baseline.day === day) {
      this.baselineF = Number(this.baseline.net)
      this.unvalued.clear()
      for (const key of this.baseline.unvalued ?? []) this.unvalued.add(key)
      this.recomputeLossLimit()
      return
    }
    // A new day: the exchange leg's P&L carried from earlier sessions belonged to the day that ended.
    this.legCarried = ZERO
    this.setBaseline(day)
    this.recomputeLossLimit()
  }

  /**
   * The baseline is the net P&L now, kept in the store. A position with no price yet (restored at a start, or on a
   * market silent since) is not in that figure: its unrealized P&L is added to the baseline when it is first valued
   * (`valueIfPriced`). Without that, today's P&L would count its whole gain or loss since it was opened, which can
   * hide a loss past the limit or trip on one made days ago.
   */
  private setBaseline(day: number): void {
    const net = this.o.netPnl()
    this.baseline = { day, net: net.toString() }
    this.baselineF = net.toNumber()
    this.unvalued.clear()
    const ledger = this.o.ledger
    for (const b of ledger.bookEstimates()) {
      if (b.amount !== 0 && b.quote === ledger.reportingCurrency && ledger.markPrice(b.venue, b.symbol) === undefined) this.unvalued.add(`${b.venue} ${b.symbol}`)
    }
    this.saveBaseline()
  }

  private saveBaseline(): void {
    const b = this.baseline!
    this.baseline = { day: b.day, net: b.net, ...(this.unvalued.size > 0 ? { unvalued: [...this.unvalued] } : {}) }
    this.o.persistence?.setStateQuiet(DAILY_BASELINE_KEY, this.baseline)
  }

  /** Whether a position still waits for a price to enter the baseline. */
  get waitsForPrices(): boolean {
    return this.unvalued.size > 0
  }

  /** A market event on (venue, symbol): a position the baseline left out enters it at its first value. */
  valueIfPriced(venue: string, symbol: string): void {
    const key = `${venue} ${symbol}`
    if (!this.unvalued.has(key) || this.baseline === undefined) return
    this.o.netPnl() // marks every market, as the P&L this baseline is compared with does
    const unrealized = this.o.ledger.unrealizedPnl(venue, symbol)
    if (unrealized === undefined) return
    this.unvalued.delete(key)
    const net = dec(this.baseline.net).add(unrealized)
    this.baseline = { day: this.baseline.day, net: net.toString() }
    this.baselineF = net.toNumber()
    this.saveBaseline()
    if (this.unvalued.size === 0) this.recomputeLossLimit()
  }

  private recomputeLossLimit(): void {
    this.lossLimitF = effectiveDailyLossLimit(this.o, () => this.o.equity())?.toNumber() ?? Number.POSITIVE_INFINITY
  }

  onPrice(venue: string, symbol: string, price: number): void {
    const p = this.exposure.get(venue)?.get(symbol)
    if (p === undefined) {
      // Canary: the exchange leg is judged whatever the session's own ledger holds (a restart carries its loss).
      if (this.lossLimitF !== Number.POSITIVE_INFINITY && this.o.exchangeLeg?.judged() === true) this.check()
      return
    }
    // Incremental: only this position's unrealized part changes.
    this.unrealizedF += p.qty * (price - p.mark)
    p.mark = price
    if (this.lossLimitF !== Number.POSITIVE_INFINITY) this.check()
  }

  private recomputeUnrealized(): void {
    let u = 0
    for (const symbols of this.exposure.values()) for (const p of symbols.values()) u += p.qty * (p.mark - p.avg)
    this.unrealizedF = u
  }

  /** After a fill on (venue, symbol): its position and realized P&L in the estimate. */
  refreshExposure(venue: string, symbol: string): void {
    const book = this.o.ledger.bookEstimate(venue, symbol)
    if (book !== undefined) this.take(book)
    this.sumRealized()
    this.recomputeUnrealized()
  }

  /**
   * Every book the ledger holds in the estimate: at start, the positions and today's realized P&L restored from
   * the store are watched from the first price on, not from this session's first fill.
   */
  refreshAll(): void {
    this.exposure.clear()
    this.realizedByBook.clear()
    for (const book of this.o.ledger.bookEstimates()) this.take(book)
    this.sumRealized()
    this.recomputeUnrealized()
  }

  private take(book: BookEstimate): void {
    const { venue, symbol } = book
    let symbols = this.exposure.get(venue)
    if (book.amount === 0) symbols?.delete(symbol)
    else {
      if (symbols === undefined) {
        symbols = new Map()
        this.exposure.set(venue, symbols)
      }
      const avg = book.averagePrice
      symbols.set(symbol, { qty: book.amount, avg, mark: this.o.market.lastPrice(venue, symbol) ?? avg })
    }
    if (book.quote === this.o.ledger.reportingCurrency) this.realizedByBook.set(`${venue} ${symbol}`, book.realizedNet)
  }

  private sumRealized(): void {
    let r = 0
    for (const x of this.realizedByBook.values()) r += x
    this.realizedNetF = r
  }

  /** Estimated on every event; acted on only when the exact figure confirms the breach. */
  check(onFill = false): void {
    if (this.o.halted() || this.lossLimitF === Number.POSITIVE_INFINITY) return
    // Canary: the exchange leg is small and its P&L is not in the float estimate; it is judged exactly, on every
    // fill and at most every 250 ms of price moves (an exact valuation on every tick would be the hot path).
    const canary = this.o.exchangeLeg?.judged() === true
    if (canary) {
      const now = this.o.clock.now()
      if (!onFill && now - this.lastLegCheck < 250) return
      this.lastLegCheck = now
      this.saveLegDay(now)
    }
    const estimate = this.realizedNetF + this.unrealizedF - this.baselineF
    if (!canary && estimate > -this.lossLimitF * 0.98) return
    const shadow = this.o.simulatorOnly?.() === true
    if (shadow && this.simulatedLossAlerted) return
    const breach = this.breach()
    if (breach === undefined) return
    // Shadow: the loss is the simulator's, and the kill switch guards the exchange account. Said once a day.
    if (shadow) this.simulatedLossAlerted = true
    this.o.onBreach(breach, shadow)
  }

  /** Whether today's simulated (shadow) loss past the limit was already reported. */
  private simulatedLossAlerted = false
  /** Engine time of the last exact check of the exchange leg's loss (canary). */
  private lastLegCheck = Number.NEGATIVE_INFINITY

  /** The exact breach of the daily-loss limit now, in words, or undefined. */
  breach(): string | undefined {
    const daily = this.dailyPnl()
    const loss = daily.neg()
    if (this.o.maxDailyLoss !== undefined && loss.gte(this.o.maxDailyLoss)) {
      return `daily loss ${loss.toFixed(2)} ≥ limit ${this.o.maxDailyLoss.toString()}`
    }
    if (this.o.maxDailyLossPct !== undefined) {
      const limit = this.o.equity().mul(this.o.maxDailyLossPct)
      if (loss.gt(0) && loss.gte(limit)) return `daily loss ${loss.toFixed(2)} ≥ ${this.o.maxDailyLossPct * 100}% of equity (${limit.toFixed(2)})`
    }
    return undefined
  }
}
