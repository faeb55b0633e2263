/**
 * @module execution/mode-router
 * The mode router: one `Venue` in front of two legs — the shadow simulator (a SimulatedVenue fed by the
 * exchange's market data) and the exchange itself — that sends each order where the trading mode says and
 * maps the legs' updates back (DESIGN §2):
 *
 * | mode            | the order manager's order (primary leg) | beside it (secondary leg)                      |
 * |-----------------|-----------------------------------------|------------------------------------------------|
 * | paper           | simulator                               | —                                              |
 * | shadow          | simulator, recorded (`shadow.order`)    | — (nothing reaches the exchange)               |
 * | canary          | simulator, full size, recorded          | exchange at CANARY_PERCENTAGE, rounded down to the step; skipped below the minimums |
 * | live / testnet  | exchange                                | simulator, full size (shadow P&L to compare)   |
 *
 * Only the primary leg's updates reach the order manager, so the session's ledger is the primary's; every
 * fill of either leg also goes to that leg's own ledger here, which is how live and shadow P&L are compared.
 * Secondary exchange fills (canary) are audited as `canary.fill` so they are never lost.
 *
 * A mode change cancels the open orders of both legs first (through the order manager for the primary, so
 * its records say so), then switches; it is audited as `mode.changed` with its actor. Going back to the
 * simulator from the exchange starts a fresh simulator holding the session's current balances, so positions
 * carry over.
 */
import type { Clock } from '../engine/index.js'
import { Ledger } from '../ledger/index.js'
import { InputError, InvalidOrder, ZERO, dec, roundAmount } from '../model/index.js'
import type { Balances, Decimal, Instrument, MarketEvent, Trade } from '../model/index.js'
import { SimulatedVenue } from '../venues/index.js'
import type { OrderRequest, Venue, VenueFeature, VenueFeatureOrder, VenueListener, VenueOrder } from '../venues/index.js'
import type { AuditPayload, AuditType } from '../audit/index.js'
import { Copies } from './copies.js'
import type { CancelReport } from '../venues/index.js'

export const ROUTER_MODES = ['paper', 'shadow', 'canary', 'live', 'testnet'] as const
export type RouterMode = (typeof ROUTER_MODES)[number]
export type Leg = 'sim' | 'live'

export function primaryLeg(mode: RouterMode): Leg {
  return mode === 'live' || mode === 'testnet' ? 'live' : 'sim'
}

function secondaryLeg(mode: RouterMode): Leg | undefined {
  if (mode === 'canary') return 'live'
  if (mode === 'live' || mode === 'testnet') return 'sim'
  return undefined
}

export interface ModeRouterOptions {
  readonly id: string
  readonly mode: RouterMode
  readonly clock: Clock
  readonly instruments: readonly Instrument[]
  /** Starting balances of the simulator. */
  readonly balances: Readonly<Record<string, string>>
  /** The exchange (required for canary, live, testnet). */
  readonly live?: Venue
  /** 1–100. */
  readonly canaryPercentage: number
  readonly reportingCurrency: string
  readonly latencyMs?: number
  readonly slippageBps?: number
  /** Records an audit entry (the session's persistence). */
  readonly audit?: <T extends AuditType>(type: T, actor: string, payload: AuditPayload<T>) => void
  readonly log?: (line: string) => void
}

export interface LegStatus {
  readonly orders: number
  readonly fills: number
  readonly filledAmount: string
  readonly realized: string
  readonly unrealized: string
  readonly fees: string
  readonly net: string
}

export interface RouterStatus {
  readonly venue: string
  readonly mode: RouterMode
  readonly canaryPercentage: number
  /** Orders recorded in the shadow order log this session. */
  readonly shadowOrders: number
  readonly canarySkipped: number
  readonly legs: { readonly sim: LegStatus; readonly live: LegStatus }
}

interface Role {
  readonly primary: Leg
  readonly symbol: string
}

