/**
 * @module ops/canary/metrics-source
 * Where the orchestrator's stage metrics come from. `CanaryMetricsSource` is the port; `TwinLegsSource`
 * implements it over two legs that trade the same intents — the live leg (the exchange, at the stage's
 * capital share) and the shadow twin (the simulator, full size) — which is exactly what the mode router
 * runs in canary mode. `attachToRouter` wires it to a ModeRouter inside a Trader: leg P&L from the router's
 * per-leg ledgers (`status().legs`), fills and order outcomes from each leg's venue, decision prices from
 * the order manager's intents, critical alerts from the safety layer (plus any pushed with `reportAlert`,
 * e.g. from the alert engine).
 */
import type { EngineEvents, EventBus } from '../../engine/index.js'
import type { Trade } from '../../model/index.js'
import type { ModeRouter } from '../../system/index.js'
import type { Venue, VenueOrder } from '../../venues/index.js'
import type { StageMetrics } from './criteria.js'
import type { StageSpec } from './stages.js'

export type LegName = 'live' | 'shadow'

export interface CanaryMetricsSource {
  /** Starts measuring a stage from `now` (P&L, drawdown, slippage, fills and alerts restart). */
  beginStage(stage: StageSpec, now: number): void
  /** Takes a sample (drawdown is tracked over the samples). */
  sample(now: number): void
  metrics(now: number): StageMetrics
}

interface LegCounters {
  fills: number
  slipWeighted: number
  slipAmount: number
  filledOrders: number
  finishedOrders: number
}

const emptyCounters = (): LegCounters => ({ fills: 0, slipWeighted: 0, slipAmount: 0, filledOrders: 0, finishedOrders: 0 })

interface LiveFill {
  readonly clientOrderId: string
  readonly symbol: string
  readonly sign: number
  readonly amount: number
  readonly price: number
  readonly fee: number
}

export interface TwinLegsOptions {
  /** Net P&L so far of the shadow leg (its drawdown is watched in a 0% stage). */
  readonly shadowPnl: () => number
  /** Equity of the account now (the capital a stage's share is taken of). */
  readonly capital: () => number
  /** The last price of a symbol (marks open quantities). */
  readonly mark: (symbol: string) => number | undefined
  /** Critical alerts raised at or after `since`. */
  readonly criticalAlerts?: (since: number) => readonly string[]
  /** Model strategies: precision of the live predictions and of the baseline. */
  readonly precision?: () => { readonly live: number; readonly baseline: number } | undefined
}

/**
 * Live against simulated, quantity for quantity: every live fill of the stage is set against the shadow
 * twin's fill of the same intent (same client order id) at the live fill's amount — the shadow's average
 * price and fee rate — so positions the legs carried into the stage, amounts rounded or capped at a small
 * share, and intents too small to go live do not count as a deviation; only execution does.
 */
export class TwinLegsSource implements CanaryMetricsSource {
  private stage: StageSpec | undefined
  private startedAt = 0
  private capitalAtStart = 0
  private shadowAtStart = 0
  private peak = 0
  private maxDrawdown = 0
  private counters: Record<LegName, LegCounters> = { live: emptyCounters(), shadow: emptyCounters() }
  private liveFills: LiveFill[] = []
  private readonly shadowFills = new Map<string, { amount: number; cost: number; fee: number }>()
  private readonly decisions = new Map<string, { side: 'buy' | 'sell'; price: number }>()
  private readonly pushed: { at: number; text: string }[] = []

  constructor(private readonly o: TwinLegsOptions) {}

  beginStage(stage: StageSpec, now: number): void {
    this.stage = stage
    this.startedAt = now
    this.capitalAtStart = this.o.capital()
    this.shadowAtStart = this.o.shadowPnl()
    this.peak = 0
    this.maxDrawdown = 0
    this.counters = { live: emptyCounters(), shadow: emptyCounters() }
    this.liveFills = []
  }

  /** An intent's decision price (what slippage is measured against), by client order id. */
  observeIntent(clientOrderId: string, side: 'buy' | 'sell', price: number): void {
    this.decisions.set(clientOrderId, { side, price })
    trim(this.decisions)
  }

  observeFill(leg: LegName, trade: Trade): void {
    const c = this.counters[leg]
    c.fills++
    const amount = trade.amount.toNumber()
    const price = trade.price.toNumber()
    const base = trade.symbol.split('/')[0]
    const fee = trade.fee.currency === base ? trade.fee.cost.toNumber() * price : trade.fee.cost.toNumber()
    if (leg === 'shadow') {
      const f = this.shadowFills.get(trade.clientOrderId) ?? { amount: 0, cost: 0, fee: 0 }
      this.shadowFills.set(trade.clientOrderId, { amount: f.amount + amount, cost: f.cost + amount * price, fee: f.fee + fee })
      trim(this.shadowFills)
    } else {
      this.liveFills.push({ clientOrderId: trade.clientOrderId, symbol: trade.symbol, sign: trade.side === 'buy' ? 1 : -1, amount, price, fee })
    }
    const d = this.decisions.get(trade.clientOrderId)
    if (d === undefined || !(d.price > 0)) return
    const bps = ((d.side === 'buy' ? 1 : -1) * (price - d.price) * 10_000) / d.price
    c.slipWeighted += bps * amount
    c.slipAmount += amount
  }

