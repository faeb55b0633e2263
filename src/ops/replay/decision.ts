/**
 * @module ops/replay/decision
 * Re-runs one past decision with today's code: the strategy is rebuilt from the parameters its session
 * recorded (`session.started`), its book is restored from the fills before the window, and it runs through
 * the same Trader as every mode — simulated clock, simulated exchange, a memory store — over the recorded
 * market data (`<data-dir>/market/*.csv`) from the window start to the decision time. The intent it makes
 * closest to the original decision time (within a tolerance: the original was stamped by the wall clock when
 * it was processed, the replay by the event) is compared with the recorded one.
 */
import { existsSync } from 'node:fs'
import { mergeSources, openMarketData } from '../../data/index.js'
import { SimulatedClock } from '../../engine/index.js'
import type { MarketSource } from '../../engine/index.js'
import { dec, makeInstrument } from '../../model/index.js'
import type { Instrument } from '../../model/index.js'
import type { Store } from '../../store/index.js'
import { MemoryStore } from '../../store/index.js'
import { createStrategy } from '../../strategy/index.js'
import { storedSimulatedOrders } from '../../system/account-periods.js'
import { MarketRecorder } from '../../system/market-recorder.js'
import { intentTerms } from '../../system/persistence.js'
import type { IntentTerms } from '../../system/persistence.js'
import { Trader } from '../../system/trader.js'
import type { OrderTrail, SessionRecord } from './adverse.js'

const DAY_MS = 86_400_000

export interface ReplayedIntent extends IntentTerms {
  readonly timestamp: number
  readonly denied: boolean
}

export interface DecisionReplay {
  readonly sameDecision: boolean
  /** Why not (or `same side, type and amount`). */
  readonly reason: string
  readonly replayed: ReplayedIntent | undefined
  /** The market data window replayed, [from, to) ms. */
  readonly window: { readonly from: number; readonly to: number } | undefined
  readonly events: number
}

export interface DecisionReplayOptions {
  readonly store: Store
  readonly marketDir: string
  readonly trail: OrderTrail
  /** The session the order was decided in (the latest `session.started` at or before the intent). */
  readonly session: SessionRecord | undefined
  /** How far before the decision the market context starts (ms); never before the session start. */
  readonly windowMs: number
  /** How far from the original decision time a replayed intent still counts as the same decision (ms). */
  readonly toleranceMs: number
}

interface Spec {
  readonly name: string
  readonly params: Record<string, string>
}

function no(reason: string, window?: { from: number; to: number }): DecisionReplay {
  return { sameDecision: false, reason, replayed: undefined, window, events: 0 }
}

/** The recorded day files covering [from, to), in day order. */
export function marketFiles(dir: string, from: number, to: number): string[] {
  const out: string[] = []
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
    const path = MarketRecorder.fileFor(dir, day)
    if (existsSync(path)) out.push(path)
  }
  return out
}

function specOf(session: SessionRecord, strategyId: string): Spec | undefined {
  const spec = session.payload.params?.[strategyId]
  // The record is read as it was written, by whatever version wrote it: its shape is checked here.
  if (spec === undefined || typeof spec.name !== 'string' || typeof spec.params !== 'object' || spec.params === null) return undefined
  const raw: Record<string, string> = {}
  for (const [k, v] of Object.entries(spec.params)) raw[k] = String(v)
  return { name: spec.name, params: raw }
}

function instrumentsOf(session: SessionRecord): Map<string, Instrument[]> | undefined {
  const recorded = session.payload.instruments
  if (recorded === undefined || typeof recorded !== 'object') return undefined
  const out = new Map<string, Instrument[]>()
  for (const [venue, list] of Object.entries(recorded)) {
    if (!Array.isArray(list)) continue
    out.set(
      venue,
      list.map((i: Record<string, string>) =>
        makeInstrument({
          symbol: i['symbol']!,
          tickSize: i['tickSize']!,
          stepSize: i['stepSize']!,
          ...(i['minAmount'] !== undefined ? { minAmount: i['minAmount'] } : {}),
          ...(i['minCost'] !== undefined ? { minCost: i['minCost'] } : {}),
          ...(i['makerFee'] !== undefined ? { makerFee: i['makerFee'] } : {}),
          ...(i['takerFee'] !== undefined ? { takerFee: i['takerFee'] } : {}),
        }),
      ),
    )
  }
  return out
}

