/**
 * @module ops/canary/harness
 * A whole canary roll-out in a backtest: recorded data through the same Trader as every mode, with the
 * session's venue a ModeRouter whose "exchange" leg is a second SimulatedVenue (optionally made to
 * misbehave: extra slippage, latency). The orchestrator runs on the engine clock, reads the router's two legs
 * (TwinLegsSource) and on a failed criterion runs the real rollback inside the session (halt, kill switch,
 * registry switch, freeze, position override, notify, incident), all recorded in the store's audit chain.
 *
 * The router's canary share is fixed when it is built, so the live leg here is wrapped in
 * `StageScaledVenue`, which scales each order to the stage's share itself (the router is built at 100%).
 * Sells are capped at what the live leg holds (it entered at a smaller share than the stage's).
 */
import type { MarketEvent, Trade } from '../../model/index.js'
import type { MarketSource } from '../../engine/index.js'
import { InvalidOrder, dec, roundAmount } from '../../model/index.js'
import type { Alert } from '../../observability/index.js'
import type { Store } from '../../store/index.js'
import { ModeRouter, Trader, createStrategies, openMarket } from '../../system/index.js'
import type { StrategySpec } from '../../system/index.js'
import { instantiateStrategy } from '../../strategy/index.js'
import type { StrategyDefinition } from '../../strategy/index.js'
import { SimulatedClock } from '../../engine/index.js'
import { SimulatedVenue } from '../../venues/index.js'
import type { OrderRequest, Venue, VenueListener, VenueOrder } from '../../venues/index.js'
import type { StageEvaluation } from './criteria.js'
import { attachToRouter } from './metrics-source.js'
import { CanaryOrchestrator } from './orchestrator.js'
import type { CanaryState } from './orchestrator.js'
import { RollbackHooks, executeRollback, sessionSafety } from './rollback.js'
import type { RollbackReport } from './rollback.js'
import { sessionSink } from './sink.js'
import type { CanaryConfig } from './stages.js'

/** The exchange leg at a share of each order that can change per stage. */
export class StageScaledVenue implements Venue {
  fraction = 1

  constructor(private readonly inner: SimulatedVenue) {}

  get id(): string {
    return this.inner.id
  }
  instruments(): ReturnType<Venue['instruments']> {
    return this.inner.instruments()
  }
  instrument(symbol: string): ReturnType<Venue['instrument']> {
    return this.inner.instrument(symbol)
  }
  subscribe(listener: VenueListener): void {
    this.inner.subscribe(listener)
  }
  async createOrder(req: OrderRequest): Promise<VenueOrder> {
    const inst = this.inner.instrument(req.symbol)
    let amount = roundAmount(inst, req.amount.mul(dec(this.fraction)))
    if (req.side === 'sell') {
      const held = (await this.inner.fetchBalance())[inst.base]?.free ?? dec(0)
      if (amount.gt(held)) amount = roundAmount(inst, held)
    }
    if (!amount.gt(0) || amount.lt(inst.minAmount)) throw new InvalidOrder(`${req.clientOrderId}: ${amount.toString()} ${inst.base} at ${this.fraction * 100}% is below the minimum`)
    return this.inner.createOrder({ ...req, amount })
  }
  cancelOrder(clientOrderId: string, symbol: string): Promise<VenueOrder> {
    return this.inner.cancelOrder(clientOrderId, symbol)
  }
  fetchOrder(clientOrderId: string, symbol: string): Promise<VenueOrder> {
    return this.inner.fetchOrder(clientOrderId, symbol)
  }
  fetchOpenOrders(symbol?: string): Promise<VenueOrder[]> {
    return this.inner.fetchOpenOrders(symbol)
  }
  fetchMyTrades(symbol?: string, since?: number, limit?: number): Promise<Trade[]> {
    return this.inner.fetchMyTrades(symbol, since, limit)
  }
  fetchBalance(): ReturnType<Venue['fetchBalance']> {
    return this.inner.fetchBalance()
  }
  fetchTime(): Promise<number> {
    return this.inner.fetchTime()
  }
}

export interface CanaryBacktestOptions {
  readonly data: readonly string[]
  readonly strategy: StrategySpec
  readonly version: string
  /** The registered version's code (`StrategyRegistry.definitionOf`); else the strategy as it is now. */
  readonly definition?: StrategyDefinition
  readonly config: CanaryConfig
  readonly store: Store
  readonly dataDir: string
  readonly freezeFile: string
  /** Slippage of the simulator (the shadow twin), bps. */
  readonly slippageBps?: number
  /** Extra slippage of the live leg over the simulator's, bps (makes it misbehave). */
  readonly liveExtraSlippageBps?: number
  readonly latencyMs?: number
  readonly liveExtraLatencyMs?: number
  readonly balances?: Readonly<Record<string, string>>
  readonly notifier?: (alert: Alert) => unknown
  readonly onEvaluation?: (evaluation: StageEvaluation) => void
  readonly registryRoot?: string
}

