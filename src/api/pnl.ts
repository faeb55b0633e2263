/**
 * @module api/pnl
 * P&L over a period (`GET /pnl?period=today|yesterday|7d`), exact. Realized P&L and fees come from the
 * stored fills replayed into a fresh ledger (the session's own accounting: pooled average cost per venue and
 * symbol), totals at the start and at the end of the period subtracted. Today's net is the session's daily
 * P&L against the start-of-day baseline, so today's unrealized part is net − (realized − fees). Marks at
 * past boundaries are not stored, so yesterday and 7d report realized − fees and no unrealized part.
 */
import { Ledger } from '../ledger/index.js'
import { dec } from '../model/index.js'
import type { Decimal } from '../model/index.js'
import { utcDayStart } from '../risk/index.js'
import { fillTrade } from '../store/index.js'
import { applyDeposit, storedSimulatedOrders } from '../system/index.js'
import type { Trader } from '../system/index.js'

export const PNL_PERIODS = ['today', 'yesterday', '7d'] as const
export type PnlPeriod = (typeof PNL_PERIODS)[number]

export interface PeriodPnl {
  readonly period: PnlPeriod
  readonly from: string
  readonly to: string
  readonly currency: string
  readonly realized: string
  readonly unrealized: string | null
  readonly fees: string
  readonly net: string
  readonly fills: number
  readonly source: string
}

const DAY = 86_400_000

export function periodRange(period: PnlPeriod, now: number): { from: number; to: number } {
  const today = utcDayStart(now)
  switch (period) {
    case 'today':
      return { from: today, to: now + 1 }
    case 'yesterday':
      return { from: today - DAY, to: today }
    case '7d':
      return { from: now - 7 * DAY, to: now + 1 }
  }
}

export async function periodPnl(trader: Trader, period: PnlPeriod, now: number = trader.engine.clock.now()): Promise<PeriodPnl> {
  const { from, to } = periodRange(period, now)
  const currency = trader.ledger.reportingCurrency
  const store = trader.persistence?.store
  let realized: Decimal = dec(0)
  let fees: Decimal = dec(0)
  let fills = 0
  if (store !== undefined) {
    await trader.persistence!.flush()
    const ledger = new Ledger({ reportingCurrency: currency })
    for (const d of await store.loadDeposits()) applyDeposit(ledger, d.venue, d.asset, d.amount)
    let atFrom = ledger.totals({ quote: currency })
    let crossed = false
    // The simulator's fills from before the session's account became the exchange's are not its P&L.
    const simulated = await storedSimulatedOrders(store)
    for await (const batch of store.iterateFills({ until: to })) {
      for (const f of batch) {
        if (simulated.has(f.clientOrderId)) continue
        if (!crossed && f.timestamp >= from) {
          atFrom = ledger.totals({ quote: currency })
          crossed = true
        }
        ledger.applyFill(fillTrade(f), trader.instrument(f.venue, f.symbol), f.strategyId)
        if (f.timestamp >= from) fills++
      }
    }
    const atTo = ledger.totals({ quote: currency })
    if (!crossed) atFrom = atTo
    realized = atTo.realizedPnl.sub(atFrom.realizedPnl)
    fees = atTo.fees.sub(atFrom.fees)
  }
  const closedNet = realized.sub(fees)
  if (period === 'today') {
    const net = trader.safety.dailyPnl()
    return {
      period,
      from: new Date(from).toISOString(),
      to: new Date(now).toISOString(),
      currency,
      realized: realized.toString(),
      unrealized: net.sub(closedNet).toString(),
      fees: fees.toString(),
      net: net.toString(),
      fills,
      source: store === undefined ? 'session (no store: realized and fees unknown)' : 'session (net, daily baseline) and store (fills)',
    }
  }
  return {
    period,
    from: new Date(from).toISOString(),
    to: new Date(Math.min(to, now)).toISOString(),
    currency,
    realized: realized.toString(),
    unrealized: null,
    fees: fees.toString(),
    net: closedNet.toString(),
    fills,
    source: 'computed from the store (stored fills; unrealized changes need marks at the period boundaries, which are not stored)',
  }
}