export class ModeRouter implements Venue {
  readonly id: string
  private currentMode: RouterMode
  private sim: SimulatedVenue
  private readonly live: Venue | undefined
  private readonly listeners: VenueListener[] = []
  private readonly roles = new Map<string, Role>()
  /** The secondary leg's copies, kept until their venue settles each one. */
  private readonly copies: Copies<Leg>
  private readonly ledgers: Record<Leg, Ledger>
  private readonly counts: Record<Leg, { orders: number; fills: number; filled: Decimal }> = {
    sim: { orders: 0, fills: 0, filled: ZERO },
    live: { orders: 0, fills: 0, filled: ZERO },
  }
  private readonly instrumentMap: Map<string, Instrument>
  private readonly lastPrices = new Map<string, number>()
  private simEpoch = 0
  shadowOrders = 0
  canarySkipped = 0
  private percentage: number
  /** `from → to` while a switch of the primary leg waits for its cancels. */
  private switching: string | undefined
  /** Set when the session is stopping: no new order from then on. */
  private stopping: string | undefined

  constructor(private readonly o: ModeRouterOptions) {
    this.id = o.id
    this.currentMode = o.mode
    this.percentage = o.canaryPercentage
    this.live = o.live
    if (o.live === undefined && primaryLeg(o.mode) === 'live') throw new InputError(`mode ${o.mode} needs an exchange`)
    if (o.live === undefined && o.mode === 'canary') throw new InputError('mode canary needs an exchange')
    if (!(o.canaryPercentage > 0 && o.canaryPercentage <= 100)) throw new InputError(`canary percentage must be in (0, 100], got ${o.canaryPercentage}`)
    this.instrumentMap = new Map(o.instruments.map((i) => [i.symbol, i]))
    this.ledgers = { sim: new Ledger({ reportingCurrency: o.reportingCurrency }), live: new Ledger({ reportingCurrency: o.reportingCurrency }) }
    this.copies = new Copies<Leg>({
      onError: (clientOrderId, leg, error) => this.o.audit?.(`${leg === 'live' ? 'canary' : 'shadow'}.error`, 'system', { clientOrderId, error }),
    })
    this.sim = this.newSim(o.balances)
    o.live?.subscribe(this.legListener('live'))
  }

  get mode(): RouterMode {
    return this.currentMode
  }

  /** The leg the order manager's orders go to now. */
  get primary(): Leg {
    return primaryLeg(this.currentMode)
  }

  /** The exchange leg, when there is one. */
  get exchange(): Venue | undefined {
    return this.live
  }

  get simulator(): SimulatedVenue {
    return this.sim
  }

  private newSim(balances: Readonly<Record<string, string>>): SimulatedVenue {
    const epoch = ++this.simEpoch
    const sim = new SimulatedVenue({
      id: this.o.id,
      clock: this.o.clock,
      instruments: [...this.o.instruments],
      balances,
      idPrefix: `${this.o.id}-shadow${epoch}-${this.o.clock.now().toString(36)}-`,
      ...(this.o.latencyMs !== undefined ? { latencyMs: this.o.latencyMs } : {}),
      ...(this.o.slippageBps !== undefined ? { slippageBps: this.o.slippageBps } : {}),
    })
    sim.subscribe(this.legListener('sim', sim))
    return sim
  }

  // ---- Venue --------------------------------------------------------------------------------------------

  instruments(): readonly Instrument[] {
    return this.o.instruments
  }

  instrument(symbol: string): Instrument {
    return this.sim.instrument(symbol)
  }

  /**
   * What both legs take natively: an order may reach either (shadow twin, canary share, a mode switch), so
   * a trigger or trailing order goes natively only when the exchange takes it too; otherwise Sofia works it
   * (execution/emulator) and sends what it fires to the legs like any other order.
   */
  supports(feature: VenueFeature, order?: VenueFeatureOrder): boolean {
    // Order lists are the exchange's alone: on the simulator's leg the exits go as two orders (see createOrderList).
    if (feature === 'oco') return this.live?.createOrderList !== undefined && this.live.supports?.('oco') === true
    return this.sim.supports(feature) && (this.live === undefined || this.live.supports?.(feature, order) === true)
  }

  /**
   * A bracket's two exits: to the exchange as one order list while it is the primary leg (the simulator's twin
   * gets them as two orders); otherwise each goes as `createOrder` sends it (the simulator holds nothing for a
   * waiting trigger, so two orders do there what one list does at the exchange).
   */
  createOrderList(legs: readonly [OrderRequest, OrderRequest], listClientOrderId: string): Promise<VenueOrder[]> {
    const live = this.live
    const mode = this.currentMode
    if (this.stopping === undefined && this.switching === undefined && primaryLeg(mode) === 'live' && live?.createOrderList !== undefined) {
      for (const l of legs) this.roles.set(l.clientOrderId, { primary: 'live', symbol: l.symbol })
      const result = live.createOrderList(legs, listClientOrderId)
      this.counts.live.orders += legs.length
      const secondary = secondaryLeg(mode)
      if (secondary !== undefined) for (const l of legs) this.sendSecondary(secondary, l)
      return result
    }
    return Promise.all(legs.map((l) => this.createOrder(l)))
  }

