/**
 * @module ops/pnl/legs
 * The store's fills split by leg, for P&L: `live` is what the exchange did (recorded fills of orders that went to
 * the exchange as the primary leg, plus the canary's exchange fills from `canary.fill` audit records) and
 * `simulated` is what the simulator filled as the primary leg (shadow and canary modes). The selection is the
 * reconciliation's (reconcile/legs ExchangeLegs), not a second one.
 *
 * The fills of `sofia paper` and `sofia run --mode paper` sessions are `simulated` (their account is the
 * simulator). Order outcomes (fill rate) are the same in both legs.
 */
import { Decimal } from '../../model/index.js'
import { ExchangeLegs } from '../../reconcile/legs.js'
import type { Store } from '../../store/index.js'
import { UNTAGGED, replayPnl } from './replay.js'
import type { ReplayOptions } from './replay.js'
import { summarizePnl } from './pnl.js'
import type { PnlSummary } from './pnl.js'
import type { PnlLeg, PnlLegJson } from './json-types.js'
import type { Period } from './period.js'
import { reportSource } from './source.js'
import type { ReportFill, ReportSource } from './source.js'

export type { PnlLeg } from './json-types.js'
export const PNL_LEGS: readonly PnlLeg[] = ['live', 'simulated']

/** One pass over the audit chain: which fills are the simulator's. */
function scanLegs(store: Store): Promise<ExchangeLegs> {
  return ExchangeLegs.scan(() => store.iterateAudit({}, 5000), { paperSessions: true })
}

/** The report source of one leg of `store` (the audit chain is read once per call, unless `scanned` is given). */
export async function legSource(store: Store, leg: PnlLeg, base: ReportSource = reportSource(store), scanned?: ExchangeLegs): Promise<ReportSource> {
  const legs = scanned ?? (await scanLegs(store))
  const simulated = leg === 'simulated'
  // The canary's exchange fills: few (a fraction of the intents), held in memory and merged by time.
  const canary: ReportFill[] = []
  if (!simulated) {
    // A canary fill has the strategy and decision price of its order (the same client order id as the simulated twin).
    const orders = new Map((await store.loadOrders()).map((o) => [o.clientOrderId, o]))
    // storeTrades yields the store's exchange-leg fills, then the canary's: with no store fills, only the canary's.
    const noFills = { iterateFills: async function* (): AsyncGenerator<never[]> {} }
    for await (const batch of legs.storeTrades(noFills)) {
      for (const t of batch) {
        canary.push({
          venue: t.venue ?? '',
          tradeId: t.id,
          clientOrderId: t.clientOrderId ?? '',
          venueOrderId: t.order ?? '',
          strategyId: orders.get(t.clientOrderId ?? '')?.strategyId ?? UNTAGGED,
          symbol: t.symbol,
          side: t.side,
          price: String(t.price),
          amount: String(t.amount),
          cost: String(t.cost ?? new Decimal(String(t.price)).mul(String(t.amount))),
          feeCost: t.fee?.cost.toString() ?? '0',
          feeCurrency: t.fee?.currency ?? '',
          takerOrMaker: 'taker',
          timestamp: t.timestamp,
          decisionPrice: orders.get(t.clientOrderId ?? '')?.decisionPrice ?? null,
        })
      }
    }
    canary.sort((a, b) => a.timestamp - b.timestamp)
  }
  return {
    orderGroups: (from, to) => base.orderGroups(from, to),
    deposits: () => base.deposits(),
    riskAudit: (from, to) => base.riskAudit(from, to),
    async *fills(until) {
      let next = 0
      for await (const batch of base.fills(until)) {
        const out: ReportFill[] = []
        for (const f of batch) {
          const isSim = legs.isSimulated(f.venue, f.clientOrderId, f.timestamp)
          while (next < canary.length && canary[next]!.timestamp <= f.timestamp) out.push(canary[next++]!)
          if (isSim === simulated) out.push(f)
        }
        if (out.length > 0) yield out
      }
      const rest: ReportFill[] = []
      while (next < canary.length && (until === undefined || canary[next]!.timestamp < until)) rest.push(canary[next++]!)
      if (rest.length > 0) yield rest
    },
  }
}


/**
 * The P&L of each leg over `options`' window. The simulated leg carries no exchange costs (those are what the
 * exchange charged the account).
 */
export async function pnlByLeg(
  store: Store,
  options: ReplayOptions,
  period: Period,
  marksSource?: string,
  base: ReportSource = reportSource(store),
  /** The P&L of all fills over the same window, when the caller has it: a store with one leg only reuses it. */
  total?: PnlSummary,
): Promise<Record<PnlLeg, PnlSummary>> {
  const out = {} as Record<PnlLeg, PnlSummary>
  const scanned = await scanLegs(store)
  const only: PnlLeg | undefined = scanned.nothingSimulated ? 'live' : scanned.everythingSimulated ? 'simulated' : undefined
  // (The simulated leg carries no costs: a total that has some is not its figure.)
  if (total !== undefined && only !== undefined && (only === 'live' || (options.costs?.length ?? 0) === 0)) {
    const none = { ...base, fills: async function* (): AsyncGenerator<never[]> {} }
    for (const leg of PNL_LEGS) out[leg] = leg === only ? total : summarizePnl(await replayPnl(store, options, none), period, marksSource)
    return out
  }
  for (const leg of PNL_LEGS) {
    const replay = await replayPnl(store, leg === 'simulated' ? { ...options, costs: [] } : options, await legSource(store, leg, base, scanned))
    out[leg] = summarizePnl(replay, period, marksSource)
  }
  return out
}

/** What every P&L answer says of the legs: fills and net (realized − fees − costs; unrealized not included). */
export function legsJson(legs: Readonly<Record<PnlLeg, PnlSummary>>): Record<PnlLeg, PnlLegJson> {
  const out = {} as Record<PnlLeg, PnlLegJson>
  for (const leg of PNL_LEGS) out[leg] = { fills: legs[leg].totals.fills, net: legs[leg].totals.netPnl.toString(), netIncludesUnrealized: false }
  return out
}