  observeOrder(leg: LegName, order: VenueOrder): void {
    if (order.status === 'open') return
    const c = this.counters[leg]
    c.finishedOrders++
    if (order.status === 'closed') c.filledOrders++
  }

  /** A critical alert from elsewhere (the alert engine), counted against the current stage. */
  reportAlert(at: number, text: string): void {
    this.pushed.push({ at, text })
  }

  private get live(): boolean {
    return this.stage !== undefined && this.stage.capitalPct > 0
  }

  private allocated(): number {
    const pct = this.live ? this.stage!.capitalPct : 100
    return (this.capitalAtStart * pct) / 100
  }

  /** Live P&L of the stage's live fills, and the shadow twin's for the same quantities (marked now). */
  private matched(): { live: number; simulated: number } {
    let live = 0
    let simulated = 0
    const open = new Map<string, number>()
    for (const f of this.liveFills) {
      const s = this.shadowFills.get(f.clientOrderId)
      const simPrice = s !== undefined && s.amount > 0 ? s.cost / s.amount : f.price
      const simFee = s !== undefined && s.cost > 0 ? (s.fee / s.cost) * f.amount * simPrice : f.fee
      live += -f.sign * f.amount * f.price - f.fee
      simulated += -f.sign * f.amount * simPrice - simFee
      open.set(f.symbol, (open.get(f.symbol) ?? 0) + f.sign * f.amount)
    }
    for (const [symbol, qty] of open) {
      const mark = this.o.mark(symbol)
      if (mark === undefined || qty === 0) continue
      live += qty * mark
      simulated += qty * mark
    }
    return { live, simulated }
  }

  sample(_now: number): void {
    // In a 0% stage nothing is live: the shadow leg's own drawdown is what can be watched.
    const value = this.live ? this.matched().live : this.o.shadowPnl() - this.shadowAtStart
    if (value > this.peak) this.peak = value
    const allocated = this.allocated()
    if (allocated > 0) this.maxDrawdown = Math.max(this.maxDrawdown, ((this.peak - value) / allocated) * 100)
  }

  metrics(now: number): StageMetrics {
    this.sample(now)
    const pnl = this.matched()
    const slip = (c: LegCounters): number | undefined => (c.slipAmount > 0 ? c.slipWeighted / c.slipAmount : undefined)
    const rate = (c: LegCounters): number | undefined => (c.finishedOrders > 0 ? c.filledOrders / c.finishedOrders : undefined)
    const alerts = [...(this.o.criticalAlerts?.(this.startedAt) ?? []), ...this.pushed.filter((a) => a.at >= this.startedAt).map((a) => a.text)]
    const precision = this.o.precision?.()
    return {
      at: now,
      stageStartedAt: this.startedAt,
      capital: this.capitalAtStart,
      capitalPct: this.stage?.capitalPct ?? 0,
      livePnl: pnl.live,
      simulatedPnl: pnl.simulated,
      liveFills: this.counters.live.fills,
      shadowFills: this.counters.shadow.fills,
      slippageRealizedBps: slip(this.counters.live),
      slippageSimulatedBps: slip(this.counters.shadow),
      maxDrawdownPct: this.maxDrawdown,
      fillRate: rate(this.counters.live),
      baselineFillRate: rate(this.counters.shadow),
      ...(precision !== undefined ? { precision: precision.live, baselinePrecision: precision.baseline } : {}),
      criticalAlerts: alerts,
    }
  }
}

function trim(map: Map<string, unknown>): void {
  if (map.size <= 50_000) return
  const first = map.keys().next().value
  if (first !== undefined) map.delete(first)
}

/** What `attachToRouter` needs of a session (a Trader fits). */
export interface RouterSession {
  readonly market: { lastPrice(venue: string, symbol: string): number | undefined }
  readonly engine: { readonly bus: EventBus<EngineEvents> }
  readonly safety: { recentAlerts(): readonly { at: number; name: string; level: string; detail: string }[] }
  equity(): { toNumber(): number }
}

/**
 * A TwinLegsSource over a mode router in a session: the exchange leg is `live`, the simulator `shadow`.
 * Subscribes to both legs' venues (the simulator the router holds now: it is replaced only when a session
 * leaves live mode for the simulator, which ends a roll-out anyway).
 */
export function attachToRouter(router: ModeRouter, session: RouterSession): TwinLegsSource {
  const source = new TwinLegsSource({
    shadowPnl: () => Number(router.status().legs.sim.net),
    mark: (symbol) => session.market.lastPrice(router.id, symbol),
    capital: () => session.equity().toNumber(),
    criticalAlerts: (since) =>
      session.safety
        .recentAlerts()
        .filter((a) => a.level === 'critical' && a.at >= since)
        .map((a) => `${a.name}: ${a.detail}`),
  })
  const listen = (leg: LegName, venue: Venue | undefined): void =>
    venue?.subscribe({ onOrder: (o) => source.observeOrder(leg, o), onTrade: (t) => source.observeFill(leg, t) })
  listen('live', router.exchange)
  listen('shadow', router.simulator)
  session.engine.bus.on('order', ({ order, event }) => {
    if (event.type !== 'submitted') return
    const price = order.decisionPrice ?? order.price
    if (price !== undefined) source.observeIntent(order.clientOrderId, order.side, price.toNumber())
  })
  return source
}