  subscribe(listener: VenueListener): void {
    this.listeners.push(listener)
  }

  /** Market data of this venue: the simulator matches on it (in every mode). */
  onMarket(e: MarketEvent): void {
    if (e.venue !== this.id) return
    if (e.kind === 'trade') this.lastPrices.set(e.symbol, e.price)
    else if (e.kind === 'bar') this.lastPrices.set(e.symbol, e.close)
    else if (e.kind === 'quote' && !this.lastPrices.has(e.symbol)) this.lastPrices.set(e.symbol, (e.bid + e.ask) / 2)
    this.sim.onMarket(e)
  }

  /** The session is stopping: new orders are denied from now on (open ones are being cancelled). */
  stop(reason = `session on ${this.id} stopping`): void {
    this.stopping ??= reason
  }

  /** The leg an order of the session was sent to as its primary (undefined: not sent through this router). */
  primaryOf(clientOrderId: string): Leg | undefined {
    return this.roles.get(clientOrderId)?.primary
  }

  pausedReason(): string | undefined {
    if (this.stopping !== undefined) return this.stopping
    return this.switching === undefined ? undefined : `mode switch ${this.switching} in progress on ${this.id}`
  }

  /** The exchange's accept window when the session's orders go there (the simulator always answers). */
  acceptWindowMs(): number | undefined {
    return this.primary === 'live' ? this.live?.acceptWindowMs?.() : undefined
  }

  createOrder(req: OrderRequest): Promise<VenueOrder> {
    if (this.stopping !== undefined) return Promise.reject(new InvalidOrder(`${req.clientOrderId}: ${this.stopping}; order not sent`))
    if (this.switching !== undefined) {
      // Normally stopped before: the pre-trade gate denies new orders while `pausedReason` says so.
      // The primary leg is changing: an order now would be left behind on the old leg.
      return Promise.reject(new InvalidOrder(`${req.clientOrderId}: mode switch ${this.switching} in progress on ${this.id}; order not sent`))
    }
    const mode = this.currentMode
    const primary = primaryLeg(mode)
    this.roles.set(req.clientOrderId, { primary, symbol: req.symbol })
    if (primary === 'sim' && mode !== 'paper') {
      this.shadowOrders++
      this.o.audit?.('shadow.order', 'system', {
        mode,
        venue: this.id,
        clientOrderId: req.clientOrderId,
        symbol: req.symbol,
        side: req.side,
        type: req.type,
        amount: req.amount.toString(),
        ...(req.price !== undefined ? { price: req.price.toString() } : {}),
      })
    }
    const secondary = secondaryLeg(mode)
    const result = this.leg(primary).createOrder(req)
    this.counts[primary].orders++
    if (secondary !== undefined) this.sendSecondary(secondary, req)
    return result
  }

  cancelOrder(clientOrderId: string, symbol: string): Promise<VenueOrder> {
    const role = this.roles.get(clientOrderId)
    this.copies.cancel(clientOrderId)
    return this.leg(role?.primary ?? this.primary).cancelOrder(clientOrderId, symbol)
  }

  fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder> {
    return this.leg(this.roles.get(clientOrderId)?.primary ?? this.primary).fetchOrder(clientOrderId, symbol)
  }

  fetchOpenOrders(symbol?: string): Promise<VenueOrder[]> {
    return this.leg(this.primary).fetchOpenOrders(symbol)
  }

  fetchMyTrades(symbol?: string, since?: number, limit?: number): Promise<Trade[]> {
    return this.leg(this.primary).fetchMyTrades(symbol, since, limit)
  }

  fetchBalance(): Promise<Balances> {
    return this.leg(this.primary).fetchBalance()
  }

  fetchTime(): Promise<number> {
    return this.leg(this.primary).fetchTime()
  }

  // ---- legs ---------------------------------------------------------------------------------------------