/** A memory store holding the deposits and the fills before `before` on `venues`: what recovery rebuilds the book from. */
async function seedStore(store: Store, venues: ReadonlySet<string>, before: number): Promise<MemoryStore> {
  const seeded = new MemoryStore()
  const deposits = (await store.loadDeposits()).filter((d) => venues.has(d.venue)).map(({ venue, asset, amount, ts, reason }) => ({ venue, asset, amount, ts, reason }))
  const fills = []
  // The ledger then held no fill of the simulator from a period that had ended (system/account-periods).
  const simulated = await storedSimulatedOrders(store, before)
  for await (const batch of store.iterateFills({ until: before })) for (const f of batch) if (venues.has(f.venue) && !simulated.has(f.clientOrderId)) fills.push(f)
  if (deposits.length > 0 || fills.length > 0) await seeded.write({ deposits, fills })
  return seeded
}

export async function replayDecision(options: DecisionReplayOptions): Promise<DecisionReplay> {
  const { trail, session } = options
  const intent = trail.intent
  if (intent === undefined) return no('no decision: the audit chain has no order.intent for this order')
  if (session === undefined) return no('no decision: no session.started record before the decision')
  const spec = specOf(session, intent.strategyId)
  if (spec === undefined) return no(`no decision: the session did not record the parameters of strategy ${intent.strategyId}`)
  const instruments = instrumentsOf(session)
  if (instruments === undefined || instruments.size === 0) return no('no decision: the session did not record its instruments')
  const venue = String(intent.payload.venue)
  const symbol = String(intent.payload.symbol)
  const from = Math.max(session.ts, intent.ts - options.windowMs)
  const to = intent.ts + options.toleranceMs + 1
  const window = { from, to }
  const files = marketFiles(options.marketDir, from, to)
  if (files.length === 0) return no(`no recorded market data for the window (${options.marketDir})`, window)
  const sources: MarketSource[] = []
  for (const path of files) sources.push((await openMarketData(path, { format: 'sofia-csv', from, to, skipBadRows: true })).source)
  const source = sources.length === 1 ? sources[0]! : mergeSources(sources)

  const memory = await seedStore(options.store, new Set(instruments.keys()), from)
  const strategy = createStrategy(spec.name, intent.strategyId, spec.params)
  const firstQuote = [...instruments.values()].flat()[0]?.quote ?? 'USDT'
  const latency = session.payload.latencyMs
  const slippage = session.payload.slippageBps
  const trader = await Trader.create({
    clock: new SimulatedClock(from),
    venues: [...instruments].map(([id, list]) => ({ id, instruments: list, balances: {} })),
    strategies: [strategy],
    reportingCurrency: firstQuote,
    equitySampleMs: 60_000,
    latencyMs: typeof latency === 'number' ? latency : 0,
    ...(typeof slippage === 'number' ? { slippageBps: slippage } : {}),
    mode: 'replay',
    store: memory,
  })
  const intents: ReplayedIntent[] = []
  trader.engine.bus.on('order', ({ order, event }) => {
    if (order.strategyId !== strategy.id || (event.type !== 'submitted' && event.type !== 'denied')) return
    intents.push({
      timestamp: order.timestamp,
      ...intentTerms(order),
      denied: event.type === 'denied',
    })
  })
  let stats
  try {
    stats = await trader.run(source)
  } finally {
    await memory.close()
  }
  if (stats.events === 0) return no(`no recorded market data for the window (${options.marketDir})`, window)
  let best: ReplayedIntent | undefined
  for (const i of intents) {
    if (i.venue !== venue || i.symbol !== symbol || Math.abs(i.timestamp - intent.ts) > options.toleranceMs) continue
    if (best === undefined || Math.abs(i.timestamp - intent.ts) < Math.abs(best.timestamp - intent.ts)) best = i
  }
  const base = { window, events: stats.events }
  if (best === undefined) return { ...base, sameDecision: false, reason: `no decision: today's code made no ${venue} ${symbol} intent within ${options.toleranceMs} ms of the original`, replayed: undefined }
  const side = String(intent.payload.side)
  const type = String(intent.payload.type)
  const amount = String(intent.payload.amount)
  const price = intent.payload.price
  let reason = 'same side, type and amount'
  if (best.side !== side) reason = `different side: ${best.side} instead of ${side}`
  else if (best.type !== type) reason = `different type: ${best.type} instead of ${type}`
  else if (!dec(best.amount).eq(dec(amount))) reason = `different amount: ${best.amount} instead of ${amount}`
  else if (type === 'limit' && typeof price === 'string' && best.price !== null && !dec(best.price).eq(dec(price))) reason = `different price: ${best.price} instead of ${price}`
  return { ...base, sameDecision: reason === 'same side, type and amount', reason, replayed: best }
}