export interface CanaryBacktestResult {
  readonly state: CanaryState | undefined
  readonly evaluations: readonly StageEvaluation[]
  readonly rollback: RollbackReport | undefined
  readonly trader: Trader
}

export async function runCanaryBacktest(o: CanaryBacktestOptions): Promise<CanaryBacktestResult> {
  const market = await openMarket({ data: o.data, ...(o.balances !== undefined ? { balances: o.balances } : {}) })
  if (market.venues.length !== 1) throw new InvalidOrder(`a canary backtest needs data of one venue, got ${market.venues.length}`)
  const setup = market.venues[0]!
  const clock = new SimulatedClock(0)
  const balances = Object.fromEntries(Object.entries(setup.balances).map(([k, v]) => [k, dec(v).toString()]))
  const liveSim = new SimulatedVenue({
    id: setup.id,
    clock,
    instruments: [...setup.instruments],
    balances,
    idPrefix: `${setup.id}-live-`,
    slippageBps: (o.slippageBps ?? 0) + (o.liveExtraSlippageBps ?? 0),
    latencyMs: (o.latencyMs ?? 0) + (o.liveExtraLatencyMs ?? 0),
  })
  const live = new StageScaledVenue(liveSim)
  const ref: { trader?: Trader } = {}
  const router = new ModeRouter({
    id: setup.id,
    mode: 'shadow',
    clock,
    instruments: setup.instruments,
    balances,
    live,
    canaryPercentage: 100,
    reportingCurrency: market.reportingCurrency,
    ...(o.slippageBps !== undefined ? { slippageBps: o.slippageBps } : {}),
    ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
    audit: (type, actor, payload) => ref.trader?.persistence?.audit(type, actor, payload),
  })
  const trader = await Trader.create({
    clock,
    venues: [{ id: setup.id, instruments: setup.instruments, balances, venue: router }],
    strategies: o.definition !== undefined ? [instantiateStrategy(o.definition, o.strategy.name, o.strategy.params ?? {}, o.version)] : createStrategies([o.strategy]),
    reportingCurrency: market.reportingCurrency,
    equitySampleMs: 3_600_000,
    mode: 'canary',
    store: o.store,
  })
  ref.trader = trader
  trader.engine.bus.on('market', (e) => liveSim.onMarket(e))
  const source = attachToRouter(router, trader)
  const sink = sessionSink(o.store, trader.persistence!, () => clock.now())
  let rollback: RollbackReport | undefined
  let pending: Promise<RollbackReport> | undefined
  const hooks = new RollbackHooks(async (trigger, reason, extra) => {
    rollback = await executeRollback({
      sink,
      safety: sessionSafety(trader),
      reason,
      trigger,
      actor: 'system:canary',
      strategies: [o.strategy.name],
      dataDir: o.dataDir,
      freezeFile: o.freezeFile,
      ...(o.notifier !== undefined ? { notifier: o.notifier } : {}),
      ...(o.registryRoot !== undefined ? { registryRoot: o.registryRoot } : {}),
      ...extra,
    })
    return rollback
  })
  const orchestrator = new CanaryOrchestrator({
    config: o.config,
    source,
    clock,
    sink,
    strategy: o.strategy.name,
    version: o.version,
    ...(o.onEvaluation !== undefined ? { onEvaluation: o.onEvaluation } : {}),
    deployment: {
      apply: async (stage, actor) => {
        live.fraction = stage.capitalPct / 100
        await router.setMode(stage.capitalPct === 0 ? 'shadow' : 'canary', actor, {
          cancelPrimary: () => Promise.resolve(trader.orders.cancelAll({ venue: setup.id })),
          balances: () => Object.fromEntries(trader.ledger.balances(setup.id).map((b) => [b.asset, b.total.toString()])),
        })
      },
    },
    onRollback: (evaluation, reason) => {
      pending = hooks.onCanaryFailure(reason, { incidentStart: evaluation.at - evaluation.elapsedMs, impact: { stage: evaluation.stage, failedCriteria: evaluation.failed, criteria: evaluation.criteria.map((c) => `${c.name}: ${c.status} (${c.measured} vs ${c.threshold})`) } })
    },
  })
  let started = false
  trader.engine.bus.on('market', () => {
    if (started) return
    started = true
    orchestrator.start(o.config.stages[0]!.name)
    orchestrator.run()
  })
  await trader.run(oneByOne(market.source))
  orchestrator.stop()
  if (pending !== undefined) await pending
  await orchestrator.flush()
  await trader.persistence!.flush()
  return { state: orchestrator.state, evaluations: orchestrator.evaluations, rollback, trader }
}

/**
 * One event per batch: the engine awaits between batches, so what the orchestrator starts asynchronously
 * (a mode change, a store write) lands within one event of engine time instead of a whole read batch later.
 */
async function* oneByOne(source: MarketSource): AsyncGenerator<readonly MarketEvent[]> {
  for await (const batch of source) for (const e of batch) yield [e]
}