  private leg(leg: Leg): Venue {
    if (leg === 'sim') return this.sim
    if (this.live === undefined) throw new InputError(`${this.id}: no exchange in mode ${this.currentMode}`)
    return this.live
  }

  /** The secondary leg's copy of an order: canary sized (exchange) or full size (simulator beside the exchange). */
  private sendSecondary(leg: Leg, req: OrderRequest): void {
    let amount = req.amount
    if (leg === 'live') {
      const inst = this.live!.instrument(req.symbol)
      amount = roundAmount(inst, req.amount.mul(this.percentage).div(100))
      const price = req.price?.toNumber() ?? this.lastPrices.get(req.symbol)
      const tooSmall = amount.lt(inst.minAmount) || !amount.gt(0) || (price !== undefined && amount.mul(dec(price)).lt(inst.minCost))
      if (tooSmall) {
        this.canarySkipped++
        this.o.audit?.('canary.skipped', 'system', { clientOrderId: req.clientOrderId, symbol: req.symbol, amount: amount.toString(), intent: req.amount.toString(), reason: 'below the exchange minimums' })
        return
      }
    }
    this.counts[leg].orders++
    if (leg === 'live') this.o.audit?.('canary.order', 'system', { clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side, type: req.type, amount: amount.toString(), intent: req.amount.toString(), ...(req.price !== undefined ? { price: req.price.toString() } : {}) })
    this.copies.send(leg, this.leg(leg), { ...req, amount })
  }

  /**
   * Cancels the copies this router sent beside the session's orders (the canary's share on the exchange, the
   * simulator's twins) and waits up to `timeoutMs` for their venues to settle them. The order manager's
   * cancel-all includes this, so a kill switch or a stop leaves no copy working unknown.
   */
  cancelOwnOrders(symbol: string | undefined, timeoutMs: number): Promise<CancelReport> {
    return this.copies.settle(symbol !== undefined ? { symbol } : {}, timeoutMs)
  }

  private legListener(leg: Leg, sim?: SimulatedVenue): VenueListener {
    return {
      onOrder: (o) => {
        if (sim !== undefined && sim !== this.sim) return // a replaced simulator
        if (this.isPrimary(leg, o.clientOrderId)) {
          for (const l of this.listeners) l.onOrder(o)
          // The exchange holds no more of an order than the strategy knows of: once the session's order is
          // done (filled, canceled, refused), its canary copy's remainder is cancelled too.
          if (o.status !== 'open' && this.copies.tagOf(o.clientOrderId) === 'live') this.copies.cancel(o.clientOrderId)
        } else if (this.copies.tagOf(o.clientOrderId) === leg) this.copies.update(o)
      },
      onTrade: (t) => {
        if (sim !== undefined && sim !== this.sim) return
        const inst = this.instrumentMap.get(t.symbol)
        if (inst !== undefined) {
          try {
            this.ledgers[leg].applyFill(t, inst, 'leg')
            this.counts[leg].fills++
            this.counts[leg].filled = this.counts[leg].filled.add(t.amount)
          } catch (error) {
            this.o.log?.(`${this.id} ${leg} leg: ${String(error)}`)
          }
        }
        if (this.isPrimary(leg, t.clientOrderId)) {
          for (const l of this.listeners) l.onTrade(t)
          return
        }
        if (leg === 'live') {
          this.o.audit?.('canary.fill', 'system', {
            id: t.id,
            order: t.order,
            clientOrderId: t.clientOrderId,
            symbol: t.symbol,
            side: t.side,
            price: t.price.toString(),
            amount: t.amount.toString(),
            fee: t.fee.cost.toString(),
            feeCurrency: t.fee.currency,
            timestamp: t.timestamp,
          })
        }
      },
    }
  }

  private isPrimary(leg: Leg, clientOrderId: string): boolean {
    const role = this.roles.get(clientOrderId)
    if (role !== undefined) return role.primary === leg
    // Not sent this session (restored from the store, or an order of the exchange account): the primary's.
    return leg === this.primary && !this.copies.has(clientOrderId)
  }

  // ---- mode changes -------------------------------------------------------------------------------------

  get canaryPercentage(): number {
    return this.percentage
  }

  /** Changes the share of each intent the canary sends (a canary stage's capital %); audited. */
  setCanaryPercentage(percentage: number, actor: string): void {
    if (!(percentage > 0 && percentage <= 100)) throw new InputError(`canary percentage must be in (0, 100], got ${percentage}`)
    if (percentage === this.percentage) return
    const from = this.percentage
    this.percentage = percentage
    this.o.audit?.('canary.percentage_changed', actor, { venue: this.id, from, to: percentage })
  }

  /**
   * Switches mode. `cancelPrimary` cancels the order manager's open orders on this venue and resolves when
   * they are final; `balances` gives the session's balances (for a fresh simulator when leaving the exchange).
   */
  async setMode(
    to: RouterMode,
    actor: string,
    hooks: {
      cancelPrimary: () => Promise<number>
      balances: () => Record<string, string>
      /**
       * Runs after the switch, before new orders are taken (e.g. taking the exchange's balances and fills). If it
       * throws, the router goes back to the old mode and the switch fails: it must change nothing before it can
       * no longer fail.
       */
      ready?: (from: RouterMode, to: RouterMode) => Promise<void>
    },
  ): Promise<{ from: RouterMode; to: RouterMode; cancelled: number; secondaryCancelled: number }> {
    const from = this.currentMode
    if (!(ROUTER_MODES as readonly string[]).includes(to)) throw new InputError(`mode must be one of ${ROUTER_MODES.join(', ')}, got '${to}'`)
    if ((primaryLeg(to) === 'live' || to === 'canary') && this.live === undefined) throw new InputError(`mode ${to} needs an exchange; this session has none`)
    if (this.switching !== undefined) throw new InputError(`mode switch ${this.switching} already in progress on ${this.id}`)
    if (to === from) return { from, to, cancelled: 0, secondaryCancelled: 0 }
    // Open orders are cancelled first, and no new order is taken until the switch is done (a quoting
    // strategy would otherwise re-quote on the leg being given up while its cancels are confirmed).
    this.switching = `${from} → ${to}`
    try {
      const cancelled = await hooks.cancelPrimary()
      const copies = await this.copies.settle({}, 15_000)
      if (copies.pending.length > 0) throw new InputError(`${copies.pending.length} copies on the ${from === 'canary' ? 'exchange' : 'simulator'} did not confirm their cancel within 15 s; mode unchanged`)
      if (primaryLeg(from) === 'live' && primaryLeg(to) === 'sim') this.sim = this.newSim(hooks.balances())
      this.currentMode = to
      try {
        await hooks.ready?.(from, to)
      } catch (error) {
        // Not ready (the exchange did not answer): the session stays in its old mode, which took no order meanwhile.
        this.currentMode = from
        throw error
      }
      this.o.audit?.('mode.changed', actor, { venue: this.id, from, to, cancelled, secondaryCancelled: copies.requested })
      return { from, to, cancelled, secondaryCancelled: copies.requested }
    } finally {
      this.switching = undefined
    }
  }

  // ---- comparison ---------------------------------------------------------------------------------------

  status(): RouterStatus {
    return {
      venue: this.id,
      mode: this.currentMode,
      canaryPercentage: this.percentage,
      shadowOrders: this.shadowOrders,
      canarySkipped: this.canarySkipped,
      legs: { sim: this.legStatus('sim'), live: this.legStatus('live') },
    }
  }

  /** A leg's net P&L this session (realized + unrealized at the last prices − fees), exact. */
  legNet(leg: Leg): Decimal {
    return dec(this.legStatus(leg).net)
  }

  private legStatus(leg: Leg): LegStatus {
    const ledger = this.ledgers[leg]
    for (const [symbol, price] of this.lastPrices) ledger.mark(this.id, symbol, price)
    const totals = ledger.totals({ quote: this.o.reportingCurrency })
    let unrealized: Decimal = ZERO
    for (const p of ledger.positions()) if (p.quote === this.o.reportingCurrency) unrealized = unrealized.add(ledger.unrealizedPnl(p.venue, p.symbol) ?? ZERO)
    const c = this.counts[leg]
    return {
      orders: c.orders,
      fills: c.fills,
      filledAmount: c.filled.toString(),
      realized: totals.realizedPnl.toString(),
      unrealized: unrealized.toString(),
      fees: totals.fees.toString(),
      net: totals.realizedPnl.add(unrealized).sub(totals.fees).toString(),
    }
  }
}
